//! Snapshots of every output format of `validate`, `diff`, `plan`, `simulate`, `test`, `rules` and `explain`, so a
//! change of format shows up as a reviewed diff of a `.snap` file in `tests/snapshots/`.
//!
//! Each snapshot holds the exit code, stdout and stderr of one run of the real binary, with the
//! volatile parts (temp folders, the sandbox's port, the version) replaced by fixed markers.
//!
//! A mismatch fails the test, with or without `CI`: insta's default (`INSTA_UPDATE` unset, i.e.
//! `auto`) writes the new output beside the old one as `<name>.snap.new` and fails; under `CI` it
//! writes nothing and fails. Only an explicit `INSTA_UPDATE=always` (or `INSTA_FORCE_PASS=1`)
//! lets a changed snapshot pass. To review and accept an intended change:
//!
//! ```text
//! INSTA_UPDATE=always cargo test --test cli snapshots::   # rewrite the .snap files
//! git diff tests/snapshots/                                # review, then commit them
//! ```
//!
//! (`cargo insta review` does the same interactively where cargo-insta is installed; it is not
//! required.) Delete stray `*.snap.new` files after a failed run (git ignores them).

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use meterctl::sandbox::{Server, ServerConfig};

use crate::common;

/// The fixtures of these snapshots (small real-dialect meters).
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/snapshots");

/// Every `--format` of `meterctl validate`.
const VALIDATE_FORMATS: &[&str] = &[
    "text", "json", "sarif", "junit", "github", "gitlab", "rdjsonl", "markdown",
];
/// Every `--format` of `meterctl diff` and `meterctl plan`.
const DIFF_FORMATS: &[&str] = &["text", "json", "markdown"];
/// Every `--format` of `meterctl test`.
const TEST_FORMATS: &[&str] = &["text", "json", "junit", "github"];
/// Every `--format` of `meterctl simulate`.
const SIMULATE_FORMATS: &[&str] = &["json", "ndjson", "table"];

/// The `--format` values a subcommand's `--help` lists ("Possible values:" then `- NAME: ...`).
fn formats_in_help(command: &str) -> Vec<String> {
    let (code, help, _) = common::output(common::meterctl().args([command, "--help"]));
    assert_eq!(code, 0, "{command} --help");
    let from = help.find("--format <FORMAT>").expect("a --format flag");
    let mut values = Vec::new();
    for line in help[from..].lines().skip(1) {
        let t = line.trim();
        if t.starts_with("--") || t.starts_with('[') {
            break;
        }
        if let Some(v) = t.strip_prefix("- ").and_then(|r| r.split(':').next()) {
            values.push(v.trim().to_string());
        }
    }
    values
}

/// A format added to a command fails here until it has its snapshot (the lists above).
#[test]
fn every_format_of_the_cli_has_a_snapshot() {
    for (command, known) in [
        ("validate", VALIDATE_FORMATS),
        ("diff", DIFF_FORMATS),
        ("plan", DIFF_FORMATS),
        ("test", TEST_FORMATS),
        ("simulate", SIMULATE_FORMATS),
    ] {
        let listed = formats_in_help(command);
        assert!(!listed.is_empty(), "{command} --help lists no formats");
        let missing: Vec<_> = listed
            .iter()
            .filter(|f| !known.contains(&f.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{command}: formats without a snapshot: {missing:?}"
        );
    }
}

/// Runs a command and lays out its exit code, stdout and stderr as one text, with each
/// `(from, to)` replacement applied (temp folders, URLs: whatever changes between runs).
fn run(c: &mut Command, replace: &[(&str, &str)]) -> String {
    let (code, stdout, stderr) = common::output(c);
    let mut text = format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}");
    let version = env!("CARGO_PKG_VERSION");
    for (from, to) in replace
        .iter()
        .copied()
        .chain([(version, "[VERSION]")])
        .filter(|(from, _)| !from.is_empty())
    {
        text = text.replace(from, to);
    }
    text
}

/// Asserts `text` against `tests/snapshots/<name>.snap`. The snapshot folder is fixed (not
/// beside the test source), so the files stay where they are when the test module moves.
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// `validate` in every format over six files (a parse error, a literal credential, an unknown
/// predecessor with a duplicate globalId, two warnings, one valid file), and over a clean set.
#[test]
fn validate_every_format() {
    let dir = Path::new(FIXTURES).join("validate");
    for (set, code) in [("findings", 1), ("clean", 0)] {
        for format in VALIDATE_FORMATS {
            let text = run(
                common::meterctl()
                    .current_dir(&dir)
                    .args(["validate", "--format", format, set]),
                &[],
            );
            assert!(text.starts_with(&format!("exit: {code}\n")), "{text}");
            snapshot(&format!("validate-{set}-{format}"), &text);
        }
    }
}

/// `test` in every format over three cases: one passes, one fails (a changed quantity, an
/// unexpected record, an error count), one cannot be simulated.
#[test]
fn test_every_format() {
    let dir = Path::new(FIXTURES).join("test");
    for format in TEST_FORMATS {
        let text = run(
            common::meterctl()
                .current_dir(&dir)
                .args(["test", "--format", format]),
            &[],
        );
        assert!(text.starts_with("exit: 1\n"), "{text}");
        snapshot(&format!("test-{format}"), &text);
    }
}

/// `diff` in every format (and `--stat`) between two folders: one meter changed (a top-level
/// field, an inserted task, a rewired predecessor, a script line), one added, one removed, one
/// unchanged.
#[test]
fn diff_every_format() {
    let dir = Path::new(FIXTURES).join("diff");
    for format in DIFF_FORMATS {
        let text = run(
            common::meterctl()
                .current_dir(&dir)
                .args(["diff", "left", "right", "--format", format]),
            &[],
        );
        assert!(text.starts_with("exit: 1\n"), "{text}");
        snapshot(&format!("diff-folders-{format}"), &text);
    }
    let text = run(
        common::meterctl()
            .current_dir(&dir)
            .args(["diff", "left", "right", "--stat"]),
        &[],
    );
    snapshot("diff-folders-stat", &text);
}

/// `plan` in every format against the sandbox: the diff fixtures' left side is applied, then the
/// repository moves to the right side (the removed meter was never applied), so the plan holds
/// one update, one unchanged meter and one create.
#[test]
fn plan_every_format() {
    let server = Server::start(ServerConfig::default()).unwrap();
    let url = server.base_url().to_string();
    let repo = tempfile::tempdir().unwrap();
    let meterctl = || {
        let mut c = common::meterctl();
        c.current_dir(repo.path())
            .env("ZUORA_SANDBOX_CLIENT_ID", "sandbox")
            .env("ZUORA_SANDBOX_CLIENT_SECRET", "sandbox");
        c
    };
    let ok = |c: &mut Command| {
        let (code, stdout, stderr) = common::output(c);
        assert_eq!(code, 0, "{stdout}{stderr}");
    };
    ok(meterctl().args(["init", "--env", &format!("sandbox={url}")]));
    let copy = |side: &str, files: &[&str]| {
        for f in files {
            let from = Path::new(FIXTURES).join("diff").join(side).join(f);
            fs::copy(from, repo.path().join("meters").join(f)).unwrap();
        }
    };
    // One meter per apply: the sandbox numbers meters in the order they arrive, and one apply
    // creates several at once, in any order.
    for file in ["api-calls.yaml", "storage-sum.yaml"] {
        copy("left", &[file]);
        ok(meterctl().args(["apply", "--env", "sandbox", "--yes"]));
    }
    copy("right", &["api-calls.yaml", "storage-gb.yaml"]);

    let repo_path = repo.path().to_str().unwrap();
    for format in DIFF_FORMATS {
        let text = run(
            meterctl().args(["plan", "--env", "sandbox", "--format", format]),
            &[(repo_path, "[REPO]"), (&url, "[SANDBOX]")],
        );
        assert!(text.starts_with("exit: 1\n"), "{text}");
        snapshot(&format!("plan-{format}"), &text);
    }
}

/// `simulate` in every format: the api-calls example over its events plus one event without a
/// Unit, whose daily record lacks the required uom (an error record).
#[test]
fn simulate_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let mut text = fs::read_to_string("examples/events/api-requests.ndjson").unwrap();
    text.push_str(
        r#"{"RequestId": "req-0005", "AccountNumber": "A00000103", "ChargeNumber": "C-00000044", "RequestTime": "2026-01-06T08:00:00", "Calls": 4}"#,
    );
    text.push('\n');
    fs::write(&events, text).unwrap();
    for format in SIMULATE_FORMATS {
        let text = run(
            common::meterctl()
                .args(["simulate", "examples/meters/api-calls.yaml", "--events"])
                .arg(&events)
                .args(["--format", format]),
            &[],
        );
        assert!(text.starts_with("exit: 0\n"), "{text}");
        snapshot(&format!("simulate-{format}"), &text);
    }
}

/// `rules` (the table of every rule) and `explain` of one code.
#[test]
fn rules_and_explain() {
    snapshot("rules", &run(common::meterctl().arg("rules"), &[]));
    snapshot(
        "explain-MC0104",
        &run(common::meterctl().args(["explain", "MC0104"]), &[]),
    );
}
