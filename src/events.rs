//! Usage events in files: what `meter test --data` sends as `testData` and what the sandbox reads
//! from an uploaded input file. JSON (an array of objects, or one object), NDJSON (one object per
//! line) and CSV with a header row (every value a string, as in the file). The format comes from
//! the file name's extension; without a known one the content decides.
//!
//! NDJSON can also be read as a stream ([`NdjsonChunks`]): a block of bytes at a time, cut at
//! its last line break, its lines parsed in parallel, so memory holds a few chunks, never the
//! file; [`read_ahead`] runs such a reader on its own thread, ahead of whoever consumes it.

use std::io::Read;
use std::sync::mpsc;
use std::thread;

use rayon::prelude::*;
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
    let mut events = Vec::new();
    for chunk in NdjsonChunks::new(text.as_bytes()) {
        events.extend(chunk?);
    }
    Ok(events)
}

/// Whether a file name says NDJSON (`.ndjson`, `.jsonl`), the format [`NdjsonChunks`] streams.
pub fn is_ndjson(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"))
}

/// How many bytes of NDJSON one chunk holds by default: about 2,500 events of 200 bytes. Measured
/// on 2 cores, 1M events: 512 KiB 1.71–1.94 s, 256 KiB 1.81–1.92 s, 1 MiB 2.01–2.29 s, 4 MiB
/// 2.48–2.58 s (smaller chunks keep both cores busy; larger ones wait on each other).
pub const CHUNK_BYTES: usize = 1 << 19;

/// NDJSON events read from a byte stream a chunk at a time. Each item is the events of one block
/// of about [`CHUNK_BYTES`] bytes (cut after its last line break, so no line is split; a longer
/// line makes a longer block), parsed in parallel and in file order. Blank lines are skipped; an
/// error names its line (`line 7: invalid JSON: …`) and ends the stream. With
/// [`NdjsonChunks::schema`], every event is typed by [`coerce_to_schema`] as it is parsed.
pub struct NdjsonChunks<R> {
    reader: R,
    /// Bytes read but not yet parsed: the start of a line whose end is still to come.
    carry: Vec<u8>,
    /// Lines before `carry`.
    lines: usize,
    chunk_bytes: usize,
    schema: Option<Value>,
    started: bool,
    done: bool,
}

impl<R: Read> NdjsonChunks<R> {
    /// A reader of `reader` in chunks of [`CHUNK_BYTES`].
    pub fn new(reader: R) -> NdjsonChunks<R> {
        NdjsonChunks {
            reader,
            carry: Vec::new(),
            lines: 0,
            chunk_bytes: CHUNK_BYTES,
            schema: None,
            started: false,
            done: false,
        }
    }

    /// Chunks of about `bytes` bytes instead (at least one).
    pub fn chunk_bytes(mut self, bytes: usize) -> NdjsonChunks<R> {
        self.chunk_bytes = bytes.max(1);
        self
    }

    /// Types each event by an event schema ([`coerce_to_schema`]) as it is parsed.
    pub fn schema(mut self, schema: Option<Value>) -> NdjsonChunks<R> {
        self.schema = schema;
        self
    }

    /// Reads the next block: whole lines, or the rest of the input at its end (`None`: nothing
    /// left).
    fn block(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut block = std::mem::take(&mut self.carry);
        let mut want = self.chunk_bytes;
        loop {
            let before = block.len();
            let more = want.saturating_sub(before).max(1) as u64;
            (&mut self.reader)
                .take(more)
                .read_to_end(&mut block)
                .map_err(|e| format!("cannot read the events: {e}"))?;
            if block.len() - before < more as usize {
                // The end of the input.
                return Ok((!block.is_empty()).then_some(block));
            }
            if let Some(cut) = block[before..].iter().rposition(|&b| b == b'\n') {
                self.carry = block.split_off(before + cut + 1);
                return Ok(Some(block));
            }
            // No line break yet: a line longer than a block.
            want = block.len() + self.chunk_bytes;
        }
    }

    fn parse(&mut self, block: &[u8]) -> Result<Vec<Value>, String> {
        let first = self.lines + 1;
        let mut text = std::str::from_utf8(block).map_err(|e| {
            let line = first
                + block[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
            format!("line {line}: the line is not UTF-8 text")
        })?;
        if !self.started {
            self.started = true;
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        self.lines += block.iter().filter(|&&b| b == b'\n').count();
        let schema = self.schema.as_ref();
        let parsed: Vec<Result<Value, serde_json::Error>> = lines
            .par_iter()
            .with_min_len(256)
            .map(|(_, l)| {
                let mut event = serde_json::from_str(l)?;
                if let Some(schema) = schema {
                    coerce_to_schema(std::slice::from_mut(&mut event), schema);
                }
                Ok(event)
            })
            .collect();
        parsed
            .into_iter()
            .zip(&lines)
            .map(|(event, (i, _))| {
                event.map_err(|e| format!("line {}: invalid JSON: {e}", first + i))
            })
            .collect()
    }
}

impl<R: Read> Iterator for NdjsonChunks<R> {
    type Item = Result<Vec<Value>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let events = match self.block() {
                Ok(Some(block)) => self.parse(&block),
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => Err(e),
            };
            match events {
                // A block of blank lines: read on.
                Ok(events) if events.is_empty() => continue,
                Ok(events) => return Some(Ok(events)),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// Runs `items` on a thread of its own, at most `depth` items ahead of the consumer, so that
/// producing them (reading and parsing events) overlaps using them (running a pipeline). Memory
/// holds at most `depth + 2` items. A panic on the producing thread is raised again here.
pub fn read_ahead<I>(items: I, depth: usize) -> ReadAhead<I::Item>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(depth);
    let producer = thread::spawn(move || {
        for item in items {
            if tx.send(item).is_err() {
                break; // the consumer stopped
            }
        }
    });
    ReadAhead {
        rx,
        producer: Some(producer),
    }
}

/// The iterator [`read_ahead`] returns.
pub struct ReadAhead<T> {
    rx: mpsc::Receiver<T>,
    producer: Option<thread::JoinHandle<()>>,
}

impl<T> Iterator for ReadAhead<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self.rx.recv() {
            Ok(item) => Some(item),
            Err(_) => {
                if let Some(Err(panic)) = self.producer.take().map(thread::JoinHandle::join) {
                    std::panic::resume_unwind(panic);
                }
                None
            }
        }
    }
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

    /// Every chunk size reads the same events as the whole file, in order.
    #[test]
    fn ndjson_chunks_of_any_size_read_the_same_events() {
        let text = "\u{feff}{\"a\": 1}\r\n\n{\"a\": \"\u{e9}t\u{e9}\", \"long\": \"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n  \n{\"a\": 3}";
        let whole = parse_events("a.ndjson", text.as_bytes()).unwrap();
        assert_eq!(whole.len(), 3);
        for size in [1, 2, 7, 16, 1000] {
            let chunks: Vec<Vec<Value>> = NdjsonChunks::new(text.as_bytes())
                .chunk_bytes(size)
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(chunks.iter().all(|c| !c.is_empty()), "{size}");
            assert_eq!(chunks.concat(), whole, "{size}");
        }
        assert_eq!(NdjsonChunks::new(&b""[..]).count(), 0);
        assert_eq!(NdjsonChunks::new(&b"\n\n"[..]).count(), 0);
    }

    #[test]
    fn ndjson_errors_name_their_line_whatever_the_chunk() {
        let text = "{\"a\": 1}\n\n{\"a\": 2}\n{\"a\": }\n{\"a\": 4}\n{\"a\"\n";
        for size in [1, 5, 1 << 20] {
            let mut chunks = NdjsonChunks::new(text.as_bytes()).chunk_bytes(size);
            let err = chunks.find_map(Result::err).unwrap();
            assert!(err.starts_with("line 4: invalid JSON: "), "{size}: {err}");
            assert!(
                chunks.next().is_none(),
                "the stream ends at its first error"
            );
        }
        let bad = b"{\"a\": 1}\n{\"a\": \"\xff\"}\n";
        let err = NdjsonChunks::new(&bad[..])
            .chunk_bytes(3)
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err, "line 2: the line is not UTF-8 text");
    }

    #[test]
    fn ndjson_chunks_type_events_by_the_schema_and_read_ahead_keeps_order() {
        let text: String = (0..2000)
            .map(|i| format!("{{\"n\": \"{i}\", \"e\": \"\"}}\n"))
            .collect();
        let schema = json!({"properties": {"n": {"type": "integer"}}});
        let chunks = NdjsonChunks::new(std::io::Cursor::new(text.into_bytes()))
            .chunk_bytes(1000)
            .schema(Some(schema));
        let events: Vec<Value> = read_ahead(chunks, 2)
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .concat();
        assert_eq!(events.len(), 2000);
        assert!(events
            .iter()
            .enumerate()
            .all(|(i, e)| *e == json!({"n": i})));
        assert!(is_ndjson("x/Events.NDJSON") && is_ndjson("a.jsonl") && !is_ndjson("a.json"));
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
