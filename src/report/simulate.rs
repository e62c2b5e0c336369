//! The output formats of `meterctl simulate` beyond JSON: `ndjson` (one line per record a sink
//! receives) and `table` (per sink, its records' fields as columns, for people).

use serde::Serialize;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::simulate::SinkOutput;

/// `--format table`: per sink a heading and a table whose columns are the fields of its records
/// in first-seen order; error records are marked `!` and carry their error in a last column.
pub fn table(sinks: &[SinkOutput]) -> String {
    let cell = |v: Option<&Value>| -> String {
        match v {
            None => String::new(),
            Some(Value::String(s)) if s.is_empty() || s.contains(char::is_control) => {
                Value::String(s.clone()).to_string()
            }
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    };
    let mut text = String::new();
    for (n, sink) in sinks.iter().enumerate() {
        if n > 0 {
            text.push('\n');
        }
        let plural = |k: usize, one: &str| format!("{k} {one}{}", if k == 1 { "" } else { "s" });
        text.push_str(&format!(
            "{} ({}, task {}): {}, {}\n",
            sink.name.as_deref().unwrap_or(&sink.task),
            sink.operator,
            sink.task,
            plural(sink.records.len(), "record"),
            plural(sink.errors.len(), "error")
        ));
        let rows: Vec<(&Value, Option<&str>)> = sink
            .records
            .iter()
            .map(|r| (r, None))
            .chain(
                sink.errors
                    .iter()
                    .map(|e| (&e.record, Some(e.error.as_str()))),
            )
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut columns: Vec<&str> = Vec::new();
        for (record, _) in &rows {
            for key in record.as_object().into_iter().flat_map(|o| o.keys()) {
                if !columns.contains(&key.as_str()) {
                    columns.push(key);
                }
            }
        }
        let errors = !sink.errors.is_empty();
        let mut lines: Vec<Vec<String>> = vec![columns.iter().map(|c| c.to_string()).collect()];
        if errors {
            lines[0].push("error".into());
        }
        for (record, error) in &rows {
            let mut line: Vec<String> = columns.iter().map(|c| cell(record.get(*c))).collect();
            if !record.is_object() {
                line = vec![cell(Some(record))];
            }
            if errors {
                line.resize(columns.len(), String::new());
                line.push(error.unwrap_or("").to_string());
            }
            lines.push(line);
        }
        let mut widths = vec![0; lines[0].len()];
        for line in &lines {
            for (w, c) in widths.iter_mut().zip(line) {
                *w = (*w).max(c.width());
            }
        }
        for (i, line) in lines.iter().enumerate() {
            let marked = i > 0 && rows[i - 1].1.is_some();
            let mut row = String::from(if marked { "! " } else { "  " });
            for (c, w) in line.iter().zip(&widths) {
                row.push_str(c);
                row.push_str(&" ".repeat(w - c.width() + 2));
            }
            text.push_str(row.trim_end());
            text.push('\n');
        }
    }
    text
}

/// One `--format ndjson` line: a record a sink received (with `error` for an error record).
#[derive(Serialize)]
struct Line<'a> {
    sink: &'a str,
    record: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// What the sinks received, one JSON line per record: each sink's records, then its errors.
pub fn ndjson(sinks: &[SinkOutput]) -> String {
    let mut text = Vec::new();
    for sink in sinks {
        let lines = sink.records.iter().map(|record| (record, None));
        let errors = sink
            .errors
            .iter()
            .map(|e| (&e.record, Some(e.error.as_str())));
        for (record, error) in lines.chain(errors) {
            let line = Line {
                sink: &sink.task,
                record,
                error,
            };
            // Serializing JSON values into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut text, &line);
            text.push(b'\n');
        }
    }
    // serde_json writes UTF-8.
    String::from_utf8(text).unwrap_or_default()
}
