//! Rules about `latestVersion` and the version list: known latest version, unique and
//! well-formed version strings, and a CUSTOM meter's versions that carry something.

use std::collections::HashMap;

use serde_json::Value;

use super::meter::Meter;
use super::{
    has, is_placeholder, str_field, version_label, versions, zuora, Finding, DUPLICATE_VERSION,
    EMPTY_VERSION, INVALID_VERSION_FORMAT, UNKNOWN_LATEST_VERSION,
};
use crate::model::keys;

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
                zuora(
                    format_args!("version {s:?} appears twice (also versions[{first}]); give each version a unique version string"),
                    "Version already exists",
                ),
            ));
        }
    }
}

/// `^\d+\.\d+\.\d+$`.
fn is_version(s: &str) -> bool {
    let mut parts = 0;
    for part in s.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        parts += 1;
    }
    parts == 3
}

/// Version format (every meter) and version content (CUSTOM meters).
pub(super) fn check(value: &Value, meter: &Meter<'_>, out: &mut Vec<Finding>) {
    for (vi, v) in versions(value) {
        if let Some(s) = str_field(v, "version") {
            if !is_version(s) && !is_placeholder(s) {
                out.push(Finding::new(
                    INVALID_VERSION_FORMAT.code,
                    format!("/versions/{vi}/version"),
                    zuora(
                        format_args!(
                            "version {s:?} is not three dot-separated numbers; write it like 1.0.0"
                        ),
                        "Invalid version format",
                    ),
                ));
            }
        }
        if meter.custom
            && ![keys::TASKS, keys::METADATA, keys::VERSION_DETAIL]
                .iter()
                .any(|k| has(v, k))
        {
            out.push(Finding::new(
                EMPTY_VERSION.code,
                format!("/versions/{vi}"),
                zuora(
                    format_args!("{} of this CUSTOM meter is empty; give it its tasks (or at least a versionDetail)", version_label(vi, v)),
                    "Version must include versionDetail, metadata, or tasks",
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_format_is_three_numbers() {
        for ok in ["0.0.1", "1.0.0", "10.20.300"] {
            assert!(is_version(ok), "{ok}");
        }
        for bad in [
            "1.0",
            "v1.0.0",
            "1.0.0-beta",
            "1..0",
            "1.0.0.0",
            "",
            "1.0.x",
            "１.0.0",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }
}
