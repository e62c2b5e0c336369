//! The pipeline engine: runs one version's task graph over lists of events (JSON objects) in
//! predecessor order and returns what each sink receives plus, per operator, how many events it
//! received, emitted and rejected. Fan-out copies a task's output to every successor; fan-in
//! concatenates the predecessors' outputs (in predecessor order). Input comes as batches, one per
//! input file, so an `EachFile` aggregator can close a window at the end of each file.
//!
//! This step simulates FILTER, MAP (direct and JavaScript transform rows), SCRIPT_MAP and
//! SCRIPT_FILTER in JavaScript (QuickJS, with a time and a memory limit: `js.rs`), AGGREGATOR,
//! ACCUMULATOR, DEDUPLICATE, PARTITION, the lookups (answered from [`Context::lookups`], see
//! `lookup`), the recording sinks and ZUORA_USAGE; anything else (PYTHON scripts, CORRELATOR,
//! …) is a [`SimError::NotSimulated`] naming the task, never a silent pass-through. The README's
//! "Simulation semantics" table lists the readings chosen where Zuora's documentation is silent.

mod accumulate;
mod aggregate;
mod dates;
mod filter;
mod js;
mod lookup;
mod map;
mod script;
mod usage;

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::graph::{self, NodeKind, Pred, TaskGraph};
use crate::model::keys;

/// Events in flight: one list per input file (batch).
pub type Batches = Vec<Vec<Value>>;

/// How many error messages an operator keeps (the count is always exact).
const MAX_MESSAGES: usize = 10;

/// The fewest events a stateless step (FILTER, MAP) hands one thread at a time: below it a chunk
/// is not worth splitting.
const PAR_MIN: usize = 512;

/// What one sink received.
#[derive(Debug, Clone, Serialize)]
pub struct SinkOutput {
    /// The task's id.
    pub task: String,
    /// The task's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The sink's `operatorType`.
    pub operator: String,
    /// The records it would store (usage records for ZUORA_USAGE; nothing for NOOP).
    pub records: Vec<Value>,
    /// Records it would reject (a usage record missing a required field), with the reason.
    pub errors: Vec<ErrorRecord>,
}

/// A record an operator rejects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorRecord {
    /// The event (or the partial record) as it reached the operator.
    pub record: Value,
    /// Why it was rejected.
    pub error: String,
}

/// One operator's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OperatorCount {
    /// The task's id.
    pub task: String,
    /// The task's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The task's `operatorType`.
    pub operator: String,
    /// Events received.
    pub input: u64,
    /// Events (or records) emitted.
    pub output: u64,
    /// Events rejected as errors.
    pub errors: u64,
    /// The first error messages (at most ten).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

impl OperatorCount {
    /// Counts one rejected event.
    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(message);
        }
    }
}

/// The result of a run: sinks and operators in task order.
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    /// What each sink received.
    pub sinks: Vec<SinkOutput>,
    /// Counts per task (sources, processors and sinks).
    pub operators: Vec<OperatorCount>,
}

/// Why a version cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// An operator or a feature of one this step does not simulate.
    NotSimulated {
        /// The task's id (or name).
        task: String,
        /// The task's `operatorType`.
        operator: String,
        /// What is not simulated.
        what: String,
    },
    /// A task's configuration the simulator cannot read.
    Config {
        /// The task's id (or name).
        task: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The graph itself: a cycle, an unknown predecessor, no source.
    Graph(String),
    /// A task's JavaScript hit a limit (time, memory): `script in task X exceeded its 1 s time
    /// limit`.
    Script {
        /// The task's id (or name).
        task: String,
        /// What happened, after "script in task X".
        message: String,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NotSimulated {
                task,
                operator,
                what,
            } => write!(f, "not simulated yet: {what} in task {task} ({operator})"),
            SimError::Config { task, message } => write!(f, "task {task}: {message}"),
            SimError::Graph(message) => f.write_str(message),
            SimError::Script { task, message } => write!(f, "script in task {task} {message}"),
        }
    }
}

impl std::error::Error for SimError {}

/// What a task is called in messages: its name and id (`"Keep delivered" (3aa5…)`), or the id.
fn label(task: &Value) -> String {
    let id = graph::task_id(task).unwrap_or("?");
    match task.get(keys::NAME).and_then(Value::as_str) {
        Some(name) if !name.is_empty() => format!("\"{name}\" ({id})"),
        _ => id.to_string(),
    }
}

/// A task's `metadata` object (empty when absent).
fn metadata(task: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    task.get(keys::METADATA)
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// A string list in metadata (absent → empty; non-strings skipped).
fn str_list<'a>(meta: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    meta.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// An event's field, as `event.get(name)`: a small object (events are) is scanned, which is
/// cheaper than hashing the name; a big one is looked up.
fn field<'a>(event: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = event.as_object()?;
    if obj.len() > 16 {
        return obj.get(name);
    }
    obj.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
}

/// A field's value as text, the way comparisons and keys read it: strings as they are, other
/// scalars as JSON writes them; missing and `null` → `None`.
fn text_of(v: Option<&Value>) -> Option<std::borrow::Cow<'_, str>> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        other => Some(std::borrow::Cow::Owned(other.to_string())),
    }
}

/// A value as a number: JSON numbers, and strings that parse as one (after trimming).
fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A number as JSON: an integer when it is one (and fits), else a float.
fn number_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// What a run knows beyond the meter: the answers of lookups (a test case's `lookups:` tables,
/// by table name), and whatever later steps add. `Default` is an empty context.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The `lookups:` tables of a test case (`subscriptions`, `currencies`, …), as written.
    pub lookups: Map<String, Value>,
    /// The limits of each JavaScript call (MAP formulas, SCRIPT_MAP, SCRIPT_FILTER).
    pub script_limits: ScriptLimits,
}

/// What one call into a task's JavaScript may take: `time` per call (default 1 s) and
/// `memory` for the task's whole JavaScript heap (default 64 MB). Past either, the run stops
/// with a [`SimError::Script`] naming the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptLimits {
    /// Wall time of one call (one event through a formula or `exports.step`).
    pub time: Duration,
    /// Bytes the task's JavaScript runtime may allocate.
    pub memory: usize,
}

impl Default for ScriptLimits {
    fn default() -> ScriptLimits {
        ScriptLimits {
            time: Duration::from_secs(1),
            memory: 64 << 20,
        }
    }
}

/// One simulated operator. The engine calls `push` once per chunk of events (a chunk never
/// spans two input files), `end_file` at the end of each input file and `finish` once at the end
/// of all input; each returns the events the operator emits then. The engine counts inputs and
/// outputs; a step counts only its errors (`count.error`). `Err` stops the whole run (a runaway
/// script, a lookup with no table); a bad event is an error count, not an `Err`.
trait Step {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError>;
    fn end_file(&mut self, _count: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        Ok(Vec::new())
    }
    fn finish(&mut self, _count: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        Ok(Vec::new())
    }
}

/// Builds the step of a processor task.
fn processor(task: &Value, operator: &str, ctx: &Context) -> Result<Box<dyn Step>, SimError> {
    let meta = metadata(task);
    let name = label(task);
    Ok(match operator {
        "FILTER" => Box::new(filter::Filter::new(meta, &name)?),
        "MAP" => Box::new(map::MapStep::new(meta, &name, ctx)?),
        "AGGREGATOR" => Box::new(aggregate::Aggregator::new(meta, &name)?),
        "ACCUMULATOR" => Box::new(accumulate::Accumulator::new(meta, &name)?),
        "DEDUPLICATE" if continues_when_dedup(meta) => {
            return Err(SimError::NotSimulated {
                task: name,
                operator: operator.to_string(),
                what: "continueWhenDedup: true (Zuora does not document what a duplicate does \
                       then)"
                    .into(),
            })
        }
        "DEDUPLICATE" => Box::new(Dedupe::new(meta)),
        "PARTITION" => Box::new(PassThrough),
        "SUBSCRIPTION_LOOKUP" | "CURRENCY_LOOKUP" | "HTTP" | "RATING" | "BILLING_RATING" => {
            lookup::step(operator, meta, &name, ctx)?
        }
        "SCRIPT_MAP" => Box::new(script::ScriptStep::new(
            meta,
            &name,
            script::Kind::Map,
            ctx,
        )?),
        "SCRIPT_FILTER" => Box::new(script::ScriptStep::new(
            meta,
            &name,
            script::Kind::Filter,
            ctx,
        )?),
        _ => {
            return Err(SimError::NotSimulated {
                task: name,
                operator: operator.to_string(),
                what: format!("the {operator} operator"),
            })
        }
    })
}

/// PARTITION (and sources): events pass unchanged.
struct PassThrough;

impl Step for PassThrough {
    fn push(&mut self, events: Vec<Value>, _: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        Ok(events)
    }
}

/// Whether a DEDUPLICATE task says `continueWhenDedup: true` (or `"true"`).
fn continues_when_dedup(meta: &Map<String, Value>) -> bool {
    match meta.get("continueWhenDedup") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// DEDUPLICATE: drops an event whose key was already seen in this run (`ttl` and `maxSize` are
/// not modelled: a run is shorter than any TTL).
struct Dedupe {
    fields: Option<Vec<String>>,
    seen: HashSet<String>,
}

impl Dedupe {
    fn new(meta: &Map<String, Value>) -> Dedupe {
        let specific = meta.get("checkType").and_then(Value::as_str) == Some("SpecificFields");
        Dedupe {
            fields: specific.then(|| {
                str_list(meta, "specificFields")
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            }),
            seen: HashSet::new(),
        }
    }

    fn key(&self, event: &Value) -> String {
        match &self.fields {
            Some(fields) => key_of(event, fields.iter().map(String::as_str)),
            None => {
                // All fields, in name order, so field order does not make two events differ.
                let mut names: Vec<&str> = event
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                names.sort_unstable();
                let mut key = key_of(event, names.iter().copied());
                key.push('\u{1}');
                key.push_str(&names.join("\u{1}"));
                key
            }
        }
    }
}

/// The values of `fields` in an event, joined into one key (a missing field and `null` are the
/// same; a string and the number it spells are not).
fn key_of<'a>(event: &Value, fields: impl Iterator<Item = &'a str>) -> String {
    let mut key = String::new();
    write_key(&mut key, event, fields);
    key
}

/// [`key_of`], appended to `key` (a buffer reused from event to event allocates nothing).
fn write_key<'a>(key: &mut String, event: &Value, fields: impl Iterator<Item = &'a str>) {
    use std::fmt::Write;
    for f in fields {
        match field(event, f) {
            None | Some(Value::Null) => key.push('\u{0}'),
            Some(v) => {
                let _ = write!(key, "{v}"); // writing to a String cannot fail
            }
        }
        key.push('\u{2}');
    }
}

impl Step for Dedupe {
    fn push(&mut self, events: Vec<Value>, _: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        Ok(events
            .into_iter()
            .filter(|e| self.seen.insert(self.key(e)))
            .collect())
    }
}

/// What a sink does with what it receives.
enum SinkKind {
    /// EVENT_STORE, S3, KAFKA, SNOWFLAKE (and any sink this step knows): keep the events.
    Record,
    /// NOOP: keep nothing.
    Noop,
    /// ZUORA_USAGE: usage records.
    Usage(usage::UsageSink),
}

fn sink(task: &Value, operator: &str) -> Result<SinkKind, SimError> {
    Ok(match operator {
        "EVENT_STORE" | "S3" | "KAFKA" | "SNOWFLAKE" => SinkKind::Record,
        "NOOP" => SinkKind::Noop,
        "ZUORA_USAGE" => SinkKind::Usage(usage::UsageSink::new(metadata(task), &label(task))?),
        _ => {
            return Err(SimError::NotSimulated {
                task: label(task),
                operator: operator.to_string(),
                what: format!("the {operator} sink"),
            })
        }
    })
}

/// What a task is in a running engine.
enum Node {
    /// A SOURCE: events pass unchanged (a non-object event is an error).
    Source,
    /// A processor.
    Step(Box<dyn Step>),
    /// A sink and what it received so far.
    Sink(SinkKind, SinkOutput),
}

/// Which kind of wave runs through the graph.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wave {
    /// A chunk of events.
    Data,
    /// The end of an input file.
    EndFile,
    /// The end of all input.
    Finish,
}

/// A version's graph, compiled and running. Feed it chunks of events with [`Engine::push`], mark
/// the end of each input file with [`Engine::end_file`], and take the result with
/// [`Engine::finish`]. Memory is what the operators keep (groups, seen keys) plus what the sinks
/// received; events in flight live for one chunk.
pub struct Engine {
    order: Vec<usize>,
    /// Each task's predecessors (task indexes, in predecessor order).
    preds: Vec<Vec<usize>>,
    /// How many successors read each task's output.
    readers: Vec<usize>,
    sources: usize,
    nodes: Vec<Node>,
    counts: Vec<OperatorCount>,
    /// Whether the current input file has had events since its last `end_file`.
    open_file: bool,
}

impl Engine {
    /// Compiles `version` (a version object with `tasks`). Every operator is built first, so an
    /// unsupported one fails before any work.
    pub fn new(version: &Value, ctx: &Context) -> Result<Engine, SimError> {
        let graph = TaskGraph::of_version(version);
        let order = graph.topological_order().map_err(|on_cycle| {
            let ids: Vec<String> = on_cycle.iter().map(|&i| label(&graph.tasks()[i])).collect();
            SimError::Graph(format!(
                "the task graph has a cycle through {}; a pipeline runs from sources to sinks",
                ids.join(", ")
            ))
        })?;
        let tasks = graph.tasks();
        let mut nodes = Vec::with_capacity(tasks.len());
        let mut preds = Vec::with_capacity(tasks.len());
        let mut counts = Vec::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            let mut ids = Vec::new();
            for p in graph.preds(i) {
                match p {
                    Pred::Task(p) => ids.push(*p),
                    Pred::Unknown(id) => {
                        return Err(SimError::Graph(format!(
                            "task {} reads from {id}, which no task of this version has",
                            label(task)
                        )))
                    }
                }
            }
            preds.push(ids);
            let operator = graph::operator_type(task).unwrap_or("");
            let count = OperatorCount {
                task: graph::task_id(task).unwrap_or("").to_string(),
                name: task
                    .get(keys::NAME)
                    .and_then(Value::as_str)
                    .map(str::to_string),
                operator: operator.to_string(),
                ..OperatorCount::default()
            };
            nodes.push(if graph.is_source(i) {
                Node::Source
            } else if graph.kind(i) == Some(NodeKind::Sink) {
                let out = SinkOutput {
                    task: count.task.clone(),
                    name: count.name.clone(),
                    operator: count.operator.clone(),
                    records: Vec::new(),
                    errors: Vec::new(),
                };
                Node::Sink(sink(task, operator)?, out)
            } else {
                Node::Step(processor(task, operator, ctx)?)
            });
            counts.push(count);
        }
        let sources = nodes.iter().filter(|n| matches!(n, Node::Source)).count();
        if sources == 0 {
            return Err(SimError::Graph(
                "the version has no SOURCE task, so no event enters the pipeline".into(),
            ));
        }
        let readers = (0..tasks.len())
            .map(|i| graph.successors(i).len())
            .collect();
        Ok(Engine {
            order,
            preds,
            readers,
            sources,
            nodes,
            counts,
            open_file: false,
        })
    }

    /// Runs a chunk of events of the current input file through the graph. Every SOURCE task
    /// receives all of them.
    pub fn push(&mut self, events: Vec<Value>) -> Result<(), SimError> {
        self.open_file = true;
        self.wave(events, Wave::Data)
    }

    /// Ends the current input file: `EachFile` windows close.
    pub fn end_file(&mut self) -> Result<(), SimError> {
        self.open_file = false;
        self.wave(Vec::new(), Wave::EndFile)
    }

    /// Ends the input (closing the last file if it is open) and returns what the sinks received
    /// and the counts.
    pub fn finish(mut self) -> Result<Simulation, SimError> {
        if self.open_file {
            self.end_file()?;
        }
        self.wave(Vec::new(), Wave::Finish)?;
        let sinks = self
            .nodes
            .into_iter()
            .filter_map(|n| match n {
                Node::Sink(_, out) => Some(out),
                _ => None,
            })
            .collect();
        Ok(Simulation {
            sinks,
            operators: self.counts,
        })
    }

    /// Takes the records the sinks received so far (for a caller that streams them out).
    pub fn drain_sinks(&mut self) -> Vec<SinkOutput> {
        self.nodes
            .iter_mut()
            .filter_map(|n| match n {
                Node::Sink(_, out) => Some(SinkOutput {
                    records: std::mem::take(&mut out.records),
                    errors: std::mem::take(&mut out.errors),
                    ..out.clone_empty()
                }),
                _ => None,
            })
            .collect()
    }

    fn wave(&mut self, events: Vec<Value>, wave: Wave) -> Result<(), SimError> {
        let mut outputs: Vec<Option<Vec<Value>>> = vec![None; self.nodes.len()];
        let mut readers = self.readers.clone();
        let mut sources_left = self.sources;
        let mut events = Some(events);
        for &i in &self.order {
            let input: Vec<Value> = if matches!(self.nodes[i], Node::Source) {
                sources_left -= 1;
                if sources_left == 0 {
                    events.take().unwrap_or_default()
                } else {
                    events.clone().unwrap_or_default()
                }
            } else {
                let mut merged = Vec::new();
                for &p in &self.preds[i] {
                    readers[p] -= 1;
                    let out = if readers[p] == 0 {
                        outputs[p].take().unwrap_or_default()
                    } else {
                        outputs[p].clone().unwrap_or_default()
                    };
                    if merged.is_empty() {
                        merged = out;
                    } else {
                        merged.extend(out);
                    }
                }
                merged
            };
            let count = &mut self.counts[i];
            count.input += input.len() as u64;
            let out = match &mut self.nodes[i] {
                Node::Source => input
                    .into_iter()
                    .filter(|e| {
                        let ok = e.is_object();
                        if !ok {
                            count.error(format!("an event is not a JSON object: {e}"));
                        }
                        ok
                    })
                    .collect(),
                Node::Step(step) => {
                    let mut out = step.push(input, count)?;
                    match wave {
                        Wave::Data => {}
                        Wave::EndFile => out.extend(step.end_file(count)?),
                        Wave::Finish => out.extend(step.finish(count)?),
                    }
                    out
                }
                Node::Sink(kind, out) => {
                    let before = out.records.len();
                    match kind {
                        SinkKind::Record => out.records.extend(input),
                        SinkKind::Noop => {}
                        SinkKind::Usage(sink) => {
                            for event in input {
                                match sink.record(&event) {
                                    Ok(record) => out.records.push(record),
                                    Err(error) => {
                                        count.error(error.error.clone());
                                        out.errors.push(error);
                                    }
                                }
                            }
                        }
                    }
                    count.output += (out.records.len() - before) as u64;
                    continue;
                }
            };
            count.output += out.len() as u64;
            outputs[i] = Some(out);
        }
        Ok(())
    }
}

impl SinkOutput {
    /// The same sink with nothing received.
    fn clone_empty(&self) -> SinkOutput {
        SinkOutput {
            task: self.task.clone(),
            name: self.name.clone(),
            operator: self.operator.clone(),
            records: Vec::new(),
            errors: Vec::new(),
        }
    }
}

/// Runs `version` over `batches` (one list of events per input file) in one call.
pub fn run(version: &Value, ctx: &Context, batches: Batches) -> Result<Simulation, SimError> {
    let mut engine = Engine::new(version, ctx)?;
    for batch in batches {
        engine.push(batch)?;
        engine.end_file()?;
    }
    engine.finish()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::keys::PREDECESSORS;
    use serde_json::json;

    /// A version: a LOCAL_FILE source `src`, then `chain` (id, nodeType, operatorType, metadata),
    /// each reading from the one before.
    pub(crate) fn chain(steps: &[(&str, &str, &str, Value)]) -> Value {
        let mut tasks = vec![json!({"id": "src", "nodeType": "SOURCE",
            "operatorType": "LOCAL_FILE", PREDECESSORS: []})];
        let mut prev = "src".to_string();
        for (id, node, op, meta) in steps {
            tasks.push(json!({"id": id, "nodeType": node, "operatorType": op,
                "metadata": meta, PREDECESSORS: [{"id": prev}]}));
            prev = id.to_string();
        }
        json!({"version": "0.0.1", "tasks": tasks})
    }

    /// Runs a version over one batch and returns the first sink's records.
    pub(crate) fn sink_records(version: &Value, events: Vec<Value>) -> Vec<Value> {
        run(version, &Context::default(), vec![events])
            .unwrap()
            .sinks[0]
            .records
            .clone()
    }

    #[test]
    fn fan_out_copies_and_fan_in_concatenates() {
        let v = json!({"tasks": [
            {"id": "s", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE", PREDECESSORS: []},
            {"id": "a", "nodeType": "PROCESSOR", "operatorType": "FILTER", PREDECESSORS: [{"id": "s"}],
             "metadata": {"ruleCombiner": "and", "rules": [{"sourceField": "n", "operator": "gt", "value": "1"}]}},
            {"id": "b", "nodeType": "PROCESSOR", "operatorType": "PARTITION", PREDECESSORS: [{"id": "s"}]},
            {"id": "k", "nodeType": "SINK", "operatorType": "S3", PREDECESSORS: [{"id": "a"}, {"id": "b"}]},
            {"id": "n", "nodeType": "SINK", "operatorType": "NOOP", PREDECESSORS: [{"id": "a"}]}
        ]});
        let sim = run(
            &v,
            &Context::default(),
            vec![vec![json!({"n": 1}), json!({"n": 2})]],
        )
        .unwrap();
        assert_eq!(
            sim.sinks[0].records,
            [json!({"n": 2}), json!({"n": 1}), json!({"n": 2})]
        );
        assert!(sim.sinks[1].records.is_empty());
        let outputs: Vec<(u64, u64)> = sim.operators.iter().map(|c| (c.input, c.output)).collect();
        assert_eq!(outputs, [(2, 2), (2, 1), (2, 2), (3, 3), (1, 0)]);
    }

    #[test]
    fn an_unsimulated_operator_is_an_error_naming_the_task() {
        let v = chain(&[("c", "PROCESSOR", "CORRELATOR", json!({}))]);
        let err = run(&v, &Context::default(), vec![vec![]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not simulated yet: the CORRELATOR operator in task c (CORRELATOR)"
        );
        let v = chain(&[("js", "PROCESSOR", "SCRIPT_MAP", json!({}))]);
        assert!(run(&v, &Context::default(), vec![])
            .unwrap_err()
            .to_string()
            .contains("task js"));
    }

    #[test]
    fn a_cycle_and_an_unknown_predecessor_are_errors() {
        let v = json!({"tasks": [
            {"id": "s", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE", PREDECESSORS: []},
            {"id": "a", "nodeType": "PROCESSOR", "operatorType": "PARTITION", PREDECESSORS: [{"id": "b"}]},
            {"id": "b", "nodeType": "PROCESSOR", "operatorType": "PARTITION", PREDECESSORS: [{"id": "a"}]}
        ]});
        assert!(run(&v, &Context::default(), vec![])
            .unwrap_err()
            .to_string()
            .contains("cycle"));
        let v = chain(&[("a", "SINK", "S3", json!({}))]);
        let mut v2 = v.clone();
        v2["tasks"][1][PREDECESSORS] = json!([{"id": "ghost"}]);
        assert!(run(&v2, &Context::default(), vec![])
            .unwrap_err()
            .to_string()
            .contains("ghost"));
    }

    #[test]
    fn a_non_object_event_is_a_source_error() {
        let v = chain(&[("k", "SINK", "KAFKA", json!({}))]);
        let sim = run(
            &v,
            &Context::default(),
            vec![vec![json!(1), json!({"a": 1})]],
        )
        .unwrap();
        assert_eq!(sim.operators[0].errors, 1);
        assert_eq!(sim.sinks[0].records, [json!({"a": 1})]);
    }

    #[test]
    fn chunks_of_one_file_make_one_each_file_window() {
        let v = chain(&[
            (
                "agg",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"triggerType": "EachFile", "groupFields": ["a"], "aggregationFields": [
                    {"field": "q", "aggregation": "SUM", "targetField": "t"}]}),
            ),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        let mut engine = Engine::new(&v, &Context::default()).unwrap();
        engine.push(vec![json!({"a": 1, "q": 1})]).unwrap();
        engine.push(vec![json!({"a": 1, "q": 2})]).unwrap();
        engine.end_file().unwrap();
        engine.push(vec![json!({"a": 1, "q": 5})]).unwrap();
        let sim = engine.finish().unwrap();
        assert_eq!(
            sim.sinks[0].records,
            [json!({"a": 1, "t": 3}), json!({"a": 1, "t": 5})]
        );
        assert_eq!((sim.operators[1].input, sim.operators[1].output), (3, 2));
    }

    #[test]
    fn continue_when_dedup_true_is_not_simulated() {
        let v = chain(&[
            (
                "d",
                "PROCESSOR",
                "DEDUPLICATE",
                json!({"continueWhenDedup": true}),
            ),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        let err = run(&v, &Context::default(), vec![]).unwrap_err();
        assert!(err.to_string().contains("continueWhenDedup: true"), "{err}");
    }

    #[test]
    fn deduplicate_by_all_fields_or_specific_fields() {
        let all = chain(&[
            ("d", "PROCESSOR", "DEDUPLICATE", json!({"checkType": "All"})),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        let events = vec![
            json!({"id": 1, "q": 2}),
            json!({"q": 2, "id": 1}),
            json!({"id": 1, "q": 3}),
        ];
        assert_eq!(sink_records(&all, events.clone()).len(), 2);
        let specific = chain(&[
            (
                "d",
                "PROCESSOR",
                "DEDUPLICATE",
                json!({"checkType": "SpecificFields", "specificFields": ["id"]}),
            ),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        assert_eq!(sink_records(&specific, events), [json!({"id": 1, "q": 2})]);
    }
}
