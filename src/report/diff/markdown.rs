//! The markdown report of `meterctl diff --format markdown`, for a pull-request comment: a
//! heading with the summary, a table of the meters that differ, then one collapsible
//! `<details>` per changed meter listing its changes (scripts as `diff` code blocks).

use std::fmt::Write;

use super::{counts, inline, line_diff, meter_title, summary_line};
use crate::diff::{Change, ChangeKind, MeterStatus, Report};

/// Inline code that survives backticks inside the text.
fn code(s: &str) -> String {
    let mut fence = "`".to_string();
    while s.contains(&fence) {
        fence.push('`');
    }
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Text inside a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Text inside HTML (`<summary>`).
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn change(out: &mut String, c: &Change) {
    let path = code(&c.path);
    match c.kind {
        ChangeKind::Changed => {
            if let Some(diff) = line_diff(c) {
                let mut fence = "```".to_string();
                while diff.contains(&fence) {
                    fence.push('`');
                }
                let _ = writeln!(out, "- ~ {path}:\n\n  {fence}diff");
                for line in diff.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                let _ = writeln!(out, "  {fence}\n");
            } else if let Some(n) = &c.note {
                let _ = writeln!(out, "- ~ {path}: {}", html(n));
            } else {
                let old = c.old.as_ref().map(inline).unwrap_or_default();
                let new = c.new.as_ref().map(inline).unwrap_or_default();
                let _ = writeln!(out, "- ~ {path}: {} → {}", code(&old), code(&new));
            }
        }
        ChangeKind::Added | ChangeKind::Removed => {
            let (sign, v) = if c.kind == ChangeKind::Added {
                ("+ added", &c.new)
            } else {
                ("- removed", &c.old)
            };
            match (&c.note, v) {
                (Some(n), _) => {
                    let _ = writeln!(out, "- {sign} {path} ({})", html(n));
                }
                (None, Some(v)) => {
                    let _ = writeln!(out, "- {sign} {path}: {}", code(&inline(v)));
                }
                (None, None) => {
                    let _ = writeln!(out, "- {sign} {path}");
                }
            }
        }
        ChangeKind::Moved => {
            let _ = writeln!(
                out,
                "- ↕ {path}: {}",
                html(c.note.as_deref().unwrap_or("moved"))
            );
        }
    }
}

/// The markdown report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let s = report.summary();
    let _ = writeln!(out, "### meterctl diff\n");
    if !report.has_changes() {
        let _ = writeln!(
            out,
            "No differences ({} compared).",
            crate::diff::plural(s.unchanged, "meter")
        );
        return out;
    }
    let _ = writeln!(out, "**{}**\n", summary_line(&s));
    let _ = writeln!(out, "| | meter | changes |\n| --- | --- | --- |");
    for m in report
        .meters
        .iter()
        .filter(|m| m.status != MeterStatus::Unchanged)
    {
        let name = m.name.as_deref().unwrap_or(&m.key);
        let label = match &m.global_id {
            Some(g) if g != name => format!("{} ({})", cell(name), code(&cell(g))),
            _ => cell(name),
        };
        let (sign, what) = match m.status {
            MeterStatus::Added => ("+", "added".to_string()),
            MeterStatus::Removed => ("-", "removed".to_string()),
            _ => {
                let (a, r, c) = counts(m);
                ("~", format!("{} (+{a} -{r} ~{c})", m.changes.len()))
            }
        };
        let _ = writeln!(out, "| {sign} | {label} | {what} |");
    }
    for m in report
        .meters
        .iter()
        .filter(|m| m.status == MeterStatus::Changed)
    {
        let mut title = meter_title(m);
        if let Some((a, b)) = &m.versions {
            title.push_str(&format!(", version {a} → {b}"));
        }
        let _ = writeln!(
            out,
            "\n<details>\n<summary>~ {}: {}</summary>\n",
            html(&title),
            crate::diff::plural(m.changes.len(), "change")
        );
        if let (Some(l), Some(r)) = (&m.left, &m.right) {
            if l != r {
                let _ = writeln!(out, "{} → {}\n", code(l), code(r));
            }
        }
        for c in &m.changes {
            change(&mut out, c);
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        let _ = writeln!(out, "</details>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("x"), "`x`");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(html("<a & b>"), "&lt;a &amp; b&gt;");
        assert_eq!(
            render(&Report::default()),
            "### meterctl diff\n\nNo differences (0 meters compared).\n"
        );
    }
}
