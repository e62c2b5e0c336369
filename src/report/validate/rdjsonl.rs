//! reviewdog's `rdjsonl` (`--format rdjsonl`): one JSON diagnostic per line, streamed file by
//! file (`reviewdog -f=rdjsonl`). Fields: `message`, `location.path`, `location.range.start`
//! (`line`, `column`, 1-based; left out when the finding has no position), `severity` (`ERROR`,
//! `WARNING`), `code.value` (the rule) and `source.name` (`meterctl`).

use std::io::{self, Write};

use serde_json::json;

use crate::diagnostic::Severity;
use crate::fsutil::display_exact;
use crate::validate::FileReport;

/// One line per diagnostic of one file.
pub(super) fn file(f: &FileReport, w: &mut dyn Write) -> io::Result<()> {
    let path = display_exact(&f.path);
    for d in &f.diagnostics {
        let mut location = json!({ "path": path });
        if let Some(line) = d.line {
            let mut start = json!({ "line": line });
            if let Some(c) = d.column {
                start["column"] = c.into();
            }
            location["range"] = json!({ "start": start });
        }
        let v = json!({
            "message": d.message,
            "location": location,
            "severity": match d.severity {
                Severity::Error => "ERROR",
                Severity::Warning => "WARNING",
            },
            "code": { "value": d.code },
            "source": { "name": "meterctl" },
        });
        serde_json::to_writer(&mut *w, &v)?;
        writeln!(w)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn one_json_line_per_diagnostic() {
        let (files, _) = reports();
        let mut out = Vec::new();
        for f in &files {
            file(f, &mut out).unwrap();
        }
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["severity"], "ERROR");
        assert_eq!(lines[0]["code"]["value"], "MC0104");
        assert_eq!(lines[0]["location"]["path"], "meters/bad.yaml");
        assert_eq!(
            lines[0]["location"]["range"]["start"],
            json!({"line": 3, "column": 9})
        );
        assert_eq!(lines[1]["severity"], "WARNING");
    }
}
