//! The JSON report of `meterctl diff --format json` (`format_version` 1):
//! `{format_version, has_changes, summary{added, removed, changed, unchanged}, meters[{key, name,
//! status, left, right, changes[{path, pointer_left, pointer_right, kind, old, new}]}]}`.
//! Unchanged meters are listed too (with no changes), so a consumer sees every pairing.

use serde_json::{json, Value};

use crate::diff::{Change, DiffReport, MeterDiff};

/// The version of this report's shape.
pub const FORMAT_VERSION: u32 = 1;

fn change(c: &Change) -> Value {
    json!({
        "path": c.path,
        "pointer_left": c.pointer_left,
        "pointer_right": c.pointer_right,
        "kind": c.kind.as_str(),
        "old": c.old,
        "new": c.new,
    })
}

fn meter(m: &MeterDiff) -> Value {
    json!({
        "key": m.key,
        "name": m.name,
        "status": m.status.as_str(),
        "left": m.left,
        "right": m.right,
        "changes": m.changes.iter().map(change).collect::<Vec<_>>(),
    })
}

/// The report as a JSON value.
pub fn to_value(report: &DiffReport) -> Value {
    let s = report.summary();
    json!({
        "format_version": FORMAT_VERSION,
        "has_changes": report.has_changes(),
        "summary": {"added": s.added, "removed": s.removed, "changed": s.changed, "unchanged": s.unchanged},
        "meters": report.meters.iter().map(meter).collect::<Vec<_>>(),
    })
}

/// The report as pretty JSON, ending with a newline.
pub fn format(report: &DiffReport) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).expect("JSON values serialize");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_report_has_the_documented_shape() {
        let v = to_value(&DiffReport::default());
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["format_version", "has_changes", "summary", "meters"]);
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["has_changes"], false);
    }
}
