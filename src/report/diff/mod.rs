//! Renders a [`crate::diff::DiffReport`] as text (people, optionally coloured), JSON (machines, with
//! `format_version`), markdown (pull-request comments) or a `--stat` summary. Formatters compute
//! nothing about the meters; they only lay out the changes the diff found.

pub mod json;
pub mod markdown;
pub mod text;

use serde_json::Value;

use crate::diff::{Change, MeterDiff, Summary};

/// The widest value shown inline before it is shortened with `…`.
pub(crate) const INLINE_MAX: usize = 120;

/// A value on one line: JSON, shortened to [`INLINE_MAX`] characters.
pub(crate) fn inline(v: &Value) -> String {
    let s = serde_json::to_string(v).expect("JSON values serialize");
    if s.chars().count() <= INLINE_MAX {
        return s;
    }
    let mut out: String = s.chars().take(INLINE_MAX - 1).collect();
    out.push('…');
    out
}

/// The unified line diff of a multi-line string changed in place (a script, a query), when the
/// change is one: hunks only, no file header.
pub(crate) fn line_diff(c: &Change) -> Option<String> {
    let (Some(Value::String(old)), Some(Value::String(new))) = (&c.old, &c.new) else {
        return None;
    };
    if !(old.contains('\n') || new.contains('\n')) {
        return None;
    }
    let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// `meter "API Calls" (globalId mtr-1)`.
pub(crate) fn meter_title(m: &MeterDiff) -> String {
    let name = m.name.as_deref().unwrap_or(&m.key);
    let mut s = format!(
        "meter {}",
        serde_json::to_string(name).expect("strings serialize")
    );
    if let Some(g) = &m.global_id {
        s.push_str(&format!(" (globalId {g})"));
    }
    s
}

/// `1 changed, 1 added, 0 removed, 4 unchanged`.
pub(crate) fn summary_line(s: &Summary) -> String {
    format!(
        "{} changed, {} added, {} removed, {} unchanged",
        s.changed, s.added, s.removed, s.unchanged
    )
}

/// Counts of the changes of one meter by kind: (added, removed, changed + moved).
pub(crate) fn counts(m: &MeterDiff) -> (usize, usize, usize) {
    use crate::diff::ChangeKind::*;
    m.changes
        .iter()
        .fold((0, 0, 0), |(a, r, c), ch| match ch.kind {
            Added => (a + 1, r, c),
            Removed => (a, r + 1, c),
            Changed | Moved => (a, r, c + 1),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::ChangeKind;
    use serde_json::json;

    #[test]
    fn long_values_are_shortened_and_scripts_line_diffed() {
        let long = json!("x".repeat(300));
        let s = inline(&long);
        assert_eq!(s.chars().count(), INLINE_MAX);
        assert!(s.ends_with('…'));
        let c = Change {
            path: "code".into(),
            pointer_left: None,
            pointer_right: None,
            kind: ChangeKind::Changed,
            old: Some(json!("a\nb\nc\n")),
            new: Some(json!("a\nB\nc\n")),
            note: None,
        };
        assert_eq!(line_diff(&c).unwrap(), "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    }
}
