//! Rules about `latestVersion` and the version list.

use std::collections::HashMap;

use serde_json::Value;

use super::{str_field, versions, Finding, DUPLICATE_VERSION, UNKNOWN_LATEST_VERSION};

pub(super) fn unknown_latest_version(value: &Value, out: &mut Vec<Finding>) {
    let Some(latest) = value.get("latestVersion").and_then(Value::as_str) else {
        return;
    };
    let known: Vec<&str> = versions(value)
        .filter_map(|(_, v)| str_field(v, "version"))
        .collect();
    if known.is_empty() || known.contains(&latest) {
        return;
    }
    out.push(Finding::new(
        UNKNOWN_LATEST_VERSION.code,
        "/latestVersion",
        format!(
            "latestVersion {latest:?} names no version of this meter (versions: {}); fix latestVersion or add that version",
            known.join(", ")
        ),
    ));
}

pub(super) fn duplicate_version(value: &Value, out: &mut Vec<Finding>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (vi, v) in versions(value) {
        let Some(s) = str_field(v, "version") else {
            continue;
        };
        if let Some(first) = seen.insert(s, vi) {
            seen.insert(s, first);
            out.push(Finding::new(
                DUPLICATE_VERSION.code,
                format!("/versions/{vi}/version"),
                format!("version {s:?} appears twice (also versions[{first}]); give each version a unique version string"),
            ));
        }
    }
}
