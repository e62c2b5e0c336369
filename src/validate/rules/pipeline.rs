//! Zuora's pipeline rules, checked in one pass over each version's tasks: task ids and names
//! present, node types with their predecessors (a SOURCE has none, a PROCESSOR or SINK has
//! some, each resolves), operatorType valid for its nodeType, at most one Streaming API source,
//! a SOURCE and a SINK in every CUSTOM version, no cycle, every task reachable. The same pass
//! runs each task's operator, field-mapping and reference rules.

use serde_json::{Map, Value};

use super::graph::Graph;
use super::meter::Meter;
use super::{
    mappings, operators, references, version_label, zuora, Finding, TaskRef, MISSING_PREDECESSORS,
    MISSING_TASK_ID, MISSING_TASK_NAME, NO_SINK_TASK, NO_SOURCE_TASK,
    OPERATOR_NOT_VALID_FOR_NODE_TYPE, SEVERAL_STREAMING_SOURCES, SOURCE_WITH_PREDECESSORS,
    UNKNOWN_PREDECESSOR,
};
use crate::model::catalogue;
use crate::model::graph::NodeKind;
use crate::model::keys;

pub(super) fn check_version(
    meter: &Meter<'_>,
    vi: usize,
    v: &Map<String, Value>,
    out: &mut Vec<Finding>,
) {
    let Some(list) = v.get(keys::TASKS).and_then(Value::as_array) else {
        return;
    };
    let graph = Graph::build(vi, v, out);
    let mut is_source = vec![false; graph.tasks.len()];
    let (mut sources, mut sinks) = (0, 0);
    let mut streaming: Option<usize> = None;
    for (k, &(ti, t, f)) in graph.tasks.iter().enumerate() {
        let task = TaskRef {
            vi,
            ti,
            task: t,
            metadata: f.metadata.and_then(Value::as_object),
        };
        ids(&task, f.id, f.name, out);
        let node = f.node_type;
        let op = f.operator_type;
        match node.and_then(NodeKind::parse) {
            Some(NodeKind::Source) => {
                sources += 1;
                is_source[k] = true;
                if let Some(p) = f.predecessors.and_then(Value::as_array) {
                    if !p.is_empty() {
                        out.push(Finding::new(
                            SOURCE_WITH_PREDECESSORS.code,
                            task.at("/predecessors"),
                            zuora(
                                format_args!("SOURCE task {} lists predecessors, but a source reads from outside the meter; write `predecessors: []` or make it a PROCESSOR", task.label()),
                                "SOURCE task cannot have predecessors",
                            ),
                        ));
                    }
                }
                if op == Some("ZUORA_BULK_API") {
                    match streaming {
                        Some(first) => out.push(Finding::new(
                            SEVERAL_STREAMING_SOURCES.code,
                            task.at("/operatorType"),
                            zuora(
                                format_args!("{} has a second Streaming API source {} (also tasks[{first}]); a meter has one streaming endpoint, so keep one ZUORA_BULK_API source", version_label(vi, v), task.label()),
                                "Only one ZUORA_BULK_API source allowed per meter",
                            ),
                        )),
                        None => streaming = Some(ti),
                    }
                }
            }
            Some(node_kind @ (NodeKind::Processor | NodeKind::Sink)) => {
                let kind = node.unwrap_or_default();
                if node_kind == NodeKind::Sink {
                    sinks += 1;
                }
                let none = match f.predecessors {
                    Some(Value::Array(p)) => p.is_empty(),
                    Some(Value::Null) | None => true,
                    Some(_) => false, // the schema reports the wrong type
                };
                if none {
                    out.push(Finding::new(
                        MISSING_PREDECESSORS.code,
                        if f.predecessors.is_some() { task.at("/predecessors") } else { task.at("") },
                        zuora(
                            format_args!("{kind} task {} has no predecessors; link it to the task that feeds it (only SOURCE tasks start a pipeline)", task.label()),
                            format_args!("{kind} task requires predecessors"),
                        ),
                    ));
                }
            }
            _ => {}
        }
        if let (Some(node), Some(op)) = (node, op) {
            if catalogue::is_node_type(node)
                && catalogue::operator(node, op).is_none()
                && catalogue::is_operator_type(op)
            {
                let valid: Vec<&str> = catalogue::node_types_of(op).collect();
                out.push(Finding::new(
                    OPERATOR_NOT_VALID_FOR_NODE_TYPE.code,
                    task.at("/operatorType"),
                    zuora(
                        format_args!("task {} is a {node}, but {op} is a {} operator; fix the nodeType or the operatorType", task.label(), valid.join(" or ")),
                        format_args!("{op} is not a valid {node} operator"),
                    ),
                ));
            }
        }
        for (pi, id) in f.predecessor_ids() {
            if !graph.has_id(id) {
                out.push(Finding::new(
                    UNKNOWN_PREDECESSOR.code,
                    task.at(format_args!("/predecessors/{pi}/id")),
                    zuora(
                        format_args!("task {} lists predecessor {id:?}, but no task in {} has that id; use the id of the task that feeds it", task.label(), version_label(vi, v)),
                        format_args!("Predecessor task not found: {id}"),
                    ),
                ));
            }
        }
        operators::check(&task, op, out);
        mappings::check(&task, op, out);
        references::check(&task, meter, out);
    }
    if meter.custom {
        for (count, rule, kind, hint) in [
            (sources, &NO_SOURCE_TASK, "SOURCE", "add the task that reads the events (Streaming API, file upload, S3, ...), or fix the nodeType of the one that does"),
            (sinks, &NO_SINK_TASK, "SINK", "add the task that writes the results (Usage Records, Event Store, or NOOP to discard them)"),
        ] {
            if count == 0 {
                out.push(Finding::new(
                    rule.code,
                    format!("/versions/{vi}/tasks"),
                    zuora(
                        format_args!("{} has no task with nodeType {kind}; {hint}", version_label(vi, v)),
                        format_args!("No {kind} task found"),
                    ),
                ));
            }
        }
    }
    graph.check_cycle(vi, v, out);
    if sources > 0 && !list.is_empty() {
        graph.check_reachable(vi, &is_source, out);
    }
}

/// MC0142, MC0143: a task has an id and a name.
fn ids(task: &TaskRef<'_>, id: Option<&Value>, name: Option<&Value>, out: &mut Vec<Finding>) {
    for (key, value, rule, zuora_message) in [
        ("id", id, &MISSING_TASK_ID, "Task id is required"),
        ("name", name, &MISSING_TASK_NAME, "Task name is required"),
    ] {
        let pointer = match value {
            Some(Value::String(s)) if !s.trim().is_empty() => continue,
            Some(Value::String(_)) | Some(Value::Null) => task.at(format_args!("/{key}")),
            None => task.at(""),
            Some(_) => continue, // the schema reports the wrong type
        };
        out.push(Finding::new(
            rule.code,
            pointer,
            zuora(
                format_args!(
                    "tasks[{}] of versions[{}] has no {key}; give every task a{} {key}",
                    task.ti,
                    task.vi,
                    if key == "id" { " unique" } else { "" }
                ),
                zuora_message,
            ),
        ));
    }
}
