//! The text report of `meterctl diff`: per meter a header (`~ meter "API Calls" (globalId
//! mtr-1)`), then one line per change (`~ path: old → new`, `+ path`, `- path`), a multi-line
//! string changed in place as a unified line diff, and a summary line. `--stat` is one line per
//! meter with counts. Colour only when asked (on a TTY).

use std::fmt::Write;

use super::{counts, inline, line_diff, meter_title, summary_line};
use crate::diff::{Change, ChangeKind, DiffReport, MeterDiff, MeterStatus};
use crate::report::Style;

fn change(out: &mut String, c: &Change, st: Style) {
    match c.kind {
        ChangeKind::Changed => {
            if let Some(diff) = line_diff(c) {
                let _ = writeln!(out, "  {} {}:", st.yellow("~"), c.path);
                for line in diff.lines() {
                    let styled = match line.as_bytes().first() {
                        Some(b'+') => st.green(line),
                        Some(b'-') => st.red(line),
                        Some(b'@') => st.blue(line),
                        _ => line.to_string(),
                    };
                    let _ = writeln!(out, "      {styled}");
                }
                return;
            }
            let what = match &c.note {
                Some(n) => n.clone(),
                None => format!(
                    "{} → {}",
                    st.red(&c.old.as_ref().map(inline).unwrap_or_default()),
                    st.green(&c.new.as_ref().map(inline).unwrap_or_default())
                ),
            };
            let _ = writeln!(out, "  {} {}: {what}", st.yellow("~"), c.path);
        }
        ChangeKind::Added | ChangeKind::Removed => {
            let (sign, v) = if c.kind == ChangeKind::Added {
                (st.green("+"), &c.new)
            } else {
                (st.red("-"), &c.old)
            };
            match (&c.note, v) {
                (Some(n), _) => {
                    let _ = writeln!(out, "  {sign} {} ({n})", c.path);
                }
                (None, Some(v)) => {
                    let _ = writeln!(out, "  {sign} {}: {}", c.path, inline(v));
                }
                (None, None) => {
                    let _ = writeln!(out, "  {sign} {}", c.path);
                }
            }
        }
        ChangeKind::Moved => {
            let note = c.note.as_deref().unwrap_or("moved");
            let _ = writeln!(out, "  {} {}: {note}", st.yellow("↕"), c.path);
        }
    }
}

fn meter(out: &mut String, m: &MeterDiff, st: Style) {
    let title = meter_title(m);
    match m.status {
        MeterStatus::Unchanged => {}
        MeterStatus::Added => {
            let _ = writeln!(
                out,
                "{} {}: only in {} ({})",
                st.green("+"),
                st.bold(&title),
                m.right.as_deref().unwrap_or("-"),
                m.note.as_deref().unwrap_or_default()
            );
        }
        MeterStatus::Removed => {
            let _ = writeln!(
                out,
                "{} {}: only in {} ({})",
                st.red("-"),
                st.bold(&title),
                m.left.as_deref().unwrap_or("-"),
                m.note.as_deref().unwrap_or_default()
            );
        }
        MeterStatus::Changed => {
            let mut head = title;
            if let Some((a, b)) = &m.versions {
                head.push_str(&format!(", version {a} → {b}"));
            }
            let _ = writeln!(out, "{} {}", st.yellow("~"), st.bold(&head));
            let (l, r) = (m.left.as_deref(), m.right.as_deref());
            if l != r || m.versions.is_none() {
                let _ = writeln!(
                    out,
                    "  {}",
                    st.dim(&format!("{} → {}", l.unwrap_or("-"), r.unwrap_or("-")))
                );
            }
            for c in &m.changes {
                change(out, c, st);
            }
        }
    }
}

/// The full text report.
pub fn format(report: &DiffReport, st: Style) -> String {
    let mut out = String::new();
    for m in &report.meters {
        meter(&mut out, m, st);
    }
    let s = report.summary();
    if report.has_changes() {
        let _ = writeln!(out, "\n{}", summary_line(&s));
    } else {
        let _ = writeln!(
            out,
            "no differences ({} compared)",
            crate::diff::plural(s.unchanged, "meter")
        );
    }
    out
}

/// `--stat`: one line per meter that differs, with counts, then the summary.
pub fn format_stat(report: &DiffReport, st: Style) -> String {
    let rows: Vec<(&MeterDiff, String)> = report
        .meters
        .iter()
        .filter(|m| m.status != MeterStatus::Unchanged)
        .map(|m| {
            let name = m.name.as_deref().unwrap_or(&m.key);
            let label = match &m.global_id {
                Some(g) if g != name => format!("{name} ({g})"),
                _ => name.to_string(),
            };
            (m, label)
        })
        .collect();
    let width = rows
        .iter()
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (m, label) in &rows {
        let pad = " ".repeat(width - label.chars().count());
        let (sign, detail) = match m.status {
            MeterStatus::Added => (st.green("+"), st.green("added")),
            MeterStatus::Removed => (st.red("-"), st.red("removed")),
            _ => {
                let (a, r, c) = counts(m);
                (
                    st.yellow("~"),
                    format!(
                        "{:>3} {} {} {}",
                        m.changes.len(),
                        st.green(&format!("+{a}")),
                        st.red(&format!("-{r}")),
                        st.yellow(&format!("~{c}"))
                    ),
                )
            }
        };
        let _ = writeln!(out, " {sign} {label}{pad} | {detail}");
    }
    let _ = writeln!(out, "{}", summary_line(&report.summary()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> DiffReport {
        DiffReport {
            meters: vec![MeterDiff {
                key: "mtr-1".into(),
                name: Some("API Calls".into()),
                global_id: Some("mtr-1".into()),
                status: MeterStatus::Changed,
                left: Some("a.yaml".into()),
                right: Some("b.yaml".into()),
                versions: None,
                changes: vec![Change {
                    path: "description".into(),
                    pointer_left: Some("/description".into()),
                    pointer_right: Some("/description".into()),
                    kind: ChangeKind::Changed,
                    old: Some(json!("x")),
                    new: Some(json!("y")),
                    note: None,
                }],
                note: None,
            }],
        }
    }

    #[test]
    fn header_change_and_summary() {
        assert_eq!(
            format(&report(), Style::new(false)),
            "~ meter \"API Calls\" (globalId mtr-1)\n  a.yaml → b.yaml\n  ~ description: \"x\" → \"y\"\n\n1 changed, 0 added, 0 removed, 0 unchanged\n"
        );
        assert_eq!(
            format_stat(&report(), Style::new(false)),
            " ~ API Calls (mtr-1) |   1 +0 -0 ~1\n1 changed, 0 added, 0 removed, 0 unchanged\n"
        );
    }
}
