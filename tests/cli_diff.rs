//! `meterctl diff`, driven through the real binary against small fixtures that each show one
//! thing (`tests/fixtures/diff/`). Every format's output is compared with an expected file in
//! `tests/fixtures/diff/expected/`; run with `METERCTL_UPDATE_EXPECTED=1` to rewrite them after an
//! intended change, then review the git diff.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

mod common;
use common::output as run;

use assert_cmd::Command;

const FIXTURES: &str = "tests/fixtures/diff";

fn meterctl() -> Command {
    let mut c = Command::cargo_bin("meterctl").unwrap();
    for v in [
        "METERCTL_MAX_FILE_SIZE",
        "METERCTL_DIFF_FORMAT",
        "METERCTL_DIFF_STAT",
        "METERCTL_INCLUDE_VOLATILE",
        "METERCTL_IGNORE",
    ] {
        c.env_remove(v);
    }
    c
}

fn in_fixtures(args: &[&str]) -> (i32, String, String) {
    run(meterctl().current_dir(FIXTURES).arg("diff").args(args))
}

/// Compares `actual` with the expected file, or rewrites it under `METERCTL_UPDATE_EXPECTED`.
fn expect(name: &str, actual: &str) {
    let path = PathBuf::from(FIXTURES).join("expected").join(name);
    if std::env::var_os("METERCTL_UPDATE_EXPECTED").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let want = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with METERCTL_UPDATE_EXPECTED=1",
            path.display()
        )
    });
    assert_eq!(actual, want, "output differs from {}", path.display());
}

/// Runs one case in every format, checks the exit code and every output against its snapshot.
fn case(name: &str, args: &[&str], code: i32) {
    for (format, ext) in [("text", "txt"), ("json", "json"), ("markdown", "md")] {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        let (got, out, err) = in_fixtures(&all);
        assert_eq!(got, code, "{name} --format {format}: {out}{err}");
        assert_eq!(err, "", "{name} --format {format}");
        expect(&format!("{name}.{ext}"), &out);
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["format_version"], 1);
            assert_eq!(v["has_changes"], code == 1);
        }
    }
}

#[test]
fn renamed_task_is_one_name_change() {
    case("renamed-task", &["base.yaml", "renamed-task.yaml"], 1);
}

#[test]
fn task_inserted_mid_pipeline_is_one_addition_and_one_rewire() {
    case("inserted-task", &["base.yaml", "inserted-task.yaml"], 1);
}

#[test]
fn rewired_predecessor_reads_from_another_task() {
    case("rewired", &["base.yaml", "rewired.yaml"], 1);
}

#[test]
fn changed_script_line_is_a_line_diff() {
    case("script-line", &["base.yaml", "script-line.yaml"], 1);
}

#[test]
fn reordered_rules_are_one_move() {
    case("reordered-rules", &["base.yaml", "reordered-rules.yaml"], 1);
}

#[test]
fn added_version() {
    case("added-version", &["base.yaml", "added-version.yaml"], 1);
}

#[test]
fn version_diff_review() {
    case(
        "versions",
        &["added-version.yaml", "--versions", "0.0.1", "0.0.2"],
        1,
    );
}

#[test]
fn versions_of_two_files() {
    let (code, out, err) = in_fixtures(&[
        "base.yaml",
        "added-version.yaml",
        "--versions",
        "0.0.1",
        "0.0.2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let m = &v["meters"][0];
    assert_eq!(
        (m["left"].as_str(), m["right"].as_str()),
        (Some("base.yaml"), Some("added-version.yaml"))
    );
    assert_eq!(
        m["changes"][1]["pointer_right"],
        "/versions/1/tasks/1/setting/rules/0/value"
    );
}

#[test]
fn folders_pair_by_global_id_across_formats_with_added_and_removed_meters() {
    case("folders", &["left", "right"], 1);
    let (code, out, _) = in_fixtures(&["left", "right", "--stat"]);
    assert_eq!(code, 1);
    expect("folders.stat.txt", &out);
}

#[test]
fn two_tenant_exports_of_one_meter_are_no_change() {
    // Other task ids, schemaId, schema name suffix, task order and key order; no globalId.
    case(
        "tenants",
        &["tenant-sandbox.json", "tenant-production.json"],
        0,
    );
    // Exactly the one edited setting.
    case(
        "tenants-edited",
        &["tenant-sandbox.json", "tenant-production-edited.json"],
        1,
    );
}

#[test]
fn include_volatile_and_ignore() {
    let (code, out, _) = in_fixtures(&[
        "tenant-sandbox.json",
        "tenant-production.json",
        "--include-volatile",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let paths: Vec<&str> = v["meters"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"typeDefinition.schemaId"), "{paths:?}");
    assert!(
        paths.contains(&"schemas[\"api-request\"].name"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"versions[0.0.1].tasks[\"Rate calls\"].id"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"versions[0.0.1].tasks[\"Rate calls\"].predecessors[0].id"),
        "{paths:?}"
    );

    // --ignore by identity pointer, and by index pointer through the environment.
    let (code, out, _) = in_fixtures(&[
        "tenant-sandbox.json",
        "tenant-production-edited.json",
        "--ignore",
        "/versions/*/tasks/Rate calls/setting",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = run(meterctl()
        .current_dir(FIXTURES)
        .env("METERCTL_IGNORE", "/nothing,/**/quantity")
        .args([
            "diff",
            "tenant-sandbox.json",
            "tenant-production-edited.json",
        ]));
    assert_eq!(code, 0);
}

#[test]
fn identical_sides_and_quiet() {
    let (code, out, _) = in_fixtures(&["base.yaml", "base.yaml"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "no differences (1 meter compared)\n")
    );
    let (code, out, _) = in_fixtures(&["-q", "base.yaml", "rewired.yaml"]);
    assert_eq!((code, out.as_str()), (1, ""));
}

#[test]
fn could_not_run_is_exit_2_with_a_clear_message() {
    let (code, _, err) = in_fixtures(&["base.yaml", "env:production"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(
            "error: env:production: no meterctl.yaml in this folder or any parent: env: sides name its environments;"
        ),
        "{err}"
    );
    let (code, _, err) = in_fixtures(&["left", "."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("error: right side: globalId \"mtr-api-calls\" appears in both "),
        "{err}"
    );
    let (code, _, err) = in_fixtures(&["base.yaml", "rewired.yaml", "--stat", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("--stat is a text layout"), "{err}");
    let (code, _, err) = in_fixtures(&["base.yaml", "nope.yaml"]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: nope.yaml: no such file or folder\n")
    );
    let (code, _, err) = in_fixtures(&["base.yaml"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = in_fixtures(&["left", "--versions", "0.0.1", "0.0.2"]);
    assert_eq!(code, 2);
    assert!(err.contains("holds 2 definitions"), "{err}");
    let (code, _, err) = in_fixtures(&["base.yaml", "--versions", "0.0.1", "9.9.9"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("has no version \"9.9.9\" (it has: 0.0.1)"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.json"), "{\n  \"name\": ").unwrap();
    fs::copy(
        Path::new(FIXTURES).join("base.yaml"),
        dir.path().join("base.yaml"),
    )
    .unwrap();
    let (code, out, err) =
        run(meterctl()
            .current_dir(dir.path())
            .args(["diff", "base.yaml", "bad.json"]));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("error: bad.json:2:"), "{err}");

    // Outside any git repository (a temp dir with GIT_CEILING_DIRECTORIES so no parent counts).
    let (code, _, err) = run(meterctl()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["diff", "git:HEAD", "base.yaml"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: git:HEAD needs a git repository, and ")
            && err.contains("is not inside one"),
        "{err}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let ok = StdCommand::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn git_revisions_are_read_without_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let meters = repo.join("meters");
    fs::create_dir_all(&meters).unwrap();
    fs::copy(
        Path::new(FIXTURES).join("base.yaml"),
        meters.join("api-calls.yaml"),
    )
    .unwrap();
    fs::copy(
        Path::new(FIXTURES).join("left/sms-messages.yaml"),
        meters.join("sms-messages.yaml"),
    )
    .unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "first"]);

    let (code, out, err) = run(meterctl().current_dir(repo).args(["diff", "git:HEAD", "."]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "no differences (2 meters compared)\n");

    // Edit in the working tree: diff against HEAD sees it, HEAD itself is untouched.
    fs::copy(
        Path::new(FIXTURES).join("rewired.yaml"),
        meters.join("api-calls.yaml"),
    )
    .unwrap();
    let (code, out, err) = run(meterctl().current_dir(repo).args(["diff", "git:HEAD", "."]));
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("  HEAD:meters/api-calls.yaml → meters/api-calls.yaml\n"),
        "{out}"
    );
    assert!(
        out.contains("now reads from \"Filter EU\" instead of \"Normalise\""),
        "{out}"
    );

    // Commit it; compare two revisions, from a subfolder, with and without a path.
    git(repo, &["commit", "-q", "-am", "rewire"]);
    let (code, out, _) =
        run(meterctl()
            .current_dir(&meters)
            .args(["diff", "git:HEAD~1", "git:HEAD", "--stat"]));
    assert_eq!(code, 1);
    assert_eq!(
        out,
        " ~ API Calls (mtr-api-calls) |   1 +0 -0 ~1\n1 changed, 0 added, 0 removed, 1 unchanged\n"
    );
    let (code, out, _) = run(meterctl().current_dir(&meters).args([
        "diff",
        "git:HEAD~1:api-calls.yaml",
        "api-calls.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["meters"][0]["left"], "HEAD~1:meters/api-calls.yaml");
    assert_eq!(v["meters"][0]["right"], "api-calls.yaml");

    let (code, _, err) = run(meterctl().current_dir(repo).args(["diff", "git:nope", "."]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: unknown git revision \"nope\""),
        "{err}"
    );
    // A path written in the side must exist at that revision (a typo is not "all added").
    let (code, _, err) =
        run(meterctl()
            .current_dir(repo)
            .args(["diff", "git:HEAD:nope", "meters"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("git:HEAD:nope: no such file or folder at revision HEAD"),
        "{err}"
    );
}

/// Like git and diff(1): a reader that goes away ends meterctl with SIGPIPE, never with a
/// misleading exit 0.
#[cfg(unix)]
#[test]
fn closed_stdout_pipe_is_sigpipe_not_success() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let bin = assert_cmd::cargo::cargo_bin("meterctl");
    let mut child = std::process::Command::new(bin)
        .current_dir(FIXTURES)
        .args([
            "diff",
            "tenant-sandbox.json",
            "tenant-production-edited.json",
            "--include-volatile",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
}

#[test]
fn non_meters_in_folders_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    for side in ["a", "b"] {
        fs::create_dir_all(dir.path().join(side)).unwrap();
        fs::copy(
            Path::new(FIXTURES).join("base.yaml"),
            dir.path().join(side).join("api-calls.yaml"),
        )
        .unwrap();
    }
    fs::write(dir.path().join("a/meterctl.yaml"), "environments: {}\n").unwrap();
    fs::write(dir.path().join("a/schema.json"), "{\"title\": \"x\"}\n").unwrap();
    fs::write(
        dir.path().join("b/list.yaml"),
        "- a list, not a definition\n",
    )
    .unwrap();
    let (code, out, err) = run(meterctl().current_dir(dir.path()).args(["diff", "a", "b"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        err,
        "warning: a/schema.json: not a meter definition (no globalId or name); skipped\n\
         warning: b/list.yaml: not a meter definition (no globalId or name); skipped\n"
    );
}

/// The bundled examples as another tenant would export them: other task ids, schemaIds and schema
/// suffixes, tasks and keys in another order, JSON instead of YAML. No changes; then exactly the
/// one change after one edit.
#[test]
fn examples_exported_from_another_tenant_are_no_change() {
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let mut first: Option<PathBuf> = None;
    for e in fs::read_dir("examples/meters").unwrap() {
        let p = e.unwrap().path();
        let mut v: Value = serde_norway::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
        v["typeDefinition"]["schemaId"] = Value::from("424242");
        for s in v["schemas"].as_array_mut().unwrap() {
            let base = s["name"]
                .as_str()
                .unwrap()
                .split('(')
                .next()
                .unwrap()
                .to_string();
            s["name"] = Value::from(format!("{base}(7)"));
        }
        for ver in v["versions"].as_array_mut().unwrap() {
            let tasks = ver["tasks"].as_array_mut().unwrap();
            for t in tasks.iter_mut() {
                let id = format!("other-{}", t["id"].as_str().unwrap());
                t["id"] = Value::from(id);
                for p in t["predecessors"].as_array_mut().unwrap() {
                    let id = format!("other-{}", p["id"].as_str().unwrap());
                    p["id"] = Value::from(id);
                }
            }
            tasks.reverse();
        }
        let map = v.as_object().unwrap();
        let reversed: serde_json::Map<String, Value> = map
            .iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let out = dir
            .path()
            .join(p.file_stem().unwrap())
            .with_extension("json");
        fs::write(&out, serde_json::to_string_pretty(&reversed).unwrap()).unwrap();
        first.get_or_insert(out);
    }
    let tenant = dir.path().to_str().unwrap();
    let (code, out, err) = run(meterctl().args(["diff", "examples/meters", tenant]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "no differences (6 meters compared)\n");

    let first = first.unwrap();
    let mut v: Value = serde_json::from_str(&fs::read_to_string(&first).unwrap()).unwrap();
    v["versions"][0]["tasks"][0]["metadata"]["edited"] = Value::from(true);
    fs::write(&first, serde_json::to_string(&v).unwrap()).unwrap();
    let (code, out, _) =
        run(meterctl().args(["diff", "examples/meters", tenant, "--format", "json"]));
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    let changes: Vec<&Value> = r["meters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["changes"].as_array().unwrap())
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["kind"], "added");
    assert!(changes[0]["path"]
        .as_str()
        .unwrap()
        .ends_with(".metadata.edited"));
}

#[test]
fn meterctl_yaml_diff_ignore_adds_to_the_flags() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["tenant-sandbox.json", "tenant-production-edited.json"] {
        std::fs::copy(Path::new(FIXTURES).join(f), tmp.path().join(f)).unwrap();
    }
    let diff = |dir: &Path| {
        run(meterctl()
            .current_dir(dir)
            .env_remove("METERCTL_CONFIG")
            .args([
                "diff",
                "tenant-sandbox.json",
                "tenant-production-edited.json",
            ]))
        .0
    };
    assert_eq!(diff(tmp.path()), 1, "the edit shows without configuration");
    std::fs::write(
        tmp.path().join("meterctl.yaml"),
        "version: 1\ndiff:\n  ignore:\n    - /versions/*/tasks/Rate calls/setting\n",
    )
    .unwrap();
    assert_eq!(diff(tmp.path()), 0, "meterctl.yaml ignores it");
}
