//! `meterctl meter ...` and `meterctl sandbox serve`, driven through the real binary against the
//! sandbox on an ephemeral loopback port.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common;
use crate::common::output as out;

use assert_cmd::Command;
use meterctl::sandbox::{Server, ServerConfig, TenantSpec};
use serde_json::Value;

const SECRET: &str = "s3cr3t-DO-NOT-PRINT-7f3a";

fn sandbox(cfg: ServerConfig) -> Server {
    Server::start(ServerConfig {
        tenants: vec![TenantSpec {
            name: "acme".into(),
            client_id: "acme-client".into(),
            client_secret: SECRET.into(),
        }],
        ..cfg
    })
    .unwrap()
}

fn quick() -> ServerConfig {
    ServerConfig {
        run_duration: Duration::from_millis(300),
        ..ServerConfig::default()
    }
}

/// `meterctl` pointed at the sandbox, with the tenant's credentials.
fn meterctl(server: &Server) -> Command {
    let mut c = common::meterctl();
    c.env("ZUORA_URL", server.base_url())
        .env("ZUORA_CLIENT_ID", "acme-client")
        .env("ZUORA_CLIENT_SECRET", SECRET)
        .env("METERCTL_RETRY_DELAY", "10ms");
    c
}

fn import(server: &Server, file: &str) -> Value {
    let (code, stdout, stderr) =
        out(meterctl(server).args(["meter", "import", file, "--format", "json"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// A CUSTOM meter in Zuora's dialect (LOCAL_FILE → FILTER → MAP → ZUORA_USAGE, and a NOOP
/// branch), canonical YAML.
const SMS: &str = "tests/fixtures/zuora/meters/sms-messages.yaml";
/// A streaming meter (ZUORA_BULK_API source): it runs until stopped.
const STREAMING: &str = "tests/fixtures/zuora/meters/api-calls-streaming.yaml";
const EVENTS: &str = "tests/fixtures/zuora/sms-events.csv";

#[test]
fn import_then_export_round_trips_and_global_id_updates() {
    let server = sandbox(quick());
    let (code, stdout, stderr) = out(meterctl(&server).args(["meter", "import", SMS]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("imported {SMS}: meter 101, globalId mtr-sms-messages, status NEVER_RUN\n")
    );
    // The same globalId updates the meter instead of creating another one.
    let data = import(&server, SMS);
    assert_eq!(data["id"], 101);
    assert_eq!(data["globalId"], "mtr-sms-messages");
    for key in [
        "uniqueUploadUrl",
        "createdAt",
        "updatedAt",
        "latestVersionRunStatusDescription",
    ] {
        assert!(data.get(key).is_some(), "{key} in {data}");
    }
    // The stored definition has no globalId field: it travelled as the multipart part.
    let stored = server.meter("acme", 101).unwrap();
    assert!(stored.get("globalId").is_none());
    assert_eq!(stored["name"], "SMS Messages");

    // Export writes the canonical form: the repository file without its globalId line.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sms.yaml");
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "export", "101", "-o", target.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let original = fs::read_to_string(SMS).unwrap();
    let expected = original
        .strip_prefix("globalId: mtr-sms-messages\n")
        .unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), expected);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp files"
    );

    // To stdout as JSON (the default format), and `-` is stdout too.
    let (code, stdout, _) = out(meterctl(&server).args(["meter", "export", "101", "-o", "-"]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v, stored);

    // From stdin.
    let (code, stdout, stderr) = out(meterctl(&server)
        .args(["meter", "import", "-", "--global-id", "mtr-stdin"])
        .write_stdin(fs::read(SMS).unwrap()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("imported -: meter 102, globalId mtr-stdin"),
        "{stdout}"
    );

    // --global-id overrides the file: a new meter.
    let (code, stdout, _) =
        out(meterctl(&server).args(["meter", "import", SMS, "--global-id", "mtr-sms-copy"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("meter 103, globalId mtr-sms-copy"),
        "{stdout}"
    );
}

#[test]
fn unknown_meter_is_exit_1_with_zuoras_code() {
    let server = sandbox(quick());
    for args in [
        vec!["meter", "export", "999"],
        vec!["meter", "status", "999", "0.0.1"],
        vec!["meter", "run", "999", "0.0.1"],
        vec!["meter", "summary", "999"],
    ] {
        let (code, stdout, stderr) = out(meterctl(&server).args(&args));
        assert_eq!(code, 1, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains("70002103"), "{args:?}: {stderr}");
        assert!(stderr.contains("Check the meter id"), "{stderr}");
        assert!(stderr.contains("Zuora-Request-Id: "), "{stderr}");
    }
}

#[test]
fn import_refuses_placeholders_and_invalid_files() {
    let server = sandbox(quick());
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "import", "tests/fixtures/zuora/placeholders.yaml"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("/versions/0/tasks/0/metadata/connectionName"),
        "{stderr}"
    );
    assert!(stderr.contains("placeholder"), "{stderr}");

    let bad = "tests/fixtures/zuora/missing-type.json";
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "import", bad]));
    assert_eq!(code, 1, "{stderr}");
    // The schema's MC0010 or, once a rule supersedes it, the rule's finding: either names `type`.
    assert!(
        stderr.contains("error[MC0") && stderr.contains("`type`"),
        "{stderr}"
    );
    assert!(stderr.contains("missing-type.json:1:1"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(server.meter("acme", 101).is_none(), "nothing was imported");

    // --no-validate sends it; Zuora (the sandbox) refuses it with its own code.
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "import", bad, "--no-validate"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("70002220"), "{stderr}");
    assert!(
        stderr.contains("IMPORT_METER_MISSING_METER_TYPE"),
        "{stderr}"
    );
}

#[test]
fn test_run_wait_status_and_summary() {
    let server = sandbox(quick());
    import(&server, SMS);

    let (code, stdout, stderr) =
        out(meterctl(&server).args(["meter", "test", "101", "--data", EVENTS]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("(5 events): TESTING_PASSED (runStatus 4)"),
        "{stdout}"
    );
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "test",
        "101",
        "--data",
        "tests/fixtures/zuora/events.ndjson",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let session: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(session["runStatus"], "TESTING_PASSED");
    assert_eq!(session["meterId"], 101);
    assert_eq!(session["runType"], 2);
    assert_eq!(session["runTypeDescription"], "DEBUG");
    assert!(session["sessionId"].as_str().unwrap().starts_with("R-"));
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "test",
        "101",
        "--data",
        "tests/fixtures/zuora/bad-events.csv",
    ]));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("TESTING_FAILED"), "{stdout}");

    // A run on an uploaded file, waited for.
    let (code, stdout, stderr) = out(meterctl(&server).args([
        "meter",
        "run",
        "101",
        "--upload",
        EVENTS,
        "--wait",
        "--poll-interval",
        "100ms",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("uniqueKey: meterctl-101-"), "{stdout}");
    assert_eq!(
        lines[1],
        "started meter 101 version 0.0.1, session R-00000004"
    );
    assert_eq!(lines[2], "meter 101 version 0.0.1: COMPLETED (runStatus 7)");
    assert!(
        stderr.contains("uploaded sms-events.csv as file 1"),
        "{stderr}"
    );
    // --wait reports each new status with its code.
    assert!(
        stderr.contains("status: INITIALIZING (runStatus 10)")
            || stderr.contains("status: RUNNING (runStatus 5)"),
        "{stderr}"
    );

    let (code, stdout, _) = out(meterctl(&server).args(["meter", "status", "101"]));
    assert_eq!(
        (code, stdout.trim()),
        (0, "meter 101 version 0.0.1: COMPLETED (runStatus 7)")
    );
    let (code, stdout, _) =
        out(meterctl(&server).args(["meter", "status", "101", "--format", "json"]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["runStatusDescription"], "COMPLETED");
    assert_eq!(v["runStatus"], 7);

    // A run whose every record is invalid fails: --wait exits 1, and so does status.
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "run",
        "101",
        "--upload",
        "tests/fixtures/zuora/bad-events.csv",
        "--wait",
        "--poll-interval",
        "100ms",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1, "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["runStatusDescription"], "FAILED");
    assert_eq!(v["runStatus"], 8);
    assert_eq!(v["alreadyStarted"], false);
    // The run answer's session object.
    assert_eq!(v["session"]["sessionId"], "R-00000005");
    assert_eq!(v["sessionId"], "R-00000005");
    assert_eq!(v["session"]["status"], 10);
    assert_eq!(v["session"]["statusDescription"], "INITIALIZING");
    assert!(v["session"]["endTime"].is_null());
    assert!(v["uniqueKey"]
        .as_str()
        .unwrap()
        .starts_with("meterctl-101-"));
    let (code, _, _) = out(meterctl(&server).args(["meter", "status", "101"]));
    assert_eq!(code, 1);

    // Summary: the table, and the data as it came.
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "summary",
        "101",
        "--group-by",
        "sessionId",
        "--run-type",
        "NORMAL",
    ]));
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "SESSION_ID  OUTPUT  ERRORS\nR-00000004       5       0\nR-00000005       0       2\ntotal            5       2\n"
    );
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "summary",
        "101",
        "--group-by",
        "errorCode",
        "--session",
        "R-00000005",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let data: Value = serde_json::from_str(&stdout).unwrap();
    assert!(data["requestId"].is_string());
    assert_eq!(data["query"]["sessionIds"][0], "R-00000005");
    assert_eq!(data["output"][0]["dimensions"]["errorCode"], "70000000");
    assert_eq!(data["output"][0]["totalErrorCount"], 2);
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "summary", "101", "--from", "last week"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("70002011"), "{stderr}");
}

#[test]
fn same_unique_key_twice_starts_one_run_and_exits_0() {
    let server = sandbox(quick());
    import(&server, SMS);
    let run = |server: &Server| {
        let (code, stdout, stderr) = out(meterctl(server).args([
            "meter",
            "run",
            "101",
            "--unique-key",
            "deploy-42",
            "--format",
            "json",
        ]));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stderr, "", "a given key is not printed again");
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    assert_eq!(run(&server)["alreadyStarted"], false);
    let second = run(&server);
    assert_eq!(second["alreadyStarted"], true);
    assert_eq!(second["uniqueKey"], "deploy-42");
    assert_eq!(server.runs("acme").len(), 1);
}

#[test]
fn slow_run_beyond_the_client_timeout_starts_exactly_one_run() {
    let server = sandbox(ServerConfig {
        slow_run: Duration::from_millis(1500),
        ..quick()
    });
    import(&server, SMS);
    let (code, stdout, stderr) = out(meterctl(&server).args([
        "-v",
        "meter",
        "run",
        "101",
        "--request-timeout",
        "400ms",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["alreadyStarted"], true, "{stderr}");
    assert!(stderr.contains("no answer within 400ms"), "{stderr}");
    assert!(stderr.contains("already started"), "{stderr}");
    let runs = server.runs("acme");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].unique_key.as_deref(), v["uniqueKey"].as_str());
}

#[test]
fn wrong_credentials_exit_2_without_printing_the_secret() {
    let server = sandbox(quick());
    let wrong = "wr0ng-s3cr3t-PLEASE-HIDE";
    let (code, stdout, stderr) = out(meterctl(&server)
        .env("ZUORA_CLIENT_SECRET", wrong)
        .args(["-v", "meter", "export", "101"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(stderr.contains("ZUORA_CLIENT_SECRET"), "{stderr}");
    for s in [&stdout, &stderr] {
        assert!(!s.contains(wrong), "secret printed: {s}");
        assert!(!s.contains("client_secret="), "{s}");
    }
}

#[test]
fn verbose_runs_never_print_the_secret_or_a_token() {
    let server = sandbox(quick());
    let (code, stdout, stderr) = out(meterctl(&server).args(["-v", "meter", "import", SMS]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("POST "), "verbose logs requests: {stderr}");
    assert!(stderr.contains("fetched an access token"), "{stderr}");
    for s in [&stdout, &stderr] {
        assert!(!s.contains(SECRET), "secret printed: {s}");
        assert!(
            !s.to_ascii_lowercase().contains("bearer"),
            "token printed: {s}"
        );
    }
}

#[test]
fn token_expiry_mid_run_is_refreshed_transparently() {
    let server = sandbox(ServerConfig {
        token_lifetime: Duration::from_secs(1),
        run_duration: Duration::from_millis(2500),
        ..ServerConfig::default()
    });
    import(&server, SMS);
    let (code, stdout, stderr) = out(meterctl(&server).args([
        "-v",
        "meter",
        "run",
        "101",
        "--wait",
        "--poll-interval",
        "300ms",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("COMPLETED"), "{stdout}");
    assert!(
        stderr.matches("fetched an access token").count() >= 2,
        "{stderr}"
    );
}

#[test]
fn fail_rate_0_3_export_and_import_still_succeed() {
    let server = sandbox(ServerConfig {
        fail_rate: 0.3,
        seed: 7,
        ..quick()
    });
    let mut ids = Vec::new();
    for f in ["g-1", "g-2", "g-3", "g-4"] {
        let (code, stdout, stderr) = out(meterctl(&server).args([
            "meter",
            "import",
            SMS,
            "--global-id",
            f,
            "--format",
            "json",
            "--max-attempts",
            "10",
        ]));
        assert_eq!(code, 0, "{f}: {stderr}");
        let v: Value = serde_json::from_str(&stdout).unwrap();
        ids.push(v["id"].as_u64().unwrap());
    }
    assert_eq!(
        ids,
        [101, 102, 103, 104],
        "no duplicate meters from retries"
    );
    for id in ids {
        let (code, _, stderr) = out(meterctl(&server).args([
            "meter",
            "export",
            &id.to_string(),
            "--max-attempts",
            "10",
        ]));
        assert_eq!(code, 0, "{stderr}");
    }
}

#[test]
fn a_sixth_running_meter_is_refused() {
    let server = sandbox(ServerConfig {
        run_duration: Duration::from_secs(30),
        ..ServerConfig::default()
    });
    for i in 1..=6 {
        let (code, _, stderr) =
            out(meterctl(&server).args(["meter", "import", SMS, "--global-id", &format!("g-{i}")]));
        assert_eq!(code, 0, "{stderr}");
    }
    for id in 101..=105 {
        let (code, _, stderr) = out(meterctl(&server).args(["meter", "run", &id.to_string()]));
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "run", "106"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("maximum running meter count exceeded"),
        "{stderr}"
    );
    // And a meter that is running already cannot start again.
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "run", "101"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("70002105"), "{stderr}");
}

#[test]
fn could_not_run_cases_exit_2() {
    let server = sandbox(quick());
    // No credentials.
    let (code, _, stderr) = out(meterctl(&server)
        .env_remove("ZUORA_CLIENT_SECRET")
        .args(["meter", "export", "101"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET"),
        "{stderr}"
    );
    // Plain http to a remote host.
    let (code, _, stderr) = out(meterctl(&server)
        .env("ZUORA_URL", "http://rest.test.zuora.com")
        .args(["meter", "export", "101"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("refusing to call http://rest.test.zuora.com over plain http://"),
        "{stderr}"
    );
    // A duration without a unit.
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "export", "101", "--request-timeout", "30"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("no unit"), "{stderr}");
    // Nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (code, _, stderr) = out(meterctl(&server)
        .env("ZUORA_URL", format!("http://127.0.0.1:{port}"))
        .args(["meter", "export", "101", "--max-attempts", "2"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("could not get an answer from Zuora after 2 attempt(s)"),
        "{stderr}"
    );
    // A run that cannot be confirmed says how to retry safely.
    let (code, _, stderr) = out(meterctl(&server)
        .env("ZUORA_URL", format!("http://127.0.0.1:{port}"))
        .args([
            "meter",
            "run",
            "101",
            "0.0.1",
            "--unique-key",
            "k-9",
            "--max-attempts",
            "1",
        ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("run the same command with --unique-key k-9"),
        "{stderr}"
    );
    assert!(stderr.contains("Caused by:"), "{stderr}");

    // A --wait that runs out of time.
    let slow = sandbox(ServerConfig {
        run_duration: Duration::from_secs(30),
        ..ServerConfig::default()
    });
    import(&slow, SMS);
    let (code, _, stderr) = out(meterctl(&slow).args([
        "meter",
        "run",
        "101",
        "--wait",
        "--timeout",
        "100ms",
        "--poll-interval",
        "50ms",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("gave up waiting after 100ms"), "{stderr}");
}

/// A `meterctl sandbox serve` child, killed on drop.
struct Serve(Child, String);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> Serve {
    let mut child = common::meterctl_std()
        .args(["sandbox", "serve"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Serve(child, line.trim().to_string())
}

fn cli_for(url: &str, id: &str, secret: &str) -> Command {
    let mut c = common::meterctl();
    c.env("ZUORA_URL", url)
        .env("ZUORA_CLIENT_ID", id)
        .env("ZUORA_CLIENT_SECRET", secret);
    c
}

#[test]
fn sandbox_serve_prints_its_url_first_and_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let s = serve(&[
        "--state",
        state,
        "--tenant",
        "eu:eu-id:eu-secret",
        "--tenant",
        "us:us-id:us-secret",
    ]);
    assert!(s.1.starts_with("http://127.0.0.1:"), "{}", s.1);
    let (code, stdout, stderr) =
        out(cli_for(&s.1, "eu-id", "eu-secret").args(["meter", "import", SMS]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("meter 101"));
    // Tenants are separate: the other client does not see it.
    let (code, _, _) = out(cli_for(&s.1, "us-id", "us-secret").args(["meter", "export", "101"]));
    assert_eq!(code, 1);
    drop(s);
    assert!(Path::new(state).join("eu/meters/101.json").is_file());

    let s = serve(&["--state", state, "--tenant", "eu:eu-id:eu-secret"]);
    let (code, stdout, stderr) =
        out(cli_for(&s.1, "eu-id", "eu-secret")
            .args(["meter", "export", "101", "--format", "yaml"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("name: SMS Messages\n"), "{stdout}");
    // The next import gets a new id, not a reused one.
    let (code, stdout, _) = out(cli_for(&s.1, "eu-id", "eu-secret").args([
        "meter",
        "import",
        SMS,
        "--global-id",
        "other",
    ]));
    assert_eq!(code, 0);
    assert!(stdout.contains("meter 102"), "{stdout}");
}

#[test]
fn sandbox_default_tenant_is_sandbox_sandbox() {
    let s = serve(&[]);
    let (code, stdout, stderr) =
        out(cli_for(&s.1, "sandbox", "sandbox").args(["meter", "import", SMS]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("meter 101"));
}

/// A scripted Zuora: answers the token, export and run calls, and the given runStatus
/// descriptions in order (the last one repeats).
fn scripted_zuora(statuses: &'static [&'static str]) -> String {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let polls = AtomicUsize::new(0);
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let req = common::read_request(&mut s);
            let body = if req.starts_with("POST /oauth/token") {
                r#"{"access_token":"tok","token_type":"bearer","expires_in":3599}"#.to_string()
            } else if req.starts_with("GET /meters/export/") {
                r#"{"name":"M","type":"CUSTOM","latestVersion":"0.0.1","versions":[{"version":"0.0.1","tasks":[]}]}"#.to_string()
            } else if req.starts_with("POST /meters/run/") {
                r#"{"success":true}"#.to_string()
            } else {
                let i = polls.fetch_add(1, Ordering::SeqCst).min(statuses.len() - 1);
                let code = meterctl::zuora::types::run_status_code(statuses[i]).unwrap_or(99);
                format!(
                    r#"{{"success":true,"data":{{"runStatus":{code},"runStatusDescription":"{}"}}}}"#,
                    statuses[i]
                )
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn wait_does_not_take_the_previous_runs_status_for_the_new_one() {
    // Before the start: COMPLETED (the last run). Just after: still COMPLETED (stale). Then the
    // new run shows up and fails.
    let url = scripted_zuora(&["COMPLETED", "COMPLETED", "RUNNING", "FAILED"]);
    let (code, stdout, stderr) = out(cli_for(&url, "id", "secret").args([
        "meter",
        "run",
        "1",
        "--wait",
        "--poll-interval",
        "50ms",
    ]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("meter 1 version 0.0.1: FAILED (runStatus 8)\n"),
        "{stdout}"
    );
}

#[test]
fn wait_treats_every_final_status_of_zuoras_table_as_final() {
    // USAGE_PUSHING and an unknown status are not final; PUSH_COMPLETED is, and a success.
    let url = scripted_zuora(&[
        "NEVER_RUN",
        "INITIALIZING",
        "USAGE_PUSHING",
        "SOMETHING_NEW",
        "PUSH_COMPLETED",
    ]);
    let (code, stdout, stderr) = out(cli_for(&url, "id", "secret").args([
        "meter",
        "run",
        "1",
        "--wait",
        "--poll-interval",
        "20ms",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("meter 1 version 0.0.1: PUSH_COMPLETED (runStatus 12)\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("status: USAGE_PUSHING (runStatus 11)"),
        "{stderr}"
    );
}

/// The acceptance path: a run waited for ends 7 COMPLETED; a stop during the next run leaves
/// 9 CANCELED; a second stop exits 1 and names 70002122.
#[test]
fn run_wait_completes_stop_cancels_and_a_second_stop_finds_nothing() {
    let server = sandbox(quick());
    import(&server, SMS);
    let (code, stdout, stderr) =
        out(meterctl(&server).args(["meter", "run", "101", "--wait", "--poll-interval", "50ms"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("meter 101 version 0.0.1: COMPLETED (runStatus 7)\n"),
        "{stdout}"
    );

    let slow = sandbox(ServerConfig {
        run_duration: Duration::from_secs(30),
        ..ServerConfig::default()
    });
    import(&slow, SMS);
    let (code, _, stderr) = out(meterctl(&slow).args(["meter", "run", "101"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = out(meterctl(&slow).args(["meter", "stop", "101"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "meter 101 version 0.0.1: CANCELED (runStatus 9)\n");
    let (code, stdout, _) =
        out(meterctl(&slow).args(["meter", "status", "101", "--format", "json"]));
    assert_eq!(code, 1, "a canceled run is a finding for status");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (v["runStatus"].as_i64(), v["runStatusDescription"].as_str()),
        (Some(9), Some("CANCELED"))
    );

    let (code, stdout, stderr) = out(meterctl(&slow).args(["meter", "stop", "101", "0.0.1"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("nothing to stop"), "{stderr}");
    assert!(stderr.contains("70002122"), "{stderr}");
    assert!(
        stderr.contains("The meter version is not running"),
        "{stderr}"
    );
    let (code, stdout, _) = out(meterctl(&slow).args(["meter", "stop", "101", "--format", "json"]));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["stopped"], false);
    assert_eq!(v["code"], "70002122");
    // A meter that does not exist: Zuora's code, exit 1.
    let (code, _, stderr) = out(meterctl(&slow).args(["meter", "stop", "999", "0.0.1"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("70002103"), "{stderr}");
}

#[test]
fn a_streaming_meter_stops_gracefully_and_a_forced_stop_meanwhile_is_refused() {
    let server = sandbox(ServerConfig {
        run_duration: Duration::from_millis(100),
        stop_delay: Duration::from_millis(1500),
        ..ServerConfig::default()
    });
    import(&server, STREAMING);
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "run", "101"]));
    assert_eq!(code, 0, "{stderr}");
    // It never completes on its own.
    std::thread::sleep(Duration::from_millis(300));
    let (_, stdout, _) = out(meterctl(&server).args(["meter", "status", "101"]));
    assert_eq!(stdout, "meter 101 version 0.0.1: RUNNING (runStatus 5)\n");
    let graceful = std::thread::spawn({
        let mut c = meterctl(&server);
        c.args([
            "meter",
            "stop",
            "101",
            "--poll-interval",
            "50ms",
            "--format",
            "json",
        ]);
        move || out(&mut c)
    });
    std::thread::sleep(Duration::from_millis(500));
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "stop", "101", "--force"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("70003043"), "{stderr}");
    assert!(stderr.contains("already in progress"), "{stderr}");
    let (code, stdout, stderr) = graceful.join().unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (v["runStatus"].as_i64(), v["runStatusDescription"].as_str()),
        (Some(6), Some("PAUSED"))
    );
    assert_eq!(v["stopped"], true);
    assert!(stderr.contains("status: STOPPING"), "{stderr}");

    // Run again, and stop by force: canceled at once.
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "run", "101"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = out(meterctl(&server).args(["meter", "stop", "101", "--force"]));
    assert_eq!(code, 0);
    assert_eq!(stdout, "meter 101 version 0.0.1: CANCELED (runStatus 9)\n");
}

#[test]
fn stop_without_an_answer_or_with_wrong_credentials_exits_2() {
    let server = sandbox(quick());
    let (code, stdout, stderr) = out(meterctl(&server)
        .env("ZUORA_CLIENT_SECRET", "nope-nope")
        .args(["meter", "stop", "101", "0.0.1"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(!stdout.contains("nope-nope") && !stderr.contains("nope-nope"));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (code, _, stderr) = out(meterctl(&server)
        .env("ZUORA_URL", format!("http://127.0.0.1:{port}"))
        .args(["meter", "stop", "101", "0.0.1", "--max-attempts", "1"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("could not get an answer"), "{stderr}");
}

#[test]
fn an_event_store_window_travels_as_a_runtime_source_config() {
    let server = sandbox(quick());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.json");
    fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!({
            "globalId": "mtr-store", "name": "From the store", "type": "CUSTOM", "typeDefinition": null,
            "latestVersion": "0.0.1", "versions": [{"version": "0.0.1", "tasks": [
                {"id": "src", "name": "Event Store", "nodeType": "SOURCE", "operatorType": "EVENT_STORE",
                 "metadata": {"storeId": "usage-store"}, "predecessors": []},
                {"id": "sink", "name": "Empty Sink", "nodeType": "SINK", "operatorType": "NOOP",
                 "metadata": {}, "predecessors": [{"id": "src"}]}]}]}))
        .unwrap(),
    )
    .unwrap();
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "import", file.to_str().unwrap(), "--no-validate"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = out(meterctl(&server).args([
        "meter",
        "run",
        "101",
        "--start-date",
        "2026-01-01",
        "--end-date",
        "2026-01-31",
    ]));
    assert_eq!(code, 0, "{stderr}");
    // The sandbox checks the item as Zuora documents it: dates are YYYY-MM-DD.
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "run", "101", "--start-date", "01/02/2026"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("eventStore.startDate"), "{stderr}");
}

/// `examples/meters/api-calls.yaml` with its one placeholder filled in as
/// `examples/meterctl.yaml` fills it for the sandbox environment, written into `dir`.
fn rendered_api_calls(dir: &Path) -> String {
    let text = fs::read_to_string("examples/meters/api-calls.yaml")
        .unwrap()
        .replace("${{ values.api_request_schema_id }}", "'20419'");
    assert!(!text.contains("${{"), "another placeholder to fill in");
    let path = dir.join("api-calls.yaml");
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const API_EVENTS: &str = "examples/events/api-requests.ndjson";

/// (task, input, output, errors) per operator, from `meterctl simulate`'s JSON.
fn simulated_counts(meter: &str, events: &str) -> Vec<(String, u64, u64, u64)> {
    let (code, stdout, stderr) =
        out(common::meterctl().args(["simulate", meter, "--events", events]));
    assert_eq!(code, 0, "{stderr}");
    let sim: Value = serde_json::from_str(&stdout).unwrap();
    sim["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap();
            (
                c["task"].as_str().unwrap().to_string(),
                n("input"),
                n("output"),
                n("errors"),
            )
        })
        .collect()
}

#[test]
fn meter_test_and_run_count_each_operator_as_simulate_does() {
    let dir = tempfile::tempdir().unwrap();
    let meter = rendered_api_calls(dir.path());
    let want = simulated_counts(&meter, API_EVENTS);
    // SOURCE → AGGREGATOR (per account, charge and day) → ZUORA_USAGE.
    let shape: Vec<(u64, u64, u64)> = want.iter().map(|c| (c.1, c.2, c.3)).collect();
    assert_eq!(shape, [(4, 4, 0), (4, 3, 0), (3, 3, 0)]);

    let server = sandbox(quick());
    import(&server, &meter);
    let (code, stdout, stderr) = out(meterctl(&server).args([
        "meter", "test", "101", "--data", API_EVENTS, "--format", "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let session: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(session["runStatus"], "TESTING_PASSED", "{session}");
    assert_eq!(session["simulated"], true, "{session}");
    let got: Vec<(String, u64, u64, u64)> = session["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let n = |k: &str| o[k].as_u64().unwrap();
            let id = o["processorId"].as_str().unwrap().to_string();
            (id, n("input"), n("output"), n("totalErrorCount"))
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(session["operators"][2]["operatorType"], "ZUORA_USAGE");

    // The text report: the same counts as a table.
    let (code, stdout, _) =
        out(meterctl(&server).args(["meter", "test", "101", "--data", API_EVENTS]));
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "test session R-00000002 of meter 101 version 0.0.1 (4 events): TESTING_PASSED (runStatus 4)\n\
         OPERATOR                       TYPE            INPUT  OUTPUT  ERRORS\n\
         Gateway request events         ZUORA_BULK_API      4       4       0\n\
         Sum calls per account and day  AGGREGATOR          4       3       0\n\
         Write API call usage           ZUORA_USAGE         3       3       0\n"
    );

    // A run on the uploaded file goes through the same engine: its summary per operator.
    let (code, stdout, stderr) = out(meterctl(&server).args([
        "meter", "run", "101", "--upload", API_EVENTS, "--format", "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let started: Value = serde_json::from_str(&stdout).unwrap();
    let session_id = started["sessionId"].as_str().unwrap();
    assert_eq!(started["session"]["simulated"], true, "{started}");
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "summary",
        "101",
        "--session",
        session_id,
        "--group-by",
        "processorId",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let data: Value = serde_json::from_str(&stdout).unwrap();
    let mut rows: Vec<(String, u64, u64, u64)> = data["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            let id = r["dimensions"]["processorId"].as_str().unwrap().to_string();
            (id, n("input"), n("output"), n("totalErrorCount"))
        })
        .collect();
    let mut want = want;
    rows.sort();
    want.sort();
    assert_eq!(rows, want);
    assert!(data.get("notSimulated").is_none(), "{data}");
}

#[test]
fn a_pipeline_the_sandbox_cannot_simulate_is_counted_at_its_sources_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let meter = rendered_api_calls(dir.path());
    // A lookup with no table: the sandbox has none to read, so it cannot simulate it.
    let text = fs::read_to_string(&meter).unwrap().replace(
        "operatorType: AGGREGATOR",
        "operatorType: SUBSCRIPTION_LOOKUP",
    );
    fs::write(&meter, text).unwrap();
    let server = sandbox(quick());
    let (code, _, stderr) =
        out(meterctl(&server).args(["meter", "import", &meter, "--no-validate"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = out(meterctl(&server).args([
        "meter", "test", "101", "--data", API_EVENTS, "--format", "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let session: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(session["simulated"], false);
    // The engine's message names the task.
    let why = session["simulationError"].as_str().unwrap();
    assert!(why.contains("\"Sum calls per account and day\""), "{why}");
    assert!(
        stderr.contains("did not simulate the pipeline") && stderr.contains(why),
        "{stderr}"
    );
    // Only the source is counted: nothing is guessed downstream.
    let ops = session["operators"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{session}");
    assert_eq!(
        (&ops[0]["operatorType"], &ops[0]["input"], &ops[0]["output"]),
        (
            &Value::from("ZUORA_BULK_API"),
            &Value::from(4),
            &Value::from(4)
        )
    );
    // The summary names the sessions it could not simulate.
    let (code, stdout, _) = out(meterctl(&server).args([
        "meter",
        "summary",
        "101",
        "--group-by",
        "sessionId",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let data: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(data["notSimulated"][0]["sessionId"], "R-00000001", "{data}");
    assert_eq!(data["notSimulated"][0]["message"], why);
    let (code, _, stderr) = out(meterctl(&server).args(["meter", "summary", "101"]));
    assert_eq!(code, 0);
    assert!(
        stderr
            .contains("note: session R-00000001 was counted at its sources only (not simulated): "),
        "{stderr}"
    );
}

#[test]
fn sandbox_serve_reads_lookup_tables_and_refuses_a_file_that_holds_none() {
    let dir = tempfile::tempdir().unwrap();
    // A test case's `lookups:` (or the tables alone) is served.
    let case = dir.path().join("case.test.yaml");
    fs::write(
        &case,
        "meter: mtr-api-calls\nlookups:\n  subscriptions:\n  - {accountNumber: A00000101, subscriptionNumber: S-1}\n",
    )
    .unwrap();
    let s = serve(&["--lookups", case.to_str().unwrap()]);
    assert!(s.1.starts_with("http://127.0.0.1:"), "{}", s.1);
    let list = dir.path().join("list.yaml");
    fs::write(&list, "- {accountNumber: A00000101}\n").unwrap();
    let (code, stdout, stderr) =
        out(common::meterctl().args(["sandbox", "serve", "--lookups", list.to_str().unwrap()]));
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert!(
        stderr.contains("list.yaml: the lookup tables must be a mapping of table names to rows"),
        "{stderr}"
    );
}

#[test]
fn meter_test_names_an_operator_s_first_error() {
    let dir = tempfile::tempdir().unwrap();
    let meter = rendered_api_calls(dir.path());
    // A request without its Unit, which the event definition requires: the sandbox rejects it
    // at the source (as Zuora checks events), where `simulate` (no such check) lets it reach the
    // usage sink, which rejects the day's record (uom is required). README: "What a run or a
    // test computes".
    let events = dir.path().join("no-unit.ndjson");
    std::fs::write(
        &events,
        "{\"RequestId\": \"r1\", \"AccountNumber\": \"A9\", \"ChargeNumber\": \"C-1\", \
         \"Endpoint\": \"/x\", \"HttpStatus\": 200, \"RequestTime\": \"2026-01-05T09:12:44\", \
         \"Calls\": 1}\n",
    )
    .unwrap();
    let events = events.to_str().unwrap();
    let want = simulated_counts(&meter, events);
    let shape: Vec<(u64, u64, u64)> = want.iter().map(|c| (c.1, c.2, c.3)).collect();
    assert_eq!(shape, [(1, 1, 0), (1, 1, 0), (1, 0, 1)]);
    let server = sandbox(quick());
    import(&server, &meter);
    let (code, stdout, _) = out(meterctl(&server).args(["meter", "test", "101", "--data", events]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("TESTING_FAILED")
            && stdout.contains("Gateway request events         ZUORA_BULK_API      1       0       1\n")
            && stdout.ends_with(
                "Gateway request events: 1 error (70000000): 1 records fail the event definition \
                 (a required or eventIdFields field missing, or a value not of its declared type)\n"
            ),
        "{stdout}"
    );
}
