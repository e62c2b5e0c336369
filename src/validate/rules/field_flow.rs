//! MC0116: a task reads a field that no upstream task produces. The field flow of each version
//! ([`crate::model::flow::Flow`]) is computed once; each task's reads are then compared with the
//! fields reaching it. A task whose input the flow cannot know (an unmodelled operator, a
//! script without an output event definition, a source without one upstream) is not checked.

use serde_json::Value;

use super::{Finding, TaskLabel, UNPRODUCED_FIELD};
use crate::model::flow::{self, Flow, Read, Role};
use crate::model::graph;

/// How many upstream fields a message lists before `…`.
const SHOWN: usize = 8;

pub(super) fn check(value: &Value, out: &mut Vec<Finding>) {
    for (vi, version) in graph::versions(value).iter().enumerate() {
        if graph::tasks(version).len() < 2 {
            continue;
        }
        let flow = Flow::of(value, version);
        for (ti, task) in flow.graph().tasks().iter().enumerate() {
            let Some(input) = flow.input(ti) else {
                continue;
            };
            let Some(object) = task.as_object() else {
                continue;
            };
            flow::for_each_read(task, |read, at| {
                if flow::produces(input, read.field) {
                    return;
                }
                let op = graph::operator_type(task).unwrap_or_default();
                out.push(Finding::new(
                    UNPRODUCED_FIELD.code,
                    format!("/versions/{vi}/tasks/{ti}{}", at()),
                    format!(
                        "{} {} {}, which no upstream task produces ({})",
                        kind(op),
                        TaskLabel(ti, object),
                        what(op, &read),
                        upstream(input)
                    ),
                ));
            });
        }
    }
}

/// The operator in words.
fn kind(op: &str) -> &'static str {
    match op {
        "FILTER" => "filter",
        "MAP" => "map",
        "AGGREGATOR" => "aggregator",
        "ACCUMULATOR" => "accumulator",
        "REALTIME_EVENT_AGGREGATOR" => "realtime event aggregator",
        "CORRELATOR" => "correlator",
        "DEDUPLICATE" => "deduplicator",
        "PARTITION" => "partition",
        "SUBSCRIPTION_LOOKUP" => "subscription lookup",
        "CURRENCY_LOOKUP" => "currency lookup",
        "RATING" => "rating",
        "BILLING_RATING" => "billing rating",
        "ZUORA_USAGE" => "usage sink",
        "ZUORA_RATING" => "rating sink",
        "EVENT_STORE" => "event store sink",
        _ => "task",
    }
}

/// What the task does with the field: `maps quantity from "totalUsage"`, `groups by "Region"`.
fn what(op: &str, read: &Read<'_>) -> String {
    let f = read.field;
    match read.role {
        Role::Filter => format!("reads {f:?}"),
        Role::Group => format!("groups by {f:?}"),
        Role::Aggregate => format!("aggregates {f:?}"),
        Role::Keep => format!("keeps {f:?}"),
        Role::EventTime => format!("reads its event time from {f:?}"),
        Role::Sort => format!("sorts by {f:?}"),
        Role::MapSource | Role::Mapping => {
            format!("maps {} from {f:?}", read.detail.unwrap_or(read.key))
        }
        Role::Key => match op {
            "DEDUPLICATE" => format!("compares {f:?}"),
            "PARTITION" => format!("partitions by {f:?}"),
            "ZUORA_USAGE" => format!("builds its unique key from {f:?}"),
            _ => format!("keys on {f:?}"),
        },
        Role::Single => format!("reads {} from {f:?}", read.key),
    }
}

/// `upstream produces: A, B, …` (at most [`SHOWN`] names, in their order).
fn upstream(input: &[&str]) -> String {
    if input.is_empty() {
        return "upstream produces no field".into();
    }
    let mut s = String::from("upstream produces: ");
    for (k, f) in input.iter().take(SHOWN).enumerate() {
        if k > 0 {
            s.push_str(", ");
        }
        s.push_str(f);
    }
    if input.len() > SHOWN {
        s.push_str(", …");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::t;
    use super::*;
    use serde_json::json;

    fn findings(tasks: Value) -> Vec<(String, String)> {
        let m = json!({"name": "m", "type": "CUSTOM", "versions": [{"version": "0.0.1", "tasks": tasks}],
            "schemas": [{"name": "usage", "schema": {"type": "object", "properties": {
                "CustomerId": {}, "Quantity": {}, "UsageDate": {}, "A4": {}, "A5": {}, "A6": {},
                "A7": {}, "A8": {}, "A9": {}}}}]});
        let mut out = Vec::new();
        check(&m, &mut out);
        out.into_iter().map(|f| (f.pointer, f.message)).collect()
    }

    fn source() -> Value {
        t(
            "s",
            "SOURCE",
            "ZUORA_BULK_API",
            json!({"schemaId": "usage"}),
            &[],
        )
    }

    #[test]
    fn the_issues_example() {
        let found = findings(json!([
            source(),
            t(
                "u",
                "SINK",
                "ZUORA_USAGE",
                json!({"fieldMappings": [
                {"name": "accountNumber", "field": "CustomerId"},
                {"name": "quantity", "field": "totalUsage"}]}),
                &["s"]
            ),
        ]));
        assert_eq!(
            found,
            [(
                "/versions/0/tasks/1/metadata/fieldMappings/1/field".to_string(),
                "usage sink \"u\" maps quantity from \"totalUsage\", which no upstream task produces (upstream produces: CustomerId, Quantity, UsageDate, A4, A5, A6, A7, A8, …)".to_string()
            )]
        );
    }

    #[test]
    fn an_aggregator_drops_what_it_does_not_keep() {
        let found = findings(json!([
            source(),
            t(
                "a",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"groupFields": ["CustomerId", "Region"],
                "aggregationFields": [{"field": "Quantity", "aggregation": "SUM", "targetField": "Total"}]}),
                &["s"]
            ),
            t(
                "f",
                "PROCESSOR",
                "FILTER",
                json!({"ruleCombiner": "and", "rules": [
                {"sourceField": "Total", "operator": "gt", "value": "0"},
                {"sourceField": "quantity", "operator": "gt", "value": "0"}]}),
                &["a"]
            ),
            t(
                "u",
                "SINK",
                "ZUORA_USAGE",
                json!({"fieldMappings": [
                {"name": "startDateTime", "field": "UsageDate"}]}),
                &["f"]
            ),
        ]));
        let messages: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
        assert_eq!(
            messages,
            [
                "aggregator \"a\" groups by \"Region\", which no upstream task produces (upstream produces: CustomerId, Quantity, UsageDate, A4, A5, A6, A7, A8, …)",
                "filter \"f\" reads \"quantity\", which no upstream task produces (upstream produces: CustomerId, Region, Total)",
                "usage sink \"u\" maps startDateTime from \"UsageDate\", which no upstream task produces (upstream produces: CustomerId, Region, Total)",
            ]
        );
        assert_eq!(
            found[1].0,
            "/versions/0/tasks/2/metadata/rules/1/sourceField"
        );
    }

    #[test]
    fn unknown_upstream_is_never_a_finding() {
        assert_eq!(
            findings(json!([
                t("s", "SOURCE", "EVENT_STORE", json!({"storeId": "x"}), &[]),
                t(
                    "u",
                    "SINK",
                    "ZUORA_USAGE",
                    json!({"fieldMappings": [{"name": "quantity", "field": "nope"}]}),
                    &["s"]
                ),
            ])),
            []
        );
        assert_eq!(
            findings(json!([
                source(),
                t(
                    "x",
                    "PROCESSOR",
                    "SCRIPT_MAP",
                    json!({"language": "JS"}),
                    &["s"]
                ),
                t(
                    "u",
                    "SINK",
                    "ZUORA_USAGE",
                    json!({"fieldMappings": [{"name": "quantity", "field": "nope"}]}),
                    &["x"]
                ),
            ])),
            []
        );
    }
}
