//! `meterctl apply --restore FOLDER`: put the definitions of a backup back.

use std::path::Path;

use meterctl::config::Environment;
use meterctl::fsutil::display;
use meterctl::promote::apply;
use meterctl::promote::remote::Writer;

use super::{repo, Outcome, Shell};
use crate::cli::ApplyArgs;

/// `--restore FOLDER`: imports a backup's definitions back.
pub(super) fn run(
    args: &ApplyArgs,
    env: &Environment,
    folder: &Path,
    lock_path: &Path,
    out: &Shell,
) -> anyhow::Result<Outcome> {
    let backup = apply::read_backup(folder)?;
    out.status(&format!(
        "Restore {} definition(s) from {} into {}:",
        backup.len(),
        display(folder),
        args.env
    ))?;
    for (gid, v) in &backup {
        let name = v["name"].as_str().unwrap_or("unnamed");
        out.status(&format!("  ~ {name} ({gid})"))?;
    }
    if args.dry_run {
        return Ok(Outcome::Findings);
    }
    let question = format!("Restore these into {}?", args.env);
    out.confirm(&question, &args.env, env.protected, args.yes)?;
    let writer = Writer::connect(&args.env, env, &repo::net(&args.net, out))?;
    let o = apply::restore(&args.env, &backup, &writer, lock_path)?;
    for (gid, e) in &o.failed {
        out.error(&format!("error: {gid}: {e}"));
    }
    out.println(&format!(
        "{} restored, {} failed",
        o.updated,
        o.failed.len()
    ))?;
    Ok(if o.failed.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
