//! `meterctl simulate`: runs a meter version's pipeline locally over events from a file and
//! prints what each sink receives (the library's [`meterctl::simulate`] engine). NDJSON input is
//! read in chunks on a thread of its own while the engine runs the previous chunk; with
//! `--format ndjson` the sinks' records are written out as each chunk produces them.

use anyhow::Context;
use serde_json::Value;

use super::{Outcome, Shell};
use crate::cli::{SimulateArgs, SimulateFormat};
use meterctl::events::{self, NdjsonChunks};
use meterctl::fsutil::display;
use meterctl::model::graph;
use meterctl::report;
use meterctl::simulate::{Engine, SinkOutput};

/// Chunks parsed ahead of the engine: memory holds at most this many plus two.
const READ_AHEAD: usize = 2;

pub(super) fn run(args: SimulateArgs, out: Shell) -> anyhow::Result<Outcome> {
    let doc = meterctl::load::load_file(&args.meter).map_err(|d| anyhow::anyhow!("{d}"))?;
    let meter = &doc.value;
    let version = graph::chosen_version(meter, args.meter_version.as_deref()).map_err(
        |missing| match missing {
            Some(v) => anyhow::anyhow!(
                "{} has no version {v}; give one of its versions with --version",
                display(&args.meter)
            ),
            None => anyhow::anyhow!("{} has no versions to simulate", display(&args.meter)),
        },
    )?;
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
        SimulateFormat::Table => out.print(&report::simulate::table(&sim.sinks))?,
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

/// Writes what the sinks received (`--format ndjson`), when there is anything.
fn print_records(out: &Shell, sinks: &[SinkOutput]) -> anyhow::Result<()> {
    let text = report::simulate::ndjson(sinks);
    if !text.is_empty() {
        out.print(&text)?;
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
