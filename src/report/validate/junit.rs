//! JUnit XML: one `<testcase>` per file; errors become a `<failure>`, warnings `<system-out>`.

use std::io::{self, Write};

use crate::diagnostic::Severity;
use crate::fsutil::display;
use crate::report::xml;
use crate::validate::{FileReport, Summary};

fn line(d: &crate::diagnostic::Diagnostic, path: &str) -> String {
    let loc = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
        _ => path.to_string(),
    };
    format!("{} [{}] {loc}: {}", d.severity, d.code, d.message)
}

pub(super) fn write(files: &[FileReport], s: &Summary, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="meterctl validate" tests="{}" failures="{}" errors="0">"#,
        s.files, s.invalid
    )?;
    writeln!(
        w,
        r#"  <testsuite name="meterctl validate" tests="{}" failures="{}" errors="0" skipped="0">"#,
        s.files, s.invalid
    )?;
    for f in files {
        let path = display(&f.path);
        write!(
            w,
            r#"    <testcase name="{}" classname="meterctl.validate""#,
            xml(&path)
        )?;
        if f.diagnostics.is_empty() {
            writeln!(w, " />")?;
            continue;
        }
        writeln!(w, ">")?;
        let errors: Vec<_> = f
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if let Some(first) = errors.first() {
            let body: Vec<String> = errors.iter().map(|d| xml(&line(d, &path))).collect();
            writeln!(
                w,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                xml(&first.message),
                first.code,
                body.join("\n")
            )?;
        }
        let warnings: Vec<String> = f
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .map(|d| xml(&line(d, &path)))
            .collect();
        if !warnings.is_empty() {
            writeln!(w, "      <system-out>{}</system-out>", warnings.join("\n"))?;
        }
        writeln!(w, "    </testcase>")?;
    }
    writeln!(w, "  </testsuite>")?;
    writeln!(w, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn escapes_and_counts() {
        let (files, summary) = reports();
        let mut out = Vec::new();
        write(&files, &summary, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(r#"tests="2" failures="1""#));
        assert!(
            out.contains(r#"<testcase name="meters/good.json" classname="meterctl.validate" />"#)
        );
        assert!(out.contains("task &quot;Sink&quot; lists predecessor"));
        assert_eq!(xml("a<b>&\u{1}"), "a&lt;b&gt;&amp;?");
    }
}
