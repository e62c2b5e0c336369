//! rustc-style text: a header per diagnostic, the location, a code frame with a caret, then one
//! summary line.

use std::io::{self, Write};

use unicode_width::UnicodeWidthChar;

use super::{summary_line, TextOptions};
use crate::diagnostic::{Diagnostic, Severity};
use crate::fsutil::display;
use crate::load::locate::lines_at;
use crate::report::Style;
use crate::validate::{FileReport, Summary};

/// The diagnostics of one file, each with its code frame.
pub(super) fn file(f: &FileReport, opts: TextOptions, w: &mut dyn Write) -> io::Result<()> {
    let st = Style::new(opts.color);
    // -q: nothing but errors.
    let shown = |d: &&Diagnostic| !(opts.quiet && d.severity == Severity::Warning);
    if !f.diagnostics.iter().any(|d| shown(&d)) {
        return Ok(());
    }
    let lines = f
        .text
        .as_deref()
        .map(|t| lines_at(t, f.diagnostics.iter().filter(shown).filter_map(|d| d.line)))
        .unwrap_or_default();
    for d in f.diagnostics.iter().filter(shown) {
        let label = match d.severity {
            Severity::Error => st.red(&format!("error[{}]", d.code)),
            Severity::Warning => st.yellow(&format!("warning[{}]", d.code)),
        };
        writeln!(w, "{label}{} {}", st.bold(":"), st.bold(&d.message))?;
        let mut loc = display(&f.path).into_owned();
        if let (Some(l), Some(c)) = (d.line, d.column) {
            loc.push_str(&format!(":{l}:{c}"));
        }
        match (d.line, d.column, d.line.and_then(|l| lines.get(&l))) {
            (Some(l), Some(c), Some(src)) => {
                let gutter = l.to_string().len();
                let pad = " ".repeat(gutter);
                writeln!(w, "{pad}{} {loc}", st.blue("-->"))?;
                writeln!(w, "{pad} {}", st.blue("|"))?;
                // Long lines (minified JSON) show a window around the column.
                let chars: Vec<char> = src.chars().collect();
                let col = c.saturating_sub(1).min(chars.len());
                let start = col.saturating_sub(60);
                let end = (col + 80).min(chars.len());
                let (lead, trail) = (
                    if start > 0 { "…" } else { "" },
                    if end < chars.len() { "…" } else { "" },
                );
                let mut shown: String = chars[start..end].iter().collect();
                if d.code == crate::validate::rules::LITERAL_CREDENTIAL.code {
                    // Never echo the credential itself into logs.
                    shown = chars[start..col].iter().collect::<String>() + "***";
                }
                writeln!(
                    w,
                    "{} {} {lead}{shown}{trail}",
                    st.blue(&l.to_string()),
                    st.blue("|")
                )?;
                // As wide as what it stands under (CJK and emoji take two terminal columns,
                // combining marks none), and with its tabs, so the caret lines up under the
                // offending character.
                let indent: String = lead
                    .chars()
                    .chain(chars[start..col].iter().copied())
                    .map(|ch| match ch {
                        '\t' => "\t".to_string(),
                        _ => " ".repeat(ch.width().unwrap_or(1)),
                    })
                    .collect();
                let caret = match d.severity {
                    Severity::Error => st.red("^"),
                    Severity::Warning => st.yellow("^"),
                };
                writeln!(w, "{pad} {} {indent}{caret}", st.blue("|"))?;
                if let Some(p) = d.pointer.as_deref().filter(|p| !p.is_empty()) {
                    writeln!(w, "{pad} {} pointer: {p}", st.blue("="))?;
                }
            }
            _ => {
                writeln!(w, " {} {loc}", st.blue("-->"))?;
                if let Some(p) = d.pointer.as_deref().filter(|p| !p.is_empty()) {
                    writeln!(w, "  {} pointer: {p}", st.blue("="))?;
                }
            }
        }
        writeln!(w)?;
    }
    Ok(())
}

/// The summary line after the last file (none with `-q`).
pub(super) fn finish(summary: &Summary, opts: TextOptions, w: &mut dyn Write) -> io::Result<()> {
    let st = Style::new(opts.color);
    if !opts.quiet {
        let line = summary_line(summary);
        let line = if summary.errors > 0 {
            st.red(&line)
        } else if summary.warnings > 0 {
            st.yellow(&line)
        } else {
            st.green(&line)
        };
        writeln!(w, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn renders_frames_and_summary() {
        let (files, summary) = reports();
        let mut out = Vec::new();
        for f in &files {
            file(f, TextOptions::default(), &mut out).unwrap();
        }
        finish(&summary, TextOptions::default(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let expected = "\
error[MC0104]: task \"Sink\" lists predecessor \"x\", but no task has that id
 --> meters/bad.yaml:3:9
  |
3 |   - id: \"x\" # <&>
  |         ^
  = pointer: /versions/0/tasks/1/predecessors/0/id

warning[MC0011]: unknown field `nmae` at the top level; did you mean `name`?
 --> meters/bad.yaml:1:1
  |
1 | nmae: x
  | ^
  = pointer: /nmae

2 files, 1 invalid: 1 error, 1 warning
";
        assert_eq!(out, expected);
    }

    /// The caret stands under the offending character when wide characters (two terminal
    /// columns each) or a combining mark come before it on the line; it drifted by one column
    /// per wide character.
    #[test]
    fn caret_counts_display_width() {
        let frame = |line: &str, column: usize| {
            let report = FileReport::for_tests(
                "m.yaml".into(),
                vec![Diagnostic {
                    severity: Severity::Error,
                    code: "MC0001",
                    message: "bad".into(),
                    path: "m.yaml".into(),
                    pointer: None,
                    line: Some(1),
                    column: Some(column),
                }],
                Some(format!("{line}\n")),
            );
            let mut out = Vec::new();
            file(&report, TextOptions::default(), &mut out).unwrap();
            let out = String::from_utf8(out).unwrap();
            out.lines().nth(4).unwrap().to_string()
        };
        // name: "日本語" unit: x -- the x is character 19 and display column 22.
        assert_eq!(
            frame("name: \"日本語\" unit: x", 19),
            format!("  | {}^", " ".repeat(21))
        );
        assert_eq!(frame("tag: 📦📦 x", 9), format!("  | {}^", " ".repeat(10)));
        assert_eq!(frame("e\u{301}: x", 5), "  |    ^");
        assert_eq!(frame("\tk: x", 5), "  | \t   ^");
    }
}
