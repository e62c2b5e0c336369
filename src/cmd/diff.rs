//! `meterctl diff`: load both sides (in parallel), pair and compare meters, render the report.

use std::io::Write;

use anyhow::Context;

use super::{eprint_line, AlreadyReported, Outcome, Output};
use crate::cli::{DiffArgs, DiffFormat};
use crate::diff::side::{self, Loaded, Side, SideError};
use crate::diff::{self as engine, Options, PointerGlob, Report};
use crate::report::diff::{json, markdown, text};
use crate::report::{color_stdout, Style};

pub(super) fn run(args: DiffArgs, out: Output) -> anyhow::Result<Outcome> {
    let opts = Options {
        include_volatile: args.include_volatile,
        ignore: args
            .ignore
            .iter()
            .filter(|g| !g.trim().is_empty())
            .map(|g| PointerGlob::new(g.trim()))
            .collect(),
    };
    let left = Side::parse(&args.left);
    let right = args.right.as_deref().map(Side::parse);
    let report = match &args.versions {
        Some(v) => versions(&left, right.as_ref(), &v[0], &v[1], &opts)?,
        None => {
            let right = right.expect("clap requires RIGHT without --versions");
            let (l, r) = rayon::join(
                || side::load(&left, Some(&right)),
                || side::load(&right, Some(&left)),
            );
            let (l, r) = (loaded(l)?, loaded(r)?);
            engine::diff_sides(&l.docs, &r.docs, l.single_file && r.single_file, &opts)?
        }
    };
    let rendered = match args.format {
        DiffFormat::Json => json::render(&report),
        DiffFormat::Markdown => markdown::render(&report),
        DiffFormat::Text if out.quiet => String::new(),
        DiffFormat::Text if args.stat => text::render_stat(&report, Style::new(color_stdout())),
        DiffFormat::Text => text::render(&report, Style::new(color_stdout())),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(rendered.as_bytes())
        .context("cannot write to stdout")?;
    stdout.flush()?;
    if out.verbose {
        let s = report.summary();
        eprint_line(&format!(
            "{} meters: {} changed, {} added, {} removed, {} unchanged",
            report.meters.len(),
            s.changed,
            s.added,
            s.removed,
            s.unchanged
        ));
    }
    Ok(if report.has_changes() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// A loaded side, or every file problem printed and an error that says so.
fn loaded(r: Result<Loaded, SideError>) -> anyhow::Result<Loaded> {
    match r {
        Ok(l) => Ok(l),
        Err(SideError::Files(diags)) => {
            for d in &diags {
                eprint_line(&format!("error: {d}"));
            }
            Err(AlreadyReported(format!("{} files could not be read", diags.len())).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `--versions A B`: version A of LEFT's one meter against version B of RIGHT's (or LEFT's).
fn versions(
    left: &Side,
    right: Option<&Side>,
    a: &str,
    b: &str,
    opts: &Options,
) -> anyhow::Result<Report> {
    let one = |s: &Side, other: Option<&Side>| -> anyhow::Result<engine::Doc> {
        let mut l = loaded(side::load(s, other))?;
        match l.docs.len() {
            1 => Ok(l.docs.remove(0)),
            n => anyhow::bail!(
                "--versions compares two versions of one meter, but {} holds {n} definitions; name one file",
                describe(s)
            ),
        }
    };
    let l = one(left, right)?;
    let r = match right {
        Some(r) => one(r, Some(left))?,
        None => l.clone(),
    };
    let m = engine::diff_versions(&l, a, &r, b, opts)?;
    Ok(Report { meters: vec![m] })
}

fn describe(s: &Side) -> String {
    match s {
        Side::Path(p) => crate::fsutil::display(p).into_owned(),
        Side::Git { rev, path: None } => format!("git:{rev}"),
        Side::Git { rev, path: Some(p) } => format!("git:{rev}:{}", p.display()),
        Side::Env(n) => format!("env:{n}"),
    }
}
