//! `meterctl diff`, driven through the real binary against small fixtures in Zuora's meter dialect
//! that each show one thing (`tests/fixtures/diff/`). Every format's output is compared with an
//! expected file in `tests/fixtures/diff/expected/`; run with `METERCTL_UPDATE_EXPECTED=1` to
//! rewrite them after an intended change, then review the git diff. At scale, two tenants'
//! exports of 200 meters from `../shared/tools/gen_corpus.py` (skipped when it is absent).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::common;
use crate::common::output as run;

use assert_cmd::Command;

const FIXTURES: &str = "tests/fixtures/diff";

fn meterctl() -> Command {
    common::meterctl()
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

/// Filter operators in either spelling, a reordered `groupFields` (a set), reordered
/// `aggregationFields` and `fieldMappings` (matched by `targetField` and `name`) and other layout
/// are no change; a reordered `keyFields` (ordered) is one, and so is an aggregation edited in
/// place, under its targetField.
#[test]
fn metadata_lists_compare_by_their_identities() {
    case("identities", &["base.yaml", "identities.yaml"], 1);
    let (_, out, _) = in_fixtures(&["base.yaml", "identities.yaml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let changes: Vec<(&str, &str)> = v["meters"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            (
                "versions[0.0.1].tasks[\"Gateway events\"].metadata.keyFields[0]",
                "moved"
            ),
            (
                "versions[0.0.1].tasks[\"Daily\"].metadata.aggregationFields[\"total\"].aggregation",
                "changed"
            )
        ]
    );
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
        "/versions/1/tasks/1/metadata/rules/0/value"
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
    // Other task ids, positions (`versions[].metadata`), letter codes (`uniqueName`), task order
    // and key order; no globalId.
    case(
        "tenants",
        &["tenant-sandbox.json", "tenant-production.json"],
        0,
    );
    // Exactly the one edited aggregation.
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
    for want in [
        "versions[0.0.1].metadata",
        "versions[0.0.1].tasks[\"Daily\"].id",
        "versions[0.0.1].tasks[\"Daily\"].uniqueName",
        "versions[0.0.1].tasks[\"Daily\"].predecessors[0].id",
    ] {
        assert!(paths.contains(&want), "{want} in {paths:?}");
    }

    // --ignore by identity pointer, and by index pointer through the environment.
    let (code, out, _) = in_fixtures(&[
        "tenant-sandbox.json",
        "tenant-production-edited.json",
        "--ignore",
        "/versions/*/tasks/Daily/metadata",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = run(meterctl()
        .current_dir(FIXTURES)
        .env("METERCTL_IGNORE", "/nothing,/**/aggregation")
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
    let mut child = common::meterctl_std()
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

/// Shuffles a list in place, deterministically.
fn shuffle<T>(rng: &mut fastrand::Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.usize(..=i);
        items.swap(i, j);
    }
}

/// An object with its keys in another (random, deterministic) order.
fn shuffle_keys(rng: &mut fastrand::Rng, v: &mut serde_json::Value) {
    if let Some(m) = v.as_object_mut() {
        let mut entries: Vec<(String, serde_json::Value)> = std::mem::take(m).into_iter().collect();
        shuffle(rng, &mut entries);
        m.extend(entries);
    }
}

/// The same meter as another tenant would export it: other task ids (and predecessor ids),
/// positions keyed by them in `versions[].metadata`, other letter codes, another numeric
/// `typeDefinition.schemaId` where there is one, tasks and keys in another order.
fn as_other_tenant(rng: &mut fastrand::Rng, v: &mut serde_json::Value) {
    use serde_json::{json, Value};
    if let Some(id) = v.pointer_mut("/typeDefinition/schemaId") {
        if id
            .as_str()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
        {
            *id = Value::from("424242");
        }
    }
    for ver in v["versions"].as_array_mut().into_iter().flatten() {
        let Some(tasks) = ver.get_mut("tasks").and_then(Value::as_array_mut) else {
            continue;
        };
        let other = |id: &Value| Value::from(format!("other-{}", id.as_str().unwrap_or("")));
        let mut positions = serde_json::Map::new();
        for (i, t) in tasks.iter_mut().enumerate() {
            t["id"] = other(&t["id"]);
            positions.insert(
                t["id"].as_str().unwrap().to_string(),
                json!({"x": 100 * i, "y": 0}),
            );
            for p in t["predecessors"].as_array_mut().into_iter().flatten() {
                p["id"] = other(&p["id"]);
            }
            if let Some(u) = t.get_mut("uniqueName") {
                *u = Value::from(format!("z{i}"));
            }
            shuffle_keys(rng, t);
        }
        shuffle(rng, tasks);
        ver["metadata"] = Value::from(json!({ "positions": positions }).to_string());
    }
    shuffle_keys(rng, v);
}

/// The bundled examples as another tenant would export them (see [`as_other_tenant`]), JSON
/// instead of YAML. No changes; then exactly the one change after one edit.
#[test]
fn examples_exported_from_another_tenant_are_no_change() {
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(9);
    let mut files: Vec<PathBuf> = fs::read_dir("examples/meters")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    let mut edited: Option<PathBuf> = None;
    for p in &files {
        let mut v = meterctl::yaml::parse_value(&fs::read_to_string(p).unwrap()).unwrap();
        as_other_tenant(&mut rng, &mut v);
        let has_tasks = v["versions"].as_array().is_some_and(|vs| {
            vs.iter()
                .any(|ver| ver["tasks"].as_array().is_some_and(|t| !t.is_empty()))
        });
        let out = dir
            .path()
            .join(p.file_stem().unwrap())
            .with_extension("json");
        fs::write(&out, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        if has_tasks && edited.is_none() {
            edited = Some(out);
        }
    }
    let tenant = dir.path().to_str().unwrap();
    let (code, out, err) = run(meterctl().args(["diff", "examples/meters", tenant]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!("no differences ({} meters compared)\n", files.len())
    );

    let edited = edited.expect("an example with tasks");
    let mut v: Value = serde_json::from_str(&fs::read_to_string(&edited).unwrap()).unwrap();
    let ver = v["versions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|ver| ver["tasks"].as_array().is_some_and(|t| !t.is_empty()))
        .unwrap();
    ver["tasks"][0]["metadata"]
        .as_object_mut()
        .expect("task metadata is an object")
        .insert("edited".into(), Value::from(true));
    fs::write(&edited, serde_json::to_string(&v).unwrap()).unwrap();
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

/// The first leaf rule of a FILTER task anywhere in a meter (nested groups included), as a
/// mutable reference to its object.
fn first_filter_rule(v: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
    fn leaf(rules: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
        for r in rules.as_array_mut()?.iter_mut() {
            if r.get("rules").is_some() {
                if let Some(l) = leaf(&mut r["rules"]) {
                    return Some(l);
                }
            } else if r.get("value").is_some_and(serde_json::Value::is_string) {
                return Some(r);
            }
        }
        None
    }
    v["versions"]
        .as_array_mut()?
        .iter_mut()
        .flat_map(|ver| ver["tasks"].as_array_mut().into_iter().flatten())
        .filter(|t| t["operatorType"] == "FILTER")
        .find_map(|t| leaf(&mut t["metadata"]["rules"]))
}

/// Issue 9's acceptance: the same 200 meters exported from two tenants (`gen_corpus.py`, same
/// seed, `--tenant sandbox` and `--tenant production`: other task ids, positions, numeric
/// schema ids; `--placeholders` so connection and store names are the same `${{ values.X }}`
/// on both sides, as in a repository), one side's task lists and keys shuffled, diff as no
/// change. One edited filter rule is exactly one change.
#[test]
fn two_tenants_of_generated_meters_are_no_change_then_one_rule_edit_is_one_change() {
    use serde_json::Value;
    let gen = Path::new("../shared/tools/gen_corpus.py");
    if !gen.exists() {
        eprintln!("skipped: {} is absent", gen.display());
        return;
    }
    if StdCommand::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for tenant in ["sandbox", "production"] {
        let out = StdCommand::new("python3")
            .arg(gen)
            .arg("--out")
            .arg(dir.path().join(tenant))
            .args(["--count", "200", "--seed", "7", "--tenant", tenant])
            .args(["--global-ids", "--placeholders"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gen_corpus.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let production = dir.path().join("production");
    let mut files: Vec<PathBuf> = fs::read_dir(&production)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 200);
    let mut rng = fastrand::Rng::with_seed(42);
    for p in &files {
        let mut v: Value = serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap();
        for ver in v["versions"].as_array_mut().into_iter().flatten() {
            if let Some(tasks) = ver.get_mut("tasks").and_then(Value::as_array_mut) {
                tasks.iter_mut().for_each(|t| shuffle_keys(&mut rng, t));
                shuffle(&mut rng, tasks);
            }
            shuffle_keys(&mut rng, ver);
        }
        shuffle_keys(&mut rng, &mut v);
        fs::write(p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }
    let sandbox = dir.path().join("sandbox");
    let (code, out, err) = run(meterctl().arg("diff").arg(&sandbox).arg(&production));
    assert_eq!(code, 0, "{err}{}", &out[..out.len().min(4000)]);
    assert_eq!(out, "no differences (200 meters compared)\n");

    // One edit inside one filter rule: exactly one change.
    let (path, mut v) = files
        .iter()
        .find_map(|p| {
            let mut v: Value = serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap();
            first_filter_rule(&mut v)?;
            Some((p.clone(), v))
        })
        .expect("a generated meter with a filter rule");
    let rule = first_filter_rule(&mut v).unwrap();
    let value = format!("{}-edited", rule["value"].as_str().unwrap());
    rule["value"] = Value::from(value.clone());
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, out, err) = run(meterctl()
        .arg("diff")
        .arg(&sandbox)
        .arg(&production)
        .args(["--format", "json"]));
    assert_eq!(code, 1, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["summary"]["changed"], 1, "{}", r["summary"]);
    assert_eq!(r["summary"]["unchanged"], 199);
    let changed: Vec<&Value> = r["meters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "changed")
        .collect();
    let changes = changed[0]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let path = changes[0]["path"].as_str().unwrap();
    assert!(
        path.contains(".metadata.rules[") && path.ends_with("].value"),
        "{path}"
    );
    assert_eq!(changes[0]["new"], Value::from(value));
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
        "version: 1\ndiff:\n  ignore:\n    - /versions/*/tasks/Daily/metadata\n",
    )
    .unwrap();
    assert_eq!(diff(tmp.path()), 0, "meterctl.yaml ignores it");
}
