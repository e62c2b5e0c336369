//! A version's task graph, read once and one way: a borrowed view over the `tasks` of a parsed
//! definition (no copies), with tasks by id, predecessors resolved to positions, successors, each
//! task's node kind, and a topological order (which finds cycles).
//!
//! Everything that walks a meter's pipeline (validate's graph rules, diff's task matching, the
//! sandbox's checks and runs, `meter run`'s choice of upload source) reads tasks, node types and
//! predecessors through here, so "is this a SOURCE task?" has one answer: [`is_source`].

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::keys;

/// `nodeType`: where a task sits in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Where events enter.
    Source,
    /// Between a source and a sink.
    Processor,
    /// Where events leave.
    Sink,
}

impl NodeKind {
    /// Zuora's spelling (upper case); any other spelling is no node kind.
    pub fn parse(s: &str) -> Option<NodeKind> {
        match s {
            "SOURCE" => Some(NodeKind::Source),
            "PROCESSOR" => Some(NodeKind::Processor),
            "SINK" => Some(NodeKind::Sink),
            _ => None,
        }
    }

    /// The declared kind of a task (`nodeType` in Zuora's spelling).
    pub fn of(task: &Value) -> Option<NodeKind> {
        node_type(task).and_then(NodeKind::parse)
    }
}

/// A string member of an object.
fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `v[key]` when `v` is an object that has it ([`field`]).
pub fn member<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    field(v.as_object()?, key)
}

/// `o[key]`, found by scanning the members of a small object: cheaper than hashing the key, and
/// the objects of a definition (tasks, metadata, mappings) have a handful of members.
pub fn field<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if o.len() <= 16 {
        o.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        o.get(key)
    }
}

/// A meter's versions (empty when absent or not a list).
pub fn versions(meter: &Value) -> &[Value] {
    meter
        .get(keys::VERSIONS)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The version of a meter with this version string.
pub fn version<'a>(meter: &'a Value, version: &str) -> Option<&'a Value> {
    versions(meter)
        .iter()
        .find(|v| str_of(v, keys::VERSION) == Some(version))
}

/// The version a run means: `wanted`, else the meter's `latestVersion`, else its last version.
/// `Err(Some(v))`: the meter has no version `v`; `Err(None)`: it has no versions at all.
pub fn chosen_version<'a>(
    meter: &'a Value,
    wanted: Option<&str>,
) -> Result<&'a Value, Option<String>> {
    let wanted = wanted.or_else(|| meter.get(keys::LATEST_VERSION).and_then(Value::as_str));
    match wanted {
        Some(v) => version(meter, v).ok_or_else(|| Some(v.to_string())),
        None => versions(meter).last().ok_or(None),
    }
}

/// A version's tasks (empty when absent or not a list).
pub fn tasks(version: &Value) -> &[Value] {
    version
        .get(keys::TASKS)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A task's `id`, when a string.
pub fn task_id(task: &Value) -> Option<&str> {
    str_of(task, keys::ID)
}

/// A task's `nodeType`, when a string (as written).
pub fn node_type(task: &Value) -> Option<&str> {
    str_of(task, keys::NODE_TYPE)
}

/// A task's `operatorType`, when a string.
pub fn operator_type(task: &Value) -> Option<&str> {
    str_of(task, keys::OPERATOR_TYPE)
}

/// A task's `predecessors` member as written (any JSON value), when present.
pub fn predecessors(task: &Value) -> Option<&Value> {
    task.get(keys::PREDECESSORS)
}

/// The predecessor references of a task (empty when absent or not a list).
pub fn predecessor_list(task: &Value) -> &[Value] {
    predecessors(task)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The ids of a task's predecessors that are strings, in order.
pub fn predecessor_ids(task: &Value) -> impl Iterator<Item = &str> {
    predecessor_list(task).iter().filter_map(task_id)
}

/// Whether a task's `nodeType` says SOURCE (in any case).
pub fn declares_source(task: &Value) -> bool {
    node_type(task).is_some_and(|n| n.eq_ignore_ascii_case("SOURCE"))
}

/// Whether a task is a SOURCE: its `nodeType` says so ([`declares_source`]), or it has no
/// `nodeType` and an empty `predecessors` list.
pub fn is_source(task: &Value) -> bool {
    match task.get(keys::NODE_TYPE) {
        Some(Value::String(_)) => declares_source(task),
        None | Some(Value::Null) => predecessors(task)
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty),
        Some(_) => false,
    }
}

/// The event definition (`schemas[].schema`) a version reads: the one its first SOURCE task
/// names by `metadata.schemaName` or `metadata.schemaId` (a trailing ` (…)` on either side is
/// ignored), else the meter's first. This is the one answer to "which event definition types this
/// version's input?" (CSV typing in `simulate`, `test`, `meter test` and the sandbox).
pub fn event_schema<'a>(meter: &'a Value, version: Option<&Value>) -> Option<&'a Value> {
    let schemas = meter.get(keys::SCHEMAS)?.as_array()?;
    let named = version
        .map_or(&[][..], tasks)
        .iter()
        .filter(|t| is_source(t))
        .flat_map(|t| {
            let meta = t.get(keys::METADATA);
            [keys::SCHEMA_NAME, keys::SCHEMA_ID].map(|k| meta.and_then(|m| m.get(k)))
        })
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|name| event_definition_named(schemas, name));
    named.or_else(|| schemas.first())?.get(keys::SCHEMA)
}

/// The event definition's schema (`schemas[].schema`) that a task's `schemaName` or `schemaId`
/// names: names compare with a trailing ` (…)` ignored on either side, as [`event_schema`] reads
/// them.
pub fn event_schema_named<'a>(meter: &'a Value, name: &str) -> Option<&'a Value> {
    let schemas = meter.get(keys::SCHEMAS)?.as_array()?;
    event_definition_named(schemas, name)?.get(keys::SCHEMA)
}

/// The entry of `schemas` whose name is `name`, a trailing ` (…)` ignored on either side.
fn event_definition_named<'a>(schemas: &'a [Value], name: &str) -> Option<&'a Value> {
    fn bare(n: &str) -> &str {
        match n.rfind('(') {
            Some(i) if n.ends_with(')') => n[..i].trim_end(),
            _ => n,
        }
    }
    let wanted = bare(name);
    schemas.iter().find(|s| {
        s.get(keys::NAME)
            .and_then(Value::as_str)
            .is_some_and(|n| bare(n) == wanted)
    })
}

/// An upstream reference of a task, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pred<'a> {
    /// The task at this position of the same version.
    Task(usize),
    /// An id no task of the version has.
    Unknown(&'a str),
}

/// One version's tasks, borrowed, with ids and predecessors resolved.
#[derive(Debug)]
pub struct TaskGraph<'a> {
    tasks: &'a [Value],
    by_id: HashMap<&'a str, usize>,
    preds: Vec<Vec<Pred<'a>>>,
}

impl<'a> TaskGraph<'a> {
    /// Indexes a version's tasks (a task id used twice resolves to its last task).
    pub fn new(tasks: &'a [Value]) -> TaskGraph<'a> {
        let by_id: HashMap<&str, usize> = tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| task_id(t).map(|id| (id, i)))
            .collect();
        let preds = tasks
            .iter()
            .map(|t| {
                predecessor_ids(t)
                    .map(|id| by_id.get(id).map_or(Pred::Unknown(id), |&i| Pred::Task(i)))
                    .collect()
            })
            .collect();
        TaskGraph {
            tasks,
            by_id,
            preds,
        }
    }

    /// The graph of a version object.
    pub fn of_version(version: &'a Value) -> TaskGraph<'a> {
        TaskGraph::new(tasks(version))
    }

    /// The tasks, in order.
    pub fn tasks(&self) -> &'a [Value] {
        self.tasks
    }

    /// How many tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the version has no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The position of the task with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The task with this id.
    pub fn by_id(&self, id: &str) -> Option<&'a Value> {
        self.position(id).map(|i| &self.tasks[i])
    }

    /// The resolved predecessors of task `i`.
    pub fn preds(&self, i: usize) -> &[Pred<'a>] {
        &self.preds[i]
    }

    /// The tasks that read from task `i`, in order.
    pub fn successors(&self, i: usize) -> Vec<usize> {
        (0..self.tasks.len())
            .filter(|&j| self.preds[j].contains(&Pred::Task(i)))
            .collect()
    }

    /// The declared kind of task `i`.
    pub fn kind(&self, i: usize) -> Option<NodeKind> {
        NodeKind::of(&self.tasks[i])
    }

    /// Whether task `i` is a SOURCE ([`is_source`]).
    pub fn is_source(&self, i: usize) -> bool {
        is_source(&self.tasks[i])
    }

    /// The tasks upstream first (unknown predecessors ignored); `Err` with the tasks that are
    /// on a cycle or downstream of one when the graph has a cycle.
    pub fn topological_order(&self) -> Result<Vec<usize>, Vec<usize>> {
        let order = self.upstream_first();
        if order.len() == self.tasks.len() {
            return Ok(order);
        }
        let mut ordered = vec![false; self.tasks.len()];
        for &i in &order {
            ordered[i] = true;
        }
        Err((0..self.tasks.len()).filter(|&i| !ordered[i]).collect())
    }

    /// The tasks each after its predecessors (Kahn's algorithm; unknown predecessors ignored),
    /// leaving out the tasks on a cycle or downstream of one.
    pub fn upstream_first(&self) -> Vec<usize> {
        let n = self.tasks.len();
        let mut indegree: Vec<usize> = self
            .preds
            .iter()
            .map(|ps| ps.iter().filter(|p| matches!(p, Pred::Task(_))).count())
            .collect();
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, ps) in self.preds.iter().enumerate() {
            for p in ps {
                if let Pred::Task(i) = *p {
                    succ[i].push(j);
                }
            }
        }
        let mut order: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut at = 0;
        while at < order.len() {
            for &j in &succ[order[at]] {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    order.push(j);
                }
            }
            at += 1;
        }
        order
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn chosen_version_is_the_wanted_then_latest_then_last() {
        let m = serde_json::json!({"latestVersion": "0.0.1",
            "versions": [{"version": "0.0.1"}, {"version": "0.0.2"}]});
        assert_eq!(chosen_version(&m, None).unwrap()["version"], "0.0.1");
        assert_eq!(
            chosen_version(&m, Some("0.0.2")).unwrap()["version"],
            "0.0.2"
        );
        assert_eq!(chosen_version(&m, Some("9")), Err(Some("9".into())));
        let bare = serde_json::json!({"versions": [{"version": "0.0.1"}, {"version": "0.0.2"}]});
        assert_eq!(chosen_version(&bare, None).unwrap()["version"], "0.0.2");
        assert_eq!(chosen_version(&serde_json::json!({}), None), Err(None));
    }

    use super::*;
    use serde_json::json;

    fn task(id: &str, node: Value, preds: Value) -> Value {
        json!({"id": id, "nodeType": node, "predecessors": preds})
    }

    #[test]
    fn resolves_predecessors_successors_and_order() {
        let tasks = [
            task("k", json!("SINK"), json!([{"id": "p"}])),
            task("p", json!("PROCESSOR"), json!([{"id": "s"}, {"id": "zz"}])),
            task("s", json!("SOURCE"), json!([])),
        ];
        let g = TaskGraph::new(&tasks);
        assert_eq!(g.preds(1), [Pred::Task(2), Pred::Unknown("zz")]);
        assert_eq!(g.successors(2), [1]);
        assert_eq!(g.by_id("p").map(task_id), Some(Some("p")));
        assert_eq!((g.position("zz"), g.position("")), (None, None));
        // An id used twice resolves to its last task.
        let twice = [
            task("a", json!("SOURCE"), json!([])),
            task("a", json!("SINK"), json!([])),
        ];
        assert_eq!(TaskGraph::new(&twice).position("a"), Some(1));
        assert_eq!(g.kind(0), Some(NodeKind::Sink));
        assert_eq!(g.topological_order(), Ok(vec![2, 1, 0]));
    }

    #[test]
    fn finds_cycles() {
        let tasks = [
            task("s", json!("SOURCE"), json!([])),
            task("a", json!("PROCESSOR"), json!([{"id": "b"}, {"id": "s"}])),
            task("b", json!("PROCESSOR"), json!([{"id": "a"}])),
            task("c", json!("SINK"), json!([{"id": "b"}])),
        ];
        assert_eq!(
            TaskGraph::new(&tasks).topological_order(),
            Err(vec![1, 2, 3])
        );
    }

    #[test]
    fn a_source_is_decided_one_way() {
        assert!(is_source(&task("s", json!("SOURCE"), json!([]))));
        assert!(is_source(&task("s", json!("source"), json!(null))));
        assert!(is_source(&task("s", json!(null), json!([]))));
        assert!(is_source(&json!({"predecessors": []})));
        assert!(!is_source(&json!({"id": "s"})));
        assert!(!is_source(&task("p", json!("PROCESSOR"), json!([]))));
        assert!(!is_source(&task("p", json!(null), json!([{"id": "s"}]))));
        assert!(!declares_source(&task("s", json!(null), json!([]))));
        assert!(declares_source(&task(
            "s",
            json!("Source"),
            json!([{"id": "x"}])
        )));
    }

    #[test]
    fn versions_and_tasks_of_odd_shapes_are_empty() {
        let m = json!({"versions": [{"version": "1", "tasks": 5}]});
        assert_eq!(versions(&m).len(), 1);
        assert!(tasks(version(&m, "1").unwrap()).is_empty());
        assert!(version(&m, "2").is_none() && versions(&json!([])).is_empty());
        assert_eq!(NodeKind::parse("Source"), None);
    }
}
