//! `meterctl simulate`: runs a meter version's pipeline locally over events from a file and
//! prints what each sink receives (the library's [`meterctl::simulate`] engine). NDJSON input is
//! read in chunks on a thread of its own while the engine runs the previous chunk; with
//! `--format ndjson` the sinks' records are written out as each chunk produces them.

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::{Outcome, Shell};
use crate::cli::{SimulateArgs, SimulateFormat};
use meterctl::events::{self, NdjsonChunks};
use meterctl::fsutil::display;
use meterctl::model::{graph, keys};
use meterctl::simulate::{Engine, SinkOutput};

/// Chunks parsed ahead of the engine: memory holds at most this many plus two.
const READ_AHEAD: usize = 2;

pub(super) fn run(args: SimulateArgs, out: Shell) -> anyhow::Result<Outcome> {
    let doc = meterctl::load::load_file(&args.meter).map_err(|d| anyhow::anyhow!("{d}"))?;
    let meter = &doc.value;
    let wanted = args
        .meter_version
        .as_deref()
        .or_else(|| meter.get(keys::LATEST_VERSION).and_then(Value::as_str));
    let version = match wanted {
        Some(v) => graph::version(meter, v).with_context(|| {
            format!(
                "{} has no version {v}; give one of its versions with --version",
                display(&args.meter)
            )
        })?,
        None => graph::versions(meter)
            .last()
            .with_context(|| format!("{} has no versions to simulate", display(&args.meter)))?,
    };
    let cannot = |e: meterctl::simulate::SimError| {
        anyhow::anyhow!("cannot simulate {}: {e}", display(&args.meter))
    };
    let ctx = meterctl::simulate::Context {
        lookups: match &args.lookups {
            Some(path) => lookup_tables(path)?,
            None => Default::default(),
        },
        ..Default::default()
    };
    let mut engine = Engine::new(version, &ctx).map_err(cannot)?;
    let schema = graph::event_schema(meter, Some(version));
    let name = args.events.to_string_lossy().into_owned();
    let cannot_read = || format!("cannot read {}", display(&args.events));
    let chunks: Box<dyn Iterator<Item = Result<Vec<Value>, String>>> = if events::is_ndjson(&name) {
        let file = std::fs::File::open(&args.events).with_context(cannot_read)?;
        let reader = NdjsonChunks::new(file).schema(schema.cloned());
        Box::new(events::read_ahead(reader, READ_AHEAD))
    } else {
        // JSON and CSV files are read whole.
        let bytes = std::fs::read(&args.events).with_context(cannot_read)?;
        let mut events = events::parse_events(&name, &bytes);
        if let (Ok(events), Some(schema)) = (&mut events, schema) {
            events::coerce_to_schema(events, schema);
        }
        Box::new(std::iter::once(events))
    };
    let stream = matches!(args.format, SimulateFormat::Ndjson);
    for chunk in chunks {
        let events = chunk.map_err(|e| anyhow::anyhow!("{}: {e}", display(&args.events)))?;
        engine.push(events).map_err(cannot)?;
        if stream {
            print_records(&out, &engine.drain_sinks())?;
        }
    }
    let sim = engine.finish().map_err(cannot)?;
    match args.format {
        SimulateFormat::Json => out.print_json(&serde_json::to_value(&sim)?)?,
        SimulateFormat::Ndjson => print_records(&out, &sim.sinks)?,
        SimulateFormat::Table => out.print(&table(&sim.sinks))?,
    }
    for c in &sim.operators {
        out.detail(&format!(
            "{} ({}): {} in, {} out, {} errors",
            c.name.as_deref().unwrap_or(&c.task),
            c.operator,
            c.input,
            c.output,
            c.errors
        ));
    }
    Ok(Outcome::Clean)
}

/// `--format table`: per sink a heading and a table whose columns are the fields of its records
/// in first-seen order; error records are marked `!` and carry their error in a last column.
fn table(sinks: &[meterctl::simulate::SinkOutput]) -> String {
    use unicode_width::UnicodeWidthStr;

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

/// Writes what the sinks received, one line per record: each sink's records, then its errors.
fn print_records(out: &Shell, sinks: &[SinkOutput]) -> anyhow::Result<()> {
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
            serde_json::to_writer(&mut text, &line)?;
            text.push(b'\n');
        }
    }
    if !text.is_empty() {
        out.print(&String::from_utf8(text)?)?;
    }
    Ok(())
}

/// The tables of `--lookups FILE`: the file's mapping, or its `lookups:` when it is a test case.
pub(super) fn lookup_tables(
    path: &std::path::Path,
) -> anyhow::Result<serde_json::Map<String, Value>> {
    let shown = meterctl::fsutil::display(path);
    let (bytes, format) = meterctl::load::read_file(path).map_err(|d| anyhow::anyhow!("{d}"))?;
    let value = match format {
        meterctl::load::Format::Json => {
            serde_json::from_slice::<Value>(&bytes).map_err(|e| anyhow::anyhow!("{e}"))
        }
        meterctl::load::Format::Yaml => std::str::from_utf8(&bytes)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .and_then(|t| meterctl::yaml::parse_value(t).map_err(|e| anyhow::anyhow!("{e}"))),
    }
    .with_context(|| format!("{shown}: cannot read the lookup tables"))?;
    let tables = match value.get("lookups") {
        Some(inner) => inner.clone(),
        None => value,
    };
    match tables {
        Value::Object(tables) => Ok(tables),
        other => anyhow::bail!(
            "{shown}: the lookup tables must be a mapping of table names to rows, such as `subscriptions: [...]`, not {}",
            match other {
                Value::Array(_) => "a list",
                Value::Null => "empty",
                _ => "a single value",
            }
        ),
    }
}
