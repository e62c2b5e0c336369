//! The JSON report: `{"format_version": 1, "valid", "summary", "files": [...]}`.

use std::io::{self, Write};

use serde_json::json;

use crate::fsutil::display;
use crate::validate::{FileReport, Summary};

pub(super) fn write(files: &[FileReport], s: &Summary, w: &mut dyn Write) -> io::Result<()> {
    let files: Vec<_> = files
        .iter()
        .map(|f| {
            json!({
                "path": display(&f.path),
                "valid": f.is_valid(),
                "diagnostics": f.diagnostics.iter().map(|d| json!({
                    "severity": d.severity.as_str(),
                    "code": d.code,
                    "message": d.message,
                    "pointer": d.pointer,
                    "line": d.line,
                    "column": d.column,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "format_version": 1,
        "valid": s.errors == 0,
        "summary": {
            "files": s.files, "valid": s.valid, "invalid": s.invalid,
            "errors": s.errors, "warnings": s.warnings,
        },
        "files": files,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
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
    }
}
