//! Static field flow: which fields the events leaving each task of a version carry, and which
//! fields each task reads, worked out from the definition alone (no events), so validate can
//! say "this usage mapping reads a field no upstream task produces" (MC0116).
//!
//! [`Flow::of`] walks a version's task graph once, upstream first: a SOURCE produces the
//! properties of the event definition it names; FILTER, DEDUPLICATE and PARTITION pass their
//! input on; MAP adds its targets and drops `excludedFields` and renamed sources (as the
//! simulator does); AGGREGATOR produces groupFields + extraKeepFields + its targets; ACCUMULATOR
//! and the lookups add their targets (`appendFields[].eventField`, `rateField`,
//! `responseToOutputMapper[].eventField`, `outputAmountField`); SCRIPT_MAP (and the other
//! `SCRIPT_*` operators that name one) produce the properties of their output `schemaId`. A
//! task's input is the union of its predecessors' outputs, in `predecessors` order. Whatever the
//! flow cannot know (an operator it does not model, an event definition it cannot find or read,
//! a script without `schemaId`, a placeholder where a field name should be, a cycle) is
//! *unknown*, and everything downstream of an unknown input is unknown too: no guess ever
//! becomes a finding. [`for_each_read`] lists the fields a task reads, with the pointer of each.

use std::rc::Rc;

use serde_json::{Map, Value};

use super::graph::{self, field, member, Pred, TaskGraph};
use super::keys;

/// Field names in order, without repeats; `None` when the flow cannot know them.
pub type Fields<'a> = Option<Vec<&'a str>>;

/// Known fields, shared between the tasks that pass them on unchanged.
type Shared<'a> = Option<Rc<[&'a str]>>;

/// The fields flowing into and out of each task of one version.
#[derive(Debug)]
pub struct Flow<'a> {
    graph: TaskGraph<'a>,
    inputs: Vec<Shared<'a>>,
    outputs: Vec<Shared<'a>>,
}

impl<'a> Flow<'a> {
    /// The flow of `version` (one of `meter`'s versions), computed once.
    pub fn of(meter: &'a Value, version: &'a Value) -> Flow<'a> {
        let graph = TaskGraph::of_version(version);
        let n = graph.len();
        let mut inputs: Vec<Shared<'a>> = vec![None; n];
        let mut outputs: Vec<Shared<'a>> = vec![None; n];
        for i in graph.upstream_first() {
            let input = if graph.is_source(i) {
                None
            } else {
                union_of_predecessors(&graph, &outputs, i)
            };
            outputs[i] = match output(meter, &graph, i, input.as_deref()) {
                Output::Input => input.clone(),
                Output::New(fields) => fields.map(Rc::from),
            };
            inputs[i] = input;
        }
        Flow {
            graph,
            inputs,
            outputs,
        }
    }

    /// The version's task graph.
    pub fn graph(&self) -> &TaskGraph<'a> {
        &self.graph
    }

    /// The fields reaching task `i` (the union of its predecessors' outputs); `None` for a
    /// source, a task without resolvable predecessors, or when any predecessor's is unknown.
    pub fn input(&self, i: usize) -> Option<&[&'a str]> {
        self.inputs.get(i)?.as_deref()
    }

    /// The fields leaving task `i`, when known.
    pub fn output(&self, i: usize) -> Option<&[&'a str]> {
        self.outputs.get(i)?.as_deref()
    }
}

/// Whether `field` reaches a task whose input is `fields`: by its exact name (case-sensitive,
/// as Zuora's field names are), or, for a path such as `usage.quantity` or `items[0]`, by the
/// field its first segment names.
pub fn produces(fields: &[&str], field: &str) -> bool {
    fields.contains(&field)
        || field
            .find(['.', '['])
            .is_some_and(|end| fields.contains(&&field[..end]))
}

/// The union of the outputs of task `i`'s predecessors, or `None` when it has none, one does
/// not resolve, or one's output is unknown.
fn union_of_predecessors<'a>(
    graph: &TaskGraph<'a>,
    outputs: &[Shared<'a>],
    i: usize,
) -> Shared<'a> {
    let output = |p: &Pred<'_>| match *p {
        Pred::Task(j) => outputs[j].as_ref(),
        Pred::Unknown(_) => None,
    };
    let (first, rest) = graph.preds(i).split_first()?;
    let first = output(first)?;
    if rest.is_empty() {
        return Some(Rc::clone(first));
    }
    let mut fields = first.to_vec();
    for p in rest {
        for f in output(p)?.iter() {
            add(&mut fields, f);
        }
    }
    Some(fields.into())
}

fn add<'a>(fields: &mut Vec<&'a str>, f: &'a str) {
    if !fields.contains(&f) {
        fields.push(f);
    }
}

/// Whether a string can stand for a field name: not blank, not a placeholder (`${{ … }}`,
/// `${…}`).
fn is_name(s: &str) -> bool {
    !s.trim().is_empty() && !s.contains("${")
}

/// The strings of a list member of `md` (non-strings skipped).
fn strings<'a>(md: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a str> {
    field(md, key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// A string member of an object.
fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    field(o, key).and_then(Value::as_str)
}

/// The objects of a list member of `md`, with their positions.
fn objects<'a>(
    md: &'a Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = (usize, &'a Map<String, Value>)> {
    field(md, key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(k, v)| v.as_object().map(|o| (k, o)))
}

/// `input` plus `more`; `None` when the input is unknown or a name is a placeholder.
fn plus<'a>(input: Option<&[&'a str]>, more: impl IntoIterator<Item = &'a str>) -> Fields<'a> {
    let mut fields = input?.to_vec();
    for f in more {
        if !is_name(f) {
            return None;
        }
        add(&mut fields, f);
    }
    Some(fields)
}

/// What a SUBSCRIPTION_LOOKUP by account and charge name or by subscription id appends
/// besides its `appendFields`.
const LOOKUP_OUTPUTS: [&str; 5] = [
    "rateCardId",
    "uom",
    "chargeNumber",
    "subscriptionNumber",
    "accountNumber",
];

/// The metadata of a task that has none.
static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// What leaves a task: the fields that reached it, or others.
enum Output<'a> {
    /// Its input, unchanged.
    Input,
    /// These fields (`None`: unknown).
    New(Fields<'a>),
}

/// The fields leaving task `i`, given the fields reaching it.
fn output<'a>(
    meter: &'a Value,
    graph: &TaskGraph<'a>,
    i: usize,
    input: Option<&[&'a str]>,
) -> Output<'a> {
    let task = &graph.tasks()[i];
    let md = member(task, keys::METADATA).and_then(Value::as_object);
    let passes = match graph::operator_type(task) {
        Some("FILTER" | "DEDUPLICATE" | "PARTITION") => true,
        Some("SCRIPT_FILTER") => md
            .and_then(|m| field(m, keys::SCHEMA_ID))
            .is_none_or(Value::is_null),
        _ => false,
    };
    if passes && !graph.is_source(i) {
        Output::Input
    } else {
        Output::New(new_fields(meter, graph, i, input))
    }
}

/// The fields leaving task `i` when they are not its input.
fn new_fields<'a>(
    meter: &'a Value,
    graph: &TaskGraph<'a>,
    i: usize,
    input: Option<&[&'a str]>,
) -> Fields<'a> {
    let task = &graph.tasks()[i];
    let empty: &'static Map<String, Value> = &EMPTY;
    let md = member(task, keys::METADATA)
        .and_then(Value::as_object)
        .unwrap_or(empty);
    if graph.is_source(i) {
        // The event definition the source names; one it does not name is not guessed.
        let name = text(md, keys::SCHEMA_NAME).or_else(|| text(md, keys::SCHEMA_ID))?;
        return schema_fields(graph::event_schema_named(meter, name)?);
    }
    let op = graph::operator_type(task)?;
    match op {
        "SCRIPT_FILTER" | "SCRIPT_MAP" | "SCRIPT_AGGREGATOR" | "SCRIPT_ACCUMULATOR"
        | "SCRIPT_CORRELATOR" => script_output(meter, md),
        "MAP" => map_output(md, input?),
        "AGGREGATOR" => {
            let mut fields = Vec::new();
            for f in strings(md, "groupFields").chain(strings(md, "extraKeepFields")) {
                if !is_name(f) {
                    return None;
                }
                add(&mut fields, f);
            }
            plus(Some(&fields), aggregation_targets(md))
        }
        "ACCUMULATOR" => plus(input, aggregation_targets(md)),
        "SUBSCRIPTION_LOOKUP" => {
            // The standard-identifier lookups also append fixed fields (zuora-mediation §4.4,
            // Enrichment B).
            let fixed: &[&'static str] = match text(md, "lookupType") {
                Some("AccountAndChargeName" | "SubscriptionId") => &LOOKUP_OUTPUTS,
                _ => &[],
            };
            plus(
                input,
                objects(md, "appendFields")
                    .filter_map(|(_, a)| text(a, "eventField"))
                    .chain(fixed.iter().copied()),
            )
        }
        "CURRENCY_LOOKUP" => plus(input, text(md, "rateField")),
        "HTTP" => {
            let mapper = field(md, "httpOutputConfig")
                .and_then(Value::as_object)
                .unwrap_or(empty);
            plus(
                input,
                objects(mapper, "responseToOutputMapper")
                    .filter_map(|(_, m)| text(m, "eventField").or_else(|| text(m, "field"))),
            )
        }
        "RATING" => plus(input, text(md, "outputAmountField")),
        _ => None,
    }
}

/// Each aggregation's `targetField` (default: its `field`).
fn aggregation_targets(md: &Map<String, Value>) -> impl Iterator<Item = &str> {
    objects(md, "aggregationFields")
        .filter_map(|(_, a)| text(a, "targetField").or_else(|| text(a, "field")))
}

/// A script's output: the properties of the event definition its `schemaId` names.
fn script_output<'a>(meter: &'a Value, md: &'a Map<String, Value>) -> Fields<'a> {
    schema_fields(graph::event_schema_named(
        meter,
        text(md, keys::SCHEMA_ID)?,
    )?)
}

/// MAP, as the simulator reads it: fields no row names pass through; `excludedFields` are
/// dropped; a direct row renaming A to B drops A unless another row writes A; each row's
/// target (default: its source) is then set.
fn map_output<'a>(md: &'a Map<String, Value>, input: &[&'a str]) -> Fields<'a> {
    let rows: Vec<(Option<&str>, &str, bool)> = objects(md, "mapFields")
        .filter_map(|(_, r)| {
            let source = text(r, "sourceField");
            let target = text(r, "targetField").or(source)?;
            let direct = text(r, "transformType").is_none_or(|t| t.eq_ignore_ascii_case("direct"));
            Some((source, target, direct))
        })
        .collect();
    let excluded: Vec<&str> = strings(md, "excludedFields").collect();
    let renamed = |f: &str| {
        rows.iter()
            .any(|&(s, t, direct)| direct && s == Some(f) && t != f)
            && !rows.iter().any(|&(_, t, _)| t == f)
    };
    let kept: Vec<&str> = input
        .iter()
        .copied()
        .filter(|f| !excluded.contains(f) && !renamed(f))
        .collect();
    plus(Some(&kept), rows.iter().map(|&(_, t, _)| t))
}

/// The property names of an event definition's schema, in either dialect: plain JSON Schema
/// or Zuora's (where each property's `order` gives the column order when every property has
/// one). `None` for a schema whose properties are not all written out (`$ref`, `allOf`,
/// `anyOf`, `oneOf`, `patternProperties`) or that has no `properties` object.
pub fn schema_fields(schema: &Value) -> Fields<'_> {
    let schema = schema.as_object()?;
    if ["$ref", "allOf", "anyOf", "oneOf", "patternProperties"]
        .iter()
        .any(|k| field(schema, k).is_some())
    {
        return None;
    }
    let properties = field(schema, "properties")?.as_object()?;
    let mut named: Vec<(Option<i64>, &str)> = properties
        .iter()
        .map(|(name, p)| (member(p, "order").and_then(Value::as_i64), name.as_str()))
        .collect();
    if named.iter().all(|(order, _)| order.is_some()) {
        named.sort_by_key(|(order, _)| *order);
    }
    Some(named.into_iter().map(|(_, name)| name).collect())
}

/// What a task does with a field it reads; the validator words its message by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A FILTER rule's `sourceField` (nested groups too).
    Filter,
    /// A `groupFields` entry.
    Group,
    /// An `aggregationFields[].field`.
    Aggregate,
    /// An AGGREGATOR's `extraKeepFields` entry.
    Keep,
    /// An `eventTimeField` (AGGREGATOR with EventTime windows, lookups, RATING).
    EventTime,
    /// An ACCUMULATOR's `sortField`.
    Sort,
    /// A MAP row's `sourceField`; [`Read::detail`] is the row's target.
    MapSource,
    /// A key list entry: DEDUPLICATE/PARTITION `specificFields`, RATING `keyFields`, a usage
    /// sink's `specificFields` (unique key).
    Key,
    /// A single field a lookup or another operator reads, named by [`Read::key`]
    /// (`accountNumberField`, `qtyField`, `fromCurrency.field`, …).
    Single,
    /// A field mapping's `field` (usage, rating and event store sinks, BILLING_RATING);
    /// [`Read::detail`] is the mapping's `name`.
    Mapping,
}

/// One field a task reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read<'a> {
    /// The field's name.
    pub field: &'a str,
    /// What the task does with it.
    pub role: Role,
    /// The metadata key that names it (`sourceField`, `groupFields`, `accountNumberField`, …).
    pub key: &'static str,
    /// A MAP row's target, or a field mapping's name.
    pub detail: Option<&'a str>,
}

/// Nested FILTER rule groups deeper than this are not read.
const MAX_DEPTH: usize = 64;

/// Calls `f` with every field task `task` reads (placeholders and blanks left out) and a
/// function giving the pointer of the value that names it, relative to the task (built only
/// when called).
pub fn for_each_read<'a>(task: &'a Value, mut f: impl FnMut(Read<'a>, &dyn Fn() -> String)) {
    let Some(md) = member(task, keys::METADATA).and_then(Value::as_object) else {
        return;
    };
    let Some(op) = graph::operator_type(task) else {
        return;
    };
    let mut read = |field: &'a str,
                    role: Role,
                    key: &'static str,
                    detail: Option<&'a str>,
                    at: &dyn Fn() -> String| {
        if is_name(field) {
            f(
                Read {
                    field,
                    role,
                    key,
                    detail,
                },
                at,
            );
        }
    };
    let list = |key: &'static str, role: Role, read: &mut ReadFn<'_, 'a>| {
        for (k, v) in field(md, key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(s) = v.as_str() {
                read(s, role, key, None, &|| format!("/metadata/{key}/{k}"));
            }
        }
    };
    let single = |key: &'static str, role: Role, read: &mut ReadFn<'_, 'a>| {
        if let Some(s) = text(md, key) {
            read(s, role, key, None, &|| format!("/metadata/{key}"));
        }
    };
    let source = graph::is_source(task);
    match op {
        "FILTER" => filter_reads(md, &mut String::from("/metadata"), 0, &mut read),
        "AGGREGATOR" | "ACCUMULATOR" | "REALTIME_EVENT_AGGREGATOR" | "CORRELATOR" => {
            list("groupFields", Role::Group, &mut read);
            for (k, a) in objects(md, "aggregationFields") {
                if let Some(s) = text(a, "field") {
                    read(s, Role::Aggregate, "field", None, &|| {
                        format!("/metadata/aggregationFields/{k}/field")
                    });
                }
            }
            list("extraKeepFields", Role::Keep, &mut read);
            if text(md, "timeoutType") == Some("EventTime") {
                single("eventTimeField", Role::EventTime, &mut read);
            }
            single("sortField", Role::Sort, &mut read);
            single("startEventField", Role::Single, &mut read);
            single("stopEventField", Role::Single, &mut read);
        }
        "MAP" => {
            for (k, r) in objects(md, "mapFields") {
                if let Some(s) = text(r, "sourceField") {
                    let target = text(r, "targetField").or(Some(s));
                    read(s, Role::MapSource, "sourceField", target, &|| {
                        format!("/metadata/mapFields/{k}/sourceField")
                    });
                }
            }
        }
        "DEDUPLICATE" | "PARTITION" => {
            let all = text(
                md,
                if op == "PARTITION" {
                    "keyType"
                } else {
                    "checkType"
                },
            ) == Some("All");
            if !all {
                list("specificFields", Role::Key, &mut read);
            }
        }
        "SUBSCRIPTION_LOOKUP" => {
            match text(md, "lookupType") {
                Some("AccountAndChargeName") => {
                    single("accountNumberField", Role::Single, &mut read);
                    single("chargeNameField", Role::Single, &mut read);
                }
                Some("SubscriptionId") => single("subscriptionIdField", Role::Single, &mut read),
                _ => {}
            }
            single("eventTimeField", Role::EventTime, &mut read);
        }
        "CURRENCY_LOOKUP" => {
            for key in ["fromCurrency", "toCurrency", "rateType", "dateField"] {
                let Some(o) = field(md, key).and_then(Value::as_object) else {
                    continue;
                };
                let from_event = key == "dateField" || text(o, "type") == Some("FROM_EVENT");
                if let (true, Some(s)) = (from_event, text(o, "field")) {
                    let key: &'static str = match key {
                        "fromCurrency" => "fromCurrency.field",
                        "toCurrency" => "toCurrency.field",
                        "rateType" => "rateType.field",
                        _ => "dateField.field",
                    };
                    let object = key.split_once('.').map_or(key, |(o, _)| o);
                    read(s, Role::Single, key, None, &|| {
                        format!("/metadata/{object}/field")
                    });
                }
            }
        }
        "RATING" => {
            list("keyFields", Role::Key, &mut read);
            single("eventTimeField", Role::EventTime, &mut read);
            single("qtyField", Role::Single, &mut read);
        }
        "ZUORA_USAGE" | "ZUORA_RATING" | "EVENT_STORE" | "BILLING_RATING" if !source => {
            for (k, m) in objects(md, keys::FIELD_MAPPINGS) {
                if let Some(s) = text(m, keys::FIELD) {
                    read(s, Role::Mapping, keys::FIELD, text(m, keys::NAME), &|| {
                        format!("/metadata/{}/{k}/{}", keys::FIELD_MAPPINGS, keys::FIELD)
                    });
                }
            }
            if op == "ZUORA_USAGE"
                && text(md, "usageKeyGenerationMethod") == Some("SPECIFIC_FIELDS")
            {
                list("specificFields", Role::Key, &mut read);
            }
        }
        _ => {}
    }
}

type ReadFn<'r, 'a> =
    dyn FnMut(&'a str, Role, &'static str, Option<&'a str>, &dyn Fn() -> String) + 'r;

/// The `sourceField`s of a FILTER rule group and its nested groups; `at` is the group's
/// pointer (relative to the task), grown and shrunk in place.
fn filter_reads<'a>(
    group: &'a Map<String, Value>,
    at: &mut String,
    depth: usize,
    read: &mut ReadFn<'_, 'a>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let len = at.len();
    for (k, rule) in objects(group, "rules") {
        at.truncate(len);
        at.push_str("/rules/");
        at.push_str(&k.to_string());
        if let Some(s) = text(rule, "sourceField") {
            let here = at.clone();
            read(s, Role::Filter, "sourceField", None, &|| {
                format!("{here}/sourceField")
            });
        }
        if field(rule, "rules").is_some() {
            filter_reads(rule, at, depth + 1, read);
        }
    }
    at.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(id: &str, node: &str, op: &str, metadata: Value, preds: &[&str]) -> Value {
        let preds: Vec<Value> = preds.iter().map(|p| json!({"id": p})).collect();
        json!({"id": id, "name": id, "nodeType": node, "operatorType": op,
               "metadata": metadata, keys::PREDECESSORS: preds})
    }

    fn meter(tasks: Value) -> Value {
        json!({"name": "m", "type": "CUSTOM", "versions": [{"version": "0.0.1", "tasks": tasks}],
        "schemas": [
            {"name": "usage(12)", "schema": {"type": "object", "properties": {
                "CustomerId": {"type": "string"}, "Quantity": {"type": "number"},
                "UsageDate": {"type": "string"}, "Region": {"type": "string"}}}},
            {"name": "zuora", "schema": {"eventIdFields": ["B"], "properties": {
                "B": {"type": "string", "order": 1}, "A": {"type": "datetime", "order": 0}}}},
            {"name": "refs", "schema": {"allOf": [{"$ref": "#/x"}], "properties": {"Z": {}}}}
        ]})
    }

    fn source(schema: &str) -> Value {
        t(
            "s",
            "SOURCE",
            "LOCAL_FILE",
            json!({"schemaName": schema}),
            &[],
        )
    }

    /// The output of each task, by id.
    fn outputs(m: &Value) -> Vec<(String, Option<Vec<String>>)> {
        let v = &m["versions"][0];
        let flow = Flow::of(m, v);
        graph::tasks(v)
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    graph::task_id(t).unwrap().to_string(),
                    flow.output(i)
                        .map(|f| f.iter().map(|s| s.to_string()).collect()),
                )
            })
            .collect()
    }

    fn output_of(m: &Value, id: &str) -> Option<Vec<String>> {
        outputs(m).into_iter().find(|(i, _)| i == id).unwrap().1
    }

    #[test]
    fn sources_read_their_event_definition_in_either_dialect() {
        let m = meter(json!([source("usage")]));
        assert_eq!(
            output_of(&m, "s"),
            Some(vec![
                "CustomerId".into(),
                "Quantity".into(),
                "UsageDate".into(),
                "Region".into()
            ])
        );
        // Zuora's dialect: columns in `order`.
        let m = meter(json!([source("zuora (3)")]));
        assert_eq!(output_of(&m, "s"), Some(vec!["A".into(), "B".into()]));
        // Unknown: a schema it cannot read, a name it cannot find, no name, a placeholder.
        for md in [
            json!({"schemaName": "refs"}),
            json!({"schemaId": "nope"}),
            json!({}),
            json!({"schemaId": "${{ values.schema }}"}),
        ] {
            let m = meter(json!([t("s", "SOURCE", "EVENT_STORE", md, &[])]));
            assert_eq!(output_of(&m, "s"), None);
        }
    }

    #[test]
    fn operators_transform_the_fields() {
        let m = meter(json!([
            source("usage"),
            t("f", "PROCESSOR", "FILTER", json!({"rules": []}), &["s"]),
            t(
                "map",
                "PROCESSOR",
                "MAP",
                json!({"excludedFields": ["Region"], "mapFields": [
                    {"sourceField": "Quantity", "targetField": "Qty", "transformType": "direct"},
                    {"sourceField": "CustomerId", "targetField": "Account", "transformType": "direct"},
                    {"sourceField": "CustomerId", "targetField": "CustomerId", "transformType": "direct"},
                    {"sourceField": "UsageDate", "targetField": "Day", "transformType": "transform", "formula": "value"},
                    {"targetField": "Currency", "transformType": "transform", "formula": "'USD'"}
                ]}),
                &["f"]
            ),
            t(
                "agg",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"groupFields": ["Account"], "extraKeepFields": ["Day"],
                "aggregationFields": [{"field": "Qty", "aggregation": "SUM", "targetField": "Total"},
                                      {"field": "Qty", "aggregation": "MAX"}]}),
                &["map"]
            ),
            t(
                "acc",
                "PROCESSOR",
                "ACCUMULATOR",
                json!({"groupFields": ["Account"],
                "aggregationFields": [{"field": "Total", "aggregation": "SUM", "targetField": "Running"}]}),
                &["agg"]
            ),
            t(
                "sub",
                "PROCESSOR",
                "SUBSCRIPTION_LOOKUP",
                json!({"lookupType": "AccountAndChargeName",
                "appendFields": [{"referenceField": "Subscription.Name", "eventField": "SubscriptionNumber"}]}),
                &["acc"]
            ),
            t(
                "fx",
                "PROCESSOR",
                "CURRENCY_LOOKUP",
                json!({"rateField": "FxRate"}),
                &["sub"]
            ),
            t(
                "http",
                "PROCESSOR",
                "HTTP",
                json!({"httpOutputConfig": {"responseToOutputMapper": [
                {"responseField": "tier", "eventField": "Tier"}, {"field": "Plan", "jsonPath": "$.plan"}]}}),
                &["fx"]
            ),
            t(
                "rate",
                "PROCESSOR",
                "RATING",
                json!({"outputAmountField": "Amount"}),
                &["http"]
            ),
            t("dd", "PROCESSOR", "DEDUPLICATE", json!({}), &["rate"]),
            t("z", "SINK", "NOOP", json!({}), &["dd"]),
        ]));
        let out = outputs(&m);
        let of = |id: &str| {
            out.iter()
                .find(|(i, _)| i == id)
                .unwrap()
                .1
                .clone()
                .unwrap()
                .join(",")
        };
        assert_eq!(of("f"), "CustomerId,Quantity,UsageDate,Region");
        // Quantity renamed away; CustomerId kept by its own row; Region excluded; a transform
        // row keeps its source.
        assert_eq!(of("map"), "CustomerId,UsageDate,Qty,Account,Day,Currency");
        assert_eq!(of("agg"), "Account,Day,Total,Qty");
        assert_eq!(of("acc"), "Account,Day,Total,Qty,Running");
        assert_eq!(
            of("dd"),
            "Account,Day,Total,Qty,Running,SubscriptionNumber,rateCardId,uom,chargeNumber,\
             subscriptionNumber,accountNumber,FxRate,Tier,Plan,Amount"
        );
    }

    #[test]
    fn fan_in_is_the_union_and_unknown_silences_downstream() {
        let m = meter(json!([
            source("usage"),
            t(
                "z",
                "SOURCE",
                "LOCAL_FILE",
                json!({"schemaName": "zuora"}),
                &[]
            ),
            t("j", "PROCESSOR", "FILTER", json!({}), &["z", "s"]),
            t(
                "x",
                "PROCESSOR",
                "SCRIPT_MAP",
                json!({"language": "JS", "source": "…"}),
                &["j"]
            ),
            t("y", "PROCESSOR", "FILTER", json!({}), &["x"]),
            t(
                "sm",
                "PROCESSOR",
                "SCRIPT_MAP",
                json!({"schemaId": "zuora"}),
                &["y"]
            ),
            t(
                "agg",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"groupFields": ["A"]}),
                &["y"]
            ),
            t("q", "PROCESSOR", "FILTER", json!({}), &["missing"]),
            t("w", "PROCESSOR", "WEIRD", json!({}), &["s"]),
        ]));
        let v = &m["versions"][0];
        let flow = Flow::of(&m, v);
        assert_eq!(
            flow.input(2).unwrap(),
            ["A", "B", "CustomerId", "Quantity", "UsageDate", "Region"]
        );
        assert_eq!(flow.output(3), None, "a script without schemaId");
        assert_eq!(flow.input(4), None);
        assert_eq!(flow.output(5).unwrap(), ["A", "B"], "its output schemaId");
        assert_eq!(
            flow.output(6).unwrap(),
            ["A"],
            "an aggregator knows its own output"
        );
        assert_eq!(flow.input(7), None, "an unresolved predecessor");
        assert_eq!(flow.output(8), None, "an operator the flow does not model");
        assert_eq!(flow.input(0), None, "a source has no input");
    }

    #[test]
    fn cycles_and_odd_shapes_are_unknown_not_panics() {
        let m = meter(json!([
            source("usage"),
            t("a", "PROCESSOR", "FILTER", json!({}), &["s", "b"]),
            t("b", "PROCESSOR", "FILTER", json!({}), &["a"]),
        ]));
        let flow = Flow::of(&m, &m["versions"][0]);
        assert!(flow.output(0).is_some());
        assert_eq!((flow.output(1), flow.output(2)), (None, None));
        for v in [
            json!(null),
            json!({"tasks": 3}),
            json!({"tasks": [1, null, {"metadata": []}]}),
        ] {
            let flow = Flow::of(&m, &v);
            for i in 0..flow.graph().len() {
                assert!(flow.output(i).is_none());
                for_each_read(&flow.graph().tasks()[i], |_, _| {});
            }
        }
        let odd = meter(json!([
            source("usage"),
            t(
                "m",
                "PROCESSOR",
                "MAP",
                json!({"mapFields": [1, {"targetField": "${{ values.x }}"}]}),
                &["s"]
            ),
            t(
                "g",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"groupFields": [1, null]}),
                &["m"]
            ),
        ]));
        assert_eq!(output_of(&odd, "m"), None, "a placeholder target");
        assert_eq!(output_of(&odd, "g"), Some(vec![]));
    }

    /// (field, pointer) of each read.
    fn pointers(task: Value) -> Vec<(String, String)> {
        reads(task).into_iter().map(|r| (r.0, r.2)).collect()
    }

    fn reads(task: Value) -> Vec<(String, Role, String)> {
        let mut out = Vec::new();
        for_each_read(&task, |r, at| out.push((r.field.to_string(), r.role, at())));
        out
    }

    #[test]
    fn reads_with_their_pointers() {
        let filter = t(
            "f",
            "PROCESSOR",
            "FILTER",
            json!({"ruleCombiner": "and", "rules": [
            {"sourceField": "A", "operator": "blank"},
            {"ruleCombiner": "or", "rules": [{"sourceField": "B", "operator": "equal", "value": "1"},
                                             {"sourceField": "${{ values.f }}", "operator": "blank"}]},
            {"sourceField": "C", "operator": "blank"}]}),
            &["s"],
        );
        assert_eq!(
            reads(filter),
            [
                (
                    "A".into(),
                    Role::Filter,
                    "/metadata/rules/0/sourceField".into()
                ),
                (
                    "B".into(),
                    Role::Filter,
                    "/metadata/rules/1/rules/0/sourceField".into()
                ),
                (
                    "C".into(),
                    Role::Filter,
                    "/metadata/rules/2/sourceField".into()
                ),
            ]
        );
        let agg = t(
            "a",
            "PROCESSOR",
            "AGGREGATOR",
            json!({"groupFields": ["G"], "timeoutType": "EventTime",
            "eventTimeField": "T", "aggregationFields": [{"field": "Q", "targetField": "Q"}]}),
            &["s"],
        );
        assert_eq!(
            pointers(agg),
            [
                ("G".into(), "/metadata/groupFields/0".into()),
                ("Q".into(), "/metadata/aggregationFields/0/field".into()),
                ("T".into(), "/metadata/eventTimeField".into()),
            ]
        );
        // ProcessingTime windows do not read eventTimeField; checkType All no specificFields.
        let agg = t(
            "a",
            "PROCESSOR",
            "AGGREGATOR",
            json!({"timeoutType": "ProcessingTime", "eventTimeField": "T"}),
            &["s"],
        );
        assert_eq!(reads(agg), []);
        let dd = t(
            "d",
            "PROCESSOR",
            "DEDUPLICATE",
            json!({"checkType": "All", "specificFields": ["X"]}),
            &["s"],
        );
        assert_eq!(reads(dd), []);
        let fx = t(
            "c",
            "PROCESSOR",
            "CURRENCY_LOOKUP",
            json!({"fromCurrency": {"type": "FROM_EVENT", "field": "Cur"},
            "toCurrency": {"type": "STATIC", "field": "Ignored"}, "dateField": {"field": "D"}}),
            &["s"],
        );
        assert_eq!(
            pointers(fx),
            [
                ("Cur".into(), "/metadata/fromCurrency/field".into()),
                ("D".into(), "/metadata/dateField/field".into()),
            ]
        );
        let usage = t(
            "u",
            "SINK",
            "ZUORA_USAGE",
            json!({"fieldMappings": [{"name": "quantity", "field": "Q"}],
            "usageKeyGenerationMethod": "SPECIFIC_FIELDS", "specificFields": ["Id"]}),
            &["s"],
        );
        let found: Vec<_> = reads(usage).into_iter().map(|r| (r.0, r.1, r.2)).collect();
        assert_eq!(
            found,
            [
                (
                    "Q".into(),
                    Role::Mapping,
                    "/metadata/fieldMappings/0/field".into()
                ),
                ("Id".into(), Role::Key, "/metadata/specificFields/0".into()),
            ]
        );
        // An EVENT_STORE source reads nothing.
        assert_eq!(
            reads(t(
                "e",
                "SOURCE",
                "EVENT_STORE",
                json!({"fieldMappings": [{"field": "x"}]}),
                &[]
            )),
            []
        );
    }

    #[test]
    fn produced_fields_compare_exactly_or_by_their_head() {
        assert!(produces(&["Quantity", "usage"], "Quantity"));
        assert!(!produces(&["Quantity"], "quantity"));
        assert!(produces(&["usage"], "usage.quantity"));
        assert!(!produces(&["usage"], "usages"));
        assert!(produces(&["items"], "items[0].sku"));
        assert!(!produces(&["items"], "item[0]"));
    }
}
