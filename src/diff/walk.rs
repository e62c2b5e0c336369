//! The walk that compares two meter documents and collects [`Change`]s.
//!
//! [`Cx`] descends both documents together with a [`Loc`] (readable path, a pointer into each
//! side, and the identity pointer `--ignore` globs match). Structural levels (meter, type
//! definition, version, task, schema entry, field mapping) know their identities, volatile fields
//! and layout; everything below them is compared generically: objects by key, lists by content
//! alignment, scalars by value, except that inside a task's `metadata` lists go by the identities
//! of Zuora's dialect ([`super::metadata`]). Equal subtrees are skipped before any path is built,
//! so unchanged meters cost one comparison per level.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};

use super::{plural, str_field, Change, ChangeKind, Options};
use crate::model::{graph, keys, strip_id_suffix};
use crate::pointer::escape_token;

/// Where a compared value sits: readable path, both pointers, and the identity pointer that
/// `--ignore` globs match (`/versions/0.0.2/tasks/Filter EU/metadata`).
#[derive(Debug, Clone)]
pub(super) struct Loc {
    path: String,
    left: Option<String>,
    right: Option<String>,
    ident: String,
}

fn is_ident(k: &str) -> bool {
    let mut c = k.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == '$')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-')
}

pub(super) fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

impl Loc {
    pub(super) fn root(left: String, right: String) -> Loc {
        Loc {
            path: String::new(),
            left: Some(left),
            right: Some(right),
            ident: String::new(),
        }
    }

    pub(super) fn key(&self, k: &str) -> Loc {
        let mut path = self.path.clone();
        if is_ident(k) {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
        } else {
            path.push('[');
            path.push_str(&quote(k));
            path.push(']');
        }
        let tok = escape_token(k);
        let push = |p: &Option<String>| {
            p.as_ref().map(|p| {
                let mut p = p.clone();
                p.push('/');
                p.push_str(&tok);
                p
            })
        };
        Loc {
            path,
            left: push(&self.left),
            right: push(&self.right),
            ident: format!("{}/{}", self.ident, tok),
        }
    }

    /// A list element: `[label]` in the path, `ident` in the identity pointer, and its index on
    /// each side where it exists.
    pub(super) fn elem(
        &self,
        label: &str,
        ident: &str,
        il: Option<usize>,
        ir: Option<usize>,
    ) -> Loc {
        let at = |p: &Option<String>, i: Option<usize>| match (p, i) {
            (Some(p), Some(i)) => Some(format!("{p}/{i}")),
            _ => None,
        };
        Loc {
            path: format!("{}[{label}]", self.path),
            left: at(&self.left, il),
            right: at(&self.right, ir),
            ident: format!("{}/{}", self.ident, escape_token(ident)),
        }
    }

    pub(super) fn index(&self, il: Option<usize>, ir: Option<usize>) -> Loc {
        let shown = ir.or(il).unwrap_or(0).to_string();
        self.elem(&shown, &shown, il, ir)
    }

    /// The JSON Pointer into the left document, when the value is there.
    pub(super) fn left(&self) -> Option<&str> {
        self.left.as_deref()
    }

    /// The JSON Pointer into the right document, when the value is there.
    pub(super) fn right(&self) -> Option<&str> {
        self.right.as_deref()
    }
}

/// Fields that differ between exports of the same meter without anyone changing it, at the
/// structural levels (meter, version, task, schema entry, field mapping).
fn is_volatile_key(k: &str) -> bool {
    matches!(k, "id" | "uniqueUploadUrl" | "createdAt" | "updatedAt")
        || crate::model::is_run_status(k)
}

/// Whether a value is a tenant's numeric id (a number, or a string of digits).
fn is_numeric_id(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::String(s) => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

/// Whether an object lacks `key` or holds nothing there (`null`, `{}`): an optional member
/// Zuora writes either way.
pub(super) fn holds_nothing(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key)
        .is_none_or(|v| v.is_null() || v.as_object().is_some_and(Map::is_empty))
}

pub(super) struct Cx<'o> {
    pub(super) opts: &'o Options,
    pub(super) changes: Vec<Change>,
    /// Inside a task's `metadata`: lists go by the dialect's identities.
    pub(super) in_metadata: bool,
}

pub(super) type ElemFn = fn(&mut Cx<'_>, &Loc, &Value, &Value);

impl<'o> Cx<'o> {
    pub(super) fn new(opts: &'o Options) -> Cx<'o> {
        Cx {
            opts,
            changes: Vec::new(),
            in_metadata: false,
        }
    }
}

impl Cx<'_> {
    pub(super) fn ignored(&self, loc: &Loc) -> bool {
        !self.opts.ignore.is_empty()
            && self.opts.ignore.iter().any(|g| {
                g.matches(&loc.ident)
                    || loc.left.as_deref().is_some_and(|p| g.matches(p))
                    || loc.right.as_deref().is_some_and(|p| g.matches(p))
            })
    }

    pub(super) fn emit(
        &mut self,
        loc: &Loc,
        kind: ChangeKind,
        old: Option<&Value>,
        new: Option<&Value>,
        note: Option<String>,
    ) {
        if self.ignored(loc) {
            return;
        }
        // A value only on one side has no pointer into the other.
        self.changes.push(Change {
            path: loc.path.clone(),
            pointer_left: loc.left.clone().filter(|_| kind != ChangeKind::Added),
            pointer_right: loc.right.clone().filter(|_| kind != ChangeKind::Removed),
            kind,
            old: old.cloned(),
            new: new.cloned(),
            note,
        });
    }

    /// Compares two objects member by member; `special` handles a key itself (returning true) or
    /// leaves it to the generic comparison.
    pub(super) fn members(
        &mut self,
        loc: &Loc,
        l: &Map<String, Value>,
        r: &Map<String, Value>,
        skip: &dyn Fn(&str) -> bool,
        special: &mut dyn FnMut(&mut Self, &str, &Value, &Value) -> bool,
    ) {
        for (k, lv) in l {
            if skip(k) {
                continue;
            }
            match r.get(k) {
                Some(rv) => {
                    if lv != rv && !special(self, k, lv, rv) {
                        self.value(&loc.key(k), lv, rv);
                    }
                }
                None => self.emit(&loc.key(k), ChangeKind::Removed, Some(lv), None, None),
            }
        }
        for (k, rv) in r {
            if !skip(k) && !l.contains_key(k) {
                self.emit(&loc.key(k), ChangeKind::Added, None, Some(rv), None);
            }
        }
    }

    pub(super) fn volatile_skip(&self) -> impl Fn(&str) -> bool {
        let on = !self.opts.include_volatile;
        move |k: &str| on && is_volatile_key(k)
    }

    /// The generic comparison: objects by key, lists by content (inside `metadata`, by the
    /// dialect's identities), scalars by value.
    pub(super) fn value(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if l == r || self.ignored(loc) {
            return;
        }
        match (l, r) {
            (Value::Object(lm), Value::Object(rm)) => {
                let in_metadata = self.in_metadata;
                self.members(loc, lm, rm, &|_| false, &mut |cx, k, lv, rv| {
                    in_metadata && cx.metadata_list(&loc.key(k), k, lv, rv)
                })
            }
            (Value::Array(la), Value::Array(ra)) => self.list(loc, la, ra),
            _ => self.emit(loc, ChangeKind::Changed, Some(l), Some(r), None),
        }
    }

    /// A list without identity: aligned by content (LCS over fingerprints); elements edited in
    /// place are compared inside; an equal element at another position is a move.
    fn list(&mut self, loc: &Loc, l: &[Value], r: &[Value]) {
        let hl: Vec<u64> = l.iter().map(fingerprint).collect();
        let hr: Vec<u64> = r.iter().map(fingerprint).collect();
        let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &hl, &hr);
        let mut removed: Vec<usize> = Vec::new();
        let mut added: Vec<usize> = Vec::new();
        let mut gap_l: Vec<usize> = Vec::new();
        let mut gap_r: Vec<usize> = Vec::new();
        let flush = |cx: &mut Self,
                     gap_l: &mut Vec<usize>,
                     gap_r: &mut Vec<usize>,
                     removed: &mut Vec<usize>,
                     added: &mut Vec<usize>| {
            let n = gap_l.len().min(gap_r.len());
            for k in 0..n {
                let (i, j) = (gap_l[k], gap_r[k]);
                if edited_in_place(&l[i], &r[j]) {
                    cx.value(&loc.index(Some(i), Some(j)), &l[i], &r[j]);
                } else {
                    removed.push(i);
                    added.push(j);
                }
            }
            removed.extend_from_slice(&gap_l[n..]);
            added.extend_from_slice(&gap_r[n..]);
            gap_l.clear();
            gap_r.clear();
        };
        for op in ops {
            let (tag, lr, rr) = op.as_tag_tuple();
            match tag {
                similar::DiffTag::Equal => {
                    flush(self, &mut gap_l, &mut gap_r, &mut removed, &mut added);
                    for (i, j) in lr.zip(rr) {
                        if l[i] != r[j] {
                            // A fingerprint collision: compare for real.
                            self.value(&loc.index(Some(i), Some(j)), &l[i], &r[j]);
                        }
                    }
                }
                _ => {
                    gap_l.extend(lr);
                    gap_r.extend(rr);
                }
            }
        }
        flush(self, &mut gap_l, &mut gap_r, &mut removed, &mut added);
        // Moves: an element removed here and added there unchanged.
        let mut added_left: Vec<Option<usize>> = added.iter().map(|&j| Some(j)).collect();
        for &i in &removed {
            let hit = added_left
                .iter_mut()
                .find(|j| j.is_some_and(|j| hl[i] == hr[j] && l[i] == r[j]));
            match hit {
                Some(slot) => {
                    let j = slot.take().expect("found a Some");
                    self.emit(
                        &loc.index(Some(i), Some(j)),
                        ChangeKind::Moved,
                        Some(&l[i]),
                        Some(&r[j]),
                        Some(format!("moved from [{i}] to [{j}]")),
                    );
                }
                None => self.emit(
                    &loc.index(Some(i), None),
                    ChangeKind::Removed,
                    Some(&l[i]),
                    None,
                    None,
                ),
            }
        }
        for j in added_left.into_iter().flatten() {
            self.emit(
                &loc.index(None, Some(j)),
                ChangeKind::Added,
                None,
                Some(&r[j]),
                None,
            );
        }
    }

    /// A list whose elements carry an identity (`key` of each element). Falls back to the
    /// content alignment when an element has no identity or two share one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn keyed(
        &mut self,
        loc: &Loc,
        l: &Value,
        r: &Value,
        key: &dyn Fn(&Value) -> Option<&str>,
        quoted: bool,
        elem: ElemFn,
        note: fn(&Value) -> Option<String>,
    ) {
        let (Some(la), Some(ra)) = (l.as_array(), r.as_array()) else {
            return self.value(loc, l, r);
        };
        let (Some(lk), Some(rk)) = (identities(la, key), identities(ra, key)) else {
            return self.list(loc, la, ra);
        };
        if self.ignored(loc) {
            return;
        }
        let label = |k: &str| if quoted { quote(k) } else { k.to_string() };
        let r_at: HashMap<&str, usize> = rk.iter().enumerate().map(|(j, k)| (*k, j)).collect();
        let l_at: HashMap<&str, usize> = lk.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        for (i, k) in lk.iter().enumerate() {
            match r_at.get(k) {
                Some(&j) => {
                    if la[i] != ra[j] {
                        elem(
                            self,
                            &loc.elem(&label(k), k, Some(i), Some(j)),
                            &la[i],
                            &ra[j],
                        );
                    }
                }
                None => self.emit(
                    &loc.elem(&label(k), k, Some(i), None),
                    ChangeKind::Removed,
                    Some(&la[i]),
                    None,
                    note(&la[i]),
                ),
            }
        }
        for (j, k) in rk.iter().enumerate() {
            if !l_at.contains_key(k) {
                self.emit(
                    &loc.elem(&label(k), k, None, Some(j)),
                    ChangeKind::Added,
                    None,
                    Some(&ra[j]),
                    note(&ra[j]),
                );
            }
        }
    }

    pub(super) fn meter(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        // A globalId only one side carries (an export has none) is not a difference.
        let one_sided_gid = !(lm.contains_key("globalId") && rm.contains_key("globalId"));
        // A CUSTOM meter's `typeDefinition` is `null` or absent, as Zuora writes it.
        let no_type = holds_nothing(lm, "typeDefinition") && holds_nothing(rm, "typeDefinition");
        let skip = move |k: &str| {
            vol(k) || (k == "globalId" && one_sided_gid) || (k == "typeDefinition" && no_type)
        };
        self.members(loc, lm, rm, &skip, &mut |cx, k, lv, rv| {
            let loc = loc.key(k);
            match k {
                keys::VERSIONS => cx.keyed(
                    &loc,
                    lv,
                    rv,
                    &|v| str_field(v, keys::VERSION),
                    false,
                    |cx, loc, l, r| cx.version(loc, l, r),
                    version_note,
                ),
                "schemas" => cx.keyed(
                    &loc,
                    lv,
                    rv,
                    &|v| str_field(v, "name").map(strip_id_suffix),
                    true,
                    |cx, loc, l, r| cx.schema(loc, l, r),
                    |_| None,
                ),
                "typeDefinition" => cx.type_definition(&loc, lv, rv),
                _ => return false,
            }
            true
        });
    }

    fn type_definition(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        let include = self.opts.include_volatile;
        self.members(loc, lm, rm, &vol, &mut |cx, k, lv, rv| {
            // A predefined meter's numeric `schemaId` is the tenant's id of its event
            // definition; `STANDARD` (or any name) is content.
            if k == "schemaId" {
                return !include && is_numeric_id(lv) && is_numeric_id(rv);
            }
            if k != "fieldMappings" {
                return false;
            }
            cx.keyed(
                &loc.key(k),
                lv,
                rv,
                &|v| str_field(v, "name"),
                true,
                |cx, loc, l, r| cx.structural(loc, l, r),
                |_| None,
            );
            true
        });
    }

    /// An object at a structural level: generic, minus volatile keys.
    fn structural(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        self.members(loc, lm, rm, &vol, &mut |_, _, _, _| false);
    }

    fn schema(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        let include = self.opts.include_volatile;
        self.members(loc, lm, rm, &vol, &mut |cx, k, lv, rv| {
            if k != "name" || include {
                return false;
            }
            let (Some(a), Some(b)) = (lv.as_str(), rv.as_str()) else {
                return false;
            };
            if strip_id_suffix(a) != strip_id_suffix(b) {
                cx.emit(&loc.key(k), ChangeKind::Changed, Some(lv), Some(rv), None);
            }
            true
        });
    }

    pub(super) fn version(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        let include = self.opts.include_volatile;
        // `metadata` is the canvas layout (positions keyed by the tenant's task ids).
        let skip = move |k: &str| vol(k) || k == keys::VERSION || (!include && k == keys::METADATA);
        self.members(loc, lm, rm, &skip, &mut |cx, k, lv, rv| match k {
            keys::TASKS => match (lv.as_array(), rv.as_array()) {
                (Some(a), Some(b)) => {
                    cx.tasks(&loc.key(k), a, b);
                    true
                }
                _ => false,
            },
            // With `--include-volatile`: a string holding equal JSON in another layout is no
            // change.
            keys::METADATA => match (lv.as_str(), rv.as_str()) {
                (Some(a), Some(b)) => matches!(
                    (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)),
                    (Ok(x), Ok(y)) if x == y
                ),
                _ => false,
            },
            _ => false,
        });
    }
}

/// The identity of every element, when all have one and no two share it.
fn identities<'a>(
    a: &'a [Value],
    key: &dyn Fn(&'a Value) -> Option<&'a str>,
) -> Option<Vec<&'a str>> {
    let ks: Vec<&str> = a.iter().map(key).collect::<Option<_>>()?;
    let unique: HashSet<&str> = ks.iter().copied().collect();
    (unique.len() == ks.len()).then_some(ks)
}

fn version_note(v: &Value) -> Option<String> {
    let n = graph::tasks(v).len();
    Some(plural(n, "task"))
}

/// Whether two list elements in the same slot are one element edited (compare inside) rather
/// than one removed and another added: scalars and lists always, objects when at least half of
/// their members are equal or they have the same keys.
fn edited_in_place(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Object(a), Value::Object(b)) => {
            let total = a.len() + b.keys().filter(|k| !a.contains_key(*k)).count();
            let same = a.iter().filter(|(k, v)| b.get(*k) == Some(v)).count();
            // At least half the members equal, or the same members (`{"id": …}` renumbered).
            total == 0
                || same * 2 >= total
                || (a.len() == b.len() && a.keys().all(|k| b.contains_key(k)))
        }
        (Value::Array(_), Value::Array(_))
        | (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => true,
        _ => false,
    }
}

/// The hash of `t` under a tag (one per kind of value, so `[1]` and `1` differ).
pub(super) fn tagged<T: Hash + ?Sized>(tag: u8, t: &T) -> u64 {
    let mut s = std::collections::hash_map::DefaultHasher::new();
    tag.hash(&mut s);
    t.hash(&mut s);
    s.finish()
}

/// A hash of a value in which object key order does not count (equal values, equal hashes).
pub fn fingerprint(v: &Value) -> u64 {
    match v {
        Value::Null => 0x6e75_6c6c,
        Value::Bool(b) => tagged(1, b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                tagged(2, &i)
            } else if let Some(u) = n.as_u64() {
                tagged(3, &u)
            } else {
                tagged(4, &n.as_f64().unwrap_or(0.0).to_bits())
            }
        }
        Value::String(s) => tagged(5, s.as_str()),
        Value::Array(a) => {
            let hs: Vec<u64> = a.iter().map(fingerprint).collect();
            tagged(6, &hs)
        }
        Value::Object(m) => {
            let sum = m.iter().fold(0u64, |acc, (k, v)| {
                acc.wrapping_add(tagged(7, &(k.as_str(), fingerprint(v))))
            });
            tagged(8, &sum)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locations_build_paths_and_pointers() {
        let root = Loc::root(String::new(), String::new());
        let l = root
            .key("versions")
            .elem("0.0.2", "0.0.2", Some(1), Some(2))
            .key("tasks")
            .elem("\"Filter EU\"", "Filter EU", Some(0), None)
            .key("a/b c");
        assert_eq!(l.path, r#"versions[0.0.2].tasks["Filter EU"]["a/b c"]"#);
        assert_eq!(l.left.as_deref(), Some("/versions/1/tasks/0/a~1b c"));
        assert_eq!(l.right, None);
        assert_eq!(l.ident, "/versions/0.0.2/tasks/Filter EU/a~1b c");
    }

    #[test]
    fn edits_in_place_need_half_the_members_or_the_same_keys() {
        let rule = |f: &str, v: &str| json!({"sourceField": f, "operator": "Equals", "value": v});
        assert!(edited_in_place(
            &rule("Region", "EU"),
            &rule("Region", "US")
        ));
        assert!(!edited_in_place(
            &json!({"a": 1, "b": 2, "c": 3}),
            &json!({"a": 9, "d": 2})
        ));
        assert!(edited_in_place(&json!({"id": "x"}), &json!({"id": "y"})));
        assert!(!edited_in_place(&json!("x"), &json!(1)));
    }
}
