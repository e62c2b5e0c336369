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
fn javascript_transforms_and_scripts_run_with_state_and_count_errors() {
    let (code, out, err) = output(meterctl().args([
        "simulate",
        "tests/fixtures/simulate/sms-scripts.yaml",
        "--events",
        "tests/fixtures/simulate/sms-scripts.ndjson",
    ]));
    assert_eq!(code, 0, "{err}");
    let sim: Value = serde_json::from_str(&out).unwrap();
    let counts: Vec<(&str, u64, u64, u64)> = sim["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap();
            (
                c["task"].as_str().unwrap(),
                n("input"),
                n("output"),
                n("errors"),
            )
        })
        .collect();
    // m4 has no DestinationCountry, so `value.toUpperCase()` throws: an error of the MAP. The
    // SCRIPT_MAP makes one record per segment; the SCRIPT_FILTER drops the TEST account.
    assert_eq!(
        counts,
        [
            ("src", 4, 4, 0),
            ("map", 4, 3, 1),
            ("split", 3, 4, 0),
            ("keep", 4, 3, 0),
            ("store", 3, 3, 0)
        ]
    );
    let message = sim["operators"][1]["messages"][0].as_str().unwrap();
    assert!(
        message.starts_with("the formula for DestinationCountry failed: TypeError: "),
        "{message}"
    );
    assert_eq!(
        sim["sinks"][0]["records"],
        json!([
            {"MessageId": "m1", "AccountNumber": "A001", "DestinationCountry": "US", "Segments": 2,
             "ChargeName": "SMS North America", "Segment": 1, "Quantity": 1, "MessageOfAccount": 1},
            {"MessageId": "m1", "AccountNumber": "A001", "DestinationCountry": "US", "Segments": 2,
             "ChargeName": "SMS North America", "Segment": 2, "Quantity": 1, "MessageOfAccount": 1},
            {"MessageId": "m2", "AccountNumber": "A001", "DestinationCountry": "GB", "Segments": 1,
             "ChargeName": "SMS International", "Segment": 1, "Quantity": 1, "MessageOfAccount": 2}
        ])
    );
}

#[test]
fn a_script_that_loops_forever_stops_the_run_naming_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let meter = std::fs::read_to_string("tests/fixtures/simulate/sms-scripts.yaml")
        .unwrap()
        .replace(
            "return !payload.AccountNumber.startsWith(\"TEST\");",
            "while (true) {}",
        );
    let path = dir.path().join("spin.yaml");
    std::fs::write(&path, meter).unwrap();
    let (code, out, err) = output(
        meterctl()
            .arg("simulate")
            .arg(&path)
            .args(["--events", "tests/fixtures/simulate/sms-scripts.ndjson"]),
    );
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("script in task \"Drop test accounts\" (keep) exceeded its 1 s time limit"),
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
