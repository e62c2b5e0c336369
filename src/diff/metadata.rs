//! A task's `metadata` (its operator's configuration) in a diff, by the identities Zuora's
//! dialect gives its lists (`zuora-meter-dialect.md` §5, from
//! [`crate::model::catalogue::metadata_list_identity`]).
//!
//! Inside `metadata` a list under a known key is compared by its identity: `fieldMappings` by
//! `name`, `aggregationFields` and `mapFields` by `targetField`, `appendFields` by `eventField`
//! (a list whose elements lack the key, or share it, falls back to the content alignment);
//! `groupFields`, `specificFields`, `excludedFields`, `paths`, … are sets of names (a reorder is no
//! change, an added name is one addition); `keyFields` and every other list keep their order
//! (aligned by content, so a reorder is a move). In a FILTER's rules, nested groups included, an
//! operator compares in either of Zuora's spellings (`Equals` is `equal`,
//! [`crate::model::catalogue::filter_operator`]); changes still show the values as written.
//! [`content_fingerprint`] hashes a task the same way, for matching tasks by content.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::walk::{fingerprint, quote, tagged, Cx, Loc};
use super::{str_field, ChangeKind};
use crate::model::catalogue::{
    filter_operator, metadata_list_identity, ListIdentity, TASK_LAYOUT_KEYS,
};
use crate::model::{graph, keys};

/// Whether a task is a FILTER (its rules' operators compare in either spelling).
pub(super) fn is_filter(task: &Value) -> bool {
    graph::operator_type(task) == Some("FILTER")
}

/// FILTER metadata with every rule operator (nested groups included) in its stored spelling;
/// borrowed when nothing needs rewriting.
pub(super) fn normalize_filter(metadata: &Value) -> Cow<'_, Value> {
    fn needs(rules: &Value) -> bool {
        rules.as_array().is_some_and(|rs| {
            rs.iter().any(|r| {
                let op = str_field(r, "operator");
                op.is_some_and(|op| filter_operator(op).is_some_and(|s| s != op))
                    || r.get("rules").is_some_and(needs)
            })
        })
    }
    fn rewrite(rules: &mut Value) {
        for r in rules.as_array_mut().into_iter().flatten() {
            if let Some(Value::String(op)) = r.get_mut("operator") {
                if let Some(stored) = filter_operator(op) {
                    if stored != op {
                        *op = stored.to_string();
                    }
                }
            }
            if let Some(inner) = r.get_mut("rules") {
                rewrite(inner);
            }
        }
    }
    match metadata.get("rules") {
        Some(rules) if needs(rules) => {
            let mut m = metadata.clone();
            if let Some(rules) = m.get_mut("rules") {
                rewrite(rules);
            }
            Cow::Owned(m)
        }
        _ => Cow::Borrowed(metadata),
    }
}

impl Cx<'_> {
    /// Compares two tasks' `metadata` (`filter`: either task is a FILTER).
    pub(super) fn task_metadata(&mut self, loc: &Loc, l: &Value, r: &Value, filter: bool) {
        let was = std::mem::replace(&mut self.in_metadata, true);
        if filter {
            let (nl, nr) = (normalize_filter(l), normalize_filter(r));
            let start = self.changes.len();
            self.value(loc, &nl, &nr);
            // Show the values as written, not as normalised (the pointers are the same).
            let at = |p: &Option<String>, root: Option<&str>, v: &Value| {
                let rest = p.as_deref()?.strip_prefix(root?)?;
                v.pointer(rest).cloned()
            };
            for c in &mut self.changes[start..] {
                if c.old.is_some() {
                    c.old = at(&c.pointer_left, loc.left(), l).or(c.old.take());
                }
                if c.new.is_some() {
                    c.new = at(&c.pointer_right, loc.right(), r).or(c.new.take());
                }
            }
        } else {
            self.value(loc, l, r);
        }
        self.in_metadata = was;
    }

    /// A list under `key` inside `metadata`, when its identity is not its order: matched by a
    /// member or as a set. Returns false to leave it to the content alignment.
    pub(super) fn metadata_list(&mut self, loc: &Loc, key: &str, l: &Value, r: &Value) -> bool {
        let (Some(la), Some(ra)) = (l.as_array(), r.as_array()) else {
            return false;
        };
        match metadata_list_identity(key) {
            ListIdentity::ByKey(field) => {
                self.keyed(
                    loc,
                    l,
                    r,
                    &|v| str_field(v, field),
                    true,
                    |cx, loc, l, r| cx.value(loc, l, r),
                    |_| None,
                );
                true
            }
            ListIdentity::Set => {
                self.set(loc, la, ra);
                true
            }
            ListIdentity::Ordered | ListIdentity::Content => false,
        }
    }

    /// A set of names: what only one side has is removed or added (labelled by the name), order
    /// is no change. Repeated elements count (a multiset).
    fn set(&mut self, loc: &Loc, l: &[Value], r: &[Value]) {
        if self.ignored(loc) {
            return;
        }
        let hr: Vec<u64> = r.iter().map(fingerprint).collect();
        let mut unmatched: Vec<bool> = vec![true; r.len()];
        let mut removed = Vec::new();
        for (i, v) in l.iter().enumerate() {
            let h = fingerprint(v);
            match (0..r.len()).find(|&j| unmatched[j] && hr[j] == h && r[j] == *v) {
                Some(j) => unmatched[j] = false,
                None => removed.push(i),
            }
        }
        let elem = |v: &Value, il: Option<usize>, ir: Option<usize>| match v.as_str() {
            Some(s) => loc.elem(&quote(s), s, il, ir),
            None => loc.index(il, ir),
        };
        for i in removed {
            let at = elem(&l[i], Some(i), None);
            self.emit(&at, ChangeKind::Removed, Some(&l[i]), None, None);
        }
        for j in (0..r.len()).filter(|&j| unmatched[j]) {
            let at = elem(&r[j], None, Some(j));
            self.emit(&at, ChangeKind::Added, None, Some(&r[j]), None);
        }
    }
}

/// A hash of a task's content, for matching tasks by content: everything but its identity
/// (`id`, `name`), wiring (`predecessors`) and layout (`uniqueName`, `internalName`), with
/// `metadata` hashed by its identities (sets and keyed lists in any order, FILTER operators in
/// either spelling).
pub(super) fn content_fingerprint(task: &Value) -> u64 {
    let Some(m) = task.as_object() else {
        return fingerprint(task);
    };
    let filter = is_filter(task);
    let sum = m
        .iter()
        .filter(|(k, _)| {
            !matches!(k.as_str(), keys::ID | keys::NAME | keys::PREDECESSORS)
                && !TASK_LAYOUT_KEYS.contains(&k.as_str())
        })
        .fold(0u64, |acc, (k, v)| {
            let fp = if k == keys::METADATA {
                if filter {
                    metadata_fingerprint(None, &normalize_filter(v))
                } else {
                    metadata_fingerprint(None, v)
                }
            } else {
                fingerprint(v)
            };
            acc.wrapping_add(tagged(7, &(k.as_str(), fp)))
        });
    tagged(8, &sum)
}

/// [`fingerprint`] with the lists of `metadata` hashed by their identity (`key` holds the list).
fn metadata_fingerprint(key: Option<&str>, v: &Value) -> u64 {
    match v {
        Value::Object(m) => object_fingerprint(m),
        Value::Array(a) => {
            let mut hs: Vec<u64> = a.iter().map(|e| metadata_fingerprint(None, e)).collect();
            let unordered = key.is_some_and(|k| {
                matches!(
                    metadata_list_identity(k),
                    ListIdentity::ByKey(_) | ListIdentity::Set
                )
            });
            if unordered {
                hs.sort_unstable();
                tagged(9, &hs)
            } else {
                tagged(6, &hs)
            }
        }
        _ => fingerprint(v),
    }
}

fn object_fingerprint(m: &Map<String, Value>) -> u64 {
    let sum = m.iter().fold(0u64, |acc, (k, v)| {
        acc.wrapping_add(tagged(7, &(k.as_str(), metadata_fingerprint(Some(k), v))))
    });
    tagged(8, &sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_operators_normalise_in_nested_groups_only_when_needed() {
        let m = json!({"ruleCombiner": "and", "rules": [
            {"sourceField": "Region", "operator": "equal", "value": "EU"}]});
        assert!(matches!(normalize_filter(&m), Cow::Borrowed(_)));
        let m = json!({"ruleCombiner": "or", "rules": [
            {"sourceField": "Region", "operator": "equal", "value": "EU"},
            {"ruleCombiner": "and", "rules": [
                {"sourceField": "Calls", "operator": "Greater Than", "value": "0"},
                {"sourceField": "Tier", "operator": "Shouting", "value": "x"}]}]});
        let n = normalize_filter(&m);
        assert_eq!(n["rules"][1]["rules"][0]["operator"], "gt");
        assert_eq!(n["rules"][1]["rules"][1]["operator"], "Shouting");
    }

    #[test]
    fn content_fingerprint_sees_through_sets_keyed_lists_spelling_and_layout() {
        let task = |groups: Value, aggs: Value, op: &str, unique: &str| {
            json!({"id": unique, "name": "Daily", "uniqueName": unique, "operatorType": "FILTER",
                   "metadata": {"groupFields": groups, "aggregationFields": aggs,
                                "rules": [{"sourceField": "a", "operator": op, "value": "1"}]}})
        };
        let a1 = json!({"field": "q", "aggregation": "SUM", "targetField": "total"});
        let a2 = json!({"field": "e", "aggregation": "COUNT", "targetField": "events"});
        let l = task(json!(["A", "B"]), json!([a1, a2]), "Equals", "a");
        let r = task(json!(["B", "A"]), json!([a2, a1]), "equal", "b");
        assert_eq!(content_fingerprint(&l), content_fingerprint(&r));
        let ordered = json!({"metadata": {"keyFields": ["A", "B"]}});
        let reordered = json!({"metadata": {"keyFields": ["B", "A"]}});
        assert_ne!(
            content_fingerprint(&ordered),
            content_fingerprint(&reordered)
        );
    }
}
