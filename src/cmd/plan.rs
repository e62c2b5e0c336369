//! `meterctl plan`: what `apply` would change in an environment (exit 1 when anything).

use anyhow::Context;
use meterctl::fsutil::{display, write_atomic};
use meterctl::promote::{self, select::Selection};
use meterctl::report::step_summary;

use super::{repo, Outcome, Shell};
use crate::cli::{PlanArgs, PlanFormat};

pub(super) fn run(args: PlanArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = repo::find_config(&out)?;
    let only = Selection::new(&args.only)?;
    let summary_to = step_summary::target(args.report.is_some())?;
    if !args.no_validate && !repo::validate(&config, &out)? {
        return Ok(Outcome::Findings);
    }
    let p = promote::plan_environment(
        &config,
        &args.env,
        &repo::net(&args.net, &out),
        args.net.concurrency as usize,
        &only,
        &out.progress(),
    )?;
    let json = || -> anyhow::Result<String> {
        let mut text = serde_json::to_string_pretty(&p.plan)?;
        text.push('\n');
        Ok(text)
    };
    if let Some(path) = &args.output {
        write_atomic(path, json()?.as_bytes())
            .with_context(|| format!("cannot write {}", display(path)))?;
    }
    if let Some(path) = &summary_to {
        step_summary::append(path, &p.plan.to_markdown(args.show_unchanged))?;
    }
    if !out.quiet() {
        match args.format {
            PlanFormat::Text => out.print(&p.plan.to_text(args.show_unchanged))?,
            PlanFormat::Markdown => out.print(&p.plan.to_markdown(args.show_unchanged))?,
            PlanFormat::Json => out.print(&json()?)?,
        }
    }
    Ok(if p.plan.has_changes {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
