//! A Markdown summary of a validation run (`--format markdown`, and what `--report
//! github-summary` appends to a GitHub job summary): a heading, the summary line, and a table
//! of the findings, at most [`MAX_ROWS`] of them (the others are counted).

use std::io::{self, Write};

use crate::fsutil::display_exact;
use crate::validate::{FileReport, Summary};

/// The most findings listed; a job summary is for a glance, the annotations carry the rest.
pub const MAX_ROWS: usize = 50;

/// Table cells: no line breaks, pipes escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub(super) fn write(files: &[FileReport], s: &Summary, w: &mut dyn Write) -> io::Result<()> {
    let icon = if s.errors > 0 { "❌" } else { "✅" };
    writeln!(w, "### {icon} meterctl validate\n")?;
    writeln!(w, "{}", super::summary_line(s))?;
    let all: Vec<_> = files
        .iter()
        .flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
        .collect();
    if all.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "\n| | file | line | rule | message |\n| --- | --- | --- | --- | --- |"
    )?;
    for (f, d) in all.iter().take(MAX_ROWS) {
        writeln!(
            w,
            "| {} | `{}` | {} | {} | {} |",
            d.severity.as_str(),
            cell(&display_exact(&f.path)),
            d.line.map(|l| l.to_string()).unwrap_or_default(),
            d.code,
            cell(&d.message)
        )?;
    }
    if all.len() > MAX_ROWS {
        writeln!(w, "\n… and {} more", all.len() - MAX_ROWS)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn a_table_of_findings() {
        let (files, summary) = reports();
        let mut out = Vec::new();
        write(&files, &summary, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with("### ❌ meterctl validate\n\n2 files, 1 invalid: 1 error, 1 warning\n"),
            "{out}"
        );
        assert!(
            out.contains("| error | `meters/bad.yaml` | 3 | MC0104 | task \"Sink\" lists"),
            "{out}"
        );
        assert_eq!(
            out.lines().filter(|l| l.starts_with("| warning")).count(),
            1
        );
    }
}
