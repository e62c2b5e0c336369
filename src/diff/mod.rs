//! The semantic diff of meter definitions: identity matching → a list of [`Change`]s per meter.
//!
//! Two sides (lists of loaded definitions) are paired into meters by `globalId`, else by `name`.
//! Inside a meter every list with an identity is matched by it, never by position: versions by
//! `version`, tasks by `name` (graph position breaks ties between equal names, and a task whose
//! name alone changed is recognised as a rename), schemas by `name` without the tenant's `(N)`
//! suffix, field mappings by `name`. Predecessors compare as the set of the upstream tasks'
//! *names*, so renumbered ids are no change and a rewired pipeline is one. Lists without an
//! identity (filter rules, headers, aggregations) are aligned by content (longest common
//! subsequence); an element edited in place shows as the field-level change inside it. Volatile
//! fields (ids, timestamps, run statuses, upload URLs, `schemaId`, schema name suffixes) are
//! skipped unless [`Options::include_volatile`] is set, and [`Options::ignore`] skips more by
//! JSON Pointer glob. Key order never matters. Nothing here prints: `report::diff` renders.

pub mod glob;
pub mod side;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};

use crate::load::locate::escape_token;
use crate::model::strip_id_suffix;

pub use glob::PointerGlob;

/// What happened to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only on the right.
    Added,
    /// Only on the left.
    Removed,
    /// On both sides, different.
    Changed,
    /// The same element at another position of a list without identity.
    Moved,
}

impl ChangeKind {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Moved => "moved",
        }
    }
}

/// One difference inside a meter.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Readable path: `versions[0.0.2].tasks["Filter EU"].setting.rules[0].value`.
    pub path: String,
    /// JSON Pointer into the left document (`None` when the value is only on the right).
    pub pointer_left: Option<String>,
    /// JSON Pointer into the right document (`None` when the value is only on the left).
    pub pointer_right: Option<String>,
    /// Added, removed, changed or moved.
    pub kind: ChangeKind,
    /// The left value (`None` for an addition).
    pub old: Option<Value>,
    /// The right value (`None` for a removal).
    pub new: Option<Value>,
    /// A one-line explanation for people (`now reads from "A" instead of "B"`), when useful.
    pub note: Option<String>,
}

/// How a meter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterStatus {
    /// Only on the right.
    Added,
    /// Only on the left.
    Removed,
    /// On both sides, with changes.
    Changed,
    /// On both sides, no changes.
    Unchanged,
}

impl MeterStatus {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            MeterStatus::Added => "added",
            MeterStatus::Removed => "removed",
            MeterStatus::Changed => "changed",
            MeterStatus::Unchanged => "unchanged",
        }
    }
}

/// The comparison of one meter.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterDiff {
    /// The pairing key: the `globalId`, else the name.
    pub key: String,
    /// The meter's name (right side's when both have one).
    pub name: Option<String>,
    /// The meter's `globalId`, when it has one.
    pub global_id: Option<String>,
    /// Added, removed, changed or unchanged.
    pub status: MeterStatus,
    /// Where the left definition came from.
    pub left: Option<String>,
    /// Where the right definition came from.
    pub right: Option<String>,
    /// For `--versions A B`: the two versions compared.
    pub versions: Option<(String, String)>,
    /// The changes (empty unless `Changed`).
    pub changes: Vec<Change>,
    /// For an added or removed meter: a one-line description (`2 versions, 5 tasks`).
    pub note: Option<String>,
}

/// Counts of meters per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Only on the right.
    pub added: usize,
    /// Only on the left.
    pub removed: usize,
    /// With changes.
    pub changed: usize,
    /// Without changes.
    pub unchanged: usize,
}

/// The result of a diff: every meter of both sides, sorted by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// One entry per meter.
    pub meters: Vec<MeterDiff>,
}

impl Report {
    /// Counts per status.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for m in &self.meters {
            match m.status {
                MeterStatus::Added => s.added += 1,
                MeterStatus::Removed => s.removed += 1,
                MeterStatus::Changed => s.changed += 1,
                MeterStatus::Unchanged => s.unchanged += 1,
            }
        }
        s
    }

    /// Whether anything differs.
    pub fn has_changes(&self) -> bool {
        self.meters
            .iter()
            .any(|m| m.status != MeterStatus::Unchanged)
    }
}

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also report volatile fields (ids, timestamps, run statuses, `schemaId`, schema suffixes).
    pub include_volatile: bool,
    /// Values whose JSON Pointer matches one of these are not compared.
    pub ignore: Vec<PointerGlob>,
}

/// One loaded definition on one side.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Where it came from, as shown to users (`meters/a.yaml`, `HEAD~1:meters/a.yaml`).
    pub origin: String,
    /// The parsed definition.
    pub value: Value,
}

/// What a definition pairs by, and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Where it came from.
    pub origin: String,
    /// Its `globalId`, when a string.
    pub global_id: Option<String>,
    /// Its `name`, when a string.
    pub name: Option<String>,
}

impl Identity {
    /// The identity of a loaded document.
    pub fn of(doc: &Doc) -> Identity {
        Identity {
            origin: doc.origin.clone(),
            global_id: str_field(&doc.value, "globalId").map(str::to_string),
            name: str_field(&doc.value, "name").map(str::to_string),
        }
    }

    /// Whether it has anything to pair by.
    pub fn is_meter(&self) -> bool {
        self.global_id.is_some() || self.name.is_some()
    }
}

/// Why two sides cannot be paired into meters.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// A definition has neither `globalId` nor `name`.
    #[error("{0}: the definition has neither a globalId nor a name, so it cannot be paired with the other side")]
    NoIdentity(String),
    /// Two definitions on one side share a key.
    #[error("{side} side: {what} {key:?} appears in both {first} and {second}; pairing needs unique identities")]
    Duplicate {
        /// `left` or `right`.
        side: &'static str,
        /// `globalId` or `name`.
        what: &'static str,
        /// The shared key.
        key: String,
        /// One file.
        first: String,
        /// The other file.
        second: String,
    },
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Pairs the meters of two sides and compares each pair (in parallel).
///
/// When both sides are exactly one file (`single`), the two are paired whatever their identity,
/// so a renamed meter in one file shows as a name change.
pub fn diff_sides(
    left: &[Doc],
    right: &[Doc],
    single: bool,
    opts: &Options,
) -> Result<Report, PairError> {
    use rayon::prelude::*;
    let li: Vec<Identity> = left.iter().map(Identity::of).collect();
    let ri: Vec<Identity> = right.iter().map(Identity::of).collect();
    let pairs = pair(&li, &ri, single)?;
    let meters = pairs
        .par_iter()
        .map(|&(l, r)| diff_pair(l.map(|i| &left[i]), r.map(|i| &right[i]), opts))
        .collect();
    Ok(Report::new(meters))
}

impl Report {
    /// A report of these meters, sorted by key (then origins).
    pub fn new(mut meters: Vec<MeterDiff>) -> Report {
        meters.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| a.left.cmp(&b.left))
                .then_with(|| a.right.cmp(&b.right))
        });
        Report { meters }
    }
}

/// Indices of a pair of definitions: left, right, or both.
pub type Pair = (Option<usize>, Option<usize>);

/// Pairs two sides' definitions: by `globalId` where both sides have it, then by `name` (unless
/// both carry different globalIds); the rest are only on one side. With `single` (each side one
/// file) the two files pair whatever their identities.
pub fn pair(left: &[Identity], right: &[Identity], single: bool) -> Result<Vec<Pair>, PairError> {
    if let Some(d) = left.iter().chain(right).find(|d| !d.is_meter()) {
        return Err(PairError::NoIdentity(d.origin.clone()));
    }
    if single && left.len() == 1 && right.len() == 1 {
        return Ok(vec![(Some(0), Some(0))]);
    }
    fn index<'a>(
        ids: &'a [Identity],
        side: &'static str,
        what: &'static str,
        field: fn(&Identity) -> Option<&str>,
        eligible: impl Fn(usize) -> bool,
    ) -> Result<HashMap<&'a str, usize>, PairError> {
        let mut map = HashMap::new();
        for (i, d) in ids.iter().enumerate() {
            if !eligible(i) {
                continue;
            }
            if let Some(k) = field(d) {
                if let Some(&j) = map.get(k) {
                    let j: usize = j;
                    return Err(PairError::Duplicate {
                        side,
                        what,
                        key: k.to_string(),
                        first: ids[j].origin.clone(),
                        second: d.origin.clone(),
                    });
                }
                map.insert(k, i);
            }
        }
        Ok(map)
    }
    fn gid(d: &Identity) -> Option<&str> {
        d.global_id.as_deref()
    }
    fn name(d: &Identity) -> Option<&str> {
        d.name.as_deref()
    }
    let mut l_used = vec![false; left.len()];
    let mut r_used = vec![false; right.len()];
    let mut pairs = Vec::new();
    // 1. globalId on both sides.
    let r_gid = index(right, "right", "globalId", gid, |_| true)?;
    index(left, "left", "globalId", gid, |_| true)?;
    for (i, d) in left.iter().enumerate() {
        if let Some(&j) = d.global_id.as_deref().and_then(|g| r_gid.get(g)) {
            pairs.push((Some(i), Some(j)));
            l_used[i] = true;
            r_used[j] = true;
        }
    }
    // 2. name, unless both sides carry (different) globalIds.
    let r_name = index(right, "right", "name", name, |j| !r_used[j])?;
    index(left, "left", "name", name, |i| !l_used[i])?;
    for (i, d) in left.iter().enumerate() {
        if l_used[i] {
            continue;
        }
        if let Some(&j) = d.name.as_deref().and_then(|n| r_name.get(n)) {
            let both_gid = d.global_id.is_some() && right[j].global_id.is_some();
            if !r_used[j] && !both_gid {
                pairs.push((Some(i), Some(j)));
                l_used[i] = true;
                r_used[j] = true;
            }
        }
    }
    pairs.extend(
        (0..left.len())
            .filter(|&i| !l_used[i])
            .map(|i| (Some(i), None)),
    );
    pairs.extend(
        (0..right.len())
            .filter(|&j| !r_used[j])
            .map(|j| (None, Some(j))),
    );
    Ok(pairs)
}

/// An unchanged meter known only by identities (both files byte-identical: nothing to parse).
pub fn unchanged(l: &Identity, r: &Identity) -> MeterDiff {
    let gid = r.global_id.clone().or_else(|| l.global_id.clone());
    let name = r.name.clone().or_else(|| l.name.clone());
    MeterDiff {
        key: gid.clone().or_else(|| name.clone()).unwrap_or_default(),
        name,
        global_id: gid,
        status: MeterStatus::Unchanged,
        left: Some(l.origin.clone()),
        right: Some(r.origin.clone()),
        versions: None,
        changes: Vec::new(),
        note: None,
    }
}

/// Compares one pair (either side may be missing: an added or removed meter).
pub fn diff_pair(l: Option<&Doc>, r: Option<&Doc>, opts: &Options) -> MeterDiff {
    let lv = l.map(|d| &d.value);
    let rv = r.map(|d| &d.value);
    let gid = rv
        .and_then(|v| str_field(v, "globalId"))
        .or_else(|| lv.and_then(|v| str_field(v, "globalId")));
    let name = rv
        .and_then(|v| str_field(v, "name"))
        .or_else(|| lv.and_then(|v| str_field(v, "name")));
    let (status, changes, note) = match (lv, rv) {
        (Some(a), Some(b)) => {
            let changes = diff_meters(a, b, opts);
            let status = if changes.is_empty() {
                MeterStatus::Unchanged
            } else {
                MeterStatus::Changed
            };
            (status, changes, None)
        }
        (Some(a), None) => (MeterStatus::Removed, Vec::new(), Some(meter_note(a))),
        (None, Some(b)) => (MeterStatus::Added, Vec::new(), Some(meter_note(b))),
        (None, None) => unreachable!("a pair has at least one side"),
    };
    MeterDiff {
        key: gid.or(name).unwrap_or_default().to_string(),
        name: name.map(str::to_string),
        global_id: gid.map(str::to_string),
        status,
        left: l.map(|d| d.origin.clone()),
        right: r.map(|d| d.origin.clone()),
        versions: None,
        changes,
        note,
    }
}

pub(crate) fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn meter_note(v: &Value) -> String {
    let versions = v.get("versions").and_then(Value::as_array);
    let n = versions.map_or(0, Vec::len);
    let tasks = versions
        .and_then(|vs| vs.last())
        .and_then(|v| v.get("tasks"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if n > 1 {
        format!(
            "{}, {} in the last",
            plural(n, "version"),
            plural(tasks, "task")
        )
    } else {
        format!("{}, {}", plural(n, "version"), plural(tasks, "task"))
    }
}

/// Compares two meter definitions.
pub fn diff_meters(left: &Value, right: &Value, opts: &Options) -> Vec<Change> {
    let mut cx = Cx {
        opts,
        changes: Vec::new(),
    };
    if left != right {
        cx.meter(&Loc::root(String::new(), String::new()), left, right);
    }
    cx.changes
}

/// Why `--versions A B` cannot compare.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: the meter has no version {version:?} (it has: {available})")]
pub struct NoSuchVersion {
    /// The file.
    pub origin: String,
    /// The version asked for.
    pub version: String,
    /// The versions it has.
    pub available: String,
}

/// Compares version `a` of `left` with version `b` of `right` (often the same meter): the
/// "version diff review". Paths start at the version (`tasks["Filter"].setting...`).
pub fn diff_versions(
    left: &Doc,
    a: &str,
    right: &Doc,
    b: &str,
    opts: &Options,
) -> Result<MeterDiff, NoSuchVersion> {
    fn find<'a>(d: &'a Doc, version: &str) -> Result<(usize, &'a Value), NoSuchVersion> {
        let versions = d
            .value
            .get("versions")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        versions
            .iter()
            .enumerate()
            .find(|(_, v)| str_field(v, "version") == Some(version))
            .ok_or_else(|| NoSuchVersion {
                origin: d.origin.clone(),
                version: version.to_string(),
                available: versions
                    .iter()
                    .filter_map(|v| str_field(v, "version"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
    let (ia, va) = find(left, a)?;
    let (ib, vb) = find(right, b)?;
    let mut cx = Cx {
        opts,
        changes: Vec::new(),
    };
    if va != vb {
        cx.version(
            &Loc::root(format!("/versions/{ia}"), format!("/versions/{ib}")),
            va,
            vb,
        );
    }
    let mut m = unchanged(&Identity::of(left), &Identity::of(right));
    m.status = if cx.changes.is_empty() {
        MeterStatus::Unchanged
    } else {
        MeterStatus::Changed
    };
    m.changes = cx.changes;
    m.versions = Some((a.to_string(), b.to_string()));
    Ok(m)
}

/// Where a compared value sits: readable path, both pointers, and the identity pointer that
/// `--ignore` globs match (`/versions/0.0.2/tasks/Filter EU/setting`).
#[derive(Debug, Clone)]
struct Loc {
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

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

impl Loc {
    fn root(left: String, right: String) -> Loc {
        Loc {
            path: String::new(),
            left: Some(left),
            right: Some(right),
            ident: String::new(),
        }
    }

    fn key(&self, k: &str) -> Loc {
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
    fn elem(&self, label: &str, ident: &str, il: Option<usize>, ir: Option<usize>) -> Loc {
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

    fn index(&self, il: Option<usize>, ir: Option<usize>) -> Loc {
        let shown = ir.or(il).unwrap_or(0).to_string();
        self.elem(&shown, &shown, il, ir)
    }
}

/// Fields that differ between exports of the same meter without anyone changing it, at the
/// structural levels (meter, version, task, schema entry, field mapping).
fn is_volatile_key(k: &str) -> bool {
    matches!(k, "id" | "uniqueUploadUrl" | "createdAt" | "updatedAt") || k.contains("RunStatus")
}

struct Cx<'o> {
    opts: &'o Options,
    changes: Vec<Change>,
}

type ElemFn = fn(&mut Cx<'_>, &Loc, &Value, &Value);

impl Cx<'_> {
    fn ignored(&self, loc: &Loc) -> bool {
        !self.opts.ignore.is_empty()
            && self.opts.ignore.iter().any(|g| {
                g.matches(&loc.ident)
                    || loc.left.as_deref().is_some_and(|p| g.matches(p))
                    || loc.right.as_deref().is_some_and(|p| g.matches(p))
            })
    }

    fn emit(
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
        self.changes.push(Change {
            path: loc.path.clone(),
            pointer_left: loc.left.clone(),
            pointer_right: loc.right.clone(),
            kind,
            old: old.cloned(),
            new: new.cloned(),
            note,
        });
    }

    /// Compares two objects member by member; `special` handles a key itself (returning true) or
    /// leaves it to the generic comparison.
    fn members(
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

    fn volatile_skip(&self) -> impl Fn(&str) -> bool {
        let on = !self.opts.include_volatile;
        move |k: &str| on && is_volatile_key(k)
    }

    /// The generic comparison: objects by key, lists by content, scalars by value.
    fn value(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if l == r || self.ignored(loc) {
            return;
        }
        match (l, r) {
            (Value::Object(lm), Value::Object(rm)) => {
                self.members(loc, lm, rm, &|_| false, &mut |_, _, _, _| false)
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
    fn keyed(
        &mut self,
        loc: &Loc,
        l: &Value,
        r: &Value,
        key: fn(&Value) -> Option<&str>,
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

    fn meter(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        // A globalId only one side carries (an export has none) is not a difference.
        let one_sided_gid = !(lm.contains_key("globalId") && rm.contains_key("globalId"));
        let skip = move |k: &str| vol(k) || (k == "globalId" && one_sided_gid);
        self.members(loc, lm, rm, &skip, &mut |cx, k, lv, rv| {
            let loc = loc.key(k);
            match k {
                "versions" => cx.keyed(
                    &loc,
                    lv,
                    rv,
                    |v| str_field(v, "version"),
                    false,
                    |cx, loc, l, r| cx.version(loc, l, r),
                    version_note,
                ),
                "schemas" => cx.keyed(
                    &loc,
                    lv,
                    rv,
                    |v| str_field(v, "name").map(strip_id_suffix),
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
        let skip = move |k: &str| vol(k) || (!include && k == "schemaId");
        self.members(loc, lm, rm, &skip, &mut |cx, k, lv, rv| {
            if k != "fieldMappings" {
                return false;
            }
            cx.keyed(
                &loc.key(k),
                lv,
                rv,
                |v| str_field(v, "name"),
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

    fn version(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        let skip = move |k: &str| vol(k) || k == "version";
        self.members(loc, lm, rm, &skip, &mut |cx, k, lv, rv| match k {
            "tasks" => match (lv.as_array(), rv.as_array()) {
                (Some(a), Some(b)) => {
                    cx.tasks(&loc.key(k), a, b);
                    true
                }
                _ => false,
            },
            // `metadata` is a string holding JSON: equal JSON in another layout is no change.
            "metadata" => match (lv.as_str(), rv.as_str()) {
                (Some(a), Some(b)) => matches!(
                    (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)),
                    (Ok(x), Ok(y)) if x == y
                ),
                _ => false,
            },
            _ => false,
        });
    }

    /// Tasks: matched by name (graph position among equal names), renames recognised by id or
    /// by content, predecessors compared as sets of matched tasks.
    fn tasks(&mut self, loc: &Loc, l: &[Value], r: &[Value]) {
        if self.ignored(loc) {
            return;
        }
        let lg = Graph::new(l);
        let rg = Graph::new(r);
        let l2r = match_tasks(&lg, &rg, l, r);
        let mut r2l = vec![None; r.len()];
        for (i, j) in l2r.iter().enumerate() {
            if let Some(j) = *j {
                r2l[j] = Some(i);
            }
        }
        for j in 0..r.len() {
            let label = rg.label(j);
            match r2l[j] {
                Some(i) => {
                    let rewired = predecessors_differ(&lg, &rg, &l2r, i, j);
                    if rewired || l[i] != r[j] {
                        let tl = loc.elem(&label.0, &label.1, Some(i), Some(j));
                        if self.ignored(&tl) {
                            continue;
                        }
                        if rewired {
                            self.predecessors(&tl.key("predecessors"), &lg, &rg, &l2r, i, j);
                        }
                        if l[i] != r[j] {
                            self.task(&tl, &l[i], &r[j]);
                        }
                    }
                }
                None => {
                    let note = rg.summary(j, &r[j]);
                    self.emit(
                        &loc.elem(&label.0, &label.1, None, Some(j)),
                        ChangeKind::Added,
                        None,
                        Some(&r[j]),
                        Some(note),
                    );
                }
            }
        }
        for (i, m) in l2r.iter().enumerate() {
            if m.is_none() {
                let label = lg.label(i);
                let note = lg.summary(i, &l[i]);
                self.emit(
                    &loc.elem(&label.0, &label.1, Some(i), None),
                    ChangeKind::Removed,
                    Some(&l[i]),
                    None,
                    Some(note),
                );
            }
        }
    }

    /// Reports a rewired task: old and new upstream task names, and a sentence for people.
    fn predecessors(
        &mut self,
        loc: &Loc,
        lg: &Graph<'_>,
        rg: &Graph<'_>,
        l2r: &[Option<usize>],
        i: usize,
        j: usize,
    ) {
        let lk = pred_keys(lg, l2r, i, true);
        let rk = pred_keys(rg, &[], j, false);
        let show = |k: &PredKey<'_>| match k {
            PredKey::Right(t) => rg.display(*t),
            PredKey::LeftOnly(t) => lg.display(*t),
            PredKey::Unknown(id) => format!("<unknown id {id}>"),
        };
        let mut gone: Vec<String> = lk.difference(&rk).map(show).collect();
        let mut came: Vec<String> = rk.difference(&lk).map(show).collect();
        gone.sort();
        came.sort();
        let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
        let note = match (came.is_empty(), gone.is_empty()) {
            (false, false) => format!("now reads from {} instead of {}", list(&came), list(&gone)),
            (false, true) => format!("now also reads from {}", list(&came)),
            _ => format!("no longer reads from {}", list(&gone)),
        };
        let names = |g: &Graph<'_>, t: usize| -> Value {
            g.preds[t]
                .iter()
                .map(|p| match p {
                    Pred::Task(u) => g.display(*u),
                    Pred::Unknown(id) => format!("<unknown id {id}>"),
                })
                .collect::<Vec<_>>()
                .into()
        };
        self.emit(
            loc,
            ChangeKind::Changed,
            Some(&names(lg, i)),
            Some(&names(rg, j)),
            Some(note),
        );
    }

    /// A matched task's own fields (predecessors are compared by [`Cx::predecessors`]; their
    /// raw ids only with `--include-volatile`).
    fn task(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        let include = self.opts.include_volatile;
        self.members(loc, lm, rm, &vol, &mut |cx, k, lv, rv| {
            if k != "predecessors" {
                return false;
            }
            if include {
                cx.value(&loc.key(k), lv, rv);
            }
            true
        });
    }
}

/// An upstream task as both sides can compare it: the matched right task, a left task without a
/// match, or an id no task has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PredKey<'a> {
    Right(usize),
    LeftOnly(usize),
    Unknown(&'a str),
}

/// The upstream tasks of task `t`; on the left (`left`), seen through the matching `l2r`.
fn pred_keys<'a>(
    g: &Graph<'a>,
    l2r: &[Option<usize>],
    t: usize,
    left: bool,
) -> HashSet<PredKey<'a>> {
    g.preds[t]
        .iter()
        .map(|p| match *p {
            Pred::Task(u) if left => l2r[u].map_or(PredKey::LeftOnly(u), PredKey::Right),
            Pred::Task(u) => PredKey::Right(u),
            Pred::Unknown(id) => PredKey::Unknown(id),
        })
        .collect()
}

/// Whether a matched pair of tasks reads from different upstream tasks.
fn predecessors_differ(
    lg: &Graph<'_>,
    rg: &Graph<'_>,
    l2r: &[Option<usize>],
    i: usize,
    j: usize,
) -> bool {
    // Fast path without allocation: one upstream task each (the common pipeline).
    match (lg.preds[i].as_slice(), rg.preds[j].as_slice()) {
        ([], []) => false,
        ([Pred::Task(a)], [Pred::Task(b)]) => l2r[*a] != Some(*b),
        _ => pred_keys(lg, l2r, i, true) != pred_keys(rg, &[], j, false),
    }
}

/// The identity of every element, when all have one and no two share it.
fn identities(a: &[Value], key: fn(&Value) -> Option<&str>) -> Option<Vec<&str>> {
    let ks: Vec<&str> = a.iter().map(key).collect::<Option<_>>()?;
    let unique: HashSet<&str> = ks.iter().copied().collect();
    (unique.len() == ks.len()).then_some(ks)
}

fn version_note(v: &Value) -> Option<String> {
    let n = v.get("tasks").and_then(Value::as_array).map_or(0, Vec::len);
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

/// A hash of a value in which object key order does not count (equal values, equal hashes).
pub fn fingerprint(v: &Value) -> u64 {
    fn h<T: Hash + ?Sized>(tag: u8, t: &T) -> u64 {
        let mut s = std::collections::hash_map::DefaultHasher::new();
        tag.hash(&mut s);
        t.hash(&mut s);
        s.finish()
    }
    match v {
        Value::Null => 0x6e75_6c6c,
        Value::Bool(b) => h(1, b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                h(2, &i)
            } else if let Some(u) = n.as_u64() {
                h(3, &u)
            } else {
                h(4, &n.as_f64().unwrap_or(0.0).to_bits())
            }
        }
        Value::String(s) => h(5, s.as_str()),
        Value::Array(a) => {
            let hs: Vec<u64> = a.iter().map(fingerprint).collect();
            h(6, &hs)
        }
        Value::Object(m) => {
            let sum = m.iter().fold(0u64, |acc, (k, v)| {
                acc.wrapping_add(h(7, &(k.as_str(), fingerprint(v))))
            });
            h(8, &sum)
        }
    }
}

/// An upstream reference of a task.
enum Pred<'a> {
    /// The task at this index of the same version.
    Task(usize),
    /// An id no task of the version has.
    Unknown(&'a str),
}

/// The tasks of one version with their names and resolved predecessors.
struct Graph<'a> {
    names: Vec<&'a str>,
    preds: Vec<Vec<Pred<'a>>>,
    /// How many tasks share each name.
    count: HashMap<&'a str, usize>,
    /// 1-based occurrence of each task among the tasks of its name.
    nth: Vec<usize>,
}

impl<'a> Graph<'a> {
    fn new(tasks: &'a [Value]) -> Graph<'a> {
        let names: Vec<&str> = tasks
            .iter()
            .map(|t| str_field(t, "name").unwrap_or(""))
            .collect();
        let by_id: HashMap<&str, usize> = tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| str_field(t, "id").map(|id| (id, i)))
            .collect();
        let preds = tasks
            .iter()
            .map(|t| {
                t.get("predecessors")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter_map(|p| str_field(p, "id"))
                    .map(|id| match by_id.get(id) {
                        Some(&i) => Pred::Task(i),
                        None => Pred::Unknown(id),
                    })
                    .collect()
            })
            .collect();
        let mut count: HashMap<&str, usize> = HashMap::new();
        let nth = names
            .iter()
            .map(|n| {
                let c = count.entry(n).or_default();
                *c += 1;
                *c
            })
            .collect();
        Graph {
            names,
            preds,
            count,
            nth,
        }
    }

    fn pred_names(&self, i: usize) -> Vec<String> {
        self.preds[i]
            .iter()
            .map(|p| match p {
                Pred::Task(t) => self.display(*t),
                Pred::Unknown(id) => format!("<unknown id {id}>"),
            })
            .collect()
    }

    /// The task's name, with `#N` when several tasks share it.
    fn display(&self, i: usize) -> String {
        let n = self.names[i];
        if self.count.get(n).copied().unwrap_or(0) > 1 {
            format!("{n}#{}", self.nth[i])
        } else {
            n.to_string()
        }
    }

    /// Path label and identity token: `"Name"`, or `"Name"#2` when the name repeats.
    fn label(&self, i: usize) -> (String, String) {
        let n = self.names[i];
        if self.count.get(n).copied().unwrap_or(0) > 1 {
            (
                format!("{}#{}", quote(n), self.nth[i]),
                format!("{n}#{}", self.nth[i]),
            )
        } else {
            (quote(n), n.to_string())
        }
    }

    /// The signature that breaks ties between tasks of the same name: their upstream names.
    fn signature(&self, i: usize) -> Vec<String> {
        let mut s = self.pred_names(i);
        s.sort();
        s
    }

    fn summary(&self, i: usize, t: &Value) -> String {
        let kind = [str_field(t, "nodeType"), str_field(t, "operatorType")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let preds = self.pred_names(i);
        let mut s = if kind.is_empty() {
            "task".to_string()
        } else {
            kind
        };
        if !preds.is_empty() {
            s.push_str(", reads from ");
            s.push_str(
                &preds
                    .iter()
                    .map(|p| quote(p))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        s
    }
}

/// Pairs the tasks of two versions: by name; among equal names by upstream names, then in order;
/// then renames (same id, or same content under another name).
fn match_tasks(lg: &Graph<'_>, rg: &Graph<'_>, l: &[Value], r: &[Value]) -> Vec<Option<usize>> {
    let mut l2r: Vec<Option<usize>> = vec![None; l.len()];
    let mut r_used = vec![false; r.len()];
    let mut r_by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, n) in rg.names.iter().enumerate() {
        r_by_name.entry(n).or_default().push(j);
    }
    let mut l_by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in lg.names.iter().enumerate() {
        l_by_name.entry(n).or_default().push(i);
    }
    // Unique names first, so that signatures of repeated names can see through them.
    for (i, n) in lg.names.iter().enumerate() {
        if let (Some(li), Some(rj)) = (l_by_name.get(n), r_by_name.get(n)) {
            if li.len() == 1 && rj.len() == 1 {
                l2r[i] = Some(rj[0]);
                r_used[rj[0]] = true;
            }
        }
    }
    let mut names: Vec<&str> = l_by_name
        .iter()
        .filter(|(n, li)| li.len() > 1 || r_by_name.get(*n).is_some_and(|rj| rj.len() > 1))
        .map(|(n, _)| *n)
        .collect();
    names.sort();
    for n in names {
        let Some(rj) = r_by_name.get(n) else { continue };
        let li = &l_by_name[n];
        for &i in li {
            let sig = lg.signature(i);
            if let Some(&j) = rj.iter().find(|&&j| !r_used[j] && rg.signature(j) == sig) {
                l2r[i] = Some(j);
                r_used[j] = true;
            }
        }
        for &i in li {
            if l2r[i].is_none() {
                if let Some(&j) = rj.iter().find(|&&j| !r_used[j]) {
                    l2r[i] = Some(j);
                    r_used[j] = true;
                }
            }
        }
    }
    // Renames: the same id (one tenant's history) with the same node type…
    let r_by_id: HashMap<&str, usize> = r
        .iter()
        .enumerate()
        .filter_map(|(j, t)| str_field(t, "id").map(|id| (id, j)))
        .collect();
    for i in 0..l.len() {
        if l2r[i].is_some() {
            continue;
        }
        if let Some(&j) = str_field(&l[i], "id").and_then(|id| r_by_id.get(id)) {
            if !r_used[j] && str_field(&l[i], "nodeType") == str_field(&r[j], "nodeType") {
                l2r[i] = Some(j);
                r_used[j] = true;
            }
        }
    }
    // …or the same content and upstream tasks under another name (another tenant).
    let content = |t: &Value| -> u64 {
        t.as_object().map_or(0, |m| {
            let rest: Map<String, Value> = m
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "name" | "predecessors"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            fingerprint(&Value::Object(rest))
        })
    };
    for i in 0..l.len() {
        if l2r[i].is_some() {
            continue;
        }
        let (ci, si) = (content(&l[i]), lg.signature(i));
        if let Some(j) =
            (0..r.len()).find(|&j| !r_used[j] && content(&r[j]) == ci && rg.signature(j) == si)
        {
            l2r[i] = Some(j);
            r_used[j] = true;
        }
    }
    l2r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(id: &str, name: &str, preds: &[&str], setting: Value) -> Value {
        json!({"id": id, "name": name, "nodeType": "PROCESSOR", "operatorType": "FILTER",
               "predecessors": preds.iter().map(|p| json!({"id": p})).collect::<Vec<_>>(),
               "setting": setting})
    }

    fn meter(tasks: Vec<Value>) -> Value {
        json!({"globalId": "mtr-1", "name": "API Calls", "typeDefinition": {"schemaId": "1"},
               "versions": [{"version": "0.0.1", "tasks": tasks}],
               "schemas": [{"name": "source(97)", "type": 1, "schema": {}}]})
    }

    fn paths(l: &Value, r: &Value) -> Vec<(String, ChangeKind)> {
        diff_meters(l, r, &Options::default())
            .into_iter()
            .map(|c| (c.path, c.kind))
            .collect()
    }

    #[test]
    fn tenant_ids_suffixes_and_order_are_no_change() {
        let a = meter(vec![
            task("a1", "Src", &[], json!({})),
            task("a2", "Filter", &["a1"], json!({"rules": [1]})),
        ]);
        let mut b = meter(vec![
            task("b2", "Filter", &["b1"], json!({"rules": [1]})),
            task("b1", "Src", &[], json!({})),
        ]);
        b["typeDefinition"]["schemaId"] = json!("2");
        b["schemas"][0]["name"] = json!("source(12)");
        assert!(paths(&a, &b).is_empty());
        let all = diff_meters(
            &a,
            &b,
            &Options {
                include_volatile: true,
                ..Options::default()
            },
        );
        assert!(all
            .iter()
            .any(|c| c.path == "typeDefinition.schemaId" && c.kind == ChangeKind::Changed));
        assert!(all
            .iter()
            .any(|c| c.path == r#"versions[0.0.1].tasks["Src"].id"#));
    }

    #[test]
    fn rule_edited_in_place_is_a_field_change() {
        let rule = |v: &str| json!({"sourceField": "Region", "operator": "Equals", "value": v});
        let a = meter(vec![task(
            "a",
            "Filter EU",
            &[],
            json!({"rules": [rule("EU")]}),
        )]);
        let b = meter(vec![task(
            "a",
            "Filter EU",
            &[],
            json!({"rules": [rule("US")]}),
        )]);
        let c = diff_meters(&a, &b, &Options::default());
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].path,
            r#"versions[0.0.1].tasks["Filter EU"].setting.rules[0].value"#
        );
        assert_eq!(
            c[0].pointer_left.as_deref(),
            Some("/versions/0/tasks/0/setting/rules/0/value")
        );
        assert_eq!(
            (c[0].old.clone(), c[0].new.clone()),
            (Some(json!("EU")), Some(json!("US")))
        );
    }

    #[test]
    fn list_insertion_is_one_addition_and_reorder_is_a_move() {
        let a = meter(vec![task("a", "F", &[], json!({"h": ["x", "y", "z"]}))]);
        let b = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"h": ["x", "new", "y", "z"]}),
        )]);
        assert_eq!(
            paths(&a, &b),
            [(
                r#"versions[0.0.1].tasks["F"].setting.h[1]"#.to_string(),
                ChangeKind::Added
            )]
        );
        let obj = |n: i32| json!({"k": n, "a": "same", "b": n * 10});
        let a = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"h": [obj(1), obj(2), obj(3)]}),
        )]);
        let b = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"h": [obj(2), obj(3), obj(1)]}),
        )]);
        let c = diff_meters(&a, &b, &Options::default());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ChangeKind::Moved);
    }

    #[test]
    fn rename_and_rewire() {
        let a = meter(vec![
            task("1", "Src", &[], json!({})),
            task("2", "Filter EU", &["1"], json!({})),
            task("3", "Sink", &["2"], json!({})),
        ]);
        let renamed = meter(vec![
            task("1", "Src", &[], json!({})),
            task("2", "Filter Europe", &["1"], json!({})),
            task("3", "Sink", &["2"], json!({})),
        ]);
        assert_eq!(
            paths(&a, &renamed),
            [(
                r#"versions[0.0.1].tasks["Filter Europe"].name"#.to_string(),
                ChangeKind::Changed
            )]
        );
        let rewired = meter(vec![
            task("1", "Src", &[], json!({})),
            task("2", "Filter EU", &["1"], json!({})),
            task("3", "Sink", &["1"], json!({})),
        ]);
        let c = diff_meters(&a, &rewired, &Options::default());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, r#"versions[0.0.1].tasks["Sink"].predecessors"#);
        assert_eq!(
            c[0].note.as_deref(),
            Some(r#"now reads from "Src" instead of "Filter EU""#)
        );
    }

    #[test]
    fn repeated_names_match_by_graph_position() {
        let a = meter(vec![
            task("1", "Src", &[], json!({})),
            task("2", "Map", &["1"], json!({"x": 1})),
            task("3", "Other", &["1"], json!({})),
            task("4", "Map", &["3"], json!({"x": 2})),
        ]);
        let b = meter(vec![
            task("9", "Map", &["8"], json!({"x": 2})),
            task("7", "Src", &[], json!({})),
            task("8", "Other", &["7"], json!({})),
            task("6", "Map", &["7"], json!({"x": 1})),
        ]);
        assert!(paths(&a, &b).is_empty());
    }

    #[test]
    fn ignore_globs_and_pairing() {
        let a = meter(vec![task("1", "F", &[], json!({"x": 1}))]);
        let b = meter(vec![task("1", "F", &[], json!({"x": 2}))]);
        let opts = Options {
            ignore: vec![PointerGlob::new("/versions/*/tasks/*/setting")],
            ..Options::default()
        };
        assert!(diff_meters(&a, &b, &opts).is_empty());
        let doc = |o: &str, v: Value| Doc {
            origin: o.into(),
            value: v,
        };
        let left = [
            doc("l1", json!({"name": "A"})),
            doc("l2", json!({"name": "B"})),
        ];
        let right = [
            doc("r1", json!({"name": "B"})),
            doc("r2", json!({"name": "C"})),
        ];
        let rep = diff_sides(&left, &right, false, &Options::default()).unwrap();
        let st: Vec<_> = rep
            .meters
            .iter()
            .map(|m| (m.key.as_str(), m.status))
            .collect();
        assert_eq!(
            st,
            [
                ("A", MeterStatus::Removed),
                ("B", MeterStatus::Unchanged),
                ("C", MeterStatus::Added)
            ]
        );
        let dup = [
            doc("r1", json!({"name": "B"})),
            doc("r2", json!({"name": "B"})),
        ];
        assert!(diff_sides(&left, &dup, false, &Options::default()).is_err());
    }

    #[test]
    fn rewiring_between_equal_names_and_ignored_tasks() {
        let a = meter(vec![
            task("1", "Src", &[], json!({})),
            task("2", "Map", &["1"], json!({"x": 1})),
            task("3", "Map", &["2"], json!({"x": 2})),
            task("4", "Sink", &["3"], json!({})),
        ]);
        // Same raw task (ids kept), but id "2" now names the other Map: the sink is rewired.
        let b = meter(vec![
            task("1", "Src", &[], json!({})),
            task("3", "Map", &["1"], json!({"x": 1})),
            task("2", "Map", &["3"], json!({"x": 2})),
            task("4", "Sink", &["3"], json!({})),
        ]);
        let c = diff_meters(&a, &b, &Options::default());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].path, r#"versions[0.0.1].tasks["Sink"].predecessors"#);
        assert_eq!(
            c[0].note.as_deref(),
            Some(r#"now reads from "Map#1" instead of "Map#2""#)
        );
        let opts = Options {
            ignore: vec![PointerGlob::new("/versions/*/tasks/Sink")],
            ..Options::default()
        };
        assert!(diff_meters(&a, &b, &opts).is_empty());
    }

    #[test]
    fn fingerprint_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"a": 1, "b": [1, {"c": 2, "d": 3}]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b": [1, {"d": 3, "c": 2}], "a": 1}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(a, b);
        assert_ne!(fingerprint(&json!([1, 2])), fingerprint(&json!([2, 1])));
    }
}
