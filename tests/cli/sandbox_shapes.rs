//! Every kind of sandbox answer checked against JSON Schemas (2020-12) of the shapes Zuora's
//! official OpenAPI document gives them (`tests/fixtures/zuora/shapes/answers.schema.json`,
//! one `$defs` entry per kind): token, import, export, run, debug, runStatus, stop, summary, and
//! the error envelopes of 400, 401, 404 and 500. The bodies are read raw off the socket, so
//! nothing of the client's leniency hides a wrong shape.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use meterctl::sandbox::{Server, ServerConfig};
use serde_json::{json, Value};

const SHAPES: &str = "tests/fixtures/zuora/shapes/answers.schema.json";

/// A validator for one `$defs` entry of the shapes file.
fn shape(name: &str) -> jsonschema::Validator {
    let mut root: Value = serde_json::from_str(&std::fs::read_to_string(SHAPES).unwrap()).unwrap();
    assert!(root["$defs"].get(name).is_some(), "no shape {name}");
    root["$ref"] = json!(format!("#/$defs/{name}"));
    jsonschema::validator_for(&root).unwrap()
}

/// Asserts that a body has the shape, listing every violation.
fn check(name: &str, status: u16, want_status: u16, body: &Value) {
    assert_eq!(status, want_status, "{name}: {body}");
    let v = shape(name);
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {body}\n{}", errors.join("\n"));
}

/// One raw HTTP exchange: status and JSON body, or `None` when the connection was dropped.
fn raw(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    ct: &str,
    body: &[u8],
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = String::from_utf8_lossy(&buf[9..12]).parse().ok()?;
    Some((status, serde_json::from_slice(&buf[split + 4..]).unwrap()))
}

fn json_call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(body).unwrap()
    };
    raw(base, method, path, token, "application/json", &bytes).expect("an answer")
}

fn token(base: &str) -> (u16, Value) {
    let form = b"grant_type=client_credentials&client_id=sandbox&client_secret=sandbox";
    raw(
        base,
        "POST",
        "/oauth/token",
        None,
        "application/x-www-form-urlencoded",
        form,
    )
    .expect("an answer")
}

fn import(base: &str, token: &str, definition: &Value, global_id: &str) -> (u16, Value) {
    let mut body = Vec::new();
    body.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.json\"\r\nContent-Type: application/json\r\n\r\n");
    body.extend_from_slice(&serde_json::to_vec(definition).unwrap());
    body.extend_from_slice(format!("\r\n--B\r\nContent-Disposition: form-data; name=\"globalId\"\r\n\r\n{global_id}\r\n--B--\r\n").as_bytes());
    raw(
        base,
        "POST",
        "/meters/import",
        Some(token),
        "multipart/form-data; boundary=B",
        &body,
    )
    .expect("an answer")
}

/// A CUSTOM meter in Zuora's dialect; `source` is the source's operatorType.
fn meter(source: &str) -> Value {
    json!({"name": format!("{source} meter"), "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "metadata": {"flowDirection": "vertical"}, "tasks": [
            {"id": "src", "name": "Source", "uniqueName": "a", "internalName": null, "nodeType": "SOURCE",
             "operatorType": source, "metadata": {"schemaId": "ev"}, "predecessors": []},
            {"id": "sink", "name": "Usage", "uniqueName": "b", "internalName": null, "nodeType": "SINK",
             "operatorType": "ZUORA_USAGE", "metadata": {"fieldMappings": [
                {"name": "accountNumber", "field": "a", "required": true},
                {"name": "quantity", "field": "q", "required": true},
                {"name": "uom", "field": "u", "required": true},
                {"name": "startDateTime", "field": "t", "required": true, "dateFormat": "epoch_ms"}]},
             "predecessors": [{"id": "src"}]}]}],
        "schemas": [{"name": "ev", "type": 1, "schema": {"type": "object", "eventIdFields": ["id"], "properties": {
            "id": {"type": "string", "order": 0}, "t": {"type": "datetime", "order": 1, "eventTime": true, "timeFormat": "epoch_ms"}}}}]})
}

#[test]
fn every_sandbox_answer_has_zuoras_shape() {
    let server = Server::start(ServerConfig {
        run_duration: Duration::from_secs(30),
        stop_delay: Duration::from_secs(30),
        ..ServerConfig::default()
    })
    .unwrap();
    let base = server.base_url().to_string();
    let (status, t) = token(&base);
    check("token", status, 200, &t);
    let access = t["access_token"].as_str().unwrap().to_string();
    let tok = Some(access.as_str());

    let (status, body) = import(&base, &access, &meter("LOCAL_FILE"), "g-batch");
    check("import", status, 200, &body);
    let (status, body) = import(&base, &access, &meter("ZUORA_BULK_API"), "g-stream");
    check("import", status, 200, &body);
    let (status, body) = json_call(&base, "GET", "/meters/export/101", tok, &Value::Null);
    check("export", status, 200, &body);

    // Run, its status, a stop, and a second stop that finds nothing running.
    let (status, body) = json_call(
        &base,
        "POST",
        "/meters/run/101/0.0.1",
        tok,
        &json!({"uniqueKey": "k1"}),
    );
    check("run", status, 200, &body);
    assert_eq!(
        (
            body["data"]["status"].as_i64(),
            body["data"]["statusDescription"].as_str()
        ),
        (Some(10), Some("INITIALIZING"))
    );
    let (status, body) = json_call(
        &base,
        "GET",
        "/meters/101/0.0.1/runStatus",
        tok,
        &Value::Null,
    );
    check("runStatus", status, 200, &body);
    let (status, body) = json_call(
        &base,
        "POST",
        "/meters/stop/101/0.0.1?forceStop=false",
        tok,
        &Value::Null,
    );
    check("stop", status, 200, &body);
    let (status, body) = json_call(
        &base,
        "GET",
        "/meters/101/0.0.1/runStatus",
        tok,
        &Value::Null,
    );
    check("runStatus", status, 200, &body);
    assert_eq!(
        body["data"],
        json!({"runStatus": 9, "runStatusDescription": "CANCELED"})
    );
    let (status, body) = json_call(&base, "POST", "/meters/stop/101/0.0.1", tok, &Value::Null);
    check("errors", status, 400, &body);
    assert_eq!(body["errors"][0]["code"], "70002122");

    // A streaming meter: a graceful stop in progress refuses another stop.
    let (status, body) = json_call(&base, "POST", "/meters/run/102/0.0.1", tok, &json!({}));
    check("run", status, 200, &body);
    let (status, body) = json_call(&base, "POST", "/meters/stop/102/0.0.1", tok, &Value::Null);
    check("stop", status, 200, &body);
    let (status, body) = json_call(
        &base,
        "GET",
        "/meters/102/0.0.1/runStatus",
        tok,
        &Value::Null,
    );
    check("runStatus", status, 200, &body);
    assert_eq!(body["data"]["runStatusDescription"], "STOPPING");
    for force in ["true", "false"] {
        let (status, body) = json_call(
            &base,
            "POST",
            &format!("/meters/stop/102/0.0.1?forceStop={force}"),
            tok,
            &Value::Null,
        );
        check("errors", status, 400, &body);
        assert_eq!(body["errors"][0]["code"], "70003043");
    }

    // Debug: the bare session with a string runStatus (the event carries every field the usage
    // sink requires: the sandbox runs the pipeline).
    let event = json!({"id": "1", "t": 1767225600000_i64, "a": "A-1", "q": 2, "u": "Call"});
    let (status, body) = json_call(
        &base,
        "POST",
        "/meters/debug/101/0.0.1",
        tok,
        &json!({"sourceOptions": [{"processorId": "src", "testData": [event]}]}),
    );
    check("debug", status, 200, &body);
    assert_eq!(body["runStatus"], "TESTING_PASSED");

    let (status, body) = json_call(
        &base,
        "POST",
        "/meters/101/summary",
        tok,
        &json!({"groupBy": ["sessionId"]}),
    );
    check("summary", status, 200, &body);

    // 400s.
    let (status, body) = json_call(
        &base,
        "POST",
        "/meters/run/101/0.0.1",
        tok,
        &json!({"uniqueKey": "k1"}),
    );
    check("errors", status, 400, &body);
    let (status, body) = json_call(
        &base,
        "POST",
        "/meters/run/101/0.0.1",
        tok,
        &json!({"runtimeSourceConfigs": [{"sourceType": "LOCAL_FS"}]}),
    );
    check("errors", status, 400, &body);
    let (status, body) = json_call(&base, "POST", "/meters/stop/999/0.0.1", tok, &Value::Null);
    check("errors", status, 400, &body);
    assert_eq!(body["errors"][0]["code"], "70002103");
    let (status, body) = import(&base, &access, &json!({"type": "CUSTOM"}), "g-bad");
    check("errors", status, 400, &body);

    // 401: run answers the errors shape, the others the error shape.
    let (status, body) = json_call(&base, "POST", "/meters/run/101/0.0.1", None, &json!({}));
    check("errors", status, 401, &body);
    assert_eq!(body["errors"][0]["code"], "70002006");
    for (method, path) in [
        ("GET", "/meters/export/101"),
        ("GET", "/meters/101/0.0.1/runStatus"),
        ("POST", "/meters/stop/101/0.0.1"),
        ("POST", "/meters/debug/101/0.0.1"),
        ("POST", "/meters/101/summary"),
    ] {
        let (status, body) = json_call(&base, method, path, Some("expired"), &Value::Null);
        check("error", status, 401, &body);
        assert_eq!(body["error"]["code"], "70002006");
    }
    // 404.
    for path in ["/meters/export/999", "/meters/999/0.0.1/runStatus"] {
        let (status, body) = json_call(&base, "GET", path, tok, &Value::Null);
        check("error", status, 404, &body);
        assert_eq!(body["error"]["code"], "70002103");
    }
}

#[test]
fn a_500_answers_reasons_with_string_codes() {
    let server = Server::start(ServerConfig {
        fail_rate: 1.0,
        seed: 3,
        ..ServerConfig::default()
    })
    .unwrap();
    let base = server.base_url().to_string();
    let mut seen = 0;
    for _ in 0..200 {
        if let Some((500, body)) = raw(
            &base,
            "GET",
            "/meters/export/1",
            None,
            "application/json",
            b"",
        ) {
            check("reasons", 500, 500, &body);
            seen += 1;
        }
    }
    assert!(seen > 10, "only {seen} injected 500s");
}

#[test]
fn the_shapes_refuse_the_answers_the_sandbox_used_to_give() {
    let old_run = json!({"success": true, "data": {"sessionId": "R-000001", "uniqueKey": "k",
        "runStatus": 1, "runStatusDescription": "INITIALIZING"}});
    assert!(!shape("run").is_valid(&old_run));
    let old_debug = json!({"id": 1, "sessionId": "R-000001", "jobId": 1, "meterId": 101, "version": "0.0.1",
        "revision": 1, "runType": 1, "runTypeDescription": "DEBUG", "startTime": "t", "endTime": "t",
        "runStatus": "TESTING_PASSED", "runStatusDescription": "TESTING_PASSED", "canExportSummary": true,
        "hasLineageEnabled": false});
    assert!(!shape("debug").is_valid(&old_debug));
    let old_404 = json!({"success": false, "errors": [{"code": "70002103", "message": "no"}]});
    assert!(!shape("error").is_valid(&old_404));
    let old_500 = json!({"success": false, "errors": [{"code": "70002194", "message": "boom"}]});
    assert!(!shape("reasons").is_valid(&old_500));
    assert!(
        !shape("reasons").is_valid(&json!({"reasons": [{"code": 70002194, "message": "boom"}]}))
    );
    assert!(!shape("runStatus").is_valid(
        &json!({"success": true, "data": {"runStatus": 0, "runStatusDescription": "NEVER_RUN"}})
    ));
}
