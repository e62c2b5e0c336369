//! Rules about each version's task graph: ids, predecessors, cycles, sources, names, node types.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{
    str_field, tasks, version_label, versions, Finding, DUPLICATE_TASK_ID, DUPLICATE_TASK_NAME,
    MISSING_PREDECESSORS, NO_SOURCE_TASK, TASK_CYCLE, UNKNOWN_NODE_TYPE, UNKNOWN_PREDECESSOR,
};

type Task<'a> = (usize, &'a Map<String, Value>);

fn predecessor_ids(task: &Map<String, Value>) -> impl Iterator<Item = (usize, &str)> {
    task.get("predecessors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| p.get("id").and_then(Value::as_str).map(|id| (i, id)))
}

fn has_predecessors(task: &Map<String, Value>) -> bool {
    task.get("predecessors")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn task_label(ti: usize, task: &Map<String, Value>) -> String {
    match str_field(task, "name") {
        Some(n) => format!("{n:?}"),
        None => format!("tasks[{ti}]"),
    }
}

fn each_version(value: &Value, mut f: impl FnMut(usize, &Map<String, Value>, Vec<Task<'_>>)) {
    for (vi, v) in versions(value) {
        f(vi, v, tasks(v).collect());
    }
}

/// Reports the second and later tasks of a version whose `field` repeats an earlier one's.
fn repeated_task_field(
    value: &Value,
    field: &str,
    out: &mut Vec<Finding>,
    finding: impl Fn(&str, String, usize) -> (&'static str, String),
) {
    each_version(value, |vi, v, tasks| {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (ti, t) in tasks {
            let Some(x) = str_field(t, field) else {
                continue;
            };
            match seen.get(x) {
                Some(&first) => {
                    let (code, message) = finding(x, version_label(vi, v), first);
                    out.push(Finding::new(
                        code,
                        format!("/versions/{vi}/tasks/{ti}/{field}"),
                        message,
                    ));
                }
                None => {
                    seen.insert(x, ti);
                }
            }
        }
    });
}

pub(super) fn duplicate_task_id(value: &Value, out: &mut Vec<Finding>) {
    repeated_task_field(value, "id", out, |id, version, first| {
        (
            DUPLICATE_TASK_ID.code,
            format!("task id {id:?} is used twice in {version} (also tasks[{first}]); give this task a unique id"),
        )
    });
}

pub(super) fn unknown_predecessor(value: &Value, out: &mut Vec<Finding>) {
    each_version(value, |vi, v, tasks| {
        let ids: Vec<&str> = tasks
            .iter()
            .filter_map(|(_, t)| str_field(t, "id"))
            .collect();
        for (ti, t) in &tasks {
            for (pi, id) in predecessor_ids(t) {
                if !ids.contains(&id) {
                    out.push(Finding::new(
                        UNKNOWN_PREDECESSOR.code,
                        format!("/versions/{vi}/tasks/{ti}/predecessors/{pi}/id"),
                        format!(
                            "task {} lists predecessor {id:?}, but no task in {} has that id; use the id of the task that feeds it",
                            task_label(*ti, t),
                            version_label(vi, v)
                        ),
                    ));
                }
            }
        }
    });
}

pub(super) fn task_cycle(value: &Value, out: &mut Vec<Finding>) {
    each_version(value, |vi, v, tasks| {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (k, (_, t)) in tasks.iter().enumerate() {
            if let Some(id) = str_field(t, "id") {
                index.entry(id).or_insert(k);
            }
        }
        // edges[k]: the tasks that task k reads from.
        let edges: Vec<Vec<usize>> = tasks
            .iter()
            .map(|(_, t)| {
                predecessor_ids(t)
                    .filter_map(|(_, id)| index.get(id).copied())
                    .collect()
            })
            .collect();
        if let Some(cycle) = find_cycle(&edges) {
            let names: Vec<String> = cycle
                .iter()
                .rev()
                .map(|&k| task_label(tasks[k].0, tasks[k].1))
                .collect();
            let (ti, _) = tasks[cycle[0]];
            out.push(Finding::new(
                TASK_CYCLE.code,
                format!("/versions/{vi}/tasks/{ti}/predecessors"),
                format!(
                    "the tasks of {} form a cycle: {} → {}; remove one of these links so data flows from sources to sinks",
                    version_label(vi, v),
                    names.join(" → "),
                    names[0]
                ),
            ));
        }
    });
}

/// Finds one cycle (as a list of nodes, each reading from the next) with an iterative DFS.
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; edges.len()];
    for start in 0..edges.len() {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&succ) = edges[node].get(*next) {
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

pub(super) fn no_source_task(value: &Value, out: &mut Vec<Finding>) {
    each_version(value, |vi, v, tasks| {
        if !tasks.is_empty() && tasks.iter().all(|(_, t)| has_predecessors(t)) {
            out.push(Finding::new(
                NO_SOURCE_TASK.code,
                format!("/versions/{vi}/tasks"),
                format!(
                    "every task of {} has predecessors, so nothing feeds the meter; the SOURCE task must have `predecessors: []`",
                    version_label(vi, v)
                ),
            ));
        }
    });
}

pub(super) fn duplicate_task_name(value: &Value, out: &mut Vec<Finding>) {
    repeated_task_field(value, "name", out, |name, version, first| {
        (
            DUPLICATE_TASK_NAME.code,
            format!("task name {name:?} is used twice in {version} (also tasks[{first}]); diffs match tasks by name, so rename one"),
        )
    });
}

pub(super) fn missing_predecessors(value: &Value, out: &mut Vec<Finding>) {
    each_version(value, |vi, _, tasks| {
        for (ti, t) in tasks {
            let kind = str_field(t, "nodeType").unwrap_or("");
            let is_inner =
                kind.eq_ignore_ascii_case("PROCESSOR") || kind.eq_ignore_ascii_case("SINK");
            if is_inner
                && t.get("predecessors")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
            {
                out.push(Finding::new(
                    MISSING_PREDECESSORS.code,
                    format!("/versions/{vi}/tasks/{ti}/predecessors"),
                    format!(
                        "{kind} task {} has no predecessors; link it to the task that feeds it (only SOURCE tasks start a pipeline)",
                        task_label(ti, t)
                    ),
                ));
            }
        }
    });
}

pub(super) fn unknown_node_type(value: &Value, out: &mut Vec<Finding>) {
    each_version(value, |vi, _, tasks| {
        for (ti, t) in tasks {
            if let Some(kind) = str_field(t, "nodeType") {
                if !matches!(kind, "SOURCE" | "PROCESSOR" | "SINK") {
                    out.push(Finding::new(
                        UNKNOWN_NODE_TYPE.code,
                        format!("/versions/{vi}/tasks/{ti}/nodeType"),
                        format!("nodeType {kind:?} is not SOURCE, PROCESSOR or SINK; check the spelling"),
                    ));
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_and_not_dags() {
        assert_eq!(find_cycle(&[vec![], vec![0], vec![1], vec![1, 2]]), None);
        let c = find_cycle(&[vec![2], vec![0], vec![1]]).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(find_cycle(&[vec![0]]), Some(vec![0]));
    }
}
