//! Usage events in files: what `meter test --data` sends as `testData` and what the sandbox reads
//! from an uploaded input file. JSON (an array of objects, or one object), NDJSON (one object per
//! line) and CSV with a header row (every value a string, as in the file). The format comes from
//! the file name's extension; without a known one the content decides.

use serde_json::{Map, Value};

/// Parses the events in a file's bytes; `name` is the file name (for its extension).
pub fn parse_events(name: &str, bytes: &[u8]) -> Result<Vec<Value>, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "the file is not UTF-8 text".to_string())?
        .trim_start_matches('\u{feff}');
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => parse_csv(text),
        "ndjson" | "jsonl" => parse_ndjson(text),
        "json" => parse_json(text),
        _ => {
            let t = text.trim_start();
            if t.starts_with('[') {
                parse_json(text)
            } else if t.starts_with('{') {
                parse_json(text).or_else(|_| parse_ndjson(text))
            } else {
                parse_csv(text)
            }
        }
    }
}

fn parse_json(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text).map_err(|e| format!("invalid JSON: {e}"))? {
        Value::Array(items) => Ok(items),
        v @ Value::Object(_) => Ok(vec![v]),
        _ => Err("expected a JSON array of events or one event object".into()),
    }
}

fn parse_ndjson(text: &str) -> Result<Vec<Value>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("line {}: invalid JSON: {e}", i + 1))
        })
        .collect()
}

fn parse_csv(text: &str) -> Result<Vec<Value>, String> {
    let rows = csv_rows(text)?;
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Ok(Vec::new());
    };
    rows.enumerate()
        .filter(|(_, r)| !(r.len() == 1 && r[0].is_empty()))
        .map(|(i, r)| {
            if r.len() != header.len() {
                return Err(format!(
                    "CSV row {}: {} values for {} columns",
                    i + 2,
                    r.len(),
                    header.len()
                ));
            }
            let mut obj = Map::new();
            for (k, v) in header.iter().zip(r) {
                obj.insert(k.clone(), Value::String(v));
            }
            Ok(Value::Object(obj))
        })
        .collect()
}

/// RFC 4180 rows: quoted fields may hold commas, quotes (`""`) and line breaks.
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err("CSV: unterminated quoted field".into());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// Gives CSV values the types the event schema declares (`integer`, `number`, `boolean`) and
/// drops empty cells, so events read from a CSV file look like those from JSON. Values that do
/// not parse as the declared type are left as they are, for Zuora to judge.
pub fn coerce_to_schema(events: &mut [Value], schema: &Value) {
    let Some(props) = schema["properties"].as_object() else {
        return;
    };
    for event in events.iter_mut().filter_map(Value::as_object_mut) {
        event.retain(|_, v| v != "");
        for (key, value) in event.iter_mut() {
            let (Some(text), Some(ty)) = (value.as_str(), props.get(key).map(|p| &p["type"]))
            else {
                continue;
            };
            let typed = match ty.as_str() {
                Some("integer") => text.trim().parse::<i64>().ok().map(Value::from),
                Some("number") => text
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .ok()
                    .or_else(|| {
                        text.trim()
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map(Value::Number)
                    }),
                Some("boolean") => match text.trim() {
                    "true" | "TRUE" | "True" => Some(Value::Bool(true)),
                    "false" | "FALSE" | "False" => Some(Value::Bool(false)),
                    _ => None,
                },
                _ => None,
            };
            if let Some(t) = typed {
                *value = t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats() {
        assert_eq!(
            parse_events("a.json", br#"[{"q": 1}, {"q": 2}]"#)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(parse_events("a.json", br#"{"q": 1}"#).unwrap().len(), 1);
        assert_eq!(
            parse_events("a.ndjson", b"{\"q\": 1}\n\n{\"q\": 2}\n").unwrap(),
            [json!({"q": 1}), json!({"q": 2})]
        );
        assert_eq!(
            parse_events("a.csv", b"id,note\r\n1,\"a, \"\"b\"\"\"\n2,x\n").unwrap(),
            [
                json!({"id": "1", "note": "a, \"b\""}),
                json!({"id": "2", "note": "x"})
            ]
        );
        assert!(parse_events("a.csv", b"a,b\n1\n").is_err());
        assert_eq!(
            parse_events("noext", b"{\"a\":1}\n{\"a\":2}")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn csv_values_take_the_schema_types() {
        let mut events =
            parse_events("a.csv", b"n,x,ok,s,e\n3,1.5,true,7,\nz,2,maybe,8,\n").unwrap();
        let schema = json!({"properties": {"n": {"type": "integer"}, "x": {"type": "number"},
            "ok": {"type": "boolean"}, "s": {"type": "string"}, "e": {"type": "string"}}});
        coerce_to_schema(&mut events, &schema);
        assert_eq!(events[0], json!({"n": 3, "x": 1.5, "ok": true, "s": "7"}));
        assert_eq!(
            events[1],
            json!({"n": "z", "x": 2, "ok": "maybe", "s": "8"})
        );
    }
}
