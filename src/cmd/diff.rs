//! `meterctl diff`: load both sides (in parallel), pair and compare meters, render the report.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use rayon::prelude::*;

use super::{eprint_line, AlreadyReported, Outcome, Shell};
use crate::cli::{DiffArgs, DiffFormat, NetArgs};
use meterctl::config::Config;
use meterctl::diagnostic::Diagnostic;
use meterctl::diff::side::{self, Loaded, Side, SideError};
use meterctl::diff::{self as engine, Identity, MeterDiff, Options, PointerGlob, Report};
use meterctl::promote::lock::Lock;
use meterctl::promote::remote::Reader;
use meterctl::promote::values::Masker;
use meterctl::promote::{live, load_repo};
use meterctl::report::diff::{json, markdown, text};
use meterctl::report::{color_stdout, Style};

pub(super) fn run(args: DiffArgs, out: Shell) -> anyhow::Result<Outcome> {
    // meterctl.yaml's `diff.ignore` adds to --ignore.
    let config = Config::discover(out.config.as_deref())?;
    let from_config = config.iter().flat_map(|c| c.diff.ignore.iter());
    let opts = Options {
        include_volatile: args.include_volatile,
        ignore: args
            .ignore
            .iter()
            .chain(from_config)
            .filter(|g| !g.trim().is_empty())
            .map(|g| PointerGlob::new(g.trim()))
            .collect(),
    };
    if args.stat && args.format != DiffFormat::Text {
        anyhow::bail!(
            "--stat is a text layout; it cannot be combined with --format json or markdown"
        );
    }
    let left = Side::parse(&args.left);
    let right = args.right.as_deref().map(Side::parse);
    let cx = Cx {
        config: config.as_ref(),
        net: &args.net,
        out: &out,
        masker: Mutex::new(Masker::default()),
    };
    let mut report = match &args.versions {
        Some(v) => versions(&left, right.as_ref(), &v[0], &v[1], &opts, &cx)?,
        None => {
            let right = right.expect("clap requires RIGHT without --versions");
            sides(&left, &right, &opts, &cx)?
        }
    };
    // A tenant's secrets never show, whatever side they come from.
    let masker = cx.masker.into_inner().unwrap_or_else(|p| p.into_inner());
    mask_report(&mut report, &masker);
    let rendered = match args.format {
        DiffFormat::Json => json::render(&report),
        DiffFormat::Markdown => markdown::render(&report),
        DiffFormat::Text if out.quiet() => String::new(),
        DiffFormat::Text if args.stat => text::render_stat(&report, Style::new(color_stdout())),
        DiffFormat::Text => text::render(&report, Style::new(color_stdout())),
    };
    let rendered = masker.mask(&rendered);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(rendered.as_bytes())
        .context("cannot write to stdout")?;
    stdout.flush()?;
    if out.verbose() {
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

/// Compares two sides: list both, read every file's identity, pair, then read, parse and compare
/// pair by pair in parallel (byte-identical files are unchanged without parsing).
fn sides(left: &Side, right: &Side, opts: &Options, cx: &Cx<'_>) -> anyhow::Result<Report> {
    let quiet = cx.out.quiet();
    let (l, r) = rayon::join(
        || load_side(left, Some(right), cx),
        || load_side(right, Some(left), cx),
    );
    let (l, r) = (l?, r?);
    let (li, ri) = rayon::join(|| l.identities(), || r.identities());
    let (li, ri) = (
        meters_only(loaded(li)?, &l, quiet),
        meters_only(loaded(ri)?, &r, quiet),
    );
    let single = l.single_file && r.single_file;
    let ids = |v: &[(usize, Identity)]| v.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>();
    let pairs = engine::pair(&ids(&li), &ids(&ri), single)?;
    let results: Vec<Result<MeterDiff, Diagnostic>> = pairs
        .par_iter()
        .map(|&(a, b)| {
            let a = a.map(|i| &li[i]);
            let b = b.map(|j| &ri[j]);
            if let (Some((i, ia)), Some((j, ib))) = (a, b) {
                let (lb, rb) = (l.entries[*i].bytes()?, r.entries[*j].bytes()?);
                if lb == rb {
                    return Ok(engine::unchanged(ia, ib));
                }
                let (ld, rd) = (l.entries[*i].parse(lb)?, r.entries[*j].parse(rb)?);
                return Ok(engine::diff_pair(Some(&ld), Some(&rd), opts));
            }
            let ld = a.map(|(i, _)| l.entries[*i].load()).transpose()?;
            let rd = b.map(|(j, _)| r.entries[*j].load()).transpose()?;
            Ok(engine::diff_pair(ld.as_ref(), rd.as_ref(), opts))
        })
        .collect();
    let mut meters = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for res in results {
        match res {
            Ok(m) => meters.push(m),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        loaded::<()>(Err(SideError::Files(errors)))?;
    }
    Ok(Report::new(meters))
}

/// What loading an `env:` side needs, and the secrets met on the way.
struct Cx<'a> {
    config: Option<&'a Config>,
    net: &'a NetArgs,
    out: &'a Shell,
    masker: Mutex<Masker>,
}

/// Lists a side; an `env:NAME` side is exported from the tenant (read-only) and put back into
/// repository form ([`live`]).
fn load_side(s: &Side, other: Option<&Side>, cx: &Cx<'_>) -> anyhow::Result<Loaded> {
    let Side::Env(name) = s else {
        return loaded(side::load(s, other));
    };
    // One line that names the side, the cause included.
    let lv = live_side(name, cx).map_err(|e| anyhow::anyhow!("env:{name}: {e:#}"))?;
    if !cx.out.quiet() {
        for w in &lv.warnings {
            eprint_line(&format!("warning: env:{name}: {}", lv.masker.mask(w)));
        }
        if cx.out.verbose() {
            for n in &lv.notes {
                eprint_line(&format!("note: env:{name}: {n}"));
            }
        }
    }
    cx.masker
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

fn live_side(name: &str, cx: &Cx<'_>) -> anyhow::Result<live::Live> {
    let config = cx.config.ok_or_else(|| {
        anyhow::anyhow!(
            "no {} in this folder or any parent: env: sides name its environments; run `meterctl init` to start a repository (or pass --config PATH)",
            meterctl::config::FILE_NAME
        )
    })?;
    let env = config.environment(name)?;
    let repo = load_repo(&config.meters_dir())?;
    let lock = Lock::load(&config.lock_path())?;
    let reader = Reader::connect(name, env, &super::repo::net(cx.net, cx.out))?;
    live::export(
        name,
        env,
        &repo,
        &lock,
        &reader,
        cx.net.concurrency as usize,
    )
}

/// Masks known secrets in every value of the report (before any format renders it).
fn mask_report(report: &mut Report, masker: &Masker) {
    if masker.is_empty() {
        return;
    }
    for m in &mut report.meters {
        for c in &mut m.changes {
            for v in [&mut c.old, &mut c.new].into_iter().flatten() {
                masker.mask_value(v);
            }
            c.path = masker.mask(&c.path);
            c.note = c.note.as_deref().map(|n| masker.mask(n));
        }
        m.name = m.name.as_deref().map(|n| masker.mask(n));
        m.note = m.note.as_deref().map(|n| masker.mask(n));
    }
}

/// Keeps the definitions that are meters (a `globalId` or a `name`), with their entry index; warns
/// about the others unless `quiet` (a `meterctl.yaml` config is skipped silently).
fn meters_only(ids: Vec<Identity>, side: &Loaded, quiet: bool) -> Vec<(usize, Identity)> {
    let single = side.single_file;
    ids.into_iter()
        .enumerate()
        .filter(|(_, id)| {
            if id.is_meter() || single {
                return true;
            }
            let file = Path::new(&id.origin).file_name().and_then(|f| f.to_str());
            if !quiet && !matches!(file, Some("meterctl.yaml" | "meterctl.yml")) {
                eprint_line(&format!(
                    "warning: {}: not a meter definition (no globalId or name); skipped",
                    id.origin
                ));
            }
            false
        })
        .collect()
}

/// A loaded side, or every file problem printed and an error that says so.
fn loaded<T>(r: Result<T, SideError>) -> anyhow::Result<T> {
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
    cx: &Cx<'_>,
) -> anyhow::Result<Report> {
    let one = |s: &Side, other: Option<&Side>| -> anyhow::Result<engine::Doc> {
        let l = load_side(s, other, cx)?;
        match l.entries.len() {
            1 => Ok(loaded(l.load_all())?.remove(0)),
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
        Side::Path(p) => meterctl::fsutil::display(p).into_owned(),
        Side::Git { rev, path: None } => format!("git:{rev}"),
        Side::Git { rev, path: Some(p) } => format!("git:{rev}:{}", p.display()),
        Side::Env(n) => format!("env:{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_described_as_written() {
        assert_eq!(describe(&Side::parse("git:HEAD~1")), "git:HEAD~1");
        assert_eq!(
            describe(&Side::parse("git:main:m/a.yaml")),
            "git:main:m/a.yaml"
        );
        assert_eq!(describe(&Side::parse("./meters")), "meters");
        assert_eq!(describe(&Side::parse("env:prod")), "env:prod");
    }

    #[test]
    fn non_meters_are_dropped_but_single_files_kept() {
        let id = |origin: &str, name: Option<&str>| Identity {
            origin: origin.into(),
            global_id: None,
            name: name.map(str::to_string),
        };
        let folder = Loaded::default();
        let kept = meters_only(
            vec![id("m/a.yaml", Some("A")), id("m/meterctl.yaml", None)],
            &folder,
            true,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].0, 0);
        let single = Loaded {
            single_file: true,
            ..Loaded::default()
        };
        assert_eq!(
            meters_only(vec![id("x.json", None)], &single, true).len(),
            1
        );
    }
}
