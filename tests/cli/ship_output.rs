//! CI-friendly output of `plan`, `apply`, `pull` and `validate` (issue 12): what changes only,
//! `--only`, `apply --format json`, the GitHub job summary, GitLab and reviewdog formats,
//! `--exit-zero`, `--stdin-filename`, and progress on a terminal and in a pipe. Driven through
//! the real binary against the sandbox on 127.0.0.1:0.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::common;
use common::output as out;

use assert_cmd::Command;
use meterctl::sandbox::{Server, ServerConfig, TenantSpec};
use serde_json::Value;

const SECRET: &str = "prod-secret-9a7c";

struct Setup {
    server: Server,
    _state: tempfile::TempDir,
    repo: tempfile::TempDir,
}

/// A repository whose environment `production` tracks `n` meters, all applied (latency applies
/// to later calls).
fn setup(n: usize, latency_ms: u64) -> Setup {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig {
        state_dir: Some(state.path().to_path_buf()),
        tenants: vec![TenantSpec {
            name: "production".into(),
            client_id: "prod".into(),
            client_secret: SECRET.into(),
        }],
        seed: 11,
        latency: Duration::from_millis(latency_ms),
        ..ServerConfig::default()
    })
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    let s = Setup {
        server,
        _state: state,
        repo,
    };
    let url = s.server.base_url().to_string();
    let (code, _, stderr) = out(s
        .cmd()
        .args(["init", "--env", &format!("production={url}")]));
    assert_eq!(code, 0, "{stderr}");
    generate(s.repo.path(), n);
    if n > 0 {
        let (code, stdout, stderr) =
            out(s
                .cmd()
                .args(["apply", "--env", "production", "--yes", "--allow-untracked"]));
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
    s
}

impl Setup {
    fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    fn std_cmd(&self) -> std::process::Command {
        self.program(assert_cmd::cargo::cargo_bin("meterctl"))
    }

    /// A program run in the repository with the environment of [`Setup::std_cmd`].
    fn program(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        common::clean_env(&mut c);
        for v in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "METERCTL_CONFIG",
            "METERCTL_ENV",
            "GITHUB_STEP_SUMMARY",
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "FORCE_COLOR",
        ] {
            c.env_remove(v);
        }
        c.current_dir(self.repo.path())
            .env("ZUORA_PRODUCTION_CLIENT_ID", "prod")
            .env("ZUORA_PRODUCTION_CLIENT_SECRET", SECRET)
            .env("METERCTL_RETRY_DELAY", "10ms");
        c
    }

    /// Changes the description of generated meter `i` in the repository.
    fn edit(&self, i: usize) {
        let p = self.repo.path().join(format!("meters/gen-{i:03}.yaml"));
        let text = fs::read_to_string(&p).unwrap();
        let mut v = meterctl::yaml::parse_value(&text).unwrap();
        v["description"] = "Edited".into();
        let text = meterctl::canonical::to_canonical_string(&v, meterctl::load::Format::Yaml);
        fs::write(p, text).unwrap();
    }
}

/// `n` meters from the SMS example (no placeholders), globalIds `mtr-gen-000`...
fn generate(repo: &Path, n: usize) {
    let base = meterctl::yaml::parse_value(
        &fs::read_to_string("examples/meters/sms-messages.yaml").unwrap(),
    )
    .unwrap();
    let dir = repo.join("meters");
    fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let mut m = base.clone();
        m["globalId"] = format!("mtr-gen-{i:03}").into();
        m["name"] = format!("Generated meter {i:03}").into();
        let text = meterctl::canonical::to_canonical_string(&m, meterctl::load::Format::Yaml);
        fs::write(dir.join(format!("gen-{i:03}.yaml")), text).unwrap();
    }
}

#[test]
fn plan_shows_what_changes_and_markdown_stays_small() {
    let s = setup(200, 0);
    s.edit(7);
    let (code, stdout, stderr) = out(s.cmd().args(["plan", "--env", "production"]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("mtr-gen-")).count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("~ update    Generated meter 007 (mtr-gen-007"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("0 to create, 1 to update, 199 unchanged, 0 orphaned\n"),
        "{stdout}"
    );
    let (_, all, _) = out(s
        .cmd()
        .args(["plan", "--env", "production", "--show-unchanged"]));
    assert_eq!(all.lines().filter(|l| l.contains("mtr-gen-")).count(), 200);

    let (code, md, stderr) =
        out(s
            .cmd()
            .args(["plan", "--env", "production", "--format", "markdown"]));
    assert_eq!(code, 1, "{stderr}");
    eprintln!(
        "plan --format markdown, 1 change among 200 meters: {} bytes",
        md.len()
    );
    assert!(md.len() < 2048, "{} bytes:\n{md}", md.len());
    assert!(
        md.contains("| update | Generated meter 007 | `mtr-gen-007` |"),
        "{md}"
    );
    assert!(md.contains("199 unchanged"));
}

#[test]
fn only_chooses_meters_by_global_id_or_glob() {
    let s = setup(12, 0);
    s.edit(1);
    s.edit(11);
    let plan = |only: &[&str]| {
        let mut c = s.cmd();
        c.args(["plan", "--env", "production", "--format", "json"]);
        for o in only {
            c.args(["--only", o]);
        }
        out(&mut c)
    };
    let (code, stdout, stderr) = plan(&["mtr-gen-01*"]);
    assert_eq!(code, 1, "{stderr}");
    let p: Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = p["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["global_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["mtr-gen-010", "mtr-gen-011"]);
    let (code, stdout, _) = plan(&["mtr-gen-000", "mtr-gen-002"]);
    assert_eq!(code, 0, "nothing of these two changes: {stdout}");
    // A pattern that matches nothing is an error naming it.
    let (code, _, stderr) = plan(&["mtr-gen-000", "mtr-nope-*"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--only \"mtr-nope-*\" matches no meter"),
        "{stderr}"
    );

    // apply --only sends only the chosen meter; the other change stays planned.
    let (code, stdout, stderr) = out(s.cmd().args([
        "apply",
        "--env",
        "production",
        "--yes",
        "--only",
        "mtr-gen-011",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let o: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(o["summary"]["updated"], 1);
    assert_eq!(o["meters"].as_array().unwrap().len(), 1);
    let (code, stdout, _) = out(s.cmd().args(["plan", "--env", "production"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("mtr-gen-001") && !stdout.contains("mtr-gen-011"),
        "{stdout}"
    );

    // pull --only.
    let (code, stdout, stderr) =
        out(s
            .cmd()
            .args(["pull", "--env", "production", "--only", "mtr-gen-00[0-2]"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("3 pulled (2 unchanged), 0 refused\n") && !stdout.contains("mtr-gen-003"),
        "{stdout}"
    );
    // Without --only, the given globalIds alone.
    let (code, stdout, stderr) = out(s.cmd().args(["pull", "--env", "production", "mtr-gen-004"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("1 pulled (1 unchanged), 0 refused\n"),
        "{stdout}"
    );
    let (code, _, stderr) = out(s
        .cmd()
        .args(["pull", "--env", "production", "--only", "zzz"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--only \"zzz\""), "{stderr}");
}

#[test]
fn apply_json_gives_every_meters_outcome_and_nothing_else() {
    let s = setup(3, 0);
    s.edit(2);
    generate_one(s.repo.path(), "mtr-new", "New meter");
    let (code, stdout, stderr) = out(s.cmd().args([
        "apply",
        "--env",
        "production",
        "--yes",
        "--allow-untracked",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let o: Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert_eq!(o["format_version"], 1);
    assert_eq!(
        o["summary"],
        serde_json::json!({"created": 1, "updated": 1, "unchanged": 2, "failed": 0, "skipped": 0})
    );
    let by: Vec<(String, String, bool)> = o["meters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["global_id"].as_str().unwrap().into(),
                m["outcome"].as_str().unwrap().into(),
                m["meter_id"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("mtr-gen-000".into(), "unchanged".into(), true),
            ("mtr-gen-001".into(), "unchanged".into(), true),
            ("mtr-gen-002".into(), "updated".into(), true),
            ("mtr-new".into(), "created".into(), true),
        ]
    );
    // Nothing to do: still one document.
    let (code, stdout, _) =
        out(s
            .cmd()
            .args(["apply", "--env", "production", "--yes", "--format", "json"]));
    assert_eq!(code, 0);
    let o: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(o["summary"]["unchanged"], 4);
}

fn generate_one(repo: &Path, gid: &str, name: &str) {
    let mut m = meterctl::yaml::parse_value(
        &fs::read_to_string("examples/meters/sms-messages.yaml").unwrap(),
    )
    .unwrap();
    m["globalId"] = gid.into();
    m["name"] = name.into();
    let text = meterctl::canonical::to_canonical_string(&m, meterctl::load::Format::Yaml);
    fs::write(repo.join(format!("meters/{gid}.yaml")), text).unwrap();
}

/// `script` from util-linux runs a command in a pseudo-terminal (None when it is missing).
fn script_available() -> bool {
    std::process::Command::new("script")
        .args(["-qfec", "true", "/dev/null"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn plan_shows_a_bar_on_a_terminal_and_plain_lines_in_a_pipe() {
    let s = setup(200, 100);
    // Piped (stderr is not a terminal): no control characters at all, and a plain line after
    // each interval of silence.
    let (code, stdout, stderr) = out(s.cmd().env("METERCTL_PROGRESS_INTERVAL", "300ms").args([
        "plan",
        "--env",
        "production",
    ]));
    assert_eq!(code, 0, "{stderr}");
    for text in [&stdout, &stderr] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "control characters in {text:?}"
        );
    }
    assert!(
        stderr.contains("still reading 200 meter(s) from production: "),
        "no heartbeat in {stderr:?}"
    );
    if !script_available() {
        eprintln!(
            "note: `script` (util-linux) cannot run here; the pseudo-terminal half is skipped"
        );
        return;
    }
    // In a pseudo-terminal: a counted bar on stderr (`[###   ] 57/200 ...`).
    let bin = assert_cmd::cargo::cargo_bin("meterctl");
    let o = s
        .program("script")
        .env("TERM", "xterm")
        .args([
            "-qfec",
            &format!("{} plan --env production", bin.display()),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{tty}");
    assert!(tty.contains("/200"), "no bar in {tty:?}");
    assert!(
        tty.contains('#') && tty.contains('\x1b'),
        "no drawn bar in {tty:?}"
    );
    assert!(!tty.contains("still reading"), "{tty:?}");
    assert!(tty.contains("0 to create, 0 to update, 200 unchanged, 0 orphaned"));
}

/// A folder with one meter that has an error (a predecessor no task has) and one that is valid.
fn findings_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = meterctl::yaml::parse_value(
        &fs::read_to_string("examples/meters/sms-messages.yaml").unwrap(),
    )
    .unwrap();
    bad["versions"][0]["tasks"][1]["predecessors"] = serde_json::json!([{"id": "nope"}]);
    let text = meterctl::canonical::to_canonical_string(&bad, meterctl::load::Format::Yaml);
    fs::write(dir.path().join("bad.yaml"), text).unwrap();
    fs::copy(
        "examples/meters/compute-minutes.yaml",
        dir.path().join("good.yaml"),
    )
    .unwrap();
    dir
}

fn validate(dir: &Path) -> Command {
    let mut c = common::meterctl();
    c.current_dir(dir).env_remove("GITHUB_STEP_SUMMARY");
    c.arg("validate");
    c
}

#[test]
fn validate_gitlab_matches_gitlabs_code_quality_schema() {
    let dir = findings_folder();
    let (code, stdout, stderr) = out(validate(dir.path()).args(["--format", "gitlab", "."]));
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &fs::read_to_string("tests/fixtures/gitlab/code-quality-report.schema.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{stdout}");
    let issues = report.as_array().unwrap();
    assert!(!issues.is_empty());
    assert!(
        issues.iter().all(|i| i["location"]["path"] == "bad.yaml"),
        "{stdout}"
    );
    assert!(issues.iter().any(|i| i["severity"] == "major"));
    // The schema does reject what GitLab would (a severity it does not know).
    let mut wrong = report.clone();
    wrong[0]["severity"] = "error".into();
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn validate_rdjsonl_is_one_diagnostic_per_line() {
    let dir = findings_folder();
    let (code, stdout, stderr) = out(validate(dir.path()).args(["--format", "rdjsonl", "."]));
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        assert_eq!(d["location"]["path"], "bad.yaml", "{line}");
        assert!(d["message"].is_string() && d["code"]["value"].is_string());
        assert!(matches!(d["severity"].as_str(), Some("ERROR" | "WARNING")));
    }
}

#[test]
fn exit_zero_prints_findings_and_exits_0_but_errors_stay_2() {
    let dir = findings_folder();
    let (code, stdout, _) = out(validate(dir.path()).args(["--exit-zero", "."]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("bad.yaml") && stdout.contains("error"),
        "{stdout}"
    );
    let (code, _, stderr) = out(validate(dir.path()).args(["--exit-zero", "missing-folder"]));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn stdin_filename_names_stdin_in_diagnostics() {
    let dir = findings_folder();
    let bad = fs::read_to_string(dir.path().join("bad.yaml")).unwrap();
    let (code, stdout, stderr) = out(validate(dir.path())
        .args([
            "--format",
            "json",
            "--stdin-filename",
            "meters/sms.yaml",
            "-",
        ])
        .write_stdin(bad.clone()));
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["files"][0]["path"], "meters/sms.yaml", "{stdout}");
    // A parse error names it too.
    let (code, stdout, _) = out(validate(dir.path())
        .args(["--stdin-filename", "meters/sms.yaml", "-"])
        .write_stdin("name: [unclosed\n"));
    assert_eq!(code, 1);
    assert!(stdout.contains("meters/sms.yaml:"), "{stdout}");
    // fmt: the diff header and errors.
    let mut fmt = common::meterctl();
    let (code, stdout, _) = out(fmt
        .current_dir(dir.path())
        .args(["fmt", "--diff", "--stdin-filename", "meters/sms.yaml", "-"])
        .write_stdin(bad.replace("name:", "name:   ")));
    assert_eq!(code, 1);
    assert!(stdout.starts_with("--- a/meters/sms.yaml\n"), "{stdout}");
    let (code, _, stderr) = out(common::meterctl()
        .current_dir(dir.path())
        .args(["fmt", "--stdin-filename", "meters/sms.yaml", "-"])
        .write_stdin("name: [unclosed\n"));
    assert_eq!(code, 2);
    assert!(stderr.contains("meters/sms.yaml"), "{stderr}");
}

#[test]
fn github_step_summary_gets_markdown_from_validate_diff_and_plan() {
    let s = setup(3, 0);
    s.edit(1);
    let summary = s.repo.path().join("step-summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    // plan: detected from the variable alone.
    let (code, stdout, stderr) =
        out(s
            .cmd()
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["plan", "--env", "production"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains("###"), "stdout keeps its format: {stdout}");
    let text = fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n### meterctl plan: `production`\n"),
        "{text}"
    );
    assert!(
        text.contains("| update | Generated meter 001 | `mtr-gen-001` |"),
        "{text}"
    );
    // validate: a table of findings, appended.
    let dir = findings_folder();
    let (code, _, stderr) = out(validate(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["--report", "github-summary", "."]));
    assert_eq!(code, 1, "{stderr}");
    let text = fs::read_to_string(&summary).unwrap();
    assert!(text.contains("### ❌ meterctl validate\n"), "{text}");
    assert!(text.contains("| error | `bad.yaml` |"), "{text}");
    assert!(text.contains("meterctl plan"), "earlier summaries are kept");
    // diff: its Markdown report.
    let (code, _, stderr) = out(s.cmd().env("GITHUB_STEP_SUMMARY", &summary).args([
        "diff",
        "env:production",
        "meters",
        "--report",
        "github-summary",
    ]));
    assert_eq!(code, 1, "{stderr}");
    let text = fs::read_to_string(&summary).unwrap();
    assert!(text.contains("mtr-gen-001"), "{text}");
    assert!(text.matches("meterctl validate").count() == 1);
    // The flag without the variable: nowhere to write, exit 2, before any work.
    for args in [
        &["plan", "--env", "production", "--report", "github-summary"][..],
        &["validate", "--report", "github-summary", "meters"],
        &["diff", "meters", "meters", "--report", "github-summary"],
    ] {
        let (code, _, stderr) = out(s.cmd().args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("GITHUB_STEP_SUMMARY"), "{stderr}");
    }
}
