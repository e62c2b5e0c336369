//! Validation reports: one writer per format, all fed the same file reports and summary.
//! [`ReportWriter`] is the only place formats are named.
//!
//! Reports are streamed: [`ReportWriter::file`] takes each file's report as validation hands it over
//! and [`ReportWriter::finish`] the totals. Text, GitHub and rdjsonl output is written at once (code
//! frames while the file's text is still there); JSON, SARIF, JUnit and GitLab, whose documents
//! open with totals or close around every result, are written at the end from each file's
//! diagnostics, which the caller keeps (never the text), once however many of these outputs
//! there are.

mod github;
mod gitlab;
mod json;
mod junit;
mod markdown;
mod rdjsonl;
mod sarif;
mod text;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::validate::{FileReport, Summary};

/// Output formats of `meterctl validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Human-readable, rustc-style, with code frames (colour on a TTY only).
    Text,
    /// A stable JSON document (`format_version: 1`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, one testcase per file.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
    /// GitLab Code Quality (a JSON array for `artifacts: reports: codequality:`).
    Gitlab,
    /// reviewdog's rdjsonl: one JSON diagnostic per line (`reviewdog -f=rdjsonl`).
    Rdjsonl,
    /// A Markdown summary (a table of at most 50 findings), as `--report github-summary` writes.
    Markdown,
}

impl std::str::FromStr for ValidateFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <ValidateFormat as ValueEnum>::from_str(s, true).map_err(|_| {
            format!("unknown report format {s:?}; use text, json, sarif, junit, github, gitlab, rdjsonl or markdown")
        })
    }
}

/// Options that only the text writer reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colour.
    pub color: bool,
    /// `-q`: diagnostics only, no summary line.
    pub quiet: bool,
}

/// One output of a validation run in one format, fed file by file.
pub struct ReportWriter {
    format: ValidateFormat,
    text: TextOptions,
}

impl ReportWriter {
    /// A writer for `format` (`text` is read by the text format only).
    pub fn new(format: ValidateFormat, text: TextOptions) -> ReportWriter {
        ReportWriter { format, text }
    }

    /// True for the formats written only at the end, from every file's diagnostics (JSON,
    /// SARIF, JUnit, GitLab): the caller keeps those (without text, see [`FileReport::without_text`]),
    /// once for all such outputs, and passes them to [`ReportWriter::finish`].
    pub fn needs_all(&self) -> bool {
        matches!(
            self.format,
            ValidateFormat::Json
                | ValidateFormat::Sarif
                | ValidateFormat::Junit
                | ValidateFormat::Gitlab
                | ValidateFormat::Markdown
        )
    }

    /// Renders one file's report at once (text, GitHub); files come in the order they are to be
    /// shown. The other formats write nothing here.
    pub fn file(&mut self, f: &FileReport, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            ValidateFormat::Text => text::file(f, self.text, w),
            ValidateFormat::Github => github::file(f, w),
            ValidateFormat::Rdjsonl => rdjsonl::file(f, w),
            ValidateFormat::Json
            | ValidateFormat::Sarif
            | ValidateFormat::Junit
            | ValidateFormat::Gitlab
            | ValidateFormat::Markdown => Ok(()),
        }
    }

    /// Writes what comes after the last file: the summary line, or the whole document of the
    /// formats that [need every file](ReportWriter::needs_all) (`files`; the others ignore it).
    pub fn finish(
        self,
        files: &[FileReport],
        summary: &Summary,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        match self.format {
            ValidateFormat::Text => text::finish(summary, self.text, w),
            ValidateFormat::Github | ValidateFormat::Rdjsonl => Ok(()),
            ValidateFormat::Gitlab => gitlab::write(files, w),
            ValidateFormat::Markdown => markdown::write(files, summary, w),
            ValidateFormat::Json => json::write(files, summary, w),
            ValidateFormat::Sarif => sarif::write(files, w),
            ValidateFormat::Junit => junit::write(files, summary, w),
        }
    }
}

/// Renders a whole validation run in one format.
pub fn write(
    format: ValidateFormat,
    files: &[FileReport],
    summary: &Summary,
    text: TextOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut r = ReportWriter::new(format, text);
    for f in files {
        r.file(f, w)?;
    }
    r.finish(files, summary, w)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `3 files, 1 invalid: 2 errors, 1 warning`.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{}, {} invalid: {}, {}",
        plural(s.files, "file", "files"),
        s.invalid,
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings")
    )
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! One fixed set of reports that every writer's tests use.
    use std::path::PathBuf;

    use crate::diagnostic::{Diagnostic, Severity};
    use crate::validate::{FileReport, Summary};

    pub fn reports() -> (Vec<FileReport>, Summary) {
        let bad = FileReport::for_tests(
            PathBuf::from("meters/bad.yaml"),
            vec![
                Diagnostic {
                    severity: Severity::Error,
                    code: "MC0104",
                    message: "task \"Sink\" lists predecessor \"x\", but no task has that id"
                        .into(),
                    path: PathBuf::from("meters/bad.yaml"),
                    pointer: Some("/versions/0/tasks/1/predecessors/0/id".into()),
                    line: Some(3),
                    column: Some(9),
                },
                Diagnostic {
                    severity: Severity::Warning,
                    code: "MC0011",
                    message: "unknown field `nmae` at the top level; did you mean `name`?".into(),
                    path: PathBuf::from("meters/bad.yaml"),
                    pointer: Some("/nmae".into()),
                    line: Some(1),
                    column: Some(1),
                },
            ],
            Some("nmae: x\ntasks:\n  - id: \"x\" # <&>\n".into()),
        );
        let good = FileReport::for_tests(PathBuf::from("meters/good.json"), vec![], None);
        let files = vec![bad, good];
        let summary = Summary::of(&files);
        (files, summary)
    }
}
