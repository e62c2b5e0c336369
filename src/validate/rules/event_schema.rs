//! Event definitions (`schemas[].schema`) in either of Zuora's two dialects: plain JSON Schema
//! (the API sample) and Zuora's own (the UI), which adds `eventIdFields` and, per property,
//! `order`, `eventTime` and `timeFormat`, and uses the property type `datetime`.
//!
//! MC0110 meta-validates the schema leniently (a `datetime` type is read as `string`; the dialect's
//! keys must have their types); MC0113 checks that `eventIdFields` name properties, MC0114 that at
//! most one property is the event time, MC0115 that each `timeFormat` is a Java date pattern.

use serde_json::Value;

use super::{
    is_placeholder, objects, Finding, INVALID_EVENT_SCHEMA, INVALID_TIME_FORMAT,
    SEVERAL_EVENT_TIME_FIELDS, UNKNOWN_EVENT_ID_FIELD,
};
use crate::load::locate::escape_token;
use crate::model::date_pattern;

/// Zuora's extra type name, read as `string` for meta-validation.
const DATETIME: &str = "datetime";

/// One event definition's schema: its pointer (`/schemas/N/schema`), a label for messages (the
/// definition's name, or `schemas[N]`) and the schema itself.
struct EventSchema<'a> {
    at: String,
    label: String,
    schema: &'a Value,
}

fn event_schemas(value: &Value) -> impl Iterator<Item = EventSchema<'_>> {
    objects(value.get("schemas")).filter_map(|(si, s)| {
        s.get("schema").map(|schema| EventSchema {
            at: format!("/schemas/{si}/schema"),
            label: match s.get("name").and_then(Value::as_str) {
                Some(n) => format!("{n:?}"),
                None => format!("schemas[{si}]"),
            },
            schema,
        })
    })
}

/// The members of a schema's `properties` that are objects, as (name, property).
fn properties(schema: &Value) -> impl Iterator<Item = (&str, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, p)| p.is_object())
        .map(|(name, p)| (name.as_str(), p))
}

/// The pointer of property `name` of the schema at `at`.
fn property_pointer(at: &str, name: &str) -> String {
    format!("{at}/properties/{}", escape_token(name))
}

/// Whether a `type` keyword anywhere in the schema names `datetime`.
fn uses_datetime(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| {
            (k == "type" && names_datetime(x))
                || (x.is_object() || x.is_array()) && uses_datetime(x)
        }),
        Value::Array(a) => a.iter().any(uses_datetime),
        _ => false,
    }
}

fn names_datetime(t: &Value) -> bool {
    match t {
        Value::String(s) => s == DATETIME,
        Value::Array(a) => a.iter().any(|x| x == DATETIME),
        _ => false,
    }
}

/// Rewrites every `datetime` type name to `string` (the same positions, so pointers stay valid).
fn datetime_as_string(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "type" && names_datetime(x) {
                    match x {
                        Value::Array(a) => a
                            .iter_mut()
                            .filter(|t| *t == DATETIME)
                            .for_each(|t| *t = Value::from("string")),
                        t => *t = Value::from("string"),
                    }
                } else {
                    datetime_as_string(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(datetime_as_string),
        _ => {}
    }
}

/// The first meta-schema error as (pointer inside the schema, message), if any.
fn meta_error(schema: &Value) -> Option<(String, String)> {
    // The meta-schema lookup panics on an undetectable draft; treat that as an error too.
    let result = std::panic::catch_unwind(|| {
        let validator = jsonschema::meta::validator_for(schema).map_err(|e| e.to_string())?;
        if validator.is_valid(schema) {
            return Ok(None);
        }
        Ok(validator.validate(schema).err().map(|e| {
            let e = crate::validate::suggest::most_specific(&e);
            (e.instance_path().to_string(), e.to_string())
        }))
    });
    match result {
        Ok(Ok(found)) => found,
        Ok(Err(message)) => Some((String::new(), message)),
        Err(_) => Some((
            String::new(),
            "its $schema names an unknown meta-schema".to_string(),
        )),
    }
}

/// A per-property key of Zuora's dialect: name, type check, the type in words.
type DialectKey = (&'static str, fn(&Value) -> bool, &'static str);

/// Type errors of the dialect's own keys: (pointer, what is wrong).
fn dialect_key_errors(at: &str, schema: &Value, out: &mut Vec<(String, String)>) {
    if let Some(ids) = schema.get("eventIdFields") {
        let ok = ids
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string));
        if !ok {
            out.push((
                format!("{at}/eventIdFields"),
                "eventIdFields must be an array of property names".into(),
            ));
        }
    }
    for (name, prop) in properties(schema) {
        let checks: [DialectKey; 3] = [
            ("order", |v| v.is_i64() || v.is_u64(), "an integer"),
            ("eventTime", Value::is_boolean, "true or false"),
            (
                "timeFormat",
                Value::is_string,
                "a string (a Java date pattern)",
            ),
        ];
        for (key, ok, what) in checks {
            if prop.get(key).is_some_and(|v| !ok(v)) {
                let p = property_pointer(at, name);
                out.push((format!("{p}/{key}"), format!("`{key}` must be {what}")));
            }
        }
        if prop.get("properties").is_some() {
            dialect_key_errors(&property_pointer(at, name), prop, out);
        }
    }
}

pub(super) fn invalid_event_schema(value: &Value, out: &mut Vec<Finding>) {
    for EventSchema { at, label, schema } in event_schemas(value) {
        if !schema.is_object() && !schema.is_boolean() {
            continue; // the schema check reports the wrong type
        }
        let found = if uses_datetime(schema) {
            let mut lenient = schema.clone();
            datetime_as_string(&mut lenient);
            meta_error(&lenient)
        } else {
            meta_error(schema)
        };
        if let Some((inner, mut message)) = found {
            if inner.ends_with("/type") || inner.contains("/type/") {
                message.push_str(
                    "; a type is string, number, integer, boolean, object, array, null or Zuora's datetime",
                );
            }
            out.push(Finding::new(
                INVALID_EVENT_SCHEMA.code,
                format!("{at}{inner}"),
                format!("event definition {label} is not a valid JSON Schema: {message}"),
            ));
        }
        let mut dialect = Vec::new();
        dialect_key_errors(&at, schema, &mut dialect);
        for (pointer, message) in dialect {
            out.push(Finding::new(
                INVALID_EVENT_SCHEMA.code,
                pointer,
                format!("event definition {label}: {message} in Zuora's event-definition dialect"),
            ));
        }
    }
}

pub(super) fn unknown_event_id_field(value: &Value, out: &mut Vec<Finding>) {
    for EventSchema { at, label, schema } in event_schemas(value) {
        let Some(ids) = schema.get("eventIdFields").and_then(Value::as_array) else {
            continue;
        };
        let props = schema.get("properties").and_then(Value::as_object);
        for (i, id) in ids.iter().enumerate() {
            let Some(name) = id.as_str() else { continue };
            if props.is_some_and(|p| p.contains_key(name)) {
                continue;
            }
            let known: Vec<&str> = props
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let hint = match crate::validate::suggest::suggest(name, &known) {
                Some(s) => format!("did you mean {s:?}?"),
                None if known.is_empty() => "the schema has no properties".to_string(),
                None => "name one of its properties or add the property".to_string(),
            };
            out.push(Finding::new(
                UNKNOWN_EVENT_ID_FIELD.code,
                format!("{at}/eventIdFields/{i}"),
                format!(
                    "eventIdFields names {name:?}, which is not a property of event definition {label}; {hint}"
                ),
            ));
        }
    }
}

pub(super) fn several_event_time_fields(value: &Value, out: &mut Vec<Finding>) {
    for EventSchema {
        at, label, schema, ..
    } in event_schemas(value)
    {
        let mut first: Option<&str> = None;
        for (name, prop) in properties(schema) {
            if prop.get("eventTime") != Some(&Value::Bool(true)) {
                continue;
            }
            match first {
                None => first = Some(name),
                Some(f) => out.push(Finding::new(
                    SEVERAL_EVENT_TIME_FIELDS.code,
                    format!("{}/eventTime", property_pointer(&at, name)),
                    format!(
                        "properties {f:?} and {name:?} of event definition {label} both have `eventTime: true`; an event has one event time, so keep it on one of them"
                    ),
                )),
            }
        }
    }
}

pub(super) fn invalid_time_format(value: &Value, out: &mut Vec<Finding>) {
    fn walk(at: &str, schema: &Value, out: &mut Vec<Finding>) {
        for (name, prop) in properties(schema) {
            if let Some(format) = prop.get("timeFormat").and_then(Value::as_str) {
                if !is_placeholder(format) {
                    if let Err(e) = date_pattern::parse(format) {
                        out.push(Finding::new(
                            INVALID_TIME_FORMAT.code,
                            format!("{}/timeFormat", property_pointer(at, name)),
                            format!(
                                "timeFormat {format:?} of property {name:?} is not a valid Java date pattern: {e}; write a SimpleDateFormat pattern such as yyyy-MM-dd'T'HH:mm:ss, or epoch_ms / epoch_s"
                            ),
                        ));
                    }
                }
            }
            if prop.get("properties").is_some() {
                walk(&property_pointer(at, name), prop, out);
            }
        }
    }
    for EventSchema { at, schema, .. } in event_schemas(value) {
        walk(&at, schema, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: Value) -> Vec<Finding> {
        let v = json!({"schemas": [{"name": "e", "type": 1, "schema": schema}]});
        let mut out = Vec::new();
        for f in [
            invalid_event_schema,
            unknown_event_id_field,
            several_event_time_fields,
            invalid_time_format,
        ] {
            f(&v, &mut out);
        }
        out
    }

    fn zuora() -> Value {
        json!({"eventIdFields": ["Id"], "type": "object", "required": ["Id"], "properties": {
            "Id": {"type": "string", "order": 0, "eventTime": false},
            "At": {"type": "datetime", "order": 1, "eventTime": true, "timeFormat": "yyyy-MM-dd'T'HH:mm:ss'Z'"},
            "Qty": {"type": ["number", "null"], "order": 2}
        }})
    }

    #[test]
    fn both_dialects_are_valid() {
        assert_eq!(run(zuora()), []);
        assert_eq!(
            run(json!({"type": "object", "title": "t", "properties": {"a": {"type": "string"}}})),
            []
        );
    }

    #[test]
    fn broken_schemas_and_dialect_keys() {
        let mut s = zuora();
        s["properties"]["Qty"]["type"] = json!("decimal");
        s["properties"]["Id"]["order"] = json!("first");
        let f = run(s);
        let got: Vec<_> = f.iter().map(|f| (f.code, f.pointer.as_str())).collect();
        assert_eq!(
            got,
            [
                ("MC0110", "/schemas/0/schema/properties/Qty/type"),
                ("MC0110", "/schemas/0/schema/properties/Id/order"),
            ],
            "{f:?}"
        );
    }

    #[test]
    fn event_ids_event_time_and_time_format() {
        let mut s = zuora();
        s["eventIdFields"] = json!(["Id", "Idd"]);
        s["properties"]["Qty"]["eventTime"] = json!(true);
        s["properties"]["At"]["timeFormat"] = json!("yyyy-MM-dd'T");
        let f = run(s);
        let got: Vec<_> = f.iter().map(|f| (f.code, f.pointer.as_str())).collect();
        assert_eq!(
            got,
            [
                ("MC0113", "/schemas/0/schema/eventIdFields/1"),
                ("MC0114", "/schemas/0/schema/properties/Qty/eventTime"),
                ("MC0115", "/schemas/0/schema/properties/At/timeFormat"),
            ],
            "{f:?}"
        );
        assert!(
            f[0].message.contains("did you mean \"Id\""),
            "{}",
            f[0].message
        );
        assert!(f[2].message.contains("quote"), "{}", f[2].message);
    }
}
