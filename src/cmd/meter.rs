//! `meterctl meter ...`: export, import, run, test, status, stop and summary against a Zuora
//! tenant.
//!
//! Each command builds one [`Client`] from `--url` and the environment's credentials, makes its
//! calls, and prints either a line for people or, with `--format json`, the `data` of Zuora's
//! answer as it came. Zuora refusing the request (meter not found, definition refused, run
//! failed) is a finding (exit 1); not being able to ask (bad flags, network, authentication) is
//! an error (exit 2).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{eprint_line, println, Outcome, Shell};
use crate::cli::{
    DocFormat, MeterCommand, MeterExportArgs, MeterImportArgs, MeterRunArgs, MeterStatusArgs,
    MeterStopArgs, MeterSummaryArgs, MeterTestArgs, ReportFormat, ZuoraArgs,
};
use meterctl::canonical;
use meterctl::fsutil::{display, write_atomic};
use meterctl::load::{self, Format};
use meterctl::zuora::types::{
    DebugRequest, DebugSourceOption, EventStoreSourceOption, RunRequest, RunStatus, SummaryQuery,
    Upload,
};
use meterctl::zuora::{Client, Endpoint, FromEnvError, RetryPolicy, ZuoraError};

/// Environment variable holding the OAuth client id.
pub const ENV_CLIENT_ID: &str = "ZUORA_CLIENT_ID";
/// Environment variable holding the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "ZUORA_CLIENT_SECRET";

pub(super) fn run(command: MeterCommand, out: Shell) -> anyhow::Result<Outcome> {
    let result = match command {
        MeterCommand::Export(a) => export(a, out),
        MeterCommand::Import(a) => import(a, out),
        MeterCommand::Run(a) => run_meter(a, out),
        MeterCommand::Test(a) => test(a, out),
        MeterCommand::Status(a) => status(a, out),
        MeterCommand::Stop(a) => stop(a, out),
        MeterCommand::Summary(a) => summary(a, out),
    };
    match result {
        Err(e)
            if e.downcast_ref::<ZuoraError>()
                .is_some_and(ZuoraError::is_refusal) =>
        {
            eprint_line(&format!("error: {e}"));
            Ok(Outcome::Findings)
        }
        other => other,
    }
}

/// Builds the client: URL check, credentials from the environment only.
fn connect(args: &ZuoraArgs, out: Shell) -> anyhow::Result<Client> {
    let endpoint = Endpoint {
        base_url: args.url.clone(),
        entity_ids: args.entity_ids.clone().filter(|s| !s.is_empty()),
        org_ids: args.org_ids.clone().filter(|s| !s.is_empty()),
        request_timeout: args.retry.request_timeout,
        connect_timeout: args.retry.connect_timeout,
        retry: RetryPolicy {
            max_attempts: args.retry.max_attempts,
            base_delay: args.retry.retry_delay,
            max_delay: Duration::from_secs(60),
            max_elapsed: args.retry.max_retry_time,
        },
        log: out.log(),
    };
    let client = match Client::from_env(endpoint, ENV_CLIENT_ID, ENV_CLIENT_SECRET) {
        Ok(c) => c,
        Err(FromEnvError::NoCredentials { .. }) => bail!(
            "no Zuora credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} to the tenant's OAuth client (credentials are read only from the environment)"
        ),
        Err(FromEnvError::Zuora(e)) => return Err(e.into()),
    };
    out.detail(&format!(
        "Zuora {} (Zuora-Track-Id: {})",
        client.base_url(),
        client.track_id()
    ));
    Ok(client)
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    stdout.flush()?;
    Ok(())
}

// ----- export -----

fn export(args: MeterExportArgs, out: Shell) -> anyhow::Result<Outcome> {
    let client = connect(&args.zuora, out.clone())?;
    let definition = client.export(&args.meter_id)?;
    let to_file = args.output.as_deref().filter(|p| *p != Path::new("-"));
    let format = match args.format {
        Some(DocFormat::Json) => Format::Json,
        Some(DocFormat::Yaml) => Format::Yaml,
        None => to_file.and_then(Format::from_path).unwrap_or(Format::Json),
    };
    let text = canonical::to_canonical_string(&definition, format);
    match to_file {
        Some(path) => {
            write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", display(path)))?;
            if !out.quiet() {
                let name = definition["name"].as_str().unwrap_or("unnamed");
                eprint_line(&format!(
                    "exported meter {} ({name}) to {}",
                    args.meter_id,
                    display(path)
                ));
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(Outcome::Clean)
}

// ----- import -----

/// JSON Pointers (and texts) of strings that still hold a `${{ ... }}` placeholder.
pub fn find_placeholders(value: &Value) -> Vec<(String, String)> {
    let is_ph = |s: &str| s.find("${{").is_some_and(|i| s[i..].contains("}}"));
    let mut out = Vec::new();
    meterctl::model::visit_strings_and_keys(value, &mut |p, s| {
        if is_ph(s) {
            out.push((p.to_string(), s.to_string()));
        }
    });
    out
}

fn import(args: MeterImportArgs, out: Shell) -> anyhow::Result<Outcome> {
    let doc = if args.file == Path::new("-") {
        load::load_stdin(None)
    } else {
        load::load_file(&args.file)
    }
    .map_err(|d| anyhow::anyhow!("{d}"))?;
    let shown = display(&args.file).into_owned();
    let placeholders = find_placeholders(&doc.value);
    if !placeholders.is_empty() {
        let list: Vec<String> = placeholders
            .iter()
            .take(5)
            .map(|(p, t)| format!("{p} = {t:?}"))
            .collect();
        bail!(
            "{shown}: {} placeholder(s) left ({}{}); fill them in for this tenant before importing, a placeholder is never sent to Zuora as a value",
            placeholders.len(),
            list.join(", "),
            if placeholders.len() > 5 { ", ..." } else { "" }
        );
    }
    if !args.no_validate {
        // The same schema and rules as `meterctl validate` (meterctl.yaml's settings apply).
        let config = meterctl::config::Config::discover(out.config.as_deref())?;
        let options = super::validate::options_from(config.as_ref(), &Default::default())?;
        let report = meterctl::validate::Validator::new(options)?.check(&doc);
        if !report.is_valid() {
            let files = std::slice::from_ref(&report);
            let summary = meterctl::validate::Summary::of(files);
            let text = meterctl::report::validate::TextOptions {
                color: meterctl::report::color_stderr(),
                quiet: true,
            };
            meterctl::report::validate::write(
                meterctl::report::validate::ValidateFormat::Text,
                files,
                &summary,
                text,
                &mut std::io::stderr().lock(),
            )?;
            eprint_line(&format!(
                "error: {shown} is not a valid meter definition; nothing was imported (fix it, or --no-validate sends it anyway)"
            ));
            return Ok(Outcome::Findings);
        }
    }
    let mut value = doc.value.clone();
    let file_gid = value
        .as_object_mut()
        .and_then(|o| o.shift_remove("globalId"))
        .and_then(|g| match g {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => Some(other.to_string()),
        })
        .filter(|s| !s.trim().is_empty());
    let global_id = args.global_id.clone().or(file_gid);
    if global_id.is_none() && !out.quiet() {
        eprint_line(&format!(
            "warning: {shown} has no globalId and --global-id is not set: Zuora creates a new meter on every such import"
        ));
    }
    canonical::canonicalize(&mut value);
    let mut body = serde_json::to_vec_pretty(&value)?;
    body.push(b'\n');
    let stem = match args.file.file_stem() {
        Some(s) if args.file != Path::new("-") => s.to_string_lossy().into_owned(),
        _ => "meter".into(),
    };
    let client = connect(&args.zuora, out.clone())?;
    let data = client.import(&format!("{stem}.json"), &body, global_id.as_deref())?;
    match args.format {
        ReportFormat::Json => print_json(&data)?,
        ReportFormat::Text => {
            if !out.quiet() {
                let status = data["latestVersionRunStatusDescription"]
                    .as_str()
                    .or_else(|| data["activeVersionRunStatusDescription"].as_str())
                    .unwrap_or("unknown");
                println(&format!(
                    "imported {shown}: meter {}, globalId {}, status {status}",
                    scalar(&data["id"]),
                    scalar(&data["globalId"]),
                ))?;
            }
        }
    }
    Ok(Outcome::Clean)
}

/// A JSON scalar as text (`?` when absent).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "?".into(),
        other => other.to_string(),
    }
}

// ----- shared: version and source operator -----

/// The version to use: given, else the meter's latestVersion, else 0.0.1; with the exported
/// definition when it was fetched.
fn resolve_version(
    client: &Client,
    meter_id: &str,
    given: Option<&str>,
    need_definition: bool,
) -> anyhow::Result<(String, Option<Value>)> {
    if let (Some(v), false) = (given, need_definition) {
        return Ok((v.to_string(), None));
    }
    let def = client.export(meter_id)?;
    let version = given
        .map(str::to_string)
        .or_else(|| def["latestVersion"].as_str().map(str::to_string))
        .unwrap_or_else(|| "0.0.1".into());
    Ok((version, Some(def)))
}

/// The source operator to feed: given, else the version's only SOURCE task.
fn source_processor(
    given: Option<&str>,
    definition: Option<&Value>,
    version: &str,
) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p.to_string());
    }
    let tasks = definition
        .and_then(|d| d["versions"].as_array())
        .and_then(|vs| vs.iter().find(|v| v["version"] == version))
        .and_then(|v| v["tasks"].as_array())
        .cloned()
        .unwrap_or_default();
    let sources: Vec<&Value> = tasks
        .iter()
        .filter(|t| {
            t["nodeType"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("SOURCE"))
                || t["predecessors"].as_array().is_some_and(Vec::is_empty)
                    && t["nodeType"].is_null()
        })
        .collect();
    match sources.as_slice() {
        [one] => one["id"]
            .as_str()
            .map(str::to_string)
            .context("the meter's SOURCE task has no id; pass --processor-id"),
        [] => bail!("the meter version {version} has no SOURCE task to feed; pass --processor-id"),
        many => {
            bail!(
            "the meter version {version} has {} SOURCE tasks ({}); choose one with --processor-id",
            many.len(),
            many.iter()
                .map(|t| format!("{} {:?}", scalar(&t["id"]), t["name"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(", ")
        )
        }
    }
}

// ----- run -----

fn run_meter(args: MeterRunArgs, out: Shell) -> anyhow::Result<Outcome> {
    let json_out = args.format == ReportFormat::Json;
    let runtime_configs = match &args.runtime_config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", display(path)))?;
            match serde_json::from_str::<Value>(&text)
                .with_context(|| format!("{}: invalid JSON", display(path)))?
            {
                Value::Array(items) => items,
                _ => bail!(
                    "{}: expected a JSON array of runtimeSourceConfigs items",
                    display(path)
                ),
            }
        }
        None => Vec::new(),
    };
    let upload = match &args.upload {
        Some(path) => Some(read_upload(path)?),
        None => None,
    };
    let client = connect(&args.zuora, out.clone())?;
    let window = args.start_date.is_some() || args.end_date.is_some();
    let needs_source = upload.is_some() || args.file_id.is_some() || window;
    let (version, definition) = resolve_version(
        &client,
        &args.meter_id,
        args.meter_version.as_deref(),
        needs_source && args.processor_id.is_none(),
    )?;
    let (unique_key, generated) = match &args.unique_key {
        Some(k) => (k.clone(), false),
        None => (new_unique_key(&args.meter_id), true),
    };
    if generated && !out.quiet() {
        let line = format!("uniqueKey: {unique_key}");
        if json_out {
            eprint_line(&line);
        } else {
            println(&line)?;
        }
    }
    let mut file_id = args.file_id.clone();
    if let Some(upload) = &upload {
        let file = client.upload_file(upload)?;
        let id = scalar(&file["id"]);
        if !out.quiet() {
            eprint_line(&format!("uploaded {} as file {id}", upload.name));
        }
        file_id = Some(id);
    }
    let mut request = RunRequest {
        unique_key: unique_key.clone(),
        runtime_source_configs: runtime_configs,
        ..Default::default()
    };
    if let Some(id) = file_id {
        let processor =
            source_processor(args.processor_id.as_deref(), definition.as_ref(), &version)?;
        let file_id: u64 = id.trim().parse().with_context(|| {
            format!("file id {id:?} is not a number (Zuora's file ids are integers)")
        })?;
        // The documented form (reference dialect §2); `sourceOptions` is the legacy one.
        request.runtime_source_configs.push(json!({
            "sourceType": "LOCAL_FS",
            "processorId": processor,
            "localFs": {"fileId": file_id},
        }));
    }
    if window {
        let processor =
            source_processor(args.processor_id.as_deref(), definition.as_ref(), &version)?;
        match event_store_id(definition.as_ref(), &version, &processor) {
            // The documented form needs the store (reference dialect §2).
            Some(store) => {
                let mut conf = serde_json::Map::new();
                conf.insert("storeId".into(), store);
                for (k, v) in [("startDate", &args.start_date), ("endDate", &args.end_date)] {
                    if let Some(v) = v {
                        conf.insert(k.into(), json!(v));
                    }
                }
                request.runtime_source_configs.push(json!({
                    "sourceType": "EVENT_STORE",
                    "processorId": processor,
                    "eventStore": conf,
                }));
            }
            // The store is not known here: the legacy form, which needs none.
            None => request
                .event_store_source_options
                .push(EventStoreSourceOption {
                    processor_id: processor,
                    start_date: args.start_date.clone(),
                    end_date: args.end_date.clone(),
                }),
        }
    }
    // Just after a start Zuora may still report the previous run's final status; remember it.
    let before = if args.wait {
        Some(client.run_status(&args.meter_id, &version)?)
    } else {
        None
    };
    let started = client
        .run(&args.meter_id, &version, &request)
        .map_err(|e| {
            let refusal = e.is_refusal();
            let e = anyhow::Error::new(e);
            if refusal {
                e
            } else {
                e.context(format!(
                    "meter {} version {version}: the run may or may not have started; run the same command with --unique-key {unique_key} to find out without starting a second run",
                    args.meter_id
                ))
            }
        })?;
    if !out.quiet() && !json_out {
        if started.already_started {
            println(&format!(
                "run already started with uniqueKey {unique_key}: nothing new was started"
            ))?;
        } else {
            let session = started
                .data
                .as_ref()
                .and_then(|d| d["sessionId"].as_str())
                .map(|s| format!(", session {s}"))
                .unwrap_or_default();
            println(&format!(
                "started meter {} version {version}{session}",
                args.meter_id
            ))?;
        }
    }
    let mut status = client.run_status(&args.meter_id, &version)?;
    if args.wait {
        let stale = before.filter(|b| !started.already_started && b.is_terminal());
        status = wait_for(&client, &args, &version, status, stale, out.clone())?;
    }
    if json_out {
        print_json(&json!({
            "uniqueKey": unique_key,
            "alreadyStarted": started.already_started,
            "sessionId": started.data.as_ref().map_or(Value::Null, |d| d["sessionId"].clone()),
            "session": started.data.clone().unwrap_or(Value::Null),
            "runStatus": status.code(),
            "runStatusDescription": status.description(),
        }))?;
    } else if !out.quiet() {
        println(&status_line(&args.meter_id, &version, &status))?;
    }
    Ok(if args.wait && status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// The `storeId` of an EVENT_STORE source task, from the exported definition.
fn event_store_id(definition: Option<&Value>, version: &str, processor: &str) -> Option<Value> {
    definition?["versions"]
        .as_array()?
        .iter()
        .find(|v| v["version"] == version)?["tasks"]
        .as_array()?
        .iter()
        .find(|t| t["id"] == processor && t["operatorType"] == "EVENT_STORE")
        .map(|t| t["metadata"]["storeId"].clone())
        .filter(|s| !s.is_null())
}

fn read_upload(path: &Path) -> anyhow::Result<Upload> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", display(path)))?;
    let name = path
        .file_name()
        .map_or("upload".into(), |n| n.to_string_lossy().into_owned());
    let has_header = name.to_ascii_lowercase().ends_with(".csv").then_some(true);
    Ok(Upload {
        name,
        bytes,
        has_header,
    })
}

/// `meterctl-<meter>-<time>-<random>`: unique, ≤ 64 characters.
fn new_unique_key(meter_id: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let meter: String = meter_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    format!(
        "meterctl-{meter}-{ms:x}-{}",
        meterctl::rng::Rng::from_entropy().hex(8)
    )
}

fn status_line(meter_id: &str, version: &str, status: &RunStatus) -> String {
    format!("meter {meter_id} version {version}: {}", status.label())
}

/// How long `--wait` takes an unchanged final status for the previous run's, not the new one's.
const STALE_GRACE: Duration = Duration::from_secs(10);

/// Polls runStatus until a terminal status, with a spinner on a terminal.
fn wait_for(
    client: &Client,
    args: &MeterRunArgs,
    version: &str,
    mut status: RunStatus,
    previous: Option<RunStatus>,
    out: Shell,
) -> anyhow::Result<RunStatus> {
    let start = Instant::now();
    let spinner = !out.quiet() && std::io::stderr().is_terminal();
    let frames = ['|', '/', '-', '\\'];
    let mut i = 0usize;
    let mut last = String::new();
    // The previous run's final status, until the new run shows up (at most STALE_GRACE).
    let mut previous = previous.map(|p| p.description().to_string());
    loop {
        if previous.as_deref() != Some(status.description()) {
            previous = None;
        }
        let stale = previous.is_some() && start.elapsed() < STALE_GRACE;
        if status.is_terminal() && !stale {
            break;
        }
        if start.elapsed() >= args.timeout {
            if spinner {
                eprint!("\r\x1b[2K");
            }
            bail!(
                "gave up waiting after {}: meter {} is still {}; the run goes on in Zuora, check it with `meterctl meter status {} {version}`",
                meterctl::duration::format(args.timeout),
                args.meter_id,
                status.description(),
                args.meter_id
            );
        }
        let desc = status.description().to_string();
        if spinner {
            eprint!(
                "\r\x1b[2K{} {desc} ({}s)",
                frames[i % frames.len()],
                start.elapsed().as_secs()
            );
            let _ = std::io::stderr().flush();
            i += 1;
        } else if !out.quiet() && desc != last {
            eprint_line(&format!("status: {}", status.label()));
        }
        last = desc;
        let left = args.timeout.saturating_sub(start.elapsed());
        std::thread::sleep(args.poll_interval.min(left).max(Duration::from_millis(10)));
        status = client.run_status(&args.meter_id, version)?;
    }
    if spinner {
        eprint!("\r\x1b[2K");
        let _ = std::io::stderr().flush();
    }
    Ok(status)
}

// ----- test -----

fn test(args: MeterTestArgs, out: Shell) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.data)
        .with_context(|| format!("cannot read {}", display(&args.data)))?;
    let name = args.data.to_string_lossy().into_owned();
    let events = meterctl::events::parse_events(&name, &bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", display(&args.data)))?;
    let client = connect(&args.zuora, out.clone())?;
    let (version, definition) =
        resolve_version(&client, &args.meter_id, args.meter_version.as_deref(), true)?;
    let processor = source_processor(args.processor_id.as_deref(), definition.as_ref(), &version)?;
    let mut events = events;
    if let Some(schema) = definition.as_ref().and_then(|d| d["schemas"].get(0)) {
        meterctl::events::coerce_to_schema(&mut events, &schema["schema"]);
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
        ReportFormat::Json => print_json(&session)?,
        ReportFormat::Text => {
            if !out.quiet() {
                println(&format!(
                    "test session {} of meter {} version {version} ({} events): {}",
                    scalar(&session["sessionId"]),
                    args.meter_id,
                    events.len(),
                    status.label()
                ))?;
            }
        }
    }
    Ok(if status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

// ----- status -----

fn status(args: MeterStatusArgs, out: Shell) -> anyhow::Result<Outcome> {
    let client = connect(&args.zuora, out.clone())?;
    let (version, _) = resolve_version(
        &client,
        &args.meter_id,
        args.meter_version.as_deref(),
        false,
    )?;
    let status = client.run_status(&args.meter_id, &version)?;
    match args.format {
        ReportFormat::Json => print_json(&status.data)?,
        ReportFormat::Text => {
            if !out.quiet() {
                println(&status_line(&args.meter_id, &version, &status))?;
            }
        }
    }
    Ok(if status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

// ----- stop -----

/// Whether a status means the run is still going (or still stopping): not final, not PAUSED,
/// not NEVER_RUN. Unknown statuses count as still going.
fn still_going(status: &RunStatus) -> bool {
    !status.is_terminal() && !matches!(status.description(), "PAUSED" | "NEVER_RUN")
}

fn stop(args: MeterStopArgs, out: Shell) -> anyhow::Result<Outcome> {
    let json_out = args.format == ReportFormat::Json;
    let client = connect(&args.zuora, out.clone())?;
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
            print_json(&json!({
                "meterId": id,
                "version": version,
                "forceStop": args.force,
                "stopped": false,
                "code": "70002122",
                "message": e.messages().iter().find(|m| m.code.as_deref() == Some("70002122")).map(|m| m.message.as_str()),
            }))?;
        }
        eprint_line(&format!(
            "meter {id} version {version}: nothing to stop, it is not running (Zuora: {zuora})"
        ));
        return Ok(Outcome::Findings);
    }
    // Batch runs are canceled synchronously; a streaming meter goes STOPPING, then PAUSED.
    let start = Instant::now();
    let mut status = client.run_status(id, &version)?;
    let mut last = String::new();
    while still_going(&status) {
        if start.elapsed() >= args.timeout {
            bail!(
                "gave up waiting after {}: meter {id} version {version} is still {}; the stop goes on in Zuora, check it with `meterctl meter status {id} {version}`",
                meterctl::duration::format(args.timeout),
                status.label()
            );
        }
        if !out.quiet() && status.description() != last {
            eprint_line(&format!("status: {}", status.label()));
        }
        last = status.description().to_string();
        let left = args.timeout.saturating_sub(start.elapsed());
        std::thread::sleep(args.poll_interval.min(left).max(Duration::from_millis(10)));
        status = client.run_status(id, &version)?;
    }
    if json_out {
        print_json(&json!({
            "meterId": id,
            "version": version,
            "forceStop": args.force,
            "stopped": true,
            "runStatus": status.code(),
            "runStatusDescription": status.description(),
        }))?;
    } else if !out.quiet() {
        println(&status_line(id, &version, &status))?;
    }
    Ok(Outcome::Clean)
}

// ----- summary -----

fn summary(args: MeterSummaryArgs, out: Shell) -> anyhow::Result<Outcome> {
    let client = connect(&args.zuora, out.clone())?;
    let group_by: Vec<String> = args
        .group_by
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    let query = SummaryQuery {
        run_type: args.run_type.map(|r| {
            match r {
                crate::cli::RunType::Normal => "NORMAL",
                crate::cli::RunType::Debug => "DEBUG",
            }
            .to_string()
        }),
        session_ids: args.session.clone(),
        operator_ids: args.operator.clone(),
        group_by: group_by.clone(),
        query_from_time: args.from.clone(),
        query_to_time: args.to.clone(),
    };
    let data = client.summary(&args.meter_id, &query)?;
    match args.format {
        ReportFormat::Json => print_json(&data)?,
        ReportFormat::Text => {
            if !out.quiet() {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(summary_table(&group_by, &data).as_bytes())?;
                stdout.flush()?;
            }
        }
    }
    Ok(Outcome::Clean)
}

/// The summary as an aligned table: one column per dimension, then OUTPUT and ERRORS.
pub fn summary_table(group_by: &[String], data: &Value) -> String {
    let rows = data["output"].as_array().cloned().unwrap_or_default();
    let mut dims: Vec<String> = group_by.to_vec();
    // Dimensions Zuora returned that were not asked for (stay permissive).
    for r in &rows {
        for k in r["dimensions"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if !dims.contains(k) {
                dims.push(k.clone());
            }
        }
    }
    let mut header: Vec<String> = dims.iter().map(|d| upper_snake(d)).collect();
    header.push("OUTPUT".into());
    header.push("ERRORS".into());
    let mut table = vec![header];
    let (mut total_out, mut total_err) = (0u64, 0u64);
    for r in &rows {
        let mut line: Vec<String> = dims
            .iter()
            .map(|d| match &r["dimensions"][d] {
                Value::Null => "-".into(),
                v => scalar(v),
            })
            .collect();
        total_out += r["output"].as_u64().unwrap_or(0);
        total_err += r["totalErrorCount"].as_u64().unwrap_or(0);
        line.push(scalar(&r["output"]));
        line.push(scalar(&r["totalErrorCount"]));
        table.push(line);
    }
    if rows.is_empty() {
        return "no runs match\n".into();
    }
    // Per-operator counts overlap (each record passes several operators): no total then.
    if !dims.is_empty() && rows.len() > 1 && !dims.iter().any(|d| d == "processorId") {
        let mut line = vec![String::new(); dims.len()];
        line[0] = "total".into();
        line.push(total_out.to_string());
        line.push(total_err.to_string());
        table.push(line);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c + 2 >= row.len() {
                    format!("{v:>w$}", w = widths[c])
                } else {
                    format!("{v:<w$}", w = widths[c])
                }
            })
            .collect();
        s.push_str(cells.join("  ").trim_end());
        s.push('\n');
    }
    s
}

fn upper_snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_with_pointers() {
        let v = json!({"a": "ok", "b": [{"c": "x ${{ env.TOKEN }} y"}], "${{k}}": 1, "d": "${{ not closed"});
        let found = find_placeholders(&v);
        let ptrs: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(ptrs, ["/b/0/c", "/${{k}}"]);
    }

    #[test]
    fn table_aligns_and_totals() {
        let data = json!({"output": [
            {"dimensions": {"sessionId": "R-000001"}, "output": 10, "totalErrorCount": 0},
            {"dimensions": {"sessionId": "R-000002"}, "output": 7, "totalErrorCount": 3}
        ]});
        let t = summary_table(&["sessionId".into()], &data);
        assert_eq!(
            t,
            "SESSION_ID  OUTPUT  ERRORS\nR-000001        10       0\nR-000002         7       3\ntotal           17       3\n"
        );
        assert_eq!(
            summary_table(&[], &json!({"output": []})),
            "no runs match\n"
        );
        assert!(new_unique_key("709").len() <= 64);
        let def = json!({"versions": [{"version": "0.0.1", "tasks": [
            {"id": "s", "operatorType": "EVENT_STORE", "metadata": {"storeId": "usage-store"}},
            {"id": "f", "operatorType": "LOCAL_FILE", "metadata": {}}]}]});
        assert_eq!(
            event_store_id(Some(&def), "0.0.1", "s"),
            Some(json!("usage-store"))
        );
        assert_eq!(event_store_id(Some(&def), "0.0.1", "f"), None);
        assert_eq!(event_store_id(None, "0.0.1", "s"), None);
    }
}
