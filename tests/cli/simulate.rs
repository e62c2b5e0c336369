//! `meterctl simulate`: an example meter run locally over an example events file.

use serde_json::{json, Value};

use crate::common::{meterctl, output};

#[test]
fn api_calls_sums_per_account_and_day_with_the_first_request_time() {
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
    assert_eq!(counts, [(4, 4, 0), (4, 3, 0), (3, 3, 0)]);
    // The aggregator keeps RequestTime (extraKeepFields) from each group's first event, so the
    // usage record has its required startDateTime; INTERNAL keys are Zuora's, so none is shown.
    assert_eq!(
        sim["sinks"][0]["records"][0],
        json!({"accountNumber": "A00000101", "chargeNumber": "C-00000042", "quantity": 26,
               "uom": "Call", "startDateTime": "2026-01-05T09:12:44.000+0000"})
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

#[test]
fn a_lookup_without_its_table_stops_the_run_naming_task_and_table() {
    // api-calls with a subscription lookup between the aggregator and the sink.
    let mut meter =
        meterctl::load::load_file(std::path::Path::new("examples/meters/api-calls.yaml"))
            .unwrap()
            .value;
    let tasks = meter["versions"][0]["tasks"].as_array_mut().unwrap();
    let aggregator = tasks[1]["id"].clone();
    tasks.push(
        json!({"id": "look", "name": "Find subscription", "nodeType": "PROCESSOR",
        "operatorType": "SUBSCRIPTION_LOOKUP", "predecessors": [{"id": aggregator}],
        "metadata": {"lookupType": "SubscriptionId", "subscriptionIdField": "ChargeNumber"}}),
    );
    tasks[2]["predecessors"] = json!([{"id": "look"}]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-calls.json");
    std::fs::write(&path, meter.to_string()).unwrap();
    let (code, out, err) = output(meterctl().args([
        "simulate",
        path.to_str().unwrap(),
        "--events",
        "examples/events/api-requests.ndjson",
    ]));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains(
            "no lookups.subscriptions table was given (write rows such as {subscriptionNumber: S-1"
        ) && err.contains("in task \"Find subscription\" (look) (SUBSCRIPTION_LOOKUP)"),
        "{err}"
    );
}

#[test]
fn table_format_shows_each_sink_and_an_accumulators_running_totals() {
    let meter = json!({"name": "Running", "type": "CUSTOM", "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "tasks": [
            {"id": "src", "name": "Upload", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE",
             "metadata": {}, "predecessors": []},
            {"id": "acc", "name": "Running total", "nodeType": "PROCESSOR", "operatorType": "ACCUMULATOR",
             "metadata": {"groupFields": ["Account"], "sortField": "Seq", "order": "ASC",
                          "aggregationFields": [{"field": "Qty", "aggregation": "SUM", "targetField": "Total"}]},
             "predecessors": [{"id": "src"}]},
            {"id": "s3", "name": "Archive", "nodeType": "SINK", "operatorType": "S3",
             "metadata": {}, "predecessors": [{"id": "acc"}]},
            {"id": "noop", "name": "Drop", "nodeType": "SINK", "operatorType": "NOOP",
             "metadata": {}, "predecessors": [{"id": "acc"}]}]}]});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("running.json");
    std::fs::write(&path, meter.to_string()).unwrap();
    let events = dir.path().join("events.ndjson");
    std::fs::write(
        &events,
        "{\"Account\": \"A1\", \"Seq\": 2, \"Qty\": 5}\n{\"Account\": \"A1\", \"Seq\": 1, \"Qty\": 10}\n\
         {\"Account\": \"A2\", \"Seq\": 1, \"Qty\": 1, \"Note\": \"new\"}\n",
    )
    .unwrap();
    let (code, out, err) = output(
        meterctl()
            .arg("simulate")
            .arg(&path)
            .arg("--events")
            .arg(&events)
            .args(["--format", "table"]),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Archive (S3, task s3): 3 records, 0 errors\n\
         \x20 Account  Seq  Total  Note\n\
         \x20 A1       1    10\n\
         \x20 A1       2    15\n\
         \x20 A2       1    1      new\n\
         \n\
         Drop (NOOP, task noop): 0 records, 0 errors\n"
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
    // 40 accounts × 3 days, one usage record each.
    let records = sim["sinks"][0]["records"].as_array().unwrap();
    assert_eq!(records.len(), 120);
    assert!(sim["sinks"][0]["errors"].as_array().unwrap().is_empty());
    let lines: Vec<Value> = simulate(&ndjson, "ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 120);
    for (line, record) in lines.iter().zip(records) {
        assert_eq!(&line["record"], record);
        assert!(line.get("error").is_none(), "{line}");
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

#[test]
fn lookups_come_from_a_tables_file_or_a_test_case() {
    let run = |lookups: &str| {
        output(meterctl().args([
            "simulate",
            "examples/meters/active-seats.yaml",
            "--events",
            "examples/events/seat-snapshots.ndjson",
            "--format",
            "json",
            "--lookups",
            lookups,
        ]))
    };
    // A test case's lookups: block.
    let (code, out, err) = run("examples/tests/active-seats.test.yaml");
    assert_eq!(code, 0, "{err}");
    let sim: Value = serde_json::from_str(&out).unwrap();
    let usage = sim["sinks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["operator"] == "ZUORA_USAGE");
    assert_eq!(usage.unwrap()["records"].as_array().unwrap().len(), 3);
    // A bare tables file; a list is refused, naming the file.
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables.yaml");
    std::fs::write(&tables, "subscriptions: []\n").unwrap();
    let (code, out, err) = run(tables.to_str().unwrap());
    assert_eq!(code, 0, "{err}");
    let sim: Value = serde_json::from_str(&out).unwrap();
    let lookup = sim["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operator"] == "SUBSCRIPTION_LOOKUP");
    assert!(lookup.unwrap()["errors"].as_u64().unwrap() > 0, "{sim}");
    std::fs::write(&tables, "- a\n").unwrap();
    let (code, _, err) = run(tables.to_str().unwrap());
    assert_eq!(code, 2);
    assert!(
        err.contains("tables.yaml: the lookup tables must be a mapping"),
        "{err}"
    );
}
