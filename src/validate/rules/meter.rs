//! Zuora's rules about the meter itself: its name, its type, and a predefined meter's
//! `typeDefinition` (source type, event definition id, field mappings, cumulative configs).
//! Returns what the per-version rules need to know about the meter ([`Meter`]).

use serde_json::{Map, Value};

use super::{
    date_format, get, is_placeholder, zuora, Finding, BLANK_METER_NAME, INVALID_CUMULATIVE_PERIOD,
    INVALID_METER_TYPE, INVALID_SOURCE_TYPE, INVALID_TYPE_DEFINITION_SCHEMA_ID,
    MISSING_CUMULATIVE_METHOD, MISSING_FIELD_MAPPINGS, MISSING_TYPE_DEFINITION,
    TYPE_DEFINITION_ON_CUSTOM_METER,
};
use crate::model::catalogue::{is_predefined_type, AGGREGATIONS, METER_TYPES};

/// What the version and task rules need to know about the meter.
pub(super) struct Meter<'a> {
    /// The pipeline rules for CUSTOM meters apply: the type is CUSTOM, or missing or unknown
    /// (not one of the predefined types, whose pipeline comes from `typeDefinition`).
    pub custom: bool,
    /// `schemas[]`, the event definitions tasks refer to by name.
    pub schemas: &'a [Value],
}

/// Source types of a predefined meter.
const SOURCE_TYPES: &[&str] = &["ZUORA_BULK_API", "LOCAL_FILE"];
/// Periods of the SUM, MAX, MIN, COUNT and AVG meters.
const PERIODS: &[&str] = &["day", "week", "month", "year"];

pub(super) fn check<'a>(value: &'a Value, out: &mut Vec<Finding>) -> Meter<'a> {
    let schemas = value
        .get("schemas")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let Some(m) = value.as_object() else {
        return Meter {
            custom: false,
            schemas,
        };
    };
    name(m, out);
    let ty = meter_type(m, out);
    let custom = !ty.is_some_and(is_predefined_type);
    match (ty, get(m, "typeDefinition")) {
        (Some("CUSTOM"), Some(td)) if !td.is_null() => out.push(Finding::new(
            TYPE_DEFINITION_ON_CUSTOM_METER.code,
            "/typeDefinition",
            zuora(
                "a CUSTOM meter's pipeline is its tasks, so it has no typeDefinition; write `typeDefinition: null` or remove it",
                "TypeDefinition not allowed for CUSTOM meters",
            ),
        )),
        (Some(t), td) if is_predefined_type(t) => match td {
            Some(Value::Object(td)) => type_definition(t, td, out),
            Some(Value::Null) | None => out.push(Finding::new(
                MISSING_TYPE_DEFINITION.code,
                if td.is_some() { "/typeDefinition" } else { "" },
                zuora(
                    format_args!("a {t} meter gets its pipeline from typeDefinition, but has none; add typeDefinition (sourceType, schemaId, fieldMappings, configs) or make the meter CUSTOM"),
                    "TypeDefinition required for predefined meter types",
                ),
            )),
            Some(_) => {} // the schema reports the wrong type
        },
        _ => {}
    }
    Meter { custom, schemas }
}

fn name(m: &Map<String, Value>, out: &mut Vec<Finding>) {
    // A missing name is the schema's finding (Zuora's import answers 70002217 for it).
    let what = match get(m, "name") {
        Some(Value::Null) => "the meter's name is null; give the meter a name",
        Some(Value::String(s)) if s.trim().is_empty() => {
            "the meter's name is blank; give the meter a name"
        }
        _ => return, // a name, or a missing one or a wrong type the schema reports
    };
    out.push(Finding::new(
        BLANK_METER_NAME.code,
        "/name",
        zuora(what, "Meter name cannot be blank"),
    ));
}

/// Checks `type` and returns it when it is a string.
fn meter_type<'a>(m: &'a Map<String, Value>, out: &mut Vec<Finding>) -> Option<&'a str> {
    let message = match get(m, "type") {
        Some(Value::String(t)) if METER_TYPES.contains(&t.as_str()) || is_placeholder(t) => {
            return Some(t)
        }
        Some(Value::String(t)) => match METER_TYPES.iter().find(|k| k.eq_ignore_ascii_case(t)) {
            Some(k) => format!("meter type {t:?} must be written in upper case: {k}"),
            None => format!("meter type {t:?} is not one of {}", METER_TYPES.join(", ")),
        },
        // A missing type is the schema's finding (Zuora's import answers 70002220 for it).
        None => return None,
        Some(v) => format!("meter type {v} is not one of {}", METER_TYPES.join(", ")),
    };
    out.push(Finding::new(
        INVALID_METER_TYPE.code,
        "/type",
        zuora(message, "Invalid meter type"),
    ));
    None
}

fn type_definition(ty: &str, td: &Map<String, Value>, out: &mut Vec<Finding>) {
    // sourceType
    match get(td, "sourceType") {
        None | Some(Value::Null) => out.push(Finding::new(
            INVALID_SOURCE_TYPE.code,
            key_or_object("/typeDefinition", td, "sourceType"),
            zuora(
                "typeDefinition has no sourceType; set it to ZUORA_BULK_API (Streaming API) or LOCAL_FILE (file upload)",
                "sourceType is required",
            ),
        )),
        Some(Value::String(s)) if SOURCE_TYPES.contains(&s.as_str()) || is_placeholder(s) => {}
        Some(v) => out.push(Finding::new(
            INVALID_SOURCE_TYPE.code,
            "/typeDefinition/sourceType",
            zuora(
                format_args!("typeDefinition.sourceType {v} is not ZUORA_BULK_API or LOCAL_FILE"),
                "Invalid sourceType",
            ),
        )),
    }
    // schemaId
    let standard = match get(td, "schemaId") {
        None | Some(Value::Null) => {
            out.push(Finding::new(
                INVALID_TYPE_DEFINITION_SCHEMA_ID.code,
                key_or_object("/typeDefinition", td, "schemaId"),
                zuora(
                    "typeDefinition has no schemaId; give the event definition's numeric id, or STANDARD",
                    "schemaId is required",
                ),
            ));
            false
        }
        Some(Value::String(s)) if s == "STANDARD" => true,
        Some(Value::String(s))
            if (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) || is_placeholder(s) =>
        {
            false
        }
        Some(Value::Number(n)) if n.is_u64() => false,
        Some(v) => {
            out.push(Finding::new(
                INVALID_TYPE_DEFINITION_SCHEMA_ID.code,
                "/typeDefinition/schemaId",
                zuora(
                    format_args!("typeDefinition.schemaId {v} is neither a numeric event definition id nor STANDARD"),
                    "Invalid schemaId",
                ),
            ));
            false
        }
    };
    // fieldMappings
    match get(td, "fieldMappings") {
        Some(Value::Array(list)) if !list.is_empty() => {
            let required: &[&str] = if ty == "COUNT" {
                &["accountNumber", "uom", "startDateTime"]
            } else {
                &["accountNumber", "uom", "startDateTime", "quantity"]
            };
            for name in required {
                let mapped = list.iter().any(|f| {
                    f.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                });
                if !mapped {
                    out.push(Finding::new(
                        MISSING_FIELD_MAPPINGS.code,
                        "/typeDefinition/fieldMappings",
                        zuora(
                            format_args!("typeDefinition.fieldMappings does not map {name}; add a mapping named {name:?} with the event field it comes from"),
                            format_args!("Missing required field mapping: {name}"),
                        ),
                    ));
                }
            }
            for (k, f) in list.iter().enumerate() {
                if let Some(f) = f.as_object() {
                    date_format(
                        get(f, "dateFormat"),
                        "dateFormat",
                        || format!("/typeDefinition/fieldMappings/{k}/dateFormat"),
                        out,
                    );
                }
            }
        }
        _ if standard => {}
        Some(Value::Array(_)) | Some(Value::Null) | None => out.push(Finding::new(
            MISSING_FIELD_MAPPINGS.code,
            key_or_object("/typeDefinition", td, "fieldMappings"),
            zuora(
                "typeDefinition has no fieldMappings; map accountNumber, uom, startDateTime and quantity to event fields (or use schemaId STANDARD)",
                "fieldMappings required",
            ),
        )),
        Some(_) => {} // the schema reports the wrong type
    }
    // configs
    let configs = get(td, "configs").and_then(Value::as_object);
    if let Some(c) = configs {
        date_format(
            get(c, "eventTimeFormat"),
            "eventTimeFormat",
            || "/typeDefinition/configs/eventTimeFormat".to_string(),
            out,
        );
    }
    let configs_pointer = || {
        if td.contains_key("configs") {
            "/typeDefinition/configs"
        } else {
            "/typeDefinition"
        }
    };
    let get = |key: &str| configs.and_then(|c| get(c, key));
    if ty == "CUMULATIVE" {
        let message = match get("cumulativeMethod") {
            Some(Value::String(s)) if AGGREGATIONS.contains(&s.as_str()) || is_placeholder(s) => {
                None
            }
            None | Some(Value::Null) => Some((configs_pointer().to_string(), "a CUMULATIVE meter needs typeDefinition.configs.cumulativeMethod; set it to SUM, MIN, MAX, AVG, COUNT or DELTA".to_string())),
            Some(v) => Some((
                "/typeDefinition/configs/cumulativeMethod".to_string(),
                format!("cumulativeMethod {v} is not SUM, MIN, MAX, AVG, COUNT or DELTA"),
            )),
        };
        if let Some((pointer, message)) = message {
            out.push(Finding::new(
                MISSING_CUMULATIVE_METHOD.code,
                pointer,
                zuora(message, "cumulativeMethod required for CUMULATIVE type"),
            ));
        }
    } else if matches!(ty, "SUM" | "MAX" | "MIN" | "COUNT" | "AVG") {
        match get("cumulativePeriod") {
            Some(Value::String(s)) if PERIODS.contains(&s.as_str()) || is_placeholder(s) => {}
            None | Some(Value::Null) => out.push(Finding::new(
                INVALID_CUMULATIVE_PERIOD.code,
                configs_pointer(),
                zuora(
                    format_args!("a {ty} meter needs typeDefinition.configs.cumulativePeriod; set it to day, week, month or year"),
                    "cumulativePeriod required for aggregation types",
                ),
            )),
            Some(v) => {
                let shown = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                out.push(Finding::new(
                    INVALID_CUMULATIVE_PERIOD.code,
                    "/typeDefinition/configs/cumulativePeriod",
                    zuora(
                        format_args!("cumulativePeriod {v} is not day, week, month or year (lower case)"),
                        format_args!("Invalid cumulativePeriod: {shown}"),
                    ),
                ))
            }
        }
    }
}

/// The pointer of `key` when it is present (null), else of the object that lacks it.
fn key_or_object(object: &str, o: &Map<String, Value>, key: &str) -> String {
    if o.contains_key(key) {
        format!("{object}/{key}")
    } else {
        object.to_string()
    }
}
