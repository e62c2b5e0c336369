//! `meterctl simulate`: runs a meter version's pipeline locally over events from a file and
//! prints what each sink receives (the library's [`meterctl::simulate`] engine).

use anyhow::Context;
use serde_json::{json, Value};

use super::{Outcome, Shell};
use crate::cli::{SimulateArgs, SimulateFormat};
use meterctl::fsutil::display;
use meterctl::model::{graph, keys};

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
    let bytes = std::fs::read(&args.events)
        .with_context(|| format!("cannot read {}", display(&args.events)))?;
    let name = args.events.to_string_lossy().into_owned();
    let mut events = meterctl::events::parse_events(&name, &bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", display(&args.events)))?;
    if let Some(schema) = graph::event_schema(meter, Some(version)) {
        meterctl::events::coerce_to_schema(&mut events, schema);
    }
    let sim = meterctl::simulate::run(version, &Default::default(), vec![events])
        .map_err(|e| anyhow::anyhow!("cannot simulate {}: {e}", display(&args.meter)))?;
    match args.format {
        SimulateFormat::Json => out.print_json(&serde_json::to_value(&sim)?)?,
        SimulateFormat::Ndjson => {
            let mut text = String::new();
            for sink in &sim.sinks {
                for record in &sink.records {
                    text.push_str(&json!({"sink": sink.task, "record": record}).to_string());
                    text.push('\n');
                }
                for e in &sink.errors {
                    let line = json!({"sink": sink.task, "record": e.record, "error": e.error});
                    text.push_str(&line.to_string());
                    text.push('\n');
                }
            }
            out.print(&text)?;
        }
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
