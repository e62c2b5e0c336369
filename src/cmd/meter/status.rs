//! `meterctl meter status`: the run status of a meter version.

use meterctl::zuora::runs::{resolve_version, status_line};

use super::super::{Outcome, Shell};
use crate::cli::{MeterStatusArgs, ReportFormat};

pub(super) fn run(args: MeterStatusArgs, out: &Shell) -> anyhow::Result<Outcome> {
    let client = super::connect(&args.zuora, out)?;
    let (version, _) = resolve_version(
        &client,
        &args.meter_id,
        args.meter_version.as_deref(),
        false,
    )?;
    let status = client.run_status(&args.meter_id, &version)?;
    match args.format {
        ReportFormat::Json => out.print_json(&status.data)?,
        ReportFormat::Text => out.status(&status_line(&args.meter_id, &version, &status))?,
    }
    Ok(if status.is_failure() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
