//! The sandbox and the client as libraries: token refresh on 401, rate limiting, concurrency,
//! persistence, Zuora's error shapes and gzip, without going through the binary.

use crate::common::read_request;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use meterctl::sandbox::{Server, ServerConfig};
use meterctl::zuora::types::{RunRequest, RunStarted, SummaryQuery};
use meterctl::zuora::{Client, ClientConfig, Credentials, RetryPolicy, Secret, ZuoraError};
use serde_json::{json, Value};

fn client(server: &Server) -> Client {
    client_with(server, "sandbox")
}

fn client_with(server: &Server, secret: &str) -> Client {
    Client::new(ClientConfig {
        base_url: server.base_url().to_string(),
        credentials: Credentials {
            client_id: "sandbox".into(),
            client_secret: Secret::new(secret),
        },
        entity_ids: None,
        org_ids: None,
        track_id: "test-track".into(),
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_elapsed: Duration::from_secs(10),
        },
        verbose: false,
    })
    .unwrap()
}

/// A CUSTOM meter in Zuora's dialect: an upload source and a NOOP sink.
fn definition(name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "name": name,
        "type": "CUSTOM",
        "typeDefinition": null,
        "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "metadata": {"flowDirection": "vertical"}, "tasks": [
            {"id": "src", "name": "Upload File", "uniqueName": "a", "internalName": null, "nodeType": "SOURCE",
             "operatorType": "LOCAL_FILE", "metadata": {"schemaId": "e", "schemaName": "e"}, "predecessors": []},
            {"id": "sink", "name": "Empty Sink", "uniqueName": "b", "internalName": null, "nodeType": "SINK",
             "operatorType": "NOOP", "metadata": {}, "predecessors": [{"id": "src"}]}
        ]}],
        "schemas": [{"name": "e(1)", "type": 1, "schema": {"type": "object", "required": ["q"], "description": "x".repeat(2000)}}]
    }))
    .unwrap()
}

/// One raw HTTP exchange: (status, lowercase headers, body).
fn raw(server: &Server, request: &str) -> (u16, String, Vec<u8>) {
    let addr = server.base_url().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    (status, head, buf[split + 4..].to_vec())
}

/// The body deadline is an idle timeout, not a total one: a body that pauses longer than it is
/// answered 408 with Zuora's envelope, while one sent slowly but steadily (longer in total than
/// the idle timeout) is served. A 60 MB upload on a busy CI machine used to hit a 30 s total.
#[test]
fn a_stalled_body_is_408_but_a_slow_steady_one_is_served() {
    let server = Server::start(ServerConfig {
        body_idle_timeout: std::time::Duration::from_millis(700),
        ..ServerConfig::default()
    })
    .unwrap();
    let addr = server.base_url().trim_start_matches("http://").to_string();
    let head = "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n";
    let form = "grant_type=client_credentials&client_id=sandbox&client_secret=sandbox";

    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "{head}Content-Length: {}\r\n\r\n{}",
        form.len(),
        &form[..10]
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("no body data arrived"), "{text}");

    let mut s = TcpStream::connect(&addr).unwrap();
    write!(s, "{head}Content-Length: {}\r\n\r\n", form.len()).unwrap();
    for piece in form.as_bytes().chunks(12) {
        std::thread::sleep(std::time::Duration::from_millis(250));
        s.write_all(piece).unwrap();
    }
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("access_token"), "{text}");
}

#[test]
fn a_revoked_token_is_refreshed_once_on_401() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let c = client(&server);
    let data = c.import("m.json", &definition("M"), Some("g-1")).unwrap();
    assert_eq!(data["id"], 101);
    server.revoke_tokens();
    // The cached token is now refused; the client fetches a new one and succeeds.
    let exported = c.export("101").unwrap();
    assert_eq!(exported["name"], "M");
    let status = c.run_status("101", "0.0.1").unwrap();
    assert_eq!(status.description(), "NEVER_RUN");
}

#[test]
fn wrong_secret_is_an_auth_error_that_hides_the_secret() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let e = client_with(&server, "not-the-secret-123")
        .export("1")
        .unwrap_err();
    assert!(matches!(e, ZuoraError::Auth { status: 401, .. }), "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(!text.contains("not-the-secret-123"), "{text}");
    assert!(e.codes().contains(&"70002006"));
}

#[test]
fn unauthenticated_calls_get_zuoras_401_shapes() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let (status, _, body) = raw(
        &server,
        "GET /meters/export/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n",
    );
    assert_eq!(status, 401);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], "70002006");
    assert!(v.get("data").is_some_and(Value::is_null), "{v}");
    // Run's 401 is the `errors` shape.
    let (status, _, body) = raw(
        &server,
        "POST /meters/run/1/0.0.1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 401);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["errors"][0]["code"], "70002006");
    // Upload answers the bare {message} shape.
    let (status, _, body) = raw(
        &server,
        "POST /meters/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 401);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["message"].is_string() && v.get("errors").is_none(), "{v}");
    // The token endpoint: wrong grant type.
    let form = "grant_type=password&client_id=sandbox&client_secret=sandbox";
    let (status, _, _) = raw(
        &server,
        &format!("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}", form.len()),
    );
    assert_eq!(status, 400);
}

#[test]
fn large_answers_are_gzipped_and_track_ids_echoed() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let c = client(&server);
    c.import("m.json", &definition("Big"), Some("g")).unwrap();
    let form = "grant_type=client_credentials&client_id=sandbox&client_secret=sandbox";
    let (_, _, body) = raw(
        &server,
        &format!(
            "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    let token: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(token["token_type"], "bearer");
    assert!(token["expires_in"].as_u64().unwrap() > 3000);
    let (status, head, body) = raw(
        &server,
        &format!(
            "GET /meters/export/101 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nAccept-Encoding: gzip\r\nZuora-Track-Id: t-1\r\n\r\n",
            token["access_token"].as_str().unwrap()
        ),
    );
    assert_eq!(status, 200);
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("zuora-track-id: t-1"), "{head}");
    assert!(head.contains("zuora-request-id: "), "{head}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("\"Big\""));
    // And the client decompresses transparently.
    assert_eq!(c.export("101").unwrap()["name"], "Big");
}

#[test]
fn rpm_limits_each_tenant_with_ratelimit_headers() {
    let server = Server::start(ServerConfig {
        rpm: Some(3),
        ..ServerConfig::default()
    })
    .unwrap();
    let c = Client::new(ClientConfig {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..client(&server).config().clone()
    })
    .unwrap();
    for _ in 0..3 {
        let e = c.export("999").unwrap_err();
        assert_eq!(e.status(), Some(404));
    }
    let e = c.export("999").unwrap_err();
    assert_eq!(e.status(), Some(429), "{e}");
    assert!(e.codes().contains(&"70002005"), "{e}");
    assert!(e.to_string().contains("rate limit"), "{e}");
    // The raw answer carries Retry-After and the ratelimit-* headers.
    let form = "grant_type=client_credentials&client_id=sandbox&client_secret=sandbox";
    let (_, _, body) = raw(
        &server,
        &format!(
            "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    let token: Value = serde_json::from_slice(&body).unwrap();
    let (status, head, _) = raw(
        &server,
        &format!(
            "GET /meters/export/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
            token["access_token"].as_str().unwrap()
        ),
    );
    assert_eq!(status, 429);
    for h in [
        "retry-after: ",
        "ratelimit-limit: 3, 3;w=60",
        "ratelimit-remaining: 0",
        "ratelimit-reset: ",
    ] {
        assert!(head.contains(h), "{h} missing in {head}");
    }
}

#[test]
fn concurrent_imports_and_runs_lose_nothing() {
    let server = Server::start(ServerConfig {
        run_duration: Duration::from_secs(30),
        ..ServerConfig::default()
    })
    .unwrap();
    let c = client(&server);
    std::thread::scope(|s| {
        for i in 0..8 {
            let c = &c;
            s.spawn(move || {
                c.import(
                    "m.json",
                    &definition(&format!("M{i}")),
                    Some(&format!("g-{i}")),
                )
                .unwrap();
            });
        }
    });
    let mut ids: Vec<u64> = (101..109)
        .filter(|id| server.meter("sandbox", *id).is_some())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    // Eight concurrent starts of one run with one key: exactly one run, the rest see the key.
    let started: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let c = &c;
                s.spawn(move || {
                    c.run(
                        "101",
                        "0.0.1",
                        &RunRequest {
                            unique_key: "same".into(),
                            ..Default::default()
                        },
                    )
                    .unwrap()
                    .already_started
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(started.iter().filter(|a| !**a).count(), 1);
    assert_eq!(server.runs("sandbox").len(), 1);
}

#[test]
fn state_dir_keeps_meters_runs_and_ids_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServerConfig {
        state_dir: Some(dir.path().to_path_buf()),
        run_duration: Duration::from_millis(50),
        ..ServerConfig::default()
    };
    {
        let server = Server::start(cfg.clone()).unwrap();
        let c = client(&server);
        c.import("m.json", &definition("Kept"), Some("g-kept"))
            .unwrap();
        c.run(
            "101",
            "0.0.1",
            &RunRequest {
                unique_key: "k1".into(),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let stored: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sandbox/meters/101.json")).unwrap())
            .unwrap();
    assert_eq!(stored["name"], "Kept");
    let server = Server::start(cfg).unwrap();
    let c = client(&server);
    assert_eq!(c.export("101").unwrap()["name"], "Kept");
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(
        c.run_status("101", "0.0.1").unwrap().description(),
        "COMPLETED"
    );
    // The key is remembered across the restart.
    let again = c
        .run(
            "101",
            "0.0.1",
            &RunRequest {
                unique_key: "k1".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(again.already_started);
    // Updating by globalId keeps the id.
    let data = c
        .import("m.json", &definition("Kept v2"), Some("g-kept"))
        .unwrap();
    assert_eq!(data["id"], 101);
    let summary = c
        .summary(
            "101",
            &SummaryQuery {
                group_by: vec!["sessionId".into()],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        summary["output"][0]["dimensions"]["sessionId"],
        "R-00000001"
    );
}

#[test]
fn success_false_with_http_200_is_an_error() {
    // A hand-made server that answers 200 with success:false.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let req = read_request(&mut s);
            requests.push(req.to_ascii_lowercase());
            let body = if req.starts_with("POST /oauth/token") {
                r#"{"access_token":"tok","token_type":"bearer","expires_in":3599}"#
            } else {
                r#"{"success":false,"errors":[{"code":"70002004","message":"TENANT_MEDIATION_NOT_ENABLED"}]}"#
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        requests
    });
    let c = Client::new(ClientConfig {
        base_url: format!("http://{addr}"),
        entity_ids: Some("11111111-2222-3333-4444-555555555555".into()),
        org_ids: Some("org-1,org-2".into()),
        ..client_config_template()
    })
    .unwrap();
    let e = c.run_status("1", "0.0.1").unwrap_err();
    let requests = handle.join().unwrap();
    // The token request: a form body, no Authorization header.
    assert!(
        requests[0].starts_with("post /oauth/token "),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains("grant_type=client_credentials"));
    assert!(!requests[0].contains("authorization:"));
    // Every Meters call: JSON content type even on GET, gzip accepted, our track id, the token.
    let get = &requests[1];
    assert!(get.starts_with("get /meters/1/0.0.1/runstatus "), "{get}");
    for h in [
        "content-type: application/json",
        "accept-encoding: gzip",
        "zuora-track-id: t\r\n",
        "authorization: bearer tok",
        "zuora-entity-ids: 11111111-2222-3333-4444-555555555555",
        "zuora-org-ids: org-1,org-2",
    ] {
        assert!(get.contains(h), "{h} missing in {get}");
    }
    assert!(e.is_refusal());
    let s = e.to_string();
    assert!(s.contains("HTTP 200 but success: false"), "{s}");
    assert!(s.contains("Mediation is not enabled"), "{s}");
}

fn client_config_template() -> ClientConfig {
    ClientConfig {
        base_url: String::new(),
        credentials: Credentials {
            client_id: "id".into(),
            client_secret: Secret::new("secret"),
        },
        entity_ids: None,
        org_ids: None,
        track_id: "t".into(),
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy::default(),
        verbose: false,
    }
}

#[test]
fn latency_beyond_the_request_timeout_is_a_timeout_error() {
    let server = Server::start(ServerConfig {
        latency: Duration::from_millis(400),
        ..ServerConfig::default()
    })
    .unwrap();
    let c = Client::new(ClientConfig {
        request_timeout: Duration::from_millis(150),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..client(&server).config().clone()
    })
    .unwrap();
    let e = c.export("1").unwrap_err();
    assert!(
        matches!(e, ZuoraError::Timeout { attempts: 2, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("no answer within 150ms after 2 attempt(s)"),
        "{e}"
    );
}

#[test]
fn invalid_imports_get_zuoras_codes() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let c = client(&server);
    let code = |bytes: &[u8]| {
        let e = c.import("m.json", bytes, Some("g")).unwrap_err();
        assert!(e.is_refusal(), "{e}");
        assert_eq!(e.status(), Some(400));
        e.codes()[0].to_string()
    };
    assert_eq!(code(b"{not json"), "70002106");
    assert_eq!(code(b"[1]"), "70002106");
    assert_eq!(code(br#"{"type": "CUSTOM"}"#), "70002217");
    let dangling = json!({"name": "m", "type": "CUSTOM", "latestVersion": "0.0.1", "versions": [{"version": "0.0.1", "tasks": [
        {"id": "sink", "name": "Sink", "nodeType": "SINK", "operatorType": "NOOP", "metadata": {}, "predecessors": [{"id": "nowhere"}]}]}]});
    assert_eq!(code(&serde_json::to_vec(&dangling).unwrap()), "70002108");
    // Nothing was stored, and a later valid import still gets the first id.
    assert_eq!(
        c.import("m.json", &definition("ok"), None).unwrap()["id"],
        101
    );
    // A version the meter does not have.
    let e = c.run_status("101", "9.9.9").unwrap_err();
    assert_eq!(e.codes(), ["70002104"]);
    assert!(e.to_string().contains("only 0.0.1"), "{e}");
}

/// A server that answers each connection with the next body (HTTP 200), and returns the
/// requests it saw.
fn script_server(bodies: Vec<&'static str>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for body in bodies {
            let (mut s, _) = listener.accept().unwrap();
            seen.push(read_request(&mut s));
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        seen
    });
    (url, handle)
}

#[test]
fn v1_lock_reasons_are_retried_other_reasons_are_not() {
    let token = r#"{"access_token":"tok","token_type":"bearer","expires_in":3599}"#;
    let locked =
        r#"{"success":false,"reasons":[{"code":53100050,"message":"the object is locked"}]}"#;
    let ok = r#"{"success":true,"data":{"runStatus":7,"runStatusDescription":"COMPLETED"}}"#;
    let (url, handle) = script_server(vec![token, locked, ok]);
    let c = Client::new(ClientConfig {
        base_url: url,
        retry: RetryPolicy {
            base_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..client_config_template()
    })
    .unwrap();
    assert_eq!(
        c.run_status("1", "0.0.1").unwrap().description(),
        "COMPLETED"
    );
    assert_eq!(handle.join().unwrap().len(), 3);

    let invalid = r#"{"success":false,"reasons":[{"code":53100020,"message":"invalid value"}]}"#;
    let (url, handle) = script_server(vec![token, invalid]);
    let c = Client::new(ClientConfig {
        base_url: url,
        ..client_config_template()
    })
    .unwrap();
    let e = c.run_status("1", "0.0.1").unwrap_err();
    assert_eq!(e.codes(), ["53100020"]);
    assert_eq!(handle.join().unwrap().len(), 2, "not retried");
}

#[test]
fn an_enveloped_export_and_a_string_expires_in_are_accepted() {
    let token = r#"{"access_token":"tok","token_type":"bearer","expires_in":"3599"}"#;
    let export = r#"{"success":true,"data":{"name":"Wrapped","versions":[]}}"#;
    let (url, handle) = script_server(vec![token, export]);
    let c = Client::new(ClientConfig {
        base_url: url,
        ..client_config_template()
    })
    .unwrap();
    assert_eq!(
        c.export("1").unwrap(),
        json!({"name": "Wrapped", "versions": []})
    );
    handle.join().unwrap();
}

#[test]
fn real_dialect_imports_are_accepted_and_created_at_stays() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let c = client(&server);
    // CUSTOM with typeDefinition null; versions[].metadata as an object, a string and null;
    // uniqueName/internalName on tasks; a NOOP sink without metadata.
    let tasks = json!([
        {"id": "s", "name": "Streaming API", "uniqueName": "a", "internalName": null, "nodeType": "SOURCE",
         "operatorType": "ZUORA_BULK_API", "metadata": {"schemaId": "ev", "keyFields": ["id"]}, "predecessors": []},
        {"id": "f", "name": "Filter", "uniqueName": "b", "internalName": null, "nodeType": "PROCESSOR",
         "operatorType": "FILTER", "metadata": {"ruleCombiner": "and", "rules": [{"sourceField": "n", "operator": "gt", "value": "0"}]},
         "predecessors": [{"id": "s"}]},
        {"id": "k", "name": "Empty Sink", "uniqueName": "c", "internalName": null, "nodeType": "SINK",
         "operatorType": "NOOP", "predecessors": [{"id": "f"}]}
    ]);
    let custom = json!({"name": "Custom", "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.3", "versions": [
        {"version": "0.0.1", "metadata": {"flowDirection": "vertical"}, "tasks": tasks},
        {"version": "0.0.2", "metadata": "{\"positions\": {}}", "tasks": tasks},
        {"version": "0.0.3", "metadata": null, "versionDetail": "r3", "tasks": tasks}]});
    let first = c
        .import(
            "c.json",
            &serde_json::to_vec(&custom).unwrap(),
            Some("g-custom"),
        )
        .unwrap();
    assert_eq!(first["typeDefinition"], Value::Null);
    assert_eq!(first["latestVersionRunStatus"], 1);
    assert_eq!(first["latestVersionRunStatusDescription"], "NEVER_RUN");
    // A predefined meter's version may carry no tasks.
    let count = json!({"name": "Count", "type": "COUNT", "latestVersion": "0.0.1",
        "typeDefinition": {"sourceType": "ZUORA_BULK_API", "schemaId": "STANDARD", "configs": {"cumulativePeriod": "day"}},
        "versions": [{"version": "0.0.1", "metadata": {"flowDirection": "vertical"}}]});
    c.import(
        "n.json",
        &serde_json::to_vec(&count).unwrap(),
        Some("g-count"),
    )
    .unwrap();
    // But a CUSTOM version with nothing in it is refused, in Zuora's words.
    let empty = json!({"name": "E", "type": "CUSTOM", "latestVersion": "0.0.1", "versions": [{"version": "0.0.1"}]});
    let e = c
        .import("e.json", &serde_json::to_vec(&empty).unwrap(), None)
        .unwrap_err();
    assert_eq!(e.codes(), ["70002108"]);
    assert!(
        e.to_string()
            .contains("Version must include versionDetail, metadata, or tasks"),
        "{e}"
    );
    // Re-importing the same globalId keeps the id and createdAt (as Zuora does).
    std::thread::sleep(Duration::from_millis(5));
    let again = c
        .import(
            "c.json",
            &serde_json::to_vec(&custom).unwrap(),
            Some("g-custom"),
        )
        .unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["createdAt"], first["createdAt"]);
    assert_ne!(again["updatedAt"], first["createdAt"]);
    // The run answer carries the meter's revision (two imports: 2).
    let run = c
        .run(
            "101",
            "0.0.1",
            &RunRequest {
                unique_key: "k".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let session = run.data.unwrap();
    assert_eq!(session["revision"], 2);
    assert_eq!(session["meterId"], 101);
    assert_eq!(session["jobId"].as_str().unwrap().len(), 32);
}

#[test]
fn runtime_source_configs_are_checked_and_unique_keys_are_per_meter() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let c = client(&server);
    c.import("a.json", &definition("A"), Some("g-a")).unwrap();
    c.import("b.json", &definition("B"), Some("g-b")).unwrap();
    let run = |key: &str, configs: Value| -> Result<RunStarted, Box<ZuoraError>> {
        c.run(
            "101",
            "0.0.1",
            &RunRequest {
                unique_key: key.into(),
                runtime_source_configs: serde_json::from_value(configs).unwrap(),
                ..Default::default()
            },
        )
        .map_err(Box::new)
    };
    for (i, (bad, says)) in [
        (json!([{"processorId": "src"}]), "sourceType is required"),
        (json!([{"sourceType": "FTP"}]), "is not one of LOCAL_FS"),
        (json!([{"sourceType": "LOCAL_FS", "localFs": {}}]), "localFs.fileId is required"),
        (json!([{"sourceType": "LOCAL_FS", "localFs": {"fileId": "1"}}]), "localFs.fileId is required"),
        (json!([{"sourceType": "S3", "s3": {"fileFormat": "CSV"}}]), "s3.paths is required"),
        (json!([{"sourceType": "S3", "s3": {"paths": ["a/"], "fileFormat": "TSV"}}]), "s3.fileFormat is required"),
        (json!([{"sourceType": "EVENT_STORE", "eventStore": {}}]), "eventStore.storeId is required"),
        (json!([{"sourceType": "EVENT_STORE", "eventStore": {"storeId": "s", "startDate": "01/02/2026"}}]), "dates like"),
        (json!([{"sourceType": "SNOWFLAKE", "snowflake": {"query": "DELETE FROM t"}}]), "SELECT"),
        (json!([{"sourceType": "S3", "processorId": "nope", "s3": {"paths": ["a/"], "fileFormat": "CSV"}}]), "not a task"),
    ]
    .into_iter()
    .enumerate()
    {
        let e = run(&format!("bad-{i}"), bad).unwrap_err();
        assert_eq!(e.status(), Some(400), "{e}");
        assert!(e.to_string().contains(says), "{says}: {e}");
    }
    assert!(server.runs("sandbox").is_empty());
    let ok = json!([{"sourceType": "S3", "processorId": "src",
        "s3": {"connectionName": "c", "paths": ["usage/"], "fileFormat": "CSV", "incremental": false}}]);
    assert!(!run("same", ok).unwrap().already_started);
    // The same key on another meter starts that meter; on this one it is a duplicate.
    let other = c
        .run(
            "102",
            "0.0.1",
            &RunRequest {
                unique_key: "same".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!other.already_started);
    assert!(run("same", json!([])).unwrap().already_started);
}

#[test]
fn debug_reads_zuoras_event_dialect_and_answers_a_string_run_status() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let c = client(&server);
    let def = json!({"name": "D", "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "tasks": [
            {"id": "src", "name": "Upload", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE", "metadata": {"schemaId": "ev"}, "predecessors": []},
            {"id": "k", "name": "Sink", "nodeType": "SINK", "operatorType": "NOOP", "metadata": {}, "predecessors": [{"id": "src"}]}]}],
        "schemas": [{"name": "ev", "type": 1, "schema": {"type": "object", "eventIdFields": ["id"], "required": ["at"], "properties": {
            "id": {"type": "string", "order": 0, "eventTime": false},
            "at": {"type": "datetime", "order": 1, "eventTime": true, "timeFormat": "yyyy-MM-dd'T'HH:mm:ss"},
            "n": {"type": "integer", "order": 2, "eventTime": false}}}}]});
    c.import("d.json", &serde_json::to_vec(&def).unwrap(), None)
        .unwrap();
    let test = |events: Value| {
        let req: meterctl::zuora::types::DebugRequest = meterctl::zuora::types::DebugRequest {
            source_options: vec![meterctl::zuora::types::DebugSourceOption {
                processor_id: "src".into(),
                test_data: serde_json::from_value(events).unwrap(),
                local_file_id: None,
            }],
        };
        c.debug("101", "0.0.1", &req).unwrap()
    };
    let passed = test(json!([{"id": "1", "at": "2026-01-05T09:12:44", "n": 3}]));
    assert_eq!(passed["runStatus"], "TESTING_PASSED");
    assert_eq!(passed["runStatusDescription"], "TESTING_PASSED");
    assert_eq!(
        (
            passed["runType"].as_i64(),
            passed["runTypeDescription"].as_str()
        ),
        (Some(2), Some("DEBUG"))
    );
    assert!(
        passed.get("success").is_none(),
        "bare, no envelope: {passed}"
    );
    // No event id, or a datetime that is not one: failed.
    assert_eq!(
        test(json!([{"at": "2026-01-05T09:12:44"}]))["runStatus"],
        "TESTING_FAILED"
    );
    assert_eq!(
        test(json!([{"id": "2", "at": [1]}]))["runStatus"],
        "TESTING_FAILED"
    );
    let status = c.run_status("101", "0.0.1").unwrap();
    assert_eq!(
        (status.code(), status.description()),
        (Some(3), "TESTING_FAILED")
    );
}
