//! `meterctl diff`: two sides through [`meterctl::diff::compare`], secrets masked, formatted.

use std::sync::Mutex;

use anyhow::Context;

use super::{AlreadyReported, Outcome, Shell};
use crate::cli::{DiffArgs, DiffFormat, NetArgs};
use meterctl::config::{self, Config};
use meterctl::diff::compare::{self, BoxError, CompareError, EnvSides};
use meterctl::diff::side::{Loaded, Side, SideError};
use meterctl::promote::lock::Lock;
use meterctl::promote::remote::Reader;
use meterctl::promote::values::Masker;
use meterctl::promote::{live, load_repo, mask_diff};
use meterctl::report::diff::{json, markdown, text};
use meterctl::report::{step_summary, Style};

pub(super) fn run(args: DiffArgs, out: Shell) -> anyhow::Result<Outcome> {
    // meterctl.yaml's `diff.ignore` adds to --ignore.
    let config = Config::discover(out.config.as_deref())?;
    let summary_to = step_summary::target(args.report.is_some())?;
    let opts = config::diff_options(config.as_ref(), args.include_volatile, &args.ignore);
    if args.stat && args.format != DiffFormat::Text {
        anyhow::bail!(
            "--stat is a text layout; it cannot be combined with --format json or markdown"
        );
    }
    let left = Side::parse(&args.left);
    let right = args.right.as_deref().map(Side::parse);
    let env = Tenants {
        config: config.as_ref(),
        net: &args.net,
        out: &out,
        masker: Mutex::new(Masker::default()),
    };
    let progress = out.progress();
    let cx = compare::Context {
        opts: &opts,
        env: Some(&env),
        progress: &progress,
    };
    let report = match &args.versions {
        Some(v) => compare::compare_versions(&left, right.as_ref(), &v[0], &v[1], &cx),
        None => {
            let right = right.expect("clap requires RIGHT without --versions");
            compare::compare(&left, &right, &cx)
        }
    };
    let mut report = report.map_err(|e| match e {
        CompareError::Side(SideError::Files(diags)) => {
            for d in &diags {
                out.error(&format!("error: {d}"));
            }
            AlreadyReported(format!("{} files could not be read", diags.len())).into()
        }
        e => anyhow::Error::from(e),
    })?;
    // A tenant's secrets never show, whatever side they come from.
    let masker = env.masker.into_inner().unwrap_or_else(|p| p.into_inner());
    mask_diff(&mut report, &masker);
    let formatted = match args.format {
        DiffFormat::Json => json::format(&report),
        DiffFormat::Markdown => markdown::format(&report),
        DiffFormat::Text if out.quiet() => String::new(),
        DiffFormat::Text if args.stat => text::format_stat(&report, Style::new(out.color_stdout())),
        DiffFormat::Text => text::format(&report, Style::new(out.color_stdout())),
    };
    if let Some(path) = &summary_to {
        step_summary::append(path, &masker.mask(&markdown::format(&report)))?;
    }
    out.print(&masker.mask(&formatted))
        .context("cannot write to stdout")?;
    out.detail(&report.tally());
    Ok(if report.has_changes() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Reads `env:` sides from their tenants (read-only), and keeps the secrets met on the way.
struct Tenants<'a> {
    config: Option<&'a Config>,
    net: &'a NetArgs,
    out: &'a Shell,
    masker: Mutex<Masker>,
}

impl EnvSides for Tenants<'_> {
    fn load(&self, name: &str) -> Result<Loaded, BoxError> {
        // One line that names the side, the cause included.
        let lv = self
            .export(name)
            .map_err(|e| anyhow::anyhow!("env:{name}: {e:#}"))?;
        for w in &lv.warnings {
            self.out
                .note(&format!("warning: env:{name}: {}", lv.masker.mask(w)));
        }
        for n in &lv.notes {
            self.out.detail(&format!("note: env:{name}: {n}"));
        }
        self.masker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(&lv.masker);
        Ok(Loaded::from_values(
            lv.meters
                .into_iter()
                .map(|m| (format!("env:{name} (meter {})", m.meter_id), m.value))
                .collect(),
        ))
    }
}

impl Tenants<'_> {
    fn export(&self, name: &str) -> anyhow::Result<live::Live> {
        let config = self.config.ok_or_else(|| {
            anyhow::anyhow!(
                "no {} in this folder or any parent: env: sides name its environments; run `meterctl init` to start a repository (or pass --config PATH)",
                config::FILE_NAME
            )
        })?;
        let env = config.environment(name)?;
        let repo = load_repo(&config.meters_dir())?;
        let lock = Lock::load(&config.lock_path())?;
        let reader = Reader::connect(name, env, &super::repo::net(self.net, self.out))?;
        let _wait = self.out.wait(&format!("reading env:{name}"));
        let concurrency = self.net.concurrency as usize;
        Ok(live::export(name, env, &repo, &lock, &reader, concurrency)?)
    }
}
