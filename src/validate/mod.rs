//! Validation: JSON Schemas plus meter rules → [`Diagnostic`]s with file, line, column, pointer.
//!
//! One [`Validator`] is built per run (every schema compiled once) and shared by the threads that
//! check files in parallel. Each file is read and parsed once; the schema check runs first
//! (`is_valid`, then the error walk only for invalid files), then the meter rules of
//! [`rules::RULES`] on the parsed value. Positions are computed only for files that have
//! something to report, by re-scanning that file's text. Repository-wide rules (unique
//! `globalId`/`name`) run afterwards on the small identity records kept per file, so memory does
//! not grow with the number of files. Nothing here prints.

pub mod others;
pub mod rules;
pub mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{self, Document};

pub use rules::{Rule, RULES};

/// A finding before it is given a position in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Rule code.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// JSON Pointer of the offending value.
    pub pointer: String,
    /// Point at the member's key rather than its value (unknown fields, duplicates).
    pub at_key: bool,
}

impl Finding {
    /// A finding at a value.
    pub fn new(code: &'static str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            code,
            message: message.into(),
            pointer: pointer.into(),
            at_key: false,
        }
    }

    /// The same finding, located at the member's key.
    pub fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }
}

/// What the run should check and how strictly.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Unknown top-level and task-level fields and unknown metadata keys are errors instead of
    /// warnings.
    pub strict: bool,
    /// Extra JSON Schemas every definition must also satisfy (house rules).
    pub extra_schemas: Vec<PathBuf>,
    /// Per-code severity overrides; `None` turns the rule off.
    pub overrides: HashMap<String, Option<Severity>>,
    /// Every warning is reported as an error (`--deny-warnings`), so reports and exit code agree.
    pub deny_warnings: bool,
}

/// The result for one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Its diagnostics, ordered by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The text, kept only when there are diagnostics (for code frames).
    pub text: Option<String>,
    /// `globalId` and `name` for repository-wide rules.
    identity: Identity,
}

#[derive(Debug, Clone, Default)]
struct Identity {
    global_id: Option<String>,
    name: Option<String>,
    format: Option<load::Format>,
}

impl FileReport {
    /// True when the file has no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files checked.
    pub files: usize,
    /// Files without errors.
    pub valid: usize,
    /// Files with errors.
    pub invalid: usize,
    /// Error diagnostics.
    pub errors: usize,
    /// Warning diagnostics.
    pub warnings: usize,
}

impl Summary {
    /// Totals of a list of file reports.
    pub fn of(files: &[FileReport]) -> Summary {
        let mut s = Summary {
            files: files.len(),
            ..Summary::default()
        };
        for f in files {
            if f.is_valid() {
                s.valid += 1;
            } else {
                s.invalid += 1;
            }
            for d in &f.diagnostics {
                match d.severity {
                    Severity::Error => s.errors += 1,
                    Severity::Warning => s.warnings += 1,
                }
            }
        }
        s
    }
}

/// Compiled schemas and rule settings for one run; shared across threads.
pub struct Validator {
    schemas: schema::Schemas,
    options: Options,
}

impl Validator {
    /// Compiles the embedded schema and the extra schemas.
    pub fn new(options: Options) -> anyhow::Result<Validator> {
        let schemas = schema::Schemas::compile(&options.extra_schemas)?;
        Ok(Validator { schemas, options })
    }

    /// The severity a rule has in this run, or `None` when it is turned off.
    pub fn severity(&self, code: &str) -> Option<Severity> {
        let sev = if let Some(over) = self.options.overrides.get(code) {
            (*over)?
        } else if self.options.strict
            && (code == rules::UNKNOWN_FIELD.code || code == rules::UNKNOWN_METADATA_KEY.code)
        {
            Severity::Error
        } else {
            rules::by_code(code).map_or(Severity::Error, |r| r.severity)
        };
        Some(if self.options.deny_warnings {
            Severity::Error
        } else {
            sev
        })
    }

    /// Validates files (in parallel) and then the repository-wide rules across them.
    pub fn check_paths(&self, paths: &[PathBuf]) -> Vec<FileReport> {
        self.check_paths_among(paths, &[])
    }

    /// Validates files, with the repository-wide rules checked also against the identities of
    /// repository files that were not given ([`others::others`]); only given files are reported.
    pub fn check_paths_among(
        &self,
        paths: &[PathBuf],
        others: &[others::Other],
    ) -> Vec<FileReport> {
        let mut reports: Vec<FileReport> = paths.par_iter().map(|p| self.check_path(p)).collect();
        self.check_repository(&mut reports, others);
        reports
    }

    /// Validates one file on disk.
    pub fn check_path(&self, path: &Path) -> FileReport {
        match load::load_file(path) {
            Ok(doc) => self.check_document(doc),
            Err(d) => self.failed_load(path, d),
        }
    }

    /// Turns a load failure into a report (parse errors are diagnostics too).
    pub fn failed_load(&self, path: &Path, d: Diagnostic) -> FileReport {
        // Keep the text (read again, only on this rare path) so the report can show the line.
        let text = d
            .line
            .filter(|_| d.code == rules::PARSE.code)
            .and_then(|_| std::fs::read(path).ok())
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            });
        FileReport {
            path: path.to_path_buf(),
            diagnostics: vec![d],
            text,
            identity: Identity::default(),
        }
    }

    /// Validates one loaded document.
    pub fn check_document(&self, doc: Document) -> FileReport {
        let mut report = self.check(&doc);
        if !report.diagnostics.is_empty() {
            report.text = Some(doc.text);
        }
        report
    }

    /// Validates a document the caller keeps (the report holds a copy of the text only when
    /// there is something to show).
    pub fn check(&self, doc: &Document) -> FileReport {
        let mut findings = Vec::new();
        self.schemas.check(&doc.value, &mut findings);
        let schema_findings = findings.len();
        rules::check(&doc.value, &mut findings);
        supersede_schema_findings(&mut findings, schema_findings);
        let field = |k: &str| doc.value.get(k).and_then(Value::as_str).map(str::to_owned);
        let identity = Identity {
            global_id: field("globalId"),
            name: field("name"),
            format: Some(doc.format),
        };
        let diagnostics = self.locate(&doc.path, &doc.text, doc.format, findings);
        let text = (!diagnostics.is_empty()).then(|| doc.text.clone());
        FileReport {
            path: doc.path.clone(),
            diagnostics,
            text,
            identity,
        }
    }

    fn locate(
        &self,
        path: &Path,
        text: &str,
        format: load::Format,
        findings: Vec<Finding>,
    ) -> Vec<Diagnostic> {
        let findings: Vec<(Finding, Severity)> = findings
            .into_iter()
            .filter_map(|f| self.severity(f.code).map(|s| (f, s)))
            .collect();
        if findings.is_empty() {
            return Vec::new();
        }
        let spans = load::Spans::index(text, format);
        let mut out: Vec<Diagnostic> = findings
            .into_iter()
            .map(|(f, severity)| {
                let pos = if f.at_key {
                    spans.key(&f.pointer)
                } else {
                    spans.value(&f.pointer)
                };
                Diagnostic {
                    severity,
                    code: f.code,
                    message: f.message,
                    path: path.to_path_buf(),
                    pointer: Some(f.pointer),
                    line: pos.map(|p| p.line),
                    column: pos.map(|p| p.column),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.line, a.column, a.code, &a.message).cmp(&(b.line, b.column, b.code, &b.message))
        });
        out.dedup();
        out
    }

    /// Repository-wide rules: `globalId` and `name` unique across files.
    fn check_repository(&self, reports: &mut [FileReport], others: &[others::Other]) {
        type Key = fn(&Identity) -> Option<&String>;
        type OtherKey = fn(&others::Other) -> Option<&String>;
        let checks: [(&Rule, Key, OtherKey, &str, &str); 2] = [
            (
                &rules::DUPLICATE_GLOBAL_ID,
                |i| i.global_id.as_ref(),
                |o| o.global_id.as_ref(),
                "/globalId",
                "globalId",
            ),
            (
                &rules::DUPLICATE_METER_NAME,
                |i| i.name.as_ref(),
                |o| o.name.as_ref(),
                "/name",
                "name",
            ),
        ];
        for (rule, key, other_key, pointer, label) in checks {
            // Files not given come first: a given file that repeats one of them is reported.
            let mut first: HashMap<&String, &Path> = others
                .iter()
                .filter_map(|o| other_key(o).map(|k| (k, o.path.as_path())))
                .collect();
            let mut found: Vec<(usize, String)> = Vec::new();
            for (i, r) in reports.iter().enumerate() {
                if let Some(k) = key(&r.identity) {
                    match first.get(k) {
                        Some(&j) => found.push((
                            i,
                            format!(
                                "{label} {k:?} is also used by {}; every meter in a repository needs its own {label}",
                                crate::fsutil::display(j)
                            ),
                        )),
                        None => {
                            first.insert(k, &r.path);
                        }
                    }
                }
            }
            for (i, message) in found {
                let r = &mut reports[i];
                let format = r.identity.format.unwrap_or(load::Format::Yaml);
                let text = match &r.text {
                    Some(t) => t.clone(),
                    None => match std::fs::read_to_string(&r.path) {
                        Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
                        Err(_) => String::new(),
                    },
                };
                let mut new = self.locate(
                    &r.path,
                    &text,
                    format,
                    vec![Finding::new(rule.code, pointer, message)],
                );
                if new.is_empty() {
                    continue;
                }
                r.diagnostics.append(&mut new);
                r.diagnostics.sort_by_key(|d| (d.line, d.column));
                r.text = Some(text);
            }
        }
    }
}

/// A meter rule that quotes Zuora about a value says more than the generic schema message about
/// the same value, so an `MC0010` finding is dropped when a rule finding has the same pointer (for
/// a missing key: when the rule's message names that key). `findings[..schema_end]` are the
/// schema's findings, the rest the rules'.
fn supersede_schema_findings(findings: &mut Vec<Finding>, schema_end: usize) {
    if schema_end == 0 || schema_end == findings.len() {
        return;
    }
    let (schema, rule) = findings.split_at(schema_end);
    let superseded: Vec<bool> = schema
        .iter()
        .map(|s| {
            s.code == rules::SCHEMA.code
                && rule.iter().any(|r| {
                    r.pointer == s.pointer
                        && missing_key(&s.message).is_none_or(|key| r.message.contains(key))
                })
        })
        .collect();
    let mut i = 0;
    findings.retain(|_| {
        let keep = i >= schema_end || !superseded[i];
        i += 1;
        keep
    });
}

/// The key a schema finding says is missing (`missing required field `x`; add it`).
fn missing_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing required field `")?;
    rest.split('`').next()
}

#[cfg(test)]
impl FileReport {
    /// A report built by hand, for renderer tests.
    pub(crate) fn for_tests(
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
        text: Option<String>,
    ) -> Self {
        FileReport {
            path,
            diagnostics,
            text,
            identity: Identity::default(),
        }
    }
}
