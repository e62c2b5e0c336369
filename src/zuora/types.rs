//! Request and response types of the Meters calls (reference section 2). Responses are kept as
//! the `serde_json::Value` Zuora sent, so commands can print them as they came, with typed
//! accessors for what meterctl itself reads.

use serde::Serialize;
use serde_json::Value;

/// Body of `POST /meters/run/{meterId}/{version}`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    /// Idempotency key: a retry with the same key never starts a second run.
    pub unique_key: String,
    /// Per-run source overrides (preferred by Zuora; item keys are not documented, so they pass
    /// through as given).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtime_source_configs: Vec<Value>,
    /// Legacy: the uploaded file for an Upload File source.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_options: Vec<SourceOption>,
    /// Legacy: the date window of an Event Store source.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_store_source_options: Vec<EventStoreSourceOption>,
}

/// One `sourceOptions[]` item of a run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceOption {
    /// The source operator's id.
    pub processor_id: String,
    /// The uploaded file's id (`POST /meters/files`).
    pub local_file_id: String,
}

/// One `eventStoreSourceOptions[]` item.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventStoreSourceOption {
    /// The source operator's id.
    pub processor_id: String,
    /// Window start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Window end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
}

/// Body of `POST /meters/debug/{meterId}/{version}`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugRequest {
    /// Test input per source operator.
    pub source_options: Vec<DebugSourceOption>,
}

/// One `sourceOptions[]` item of a test run.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugSourceOption {
    /// The source operator's id.
    pub processor_id: String,
    /// Events shaped like the meter's event schema.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test_data: Vec<Value>,
    /// An uploaded file instead of inline events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_file_id: Option<i64>,
}

/// Body of `POST /meters/{meterId}/summary`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryQuery {
    /// `NORMAL` or `DEBUG`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_type: Option<String>,
    /// Sessions (`R-00002247`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub session_ids: Vec<String>,
    /// Operator ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operator_ids: Vec<String>,
    /// `sessionId`, `processorId`, `errorCode`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    /// Window start (Zuora's loose format, e.g. `2025-10-01T0000+0000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_from_time: Option<String>,
    /// Window end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_to_time: Option<String>,
}

/// What `run` did.
#[derive(Debug, Clone)]
pub struct RunStarted {
    /// The key sent.
    pub unique_key: String,
    /// True when Zuora said the key was used before: the run had already started (an earlier
    /// attempt timed out after starting it), and nothing new was started.
    pub already_started: bool,
    /// The response's `data`, when there was one.
    pub data: Option<Value>,
}

/// Zuora's runStatus table (reference dialect §2): the integer `runStatus` of the runStatus
/// answer, the run answer's `status` and the import answer's `*VersionRunStatus`, with its
/// description. The one table client and sandbox share.
pub const RUN_STATUSES: &[(i64, &str)] = &[
    (1, "NEVER_RUN"),
    (2, "TESTING"),
    (3, "TESTING_FAILED"),
    (4, "TESTING_PASSED"),
    (5, "RUNNING"),
    (6, "PAUSED"),
    (7, "COMPLETED"),
    (8, "FAILED"),
    (9, "CANCELED"),
    (10, "INITIALIZING"),
    (11, "USAGE_PUSHING"),
    (12, "PUSH_COMPLETED"),
    (13, "CONSUME_COMPLETED"),
];

/// Final statuses for `--wait` (Zuora does not say which are final; this is the reference's
/// reading). Keyed on the description: unknown descriptions are not final.
pub const TERMINAL_STATUSES: &[&str] = &[
    "COMPLETED",
    "FAILED",
    "CANCELED",
    "TESTING_PASSED",
    "TESTING_FAILED",
    "PUSH_COMPLETED",
    "CONSUME_COMPLETED",
];

/// Final statuses that are failures (exit 1).
pub const FAILURE_STATUSES: &[&str] = &["FAILED", "CANCELED", "TESTING_FAILED"];

/// Zuora's `runType` table: 1 NORMAL, 2 DEBUG.
pub const RUN_TYPES: &[(i64, &str)] = &[(1, "NORMAL"), (2, "DEBUG")];

/// The description of a runStatus code (`None` for codes outside the table).
pub fn run_status_description(code: i64) -> Option<&'static str> {
    RUN_STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
}

/// The runStatus code of a description (`CANCELLED` and `Testing passed` spellings accepted).
pub fn run_status_code(description: &str) -> Option<i64> {
    let d = normalize(description);
    RUN_STATUSES.iter().find(|(_, x)| *x == d).map(|(c, _)| *c)
}

/// The runType code of `NORMAL` or `DEBUG`.
pub fn run_type_code(description: &str) -> Option<i64> {
    let d = normalize(description);
    RUN_TYPES.iter().find(|(_, x)| *x == d).map(|(c, _)| *c)
}

/// A run status (`data` of `GET .../runStatus`, or a session object).
#[derive(Debug, Clone)]
pub struct RunStatus {
    /// The `data` object as it came.
    pub data: Value,
}

impl RunStatus {
    /// `runStatusDescription`, else a string `runStatus` (the debug answer), else the
    /// description of an integer `runStatus` or `status` from Zuora's table.
    pub fn description(&self) -> &str {
        let d = &self.data;
        d["runStatusDescription"]
            .as_str()
            .or_else(|| d["statusDescription"].as_str())
            .or_else(|| d["runStatus"].as_str())
            .or_else(|| {
                d["runStatus"]
                    .as_i64()
                    .or_else(|| d["status"].as_i64())
                    .and_then(run_status_description)
            })
            .unwrap_or("UNKNOWN")
    }

    /// The integer `runStatus` (or `status`) as it came, else the table's code for the
    /// description (the debug answer's `runStatus` is a string).
    pub fn code(&self) -> Option<i64> {
        self.data["runStatus"]
            .as_i64()
            .or_else(|| self.data["status"].as_i64())
            .or_else(|| run_status_code(self.description()))
    }

    /// Whether the status is final (see [`TERMINAL_STATUSES`]; unknown statuses are not).
    pub fn is_terminal(&self) -> bool {
        is_terminal(self.description())
    }

    /// FAILED, CANCELED, TESTING_FAILED.
    pub fn is_failure(&self) -> bool {
        is_failure(self.description())
    }

    /// `COMPLETED (runStatus 7)`: the description with its code, when there is one.
    pub fn label(&self) -> String {
        match self.code() {
            Some(c) => format!("{} (runStatus {c})", self.description()),
            None => self.description().to_string(),
        }
    }
}

/// Whether a status description is final.
pub fn is_terminal(description: &str) -> bool {
    let d = normalize(description);
    TERMINAL_STATUSES.contains(&d.as_str())
}

/// Whether a status description is a failure.
pub fn is_failure(description: &str) -> bool {
    let d = normalize(description);
    FAILURE_STATUSES.contains(&d.as_str())
}

/// Upper snake case, with Zuora's British `CANCELLED` read as `CANCELED`.
fn normalize(s: &str) -> String {
    let d = s.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    if d == "CANCELLED" {
        "CANCELED".into()
    } else {
        d
    }
}

/// A file to upload with `POST /meters/files`.
#[derive(Debug, Clone)]
pub struct Upload {
    /// File name (its extension tells Zuora the format).
    pub name: String,
    /// Bytes.
    pub bytes: Vec<u8>,
    /// CSV: whether the first row is a header.
    pub has_header: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_and_bodies() {
        let s = RunStatus {
            data: json!({"runStatus": 8, "runStatusDescription": "FAILED"}),
        };
        assert!(s.is_terminal() && s.is_failure());
        assert_eq!(s.code(), Some(8));
        assert_eq!(s.label(), "FAILED (runStatus 8)");
        // The debug answer: a string runStatus; its code comes from the table.
        let d = RunStatus {
            data: json!({"runStatus": "TESTING_PASSED", "runStatusDescription": "TESTING_PASSED"}),
        };
        assert_eq!(d.label(), "TESTING_PASSED (runStatus 4)");
        // The run answer: `status` and `statusDescription`.
        let r = RunStatus {
            data: json!({"status": 10, "statusDescription": "INITIALIZING"}),
        };
        assert_eq!((r.description(), r.code()), ("INITIALIZING", Some(10)));
        // Only a code: the table names it.
        let c = RunStatus {
            data: json!({"runStatus": 7}),
        };
        assert_eq!(c.description(), "COMPLETED");
        assert!(c.is_terminal() && !c.is_failure());
        for (code, desc) in RUN_STATUSES {
            assert_eq!(run_status_code(desc), Some(*code));
            assert_eq!(run_status_description(*code), Some(*desc));
        }
        assert_eq!(run_status_description(14), None);
        assert_eq!(run_status_code("Cancelled"), Some(9));
        assert_eq!(run_type_code("DEBUG"), Some(2));
        for t in ["PUSH_COMPLETED", "CONSUME_COMPLETED", "TESTING_FAILED"] {
            assert!(is_terminal(t), "{t}");
        }
        for t in [
            "RUNNING",
            "PAUSED",
            "STOPPING",
            "INITIALIZING",
            "USAGE_PUSHING",
            "TESTING",
        ] {
            assert!(!is_terminal(t), "{t}");
        }
        assert!(!is_terminal("RUNNING") && !is_terminal("SOMETHING_NEW"));
        assert!(is_terminal("Testing passed") && !is_failure("Testing passed"));
        let body = serde_json::to_value(RunRequest {
            unique_key: "k".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(body, json!({"uniqueKey": "k"}));
        let q = serde_json::to_value(SummaryQuery {
            group_by: vec!["sessionId".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q, json!({"groupBy": ["sessionId"]}));
    }
}
