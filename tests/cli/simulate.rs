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
fn sms_messages_runs_its_javascript_map_and_stops_at_the_lookup_naming_it() {
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
        err.contains("not simulated yet: the SUBSCRIPTION_LOOKUP operator in task \"Find subscription and charge\""),
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
