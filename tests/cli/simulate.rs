//! `meterctl simulate`: an example meter run locally over an example events file.

use serde_json::{json, Value};

use crate::common::{meterctl, output};

#[test]
fn api_calls_sums_per_account_and_day_and_names_the_missing_start_date() {
    let (code, out, err) = output(meterctl().args([
        "simulate",
        "examples/meters/api-calls.yaml",
        "--events",
        "examples/events/api-requests.ndjson",
        "--version",
        "0.0.1",
    ]));
    assert_eq!(code, 0, "{err}");
    let sim: Value = serde_json::from_str(&out).unwrap();
    let counts: Vec<(u64, u64, u64)> = sim["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap();
            (n("input"), n("output"), n("errors"))
        })
        .collect();
    // Two of account A00000101's events fall on 2026-01-05, one on 2026-01-06.
    assert_eq!(counts, [(4, 4, 0), (4, 3, 0), (3, 0, 3)]);
    // The aggregator keeps groupFields + targetFields only, so RequestTime never reaches the
    // usage sink: every record lacks its required startDateTime.
    let errors = &sim["sinks"][0]["errors"];
    assert_eq!(
        errors[0],
        json!({"record": {"accountNumber": "A00000101", "chargeNumber": "C-00000042",
                          "quantity": 26, "uom": "Call"},
               "error": "missing required field startDateTime (from event field RequestTime)"})
    );
}

#[test]
fn a_javascript_transform_is_an_error_naming_the_task_not_a_silent_pass() {
    let (code, out, err) = output(meterctl().args([
        "simulate",
        "examples/meters/sms-messages.yaml",
        "--events",
        "examples/events/sms-delivery-report.csv",
        "--format",
        "ndjson",
    ]));
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("not simulated yet: JavaScript transform (mapFields[4] → DestinationCountry")
            && err.contains("in task \"Drop phone numbers and name the charge\""),
        "{err}"
    );
}

#[test]
fn an_unknown_version_is_an_error_saying_how_to_fix_it() {
    let (code, _, err) = output(meterctl().args([
        "simulate",
        "examples/meters/api-calls.yaml",
        "--events",
        "examples/events/api-requests.ndjson",
        "--version",
        "9.9.9",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("has no version 9.9.9; give one of its versions with --version"),
        "{err}"
    );
}

/// Events for api-calls.yaml: `n` events over 40 accounts and three days.
fn api_events(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"RequestId": format!("req-{i:07}"), "AccountNumber": format!("A{:08}", i % 40),
                   "ChargeNumber": "C-00000042", "Endpoint": "/v1/orders/{id}", "HttpStatus": 200,
                   "RequestTime": format!("2026-01-0{}T{:02}:12:44", 5 + i % 3, i % 24),
                   "Calls": i % 7, "Unit": "Call", "Padding": "x".repeat(60)})
        })
        .collect()
}

#[test]
fn ndjson_streams_in_chunks_with_the_result_of_the_whole_file() {
    // About 2 MB: more than one chunk of the streaming reader.
    let events = api_events(12_000);
    let dir = tempfile::tempdir().unwrap();
    let ndjson = dir.path().join("events.ndjson");
    let lines: String = events.iter().map(|e| format!("{e}\n")).collect();
    assert!(lines.len() > 1 << 21);
    std::fs::write(&ndjson, lines).unwrap();
    let whole = dir.path().join("events.json");
    std::fs::write(&whole, Value::Array(events).to_string()).unwrap();
    let simulate = |file: &std::path::Path, format: &str| {
        let (code, out, err) = output(
            meterctl()
                .args([
                    "simulate",
                    "examples/meters/api-calls.yaml",
                    "--format",
                    format,
                ])
                .arg("--events")
                .arg(file),
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    let streamed = simulate(&ndjson, "json");
    assert_eq!(streamed, simulate(&whole, "json"));
    let sim: Value = serde_json::from_str(&streamed).unwrap();
    assert_eq!(sim["operators"][0]["input"], 12_000);
    // 40 accounts × 3 days, every record an error record (no startDateTime reaches the sink).
    let errors = sim["sinks"][0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 120);
    let records: Vec<Value> = simulate(&ndjson, "ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 120);
    for (line, e) in records.iter().zip(errors) {
        assert_eq!(line["record"], e["record"]);
        assert_eq!(line["error"], e["error"]);
    }
}

#[test]
fn a_bad_ndjson_line_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let mut text: String = api_events(3).iter().map(|e| format!("{e}\n")).collect();
    text.push_str("\n{\"RequestId\": \"req-9\",}\n");
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = output(
        meterctl()
            .args(["simulate", "examples/meters/api-calls.yaml", "--events"])
            .arg(&file),
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("events.ndjson: line 5: invalid JSON: trailing comma"),
        "{err}"
    );
}
