//! The semantic diff of meter definitions: identity matching → a list of [`Change`]s per meter.
//!
//! Two sides (lists of loaded definitions) are paired into meters by `globalId`, else by `name`.
//! Inside a meter every list with an identity is matched by it, never by position: versions by
//! `version`, tasks by `name` (graph position breaks ties between equal names, and a task whose
//! name alone changed is recognised as a rename), schemas by `name` without a `(N)` suffix,
//! `typeDefinition.fieldMappings` by `name`, and the lists of a task's `metadata` by the
//! identities of Zuora's dialect (`metadata`: `aggregationFields["total"]`, sets of names, filter
//! operators in either spelling). Predecessors compare as the set of upstream tasks (by their
//! matched identity, shown by name), so renumbered ids are no change and a rewired pipeline is
//! one. Lists without an identity (filter rules, headers) are aligned by content (longest common
//! subsequence); an element edited in place shows as the field-level change inside it. Layout
//! (`versions[].metadata`, task `uniqueName`/`internalName`) and volatile fields (ids,
//! timestamps, run statuses, upload URLs, a numeric `typeDefinition.schemaId`, schema name
//! suffixes) are skipped unless [`Options::include_volatile`] is set, and [`Options::ignore`]
//! skips more by JSON Pointer glob. Key order never matters. Nothing here prints:
//! `report::diff` renders.
//!
//! Layout: this module pairs meters and holds the result types; `walk` compares two documents;
//! `metadata` knows the operator configuration's lists; `tasks` matches the tasks of a version
//! and compares them (its `impl Cx` holds the task-list steps of the walk, so `walk` imports
//! neither: walk ← metadata ← tasks);
//! [`side`] reads a side (files, folders, git); [`glob`] compiles `--ignore` globs.

pub mod compare;
pub mod glob;
mod metadata;
pub mod side;
mod tasks;
mod walk;

use std::collections::HashMap;

use serde_json::Value;

use crate::model::identity::MeterKeys;
use crate::model::{graph, keys};

pub use glob::PointerGlob;
pub use walk::fingerprint;
use walk::{Cx, Loc};

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
    /// Readable path: `versions[0.0.2].tasks["Filter EU"].metadata.rules[0].value`.
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
pub struct DiffReport {
    /// One entry per meter.
    pub meters: Vec<MeterDiff>,
}

impl DiffReport {
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

    /// `N meters: C changed, A added, R removed, U unchanged`.
    pub fn tally(&self) -> String {
        let s = self.summary();
        format!(
            "{} meters: {} changed, {} added, {} removed, {} unchanged",
            self.meters.len(),
            s.changed,
            s.added,
            s.removed,
            s.unchanged
        )
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
    /// Also report layout and volatile fields (`versions[].metadata`, `uniqueName`,
    /// `internalName`, ids, timestamps, run statuses, numeric `typeDefinition.schemaId`, schema
    /// suffixes).
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
        let keys = MeterKeys::of(&doc.value);
        Identity {
            origin: doc.origin.clone(),
            global_id: keys.global_id,
            name: keys.name,
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

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl DiffReport {
    /// A report of these meters, sorted by key (then origins).
    pub fn new(mut meters: Vec<MeterDiff>) -> DiffReport {
        meters.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| a.left.cmp(&b.left))
                .then_with(|| a.right.cmp(&b.right))
        });
        DiffReport { meters }
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
    let versions = graph::versions(v);
    let n = versions.len();
    let tasks = versions.last().map_or(0, |v| graph::tasks(v).len());
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
    let mut cx = Cx::new(opts);
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
/// "version diff review". Paths start at the version (`tasks["Filter"].metadata...`).
pub fn diff_versions(
    left: &Doc,
    a: &str,
    right: &Doc,
    b: &str,
    opts: &Options,
) -> Result<MeterDiff, NoSuchVersion> {
    fn find<'a>(d: &'a Doc, version: &str) -> Result<(usize, &'a Value), NoSuchVersion> {
        let versions = graph::versions(&d.value);
        versions
            .iter()
            .enumerate()
            .find(|(_, v)| str_field(v, keys::VERSION) == Some(version))
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
    let mut cx = Cx::new(opts);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keys::PREDECESSORS;

    /// Pairs two lists of documents and compares each pair (what [`compare::compare`] does with
    /// sides read from disk).
    ///
    /// When both sides are exactly one file (`single`), the two are paired whatever their identity,
    /// so a renamed meter in one file shows as a name change.
    fn diff_sides(
        left: &[Doc],
        right: &[Doc],
        single: bool,
        opts: &Options,
    ) -> Result<DiffReport, PairError> {
        use rayon::prelude::*;
        let li: Vec<Identity> = left.iter().map(Identity::of).collect();
        let ri: Vec<Identity> = right.iter().map(Identity::of).collect();
        let pairs = pair(&li, &ri, single)?;
        let meters = pairs
            .par_iter()
            .map(|&(l, r)| diff_pair(l.map(|i| &left[i]), r.map(|i| &right[i]), opts))
            .collect();
        Ok(DiffReport::new(meters))
    }
    use serde_json::json;

    /// A task in Zuora's dialect: the operator's configuration in `metadata`, the UI's letter
    /// code in `uniqueName`.
    fn op_task(id: &str, name: &str, preds: &[&str], op: &str, metadata: Value) -> Value {
        let node = match op {
            "ZUORA_BULK_API" => "SOURCE",
            "ZUORA_USAGE" | "NOOP" => "SINK",
            _ => "PROCESSOR",
        };
        json!({"id": id, "name": name, "uniqueName": id, "internalName": null,
               "nodeType": node, "operatorType": op, "metadata": metadata,
               PREDECESSORS: preds.iter().map(|p| json!({"id": p})).collect::<Vec<_>>()})
    }

    fn task(id: &str, name: &str, preds: &[&str], metadata: Value) -> Value {
        op_task(id, name, preds, "FILTER", metadata)
    }

    fn meter(tasks: Vec<Value>) -> Value {
        json!({"globalId": "mtr-1", "name": "API Calls", "type": "SUM",
               "typeDefinition": {"sourceType": "ZUORA_BULK_API", "schemaId": "1",
                                  "fieldMappings": [], "configs": {"cumulativePeriod": "month"}},
               "versions": [{"version": "0.0.1", "metadata": "{\"positions\": {}}", "tasks": tasks}],
               "schemas": [{"name": "api-request", "type": 1, "schema": {}}]})
    }

    fn paths(l: &Value, r: &Value) -> Vec<(String, ChangeKind)> {
        diff_meters(l, r, &Options::default())
            .into_iter()
            .map(|c| (c.path, c.kind))
            .collect()
    }

    fn volatile() -> Options {
        Options {
            include_volatile: true,
            ..Options::default()
        }
    }

    #[test]
    fn tenant_ids_layout_and_order_are_no_change() {
        let a = meter(vec![
            op_task(
                "a1",
                "Src",
                &[],
                "ZUORA_BULK_API",
                json!({"schemaId": "api-request"}),
            ),
            task("a2", "Filter", &["a1"], json!({"rules": [1]})),
        ]);
        let mut b = meter(vec![
            task("b2", "Filter", &["b1"], json!({"rules": [1]})),
            op_task(
                "b1",
                "Src",
                &[],
                "ZUORA_BULK_API",
                json!({"schemaId": "api-request"}),
            ),
        ]);
        b["typeDefinition"]["schemaId"] = json!(2);
        b["schemas"][0]["name"] = json!("api-request(12)");
        b["versions"][0]["metadata"] =
            json!({"flowDirection": "vertical", "positions": {"b1": {"x": 0, "y": 0}}});
        b["versions"][0]["tasks"][0]["uniqueName"] = json!("b");
        b["versions"][0]["tasks"][0]["internalName"] = json!("filter_1");
        assert!(paths(&a, &b).is_empty());
        let all: Vec<String> = diff_meters(&a, &b, &volatile())
            .into_iter()
            .map(|c| c.path)
            .collect();
        for p in [
            "typeDefinition.schemaId",
            "versions[0.0.1].metadata",
            r#"versions[0.0.1].tasks["Src"].id"#,
            r#"versions[0.0.1].tasks["Filter"].uniqueName"#,
            r#"versions[0.0.1].tasks["Filter"].internalName"#,
            r#"schemas["api-request"].name"#,
        ] {
            assert!(all.iter().any(|a| a == p), "{p} in {all:?}");
        }
    }

    #[test]
    fn schema_ids_are_tenant_specific_only_when_numeric() {
        let a = meter(vec![]);
        let mut b = meter(vec![]);
        b["typeDefinition"]["schemaId"] = json!("STANDARD");
        assert_eq!(
            paths(&a, &b),
            [("typeDefinition.schemaId".to_string(), ChangeKind::Changed)]
        );
        // A task's schemaId is the event definition's name: portable, so compared.
        let src = |s: &str| {
            meter(vec![op_task(
                "1",
                "Src",
                &[],
                "ZUORA_BULK_API",
                json!({"schemaId": s, "schemaName": s}),
            )])
        };
        assert_eq!(
            paths(&src("api-request"), &src("api-request-v2")),
            [
                (
                    r#"versions[0.0.1].tasks["Src"].metadata.schemaId"#.to_string(),
                    ChangeKind::Changed
                ),
                (
                    r#"versions[0.0.1].tasks["Src"].metadata.schemaName"#.to_string(),
                    ChangeKind::Changed
                )
            ]
        );
    }

    #[test]
    fn custom_type_definition_null_or_absent_and_empty_settings_are_the_same() {
        let mut a = json!({"name": "M", "type": "CUSTOM", "typeDefinition": null,
                           "versions": [{"version": "0.0.1", "tasks": [
                               op_task("1", "Src", &[], "ZUORA_BULK_API", json!({}))]}]});
        a["versions"][0]["tasks"][0]["setting"] = json!({});
        a["versions"][0]["tasks"][0]["extraConfig"] = Value::Null;
        let b = json!({"name": "M", "type": "CUSTOM",
                       "versions": [{"version": "0.0.1", "tasks": [
                           op_task("1", "Src", &[], "ZUORA_BULK_API", json!({}))]}]});
        assert!(paths(&a, &b).is_empty());
        a["versions"][0]["tasks"][0]["setting"] = json!({"parallelism": 2});
        assert_eq!(
            paths(&a, &b),
            [(
                r#"versions[0.0.1].tasks["Src"].setting"#.to_string(),
                ChangeKind::Removed
            )]
        );
    }

    #[test]
    fn rule_edited_in_place_is_a_field_change() {
        let rule = |v: &str| json!({"sourceField": "Region", "operator": "equal", "value": v});
        let filter = |v: &str| {
            meter(vec![task(
                "a",
                "Filter EU",
                &[],
                json!({"ruleCombiner": "and", "rules": [rule(v)]}),
            )])
        };
        let c = diff_meters(&filter("EU"), &filter("US"), &Options::default());
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].path,
            r#"versions[0.0.1].tasks["Filter EU"].metadata.rules[0].value"#
        );
        assert_eq!(
            c[0].pointer_left.as_deref(),
            Some("/versions/0/tasks/0/metadata/rules/0/value")
        );
        assert_eq!(
            (c[0].old.clone(), c[0].new.clone()),
            (Some(json!("EU")), Some(json!("US")))
        );
    }

    #[test]
    fn filter_operators_compare_in_either_spelling_and_show_as_written() {
        let filter = |top: &str, nested: &str| {
            meter(vec![task(
                "a",
                "Filter",
                &[],
                json!({"ruleCombiner": "or", "rules": [
                    {"sourceField": "Region", "operator": top, "value": "EU"},
                    {"ruleCombiner": "and", "rules": [
                        {"sourceField": "Calls", "operator": nested, "value": "0"}]}]}),
            )])
        };
        assert!(paths(&filter("Equals", "Greater Than"), &filter("equal", "gt")).is_empty());
        let c = diff_meters(
            &filter("Equals", "Greater Than"),
            &filter("equal", "lt"),
            &Options::default(),
        );
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            c[0].path,
            r#"versions[0.0.1].tasks["Filter"].metadata.rules[1].rules[0].operator"#
        );
        assert_eq!(
            (c[0].old.clone(), c[0].new.clone()),
            (Some(json!("Greater Than")), Some(json!("lt")))
        );
        // Only a FILTER's operators: elsewhere `operator` is whatever it says.
        let other = |o: &str| {
            meter(vec![op_task(
                "a",
                "Map",
                &[],
                "MAP",
                json!({"rules": [{"operator": o}]}),
            )])
        };
        assert_eq!(paths(&other("Equals"), &other("equal")).len(), 1);
    }

    #[test]
    fn metadata_lists_match_by_their_identity() {
        let agg =
            |f: &str, a: &str, t: &str| json!({"field": f, "aggregation": a, "targetField": t});
        let daily = |groups: Value, aggs: Value| {
            meter(vec![op_task(
                "d",
                "Daily",
                &[],
                "AGGREGATOR",
                json!({"triggerType": "EachFile", "groupFields": groups, "aggregationFields": aggs}),
            )])
        };
        let base = daily(
            json!(["AccountNumber", "Region"]),
            json!([agg("Calls", "SUM", "total"), agg("Id", "COUNT", "events")]),
        );
        // Reordered sets and keyed lists: no change.
        let reordered = daily(
            json!(["Region", "AccountNumber"]),
            json!([agg("Id", "COUNT", "events"), agg("Calls", "SUM", "total")]),
        );
        assert!(paths(&base, &reordered).is_empty());
        // An aggregation edited in place (and moved): one change under its targetField.
        let edited = daily(
            json!(["AccountNumber", "Region"]),
            json!([agg("Id", "COUNT", "events"), agg("Calls", "MAX", "total")]),
        );
        let c = diff_meters(&base, &edited, &Options::default());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            c[0].path,
            r#"versions[0.0.1].tasks["Daily"].metadata.aggregationFields["total"].aggregation"#
        );
        assert_eq!(
            c[0].pointer_right.as_deref(),
            Some("/versions/0/tasks/0/metadata/aggregationFields/1/aggregation")
        );
        // One more group field: one addition, labelled by its name.
        let grouped = daily(
            json!(["Tier", "Region", "AccountNumber"]),
            json!([agg("Calls", "SUM", "total"), agg("Id", "COUNT", "events")]),
        );
        let c = diff_meters(&base, &grouped, &Options::default());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            (c[0].path.as_str(), c[0].kind, c[0].pointer_right.as_deref()),
            (
                r#"versions[0.0.1].tasks["Daily"].metadata.groupFields["Tier"]"#,
                ChangeKind::Added,
                Some("/versions/0/tasks/0/metadata/groupFields/0")
            )
        );
        // Two aggregations writing one targetField (invalid, MC0131): aligned by content.
        let twice = daily(
            json!(["AccountNumber", "Region"]),
            json!([agg("Calls", "SUM", "total"), agg("Calls", "MAX", "total")]),
        );
        let c = diff_meters(&base, &twice, &Options::default());
        assert!(!c.is_empty());
        assert!(
            c.iter()
                .all(|c| c.path.contains(".metadata.aggregationFields[1].")),
            "{c:?}"
        );
    }

    #[test]
    fn key_fields_keep_their_order_and_mappings_match_by_name() {
        let sink = |keys: Value, maps: Value| {
            meter(vec![op_task(
                "s",
                "Usage",
                &[],
                "ZUORA_USAGE",
                json!({"keyFields": keys, "fieldMappings": maps,
                       "appendFields": [{"referenceField": "Tier", "eventField": "tier"}]}),
            )])
        };
        let m = |n: &str, f: &str| json!({"name": n, "field": f});
        let base = sink(
            json!(["A", "B"]),
            json!([m("accountNumber", "Acct"), m("quantity", "Qty")]),
        );
        let swapped = sink(
            json!(["B", "A"]),
            json!([m("quantity", "Qty"), m("accountNumber", "Account")]),
        );
        let c = paths(&base, &swapped);
        assert_eq!(
            c,
            [
                (
                    r#"versions[0.0.1].tasks["Usage"].metadata.keyFields[0]"#.to_string(),
                    ChangeKind::Moved
                ),
                (
                    r#"versions[0.0.1].tasks["Usage"].metadata.fieldMappings["accountNumber"].field"#
                        .to_string(),
                    ChangeKind::Changed
                )
            ]
        );
    }

    #[test]
    fn list_insertion_is_one_addition_and_reorder_is_a_move() {
        let rule = |v: &str| json!({"sourceField": "Region", "operator": "equal", "value": v});
        let a = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"rules": [rule("x"), rule("y"), rule("z")]}),
        )]);
        let b = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"rules": [rule("x"), json!({"sourceField": "Tier", "operator": "notBlank"}), rule("y"), rule("z")]}),
        )]);
        assert_eq!(
            paths(&a, &b),
            [(
                r#"versions[0.0.1].tasks["F"].metadata.rules[1]"#.to_string(),
                ChangeKind::Added
            )]
        );
        let a = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"rules": [rule("1"), rule("2"), rule("3")]}),
        )]);
        let b = meter(vec![task(
            "a",
            "F",
            &[],
            json!({"rules": [rule("2"), rule("3"), rule("1")]}),
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
            task("2", "Map", &["1"], json!({"ruleCombiner": "and"})),
            task("3", "Other", &["1"], json!({})),
            task("4", "Map", &["3"], json!({"ruleCombiner": "or"})),
        ]);
        let b = meter(vec![
            task("9", "Map", &["8"], json!({"ruleCombiner": "or"})),
            task("7", "Src", &[], json!({})),
            task("8", "Other", &["7"], json!({})),
            task("6", "Map", &["7"], json!({"ruleCombiner": "and"})),
        ]);
        assert!(paths(&a, &b).is_empty());
    }

    #[test]
    fn ignore_globs_and_pairing() {
        let a = meter(vec![task("1", "F", &[], json!({"ruleCombiner": "and"}))]);
        let b = meter(vec![task("1", "F", &[], json!({"ruleCombiner": "or"}))]);
        let opts = Options {
            ignore: vec![PointerGlob::new("/versions/*/tasks/*/metadata")],
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
            task("2", "Map", &["1"], json!({"ruleCombiner": "and"})),
            task("3", "Map", &["2"], json!({"ruleCombiner": "or"})),
            task("4", "Sink", &["3"], json!({})),
        ]);
        // Same raw task (ids kept), but id "2" now names the other Map: the sink is rewired.
        let b = meter(vec![
            task("1", "Src", &[], json!({})),
            task("3", "Map", &["1"], json!({"ruleCombiner": "and"})),
            task("2", "Map", &["3"], json!({"ruleCombiner": "or"})),
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
    fn added_and_removed_members_point_into_one_side_only() {
        let a = json!({"name": "M", "description": "d"});
        let b = json!({"name": "M", "type": "CUSTOM"});
        let c = diff_meters(&a, &b, &Options::default());
        assert_eq!(c.len(), 2);
        assert_eq!(
            (
                c[0].kind,
                c[0].pointer_left.as_deref(),
                c[0].pointer_right.as_deref()
            ),
            (ChangeKind::Removed, Some("/description"), None)
        );
        assert_eq!(
            (
                c[1].kind,
                c[1].pointer_left.as_deref(),
                c[1].pointer_right.as_deref()
            ),
            (ChangeKind::Added, None, Some("/type"))
        );
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
