//! GitLab Code Quality (`--format gitlab`): a JSON array of issues, the subset of the Code
//! Climate spec that GitLab reads (`description`, `check_name`, `fingerprint`, `severity`,
//! `location.path`, `location.lines.begin`), for `artifacts: reports: codequality:`.
//!
//! Errors are `major`, warnings `minor`. The fingerprint (GitLab matches issues between the
//! source and target branch by it) is a digest of the path, the rule, the JSON Pointer and the
//! message, not of the line, so an issue moved by an edit above it stays the same issue.

use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Severity};
use crate::fsutil::display_exact;
use crate::validate::FileReport;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'a str,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: std::borrow::Cow<'a, str>,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

fn fingerprint(path: &str, d: &Diagnostic) -> String {
    let mut h = Sha256::new();
    for part in [path, d.code, d.pointer.as_deref().unwrap_or(""), &d.message] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn write(files: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    let issues: Vec<Issue> = files
        .iter()
        .flat_map(|f| {
            f.diagnostics.iter().map(move |d| {
                let path = display_exact(&f.path);
                Issue {
                    kind: "issue",
                    description: &d.message,
                    check_name: d.code,
                    fingerprint: fingerprint(&path, d),
                    severity: match d.severity {
                        Severity::Error => "major",
                        Severity::Warning => "minor",
                    },
                    // GitLab needs a line; a finding about the whole file is on line 1.
                    location: Location {
                        path,
                        lines: Lines {
                            begin: d.line.unwrap_or(1),
                        },
                    },
                }
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &issues)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn one_issue_per_diagnostic_with_stable_fingerprints() {
        let (files, _) = reports();
        let mut out = Vec::new();
        write(&files, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let issues = v.as_array().unwrap();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0]["check_name"], "MC0104");
        assert_eq!(issues[0]["severity"], "major");
        assert_eq!(issues[1]["severity"], "minor");
        assert_eq!(issues[0]["location"]["path"], "meters/bad.yaml");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 3);
        assert_eq!(issues[0]["fingerprint"].as_str().unwrap().len(), 32);
        assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
        let mut again = Vec::new();
        write(&files, &mut again).unwrap();
        assert_eq!(out, again);
    }
}
