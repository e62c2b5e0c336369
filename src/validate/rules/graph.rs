//! The task graph of one version, indexed once and shared by the graph rules: task ids and
//! names (unique), predecessors (resolved to positions), cycles and reachability from the
//! sources. Built by [`Graph::build`] in one pass over the tasks; the rules that use it run in
//! [`super::pipeline`].

use serde_json::{Map, Value};

use crate::model::graph::NodeKind;
use crate::model::keys;

use super::{
    get, str_field, tasks, version_label, versions, zuora, Finding, DUPLICATE_TASK_ID,
    DUPLICATE_TASK_NAME, TASK_CYCLE, UNKNOWN_NODE_TYPE, UNREACHABLE_TASK,
};

/// A task: its index in `tasks`, its object, and the members the rules read.
pub(super) type Task<'a> = (usize, &'a Map<String, Value>, Fields<'a>);

/// The task members the rules read, found in one pass over the task's members.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Fields<'a> {
    pub id: Option<&'a Value>,
    pub name: Option<&'a Value>,
    pub node_type: Option<&'a str>,
    pub operator_type: Option<&'a str>,
    pub metadata: Option<&'a Value>,
    pub predecessors: Option<&'a Value>,
}

impl<'a> Fields<'a> {
    fn of(task: &'a Map<String, Value>) -> Fields<'a> {
        let mut f = Fields::default();
        for (k, v) in task {
            match k.as_str() {
                keys::ID => f.id = Some(v),
                keys::NAME => f.name = Some(v),
                keys::NODE_TYPE => f.node_type = v.as_str(),
                keys::OPERATOR_TYPE => f.operator_type = v.as_str(),
                keys::METADATA => f.metadata = Some(v),
                keys::PREDECESSORS => f.predecessors = Some(v),
                _ => {}
            }
        }
        f
    }

    /// The `(index, id)` of each predecessor that has a string id.
    pub fn predecessor_ids(&self) -> impl Iterator<Item = (usize, &'a str)> {
        self.predecessors
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, p)| {
                p.as_object()
                    .and_then(|p| get(p, keys::ID))
                    .and_then(Value::as_str)
                    .map(|id| (i, id))
            })
    }
}

/// `"Name"` or `tasks[3]`, for messages.
fn task_label(ti: usize, task: &Map<String, Value>) -> String {
    super::TaskLabel(ti, task).to_string()
}

/// One version's tasks with their ids resolved.
pub(super) struct Graph<'a> {
    /// The tasks that are objects, in order.
    pub tasks: Vec<Task<'a>>,
    /// `(id, position in tasks)`, sorted: small, and searched without hashing.
    ids: Vec<(&'a str, usize)>,
    /// `preds[offsets[k]..offsets[k + 1]]`: positions of the tasks task `k` reads from.
    offsets: Vec<usize>,
    preds: Vec<usize>,
}

/// `(value of the member, position)` of every task whose member is a string, sorted, so that
/// equal values are adjacent and the earliest task comes first.
fn sorted<'a>(
    tasks: &[Task<'a>],
    member: impl Fn(&Fields<'a>) -> Option<&'a Value>,
) -> Vec<(&'a str, usize)> {
    let mut v: Vec<(&str, usize)> = tasks
        .iter()
        .enumerate()
        .filter_map(|(k, t)| member(&t.2).and_then(Value::as_str).map(|s| (s, k)))
        .collect();
    v.sort_unstable();
    v
}

/// Calls `f(value, later, first)` for every entry whose value repeats an earlier task's.
fn repeats<'a>(sorted: &[(&'a str, usize)], mut f: impl FnMut(&'a str, usize, usize)) {
    let mut first = 0;
    for i in 1..sorted.len() {
        if sorted[i].0 == sorted[first].0 {
            f(sorted[i].0, sorted[i].1, sorted[first].1);
        } else {
            first = i;
        }
    }
}

impl<'a> Graph<'a> {
    /// Indexes a version's tasks, reporting repeated ids (MC0103) and names (MC0107).
    pub fn build(vi: usize, v: &'a Map<String, Value>, out: &mut Vec<Finding>) -> Graph<'a> {
        let tasks: Vec<Task<'a>> = tasks(v).map(|(ti, t)| (ti, t, Fields::of(t))).collect();
        let ids = sorted(&tasks, |f| f.id);
        repeats(&ids, |id, later, first| {
            out.push(Finding::new(
                DUPLICATE_TASK_ID.code,
                format!("/versions/{vi}/tasks/{}/id", tasks[later].0),
                zuora(
                    format_args!("task id {id:?} is used twice in {} (also tasks[{}]); give this task a unique id", version_label(vi, v), tasks[first].0),
                    format_args!("Duplicate task ID found: {id}"),
                ),
            ));
        });
        repeats(&sorted(&tasks, |f| f.name), |name, later, first| {
            out.push(Finding::new(
                DUPLICATE_TASK_NAME.code,
                format!("/versions/{vi}/tasks/{}/name", tasks[later].0),
                format!("task name {name:?} is used twice in {} (also tasks[{}]); diffs match tasks by name, so rename one", version_label(vi, v), tasks[first].0),
            ));
        });
        let mut graph = Graph {
            offsets: Vec::with_capacity(tasks.len() + 1),
            preds: Vec::with_capacity(tasks.len()),
            tasks,
            ids,
        };
        graph.offsets.push(0);
        for k in 0..graph.tasks.len() {
            for (_, id) in graph.tasks[k].2.predecessor_ids() {
                if let Some(p) = graph.position(id) {
                    graph.preds.push(p);
                }
            }
            graph.offsets.push(graph.preds.len());
        }
        graph
    }

    /// The position of the (first) task with this id.
    fn position(&self, id: &str) -> Option<usize> {
        let i = self.ids.partition_point(|(s, _)| *s < id);
        self.ids.get(i).filter(|(s, _)| *s == id).map(|(_, k)| *k)
    }

    /// Whether a task of this version has this id.
    pub fn has_id(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    fn preds_of(&self, k: usize) -> &[usize] {
        &self.preds[self.offsets[k]..self.offsets[k + 1]]
    }

    /// MC0105: one cycle per version, named task by task.
    pub fn check_cycle(&self, vi: usize, v: &Map<String, Value>, out: &mut Vec<Finding>) {
        let Some(cycle) = find_cycle(self.tasks.len(), |k| self.preds_of(k)) else {
            return;
        };
        let names: Vec<String> = cycle
            .iter()
            .rev()
            .map(|&k| task_label(self.tasks[k].0, self.tasks[k].1))
            .collect();
        let (ti, ..) = self.tasks[cycle[0]];
        out.push(Finding::new(
            TASK_CYCLE.code,
            format!("/versions/{vi}/tasks/{ti}/predecessors"),
            zuora(
                format_args!(
                    "the tasks of {} form a cycle: {} → {}; remove one of these links so data flows from sources to sinks",
                    version_label(vi, v),
                    names.join(" → "),
                    names[0]
                ),
                "Circular dependency detected",
            ),
        ));
    }

    /// MC0145: tasks no SOURCE task leads to. Reported at the first task of each unreachable
    /// part (a task none of whose predecessors is itself unreachable), so one broken link is one
    /// finding, not one per downstream task.
    pub fn check_reachable(&self, vi: usize, is_source: &[bool], out: &mut Vec<Finding>) {
        let n = self.tasks.len();
        // Tasks are usually listed sources first: one forward pass then reaches them all.
        let mut reached = is_source.to_vec();
        for k in 0..n {
            if !reached[k] && self.preds_of(k).iter().any(|&p| reached[p]) {
                reached[k] = true;
            }
        }
        if reached.iter().all(|r| *r) {
            return;
        }
        // Otherwise follow the successors from every reached task.
        let mut succ_offsets = vec![0usize; n + 1];
        for &p in &self.preds {
            succ_offsets[p + 1] += 1;
        }
        for k in 0..n {
            succ_offsets[k + 1] += succ_offsets[k];
        }
        let mut fill = succ_offsets.clone();
        let mut succ = vec![0usize; self.preds.len()];
        for k in 0..n {
            for &p in self.preds_of(k) {
                succ[fill[p]] = k;
                fill[p] += 1;
            }
        }
        let mut stack: Vec<usize> = (0..n).filter(|&k| reached[k]).collect();
        while let Some(k) = stack.pop() {
            for &s in &succ[succ_offsets[k]..succ_offsets[k + 1]] {
                if !reached[s] {
                    reached[s] = true;
                    stack.push(s);
                }
            }
        }
        if reached.iter().all(|r| *r) {
            return;
        }
        let mut heads: Vec<usize> = (0..n)
            .filter(|&k| !reached[k] && self.preds_of(k).iter().all(|&p| reached[p]))
            .collect();
        if heads.is_empty() {
            // Only cycles are unreachable: name the first task of them.
            heads.extend((0..n).find(|&k| !reached[k]));
        }
        let unreachable = reached.iter().filter(|r| !**r).count();
        for k in heads {
            let (ti, t, _) = self.tasks[k];
            let downstream = if unreachable > 1 {
                format!(
                    " (with the tasks after it, {unreachable} tasks of this version get no events)"
                )
            } else {
                String::new()
            };
            out.push(Finding::new(
                UNREACHABLE_TASK.code,
                format!("/versions/{vi}/tasks/{ti}"),
                zuora(
                    format_args!("task {} cannot be reached from any SOURCE task{downstream}; link it to the task that feeds it", task_label(ti, t)),
                    "Pipeline contains unreachable tasks",
                ),
            ));
        }
    }
}

/// Finds one cycle (as a list of nodes, each reading from the next) with an iterative DFS.
fn find_cycle<'e>(n: usize, edges: impl Fn(usize) -> &'e [usize]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        if mark[start] != Mark::New {
            continue;
        }
        stack.clear();
        stack.push((start, 0));
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&succ) = edges(node).get(*next) {
                *next += 1;
                match mark[succ] {
                    Mark::New => {
                        mark[succ] = Mark::Active;
                        stack.push((succ, 0));
                    }
                    Mark::Active => {
                        let from = stack.iter().position(|(n, _)| *n == succ).unwrap_or(0);
                        return Some(stack[from..].iter().map(|(n, _)| *n).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

pub(super) fn unknown_node_type(value: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in versions(value) {
        for (ti, t) in tasks(v) {
            if let Some(kind) = str_field(t, keys::NODE_TYPE) {
                if NodeKind::parse(kind).is_none() {
                    out.push(Finding::new(
                        UNKNOWN_NODE_TYPE.code,
                        format!("/versions/{vi}/tasks/{ti}/nodeType"),
                        format!("nodeType {kind:?} is not SOURCE, PROCESSOR or SINK; check the spelling"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
        find_cycle(edges.len(), |k| &edges[k])
    }

    #[test]
    fn finds_cycles_and_not_dags() {
        assert_eq!(cycle(&[vec![], vec![0], vec![1], vec![1, 2]]), None);
        let c = cycle(&[vec![2], vec![0], vec![1]]).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(cycle(&[vec![0]]), Some(vec![0]));
    }
}
