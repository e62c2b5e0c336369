//! `meterctl meter test`: a debug session of a meter version on events from a file.

use anyhow::Context;
use meterctl::fsutil::display;
use meterctl::model::graph;
use meterctl::zuora::runs::{resolve_version, scalar, source_processor};
use meterctl::zuora::types::{DebugRequest, DebugSourceOption, RunStatus};

use super::super::{Outcome, Shell};
use crate::cli::{MeterTestArgs, ReportFormat};

pub(super) fn run(args: MeterTestArgs, out: &Shell) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.data)
        .with_context(|| format!("cannot read {}", display(&args.data)))?;
    let name = args.data.to_string_lossy().into_owned();
    let mut events = meterctl::events::parse_events(&name, &bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", display(&args.data)))?;
    let client = super::connect(&args.zuora, out)?;
    let (version, definition) =
        resolve_version(&client, &args.meter_id, args.meter_version.as_deref(), true)?;
    let processor = source_processor(args.processor_id.as_deref(), definition.as_ref(), &version)?;
    if let Some(schema) = definition
        .as_ref()
        .and_then(|d| graph::event_schema(d, graph::version(d, &version)))
    {
        meterctl::events::coerce_to_schema(&mut events, schema);
    }
    let session = client.debug(
        &args.meter_id,
        &version,
        &DebugRequest {
            source_options: vec![DebugSourceOption {
                processor_id: processor,
                test_data: events.clone(),
                local_file_id: None,
            }],
        },
    )?;
    let status = RunStatus {
        data: session.clone(),
    };
    match args.format {
        ReportFormat::Json => out.print_json(&session)?,
        ReportFormat::Text => out.status(&format!(
            "test session {} of meter {} version {version} ({} events): {}",
            scalar(&session["sessionId"]),
            args.meter_id,
            events.len(),
            status.label()
        ))?,
    }
    Ok(if status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
