//! `meterctl pull`: export an environment's tracked meters into the repository.

use anyhow::bail;
use meterctl::fsutil::display;
use meterctl::promote::lock::Lock;
use meterctl::promote::remote::Reader;
use meterctl::promote::select::Selection;
use meterctl::promote::{load_repo, pull};

use super::{repo, Outcome, Shell};
use crate::cli::PullArgs;

pub(super) fn run(args: PullArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = repo::find_config(&out)?;
    let env = config.environment(&args.env)?;
    let meters = config.meters_dir();
    let _guard = repo::lock(&config, "pull", &args.lock, &out)?;
    let repository = load_repo(&meters)?;
    let lock_path = config.lock_path();
    let mut lock = Lock::load(&lock_path)?;
    if lock.env(&args.env).is_empty() {
        bail!(
            "nothing is tracked in environment {:?}; record meters with `meterctl track --env {} GLOBAL_ID METER_ID`",
            args.env,
            args.env
        );
    }
    let mut global_ids = args.global_ids.clone();
    global_ids.extend(Selection::new(&args.only)?.pick(lock.env(&args.env).keys())?);
    let reader = Reader::connect(&args.env, env, &repo::net(&args.net, &out))?;
    let report = pull::pull(
        &args.env,
        env,
        &repository,
        &meters,
        &mut lock,
        &lock_path,
        &reader,
        &global_ids,
        args.net.concurrency as usize,
        &out.progress(),
    )?;
    for (gid, path) in &report.written {
        out.status(&format!("pulled {gid} → {}", display(path)))?;
    }
    for n in &report.notes {
        out.note(&format!("note: {n}"));
    }
    for w in &report.warnings {
        out.error(&format!("warning: {w}"));
    }
    for (gid, why) in report.failed.iter().chain(&report.refused) {
        out.error(&format!("error: {gid}: {why}"));
    }
    let failed = if report.failed.is_empty() {
        String::new()
    } else {
        format!(", {} failed", report.failed.len())
    };
    out.status(&format!(
        "{} pulled ({} unchanged){failed}, {} refused",
        report.written.len(),
        report.unchanged,
        report.refused.len()
    ))?;
    Ok(if report.refused.is_empty() && report.failed.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
