//! Task identity inside a version: names, graph position and renames.
//!
//! A [`Graph`] holds one side's tasks with their names and resolved predecessors.
//! [`match_tasks`] pairs two sides' tasks by name; among tasks sharing a name by their content
//! and upstream names, then in order; what is left by the same id (a rename in one tenant's
//! history) or the same content and upstream tasks under another name (a rename across
//! tenants). Content is the operator configuration read by the dialect's identities, without
//! layout. Predecessors compare as matched task identities ([`PredKey`]), never as ids; ids and
//! predecessors are resolved by the model ([`TaskGraph`]). The walk's steps for a version's task
//! list ([`Cx::tasks`], a rewired task, a matched task's own fields) live here too.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::metadata::{content_fingerprint, is_filter};
use super::walk::{holds_nothing, quote, Cx, Loc};
use super::{str_field, ChangeKind};
use crate::model::catalogue::TASK_LAYOUT_KEYS;
use crate::model::graph::{self, Pred, TaskGraph};
use crate::model::keys;

/// An upstream task as both sides can compare it: the matched right task, a left task without a
/// match, or an id no task has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum PredKey<'a> {
    Right(usize),
    LeftOnly(usize),
    Unknown(&'a str),
}

/// The upstream tasks of task `t`; on the left (`left`), seen through the matching `l2r`.
pub(super) fn pred_keys<'a>(
    g: &Graph<'a>,
    l2r: &[Option<usize>],
    t: usize,
    left: bool,
) -> HashSet<PredKey<'a>> {
    g.preds(t)
        .iter()
        .map(|p| match *p {
            Pred::Task(u) if left => l2r[u].map_or(PredKey::LeftOnly(u), PredKey::Right),
            Pred::Task(u) => PredKey::Right(u),
            Pred::Unknown(id) => PredKey::Unknown(id),
        })
        .collect()
}

/// Whether a matched pair of tasks reads from different upstream tasks.
pub(super) fn predecessors_differ(
    lg: &Graph<'_>,
    rg: &Graph<'_>,
    l2r: &[Option<usize>],
    i: usize,
    j: usize,
) -> bool {
    // Fast path without allocation: one upstream task each (the common pipeline).
    match (lg.preds(i), rg.preds(j)) {
        ([], []) => false,
        ([Pred::Task(a)], [Pred::Task(b)]) => l2r[*a] != Some(*b),
        _ => pred_keys(lg, l2r, i, true) != pred_keys(rg, &[], j, false),
    }
}

/// The tasks of one version with their names and resolved predecessors.
pub(super) struct Graph<'a> {
    pub(super) names: Vec<&'a str>,
    /// Ids and predecessors, resolved by the model.
    graph: TaskGraph<'a>,
    /// How many tasks share each name.
    pub(super) count: HashMap<&'a str, usize>,
    /// 1-based occurrence of each task among the tasks of its name.
    pub(super) nth: Vec<usize>,
}

impl<'a> Graph<'a> {
    pub(super) fn new(tasks: &'a [Value]) -> Graph<'a> {
        let names: Vec<&str> = tasks
            .iter()
            .map(|t| str_field(t, keys::NAME).unwrap_or(""))
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
            graph: TaskGraph::new(tasks),
            count,
            nth,
        }
    }

    /// The resolved upstream tasks of task `i`.
    pub(super) fn preds(&self, i: usize) -> &[Pred<'a>] {
        self.graph.preds(i)
    }

    pub(super) fn pred_names(&self, i: usize) -> Vec<String> {
        self.preds(i)
            .iter()
            .map(|p| match p {
                Pred::Task(t) => self.display(*t),
                Pred::Unknown(id) => format!("<unknown id {id}>"),
            })
            .collect()
    }

    /// The task's name, with `#N` when several tasks share it.
    pub(super) fn display(&self, i: usize) -> String {
        let n = self.names[i];
        if self.count.get(n).copied().unwrap_or(0) > 1 {
            format!("{n}#{}", self.nth[i])
        } else {
            n.to_string()
        }
    }

    /// Path label and identity token: `"Name"`, or `"Name"#2` when the name repeats.
    pub(super) fn label(&self, i: usize) -> (String, String) {
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
    pub(super) fn signature(&self, i: usize) -> Vec<String> {
        let mut s = self.pred_names(i);
        s.sort();
        s
    }

    pub(super) fn summary(&self, i: usize, t: &Value) -> String {
        let kind = [graph::node_type(t), graph::operator_type(t)]
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

/// Pairs the tasks of two versions: by name; among equal names by content and upstream names,
/// then in order; then renames (same id, or same content under another name).
pub(super) fn match_tasks(
    lg: &Graph<'_>,
    rg: &Graph<'_>,
    l: &[Value],
    r: &[Value],
) -> Vec<Option<usize>> {
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
    // Everything but identity, wiring and layout, to recognise a task whose name or links
    // changed (computed at most once per task, and only for the tasks that need it).
    let cl: Vec<OnceCell<u64>> = l.iter().map(|_| OnceCell::new()).collect();
    let cr: Vec<OnceCell<u64>> = r.iter().map(|_| OnceCell::new()).collect();
    let content_eq = |i: usize, j: usize| {
        cl[i].get_or_init(|| content_fingerprint(&l[i]))
            == cr[j].get_or_init(|| content_fingerprint(&r[j]))
    };
    let mut names: Vec<&str> = l_by_name
        .iter()
        .filter(|(n, li)| li.len() > 1 || r_by_name.get(*n).is_some_and(|rj| rj.len() > 1))
        .map(|(n, _)| *n)
        .collect();
    names.sort();
    for n in names {
        let Some(rj) = r_by_name.get(n) else { continue };
        let li = &l_by_name[n];
        // Among equal names, the best evidence pairs first: same content and same upstream
        // names; then same content (a task inserted upstream rewires it, but it is still the
        // same task); then same upstream names; then what is left, in order.
        let passes: [&dyn Fn(usize, usize) -> bool; 4] = [
            &|i, j| content_eq(i, j) && lg.signature(i) == rg.signature(j),
            &|i, j| content_eq(i, j),
            &|i, j| lg.signature(i) == rg.signature(j),
            &|_, _| true,
        ];
        for fits in passes {
            for &i in li {
                if l2r[i].is_some() {
                    continue;
                }
                if let Some(&j) = rj.iter().find(|&&j| !r_used[j] && fits(i, j)) {
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
        .filter_map(|(j, t)| graph::task_id(t).map(|id| (id, j)))
        .collect();
    for i in 0..l.len() {
        if l2r[i].is_some() {
            continue;
        }
        if let Some(&j) = graph::task_id(&l[i]).and_then(|id| r_by_id.get(id)) {
            if !r_used[j] && graph::node_type(&l[i]) == graph::node_type(&r[j]) {
                l2r[i] = Some(j);
                r_used[j] = true;
            }
        }
    }
    // …or the same content and upstream tasks under another name (another tenant).
    for (i, m) in l2r.iter_mut().enumerate() {
        if m.is_some() {
            continue;
        }
        let si = lg.signature(i);
        if let Some(j) =
            (0..r.len()).find(|&j| !r_used[j] && content_eq(i, j) && rg.signature(j) == si)
        {
            *m = Some(j);
            r_used[j] = true;
        }
    }
    l2r
}

impl Cx<'_> {
    /// Tasks: matched by name (graph position among equal names), renames recognised by id or
    /// by content, predecessors compared as sets of matched tasks.
    pub(super) fn tasks(&mut self, loc: &Loc, l: &[Value], r: &[Value]) {
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
                            self.predecessors(&tl.key(keys::PREDECESSORS), &lg, &rg, &l2r, i, j);
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
            g.preds(t)
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
    /// raw ids, and the layout keys `uniqueName`/`internalName`, only with `--include-volatile`).
    /// `metadata` goes by the dialect's identities; an empty `extraConfig` or `setting` is the
    /// same as none.
    fn task(&mut self, loc: &Loc, l: &Value, r: &Value) {
        if self.ignored(loc) {
            return;
        }
        let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
            return self.value(loc, l, r);
        };
        let vol = self.volatile_skip();
        let include = self.opts.include_volatile;
        let empty: Vec<&str> = ["extraConfig", "setting"]
            .into_iter()
            .filter(|k| holds_nothing(lm, k) && holds_nothing(rm, k))
            .collect();
        let skip = move |k: &str| {
            vol(k) || (!include && TASK_LAYOUT_KEYS.contains(&k)) || empty.contains(&k)
        };
        let filter = is_filter(l) || is_filter(r);
        self.members(loc, lm, rm, &skip, &mut |cx, k, lv, rv| match k {
            keys::PREDECESSORS => {
                if include {
                    cx.value(&loc.key(k), lv, rv);
                }
                true
            }
            keys::METADATA => {
                cx.task_metadata(&loc.key(k), lv, rv, filter);
                true
            }
            _ => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(id: &str, name: &str, preds: &[&str]) -> Value {
        json!({"id": id, "name": name, "nodeType": "PROCESSOR",
               keys::PREDECESSORS: preds.iter().map(|p| json!({"id": p})).collect::<Vec<_>>()})
    }

    #[test]
    fn labels_number_repeated_names() {
        let tasks = [
            t("1", "Src", &[]),
            t("2", "Map", &["1"]),
            t("3", "Map", &["2"]),
        ];
        let g = Graph::new(&tasks);
        assert_eq!(g.label(0), ("\"Src\"".to_string(), "Src".to_string()));
        assert_eq!(g.label(2), ("\"Map\"#2".to_string(), "Map#2".to_string()));
        assert_eq!(g.pred_names(2), ["Map#1"]);
        assert_eq!(g.summary(1, &tasks[1]), "PROCESSOR, reads from \"Src\"");
    }

    #[test]
    fn renames_match_by_id_then_by_content() {
        let l = [t("1", "Src", &[]), t("2", "Old", &["1"])];
        let by_id = [t("1", "Src", &[]), t("2", "New", &["1"])];
        let by_content = [t("9", "Src", &[]), t("8", "New", &["9"])];
        for r in [&by_id, &by_content] {
            let (lg, rg) = (Graph::new(&l), Graph::new(r));
            assert_eq!(match_tasks(&lg, &rg, &l, r), [Some(0), Some(1)]);
        }
        let other = [t("9", "Src", &[]), t("8", "New", &[])];
        let (lg, rg) = (Graph::new(&l), Graph::new(&other));
        assert_eq!(match_tasks(&lg, &rg, &l, &other), [Some(0), None]);
    }

    #[test]
    fn a_same_name_task_inserted_upstream_pairs_by_content() {
        let with = |mut v: Value, q: &str| {
            v["metadata"] = json!({"groupFields": [q]});
            v
        };
        // Src → Rating(a) → Rating(b); then a new Rating(new) is inserted right after Src.
        let l = [
            t("1", "Src", &[]),
            with(t("2", "Rating", &["1"]), "a"),
            with(t("3", "Rating", &["2"]), "b"),
        ];
        let r = [
            t("9", "Src", &[]),
            with(t("7", "Rating", &["9"]), "new"),
            with(t("8", "Rating", &["7"]), "a"),
            with(t("6", "Rating", &["8"]), "b"),
        ];
        let (lg, rg) = (Graph::new(&l), Graph::new(&r));
        assert_eq!(match_tasks(&lg, &rg, &l, &r), [Some(0), Some(2), Some(3)]);
    }
}
