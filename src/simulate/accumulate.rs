//! ACCUMULATOR (the UI's "Aggregator"; zuora-meter-dialect.md §3 notes the swapped names): keeps
//! every event and appends its group's aggregates computed so far (running SUM MIN MAX AVG COUNT,
//! and DELTA as the change from the group's previous value), in `sortField` order (`order` ASC or
//! DESC) within each group. A batch operator: it holds the events and emits them at the end of
//! the input, group by group. The aggregation kinds and their running state are the AGGREGATOR's
//! ([`super::aggregate`]).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::aggregate::{self, Acc, Aggregation, Kind};
use super::{key_of, number_of, str_list, text_of, OperatorCount, SimError, Step};
use crate::clock;

/// One held event: its sort key, its arrival number and the event.
type Held = (f64, u64, Value);

/// A compiled ACCUMULATOR task and the events it holds.
pub(super) struct Accumulator {
    group_fields: Vec<String>,
    aggregations: Vec<Aggregation>,
    sort_field: Option<String>,
    descending: bool,
    index: HashMap<String, usize>,
    groups: Vec<Vec<Held>>,
    seq: u64,
}

impl Accumulator {
    pub(super) fn new(meta: &Map<String, Value>, task: &str) -> Result<Accumulator, SimError> {
        let config = |message: String| SimError::Config {
            task: task.to_string(),
            message,
        };
        let descending = match meta.get("order").and_then(Value::as_str) {
            None => false,
            Some(o) if o.eq_ignore_ascii_case("ASC") => false,
            Some(o) if o.eq_ignore_ascii_case("DESC") => true,
            Some(o) => return Err(config(format!("order \"{o}\" is not ASC or DESC"))),
        };
        Ok(Accumulator {
            // "" and "global" name no field: one partition for every event.
            group_fields: str_list(meta, "groupFields")
                .into_iter()
                .filter(|f| !f.is_empty() && *f != "global")
                .map(str::to_string)
                .collect(),
            aggregations: aggregate::aggregations(meta, task)?,
            sort_field: meta
                .get("sortField")
                .and_then(Value::as_str)
                .filter(|f| !f.is_empty())
                .map(str::to_string),
            descending,
            index: HashMap::new(),
            groups: Vec::new(),
            seq: 0,
        })
    }

    /// The sort key of an event: a number, or a date-time as epoch milliseconds.
    fn sort_key(&self, event: &Value) -> Result<f64, String> {
        let Some(field) = &self.sort_field else {
            return Ok(0.0);
        };
        let v = event
            .get(field.as_str())
            .filter(|v| !v.is_null())
            .ok_or_else(|| format!("the sort field {field} is missing"))?;
        number_of(v)
            .or_else(|| {
                text_of(Some(v))
                    .and_then(|t| clock::parse_time(&t))
                    .map(|ms| ms as f64)
            })
            .ok_or_else(|| format!("the sort field {field} is {v}, not a number or a date-time"))
    }

    /// The events of one group with their running aggregates, in sort order.
    fn emit(&self, mut held: Vec<Held>, out: &mut Vec<Value>) {
        held.sort_by(|a, b| {
            let by_key = a.0.total_cmp(&b.0);
            let by_key = if self.descending {
                by_key.reverse()
            } else {
                by_key
            };
            by_key.then(a.1.cmp(&b.1))
        });
        let mut accs = vec![Acc::default(); self.aggregations.len()];
        for (time, (_, _, mut event)) in (0i64..).zip(held) {
            // The event was checked when it arrived.
            let values = aggregate::values(&self.aggregations, &event).unwrap_or_default();
            let mut results = Vec::with_capacity(self.aggregations.len());
            for ((a, acc), n) in self.aggregations.iter().zip(&mut accs).zip(values) {
                let previous = acc.latest();
                if let Some(n) = n {
                    acc.add(n, time);
                }
                let v = match (a.kind, n, previous) {
                    (Kind::Delta, Some(n), Some(p)) => super::number_value(n - p),
                    (Kind::Delta, _, _) => Value::Null,
                    _ => acc.value(a.kind),
                };
                results.push(v);
            }
            if let Some(o) = event.as_object_mut() {
                // A new result name drops its source; the same name overwrites it.
                for a in &self.aggregations {
                    if a.target != a.field {
                        o.shift_remove(&a.field);
                    }
                }
                for (a, v) in self.aggregations.iter().zip(results) {
                    o.insert(a.target.clone(), v);
                }
            }
            out.push(event);
        }
    }
}

impl Step for Accumulator {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        for event in events {
            let checked =
                aggregate::values(&self.aggregations, &event).and_then(|_| self.sort_key(&event));
            let key = match checked {
                Ok(key) => key,
                Err(message) => {
                    count.error(message);
                    continue;
                }
            };
            let group = key_of(&event, self.group_fields.iter().map(String::as_str));
            let next = self.groups.len();
            let at = *self.index.entry(group).or_insert(next);
            if at == next {
                self.groups.push(Vec::new());
            }
            self.seq += 1;
            self.groups[at].push((key, self.seq, event));
        }
        Ok(Vec::new())
    }

    fn finish(&mut self, _: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        self.index.clear();
        let mut out = Vec::new();
        for held in std::mem::take(&mut self.groups) {
            self.emit(held, &mut out);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{chain, sink_records};
    use super::super::{run, Context};
    use serde_json::{json, Value};

    fn accumulate(meta: Value, events: Vec<Value>) -> Vec<Value> {
        let v = chain(&[
            ("acc", "PROCESSOR", "ACCUMULATOR", meta),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        sink_records(&v, events)
    }

    /// The Aggregator page's operator example: one partition (CUST1), events ordered by
    /// timestamp, API_Calls 5, 3, 7 (given here out of order, so the sort field orders them).
    fn cust1() -> Vec<Value> {
        vec![
            json!({"CustomerID": "CUST1", "Timestamp": "2025-10-01 10:15", "API_Calls": 3}),
            json!({"CustomerID": "CUST1", "Timestamp": "2025-10-01 10:45", "API_Calls": 7}),
            json!({"CustomerID": "CUST1", "Timestamp": "2025-10-01 10:01", "API_Calls": 5}),
        ]
    }

    fn all_six() -> Value {
        json!([
            {"field": "API_Calls", "aggregation": "SUM", "targetField": "sum"},
            {"field": "API_Calls", "aggregation": "AVG", "targetField": "avg"},
            {"field": "API_Calls", "aggregation": "MIN", "targetField": "min"},
            {"field": "API_Calls", "aggregation": "MAX", "targetField": "max"},
            {"field": "API_Calls", "aggregation": "COUNT", "targetField": "count"},
            {"field": "API_Calls", "aggregation": "DELTA", "targetField": "API_Calls"}
        ])
    }

    #[test]
    fn the_aggregator_page_example_sorted_within_its_partition() {
        let got = accumulate(
            json!({"groupFields": ["CustomerID"], "sortField": "Timestamp", "order": "ASC",
                   "aggregationFields": all_six()}),
            cust1(),
        );
        // The last row carries the page's partition results (sum 15, avg 5, min 3, max 7,
        // count 3); delta is the change from the previous row: –, 3-5 = -2, 7-3 = 4. DELTA
        // writes its result over its source (same name), so API_Calls stays.
        let row = |t: &str, sum: i64, avg: Value, min: i64, max: i64, count: i64, delta: Value| {
            json!({"CustomerID": "CUST1", "Timestamp": t, "API_Calls": delta, "sum": sum,
                   "avg": avg, "min": min, "max": max, "count": count})
        };
        assert_eq!(
            got,
            [
                row("2025-10-01 10:01", 5, json!(5), 5, 5, 1, Value::Null),
                row("2025-10-01 10:15", 8, json!(4), 3, 5, 2, json!(-2)),
                row("2025-10-01 10:45", 15, json!(5), 3, 7, 3, json!(4)),
            ]
        );
    }

    #[test]
    fn descending_order_groups_and_result_names() {
        let events = vec![
            json!({"Account": "A1", "Seq": 1, "Qty": 10}),
            json!({"Account": "A2", "Seq": 1, "Qty": 1}),
            json!({"Account": "A1", "Seq": 2, "Qty": 20}),
        ];
        // A new result name drops the source field; groups come out in first-seen order.
        let got = accumulate(
            json!({"groupFields": ["Account"], "sortField": "Seq", "order": "DESC",
                   "aggregationFields": [{"field": "Qty", "aggregation": "SUM", "targetField": "Running"}]}),
            events.clone(),
        );
        assert_eq!(
            got,
            [
                json!({"Account": "A1", "Seq": 2, "Running": 20}),
                json!({"Account": "A1", "Seq": 1, "Running": 30}),
                json!({"Account": "A2", "Seq": 1, "Running": 1}),
            ]
        );
        // The other fields keep their order.
        let got = accumulate(
            json!({"aggregationFields": [{"field": "Qty", "aggregation": "SUM", "targetField": "Sum"}]}),
            vec![json!({"Qty": 1, "B": 2, "C": 3})],
        );
        let keys: Vec<&String> = got[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["B", "C", "Sum"]);
        // "global" (or "") is one partition for every event; without a sortField, arrival order.
        for key in ["global", ""] {
            let got = accumulate(
                json!({"groupFields": [key], "aggregationFields": [
                    {"field": "Qty", "aggregation": "COUNT", "targetField": "Qty"}]}),
                events.clone(),
            );
            let counts: Vec<&Value> = got.iter().map(|e| &e["Qty"]).collect();
            assert_eq!(counts, [&json!(1), &json!(2), &json!(3)]);
        }
    }

    #[test]
    fn an_unsortable_or_unreadable_event_is_an_error_of_the_accumulator() {
        let v = chain(&[
            (
                "acc",
                "PROCESSOR",
                "ACCUMULATOR",
                json!({"groupFields": [], "sortField": "T", "aggregationFields": [
                    {"field": "Q", "aggregation": "SUM", "targetField": "S"}]}),
            ),
            ("k", "SINK", "S3", json!({})),
        ]);
        let sim = run(
            &v,
            &Context::default(),
            vec![vec![
                json!({"T": "2026-01-02", "Q": 1}),
                json!({"T": 1767225600000i64, "Q": 2}),
                json!({"Q": 3}),
                json!({"T": "soon", "Q": 4}),
                json!({"T": 5, "Q": "many"}),
            ]],
        )
        .unwrap();
        assert_eq!(
            sim.sinks[0].records,
            [
                json!({"T": 1767225600000i64, "S": 2}),
                json!({"T": "2026-01-02", "S": 3})
            ]
        );
        assert_eq!(
            sim.operators[1].messages,
            [
                "the sort field T is missing",
                "the sort field T is \"soon\", not a number or a date-time",
                "Q is \"many\", which is not a number (Sum)",
            ]
        );
        let bad = chain(&[("acc", "PROCESSOR", "ACCUMULATOR", json!({"order": "UP"}))]);
        assert_eq!(
            run(&bad, &Context::default(), vec![])
                .unwrap_err()
                .to_string(),
            "task acc: order \"UP\" is not ASC or DESC"
        );
    }
}
