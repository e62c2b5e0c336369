//! Usage events in files: what `meter test --data` sends as `testData` and what the sandbox reads
//! from an uploaded input file. JSON (an array of objects, or one object), NDJSON (one object per
//! line) and CSV with a header row (every value a string, as in the file). The format comes from
//! the file name's extension; without a known one the content decides.

use std::io::Read;

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

/// CSV with a header row, read by the `csv` crate (RFC 4180: quoted fields may hold commas,
/// quotes written `""` and line breaks; blank lines are skipped). A row whose number of values
/// differs from the header's is refused with its line number.
fn parse_csv(text: &str) -> Result<Vec<Value>, String> {
    // The csv crate reads a quoted field that is never closed to the end of the file without
    // complaint, silently swallowing every later row. A sentinel record after the text tells:
    // it is read as a record of its own only when every quote was closed.
    const SENTINEL: &[u8] = b"\n\0";
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes().chain(SENTINEL));
    let mut header: Option<csv::StringRecord> = None;
    let mut events = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| format!("CSV: {e}"))?;
        let Some(pos) = record.position() else {
            continue; // a reader always sets it
        };
        // The position is where the reader started looking, before any blank lines.
        let rest = &text[(pos.byte() as usize).min(text.len())..];
        let body = rest.trim_start_matches(['\r', '\n']);
        if body.is_empty() {
            return Ok(events); // the sentinel
        }
        let line = pos.line() + rest[..rest.len() - body.len()].matches('\n').count() as u64;
        last_line = line;
        let Some(columns) = &header else {
            header = Some(record);
            continue;
        };
        if record.len() != columns.len() {
            return Err(format!(
                "CSV line {line}: {} values, but the header row names {} columns",
                record.len(),
                columns.len()
            ));
        }
        let event = columns
            .iter()
            .zip(&record)
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect::<Map<_, _>>();
        events.push(Value::Object(event));
    }
    Err(format!(
        "CSV line {last_line}: a quoted field is never closed; end it with a \" (write \"\" for a quote inside it)"
    ))
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

    fn csv(text: &str) -> Result<Vec<Value>, String> {
        parse_events("events.csv", text.as_bytes())
    }

    #[test]
    fn csv_quoted_fields_hold_commas_quotes_and_line_breaks() {
        assert_eq!(
            csv("id,note\n1,\"a, \"\"b\"\"\"\n2,\"two\r\nlines\"\n3,\"\"\n").unwrap(),
            [
                json!({"id": "1", "note": "a, \"b\""}),
                json!({"id": "2", "note": "two\r\nlines"}),
                json!({"id": "3", "note": ""})
            ]
        );
        // A quote inside an unquoted value is kept as written (27" monitor).
        assert_eq!(
            csv("id,item\n1,27\" monitor").unwrap(),
            [json!({"id": "1", "item": "27\" monitor"})]
        );
    }

    #[test]
    fn csv_bom_blank_lines_and_line_endings() {
        let want = [json!({"a": "1", "b": "2"}), json!({"a": "3", "b": "4"})];
        assert_eq!(csv("\u{feff}a,b\r\n1,2\r\n3,4\r\n").unwrap(), want);
        assert_eq!(csv("a,b\n\n1,2\n\n\n3,4\n\n").unwrap(), want);
        assert_eq!(csv("a,b\n1,2\n3,4").unwrap(), want);
        assert_eq!(csv("").unwrap(), Vec::<Value>::new());
        assert_eq!(csv("a,b\n").unwrap(), Vec::<Value>::new());
        // Without an extension, content that is not JSON is read as CSV, BOM and all.
        assert_eq!(
            parse_events("events", "\u{feff}a,b\n1,2\n3,4\n".as_bytes()).unwrap(),
            want
        );
    }

    #[test]
    fn csv_ragged_rows_name_their_line() {
        assert_eq!(
            csv("a,b\n1,2\n3\n").unwrap_err(),
            "CSV line 3: 1 values, but the header row names 2 columns"
        );
        // Lines, not rows: a quoted line break and blank lines count.
        assert_eq!(
            csv("a,b\n1,\"x\ny\"\n\n4,5,6\n").unwrap_err(),
            "CSV line 5: 3 values, but the header row names 2 columns"
        );
    }

    #[test]
    fn csv_unclosed_quote_is_refused_not_swallowed() {
        // In the last column it would swallow every later row without a ragged row to tell.
        let err = csv("id,note\n1,ok\n2,\"oops\n3,x\n4,y\n").unwrap_err();
        assert!(
            err.starts_with("CSV line 3: a quoted field is never closed"),
            "{err}"
        );
        assert!(csv("id,note\n1,\"").is_err());
        assert!(csv("\"id,note\n").is_err());
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
