//! `meterctl meter test`: a debug session of a meter version on events from a file, with the
//! per-operator counts the server returns (the sandbox's debug answer carries them in
//! `operators[]`; Zuora's documents none, and `meter summary --group-by processorId` reads them
//! there).

use anyhow::Context;
use meterctl::fsutil::display;
use meterctl::model::graph;
use meterctl::zuora::runs::{resolve_version, scalar, source_processor};
use meterctl::zuora::types::{DebugRequest, DebugSourceOption, RunStatus};
use serde_json::Value;

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
        ReportFormat::Text => {
            out.status(&format!(
                "test session {} of meter {} version {version} ({} events): {}",
                scalar(&session["sessionId"]),
                args.meter_id,
                events.len(),
                status.label()
            ))?;
            match session["operators"].as_array() {
                Some(ops) if !out.quiet() => out.print(&operator_table(ops))?,
                Some(_) => {}
                None => out.detail(&format!(
                    "the answer has no per-operator counts; see them with `meterctl meter summary {} --session {} --group-by processorId --run-type DEBUG`",
                    args.meter_id,
                    scalar(&session["sessionId"])
                )),
            }
        }
    }
    if session["simulated"] == false {
        out.note(&format!(
            "note: the server did not simulate the pipeline, so it counted the sources only: {}",
            scalar(&session["simulationError"])
        ));
    }
    Ok(if status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// The debug answer's `operators[]` as an aligned table (OPERATOR, TYPE, INPUT, OUTPUT, ERRORS),
/// then, for each operator that rejected records, its error code and first message.
fn operator_table(ops: &[Value]) -> String {
    let count = |v: &Value| match v {
        Value::Null => "-".to_string(),
        v => scalar(v),
    };
    let label = |o: &Value| match o["operatorName"].as_str() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => scalar(&o["processorId"]),
    };
    let mut rows = vec![["OPERATOR", "TYPE", "INPUT", "OUTPUT", "ERRORS"].map(String::from)];
    for o in ops {
        rows.push([
            label(o),
            o["operatorType"].as_str().unwrap_or("-").to_string(),
            count(&o["input"]),
            count(&o["output"]),
            count(&o["totalErrorCount"]),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (v, w))| {
                if c < 2 {
                    format!("{v:<w$}")
                } else {
                    format!("{v:>w$}")
                }
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    for o in ops
        .iter()
        .filter(|o| o["totalErrorCount"].as_u64() > Some(0))
    {
        let code = o["errorCode"]
            .as_str()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let first = o["errorMessages"][0]
            .as_str()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let n = count(&o["totalErrorCount"]);
        let noun = if n == "1" { "error" } else { "errors" };
        text.push_str(&format!("{}: {n} {noun}{code}{first}\n", label(o)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_aligns_counts_and_names_the_first_error() {
        let ops = [
            json!({"processorId": "s-1", "operatorName": "Events", "operatorType": "LOCAL_FILE",
                   "input": 4, "output": 4, "totalErrorCount": 0}),
            json!({"processorId": "u-1", "operatorName": null, "operatorType": "ZUORA_USAGE",
                   "input": 3, "output": 0, "totalErrorCount": 3, "errorCode": "1000002",
                   "errorMessages": ["missing required field uom"]}),
        ];
        assert_eq!(
            operator_table(&ops),
            "OPERATOR  TYPE         INPUT  OUTPUT  ERRORS\n\
             Events    LOCAL_FILE       4       4       0\n\
             u-1       ZUORA_USAGE      3       0       3\n\
             u-1: 3 errors (1000002): missing required field uom\n"
        );
    }
}
