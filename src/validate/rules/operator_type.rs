//! `operatorType` must be one Zuora's operator catalogue knows (MC0112, a warning that names the
//! closest known operator type). Whether a known operator type fits its `nodeType` is another
//! rule's business; so is `nodeType` itself (MC0109).

use serde_json::Value;

use super::{str_field, tasks, versions, Finding, UNKNOWN_OPERATOR_TYPE};
use crate::model::catalogue::{self, OPERATORS};
use crate::model::keys;

/// Names from older documentation and earlier meterctl examples, with what Zuora stores instead.
const FORMER_NAMES: &[(&str, &str)] = &[
    ("STREAMING_API", "ZUORA_BULK_API"),
    ("LOCAL_FS", "LOCAL_FILE"),
    ("USAGE_RECORDS", "ZUORA_USAGE"),
    ("EMPTY_SINK", "NOOP"),
    ("DEDUPLICATOR", "DEDUPLICATE"),
    ("ENRICHMENT", "SUBSCRIPTION_LOOKUP"),
    ("ADVANCED_TRANSFORMER", "SCRIPT_MAP"),
];

/// Upper case with `-` and spaces as `_`: `Usage Records` → `USAGE_RECORDS`.
fn normalise(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// The known operator type closest to `name`, preferring those valid for `node_type`.
pub(crate) fn closest_operator_type(name: &str, node_type: Option<&str>) -> &'static str {
    let norm = normalise(name);
    let fits = |op: &str| match node_type {
        Some(n) if catalogue::is_node_type(n) => catalogue::node_types_of(op).any(|m| m == n),
        _ => true,
    };
    if let Some((_, to)) = FORMER_NAMES.iter().find(|(from, _)| *from == norm) {
        return to;
    }
    let by_name = OPERATORS
        .iter()
        .find(|o| o.operator_type == norm || normalise(o.label) == norm);
    if let Some(o) = by_name {
        return o.operator_type;
    }
    OPERATORS
        .iter()
        .map(|o| {
            let d = crate::validate::suggest::edit_distance(&norm, o.operator_type).min(
                crate::validate::suggest::edit_distance(&norm, &normalise(o.label)),
            );
            (!fits(o.operator_type), d, o.operator_type)
        })
        .min()
        .map_or("ZUORA_BULK_API", |(_, _, op)| op)
}

pub(super) fn unknown_operator_type(value: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in versions(value) {
        for (ti, t) in tasks(v) {
            let Some(op) = str_field(t, keys::OPERATOR_TYPE) else {
                continue;
            };
            if catalogue::is_operator_type(op) {
                continue;
            }
            let node = str_field(t, keys::NODE_TYPE);
            let closest = closest_operator_type(op, node);
            out.push(Finding::new(
                UNKNOWN_OPERATOR_TYPE.code,
                format!("/versions/{vi}/tasks/{ti}/operatorType"),
                format!(
                    "operatorType {op:?} is not in Zuora's operator catalogue; did you mean {closest:?}? (its metadata is not checked)"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_known_operator_types() {
        assert_eq!(
            closest_operator_type("STREAMING_API", None),
            "ZUORA_BULK_API"
        );
        assert_eq!(
            closest_operator_type("BILLING-RATING", None),
            "BILLING_RATING"
        );
        assert_eq!(
            closest_operator_type("Usage Records", Some("SINK")),
            "ZUORA_USAGE"
        );
        assert_eq!(closest_operator_type("FILTRE", Some("PROCESSOR")), "FILTER");
        assert_eq!(closest_operator_type("NOOPS", Some("SINK")), "NOOP");
        assert_eq!(
            closest_operator_type("CURRENCY-LOOKUP", None),
            "CURRENCY_LOOKUP"
        );
    }

    #[test]
    fn only_unknown_operator_types_are_reported() {
        let v = serde_json::json!({"versions": [{"tasks": [
            {"nodeType": "SOURCE", "operatorType": "ZUORA_USAGE"},
            {"nodeType": "SINK", "operatorType": "USAGE_RECORDS"},
            {"nodeType": "SINK"}
        ]}]});
        let mut out = Vec::new();
        unknown_operator_type(&v, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].pointer, "/versions/0/tasks/1/operatorType");
        assert!(out[0].message.contains("did you mean \"ZUORA_USAGE\""));
    }
}
