//! `apply --format json`: the outcome of every meter, for scripts.
//!
//! `{"format_version": 1, "environment", "dry_run", "summary": {"created", "updated",
//! "unchanged", "failed", "skipped"}, "meters": [{"global_id", "name", "outcome", "meter_id",
//! "error"?}]}`. Progress, notes and errors stay on stderr, so stdout is this document only.

use serde_json::{json, Value};

use crate::promote::apply::ApplyOutcome;

/// The document for one apply (or dry run) to `environment`.
pub fn json(environment: &str, outcome: &ApplyOutcome, dry_run: bool) -> Value {
    json!({
        "format_version": 1,
        "environment": environment,
        "dry_run": dry_run,
        "summary": {
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "failed": outcome.failed.len(),
            "skipped": outcome.skipped,
        },
        "meters": outcome.meters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promote::apply::MeterOutcome;

    #[test]
    fn failed_meters_carry_their_error() {
        let o = ApplyOutcome {
            failed: vec![("g".into(), "HTTP 500".into())],
            meters: vec![MeterOutcome {
                global_id: "g".into(),
                name: "N".into(),
                outcome: "failed",
                meter_id: None,
                error: Some("HTTP 500".into()),
            }],
            ..Default::default()
        };
        let v = json("production", &o, false);
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["meters"][0]["outcome"], "failed");
        assert_eq!(v["meters"][0]["error"], "HTTP 500");
        assert_eq!(v["meters"][0]["meter_id"], Value::Null);
    }
}
