//! `meterctl meter import`: a definition file into a tenant, checked first like `validate`.

use std::path::Path;

use anyhow::bail;
use meterctl::canonical;
use meterctl::fsutil::display;
use meterctl::load;
use meterctl::promote::find_placeholders;
use meterctl::zuora::runs::scalar;
use serde_json::Value;

use super::super::{Outcome, Shell};
use crate::cli::{MeterImportArgs, ReportFormat};

pub(super) fn run(args: MeterImportArgs, out: &Shell) -> anyhow::Result<Outcome> {
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
        let options = meterctl::config::validate_options(config.as_ref(), &Default::default())?;
        let report = meterctl::validate::Validator::new(options)?.check(&doc);
        if !report.is_valid() {
            super::super::validate::write_invalid(std::slice::from_ref(&report), out, true)?;
            out.error(&format!(
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
    if global_id.is_none() {
        out.note(&format!(
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
    let client = super::connect(&args.zuora, out)?;
    let data = client.import(&format!("{stem}.json"), &body, global_id.as_deref())?;
    match args.format {
        ReportFormat::Json => out.print_json(&data)?,
        ReportFormat::Text => {
            let status = data["latestVersionRunStatusDescription"]
                .as_str()
                .or_else(|| data["activeVersionRunStatusDescription"].as_str())
                .unwrap_or("unknown");
            out.status(&format!(
                "imported {shown}: meter {}, globalId {}, status {status}",
                scalar(&data["id"]),
                scalar(&data["globalId"]),
            ))?;
        }
    }
    Ok(Outcome::Clean)
}
