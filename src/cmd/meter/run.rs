//! `meterctl meter run`: start a run (an uploaded file, a date window, or as configured), and with
//! `--wait` wait for its end.

use meterctl::zuora::runs::{self, Feed, Polling};
use serde_json::{json, Value};

use super::super::{Outcome, Shell};
use crate::cli::{MeterRunArgs, ReportFormat};

pub(super) fn run(args: MeterRunArgs, out: &Shell) -> anyhow::Result<Outcome> {
    let json_out = args.format == ReportFormat::Json;
    let runtime_configs = match &args.runtime_config {
        Some(path) => runs::read_runtime_configs(path)?,
        None => Vec::new(),
    };
    let upload = match &args.upload {
        Some(path) => Some(runs::read_upload(path)?),
        None => None,
    };
    let client = super::connect(&args.zuora, out)?;
    let window = args.start_date.is_some() || args.end_date.is_some();
    let needs_source = upload.is_some() || args.file_id.is_some() || window;
    let (version, definition) = runs::resolve_version(
        &client,
        &args.meter_id,
        args.meter_version.as_deref(),
        needs_source && args.processor_id.is_none(),
    )?;
    let unique_key = match &args.unique_key {
        Some(k) => k.clone(),
        None => {
            let key = runs::new_unique_key(&args.meter_id);
            let line = format!("uniqueKey: {key}");
            match json_out {
                true => out.note(&line),
                false => out.status(&line)?,
            }
            key
        }
    };
    let mut file_id = args.file_id.clone();
    if let Some(upload) = &upload {
        let id = runs::scalar(&client.upload_file(upload)?["id"]);
        out.note(&format!("uploaded {} as file {id}", upload.name));
        file_id = Some(id);
    }
    let feed = Feed {
        processor_id: args.processor_id.as_deref(),
        file_id,
        window: window.then(|| (args.start_date.clone(), args.end_date.clone())),
    };
    let request = runs::run_request(
        &unique_key,
        runtime_configs,
        feed,
        definition.as_ref(),
        &version,
    )?;
    // Just after a start Zuora may still report the previous run's final status; remember it.
    let before = match args.wait {
        true => Some(client.run_status(&args.meter_id, &version)?),
        false => None,
    };
    let started = runs::start(&client, &args.meter_id, &version, &request)?;
    if !json_out {
        if started.already_started {
            out.status(&format!(
                "run already started with uniqueKey {unique_key}: nothing new was started"
            ))?;
        } else {
            let session = started
                .data
                .as_ref()
                .and_then(|d| d["sessionId"].as_str())
                .map(|s| format!(", session {s}"))
                .unwrap_or_default();
            out.status(&format!(
                "started meter {} version {version}{session}",
                args.meter_id
            ))?;
        }
    }
    let mut status = client.run_status(&args.meter_id, &version)?;
    if args.wait {
        let stale = before.filter(|b| !started.already_started && b.is_terminal());
        let poll = Polling {
            meter_id: &args.meter_id,
            version: &version,
            timeout: args.timeout,
            interval: args.poll_interval,
        };
        status = runs::wait_for_run(&client, poll, status, stale, &out.progress())?;
    }
    if json_out {
        out.print_json(&json!({
            "uniqueKey": unique_key,
            "alreadyStarted": started.already_started,
            "sessionId": started.data.as_ref().map_or(Value::Null, |d| d["sessionId"].clone()),
            "session": started.data.clone().unwrap_or(Value::Null),
            "runStatus": status.code(),
            "runStatusDescription": status.description(),
        }))?;
    } else {
        out.status(&runs::status_line(&args.meter_id, &version, &status))?;
    }
    Ok(if args.wait && status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
