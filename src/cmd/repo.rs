//! What the repository commands (`track`, `render`, `pull`, `plan`, `apply`) share: finding
//! meterctl.yaml, the network settings, the repository lock, and the check before sending.

use meterctl::config::{self, Config};
use meterctl::promote::guard::RepoLock;
use meterctl::promote::remote::{Limiter, Net};

use super::Shell;
use crate::cli::{LockArgs, NetArgs};

/// The nearest meterctl.yaml (or `--config`), or how to start one.
pub(super) fn find_config(out: &Shell) -> anyhow::Result<Config> {
    Config::discover(out.config.as_deref())?.ok_or_else(|| {
        anyhow::anyhow!(
            "no {} in this folder or any parent; run `meterctl init` to start a repository (or pass --config PATH)",
            config::FILE_NAME
        )
    })
}

/// The network flags, with the shell's request log.
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
            .map(|r| std::sync::Arc::new(Limiter::per_minute(r))),
    }
}

/// Takes the repository lock for a writing command (warning when a dead holder's lock was
/// reclaimed); it is released when the returned value is dropped, or on Ctrl-C.
pub(super) fn lock(
    config: &Config,
    command: &str,
    args: &LockArgs,
    out: &Shell,
) -> anyhow::Result<RepoLock> {
    let l = RepoLock::acquire(&config.root, command, args.lock_timeout)?;
    l.remove_on_signal();
    if let Some(h) = &l.reclaimed {
        out.note(&format!(
            "warning: reclaimed the repository lock of a meterctl that is gone ({})",
            h.describe()
        ));
    }
    Ok(l)
}

/// Validates every definition of the repository like `meterctl validate` with no paths
/// (meterctl.yaml's settings apply, cross-file rules included), before anything else; prints the
/// findings and returns false when any file is invalid.
pub(super) fn validate(config: &Config, out: &Shell) -> anyhow::Result<bool> {
    let meters = config.meters_dir();
    if !meters.exists() {
        return Ok(true);
    }
    let files = meterctl::load::discover(&[meters])?;
    let options = config::validate_options(Some(config), &Default::default())?;
    let reports = meterctl::validate::Validator::new(options)?.check_paths(&files);
    if reports.iter().all(|r| r.is_valid()) {
        return Ok(true);
    }
    let invalid: Vec<_> = reports.into_iter().filter(|r| !r.is_valid()).collect();
    super::validate::write_invalid(&invalid, out, out.quiet())?;
    out.error(&format!(
        "error: {} definition(s) of the repository are not valid; nothing was changed (fix them, or --no-validate goes on anyway)",
        invalid.len()
    ));
    Ok(false)
}
