//! Task references to the file's event definitions: in an import or export file a task's
//! `metadata.schemaId` / `metadata.schemaName` (sources, script operators, an EVENT_STORE sink's
//! `schemaId`) is the event definition's *name*, so when `schemas[]` is non-empty it must name
//! one of them. Names compare with and without the `(N)` id suffix Zuora appends, and a bare
//! numeric reference may name the suffix. Placeholders are never checked. Store names
//! (`storeId`) are not checked: stores are not part of a meter file.

use serde_json::Value;

use super::meter::Meter;
use super::{get, is_placeholder, Finding, TaskRef, UNKNOWN_EVENT_DEFINITION};
use crate::model::strip_id_suffix;

pub(super) fn check(task: &TaskRef<'_>, meter: &Meter<'_>, out: &mut Vec<Finding>) {
    let Some(md) = task.metadata else {
        return;
    };
    if meter.schemas.is_empty() {
        return;
    }
    for key in ["schemaId", "schemaName"] {
        let Some(Value::String(s)) = get(md, key) else {
            continue;
        };
        if is_placeholder(s) || names_a_schema(meter.schemas, s) {
            continue;
        }
        let mut known = String::new();
        for name in meter
            .schemas
            .iter()
            .filter_map(|d| d.get("name").and_then(Value::as_str))
        {
            if !known.is_empty() {
                known.push_str(", ");
            }
            known.push_str(&format!("{name:?}"));
        }
        out.push(Finding::new(
            UNKNOWN_EVENT_DEFINITION.code,
            task.at(format_args!("/metadata/{key}")),
            format!(
                "task {} reads event definition {s:?}, but schemas[] has no event definition of that name (it has {known}); fix the {key} or add the event definition (Zuora resolves {key} by name on import)",
                task.label()
            ),
        ));
    }
}

/// Whether `reference` names one of `schemas[]`.
fn names_a_schema(schemas: &[Value], reference: &str) -> bool {
    let bare = strip_id_suffix(reference);
    schemas
        .iter()
        .filter_map(|d| d.get("name").and_then(Value::as_str))
        .any(|name| {
            let base = strip_id_suffix(name);
            name == reference
                || base == bare
                || (base.len() < name.len() && id_suffix(name) == Some(reference))
        })
}

/// `usage(100)` → `100`.
fn id_suffix(name: &str) -> Option<&str> {
    name.strip_suffix(')')
        .and_then(|n| n.rsplit_once('('))
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_match_with_and_without_the_id_suffix() {
        let schemas = [json!({"name": "usage(100)"}), json!({"name": "rides"})];
        for ok in [
            "usage(100)",
            "usage",
            "usage(7)",
            "100",
            "rides",
            "rides(3)",
        ] {
            assert!(names_a_schema(&schemas, ok), "{ok}");
        }
        for bad in ["Usage", "usage-events", "101", "ride", ""] {
            assert!(!names_a_schema(&schemas, bad), "{bad}");
        }
    }
}
