//! Reports of `meterctl test`, in the formats of `validate`: text (a line per case, then what
//! did not match and a diff), a JSON document (`format_version: 1`), JUnit XML (a testcase per
//! case) and GitHub Actions annotations at the case file. [`TestWriter`] is the only place
//! formats are named; like validation reports, text and GitHub output is written case by case,
//! JSON and JUnit at the end.

use std::io::{self, Write};

use clap::ValueEnum;
use serde_json::{json, Value};

use crate::cases::{CaseResult, Status, Summary};
use crate::fsutil::{display, display_exact};
use crate::report::{workflow_data, workflow_property, xml, Style};

/// Output formats of `meterctl test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// For people: a line per case, then what did not match and a diff (colour on a TTY only).
    Text,
    /// A stable JSON document (`format_version: 1`).
    Json,
    /// JUnit XML, one testcase per case.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...`) at the case files.
    Github,
}

/// Options that only the text writer reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colour.
    pub color: bool,
    /// `-q`: cases that did not pass only, no summary line.
    pub quiet: bool,
}

/// One output of a test run in one format, fed case by case.
pub struct TestWriter {
    format: TestFormat,
    text: TextOptions,
}

impl TestWriter {
    /// A writer for `format` (`text` is read by the text format only).
    pub fn new(format: TestFormat, text: TextOptions) -> TestWriter {
        TestWriter { format, text }
    }

    /// True for the formats written only at the end, from every result (JSON, JUnit).
    pub fn needs_all(&self) -> bool {
        matches!(self.format, TestFormat::Json | TestFormat::Junit)
    }

    /// Renders one case's result at once (text, GitHub).
    pub fn case(&mut self, r: &CaseResult, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            TestFormat::Text => text_case(r, self.text, w),
            TestFormat::Github => github_case(r, w),
            TestFormat::Json | TestFormat::Junit => Ok(()),
        }
    }

    /// Writes what comes after the last case: the summary line, or the whole document of the
    /// formats that [need every result](TestWriter::needs_all).
    pub fn finish(self, all: &[CaseResult], s: &Summary, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            TestFormat::Text if !self.text.quiet => writeln!(w, "{}", summary_line(s)),
            TestFormat::Text | TestFormat::Github => Ok(()),
            TestFormat::Json => {
                serde_json::to_writer_pretty(&mut *w, &json_document(all, s))?;
                writeln!(w)
            }
            TestFormat::Junit => junit(all, s, w),
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `4 cases: 2 passed, 1 failed, 1 could not be simulated`.
pub fn summary_line(s: &Summary) -> String {
    let mut parts = vec![format!("{} passed", s.passed)];
    if s.updated > 0 {
        parts.push(format!("{} updated", s.updated));
    }
    parts.push(format!("{} failed", s.failed));
    if s.errors > 0 {
        parts.push(format!("{} could not be simulated", s.errors));
    }
    if s.invalid > 0 {
        parts.push(format!("{} could not be read", s.invalid));
    }
    format!("{}: {}", plural(s.cases, "case", "cases"), parts.join(", "))
}

/// `path (Meter 0.0.1)`.
fn title(r: &CaseResult) -> String {
    match &r.meter {
        Some(m) => format!("{} ({} {})", display(&r.path), m.name, m.version),
        None => display(&r.path).into_owned(),
    }
}

/// `path:line:col`, as far as known.
fn place(r: &CaseResult, line: Option<usize>, column: Option<usize>) -> String {
    let mut s = display(&r.path).into_owned();
    if let Some(l) = line {
        s.push_str(&format!(":{l}"));
        if let Some(c) = column {
            s.push_str(&format!(":{c}"));
        }
    }
    s
}

fn text_case(r: &CaseResult, opts: TextOptions, w: &mut dyn Write) -> io::Result<()> {
    let st = Style::new(opts.color);
    match r.status {
        Status::Pass if opts.quiet => Ok(()),
        Status::Pass => writeln!(w, "{} {}", st.green("PASS"), title(r)),
        Status::Updated => writeln!(w, "{} {}", st.yellow("UPDATED"), title(r)),
        Status::Fail => {
            writeln!(w, "{} {}", st.red("FAIL"), title(r))?;
            for f in &r.failures {
                writeln!(
                    w,
                    "  {} {}",
                    st.bold(&format!("{}:", f.section)),
                    st.dim(&format!("(expected at {})", place(r, f.line, f.column)))
                )?;
                for p in &f.problems {
                    writeln!(w, "    {p}")?;
                }
                for l in f.diff.lines() {
                    let l = if l.starts_with("---") || l.starts_with("+++") {
                        st.bold(l)
                    } else if l.starts_with('-') {
                        st.red(l)
                    } else if l.starts_with('+') {
                        st.green(l)
                    } else if l.starts_with("@@") {
                        st.blue(l)
                    } else {
                        l.to_string()
                    };
                    writeln!(w, "    {l}")?;
                }
            }
            Ok(())
        }
        Status::Error | Status::Invalid => {
            let label = if r.status == Status::Error {
                "ERROR"
            } else {
                "INVALID"
            };
            let (line, column, message) = r
                .error
                .as_ref()
                .map_or((None, None, ""), |e| (e.line, e.column, e.message.as_str()));
            writeln!(w, "{} {}", st.red(label), title(r))?;
            writeln!(w, "  {}: {message}", place(r, line, column))
        }
    }
}

fn github_case(r: &CaseResult, w: &mut dyn Write) -> io::Result<()> {
    let annotate =
        |w: &mut dyn Write, line: Option<usize>, col: Option<usize>, title: &str, msg: &str| {
            let mut props = format!("file={}", workflow_property(&display(&r.path)));
            if let Some(l) = line {
                props.push_str(&format!(",line={l}"));
            }
            if let Some(c) = col {
                props.push_str(&format!(",col={c}"));
            }
            props.push_str(&format!(",title={}", workflow_property(title)));
            writeln!(w, "::error {props}::{}", workflow_data(msg))
        };
    match r.status {
        Status::Pass | Status::Updated => Ok(()),
        Status::Fail => {
            for f in &r.failures {
                let mut msg = format!("{}: {}", f.section, f.problems.join("\n"));
                if !f.diff.is_empty() {
                    msg.push_str("\n\n");
                    msg.push_str(f.diff.trim_end());
                }
                annotate(w, f.line, f.column, "meterctl test: fail", &msg)?;
            }
            Ok(())
        }
        Status::Error | Status::Invalid => {
            let e = r.error.as_ref();
            let title = format!("meterctl test: {}", r.status.as_str());
            annotate(
                w,
                e.and_then(|e| e.line),
                e.and_then(|e| e.column),
                &title,
                e.map_or("", |e| e.message.as_str()),
            )
        }
    }
}

fn json_document(all: &[CaseResult], s: &Summary) -> Value {
    let cases: Vec<Value> = all
        .iter()
        .map(|r| {
            json!({
                "path": display_exact(&r.path),
                "status": r.status.as_str(),
                "meter": r.meter.as_ref().map(|m| json!({
                    "path": display_exact(&m.path),
                    "name": m.name,
                    "version": m.version,
                })),
                "error": r.error.as_ref().map(|e| json!({
                    "message": e.message,
                    "line": e.line,
                    "column": e.column,
                })),
                "failures": r.failures.iter().map(|f| json!({
                    "section": f.section,
                    "line": f.line,
                    "column": f.column,
                    "problems": f.problems,
                    "diff": f.diff,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "format_version": 1,
        "passed": s.ok(),
        "summary": {
            "cases": s.cases,
            "passed": s.passed,
            "updated": s.updated,
            "failed": s.failed,
            "errors": s.errors,
            "invalid": s.invalid,
        },
        "cases": cases,
    })
}

fn junit(all: &[CaseResult], s: &Summary, w: &mut dyn Write) -> io::Result<()> {
    let errors = s.errors + s.invalid;
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="meterctl test" tests="{}" failures="{}" errors="{errors}">"#,
        s.cases, s.failed
    )?;
    writeln!(
        w,
        r#"  <testsuite name="meterctl test" tests="{}" failures="{}" errors="{errors}" skipped="0">"#,
        s.cases, s.failed
    )?;
    for r in all {
        let class = match &r.meter {
            Some(m) => format!("meterctl.test.{} {}", m.name, m.version),
            None => "meterctl.test".to_string(),
        };
        write!(
            w,
            r#"    <testcase name="{}" classname="{}""#,
            xml(&display(&r.path)),
            xml(&class)
        )?;
        match r.status {
            Status::Pass | Status::Updated => writeln!(w, " />")?,
            Status::Fail => {
                let first = r
                    .failures
                    .iter()
                    .flat_map(|f| f.problems.first())
                    .next()
                    .map_or("", String::as_str);
                let body: Vec<String> = r
                    .failures
                    .iter()
                    .map(|f| {
                        let mut b = format!(
                            "{}: {}\n{}",
                            place(r, f.line, f.column),
                            f.section,
                            f.problems.join("\n")
                        );
                        if !f.diff.is_empty() {
                            b.push('\n');
                            b.push_str(&f.diff);
                        }
                        xml(&b)
                    })
                    .collect();
                writeln!(w, ">")?;
                writeln!(
                    w,
                    r#"      <failure message="{}" type="fail">{}</failure>"#,
                    xml(first),
                    body.join("\n")
                )?;
                writeln!(w, "    </testcase>")?;
            }
            Status::Error | Status::Invalid => {
                let e = r.error.as_ref();
                let message = e.map_or("", |e| e.message.as_str());
                let at = place(r, e.and_then(|e| e.line), e.and_then(|e| e.column));
                writeln!(w, ">")?;
                writeln!(
                    w,
                    r#"      <error message="{}" type="{}">{}</error>"#,
                    xml(message),
                    r.status.as_str(),
                    xml(&format!("{at}: {message}"))
                )?;
                writeln!(w, "    </testcase>")?;
            }
        }
    }
    writeln!(w, "  </testsuite>")?;
    writeln!(w, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cases::{CaseError, Failure, MeterRef};

    fn results() -> (Vec<CaseResult>, Summary) {
        let meter = Some(MeterRef {
            path: PathBuf::from("meters/m.yaml"),
            name: "M <&>".into(),
            version: "0.0.1".into(),
        });
        let all = vec![
            CaseResult {
                path: PathBuf::from("meters/ok.test.yaml"),
                meter: meter.clone(),
                status: Status::Pass,
                failures: vec![],
                error: None,
            },
            CaseResult {
                path: PathBuf::from("meters/m.test.yaml"),
                meter: meter.clone(),
                status: Status::Fail,
                failures: vec![Failure {
                    section: "usage".into(),
                    line: Some(4),
                    column: Some(3),
                    problems: vec!["missing usage record {accountNumber: A1}".into()],
                    diff: "--- expected\n+++ actual\n@@ -1 +0,0 @@\n-{accountNumber: \"A1\"}\n"
                        .into(),
                }],
                error: None,
            },
            CaseResult {
                path: PathBuf::from("meters/js.test.yaml"),
                meter,
                status: Status::Error,
                failures: vec![],
                error: Some(CaseError {
                    path: PathBuf::from("meters/js.test.yaml"),
                    line: None,
                    column: None,
                    message: "not simulated yet: the HTTP operator in task x (HTTP)".into(),
                }),
            },
        ];
        let s = Summary::of(&all);
        (all, s)
    }

    fn render(format: TestFormat, quiet: bool) -> String {
        let (all, s) = results();
        let mut out = Vec::new();
        let mut w = TestWriter::new(
            format,
            TextOptions {
                color: false,
                quiet,
            },
        );
        for r in &all {
            w.case(r, &mut out).unwrap();
        }
        w.finish(&all, &s, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text() {
        let out = render(TestFormat::Text, false);
        assert!(out.starts_with("PASS meters/ok.test.yaml (M <&> 0.0.1)\nFAIL meters/m.test.yaml"));
        assert!(out.contains("  usage: (expected at meters/m.test.yaml:4:3)\n    missing usage record {accountNumber: A1}\n    --- expected\n"));
        assert!(out.contains(
            "ERROR meters/js.test.yaml (M <&> 0.0.1)\n  meters/js.test.yaml: not simulated yet"
        ));
        assert!(
            out.ends_with("3 cases: 1 passed, 1 failed, 1 could not be simulated\n"),
            "{out}"
        );
        let quiet = render(TestFormat::Text, true);
        assert!(
            quiet.starts_with("FAIL") && !quiet.contains("3 cases"),
            "{quiet}"
        );
    }

    #[test]
    fn json_junit_github() {
        let v: Value = serde_json::from_str(&render(TestFormat::Json, false)).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["passed"], false);
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["cases"][1]["failures"][0]["line"], 4);
        assert_eq!(v["cases"][2]["status"], "error");
        let x = render(TestFormat::Junit, false);
        assert!(x.contains(r#"tests="3" failures="1" errors="1""#), "{x}");
        assert!(
            x.contains(r#"classname="meterctl.test.M &lt;&amp;&gt; 0.0.1""#),
            "{x}"
        );
        assert!(x.contains(r#"<error message="not simulated yet"#), "{x}");
        let g = render(TestFormat::Github, false);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(lines.len(), 2, "{g}");
        assert!(lines[0].starts_with(
            "::error file=meters/m.test.yaml,line=4,col=3,title=meterctl test%3A fail::usage: missing usage record {accountNumber: A1}%0A%0A--- expected"
        ), "{g}");
    }
}
