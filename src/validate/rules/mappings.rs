//! Zuora's rules about a task's `metadata.fieldMappings`: the usage and rating sinks
//! (ZUORA_USAGE, ZUORA_RATING) map every required record field with a name and an event field,
//! and every mapping's `dateFormat` (any operator: sinks, BILLING_RATING) is a Java date pattern.

use serde_json::Value;

use super::{
    date_format, get, has, zuora, Finding, TaskRef, INCOMPLETE_FIELD_MAPPING,
    NO_SUBSCRIPTION_OR_CHARGE_MAPPING, UNMAPPED_REQUIRED_FIELD,
};

/// Usage records: the fields Zuora requires (camelCase, as Usage Records stores them).
const USAGE_REQUIRED: &[&str] = &["accountNumber", "quantity", "uom", "startDateTime"];
/// Rating records: PascalCase, and the charge comes from PRPC_id instead of a unit of measure.
const RATING_REQUIRED: &[&str] = &["AccountNumber", "Quantity", "PRPC_id", "StartDateTime"];

pub(super) fn check(task: &TaskRef<'_>, op: Option<&str>, out: &mut Vec<Finding>) {
    let Some(md) = task.metadata else {
        return;
    };
    let list = get(md, "fieldMappings").and_then(Value::as_array);
    for (k, m) in list.into_iter().flatten().enumerate() {
        if let Some(m) = m.as_object() {
            date_format(
                get(m, "dateFormat"),
                "dateFormat",
                || task.at(format_args!("/metadata/fieldMappings/{k}/dateFormat")),
                out,
            );
        }
    }
    let (required, sink) = match op {
        Some("ZUORA_USAGE") => (USAGE_REQUIRED, "usage sink"),
        Some("ZUORA_RATING") => (RATING_REQUIRED, "rating sink"),
        _ => return,
    };
    let list = match get(md, "fieldMappings") {
        Some(Value::Array(list)) => &list[..],
        None | Some(Value::Null) => &[][..],
        Some(_) => return, // the schema reports the wrong type
    };
    let list_pointer = || {
        if md.contains_key("fieldMappings") {
            task.at("/metadata/fieldMappings")
        } else {
            task.at("/metadata")
        }
    };
    for (k, m) in list.iter().enumerate() {
        let Some(m) = m.as_object() else {
            continue;
        };
        for (key, zuora_message, hint) in [
            (
                "name",
                "Field mapping name required",
                "name the record field it fills",
            ),
            (
                "field",
                "Field mapping field required",
                "name the event field it reads",
            ),
        ] {
            if !has(m, key) {
                out.push(Finding::new(
                    INCOMPLETE_FIELD_MAPPING.code,
                    task.at(format_args!("/metadata/fieldMappings/{k}")),
                    zuora(
                        format_args!(
                            "field mapping {} of {sink} {} has no {key}; {hint}",
                            k + 1,
                            task.label()
                        ),
                        zuora_message,
                    ),
                ));
            }
        }
    }
    let mapped = |name: &str| {
        list.iter().any(|m| {
            m.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    };
    for name in required {
        if !mapped(name) {
            out.push(Finding::new(
                UNMAPPED_REQUIRED_FIELD.code,
                list_pointer(),
                zuora(
                    format_args!("{sink} {} does not map {name}; add a field mapping named {name:?} with the event field it comes from", task.label()),
                    format_args!("Required field not mapped: {name}"),
                ),
            ));
        }
    }
    if !mapped("subscriptionNumber") && !mapped("chargeNumber") {
        out.push(Finding::new(
            NO_SUBSCRIPTION_OR_CHARGE_MAPPING.code,
            list_pointer(),
            zuora(
                format_args!("{sink} {} maps neither subscriptionNumber nor chargeNumber, so Zuora has to find the charge from the account alone; map one of them", task.label()),
                "Required field not mapped: subscriptionNumber",
            ),
        ));
    }
}
