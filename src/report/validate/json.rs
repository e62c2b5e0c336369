//! The JSON report: `{"format_version": 1, "valid", "summary", "files": [...]}`.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::fsutil::display_exact;
use crate::validate::{FileReport, Summary};

/// The document, serialised straight from the reports (no intermediate JSON tree, so a run with
/// many findings does not hold them twice).
#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    valid: bool,
    summary: Totals,
    files: Vec<File<'a>>,
}

#[derive(Serialize)]
struct Totals {
    files: usize,
    valid: usize,
    invalid: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct File<'a> {
    path: std::borrow::Cow<'a, str>,
    valid: bool,
    #[serde(serialize_with = "diagnostics")]
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct Entry<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    pointer: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
}

fn diagnostics<S: serde::Serializer>(ds: &&[Diagnostic], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ds.iter().map(|d| Entry {
        severity: d.severity.as_str(),
        code: d.code,
        message: &d.message,
        pointer: d.pointer.as_deref(),
        line: d.line,
        column: d.column,
    }))
}

pub(super) fn write(files: &[FileReport], s: &Summary, w: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        format_version: 1,
        valid: s.errors == 0,
        summary: Totals {
            files: s.files,
            valid: s.valid,
            invalid: s.invalid,
            errors: s.errors,
            warnings: s.warnings,
        },
        files: files
            .iter()
            .map(|f| File {
                path: display_exact(&f.path),
                valid: f.is_valid(),
                diagnostics: &f.diagnostics,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn shape() {
        let (files, summary) = reports();
        let mut out = Vec::new();
        write(&files, &summary, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["valid"], false);
        assert_eq!(
            v["summary"],
            json!({"files": 2, "valid": 1, "invalid": 1, "errors": 1, "warnings": 1})
        );
        let d = &v["files"][0]["diagnostics"][0];
        assert_eq!(d["code"], "MC0104");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(3), Some(9))
        );
        assert_eq!(d["pointer"], "/versions/0/tasks/1/predecessors/0/id");
        assert_eq!(
            v["files"][1],
            json!({"path": "meters/good.json", "valid": true, "diagnostics": []})
        );
        // Byte for byte what pretty-printing the same tree gives (keys in this order).
        let mut tree = Vec::new();
        serde_json::to_writer_pretty(&mut tree, &v).unwrap();
        tree.push(b'\n');
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(tree).unwrap()
        );
    }
}
