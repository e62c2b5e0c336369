//! AGGREGATOR (the UI's "Accumulator"): one output record per group and window, holding the
//! group's `groupFields`, its `extraKeepFields` (from the group's first event) and one
//! `targetField` per aggregation (SUM MIN MAX AVG COUNT DELTA). Events stream through: memory
//! holds one accumulator per group and window, never the events.

use std::collections::HashMap;
use std::fmt::Write;

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::dates::Reader;
use super::{number_of, number_value, str_list, write_key, OperatorCount, SimError, Step};
use crate::clock;

/// An aggregation function (shared with ACCUMULATOR).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Sum,
    Min,
    Max,
    Avg,
    Count,
    Delta,
}

/// One `aggregationFields` item.
pub(super) struct Aggregation {
    pub(super) field: String,
    pub(super) kind: Kind,
    pub(super) target: String,
}

/// A window length aligned to the UTC calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Length {
    Millis(i64),
    Months(i64),
}

enum Window {
    /// AllFiles, and Timeout with ProcessingTime: one window over the whole input.
    Whole,
    /// EachFile: one window per input batch.
    EachFile,
    /// Timeout with EventTime: calendar windows over an event-time field.
    EventTime {
        field: String,
        reader: Option<Reader>,
        length: Length,
    },
}

/// One aggregation's running state.
#[derive(Debug, Clone, Default)]
pub(super) struct Acc {
    sum: f64,
    count: u64,
    min: Option<f64>,
    max: Option<f64>,
    /// (time, value) of the earliest and latest event, for DELTA.
    first: Option<(i64, f64)>,
    last: Option<(i64, f64)>,
}

impl Acc {
    /// Adds one value seen at `time` (event time, or arrival order).
    pub(super) fn add(&mut self, n: f64, time: i64) {
        self.count += 1;
        self.sum += n;
        self.min = Some(self.min.map_or(n, |m| m.min(n)));
        self.max = Some(self.max.map_or(n, |m| m.max(n)));
        if self.first.is_none_or(|(t, _)| time < t) {
            self.first = Some((time, n));
        }
        if self.last.is_none_or(|(t, _)| time >= t) {
            self.last = Some((time, n));
        }
    }

    /// The latest value added (by time), for a running DELTA.
    pub(super) fn latest(&self) -> Option<f64> {
        self.last.map(|(_, v)| v)
    }

    /// The aggregate so far (DELTA: the last value minus the first).
    pub(super) fn value(&self, kind: Kind) -> Value {
        match kind {
            Kind::Count => Value::from(self.count),
            _ if self.count == 0 => Value::Null,
            Kind::Sum => number_value(self.sum),
            Kind::Min => self.min.map_or(Value::Null, number_value),
            Kind::Max => self.max.map_or(Value::Null, number_value),
            Kind::Avg => number_value(self.sum / self.count as f64),
            Kind::Delta => match (self.first, self.last) {
                (Some((_, a)), Some((_, b))) => number_value(b - a),
                _ => Value::Null,
            },
        }
    }
}

/// What [`Aggregator::prepare`] works out for one event.
struct Prepared {
    /// The window's start (0 outside EventTime windows).
    window: i64,
    /// The event time (EventTime windows).
    time: Option<i64>,
    /// The window and the group fields' values.
    key: String,
    /// Each aggregation's number (`None`: the field is missing or `null`).
    values: Vec<Option<f64>>,
}

struct Group {
    window: i64,
    kept: Map<String, Value>,
    accs: Vec<Acc>,
}

/// A compiled AGGREGATOR task and its groups.
pub(super) struct Aggregator {
    group_fields: Vec<String>,
    keep_fields: Vec<String>,
    aggregations: Vec<Aggregation>,
    window: Window,
    index: HashMap<String, usize>,
    groups: Vec<Group>,
    seq: i64,
}

/// Each aggregation's number in `event`: `None` when the field is missing or `null` (COUNT
/// needs no number); `Err` when a value is not a number.
pub(super) fn values(
    aggregations: &[Aggregation],
    event: &Value,
) -> Result<Vec<Option<f64>>, String> {
    let mut values = Vec::with_capacity(aggregations.len());
    for a in aggregations {
        let v = super::field(event, &a.field).filter(|v| !v.is_null());
        let n = match (a.kind, v) {
            (_, None) => None,
            (Kind::Count, Some(_)) => Some(0.0),
            (_, Some(v)) => Some(number_of(v).ok_or_else(|| {
                format!("{} is {v}, which is not a number ({:?})", a.field, a.kind)
            })?),
        };
        values.push(n);
    }
    Ok(values)
}

/// Parses `timeoutDuration`: "N minute(s)|hour(s)|day(s)|week(s)|month(s)".
fn parse_length(s: &str) -> Option<Length> {
    let (n, unit) = s.trim().split_once(char::is_whitespace)?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.strip_suffix('s').unwrap_or(&unit);
    Some(match unit {
        "minute" => Length::Millis(n * 60_000),
        "hour" => Length::Millis(n * 3_600_000),
        "day" => Length::Millis(n * 86_400_000),
        "week" => Length::Millis(n * 7 * 86_400_000),
        "month" => Length::Months(n),
        _ => return None,
    })
}

/// The start of the window holding `ms`.
fn window_start(ms: i64, length: Length) -> i64 {
    match length {
        Length::Millis(len) => ms.div_euclid(len) * len,
        Length::Months(n) => {
            let text = clock::format_ms(ms);
            let y: i64 = text[..4].parse().unwrap_or(1970);
            let m: i64 = text[5..7].parse().unwrap_or(1);
            let index = ((y - 1970) * 12 + m - 1).div_euclid(n) * n;
            let (y, m) = (1970 + index.div_euclid(12), index.rem_euclid(12) + 1);
            clock::parse_time(&format!("{y:04}-{m:02}-01")).unwrap_or(ms)
        }
    }
}

/// Reads `aggregationFields` (`{field, aggregation, targetField}`; the target defaults to the
/// field).
pub(super) fn aggregations(
    meta: &Map<String, Value>,
    task: &str,
) -> Result<Vec<Aggregation>, SimError> {
    let config = |message: String| SimError::Config {
        task: task.to_string(),
        message,
    };
    let empty = Vec::new();
    let list = meta
        .get("aggregationFields")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut aggregations = Vec::new();
    for (k, a) in list.iter().enumerate() {
        let f = |key: &str| a.get(key).and_then(Value::as_str);
        let name = f("aggregation").unwrap_or("");
        let kind = match name.to_ascii_uppercase().as_str() {
            "SUM" => Kind::Sum,
            "MIN" => Kind::Min,
            "MAX" => Kind::Max,
            "AVG" => Kind::Avg,
            "COUNT" => Kind::Count,
            "DELTA" => Kind::Delta,
            _ => {
                return Err(config(format!(
                    "aggregationFields[{k}].aggregation \"{name}\" is not one of SUM MIN MAX AVG COUNT DELTA"
                )))
            }
        };
        let field = f("field").unwrap_or("").to_string();
        let target = f("targetField").map_or_else(|| field.clone(), str::to_string);
        aggregations.push(Aggregation {
            field,
            kind,
            target,
        });
    }
    Ok(aggregations)
}

impl Aggregator {
    pub(super) fn new(meta: &Map<String, Value>, task: &str) -> Result<Aggregator, SimError> {
        let config = |message: String| SimError::Config {
            task: task.to_string(),
            message,
        };
        let s = |key: &str| meta.get(key).and_then(Value::as_str);
        let window = match (s("triggerType"), s("timeoutType")) {
            (Some("EachFile"), _) => Window::EachFile,
            (Some("AllFiles") | None, _) | (Some("Timeout"), Some("ProcessingTime")) => {
                Window::Whole
            }
            (Some("Timeout"), Some("EventTime")) => {
                let duration = s("timeoutDuration").unwrap_or("");
                let length = parse_length(duration).ok_or_else(|| {
                    config(format!(
                        "timeoutDuration \"{duration}\" is not a duration such as \"1 hour\", \"1 day\" or \"1 month\""
                    ))
                })?;
                let field = s("eventTimeField")
                    .ok_or_else(|| config("an EventTime window needs an eventTimeField".into()))?;
                let reader = s("eventTimeFormat")
                    .map(Reader::new)
                    .transpose()
                    .map_err(|e| config(format!("eventTimeFormat {e}")))?;
                Window::EventTime {
                    field: field.to_string(),
                    reader,
                    length,
                }
            }
            (t, o) => {
                return Err(config(format!(
                    "triggerType {} with timeoutType {} is not a window (AllFiles, EachFile, or Timeout with EventTime or ProcessingTime)",
                    t.unwrap_or("(none)"),
                    o.unwrap_or("(none)")
                )))
            }
        };
        let aggregations = aggregations(meta, task)?;
        let list = |key: &str| {
            str_list(meta, key)
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        Ok(Aggregator {
            group_fields: list("groupFields"),
            keep_fields: list("extraKeepFields"),
            aggregations,
            window,
            index: HashMap::new(),
            groups: Vec::new(),
            seq: 0,
        })
    }

    /// What one event contributes, worked out without the groups (so a chunk's events are
    /// prepared in parallel); `Err` says why it cannot be aggregated.
    fn prepare(&self, event: &Value) -> Result<Prepared, String> {
        let (window, time) = match &self.window {
            Window::EventTime {
                field,
                reader,
                length,
            } => {
                let text = super::text_of(super::field(event, field))
                    .ok_or_else(|| format!("the event time field {field} is missing"))?;
                let ms = match reader {
                    Some(r) => r.read(&text).map_err(|e| format!("{field}: {e}"))?,
                    None => clock::parse_time(&text)
                        .ok_or_else(|| format!("{field}: \"{text}\" is not a date-time"))?,
                };
                (window_start(ms, *length), Some(ms))
            }
            _ => (0, None),
        };
        let values = values(&self.aggregations, event)?;
        let mut key = String::new();
        let _ = write!(key, "{window}\u{3}"); // writing to a String cannot fail
        write_key(
            &mut key,
            event,
            self.group_fields.iter().map(String::as_str),
        );
        Ok(Prepared {
            window,
            time,
            key,
            values,
        })
    }

    /// Adds one prepared event to its group. Every event, an error too, takes the next arrival
    /// number (the time of DELTA outside EventTime windows).
    fn add(&mut self, event: &Value, prepared: Result<Prepared, String>) -> Result<(), String> {
        self.seq += 1;
        let Prepared {
            window,
            time,
            key,
            values,
        } = prepared?;
        let time = time.unwrap_or(self.seq);
        let at = match self.index.get(key.as_str()) {
            Some(&at) => at,
            None => {
                let kept = self
                    .group_fields
                    .iter()
                    .chain(&self.keep_fields)
                    .filter_map(|f| event.get(f.as_str()).map(|v| (f.clone(), v.clone())))
                    .collect();
                self.groups.push(Group {
                    window,
                    kept,
                    accs: vec![Acc::default(); self.aggregations.len()],
                });
                self.index.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        for (acc, n) in self.groups[at].accs.iter_mut().zip(values) {
            if let Some(n) = n {
                acc.add(n, time);
            }
        }
        Ok(())
    }

    /// The records of the groups so far, emptied (window order, then first appearance).
    fn flush(&mut self) -> Vec<Value> {
        self.index.clear();
        let mut groups = std::mem::take(&mut self.groups);
        groups.sort_by_key(|g| g.window);
        groups
            .into_iter()
            .map(|g| {
                let mut record = g.kept;
                for (a, acc) in self.aggregations.iter().zip(g.accs) {
                    record.insert(a.target.clone(), acc.value(a.kind));
                }
                Value::Object(record)
            })
            .collect()
    }
}

impl Step for Aggregator {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        // Keys, times and values in parallel; then the groups, in arrival order.
        let this = &*self;
        let prepared: Vec<Result<Prepared, String>> = events
            .par_iter()
            .with_min_len(super::PAR_MIN)
            .map(|e| this.prepare(e))
            .collect();
        for (event, prepared) in events.iter().zip(prepared) {
            if let Err(message) = self.add(event, prepared) {
                count.error(message);
            }
        }
        // Freeing the events is work too: in parallel.
        events
            .into_par_iter()
            .with_min_len(super::PAR_MIN)
            .for_each(drop);
        Ok(Vec::new())
    }

    fn end_file(&mut self, _: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        Ok(match self.window {
            Window::EachFile => self.flush(),
            _ => Vec::new(),
        })
    }

    fn finish(&mut self, _: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        Ok(self.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::super::run;
    use super::super::tests::{chain, sink_records};
    use super::*;
    use serde_json::json;

    fn aggregate(meta: Value, batches: super::super::Batches) -> Vec<Value> {
        let v = chain(&[
            ("agg", "PROCESSOR", "AGGREGATOR", meta),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        run(&v, &super::super::Context::default(), batches)
            .unwrap()
            .sinks[0]
            .records
            .clone()
    }

    fn usage_events() -> Vec<Value> {
        vec![
            json!({"Account": "A1", "Plan": "pro", "Qty": 10, "Time": "2026-01-05 09:00"}),
            json!({"Account": "A2", "Plan": "basic", "Qty": "4", "Time": "2026-01-05 23:59"}),
            json!({"Account": "A1", "Plan": "pro", "Qty": 5, "Time": "2026-01-05 07:00"}),
            json!({"Account": "A1", "Plan": "pro", "Qty": 2.5, "Time": "2026-01-06 00:00"}),
        ]
    }

    fn all_six() -> Value {
        json!([
            {"field": "Qty", "aggregation": "SUM", "targetField": "Total"},
            {"field": "Qty", "aggregation": "MIN", "targetField": "Min"},
            {"field": "Qty", "aggregation": "MAX", "targetField": "Max"},
            {"field": "Qty", "aggregation": "AVG", "targetField": "Avg"},
            {"field": "Qty", "aggregation": "COUNT", "targetField": "Count"},
            {"field": "Qty", "aggregation": "DELTA", "targetField": "Delta"}
        ])
    }

    #[test]
    fn all_files_collapses_each_group_into_one_record() {
        let got = aggregate(
            json!({"triggerType": "AllFiles", "groupFields": ["Account"],
                   "extraKeepFields": ["Plan"], "aggregationFields": all_six()}),
            vec![usage_events()],
        );
        assert_eq!(
            got,
            [
                json!({"Account": "A1", "Plan": "pro", "Total": 17.5, "Min": 2.5, "Max": 10,
                       "Avg": 5.833333333333333, "Count": 3, "Delta": -7.5}),
                json!({"Account": "A2", "Plan": "basic", "Total": 4, "Min": 4, "Max": 4,
                       "Avg": 4, "Count": 1, "Delta": 0}),
            ]
        );
    }

    #[test]
    fn event_time_windows_align_to_the_calendar_day() {
        let got = aggregate(
            json!({"triggerType": "Timeout", "timeoutType": "EventTime", "timeoutDuration": "1 day",
                   "eventTimeField": "Time", "eventTimeFormat": "yyyy-MM-dd HH:mm",
                   "groupFields": ["Account"], "aggregationFields": [
                       {"field": "Qty", "aggregation": "SUM", "targetField": "Total"},
                       {"field": "Qty", "aggregation": "DELTA", "targetField": "Delta"}]}),
            vec![usage_events()],
        );
        // DELTA orders by event time: 07:00 (5) then 09:00 (10).
        assert_eq!(
            got,
            [
                json!({"Account": "A1", "Total": 15, "Delta": 5}),
                json!({"Account": "A2", "Total": 4, "Delta": 0}),
                json!({"Account": "A1", "Total": 2.5, "Delta": 0}),
            ]
        );
    }

    #[test]
    fn each_file_closes_a_window_per_batch_and_processing_time_is_one_window() {
        let events = usage_events();
        let meta = |trigger: Value| {
            let mut m = json!({"groupFields": ["Account"], "aggregationFields": [
                {"field": "Qty", "aggregation": "COUNT", "targetField": "N"}]});
            m.as_object_mut()
                .unwrap()
                .extend(trigger.as_object().unwrap().clone());
            m
        };
        let batches = vec![events[..2].to_vec(), events[2..].to_vec()];
        let each = aggregate(meta(json!({"triggerType": "EachFile"})), batches.clone());
        assert_eq!(each.len(), 3);
        let one = aggregate(
            meta(
                json!({"triggerType": "Timeout", "timeoutType": "ProcessingTime",
                        "timeoutDuration": "1 hour"}),
            ),
            batches,
        );
        assert_eq!(
            one,
            [
                json!({"Account": "A1", "N": 3}),
                json!({"Account": "A2", "N": 1})
            ]
        );
    }

    #[test]
    fn month_windows_and_bad_values_are_counted_as_errors() {
        assert_eq!(
            window_start(
                clock::parse_time("2026-05-17T10:00:00Z").unwrap(),
                Length::Months(3)
            ),
            clock::parse_time("2026-04-01").unwrap()
        );
        assert_eq!(
            parse_length("30 days"),
            Some(Length::Millis(30 * 86_400_000))
        );
        assert_eq!(parse_length("soon"), None);
        let v = chain(&[
            (
                "agg",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"triggerType": "Timeout",
                "timeoutType": "EventTime", "timeoutDuration": "1 month", "eventTimeField": "T",
                "groupFields": [], "aggregationFields": [{"field": "Q", "aggregation": "SUM", "targetField": "S"}]}),
            ),
            ("k", "SINK", "S3", json!({})),
        ]);
        let sim = run(
            &v,
            &super::super::Context::default(),
            vec![vec![
                json!({"T": "2026-01-31T23:00:00Z", "Q": 1}),
                json!({"T": "2026-02-01", "Q": 2}),
                json!({"T": "yesterday", "Q": 3}),
                json!({"T": "2026-02-02", "Q": "many"}),
            ]],
        )
        .unwrap();
        assert_eq!(sim.sinks[0].records, [json!({"S": 1}), json!({"S": 2})]);
        assert_eq!(sim.operators[1].errors, 2);
        assert_eq!(
            sim.operators[1].messages[1],
            "Q is \"many\", which is not a number (Sum)"
        );
        assert!(sink_records(&v, vec![]).is_empty());
    }
}
