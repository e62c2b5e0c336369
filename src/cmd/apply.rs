//! `meterctl apply`: create and update an environment's meters from the repository (or, with
//! `--restore`, put a backup back).

use anyhow::bail;
use meterctl::fsutil::display;
use meterctl::promote::plan::{self, Action};
use meterctl::promote::remote::Writer;
use meterctl::promote::select::Selection;
use meterctl::promote::{self, apply};
use meterctl::report;

use super::{repo, Outcome, Shell};
use crate::cli::{ApplyArgs, ApplyFormat};

pub(super) fn run(args: ApplyArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = repo::find_config(&out)?;
    let env = config.environment(&args.env)?;
    // A dry run writes nothing, so it needs no lock.
    let _guard = match args.dry_run {
        true => None,
        false => Some(repo::lock(&config, "apply", &args.lock, &out)?),
    };
    if let Some(folder) = &args.restore {
        return super::restore::run(&args, env, folder, &config.lock_path(), &out);
    }
    if !args.no_validate && !repo::validate(&config, &out)? {
        return Ok(Outcome::Findings);
    }
    let concurrency = args.net.concurrency as usize;
    let net = repo::net(&args.net, &out);
    let only = Selection::new(&args.only)?;
    let p = promote::plan_environment(
        &config,
        &args.env,
        &net,
        concurrency,
        &only,
        &out.progress(),
    )?;
    if let Some(path) = &args.plan {
        plan::check_saved(&plan::read_saved(path)?, &p.plan)?;
    }
    let json = args.format == ApplyFormat::Json;
    if !out.quiet() && !json {
        out.print(&p.plan.to_text(out.verbose()))?;
    }
    if !p.plan.has_changes || args.dry_run {
        if json {
            let o = apply::ApplyOutcome::of_plan(&p.plan);
            out.print_json(&report::apply::json(&args.env, &o, args.dry_run))?;
        } else if !p.plan.has_changes {
            out.status("nothing to do")?;
        } else {
            out.status("dry run: nothing was changed")?;
        }
        return Ok(match p.plan.has_changes {
            true => Outcome::Findings,
            false => Outcome::Clean,
        });
    }
    let n = p.plan.count(Action::Create) + p.plan.count(Action::Update);
    let untracked = p.plan.untracked();
    let untracked_note = if untracked > 0 {
        format!(
            ", {untracked} of them untracked (imported by globalId: a tenant meter that already has it is overwritten without a backup)"
        )
    } else {
        String::new()
    };
    if untracked > 0 && args.yes {
        out.note(&format!(
            "note: applying {n} change(s) to {}{untracked_note}",
            args.env
        ));
    }
    out.confirm(
        &format!("Apply {n} change(s) to {}{untracked_note}?", args.env),
        &args.env,
        env.protected,
        args.yes,
    )?;
    // A protected environment is never asked: the flag is the consent.
    if untracked > 0 && env.protected && !args.allow_untracked {
        let gids: Vec<&str> = p
            .plan
            .actions
            .iter()
            .filter(|a| a.untracked && a.action == Action::Create)
            .map(|a| a.global_id.as_str())
            .collect();
        bail!(
            "environment {:?} is protected and {untracked} meter(s) to create are not tracked in meterctl.lock ({}): if the tenant already holds them (a lost or uncommitted meterctl.lock), importing overwrites them without a backup. Restore meterctl.lock from Git, record known meters with `meterctl track`, or pass --allow-untracked if they are new (nothing was changed)",
            args.env,
            gids.join(", ")
        );
    }
    let writer = Writer::connect(&args.env, env, &repo::net(&args.net, &out))?;
    let options = apply::Options {
        concurrency,
        fail_fast: args.fail_fast,
        progress: out.progress(),
    };
    let o = apply::apply(&p, &writer, &config.lock_path(), &config.root, &options)?;
    if let Some(b) = &o.backup {
        out.note(&format!(
            "backed up the overwritten definitions to {} (`meterctl apply --env {} --restore {} --yes` puts them back)",
            display(b),
            args.env,
            display(b)
        ));
    }
    for (gid, n) in &o.notes {
        out.note(&format!("note: {gid}: {n}"));
    }
    for (gid, e) in o.failed.iter().chain(&o.overwrote) {
        out.error(&format!("error: {gid}: {e}"));
    }
    match json {
        true => out.print_json(&report::apply::json(&args.env, &o, false))?,
        false => out.status(&o.summary())?,
    }
    Ok(
        if o.failed.is_empty() && o.skipped == 0 && o.overwrote.is_empty() {
            Outcome::Clean
        } else {
            Outcome::Findings
        },
    )
}
