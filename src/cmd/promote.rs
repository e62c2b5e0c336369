//! `meterctl init`, `config check`, `track`, `render`, `pull`, `plan` and `apply`: the GitOps
//! promotion commands. Each finds meterctl.yaml, picks the environment, and hands over to
//! [`meterctl::promote`]; this file only prints and maps outcomes (0 nothing to do, 1 changes pending
//! or something refused, 2 could not run).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context};

use super::{eprint_line, print, println, Outcome, Shell};
use crate::cli::{
    ApplyArgs, ConfigAction, DocFormat, InitArgs, LockArgs, NetArgs, PlanArgs, PlanFormat,
    PullArgs, RenderArgs, TrackArgs,
};
use meterctl::config::{self, Config};
use meterctl::fsutil::{display, write_atomic};
use meterctl::load::Format;
use meterctl::promote::lock::{Entry, Lock};
use meterctl::promote::plan::{self as plan_mod, Plan};
use meterctl::promote::remote::{Net, Reader, Writer};
use meterctl::promote::{self, apply as apply_mod, load_repo, pull as pull_mod};

pub(super) fn find_config(out: &Shell) -> anyhow::Result<Config> {
    Config::discover(out.config.as_deref())?.ok_or_else(|| {
        anyhow::anyhow!(
            "no {} in this folder or any parent; run `meterctl init` to start a repository (or pass --config PATH)",
            config::FILE_NAME
        )
    })
}

pub(super) fn net(n: &NetArgs, out: &Shell) -> Net {
    Net {
        request_timeout: n.retry.request_timeout,
        connect_timeout: n.retry.connect_timeout,
        max_attempts: n.retry.max_attempts,
        max_retry_time: n.retry.max_retry_time,
        retry_delay: n.retry.retry_delay,
        log: out.log(),
        limiter: n
            .max_rpm
            .map(|r| std::sync::Arc::new(meterctl::promote::remote::Limiter::per_minute(r))),
    }
}

/// Takes the repository lock for a writing command (warning when a dead holder's lock was
/// reclaimed); it is released when the returned value is dropped, or on Ctrl-C.
fn repo_lock(
    config: &Config,
    command: &str,
    args: &LockArgs,
    out: &Shell,
) -> anyhow::Result<promote::guard::RepoLock> {
    let l = promote::guard::RepoLock::acquire(&config.root, command, args.lock_timeout)?;
    l.remove_on_signal();
    if let (Some(h), false) = (&l.reclaimed, out.quiet()) {
        eprint_line(&format!(
            "warning: reclaimed the repository lock of a meterctl that is gone ({})",
            h.describe()
        ));
    }
    Ok(l)
}

// ----- init -----

const GITIGNORE_LINE: &str = ".meterctl/";

pub(super) fn init(args: InitArgs, out: Shell) -> anyhow::Result<Outcome> {
    let path = out
        .config
        .clone()
        .unwrap_or_else(|| config::FILE_NAME.into());
    if path.exists() {
        bail!(
            "{} already exists; `meterctl config check` checks it",
            display(&path)
        );
    }
    let mut envs: Vec<(String, String)> = Vec::new();
    for e in &args.envs {
        let Some((name, url)) = e.split_once('=') else {
            bail!("--env expects NAME=URL, got {e:?}");
        };
        if !config::is_env_name(name) {
            bail!("environment name {name:?}: use letters, digits, `_` and `-`");
        }
        meterctl::zuora::check_base_url(url)?;
        envs.push((name.to_string(), url.to_string()));
    }
    if envs.is_empty() {
        envs = vec![
            ("sandbox".into(), "https://rest.test.zuora.com".into()),
            ("production".into(), "https://rest.zuora.com".into()),
        ];
    }
    let mut text = String::from(
        "# meterctl repository: `meterctl config check` checks this file.\nversion: 1\nmeters: meters/                  # folder of definitions, one meter per file\nenvironments:\n",
    );
    for (name, url) in &envs {
        let var = name.to_ascii_uppercase().replace('-', "_");
        let mut lines = vec![
            (format!("  {name}:"), ""),
            (format!("    url: {url}"), ""),
            (
                format!("    client_id_env: ZUORA_{var}_CLIENT_ID"),
                "names of environment variables, never values",
            ),
            (
                format!("    client_secret_env: ZUORA_{var}_CLIENT_SECRET"),
                "",
            ),
            (
                "    entity_ids: []".to_string(),
                "optional, sent as Zuora-Entity-Ids",
            ),
            (
                "    values: {}".to_string(),
                "replaces ${{ values.NAME }} in definitions",
            ),
        ];
        if name == "production" {
            lines.push((
                "    protected: true".to_string(),
                "apply needs --yes, never deletes",
            ));
        }
        for (line, comment) in lines {
            if comment.is_empty() {
                text.push_str(&format!("{line}\n"));
            } else {
                text.push_str(&format!("{line:<50}# {comment}\n"));
            }
        }
    }
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    write_atomic(&path, text.as_bytes())?;
    std::fs::create_dir_all(root.join("meters"))?;
    let gi = root.join(".gitignore");
    let existing = std::fs::read_to_string(&gi).unwrap_or_default();
    if !existing.lines().any(|l| l.trim() == GITIGNORE_LINE) {
        let mut t = existing;
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
        t.push_str(
            "# meterctl's backups of tenant definitions (apply), and temporary files of an interrupted write\n.meterctl/\n.*.meterctl-*.tmp\n",
        );
        write_atomic(&gi, t.as_bytes())?;
    }
    // Check what was written with the same code every command uses.
    Config::load(&path)?;
    if !out.quiet() {
        println(&format!(
            "wrote {}, meters/ and .gitignore; environments: {}",
            display(&path),
            envs.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    Ok(Outcome::Clean)
}

// ----- config check -----

pub(super) fn config(action: ConfigAction, out: Shell) -> anyhow::Result<Outcome> {
    let ConfigAction::Check = action;
    let config = match Config::discover(out.config.as_deref()) {
        Ok(Some(c)) => c,
        Ok(None) => bail!("no {} in this folder or any parent", config::FILE_NAME),
        Err(e @ config::ConfigError::Invalid { .. }) => {
            eprint_line(&format!("error: {e}"));
            return Ok(Outcome::Findings);
        }
        Err(e) => return Err(e.into()),
    };
    if let Err(e) = load_repo(&config.meters_dir()) {
        eprint_line(&format!("error: {e:#}"));
        return Ok(Outcome::Findings);
    }
    if !out.quiet() {
        let shown = display(&config.root.join(config::FILE_NAME)).into_owned();
        println(&format!(
            "{shown}: valid; meters in {}; {} environment(s)",
            display(&config.meters_dir()),
            config.environments.len()
        ))?;
        for (name, env) in &config.environments {
            let set = |v: &str| {
                if std::env::var(v).is_ok_and(|x| !x.trim().is_empty()) {
                    format!("{v} set")
                } else {
                    format!("{v} not set")
                }
            };
            println(&format!(
                "  {name}: {} ({}, {}){}{}",
                env.url,
                set(&env.client_id_env),
                set(&env.client_secret_env),
                if env.values.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", values: {}",
                        env.values.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                },
                if env.protected { ", protected" } else { "" }
            ))?;
        }
    }
    Ok(Outcome::Clean)
}

// ----- track -----

pub(super) fn track(args: TrackArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = find_config(&out)?;
    let env = config.environment(&args.env)?;
    let _guard = repo_lock(&config, "track", &args.lock, &out)?;
    let lock_path = config.lock_path();
    let mut lock = Lock::load(&lock_path)?;
    let gid = &args.global_id;
    if gid.is_empty()
        || gid.len() > 128
        || !gid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        anyhow::bail!(
            "{gid:?} is not a valid globalId: use 1 to 128 letters, digits, `.`, `_` or `-` (as in the meter file)"
        );
    }
    // Zuora's meter ids are numbers; checked even with --no-check (a typo or a globalId in the
    // wrong place would be recorded otherwise).
    let id = &args.meter_id;
    if id.is_empty() || id.len() > 19 || !id.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "{id:?} is not a meter id: Zuora's meter ids are numbers (like 101), as `meter import` prints them or the UI shows them; nothing recorded"
        );
    }
    if let Some((other, _)) = lock
        .env(&args.env)
        .into_iter()
        .find(|(g, e)| g != gid && e.meter_id == args.meter_id)
    {
        anyhow::bail!(
            "meter {} of {} is already tracked as {other}; one tenant meter belongs to one globalId (nothing recorded)",
            args.meter_id,
            args.env
        );
    }
    let digest_and_name = if args.no_check {
        None
    } else {
        let reader = Reader::connect(&args.env, env, &net(&args.net, &out))?;
        match reader.export(&args.meter_id) {
            Ok(v) => Some((plan_mod::digest(&v), v["name"].as_str().map(str::to_string))),
            Err(e) if e.status() == Some(404) => {
                eprint_line(&format!(
                    "error: environment {} has no meter {}; nothing recorded",
                    args.env, args.meter_id
                ));
                return Ok(Outcome::Findings);
            }
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(old) = lock.get(&args.env, &args.global_id) {
        if old.meter_id != args.meter_id && !out.quiet() {
            eprint_line(&format!(
                "warning: {} was tracked as meter {} in {}; now meter {}",
                args.global_id, old.meter_id, args.env, args.meter_id
            ));
        }
    }
    lock.set(
        &args.env,
        &args.global_id,
        Entry {
            meter_id: args.meter_id.clone(),
            digest: digest_and_name.as_ref().map(|(d, _)| d.clone()),
            name: digest_and_name.and_then(|(_, n)| n),
        },
    );
    lock.save(&lock_path)?;
    if !out.quiet() {
        println(&format!(
            "tracked {} as meter {} in {}",
            args.global_id, args.meter_id, args.env
        ))?;
    }
    Ok(Outcome::Clean)
}

// ----- render -----

pub(super) fn render(args: RenderArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = find_config(&out)?;
    let env = config.environment(&args.env)?;
    let mut repo = load_repo(&config.meters_dir())?;
    if let Some(sel) = &args.meter {
        repo.retain(|m| &m.global_id == sel || &m.name == sel || display(&m.path) == sel.as_str());
        if repo.is_empty() {
            bail!("no meter with globalId, name or file {sel:?}");
        }
    }
    let (rendered, masker) = promote::render_all(&args.env, env, &repo)?;
    let format = match args.format {
        DocFormat::Json => Format::Json,
        DocFormat::Yaml => Format::Yaml,
    };
    let mut text = String::new();
    for (i, mut v) in rendered.into_iter().enumerate() {
        masker.mask_value(&mut v);
        if i > 0 && format == Format::Yaml {
            text.push_str("---\n");
        }
        text.push_str(&meterctl::canonical::to_canonical_string(&v, format));
    }
    print(&text)?;
    Ok(Outcome::Clean)
}

// ----- pull -----

pub(super) fn pull(args: PullArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = find_config(&out)?;
    let env = config.environment(&args.env)?;
    let meters = config.meters_dir();
    let _guard = repo_lock(&config, "pull", &args.lock, &out)?;
    let repo = load_repo(&meters)?;
    let lock_path = config.lock_path();
    let mut lock = Lock::load(&lock_path)?;
    if lock.env(&args.env).is_empty() {
        bail!(
            "nothing is tracked in environment {:?}; record meters with `meterctl track --env {} GLOBAL_ID METER_ID`",
            args.env,
            args.env
        );
    }
    let reader = Reader::connect(&args.env, env, &net(&args.net, &out))?;
    let report = pull_mod::pull(
        &args.env,
        env,
        &repo,
        &meters,
        &mut lock,
        &lock_path,
        &reader,
        &args.global_ids,
        args.net.concurrency as usize,
    )?;
    if !out.quiet() {
        for (gid, path) in &report.written {
            println(&format!("pulled {gid} → {}", display(path)))?;
        }
        for n in &report.notes {
            eprint_line(&format!("note: {n}"));
        }
    }
    for w in &report.warnings {
        eprint_line(&format!("warning: {w}"));
    }
    for (gid, why) in report.failed.iter().chain(&report.refused) {
        eprint_line(&format!("error: {gid}: {why}"));
    }
    if !out.quiet() {
        let failed = if report.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", report.failed.len())
        };
        println(&format!(
            "{} pulled ({} unchanged){failed}, {} refused",
            report.written.len(),
            report.unchanged,
            report.refused.len()
        ))?;
    }
    Ok(if report.refused.is_empty() && report.failed.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

// ----- plan -----

fn planned(
    env_name: &str,
    config: &Config,
    n: &NetArgs,
    out: &Shell,
) -> anyhow::Result<promote::Planned> {
    let env = config.environment(env_name)?;
    let repo = load_repo(&config.meters_dir())?;
    let lock = Lock::load(&config.lock_path())?;
    let reader = Reader::connect(env_name, env, &net(n, out))?;
    promote::compute_plan(env_name, env, &repo, &lock, &reader, n.concurrency as usize)
}

pub(super) fn plan(args: PlanArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = find_config(&out)?;
    if !args.no_validate && !validate_repository(&config, out.quiet())? {
        return Ok(Outcome::Findings);
    }
    let p = planned(&args.env, &config, &args.net, &out)?;
    if let Some(path) = &args.output {
        let mut text = serde_json::to_string_pretty(&p.plan)?;
        text.push('\n');
        write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", display(path)))?;
    }
    if !out.quiet() {
        match args.format {
            PlanFormat::Text => print(&p.plan.to_text(true))?,
            PlanFormat::Markdown => print(&p.plan.to_markdown())?,
            PlanFormat::Json => {
                let mut text = serde_json::to_string_pretty(&p.plan)?;
                text.push('\n');
                print(&text)?;
            }
        }
    }
    Ok(if p.plan.has_changes {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

// ----- apply -----

fn confirm(question: &str, env_name: &str, protected: bool, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if protected {
        bail!("environment {env_name:?} is protected: apply needs --yes (nothing was changed)");
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to write to {env_name:?} without --yes: no terminal to ask on (nothing was changed)");
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled; nothing was changed")
    }
}

fn check_saved(saved: &Plan, fresh: &Plan) -> anyhow::Result<()> {
    if saved.format_version != 1 {
        bail!(
            "the saved plan has format_version {}; meterctl writes 1",
            saved.format_version
        );
    }
    if saved.environment != fresh.environment {
        bail!(
            "the saved plan is for environment {:?}, not {:?}",
            saved.environment,
            fresh.environment
        );
    }
    let key = |p: &Plan| {
        p.actions
            .iter()
            .map(|a| {
                (
                    a.global_id.clone(),
                    (
                        a.action,
                        a.remote_fingerprint.clone(),
                        a.desired_digest.clone(),
                    ),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (s, f) = (key(saved), key(fresh));
    let mut stale: Vec<String> = Vec::new();
    for (gid, sv) in &s {
        match f.get(gid) {
            Some(fv) if fv == sv => {}
            Some(fv) if fv.1 != sv.1 => stale.push(format!("{gid} (changed in the tenant)")),
            Some(_) => stale.push(format!("{gid} (changed in the repository)")),
            None => stale.push(format!("{gid} (no longer in the plan)")),
        }
    }
    for gid in f.keys().filter(|g| !s.contains_key(*g)) {
        stale.push(format!("{gid} (new since the plan)"));
    }
    if !stale.is_empty() {
        bail!(
            "the saved plan is stale, nothing was changed: {}; run `meterctl plan --env {} -o PLAN.json` again",
            stale.join(", "),
            fresh.environment
        );
    }
    Ok(())
}

/// Validates every definition of the repository like `meterctl validate` with no paths
/// (meterctl.yaml's settings apply, cross-file rules included), before anything else; prints the
/// findings and returns false when any file is invalid.
fn validate_repository(config: &Config, quiet: bool) -> anyhow::Result<bool> {
    let meters = config.meters_dir();
    if !meters.exists() {
        return Ok(true);
    }
    let files = meterctl::load::discover(&[meters])?;
    let options = super::validate::options_from(Some(config), &Default::default())?;
    let reports = meterctl::validate::Validator::new(options)?.check_paths(&files);
    if reports.iter().all(|r| r.is_valid()) {
        return Ok(true);
    }
    let invalid: Vec<_> = reports.into_iter().filter(|r| !r.is_valid()).collect();
    let summary = meterctl::validate::Summary::of(&invalid);
    meterctl::report::validate::write(
        meterctl::report::validate::ValidateFormat::Text,
        &invalid,
        &summary,
        meterctl::report::validate::TextOptions {
            color: meterctl::report::color_stderr(),
            quiet,
        },
        &mut std::io::stderr().lock(),
    )?;
    eprint_line(&format!(
        "error: {} definition(s) of the repository are not valid; nothing was changed (fix them, or --no-validate goes on anyway)",
        invalid.len()
    ));
    Ok(false)
}

pub(super) fn apply(args: ApplyArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = find_config(&out)?;
    let env = config.environment(&args.env)?;
    // A dry run writes nothing, so it needs no lock.
    let _guard = if args.dry_run {
        None
    } else {
        Some(repo_lock(&config, "apply", &args.lock, &out)?)
    };
    let lock_path = config.lock_path();
    if let Some(folder) = &args.restore {
        let backup = apply_mod::read_backup(folder)?;
        if !out.quiet() {
            println(&format!(
                "Restore {} definition(s) from {} into {}:",
                backup.len(),
                display(folder),
                args.env
            ))?;
            for (gid, v) in &backup {
                println(&format!(
                    "  ~ {} ({gid})",
                    v["name"].as_str().unwrap_or("unnamed")
                ))?;
            }
        }
        if args.dry_run {
            return Ok(Outcome::Findings);
        }
        confirm(
            &format!("Restore these into {}?", args.env),
            &args.env,
            env.protected,
            args.yes,
        )?;
        let writer = Writer::connect(&args.env, env, &net(&args.net, &out))?;
        let o = apply_mod::restore(&args.env, &backup, &writer, &lock_path)?;
        for (gid, e) in &o.failed {
            eprint_line(&format!("error: {gid}: {e}"));
        }
        println(&format!(
            "{} restored, {} failed",
            o.updated,
            o.failed.len()
        ))?;
        return Ok(if o.failed.is_empty() {
            Outcome::Clean
        } else {
            Outcome::Findings
        });
    }
    if !args.no_validate && !validate_repository(&config, out.quiet())? {
        return Ok(Outcome::Findings);
    }
    let p = planned(&args.env, &config, &args.net, &out)?;
    if let Some(path) = &args.plan {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", display(path)))?;
        let saved: Plan = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a plan written by `meterctl plan -o`",
                display(path)
            )
        })?;
        check_saved(&saved, &p.plan)?;
    }
    if !out.quiet() {
        print(&p.plan.to_text(out.verbose()))?;
    }
    if !p.plan.has_changes {
        if !out.quiet() {
            println("nothing to do")?;
        }
        return Ok(Outcome::Clean);
    }
    if args.dry_run {
        if !out.quiet() {
            println("dry run: nothing was changed")?;
        }
        return Ok(Outcome::Findings);
    }
    let n = p.plan.count(plan_mod::Action::Create) + p.plan.count(plan_mod::Action::Update);
    let untracked = p.plan.untracked();
    let untracked_note = if untracked > 0 {
        format!(
            ", {untracked} of them untracked (imported by globalId: a tenant meter that already has it is overwritten without a backup)"
        )
    } else {
        String::new()
    };
    if untracked > 0 && args.yes && !out.quiet() {
        eprint_line(&format!(
            "note: applying {n} change(s) to {}{untracked_note}",
            args.env
        ));
    }
    confirm(
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
            .filter(|a| a.untracked && a.action == plan_mod::Action::Create)
            .map(|a| a.global_id.as_str())
            .collect();
        bail!(
            "environment {:?} is protected and {untracked} meter(s) to create are not tracked in meterctl.lock ({}): if the tenant already holds them (a lost or uncommitted meterctl.lock), importing overwrites them without a backup. Restore meterctl.lock from Git, record known meters with `meterctl track`, or pass --allow-untracked if they are new (nothing was changed)",
            args.env,
            gids.join(", ")
        );
    }
    let writer = Writer::connect(&args.env, env, &net(&args.net, &out))?;
    let o = apply_mod::apply(
        &p,
        &writer,
        &lock_path,
        &config.root,
        &apply_mod::Options {
            concurrency: args.net.concurrency as usize,
            fail_fast: args.fail_fast,
            progress: out.progress(),
        },
    )?;
    if let (Some(b), false) = (&o.backup, out.quiet()) {
        eprint_line(&format!(
            "backed up the overwritten definitions to {} (`meterctl apply --env {} --restore {} --yes` puts them back)",
            display(b),
            args.env,
            display(b)
        ));
    }
    if !out.quiet() {
        for (gid, n) in &o.notes {
            eprint_line(&format!("note: {gid}: {n}"));
        }
    }
    for (gid, e) in o.failed.iter().chain(&o.overwrote) {
        eprint_line(&format!("error: {gid}: {e}"));
    }
    if !out.quiet() {
        println(&o.summary())?;
    }
    Ok(
        if o.failed.is_empty() && o.skipped == 0 && o.overwrote.is_empty() {
            Outcome::Clean
        } else {
            Outcome::Findings
        },
    )
}
