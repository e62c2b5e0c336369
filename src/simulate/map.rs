//! MAP: direct rows copy or rename a field, transform rows set a field to what a JavaScript
//! formula returns (over `value`, the source field's value, and `event`, the event as the MAP
//! received it), `excludedFields` are dropped, `targetType` is coerced. Formulas run in the
//! task's own JavaScript context ([`super::js`]).

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::js::{Failure, Func, Js};
use super::{number_of, number_value, text_of, Context, OperatorCount, SimError, Step};

/// One row.
struct Row {
    /// The field read (`None`: a transform row without one; its `value` is `undefined`).
    source: Option<String>,
    target: String,
    target_type: Option<String>,
    /// A transform row's formula: its index in [`MapStep::funcs`].
    formula: Option<usize>,
}

/// The rows of a MAP, plain data (shared by threads when the MAP has no JavaScript).
struct Rows {
    excluded: Vec<String>,
    rows: Vec<Row>,
    /// Sources renamed away: dropped from the event unless a row also keeps them by name.
    renamed: Vec<String>,
}

/// A compiled MAP task.
pub(super) struct MapStep {
    rows: Rows,
    /// The transform rows' compiled formulas.
    funcs: Vec<Func>,
    /// The task's JavaScript, when it has a transform row. Last: the formulas belong to its
    /// runtime and are dropped first.
    js: Option<Js>,
}

impl MapStep {
    pub(super) fn new(
        meta: &Map<String, Value>,
        task: &str,
        ctx: &Context,
    ) -> Result<MapStep, SimError> {
        let excluded = super::str_list(meta, "excludedFields")
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        let mut funcs = Vec::new();
        let mut js = None;
        let empty = Vec::new();
        let list = meta
            .get("mapFields")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let config = |message: String| SimError::Config {
            task: task.to_string(),
            message,
        };
        for (k, row) in list.iter().enumerate() {
            let s = |key: &str| row.get(key).and_then(Value::as_str);
            let source = s("sourceField").map(str::to_string);
            let Some(target) = s("targetField").or(s("sourceField")) else {
                return Err(config(format!(
                    "mapFields[{k}] has neither a targetField nor a sourceField"
                )));
            };
            let kind = s("transformType").unwrap_or("direct");
            let formula = if kind.eq_ignore_ascii_case("direct") {
                if source.is_none() {
                    return Err(config(format!(
                        "mapFields[{k}] is a direct row without a sourceField"
                    )));
                }
                None
            } else if kind.eq_ignore_ascii_case("transform") {
                let Some(formula) = s("formula").filter(|f| !f.trim().is_empty()) else {
                    return Err(config(format!(
                        "mapFields[{k}] ({target}) is a transform row without a formula"
                    )));
                };
                let engine = match &mut js {
                    Some(engine) => &*engine,
                    slot @ None => &*slot.insert(Js::new(task, &ctx.script_limits)?),
                };
                funcs.push(compile(engine, formula).map_err(|e| match e {
                    Failure::Limit(e) => e,
                    Failure::Thrown(m) => config(format!(
                        "the formula of mapFields[{k}] ({target}) does not compile: {m}"
                    )),
                })?);
                Some(funcs.len() - 1)
            } else {
                return Err(config(format!(
                    "mapFields[{k}] has transformType {kind:?}; use direct or transform"
                )));
            };
            rows.push(Row {
                source,
                target: target.to_string(),
                target_type: s("targetType").map(str::to_ascii_lowercase),
                formula,
            });
        }
        let renamed = rows
            .iter()
            .filter_map(|r| r.source.as_ref().filter(|src| **src != r.target))
            .filter(|src| !rows.iter().any(|r| &r.target == *src))
            .cloned()
            .collect();
        Ok(MapStep {
            rows: Rows {
                excluded,
                rows,
                renamed,
            },
            funcs,
            js,
        })
    }

    /// Maps one event: its formulas first, in the task's JavaScript context, then the rows.
    fn apply(&self, event: Value) -> Result<Value, Failure> {
        let results = match &self.js {
            Some(js) if event.is_object() => self.formulas(js, &event)?,
            _ => Vec::new(),
        };
        self.rows.apply(event, results)
    }

    /// Each transform row's result on `event`, in row order (`None`: `undefined`, which sets
    /// nothing, as a missing source field does).
    fn formulas(&self, js: &Js, event: &Value) -> Result<Vec<Option<Value>>, Failure> {
        js.run(|scope| {
            let ev = scope.json(Some(event))?;
            let mut out = Vec::new();
            for row in &self.rows.rows {
                let Some(f) = row.formula.map(|i| &self.funcs[i]) else {
                    continue;
                };
                let value = match &row.source {
                    Some(src) => scope.field(&ev, src)?,
                    None => scope.json(None)?,
                };
                let result = scope.call(f, value, ev.clone()).map_err(|e| match e {
                    Failure::Thrown(m) => {
                        Failure::Thrown(format!("the formula for {} failed: {m}", row.target))
                    }
                    limit => limit,
                })?;
                out.push(result);
            }
            Ok(out)
        })
    }
}

impl Rows {
    /// Maps one event, given its transform rows' `results` in row order. `Failure::Thrown` is
    /// the event's error (a formula threw, a value `targetType` cannot hold).
    fn apply(&self, mut event: Value, results: Vec<Option<Value>>) -> Result<Value, Failure> {
        if !event.is_object() {
            return Ok(event);
        }
        let mut results = results.into_iter();
        let mut set = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            if row.formula.is_some() {
                if let Some(v) = results.next().flatten() {
                    let value = coerce(&v, row.target_type.as_deref()).map_err(|why| {
                        Failure::Thrown(format!("{} (from its formula) is {v}, {why}", row.target))
                    })?;
                    set.push((&row.target, value));
                }
            } else if let Some(src) = &row.source {
                if let Some(v) = super::field(&event, src) {
                    let value = coerce(v, row.target_type.as_deref())
                        .map_err(|why| Failure::Thrown(format!("{src} is {v}, {why}")))?;
                    set.push((&row.target, value));
                }
            }
        }
        let Some(obj) = event.as_object_mut() else {
            return Ok(event);
        };
        for f in self.excluded.iter().chain(&self.renamed) {
            obj.remove(f);
        }
        for (target, v) in set {
            obj.insert(target.clone(), v);
        }
        Ok(event)
    }
}

/// Compiles a formula: an expression (what Zuora's examples show, `value.toUpperCase()`), or,
/// when that does not compile, a function body with `return` (`var v = value; return v * 2;`).
fn compile(js: &Js, formula: &str) -> Result<Func, Failure> {
    let expression = formula.trim().trim_end_matches(';');
    let as_expression = format!("(function (value, event) {{ return (\n{expression}\n); }})");
    match js.function(&as_expression) {
        Ok(Some(f)) => Ok(f),
        Err(Failure::Thrown(first)) => {
            let as_body = format!("(function (value, event) {{\n{formula}\n}})");
            match js.function(&as_body) {
                Ok(Some(f)) => Ok(f),
                Err(Failure::Limit(e)) => Err(Failure::Limit(e)),
                _ => Err(Failure::Thrown(first)),
            }
        }
        Err(limit) => Err(limit),
        Ok(None) => Err(Failure::Thrown("it is not an expression".into())),
    }
}

/// Coerces a value to a `targetType` (`string`/`text`, `number`/`long`/`integer`/`double`/
/// `decimal`, `boolean`); other or no type: unchanged. `null` stays `null`.
fn coerce(v: &Value, target_type: Option<&str>) -> Result<Value, &'static str> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(match target_type {
        Some("string" | "text") => Value::String(text_of(Some(v)).unwrap_or_default().into_owned()),
        Some("number" | "long" | "integer" | "int" | "double" | "decimal" | "float") => {
            match (v, number_of(v)) {
                (Value::Number(_), _) => v.clone(),
                (_, Some(f)) => number_value(f),
                _ => return Err("which is not a number"),
            }
        }
        Some("boolean" | "bool") => match v {
            Value::Bool(_) => v.clone(),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err("which is not true or false"),
        },
        _ => v.clone(),
    })
}

impl Step for MapStep {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        if self.js.is_none() {
            // Direct rows only: events are independent, so a chunk is mapped in parallel,
            // then counted in order.
            let rows = &self.rows;
            let mapped: Vec<Result<Value, Failure>> = events
                .into_par_iter()
                .with_min_len(super::PAR_MIN)
                .map(|e| rows.apply(e, Vec::new()))
                .collect();
            for event in mapped {
                match event {
                    Ok(e) => out.push(e),
                    Err(Failure::Thrown(message)) => count.error(message),
                    Err(Failure::Limit(e)) => return Err(e),
                }
            }
            return Ok(out);
        }
        // Formulas run one event at a time in the task's JavaScript context; a limit stops
        // the run at once.
        for event in events {
            match self.apply(event) {
                Ok(e) => out.push(e),
                Err(Failure::Thrown(message)) => count.error(message),
                Err(Failure::Limit(e)) => return Err(e),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(meta: Value) -> Result<MapStep, SimError> {
        MapStep::new(meta.as_object().unwrap(), "m", &Context::default())
    }

    #[test]
    fn direct_rows_copy_rename_and_exclude() {
        let m = step(json!({"excludedFields": ["Phone"], "mapFields": [
            {"sourceField": "Id", "targetField": "Id", "transformType": "direct"},
            {"sourceField": "Segments", "targetField": "Quantity", "transformType": "direct",
             "targetType": "number"},
            {"sourceField": "Id", "targetField": "UniqueId", "transformType": "direct"}
        ]}))
        .unwrap();
        let out = m
            .apply(json!({"Id": "m1", "Phone": "+49", "Segments": "2", "Other": true}))
            .unwrap();
        assert_eq!(
            out,
            json!({"Id": "m1", "Other": true, "Quantity": 2, "UniqueId": "m1"})
        );
    }

    #[test]
    fn target_types_are_coerced_and_a_bad_value_is_an_error() {
        let m = step(json!({"mapFields": [
            {"sourceField": "q", "targetField": "q", "targetType": "Number"},
            {"sourceField": "n", "targetField": "n", "targetType": "Text"},
            {"sourceField": "b", "targetField": "b", "targetType": "boolean"}
        ]}))
        .unwrap();
        assert_eq!(
            m.apply(json!({"q": "1.5", "n": 7, "b": "TRUE"})).unwrap(),
            json!({"q": 1.5, "n": "7", "b": true})
        );
        let err = m.apply(json!({"q": "lots"})).unwrap_err();
        assert_eq!(
            err,
            Failure::Thrown("q is \"lots\", which is not a number".into())
        );
    }

    #[test]
    fn a_formula_reads_value_and_event_and_its_result_is_coerced() {
        let m = step(json!({"excludedFields": ["Phone"], "mapFields": [
            {"sourceField": "Country", "targetField": "Country", "transformType": "transform",
             "formula": "value.toUpperCase()", "targetType": "string"},
            {"targetField": "Charge", "transformType": "transform", "targetType": "string",
             "formula": "event.Country === \"us\" ? \"SMS North America\" : \"SMS International\""},
            {"sourceField": "Price", "targetField": "Amount", "transformType": "transform",
             "formula": "value * event.Qty;", "targetType": "number"},
            {"sourceField": "Qty", "targetField": "Label", "transformType": "transform",
             "formula": "var n = value + 1;\nreturn 'n' + n;"}
        ]}))
        .unwrap();
        let out = m
            .apply(json!({"Country": "us", "Phone": "+1", "Price": "2.5", "Qty": 4, "Id": "m1"}))
            .unwrap();
        // Transforms from Price to Amount and from Qty to Label rename their sources away, as
        // direct rows would; every formula sees the event as the MAP received it.
        assert_eq!(
            out,
            json!({"Country": "US", "Id": "m1", "Charge": "SMS North America",
                   "Amount": 10, "Label": "n5"})
        );
        // Strings and numbers pass through a formula as they are.
        let echo = step(json!({"mapFields": [
            {"sourceField": "s", "targetField": "s2", "transformType": "transform", "formula": "value"},
            {"sourceField": "f", "targetField": "f2", "transformType": "transform", "formula": "value"},
            {"sourceField": "big", "targetField": "big2", "transformType": "transform", "formula": "value"},
            {"sourceField": "o", "targetField": "o2", "transformType": "transform", "formula": "value"}
        ]}))
        .unwrap();
        let out = echo
            .apply(json!({"s": " 007 ", "f": 0.1, "big": 9007199254740991_i64, "o": {"a": [1, "x", null]}}))
            .unwrap();
        assert_eq!(
            out,
            json!({"s2": " 007 ", "f2": 0.1, "big2": 9007199254740991_i64, "o2": {"a": [1, "x", null]}})
        );
    }

    #[test]
    fn a_formula_that_throws_or_gives_a_bad_value_is_an_error_of_the_event() {
        let m = step(json!({"mapFields": [
            {"sourceField": "c", "targetField": "c", "transformType": "transform",
             "formula": "value.toUpperCase()"},
            {"sourceField": "n", "targetField": "n", "transformType": "transform",
             "formula": "value * 2", "targetType": "number"}
        ]}))
        .unwrap();
        let Err(Failure::Thrown(message)) = m.apply(json!({"n": 1})) else {
            panic!("a formula on a missing field throws")
        };
        assert!(
            message.starts_with("the formula for c failed: TypeError: "),
            "{message}"
        );
        let Err(Failure::Thrown(message)) = m.apply(json!({"c": "x", "n": "lots"})) else {
            panic!("NaN is not a result")
        };
        assert_eq!(
            message,
            "the formula for n failed: the result is NaN, not a finite number"
        );
        // A formula that returns undefined sets nothing, as a missing source field does.
        let u = step(
            json!({"mapFields": [{"targetField": "t", "transformType": "transform",
            "formula": "event.missing"}]}),
        )
        .unwrap();
        assert_eq!(u.apply(json!({"a": 1})).unwrap(), json!({"a": 1}));
        let bad = step(
            json!({"mapFields": [{"targetField": "t", "transformType": "transform",
            "formula": "value +* 2"}]}),
        )
        .err()
        .unwrap();
        assert!(
            bad.to_string().starts_with(
                "task m: the formula of mapFields[0] (t) does not compile: SyntaxError"
            ),
            "{bad}"
        );
    }

    #[test]
    fn a_runaway_formula_stops_the_run_within_its_time_limit() {
        let ctx = Context {
            script_limits: super::super::ScriptLimits {
                time: std::time::Duration::from_millis(200),
                ..Default::default()
            },
            ..Context::default()
        };
        let m = MapStep::new(
            json!({"mapFields": [{"targetField": "t", "transformType": "transform",
                "formula": "(function () { while (true) { try { while (true) {} } catch (e) {} } })()"}]})
            .as_object()
            .unwrap(),
            "\"Tag\" (m1)",
            &ctx,
        )
        .unwrap();
        let started = std::time::Instant::now();
        let Err(Failure::Limit(err)) = m.apply(json!({"a": 1})) else {
            panic!("the loop is stopped")
        };
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(
            err.to_string(),
            "script in task \"Tag\" (m1) exceeded its 200 ms time limit"
        );
    }
}
