//! Zuora's real dialect at volume: 1,000 definitions generated at test time by
//! `../shared/tools/gen_corpus.py` (four seeds, both formats, export and repository form) must
//! validate with no error (`meterctl validate --format json`; warnings are allowed and counted)
//! and round-trip losslessly. Skipped, with a message, where the generator, `python3` or PyYAML
//! is not available (CI may not have them).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Process;

use rayon::prelude::*;
use serde_json::Value;

use crate::common;
use crate::common::{
    corpus_unavailable as unavailable, files_under, output, round_trip, GENERATOR,
};

/// (seed, format, repository form) per folder; 250 definitions each. Seeds differ so the 1,000
/// meters do too; each folder is validated on its own, since the generator reuses meter names
/// across seeds (a duplicate name across files is rule MC0121).
const SETS: &[(&str, &str, bool)] = &[
    ("corpus-1", "json", false),
    ("corpus-2", "json", true),
    ("corpus-3", "yaml", false),
    ("corpus-4", "yaml", true),
];
const PER_SET: usize = 250;

/// Starts the generator for one folder (the four run side by side).
fn generate(out: &Path, seed: &str, format: &str, repository_form: bool) -> std::process::Child {
    let mut c = Process::new("python3");
    c.arg(GENERATOR)
        .arg("--out")
        .arg(out)
        .args(["--count", &PER_SET.to_string(), "--seed", seed])
        .args(["--format", format])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    if repository_form {
        c.args(["--global-ids", "--placeholders"]);
    }
    c.spawn().unwrap()
}

#[test]
fn generated_corpus_validates_without_errors_and_round_trips() {
    if let Some(why) = unavailable() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut files, mut errors, mut warnings) = (0u64, 0u64, 0u64);
    // code → (count, first message with its file and pointer)
    let mut by_code: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let generators: Vec<_> = SETS
        .iter()
        .map(|(seed, format, repository_form)| {
            generate(&dir.path().join(seed), seed, format, *repository_form)
        })
        .collect();
    for g in generators {
        let o = g.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "gen_corpus.py failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    for (seed, _, _) in SETS {
        let set = dir.path().join(seed);
        let (code, stdout, stderr) = output(
            common::meterctl()
                .args(["validate", "--format", "json"])
                .arg(&set),
        );
        assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let summary = &report["summary"];
        files += summary["files"].as_u64().unwrap();
        errors += summary["errors"].as_u64().unwrap();
        warnings += summary["warnings"].as_u64().unwrap();
        for f in report["files"].as_array().unwrap() {
            for d in f["diagnostics"].as_array().unwrap() {
                let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
                let e = by_code
                    .entry(format!("{} {}", text(&d["severity"]), text(&d["code"])))
                    .or_insert_with(|| {
                        let (path, message) = (text(&f["path"]), text(&d["message"]));
                        (0, format!("{path}: {message} ({})", text(&d["pointer"])))
                    });
                e.0 += 1;
            }
        }
        files_under(&set).par_iter().for_each(|f| round_trip(f));
    }
    let findings: Vec<String> = by_code
        .iter()
        .map(|(code, (n, first))| format!("  {n:>6} × {code}, e.g. {first}"))
        .collect();
    eprintln!(
        "{files} generated definitions: {errors} errors, {warnings} warnings\n{}",
        findings.join("\n")
    );
    assert_eq!(files, (SETS.len() * PER_SET) as u64);
    assert_eq!(
        errors,
        0,
        "Zuora's own dialect must validate:\n{}",
        findings.join("\n")
    );
}
