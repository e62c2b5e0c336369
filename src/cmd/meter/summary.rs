//! `meterctl meter summary`: record counts of a meter's runs, as a table or Zuora's JSON.

use meterctl::report::summary::summary_table;
use meterctl::zuora::runs::scalar;
use meterctl::zuora::types::SummaryQuery;

use super::super::{Outcome, Shell};
use crate::cli::{MeterSummaryArgs, ReportFormat, RunType};

pub(super) fn run(args: MeterSummaryArgs, out: &Shell) -> anyhow::Result<Outcome> {
    let client = super::connect(&args.zuora, out)?;
    let group_by: Vec<String> = args
        .group_by
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    let query = SummaryQuery {
        run_type: args.run_type.map(|r| {
            match r {
                RunType::Normal => "NORMAL",
                RunType::Debug => "DEBUG",
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
        ReportFormat::Json => out.print_json(&data)?,
        ReportFormat::Text if !out.quiet() => out.print(&summary_table(&group_by, &data))?,
        ReportFormat::Text => {}
    }
    // The sandbox names the sessions it could not simulate (counted at their sources only).
    for s in data["notSimulated"].as_array().into_iter().flatten() {
        out.note(&format!(
            "note: session {} was counted at its sources only (not simulated): {}",
            scalar(&s["sessionId"]),
            scalar(&s["message"])
        ));
    }
    Ok(Outcome::Clean)
}
