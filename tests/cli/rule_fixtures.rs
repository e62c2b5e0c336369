//! A fixture per rule: every code `meterctl rules` lists is triggered by at least one fixture
//! folder under `tests/fixtures/rules/`, so a new rule cannot land without a file that shows it.
//!
//! Each folder is validated the way a user or a pre-commit hook names files: every file in it
//! (but its configuration: `meterctl.yaml` and `*.schema.json`) is given by name, with the folder
//! as the current directory, so the folder's own `meterctl.yaml` applies (MC0012's house rules)
//! and a file with the wrong extension is reported (MC0003). The repository-wide rules (MC0120,
//! MC0121) are found across the files of a multi-file folder that is a repository of its own
//! (its `meterctl.yaml` says `meters: .`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{self, output};

const RULE_FIXTURES: &str = "tests/fixtures/rules";

/// Every code in the table `meterctl rules` prints (it has no JSON format): the first word of
/// each line that looks like `MC0000`.
fn listed_codes() -> Vec<String> {
    let (code, stdout, stderr) = output(common::meterctl().arg("rules"));
    assert_eq!(code, 0, "{stderr}");
    let codes: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            w.len() == 6 && w.starts_with("MC") && w[2..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    assert!(codes.len() > 50, "too few codes parsed from:\n{stdout}");
    codes
}

/// The files of a fixture folder, relative to it, sorted (configuration left out).
fn named_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                walk(root, &path, out);
            } else if name != "meterctl.yaml" && !name.ends_with(".schema.json") {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// The codes `meterctl validate --format json` reports for a fixture folder's files.
fn codes_found(dir: &Path) -> BTreeSet<String> {
    let files = named_files(dir);
    assert!(!files.is_empty(), "{} has no files", dir.display());
    let (code, stdout, stderr) = output(
        common::meterctl()
            .current_dir(dir)
            .args(["validate", "--format", "json"])
            .args(&files),
    );
    assert!(
        code == 0 || code == 1,
        "{}: exit {code}: {stderr}",
        dir.display()
    );
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {stdout}{stderr}", dir.display()));
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().unwrap())
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_listed_rule_has_a_fixture_that_triggers_it() {
    let mut triggered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(RULE_FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        for code in codes_found(dir) {
            triggered.entry(code).or_default().push(name.clone());
        }
    }
    let missing: Vec<String> = listed_codes()
        .into_iter()
        .filter(|c| !triggered.contains_key(c))
        .collect();
    assert!(
        missing.is_empty(),
        "no fixture under {RULE_FIXTURES}/ triggers {missing:?}: add a small real-dialect meter \
         broken in that one way as {RULE_FIXTURES}/<CODE>/"
    );
    // A rule's own folder, where it has one, shows it.
    for (code, folders) in &triggered {
        let own: Vec<&PathBuf> = dirs
            .iter()
            .filter(|d| {
                d.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(code.as_str())
            })
            .collect();
        assert!(
            own.is_empty() || folders.iter().any(|f| f.starts_with(code.as_str())),
            "{code}: its folder {own:?} does not trigger it (found in {folders:?})"
        );
    }
}
