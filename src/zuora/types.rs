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

/// A run status (`data` of `GET .../runStatus`).
#[derive(Debug, Clone)]
pub struct RunStatus {
    /// The `data` object as it came.
    pub data: Value,
}

impl RunStatus {
    /// `runStatusDescription` (what meterctl keys on; the integer table is not documented).
    pub fn description(&self) -> &str {
        self.data["runStatusDescription"]
            .as_str()
            .or_else(|| self.data["runStatus"].as_str())
            .unwrap_or("UNKNOWN")
    }

    /// The integer `runStatus`, when numeric.
    pub fn code(&self) -> Option<i64> {
        self.data["runStatus"].as_i64()
    }

    /// COMPLETED, FAILED, CANCELED, TESTING_PASSED, TESTING_FAILED (unknown statuses are not
    /// terminal).
    pub fn is_terminal(&self) -> bool {
        is_terminal(self.description())
    }

    /// FAILED, CANCELED, TESTING_FAILED.
    pub fn is_failure(&self) -> bool {
        is_failure(self.description())
    }
}

/// Whether a status description is final.
pub fn is_terminal(description: &str) -> bool {
    matches!(
        normalize(description).as_str(),
        "COMPLETED" | "FAILED" | "CANCELED" | "CANCELLED" | "TESTING_PASSED" | "TESTING_FAILED"
    )
}

/// Whether a status description is a failure.
pub fn is_failure(description: &str) -> bool {
    matches!(
        normalize(description).as_str(),
        "FAILED" | "CANCELED" | "CANCELLED" | "TESTING_FAILED"
    )
}

fn normalize(s: &str) -> String {
    s.trim().to_ascii_uppercase().replace([' ', '-'], "_")
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
            data: json!({"runStatus": 4, "runStatusDescription": "FAILED"}),
        };
        assert!(s.is_terminal() && s.is_failure());
        assert_eq!(s.code(), Some(4));
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
