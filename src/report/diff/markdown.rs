//! The markdown report of `meterctl diff --format markdown`, for a pull-request comment: a
//! heading with the summary, a table of the meters that differ, then one collapsible
//! `<details>` per changed meter listing its changes (scripts as `diff` code blocks). It stays
//! under GitHub's comment size limit: at most 100 changes per meter, and past about 60,000
//! characters the remaining meters are counted instead of listed.

use std::fmt::Write;

use super::{counts, inline, line_diff, meter_title, summary_line};
use crate::diff::{Change, ChangeKind, DiffReport, MeterStatus};

/// About where the report stops adding meters: GitHub refuses comments over 65,536 characters.
const BUDGET: usize = 60_000;

/// No change is added past this length (leaves room for the closing lines).
const HARD_LIMIT: usize = 64_000;

/// The most changes listed for one meter.
const MAX_CHANGES: usize = 100;

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
    html(s).replace('|', "\\|")
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
pub fn format(report: &DiffReport) -> String {
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
    let mut shown_left = s.added + s.removed + s.changed;
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
        if out.len() > BUDGET / 2 {
            let _ = writeln!(out, "| … | {} more | |", shown_left);
            break;
        }
        shown_left -= 1;
        let _ = writeln!(out, "| {sign} | {label} | {what} |");
    }
    let mut omitted = 0;
    for m in report
        .meters
        .iter()
        .filter(|m| m.status == MeterStatus::Changed)
    {
        if out.len() > BUDGET {
            omitted += 1;
            continue;
        }
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
        let mut listed = 0;
        for c in m.changes.iter().take(MAX_CHANGES) {
            let mut one = String::new();
            change(&mut one, c);
            if out.len() + one.len() > HARD_LIMIT {
                break;
            }
            out.push_str(&one);
            listed += 1;
        }
        if m.changes.len() > listed {
            let _ = writeln!(
                out,
                "- … and {} more (run `meterctl diff` for all)",
                m.changes.len() - listed
            );
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        let _ = writeln!(out, "</details>");
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "\n… {} not shown here (pull-request comments are limited in size); run `meterctl diff` for all.",
            crate::diff::plural(omitted, "more changed meter")
        );
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
        assert_eq!(cell("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(html("<a & b>"), "&lt;a &amp; b&gt;");
        assert_eq!(
            format(&DiffReport::default()),
            "### meterctl diff\n\nNo differences (0 meters compared).\n"
        );
    }
}

#[cfg(test)]
mod limits {
    use super::*;
    use crate::diff::{ChangeKind, MeterDiff};
    use serde_json::json;

    #[test]
    fn large_reports_stay_under_the_comment_limit() {
        let change = |i: usize| Change {
            path: format!("versions[0.0.1].tasks[\"T{i}\"].metadata.x"),
            pointer_left: None,
            pointer_right: None,
            kind: ChangeKind::Changed,
            old: Some(json!("a".repeat(40))),
            new: Some(json!("b".repeat(40))),
            note: None,
        };
        let meters = (0..2000)
            .map(|m| MeterDiff {
                key: format!("mtr-{m:05}"),
                name: Some(format!("Meter {m}")),
                global_id: Some(format!("mtr-{m:05}")),
                status: MeterStatus::Changed,
                left: Some("a".into()),
                right: Some("b".into()),
                versions: None,
                changes: (0..150).map(change).collect(),
                note: None,
            })
            .collect();
        let md = format(&DiffReport { meters });
        assert!(md.len() < 65_536, "{}", md.len());
        assert!(md.contains("- … and 50 more (run `meterctl diff` for all)"));
        assert!(md.contains("more changed meters not shown here"));
        assert!(md.contains("| … | "));
    }
}
