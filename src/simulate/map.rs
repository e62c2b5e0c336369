//! MAP: direct rows copy or rename a field, `excludedFields` are dropped, `targetType` is
//! coerced. Transform rows (a JavaScript formula) are not simulated in this step: a task with one
//! is a [`SimError::NotSimulated`] when the pipeline is built.

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::{number_of, number_value, text_of, OperatorCount, SimError, Step};

/// One direct row.
struct Row {
    source: String,
    target: String,
    target_type: Option<String>,
}

/// A compiled MAP task.
pub(super) struct MapStep {
    excluded: Vec<String>,
    rows: Vec<Row>,
    /// Sources renamed away: dropped from the event unless a row also keeps them by name.
    renamed: Vec<String>,
}

impl MapStep {
    pub(super) fn new(meta: &Map<String, Value>, task: &str) -> Result<MapStep, SimError> {
        let excluded = super::str_list(meta, "excludedFields")
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        let empty = Vec::new();
        let list = meta
            .get("mapFields")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        for (k, row) in list.iter().enumerate() {
            let s = |key: &str| row.get(key).and_then(Value::as_str);
            let target = s("targetField").or(s("sourceField")).unwrap_or("");
            let kind = s("transformType").unwrap_or("direct");
            if !kind.eq_ignore_ascii_case("direct") {
                return Err(SimError::NotSimulated {
                    task: task.to_string(),
                    operator: "MAP".into(),
                    what: format!(
                        "JavaScript transform (mapFields[{k}] → {target}: {})",
                        s("formula").unwrap_or("no formula")
                    ),
                });
            }
            let Some(source) = s("sourceField") else {
                return Err(SimError::Config {
                    task: task.to_string(),
                    message: format!("mapFields[{k}] is a direct row without a sourceField"),
                });
            };
            rows.push(Row {
                source: source.to_string(),
                target: target.to_string(),
                target_type: s("targetType").map(str::to_ascii_lowercase),
            });
        }
        let renamed = rows
            .iter()
            .filter(|r| r.source != r.target)
            .map(|r| r.source.clone())
            .filter(|src| !rows.iter().any(|r| &r.target == src))
            .collect();
        Ok(MapStep {
            excluded,
            rows,
            renamed,
        })
    }

    /// Maps one event; `Err` names a value `targetType` cannot hold.
    fn apply(&self, mut event: Value) -> Result<Value, String> {
        let mut set = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            if let Some(v) = super::field(&event, &row.source) {
                set.push((
                    &row.target,
                    coerce(v, row.target_type.as_deref(), &row.source)?,
                ));
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

/// Coerces a value to a `targetType` (`string`/`text`, `number`/`long`/`integer`/`double`/
/// `decimal`, `boolean`); other or no type: unchanged. `null` stays `null`.
fn coerce(v: &Value, target_type: Option<&str>, field: &str) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(match target_type {
        Some("string" | "text") => Value::String(text_of(Some(v)).unwrap_or_default().into_owned()),
        Some("number" | "long" | "integer" | "int" | "double" | "decimal" | "float") => {
            match (v, number_of(v)) {
                (Value::Number(_), _) => v.clone(),
                (_, Some(f)) => number_value(f),
                _ => return Err(format!("{field} is {v}, which is not a number")),
            }
        }
        Some("boolean" | "bool") => match v {
            Value::Bool(_) => v.clone(),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(format!("{field} is {v}, which is not true or false")),
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
        // Events are independent: a chunk is mapped in parallel, then counted in order.
        let this = &*self;
        let mapped: Vec<Result<Value, String>> = events
            .into_par_iter()
            .with_min_len(super::PAR_MIN)
            .map(|e| this.apply(e))
            .collect();
        let mut out = Vec::with_capacity(mapped.len());
        for event in mapped {
            match event {
                Ok(e) => out.push(e),
                Err(message) => count.error(message),
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
        MapStep::new(meta.as_object().unwrap(), "m")
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
        assert_eq!(err, "q is \"lots\", which is not a number");
    }

    #[test]
    fn a_transform_row_is_not_simulated_yet() {
        let err = step(
            json!({"mapFields": [{"sourceField": "c", "targetField": "c",
            "transformType": "transform", "formula": "value.toUpperCase()"}]}),
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "not simulated yet: JavaScript transform (mapFields[0] → c: value.toUpperCase()) in task m (MAP)"
        );
    }
}
