//! GitOps promotion (`init`, `track`, `pull`, `plan`, `apply`, `render`, `config check`) through
//! the real binary, against the in-process sandbox with two tenants, `sandbox` and `production`,
//! whose state lives in a folder (so the tests count the meters each tenant holds).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common;
use crate::common::output as out;

use assert_cmd::Command;
use meterctl::sandbox::{Server, ServerConfig, TenantSpec};
use serde_json::Value;

const SBX_SECRET: &str = "sbx-secret-5d1f";
const PROD_SECRET: &str = "prod-secret-9a7c";

struct Setup {
    server: Server,
    state: tempfile::TempDir,
    repo: tempfile::TempDir,
}

fn setup(fail_rate: f64, latency_ms: u64, values: &str) -> Setup {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig {
        state_dir: Some(state.path().to_path_buf()),
        tenants: vec![
            TenantSpec {
                name: "sandbox".into(),
                client_id: "sbx".into(),
                client_secret: SBX_SECRET.into(),
            },
            TenantSpec {
                name: "production".into(),
                client_id: "prod".into(),
                client_secret: PROD_SECRET.into(),
            },
        ],
        fail_rate,
        seed: 11,
        latency: Duration::from_millis(latency_ms),
        run_duration: Duration::from_millis(200),
        ..ServerConfig::default()
    })
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    let url = server.base_url().to_string();
    let (code, _, stderr) = out(cmd(&repo, &server).args([
        "init",
        "--env",
        &format!("sandbox={url}"),
        "--env",
        &format!("production={url}"),
    ]));
    assert_eq!(code, 0, "{stderr}");
    if !values.is_empty() {
        // Per-environment values: `values: {}` → the given block, in both environments, or
        // `SANDBOX|PRODUCTION`: one block each (init writes sandbox first).
        let p = repo.path().join("meterctl.yaml");
        let text = fs::read_to_string(&p).unwrap();
        let (sbx, prod) = values.split_once('|').unwrap_or((values, values));
        let text = text
            .replacen("    values: {}", sbx, 1)
            .replacen("    values: {}", prod, 1);
        fs::write(&p, text).unwrap();
    }
    Setup {
        server,
        state,
        repo,
    }
}

fn cmd(repo: &tempfile::TempDir, server: &Server) -> Command {
    Command::from_std(std_cmd(repo, server))
}

fn std_cmd(repo: &tempfile::TempDir, server: &Server) -> std::process::Command {
    let mut c = common::meterctl_std();
    c.current_dir(repo.path())
        .env("ZUORA_URL", server.base_url())
        .env("ZUORA_CLIENT_ID", "sbx")
        .env("ZUORA_CLIENT_SECRET", SBX_SECRET)
        .env("ZUORA_SANDBOX_CLIENT_ID", "sbx")
        .env("ZUORA_SANDBOX_CLIENT_SECRET", SBX_SECRET)
        .env("ZUORA_PRODUCTION_CLIENT_ID", "prod")
        .env("ZUORA_PRODUCTION_CLIENT_SECRET", PROD_SECRET)
        .env("METERCTL_RETRY_DELAY", "10ms");
    c
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir("examples/meters")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// The `values:` of an environment in examples/meterctl.yaml.
fn example_values(env: &str) -> Vec<(String, String)> {
    let config =
        meterctl::yaml::parse_value(&fs::read_to_string("examples/meterctl.yaml").unwrap())
            .unwrap();
    config["environments"][env]["values"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// A `values:` block for meterctl.yaml (as `setup` takes it) with an environment's example
/// values and `extra` lines.
fn values_block(env: &str, extra: &str) -> String {
    let mut s = String::from("    values:\n");
    for (k, v) in example_values(env) {
        s.push_str(&format!("      {k}: '{v}'\n"));
    }
    s.push_str(extra);
    s.trim_end().to_string()
}

/// An example with its placeholders filled in for an environment, as `meterctl render` does.
fn rendered_example(file: &Path, env: &str) -> Value {
    let values: std::collections::BTreeMap<String, String> =
        example_values(env).into_iter().collect();
    let doc = meterctl::yaml::parse_value(&fs::read_to_string(file).unwrap()).unwrap();
    let renderer = meterctl::promote::values::Renderer::with_lookup(env, &values, |_| None);
    renderer
        .render(&doc, &mut Default::default())
        .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()))
}

/// An example, rendered for an environment.
fn example_value(name: &str, env: &str) -> Value {
    rendered_example(Path::new(&format!("examples/meters/{name}.yaml")), env)
}

/// Meter ids the tenant holds, from its state folder.
fn tenant_meters(state: &Path, tenant: &str) -> Vec<Value> {
    let dir = state.join(tenant).join("meters");
    match fs::read_dir(&dir) {
        // The sandbox may be writing while we look: a meter is `<id>.json`; temporary files
        // (hidden) and files renamed away between listing and reading are not meters.
        Ok(rd) => rd
            .filter_map(|e| {
                let p = e.ok()?.path();
                let name = p.file_name()?.to_str()?.to_string();
                if name.starts_with('.') || !name.ends_with(".json") {
                    return None;
                }
                let bytes = fs::read(&p).ok()?;
                Some(serde_json::from_slice(&bytes).unwrap())
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Imports a file into tenant `sandbox` and returns its meter id.
fn import_into_sandbox(s: &Setup, file: &Path, extra: &[&str]) -> String {
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .args(["meter", "import", "--format", "json"])
        .arg(file)
        .args(extra));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v["id"].to_string()
}

/// Both environments with the values of examples/meterctl.yaml, plus `extra` lines in each.
fn example_config_values(extra: &str) -> String {
    format!(
        "{}|{}",
        values_block("sandbox", extra),
        values_block("production", extra)
    )
}

#[test]
fn readme_story_import_track_pull_plan_apply_edit() {
    let s = setup(0.0, 0, &example_config_values(""));
    // The repository holds the examples; tenant `sandbox` holds them rendered with its values.
    // Pull puts every placeholder back (connection names, store names, the numeric schemaId):
    // no byte changes, in every file.
    let stdout = import_track_pull(&s);
    assert!(
        stdout.ends_with("6 pulled (6 unchanged), 0 refused\n"),
        "{stdout}"
    );
    for f in examples() {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            fs::read_to_string(s.repo.path().join("meters").join(name)).unwrap(),
            fs::read_to_string(&f).unwrap(),
            "{name}"
        );
    }
    let sandbox = tenant_meters(s.state.path(), "sandbox");
    let api = sandbox.iter().find(|m| m["name"] == "API Calls").unwrap();
    assert_eq!(api["typeDefinition"]["schemaId"], "20419");

    // Plan for production: all create (exit 1), JSON shape.
    let (code, stdout, _) =
        out(cmd(&s.repo, &s.server).args(["plan", "--env", "production", "--format", "json"]));
    assert_eq!(code, 1);
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["environment"], "production");
    assert_eq!(plan["has_changes"], true);
    let actions = plan["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 6);
    assert!(actions
        .iter()
        .all(|a| a["action"] == "create" && a["meter_id"].is_null()));

    // Without a terminal and without --yes, apply refuses; production is protected anyway.
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["apply", "--env", "production"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("protected: apply needs --yes"), "{stderr}");
    assert!(tenant_meters(s.state.path(), "production").is_empty());
    // A dry run changes nothing either.
    let (code, stdout, _) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "production", "--dry-run", "--yes"]));
    assert_eq!(code, 1);
    assert!(stdout.contains("dry run: nothing was changed"));
    assert!(tenant_meters(s.state.path(), "production").is_empty());

    // Nothing is tracked in production yet: a protected environment needs --allow-untracked
    // (Zuora cannot be asked whether meters with these globalIds exist already).
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "production", "--yes"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is protected and 6 meter(s) to create are not tracked in meterctl.lock (mtr-active-seats, "),
        "{stderr}"
    );
    assert!(tenant_meters(s.state.path(), "production").is_empty());
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args([
        "apply",
        "--env",
        "production",
        "--yes",
        "--allow-untracked",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("6 of them untracked"), "{stderr}");
    assert!(
        stdout.ends_with("6 created, 0 updated, 0 unchanged, 0 failed\n"),
        "{stdout}"
    );
    let prod = tenant_meters(s.state.path(), "production");
    assert_eq!(prod.len(), 6);
    // Production got its own values: connection and store names, the numeric schemaId.
    let by_name = |n: &str| prod.iter().find(|m| m["name"] == n).unwrap().clone();
    assert_eq!(by_name("API Calls")["typeDefinition"]["schemaId"], "31877");
    assert_eq!(
        by_name("EU Storage GB-Hours")["versions"][0]["tasks"][0]["metadata"]["connectionName"],
        "s3-usage-exports"
    );
    assert_eq!(
        by_name("Active Seats")["versions"][1]["tasks"][0]["metadata"]["storeId"],
        "seat-snapshots"
    );
    let lock: Value =
        serde_json::from_str(&fs::read_to_string(s.repo.path().join("meterctl.lock")).unwrap())
            .unwrap();
    assert_eq!(
        lock["environments"]["production"]
            .as_object()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        lock["environments"]["sandbox"].as_object().unwrap().len(),
        6
    );

    // Plan again: nothing to do.
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "production"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.ends_with("0 to create, 0 to update, 6 unchanged, 0 orphaned\n"),
        "{stdout}"
    );

    // Edit one filter rule: exactly that change.
    let sms = s.repo.path().join("meters/sms-messages.yaml");
    let text = fs::read_to_string(&sms).unwrap();
    fs::write(
        &sms,
        text.replacen("        value: '1'", "        value: '2'", 1),
    )
    .unwrap();
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args([
        "plan",
        "--env",
        "production",
        "--format",
        "json",
        "-o",
        "plan.json",
    ]));
    assert_eq!(code, 1);
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    let changed: Vec<&Value> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] != "unchanged")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["global_id"], "mtr-sms-messages");
    assert_eq!(
        changed[0]["changes"],
        serde_json::json!([{"kind": "changed", "pointer": "/versions/0/tasks/1/metadata/rules/1/value",
            "path": "versions[0.0.1].tasks[\"Keep delivered messages\"].metadata.rules[1].value", "old": "1", "new": "2"}])
    );
    let (_, md, _) =
        out(cmd(&s.repo, &s.server).args(["plan", "--env", "production", "--format", "markdown"]));
    assert!(
        md.contains("| update | SMS Messages | `mtr-sms-messages` |"),
        "{md}"
    );

    // Apply the saved plan: one update, a backup of the overwritten definition first.
    let (code, stdout, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "production", "--yes", "plan.json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("0 created, 1 updated, 5 unchanged, 0 failed\n"),
        "{stdout}"
    );
    let backups = s.repo.path().join(".meterctl/backups/production");
    let stamp = fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(stamp.join("mtr-sms-messages.json").is_file());
    let prod: Vec<Value> = tenant_meters(s.state.path(), "production");
    assert_eq!(prod.len(), 6);
    let stored = prod.iter().find(|m| m["name"] == "SMS Messages").unwrap();
    assert_eq!(
        stored["versions"][0]["tasks"][1]["metadata"]["rules"][1]["value"],
        "2"
    );
    let (code, _, _) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "production"]));
    assert_eq!(code, 0);

    // The saved plan is now stale (the tenant changed): refused.
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "production", "--yes", "plan.json"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("the saved plan is stale"), "{stderr}");

    // Restore the backup: the tenant holds the old value again, and plan sees the difference.
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .args(["apply", "--env", "production", "--yes", "--restore"])
        .arg(&stamp));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.ends_with("1 restored, 0 failed\n"), "{stdout}");
    let (code, _, _) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "production"]));
    assert_eq!(code, 1);
    assert_eq!(tenant_meters(s.state.path(), "production").len(), 6);
}

/// 200 meters with per-environment values, from the api-calls example.
fn generate(repo: &Path, n: usize) {
    let base =
        meterctl::yaml::parse_value(&fs::read_to_string("examples/meters/api-calls.yaml").unwrap())
            .unwrap();
    let dir = repo.join("meters");
    for i in 0..n {
        let mut m = base.clone();
        m["globalId"] = format!("mtr-gen-{i:03}").into();
        m["name"] = format!("Generated meter {i:03}").into();
        m["description"] = "Region ${{ values.region }}, store ${{ values.store }}".into();
        let text = meterctl::canonical::to_canonical_string(&m, meterctl::load::Format::Yaml);
        fs::write(dir.join(format!("gen-{i:03}.yaml")), text).unwrap();
    }
}

#[test]
fn apply_of_200_meters_with_faults_survives_a_kill_and_never_duplicates() {
    let s = setup(
        0.2,
        10,
        &example_config_values("      region: eu-1\n      store: archive-store\n"),
    );
    generate(s.repo.path(), 200);
    let lock_path = s.repo.path().join("meterctl.lock");
    // Start an apply and kill it once the lock shows progress; the lock parses at every look.
    // Interrupt one apply with SIGINT (Ctrl-C) and the next with SIGKILL, each once the lock shows
    // progress; the lock parses at every look.
    let mut looks = 0;
    for (signal, at) in [("-INT", 40), ("-KILL", 100)] {
        let mut child = std_cmd(&s.repo, &s.server)
            .env("METERCTL_MAX_ATTEMPTS", "10")
            .args([
                "apply",
                "--env",
                "production",
                "--yes",
                "--allow-untracked",
                "-q",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if let Ok(text) = fs::read_to_string(&lock_path) {
                let lock: Value =
                    serde_json::from_str(&text).expect("the lock is valid at every moment");
                looks += 1;
                let n = lock["environments"]["production"]
                    .as_object()
                    .map_or(0, |o| o.len());
                if n >= at {
                    break;
                }
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        child.wait().unwrap();
        let partial = tenant_meters(s.state.path(), "production").len();
        eprintln!(
            "{signal}: stopped after {looks} looks at the lock, {partial} meters in the tenant"
        );
        assert!(
            partial < 200,
            "the signal came too late to test a resume ({partial})"
        );
    }
    assert!(looks > 0);

    // Rerun: completes; the tenant holds exactly 200 meters, no duplicates.
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_MAX_ATTEMPTS", "10")
        .args(["apply", "--env", "production", "--yes", "--allow-untracked"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(" failed\n") && stdout.ends_with(", 0 failed\n"),
        "{stdout}"
    );
    let prod = tenant_meters(s.state.path(), "production");
    assert_eq!(prod.len(), 200);
    let mut names: Vec<&str> = prod.iter().map(|m| m["name"].as_str().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 200);
    // Each equals the rendered repository definition.
    assert!(prod
        .iter()
        .all(|m| m["description"] == "Region eu-1, store archive-store"));
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_MAX_ATTEMPTS", "10")
        .args(["plan", "--env", "production"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.ends_with("0 to create, 0 to update, 200 unchanged, 0 orphaned\n"));
    // Pulling them back changes no byte: the values are put back as placeholders.
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_MAX_ATTEMPTS", "10")
        .args(["pull", "--env", "production"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("200 pulled (200 unchanged), 0 refused\n"),
        "{stdout}"
    );
    let lock: Value = serde_json::from_str(&fs::read_to_string(&lock_path).unwrap()).unwrap();
    assert_eq!(
        lock["environments"]["production"]
            .as_object()
            .unwrap()
            .len(),
        200
    );
}

const TOKEN: &str = "tok-SUPER-SECRET-42f9";

fn secret_meter(repo: &Path) {
    let text = fs::read_to_string("examples/meters/transcoding-minutes.yaml")
        .unwrap()
        .replace(
            "Bearer ${secrets.pricing_api_token}",
            "Bearer ${{ env.PRICING_TOKEN }}",
        );
    fs::write(repo.join("meters/transcoding-minutes.yaml"), text).unwrap();
}

fn all_text(dir: &Path) -> String {
    let mut s = String::new();
    for e in walk(dir) {
        s.push_str(&e.to_string_lossy());
        s.push('\n');
        if let Ok(t) = fs::read_to_string(&e) {
            if !e.components().any(|c| c.as_os_str() == "backups") {
                s.push_str(&t);
            }
        }
    }
    s
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn secrets_never_leak_and_literal_credentials_are_not_pulled() {
    let s = setup(0.0, 0, &example_config_values(""));
    secret_meter(s.repo.path());
    let run = |args: &[&str], token: &str| {
        let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
            .env("PRICING_TOKEN", token)
            .args(args));
        assert!(
            !stdout.contains(token) && !stderr.contains(token),
            "{args:?}: {stdout}{stderr}"
        );
        (code, stdout, stderr)
    };
    // Unset: an error before anything is sent, naming the pointer.
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("/versions/0/tasks/1/metadata/httpRequestConfig/headers/0/value")
            && stderr.contains("PRICING_TOKEN"),
        "{stderr}"
    );
    let (code, stdout, _) = run(&["render", "--env", "sandbox"], TOKEN);
    assert_eq!(code, 0);
    assert!(stdout.contains("value: Bearer ***"), "{stdout}");
    assert_eq!(run(&["apply", "--env", "sandbox", "--yes"], TOKEN).0, 0);
    let stored = tenant_meters(s.state.path(), "sandbox");
    assert_eq!(
        stored[0]["versions"][0]["tasks"][1]["metadata"]["httpRequestConfig"]["headers"][0]
            ["value"],
        format!("Bearer {TOKEN}")
    );
    // A new secret: the update shows *** for both sides, and the backup keeps the old one.
    let (code, stdout, _) = run(
        &[
            "plan",
            "--env",
            "sandbox",
            "--format",
            "json",
            "-o",
            "saved-plan.json",
        ],
        "tok-NEW-77",
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("\"old\": \"***\""), "{stdout}");
    assert!(!stdout.contains(TOKEN));
    assert_eq!(
        run(&["apply", "--env", "sandbox", "--yes"], "tok-NEW-77").0,
        0
    );
    // Pull puts the placeholder back; the repository, the lock, a saved plan and backup names
    // hold no secret.
    let (code, _, _) = run(&["pull", "--env", "sandbox"], "tok-NEW-77");
    assert_eq!(code, 0);
    let pulled = fs::read_to_string(s.repo.path().join("meters/transcoding-minutes.yaml")).unwrap();
    assert!(
        pulled.contains("value: Bearer ${{ env.PRICING_TOKEN }}"),
        "{pulled}"
    );
    let everything = all_text(s.repo.path());
    assert!(!everything.contains(TOKEN) && !everything.contains("tok-NEW-77"));
    // Pulled with another value in the process: the placeholder stays, never the tenant's value.
    let (code, _, stderr) = run(&["pull", "--env", "sandbox"], "tok-OTHER");
    assert_eq!(code, 0);
    assert!(
        stderr.contains("kept the repository's secret placeholder"),
        "{stderr}"
    );
    assert!(!all_text(s.repo.path()).contains("tok-NEW-77"));

    // A tenant meter holding a literal credential is not written; the pointer is named.
    let lit = s.repo.path().join("literal.json");
    let mut v = example_value("api-calls", "sandbox");
    v["globalId"] = "mtr-literal".into();
    v["name"] = "Literal".into();
    v["versions"][0]["tasks"][0]["metadata"]["password"] = "hunter2-LITERAL".into();
    fs::write(&lit, v.to_string()).unwrap();
    let id = import_into_sandbox(&s, &lit, &["--no-validate"]);
    fs::remove_file(&lit).unwrap();
    assert_eq!(
        run(&["track", "--env", "sandbox", "mtr-literal", &id], TOKEN).0,
        0
    );
    let (code, _, stderr) = run(&["pull", "--env", "sandbox", "mtr-literal"], TOKEN);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("literal credential at /versions/0/tasks/0/metadata/password")
            && !stderr.contains("hunter2"),
        "{stderr}"
    );
    assert!(!all_text(s.repo.path()).contains("hunter2"));

    // A tenant meter with no repository file that holds a secret another file uses as
    // `${{ env.X }}` is refused too (the secret is known from every repository file).
    let sec = s.repo.path().join("sec.json");
    v["globalId"] = "mtr-sec".into();
    v["name"] = "Sec".into();
    v["versions"][0]["tasks"][0]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    v["description"] = format!("token {TOKEN}").into();
    fs::write(&sec, v.to_string()).unwrap();
    let id = import_into_sandbox(&s, &sec, &[]);
    fs::remove_file(&sec).unwrap();
    assert_eq!(
        run(&["track", "--env", "sandbox", "mtr-sec", &id], TOKEN).0,
        0
    );
    let (code, _, stderr) = run(&["pull", "--env", "sandbox", "mtr-sec"], TOKEN);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("at /description"), "{stderr}");
    assert!(!all_text(s.repo.path()).contains(TOKEN));

    // track checks its input: a malformed globalId, and one tenant meter under two globalIds.
    let (code, _, stderr) = run(
        &["track", "--env", "sandbox", "bad id/..", &id, "--no-check"],
        TOKEN,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("not a valid globalId"), "{stderr}");
    let (code, _, stderr) = run(
        &["track", "--env", "sandbox", "mtr-other", &id, "--no-check"],
        TOKEN,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("already tracked as mtr-sec"), "{stderr}");
}

#[test]
fn a_meter_named_like_a_path_is_pulled_to_a_safe_file() {
    let s = setup(0.0, 0, "");
    let mut v = example_value("api-calls", "sandbox");
    v["globalId"] = "mtr-evil".into();
    v["name"] = "../../etc/passwd".into();
    let f = s.repo.path().join("evil.json");
    fs::write(&f, v.to_string()).unwrap();
    let id = import_into_sandbox(&s, &f, &["--no-validate"]);
    fs::remove_file(&f).unwrap();
    // A second meter with the same slug gets its own file.
    v["globalId"] = "mtr-evil-2".into();
    v["name"] = "..\\..\\etc\\passwd".into();
    fs::write(&f, v.to_string()).unwrap();
    let id2 = import_into_sandbox(&s, &f, &["--no-validate"]);
    fs::remove_file(&f).unwrap();
    for (g, i) in [("mtr-evil", &id), ("mtr-evil-2", &id2)] {
        assert_eq!(
            out(cmd(&s.repo, &s.server).args(["track", "--env", "sandbox", g, i])).0,
            0
        );
    }
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    let mut files: Vec<String> = fs::read_dir(s.repo.path().join("meters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["etc-passwd-2.yaml", "etc-passwd.yaml"], "{stdout}");
    let text = fs::read_to_string(s.repo.path().join("meters/etc-passwd.yaml")).unwrap();
    assert!(
        text.starts_with("globalId: mtr-evil\nname: ../../etc/passwd\n"),
        "{text}"
    );
    // An existing file keeps its name on the next pull, even after a rename in the tenant.
    fs::rename(
        s.repo.path().join("meters/etc-passwd.yaml"),
        s.repo.path().join("meters/kept.yaml"),
    )
    .unwrap();
    assert_eq!(
        out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"])).0,
        0
    );
    assert!(s.repo.path().join("meters/kept.yaml").is_file());
    assert!(!s.repo.path().join("meters/etc-passwd.yaml").exists());
}

#[test]
fn pull_restores_placeholders_where_the_tenant_holds_a_number() {
    let s = setup(0.0, 0, &example_config_values(""));
    let example = Path::new("examples/meters/api-calls.yaml");
    let mine = s.repo.path().join("meters/api-calls.yaml");
    fs::copy(example, &mine).unwrap();
    // The tenant answers the predefined meter's numeric schemaId as a JSON number, where the
    // repository has `${{ values.api_request_schema_id }}` (sandbox: 20419).
    let mut v = example_value("api-calls", "sandbox");
    v["typeDefinition"]["schemaId"] = 20419.into();
    let file = s.repo.path().join("numeric.json");
    fs::write(&file, v.to_string()).unwrap();
    let id = import_into_sandbox(&s, &file, &["--no-validate"]);
    fs::remove_file(&file).unwrap();
    assert_eq!(
        tenant_meters(s.state.path(), "sandbox")[0]["typeDefinition"]["schemaId"],
        20419
    );
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["track", "--env", "sandbox", "mtr-api-calls", &id]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("1 pulled (1 unchanged), 0 refused\n"),
        "{stdout}"
    );
    assert_eq!(
        fs::read_to_string(&mine).unwrap(),
        fs::read_to_string(example).unwrap()
    );
    // The tenant and the repository do not differ; the placeholder renders as a string.
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(["diff", "env:sandbox", "."]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args([
        "render",
        "--env",
        "production",
        "mtr-api-calls",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let rendered: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rendered["typeDefinition"]["schemaId"], "31877");
}

#[test]
fn pull_over_a_commented_file_keeps_every_comment_and_changes_one_line() {
    let s = setup(0.0, 0, &example_config_values(""));
    let example = Path::new("examples/meters/api-calls.yaml");
    let canonical = fs::read_to_string(example).unwrap();
    let edits = [
        (
            "",
            "# yaml-language-server: $schema=../schemas/meter.schema.json\n\n",
        ),
        (
            "name: API Calls\n",
            "# shown in Zuora's meter list\nname: API Calls  # product name\n",
        ),
        (
            "  - name: quantity\n",
            "  # the metered amount\n  - name: quantity\n",
        ),
        (
            "    cumulativePeriod: day\n",
            "    cumulativePeriod: day  # daily totals\n    # end of configs\n",
        ),
        (
            "  versionDetail: Initial release\n",
            "  # what changed\n  versionDetail: Initial release\n",
        ),
    ];
    let mut commented = canonical.clone();
    for (from, to) in edits {
        assert!(commented.contains(from), "{from}");
        commented = if from.is_empty() {
            format!("{to}{commented}")
        } else {
            commented.replacen(from, to, 1)
        };
    }
    let mine = s.repo.path().join("meters/api-calls.yaml");
    fs::write(&mine, &commented).unwrap();
    // The tenant changed one value.
    let mut v = example_value("api-calls", "sandbox");
    v["versions"][0]["versionDetail"] = "Initial release, reviewed".into();
    let file = s.repo.path().join("changed.json");
    fs::write(&file, v.to_string()).unwrap();
    let id = import_into_sandbox(&s, &file, &[]);
    fs::remove_file(&file).unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["track", "--env", "sandbox", "mtr-api-calls", &id]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let pulled = fs::read_to_string(&mine).unwrap();
    let changed: Vec<(&str, &str)> = commented
        .lines()
        .zip(pulled.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed,
        [(
            "  versionDetail: Initial release",
            "  versionDetail: Initial release, reviewed"
        )]
    );
    assert_eq!(commented.lines().count(), pulled.lines().count());

    // A commented node the tenant does not have: its comment is kept at the parent, with a
    // warning.
    fs::write(
        &mine,
        pulled.replace(
            "    cumulativePeriod: day",
            "    localOnly: 1  # not in Zuora\n    cumulativePeriod: day",
        ),
    )
    .unwrap();
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: mtr-api-calls: /typeDefinition/configs/localOnly is gone"),
        "{stderr}"
    );
    let again = fs::read_to_string(&mine).unwrap();
    assert!(!again.contains("localOnly"));
    assert!(
        again.contains("    # end of configs\n    # not in Zuora\n"),
        "{again}"
    );
    assert_eq!(again.matches('#').count(), pulled.matches('#').count() + 1);
}

#[test]
fn config_check_and_unknown_keys() {
    let s = setup(0.0, 0, "");
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args(["config", "check"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("production: http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("ZUORA_PRODUCTION_CLIENT_SECRET set"));
    assert!(!stdout.contains(PROD_SECRET));
    let p = s.repo.path().join("meterctl.yaml");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(&p, text.replace("    protected: true", "    protect: true")).unwrap();
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["config", "check"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("meterctl.yaml:") && stderr.contains("unknown field `protect`"),
        "{stderr}"
    );
    // Found from a subfolder, too.
    let (code, _, stderr) = out(cmd(&s.repo, &s.server)
        .current_dir(s.repo.path().join("meters"))
        .args(["plan", "--env", "production"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown field `protect`"), "{stderr}");
    // Folder walks skip meterctl.yaml: the example repository validates as a whole.
    let (code, stdout, stderr) = out(common::meterctl().args(["validate", "examples"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    // init refuses to overwrite.
    let (code, _, _) = out(cmd(&s.repo, &s.server).args(["init"]));
    assert_eq!(code, 2);
}

#[test]
fn apply_validates_first_and_orphans_are_left_alone() {
    let s = setup(0.0, 0, &example_config_values(""));
    let text = fs::read_to_string("examples/meters/api-calls.yaml").unwrap();
    let broken = text.replacen(
        "predecessors:\n    - id: ",
        "predecessors:\n    - id: t-missing-",
        1,
    );
    assert_ne!(broken, text);
    fs::write(s.repo.path().join("meters/api-calls.yaml"), broken).unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("MC0104") && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert!(tenant_meters(s.state.path(), "sandbox").is_empty());
    // A tracked meter without a file is orphaned: shown, never deleted, nothing pending.
    fs::write(s.repo.path().join("meters/api-calls.yaml"), &text).unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    fs::remove_file(s.repo.path().join("meters/api-calls.yaml")).unwrap();
    let (code, stdout, _) =
        out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox", "--format", "json"]));
    assert_eq!(code, 0, "{stdout}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["has_changes"], false);
    assert_eq!(plan["actions"][0]["action"], "orphaned");
    assert_eq!(plan["actions"][0]["meter_id"], "101");
    let (code, stdout, _) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to do"));
    assert_eq!(tenant_meters(s.state.path(), "sandbox").len(), 1);
}

#[test]
fn one_failing_meter_does_not_stop_the_others_unless_fail_fast() {
    let s = setup(0.0, 0, &example_config_values(""));
    for f in ["api-calls", "sms-messages", "active-seats"] {
        let text = fs::read_to_string(format!("examples/meters/{f}.yaml")).unwrap();
        // The tenant refuses a meter without a type (70002220).
        let text = if f == "api-calls" {
            text.replacen("type: SUM\n", "", 1)
        } else {
            text
        };
        fs::write(s.repo.path().join(format!("meters/{f}.yaml")), text).unwrap();
    }
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args([
        "apply",
        "--env",
        "sandbox",
        "--yes",
        "--no-validate",
        "--fail-fast",
        "--concurrency",
        "1",
    ]));
    assert_eq!(code, 1, "{stderr}");
    // mtr-active-seats went first, then mtr-api-calls failed and nothing more was started.
    assert!(
        stdout.ends_with("1 created, 0 updated, 0 unchanged, 1 failed, 1 skipped (--fail-fast)\n"),
        "{stdout}"
    );
    let (code, stdout, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes", "--no-validate"]));
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with("1 created, 0 updated, 1 unchanged, 1 failed\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: mtr-api-calls:") && stderr.contains("70002220"),
        "{stderr}"
    );
    assert_eq!(tenant_meters(s.state.path(), "sandbox").len(), 2);
    let lock: Value =
        serde_json::from_str(&fs::read_to_string(s.repo.path().join("meterctl.lock")).unwrap())
            .unwrap();
    let tracked: Vec<&String> = lock["environments"]["sandbox"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(tracked, ["mtr-active-seats", "mtr-sms-messages"]);
}

/// The README story's start: copies the examples into the repository, imports each (rendered
/// with the sandbox's values) into tenant `sandbox`, tracks it, and pulls; returns pull's stdout.
fn import_track_pull(s: &Setup) -> String {
    for f in examples() {
        fs::copy(
            &f,
            s.repo.path().join("meters").join(f.file_name().unwrap()),
        )
        .unwrap();
        let rendered = s.repo.path().join("rendered.json");
        fs::write(&rendered, rendered_example(&f, "sandbox").to_string()).unwrap();
        let id = import_into_sandbox(s, &rendered, &[]);
        fs::remove_file(&rendered).unwrap();
        let doc = meterctl::yaml::parse_value(&fs::read_to_string(&f).unwrap()).unwrap();
        let gid = doc["globalId"].as_str().unwrap();
        let (code, stdout, stderr) =
            out(cmd(&s.repo, &s.server).args(["track", "--env", "sandbox", gid, &id]));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, format!("tracked {gid} as meter {id} in sandbox\n"));
    }
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    stdout
}

const SBX_TOKEN: &str = "tok-SANDBOX-0b3e";
const PROD_TOKEN: &str = "tok-PRODUCTION-71c2";

#[test]
fn diff_env_sides_show_real_edits_only_never_values_or_secrets() {
    // Different values per environment (examples/meterctl.yaml): sandbox's are what its tenant
    // already holds.
    let s = setup(0.0, 0, &example_config_values(""));
    import_track_pull(&s);
    // A secret in the repository.
    let video = s.repo.path().join("meters/transcoding-minutes.yaml");
    let text = fs::read_to_string(&video).unwrap();
    assert!(text.contains("Bearer ${secrets.pricing_api_token}"));
    fs::write(
        &video,
        text.replace(
            "Bearer ${secrets.pricing_api_token}",
            "Bearer ${{ env.PRICING_TOKEN }}",
        ),
    )
    .unwrap();
    let tokens = [SBX_TOKEN, PROD_TOKEN];
    // Runs meterctl with a token (or none) and checks no token shows anywhere.
    let run = |args: &[&str], token: Option<&str>| {
        let mut c = cmd(&s.repo, &s.server);
        c.env_remove("PRICING_TOKEN");
        if let Some(t) = token {
            c.env("PRICING_TOKEN", t);
        }
        let (code, stdout, stderr) = out(c.args(args));
        for t in tokens {
            assert!(
                !stdout.contains(t) && !stderr.contains(t),
                "{args:?} shows a secret: {stdout}{stderr}"
            );
        }
        (code, stdout, stderr)
    };
    let (code, _, stderr) = run(&["apply", "--env", "sandbox", "--yes"], Some(SBX_TOKEN));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(
        &["apply", "--env", "production", "--yes", "--allow-untracked"],
        Some(PROD_TOKEN),
    );
    assert_eq!(code, 0, "{stderr}");
    let prod = tenant_meters(s.state.path(), "production");
    let stored = prod
        .iter()
        .find(|m| m["name"] == "EU Storage GB-Hours")
        .unwrap();
    assert_eq!(
        stored["versions"][0]["tasks"][0]["metadata"]["connectionName"], "s3-usage-exports",
        "{stored}"
    );

    // The two tenants hold different values and secrets, yet nothing differs, in every format,
    // with or without the secret variable set.
    for token in [None, Some(PROD_TOKEN), Some(SBX_TOKEN)] {
        let (code, stdout, stderr) = run(&["diff", "env:sandbox", "env:production"], token);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert_eq!(stdout, "no differences (6 meters compared)\n");
        for format in ["json", "markdown"] {
            let (code, _, stderr) = run(
                &["diff", "env:sandbox", "env:production", "--format", format],
                token,
            );
            assert_eq!(code, 0, "{stderr}");
        }
    }
    let (code, stdout, stderr) = run(&["diff", "env:production", "."], Some(PROD_TOKEN));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "no differences (6 meters compared)\n");
    assert!(stderr.is_empty(), "{stderr}");

    // One edited filter rule, applied to production only: exactly that change.
    let sms = s.repo.path().join("meters/sms-messages.yaml");
    let before = fs::read_to_string(&sms).unwrap();
    fs::write(
        &sms,
        before.replacen("        value: '1'", "        value: '2'", 1),
    )
    .unwrap();
    let (code, _, stderr) = run(&["apply", "--env", "production", "--yes"], Some(PROD_TOKEN));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(&["diff", "env:sandbox", "env:production"], None);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        "~ meter \"SMS Messages\" (globalId mtr-sms-messages)\n  env:sandbox (meter 105) → env:production (meter 105)\n  ~ versions[0.0.1].tasks[\"Keep delivered messages\"].metadata.rules[1].value: \"1\" → \"2\"\n\n1 changed, 0 added, 0 removed, 5 unchanged\n"
            .replace("(meter 105)\n", &format!("(meter {})\n", prod_id(&s, "mtr-sms-messages"))),
    );
    let (code, stdout, _) = run(
        &["diff", "env:sandbox", "env:production", "--format", "json"],
        Some(PROD_TOKEN),
    );
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["changed"], 1);
    assert_eq!(report["summary"]["unchanged"], 5);
    let changed: Vec<&Value> = report["meters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] != "unchanged")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["key"], "mtr-sms-messages");
    assert_eq!(changed[0]["changes"].as_array().unwrap().len(), 1);
    // Production equals the repository, which has the edit; without the edit, it shows.
    let (code, stdout, _) = run(&["diff", "env:production", "."], Some(PROD_TOKEN));
    assert_eq!(code, 0, "{stdout}");
    fs::write(&sms, &before).unwrap();
    let (code, stdout, _) = run(&["diff", "env:production", "."], None);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("~ versions[0.0.1].tasks[\"Keep delivered messages\"].metadata.rules[1].value: \"2\" → \"1\"")
            && stdout.ends_with("1 changed, 0 added, 0 removed, 5 unchanged\n"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&["diff", ".", "env:sandbox"], None);
    assert_eq!(code, 0, "{stdout}");

    // A secret the tenant holds where the repository no longer has the placeholder is masked in
    // every format (the variable is set, so meterctl knows the value).
    let text = fs::read_to_string(&video).unwrap();
    fs::write(
        &video,
        text.replace("Bearer ${{ env.PRICING_TOKEN }}", "Bearer none"),
    )
    .unwrap();
    // Another file keeps using the variable, so its value is known.
    let api = s.repo.path().join("meters/api-calls.yaml");
    let text = fs::read_to_string(&api).unwrap();
    fs::write(
        &api,
        text.replacen(
            "description: ",
            "description: Token ${{ env.PRICING_TOKEN }}. ",
            1,
        ),
    )
    .unwrap();
    for format in ["text", "json", "markdown"] {
        let (code, stdout, stderr) = run(
            &["diff", "env:production", ".", "--format", format],
            Some(PROD_TOKEN),
        );
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains("***"), "{format}: {stdout}");
        assert!(
            stderr.contains("warning: env:production: mtr-transcoding-minutes: the tenant holds a credential at /versions/0/tasks/1/metadata/httpRequestConfig/headers/0/value; shown as ***"),
            "{stderr}"
        );
    }
    let (_, stdout, _) = run(&["diff", "env:production", "."], Some(PROD_TOKEN));
    assert!(
        stdout.contains(".headers[0].value: \"***\" → \"Bearer none\"\n"),
        "{stdout}"
    );
    // Without the variable the value is unknown to meterctl, and still never shown.
    let (code, _, _) = run(&["diff", "env:production", "env:sandbox"], None);
    assert_eq!(code, 1);
}

/// The production meter id of a globalId, from the lock.
fn prod_id(s: &Setup, gid: &str) -> String {
    let lock: Value =
        serde_json::from_str(&fs::read_to_string(s.repo.path().join("meterctl.lock")).unwrap())
            .unwrap();
    lock["environments"]["production"][gid]["meterId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn diff_env_sides_explain_what_is_missing() {
    let s = setup(0.0, 0, &example_config_values(""));
    import_track_pull(&s);
    // No meterctl.yaml.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, stderr) = out(cmd(&elsewhere, &s.server).args(["diff", "env:sandbox", "."]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("env:sandbox: no meterctl.yaml in this folder or any parent"),
        "{stderr}"
    );
    // Unknown environment.
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["diff", "env:staging", "."]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "env:staging: no environment \"staging\" in meterctl.yaml; known: production, sandbox"
        ),
        "{stderr}"
    );
    // Missing credentials.
    let (code, _, stderr) = out(cmd(&s.repo, &s.server)
        .env_remove("ZUORA_SANDBOX_CLIENT_SECRET")
        .args(["diff", "env:sandbox", "env:production"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("env:sandbox: no credentials for environment \"sandbox\": set ZUORA_SANDBOX_CLIENT_ID and ZUORA_SANDBOX_CLIENT_SECRET"),
        "{stderr}"
    );
    assert!(!stderr.contains(PROD_SECRET) && !stderr.contains(SBX_SECRET));
    // Nothing tracked: an empty side, with a warning.
    let (code, stdout, stderr) =
        out(cmd(&s.repo, &s.server).args(["diff", "env:production", "env:sandbox"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr
            .contains("warning: env:production: nothing is tracked in environment \"production\""),
        "{stderr}"
    );
    assert!(
        stdout.ends_with("0 changed, 6 added, 0 removed, 0 unchanged\n"),
        "{stdout}"
    );
    // Tenant unreachable: a closed port.
    let p = s.repo.path().join("meterctl.yaml");
    let url = s.server.base_url().to_string();
    let text = fs::read_to_string(&p).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    fs::write(&p, text.replacen(url.trim_end_matches('/'), &dead, 1)).unwrap();
    let (code, _, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_MAX_ATTEMPTS", "2")
        .args(["diff", "env:sandbox", "."]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("env:sandbox: cannot export meter ") && stderr.contains(" from sandbox: "),
        "{stderr}"
    );
}

/// Issue 13, item 4: a boolean environment variable is exactly 1/0/true/false/yes/no.
#[test]
fn loose_yes_values_are_refused() {
    let s = setup(0.0, 0, &example_config_values(""));
    fs::copy(
        "examples/meters/api-calls.yaml",
        s.repo.path().join("meters/api-calls.yaml"),
    )
    .unwrap();
    for bad in ["banana", "on", "y"] {
        let (code, _, stderr) = out(cmd(&s.repo, &s.server)
            .env("METERCTL_YES", bad)
            .args(["apply", "--env", "sandbox"]));
        assert_eq!(code, 2, "{bad}: {stderr}");
        assert!(stderr.contains("METERCTL_YES"), "{stderr}");
        assert!(tenant_meters(s.state.path(), "sandbox").is_empty());
    }
    let (code, _, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_STRICT", "maybe")
        .args(["validate", "meters"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("METERCTL_STRICT"), "{stderr}");
    let (code, _, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_YES", "No")
        .args(["apply", "--env", "sandbox"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("without --yes"), "{stderr}");
    let (code, _, stderr) = out(cmd(&s.repo, &s.server)
        .env("METERCTL_YES", "YES")
        .args(["apply", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tenant_meters(s.state.path(), "sandbox").len(), 1);
}

/// Issue 13, item 5: backups hold tenant secrets: 0600 files in 0700 folders.
#[cfg(unix)]
#[test]
fn backups_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup(0.0, 0, &example_config_values(""));
    let file = s.repo.path().join("meters/sms-messages.yaml");
    fs::copy("examples/meters/sms-messages.yaml", &file).unwrap();
    let apply = || out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(apply().0, 0);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text.replacen("        value: '1'", "        value: '2'", 1),
    )
    .unwrap();
    let (code, _, stderr) = apply();
    assert_eq!(code, 0, "{stderr}");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let backups = s.repo.path().join(".meterctl/backups");
    let env = backups.join("sandbox");
    let stamp = fs::read_dir(&env).unwrap().next().unwrap().unwrap().path();
    for dir in [&backups, &env, &stamp] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    let backup = stamp.join("mtr-sms-messages.json");
    assert_eq!(mode(&backup), 0o600);
}

/// Waits (up to 20 s) until `cond` holds.
fn wait_until(mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Issue 13, item 3: one writing command at a time per repository; a second fails at once,
/// naming the holder, or waits with --lock-timeout; a dead holder's lock is reclaimed; Ctrl-C
/// releases it.
#[test]
fn two_applies_at_once_never_both_run() {
    let s = setup(0.0, 150, &example_config_values(""));
    for f in examples() {
        fs::copy(
            &f,
            s.repo.path().join("meters").join(f.file_name().unwrap()),
        )
        .unwrap();
    }
    let lock_file = s.repo.path().join(".meterctl/lock");
    let first = std_cmd(&s.repo, &s.server)
        .args(["apply", "--env", "sandbox", "--yes", "--concurrency", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until(|| lock_file.exists());
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "another meterctl is working on this repository (apply, pid {} on host {}",
            first.id(),
            meterctl::promote::guard::hostname()
        )),
        "{stderr}"
    );
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args([
        "track",
        "--env",
        "sandbox",
        "--no-check",
        "mtr-api-calls",
        "1",
    ]));
    assert_eq!(code, 2, "{stderr}");
    // Waiting: the second run starts once the first is done, and finds nothing to do.
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args([
        "apply",
        "--env",
        "sandbox",
        "--yes",
        "--lock-timeout",
        "1m",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("nothing to do"), "{stdout}");
    let mut first = first;
    assert!(first.wait().unwrap().success());
    assert!(!lock_file.exists());
    assert_eq!(tenant_meters(s.state.path(), "sandbox").len(), 6);

    // A lock left by a process that is gone is reclaimed with a warning.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    fs::write(
        &lock_file,
        format!(
            "{{\"pid\": {}, \"host\": \"{}\", \"command\": \"apply\", \"since\": \"2026-01-01T00:00:00.000+0000\"}}",
            gone.id(),
            meterctl::promote::guard::hostname()
        ),
    )
    .unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "warning: reclaimed the repository lock of a meterctl that is gone (apply, pid"
        ),
        "{stderr}"
    );
    assert!(!lock_file.exists());

    // Ctrl-C releases the lock (the process still dies of the signal).
    let text = fs::read_to_string(s.repo.path().join("meters/sms-messages.yaml")).unwrap();
    fs::write(
        s.repo.path().join("meters/sms-messages.yaml"),
        text.replacen("        value: '1'", "        value: '2'", 1),
    )
    .unwrap();
    let child = std_cmd(&s.repo, &s.server)
        .args(["apply", "--env", "sandbox", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until(|| lock_file.exists());
    // The handler is installed right after the lock is taken.
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut child = child;
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(!lock_file.exists());
}

/// Issue 13, item 1: a lost meterctl.lock. The import upserts by globalId, so the next apply
/// overwrites the tenant's meter: plan says so beforehand, apply reports it as an error (exit 1)
/// and still records the meter.
#[test]
fn a_lost_lock_file_overwrite_is_announced_and_reported() {
    let s = setup(0.0, 0, &example_config_values(""));
    let file = s.repo.path().join("meters/sms-messages.yaml");
    fs::copy("examples/meters/sms-messages.yaml", &file).unwrap();
    let lock_path = s.repo.path().join("meterctl.lock");
    let (code, stdout, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.ends_with("1 created, 0 updated, 0 unchanged, 0 failed\n"));
    let lock = fs::read_to_string(&lock_path).unwrap();
    // The meter must be older than one request (the rule reads the tenant's clock).
    std::thread::sleep(Duration::from_millis(1_200));
    fs::remove_file(&lock_path).unwrap();

    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("+ create (untracked) SMS Messages (mtr-sms-messages)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "1 meter(s) to create are not tracked in meterctl.lock: Zuora cannot be asked"
        ),
        "{stdout}"
    );
    let (_, json, _) =
        out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox", "--format", "json"]));
    let plan: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(plan["actions"][0]["untracked"], true);
    let (_, md, _) =
        out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox", "--format", "markdown"]));
    assert!(md.contains("| create (untracked) | SMS Messages |"), "{md}");
    assert!(
        md.contains("**Warning:** 1 meter(s) to create are not tracked"),
        "{md}"
    );

    let (code, stdout, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("error: mtr-sms-messages: overwrote meter 101, which existed since 20")
            && stderr
                .contains("and was not tracked; its previous definition could not be backed up"),
        "{stderr}"
    );
    assert!(
        stdout.ends_with(
            "1 created, 0 updated, 0 unchanged, 0 failed, 1 overwrote an untracked meter\n"
        ),
        "{stdout}"
    );
    // Recorded all the same, and no duplicate in the tenant.
    assert_eq!(fs::read_to_string(&lock_path).unwrap(), lock);
    assert_eq!(tenant_meters(s.state.path(), "sandbox").len(), 1);

    // Two globalIds for one tenant meter: the second import is reported too.
    fs::write(
        &lock_path,
        lock.replace("\"mtr-sms-messages\"", "\"mtr-other\""),
    )
    .unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("overwrote meter 101, which meterctl.lock tracks as mtr-other"),
        "{stderr}"
    );
}

/// Issue 13, item 1: an apply interrupted between an import and its lock entry leaves the
/// globalId in flight; the next apply recognises its own earlier import (a note, not an error).
#[test]
fn a_resumed_create_is_not_taken_for_an_overwrite() {
    let s = setup(0.0, 0, &example_config_values(""));
    fs::copy(
        "examples/meters/sms-messages.yaml",
        s.repo.path().join("meters/sms-messages.yaml"),
    )
    .unwrap();
    assert_eq!(
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"])).0,
        0
    );
    std::thread::sleep(Duration::from_millis(1_200));
    // As if killed after the import was sent and before the lock was written.
    fs::remove_file(s.repo.path().join("meterctl.lock")).unwrap();
    fs::create_dir_all(s.repo.path().join(".meterctl/inflight")).unwrap();
    fs::write(
        s.repo.path().join(".meterctl/inflight/sandbox.json"),
        "[\"mtr-sms-messages\"]",
    )
    .unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: mtr-sms-messages: meter 101 existed since"),
        "{stderr}"
    );
    assert!(!s
        .repo
        .path()
        .join(".meterctl/inflight/sandbox.json")
        .exists());
}

/// Issue 13, item 2: a lock entry pointing at another tenant meter made plan compare the wrong
/// meters and apply overwrite them. Now plan, apply and pull refuse, naming both meters, and
/// write nothing; a rename (in the repository, or confirmed with `track`) is no mismatch.
#[test]
fn a_wrong_lock_entry_is_refused_everywhere() {
    let s = setup(0.0, 0, &example_config_values(""));
    for name in ["sms-messages", "api-calls"] {
        fs::copy(
            format!("examples/meters/{name}.yaml"),
            s.repo.path().join(format!("meters/{name}.yaml")),
        )
        .unwrap();
    }
    let lock_path = s.repo.path().join("meterctl.lock");
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    let good = fs::read_to_string(&lock_path).unwrap();
    let lock: Value = serde_json::from_str(&good).unwrap();
    let id = |g: &str| {
        lock["environments"]["sandbox"][g]["meterId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (api, sms) = (id("mtr-api-calls"), id("mtr-sms-messages"));
    // Edited by hand: the SMS entry points at the API meter (and forgets its name).
    let mut bad = lock.clone();
    bad["environments"]["sandbox"]["mtr-sms-messages"] =
        serde_json::json!({"meterId": api.clone()});
    fs::write(&lock_path, serde_json::to_string_pretty(&bad).unwrap()).unwrap();
    let before = tenant_meters(s.state.path(), "sandbox");
    let files = all_text(&s.repo.path().join("meters"));
    let want = format!(
        "meterctl.lock says mtr-sms-messages (\"SMS Messages\") is meter {api} in sandbox, but meter {api} there is \"API Calls\""
    );
    for args in [
        &["plan", "--env", "sandbox"][..],
        &["apply", "--env", "sandbox", "--yes"],
        &["pull", "--env", "sandbox"],
    ] {
        let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(&want), "{args:?}: {stderr}");
        assert!(
            stderr.contains("1 meterctl.lock entry of sandbox points at the wrong tenant meter"),
            "{stderr}"
        );
    }
    assert_eq!(tenant_meters(s.state.path(), "sandbox"), before);
    assert_eq!(all_text(&s.repo.path().join("meters")), files);

    // Renamed in the repository since the last apply: the lock's name vouches for the meter.
    fs::write(&lock_path, &good).unwrap();
    let sms_file = s.repo.path().join("meters/sms-messages.yaml");
    let text = fs::read_to_string(&sms_file).unwrap();
    fs::write(
        &sms_file,
        text.replacen("name: SMS Messages", "name: Text Messages", 1),
    )
    .unwrap();
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "~ update    Text Messages (mtr-sms-messages, meter {sms})"
        )),
        "{stdout}"
    );
    // Renamed in the tenant: pull refuses until `track` confirms the meter.
    fs::write(&sms_file, &text).unwrap();
    let mut renamed = example_value("sms-messages", "sandbox");
    renamed["name"] = "Texts".into();
    let tmp = s.repo.path().join("renamed.json");
    fs::write(&tmp, serde_json::to_string(&renamed).unwrap()).unwrap();
    import_into_sandbox(&s, &tmp, &["--global-id", "mtr-sms-messages"]);
    fs::remove_file(&tmp).unwrap();
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "if meter {sms} was renamed, `meterctl track --env sandbox mtr-sms-messages {sms}` confirms it"
        )),
        "{stderr}"
    );
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["track", "--env", "sandbox", "mtr-sms-messages", &sms]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(fs::read_to_string(&sms_file)
        .unwrap()
        .contains("name: Texts"));
}

/// Issue 13, item 7: exit codes and wording.
#[test]
fn auth_failures_missing_meters_and_bad_ids_are_reported_once_and_plainly() {
    let s = setup(0.0, 0, &example_config_values(""));
    for name in ["sms-messages", "api-calls", "active-seats"] {
        fs::copy(
            format!("examples/meters/{name}.yaml"),
            s.repo.path().join(format!("meters/{name}.yaml")),
        )
        .unwrap();
    }
    // Refused credentials: one error, exit 2 (it was one error per meter, exit 1).
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .env("ZUORA_SANDBOX_CLIENT_SECRET", "wrong")
        .args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(stderr.matches("error").count(), 1, "{stderr}");
    assert!(
        stderr.contains("the credentials for sandbox were refused, so apply stopped: 0 meter(s) were applied before"),
        "{stderr}"
    );
    assert!(tenant_meters(s.state.path(), "sandbox").is_empty());
    assert_eq!(
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"])).0,
        0
    );
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server)
        .env("ZUORA_SANDBOX_CLIENT_SECRET", "wrong")
        .args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(stderr.matches("error").count(), 1, "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!stdout.contains("refused"), "{stdout}");

    // A tracked meter the tenant no longer has: plan warns (it was a silent `+ create`), pull
    // says it failed (not "refused": that is for literal credentials).
    let lock_path = s.repo.path().join("meterctl.lock");
    let lock = fs::read_to_string(&lock_path).unwrap();
    let mut l: Value = serde_json::from_str(&lock).unwrap();
    l["environments"]["sandbox"]["mtr-api-calls"] = serde_json::json!({"meterId": "999"});
    fs::write(&lock_path, serde_json::to_string_pretty(&l).unwrap()).unwrap();
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("+ create    API Calls (mtr-api-calls)\n      warning: meterctl.lock tracks it as meter 999, which sandbox no longer has"),
        "{stdout}"
    );
    let (_, json, _) =
        out(cmd(&s.repo, &s.server).args(["plan", "--env", "sandbox", "--format", "json"]));
    let plan: Value = serde_json::from_str(&json).unwrap();
    let api = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["global_id"] == "mtr-api-calls")
        .unwrap();
    assert!(api["warning"].as_str().unwrap().contains("meter 999"));
    assert!(api.get("untracked").is_none());
    let (code, stdout, stderr) = out(cmd(&s.repo, &s.server).args(["pull", "--env", "sandbox"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.ends_with("2 pulled (2 unchanged), 1 failed, 0 refused\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: mtr-api-calls: cannot export meter 999"),
        "{stderr}"
    );
    fs::write(&lock_path, &lock).unwrap();

    // track: the id must exist, and be a number even with --no-check.
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["track", "--env", "sandbox", "mtr-new", "998"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("environment sandbox has no meter 998"),
        "{stderr}"
    );
    for id in ["abc", "mtr-new", "", "12 3"] {
        let (code, _, stderr) = out(cmd(&s.repo, &s.server).args([
            "track",
            "--env",
            "sandbox",
            "--no-check",
            "mtr-new",
            id,
        ]));
        assert_eq!(code, 2, "{id}");
        assert!(stderr.contains("is not a meter id"), "{stderr}");
    }
    assert_eq!(fs::read_to_string(&lock_path).unwrap(), lock);

    // config check: the meters folder stays inside the repository; id and secret differ.
    let config = s.repo.path().join("meterctl.yaml");
    let good = fs::read_to_string(&config).unwrap();
    fs::write(
        &config,
        good.replace("meters: meters/", "meters: ../elsewhere/"),
    )
    .unwrap();
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["config", "check"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("must be inside the repository"), "{stderr}");
    fs::write(
        &config,
        good.replace(
            "client_secret_env: ZUORA_SANDBOX_CLIENT_SECRET",
            "client_secret_env: ZUORA_SANDBOX_CLIENT_ID",
        ),
    )
    .unwrap();
    let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(["config", "check"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("client_id_env and client_secret_env both name ZUORA_SANDBOX_CLIENT_ID"),
        "{stderr}"
    );
}

/// Issue 13, item 6: the cross-file rules see the whole repository: `validate FILE` inside a
/// repository (the pre-commit hook) and `plan`/`apply`, which validate everything first.
#[test]
fn cross_file_rules_see_the_whole_repository() {
    let s = setup(0.0, 0, &example_config_values(""));
    fs::copy(
        "examples/meters/sms-messages.yaml",
        s.repo.path().join("meters/sms-messages.yaml"),
    )
    .unwrap();
    let (code, _, stderr) =
        out(cmd(&s.repo, &s.server).args(["apply", "--env", "sandbox", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    // A second file with another globalId but the same name, and one with the same globalId.
    let text = fs::read_to_string("examples/meters/sms-messages.yaml").unwrap();
    let same_name = text.replacen("globalId: mtr-sms-messages", "globalId: mtr-sms-2", 1);
    assert_ne!(same_name, text);
    fs::write(s.repo.path().join("meters/sms-2.yaml"), &same_name).unwrap();
    let staged = s.repo.path().join("staged");
    fs::create_dir(&staged).unwrap();
    fs::write(
        staged.join("copy.yaml"),
        text.replacen("name: SMS Messages", "name: SMS copy", 1),
    )
    .unwrap();

    // validate FILE: findings on the given file only, against every meter of the repository.
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).env_remove("METERCTL_STRICT").args([
        "validate",
        "meters/sms-2.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let codes: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |d| (f["path"].as_str().unwrap(), d["code"].as_str().unwrap()))
        })
        .filter(|(_, c)| c.starts_with("MC012"))
        .collect();
    assert_eq!(codes, [("meters/sms-2.yaml", "MC0121")], "{stdout}");
    let (code, stdout, _) = out(cmd(&s.repo, &s.server).args(["validate", "staged/copy.yaml"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("MC0120") && stdout.contains("is also used by meters/sms-messages.yaml"),
        "{stdout}"
    );

    // plan and apply validate the whole repository first: nothing is sent.
    let before = tenant_meters(s.state.path(), "sandbox");
    for args in [
        &["plan", "--env", "sandbox"][..],
        &["apply", "--env", "sandbox", "--yes"],
    ] {
        let (code, _, stderr) = out(cmd(&s.repo, &s.server).args(args));
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("MC0121")
                && stderr
                    .contains("definition(s) of the repository are not valid; nothing was changed"),
            "{stderr}"
        );
    }
    assert_eq!(tenant_meters(s.state.path(), "sandbox"), before);
}
