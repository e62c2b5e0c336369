//! `meterctl meter stop`: stop a run and wait until it is no longer going.

use meterctl::zuora::runs::{resolve_version, status_line, wait_for_stop, Polling};
use serde_json::json;

use super::super::{Outcome, Shell};
use crate::cli::{MeterStopArgs, ReportFormat};

pub(super) fn run(args: MeterStopArgs, out: &Shell) -> anyhow::Result<Outcome> {
    let json_out = args.format == ReportFormat::Json;
    let client = super::connect(&args.zuora, out)?;
    let (version, _) = resolve_version(
        &client,
        &args.meter_id,
        args.meter_version.as_deref(),
        false,
    )?;
    let id = &args.meter_id;
    if let Err(e) = client.stop(id, &version, args.force) {
        if !e.codes().contains(&"70002122") {
            return Err(e.into());
        }
        // Nothing to stop: a finding (exit 1), in Zuora's words.
        let zuora = e.quoted().unwrap_or_default();
        if json_out {
            out.print_json(&json!({
                "meterId": id,
                "version": version,
                "forceStop": args.force,
                "stopped": false,
                "code": "70002122",
                "message": e.messages().iter().find(|m| m.code.as_deref() == Some("70002122")).map(|m| m.message.as_str()),
            }))?;
        }
        out.error(&format!(
            "meter {id} version {version}: nothing to stop, it is not running (Zuora: {zuora})"
        ));
        return Ok(Outcome::Findings);
    }
    let poll = Polling {
        meter_id: id,
        version: &version,
        timeout: args.timeout,
        interval: args.poll_interval,
    };
    let status = wait_for_stop(&client, poll, &out.progress())?;
    if json_out {
        out.print_json(&json!({
            "meterId": id,
            "version": version,
            "forceStop": args.force,
            "stopped": true,
            "runStatus": status.code(),
            "runStatusDescription": status.description(),
        }))?;
    } else {
        out.status(&status_line(id, &version, &status))?;
    }
    Ok(Outcome::Clean)
}
