//! The repository's advisory lock: one `apply`, `pull` or `track` at a time per repository.
//!
//! Two `apply` runs at once each imported the same meters and raced on `meterctl.lock`. Each of
//! the writing commands therefore holds `.meterctl/lock` (git-ignored by `init`) while it runs:
//! a small JSON file with the holder's pid, host, command and start time, created with
//! `O_CREAT|O_EXCL` so exactly one process gets it. Another run waits up to its `--lock-timeout`
//! (default 0: it fails at once, naming the holder). A lock left by a process that is gone (same
//! host, pid no longer alive) is reclaimed, and the caller is told so it can warn. The lock is
//! removed when the [`RepoLock`] is dropped, and on SIGINT/SIGTERM/SIGHUP by a signal handler
//! ([`RepoLock::remove_on_signal`]) before the process dies of the signal as it would have.

use std::ffi::CString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::fsutil::display;

/// Where the lock lives, relative to the repository root.
pub const LOCK_FILE: &str = ".meterctl/lock";

/// Who holds the lock (the file's content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// The command (`apply`, `pull`, `track`).
    pub command: String,
    /// Start time, UTC (`2026-11-26T14:48:00.000+0000`).
    pub since: String,
}

impl Holder {
    fn me(command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_string(),
            since: crate::clock::format_ms(crate::clock::now_ms()),
        }
    }

    /// `apply, pid 4242 on host ci-7 since 2026-11-26T14:48:00.000+0000`.
    pub fn describe(&self) -> String {
        format!(
            "{}, pid {} on host {} since {}",
            self.command, self.pid, self.host, self.since
        )
    }
}

/// This machine's host name (`unknown` when it cannot be read).
pub fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            let h = String::from_utf8_lossy(&buf[..end]).trim().to_string();
            if !h.is_empty() {
                return h;
            }
        }
    }
    std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether a process with this pid is alive on this host (`true` when it cannot be told).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only checks that the process exists and may be signalled.
        if unsafe { libc::kill(pid, 0) } == 0 {
            return true;
        }
        std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The held lock; removed on drop.
#[derive(Debug)]
pub struct RepoLock {
    path: PathBuf,
    me: Holder,
    /// The stale holder that was reclaimed, if any (the caller warns).
    pub reclaimed: Option<Holder>,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds it.
    #[error("another meterctl is working on this repository ({holder}; lock file {path}): nothing was changed; wait for it to finish or pass --lock-timeout DURATION to wait{hint}")]
    Held {
        /// Who, as [`Holder::describe`] (or why the file could not be read).
        holder: String,
        /// The lock file.
        path: String,
        /// How to clear a lock left behind.
        hint: String,
    },
    /// The lock file (or its folder) cannot be created, written or read.
    #[error("cannot {action} {path}")]
    Io {
        /// `create`, `write` or `read`.
        action: &'static str,
        /// The file or folder, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The [`LockError::Io`] of `action` on `path`.
fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> LockError + 'a {
    move |source| LockError::Io {
        action,
        path: display(path).into_owned(),
        source,
    }
}

fn read_holder(path: &Path) -> std::io::Result<Option<Holder>> {
    let text = std::fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text).ok())
}

impl RepoLock {
    /// Takes `root/.meterctl/lock` for `command`, waiting up to `timeout` for another holder.
    pub fn acquire(root: &Path, command: &str, timeout: Duration) -> Result<RepoLock, LockError> {
        let path = root.join(LOCK_FILE);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        }
        let me = Holder::me(command);
        let text = serde_json::to_string(&me).expect("a holder serializes") + "\n";
        let start = Instant::now();
        let mut reclaimed = None;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
                    if let Err(e) = written {
                        let _ = std::fs::remove_file(&path);
                        return Err(io("write", &path)(e));
                    }
                    return Ok(RepoLock {
                        path,
                        me,
                        reclaimed,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io("create", &path)(e)),
            }
            let holder = match read_holder(&path) {
                Ok(h) => h,
                // Released between our attempt and this read: try again at once.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("read", &path)(e)),
            };
            if let Some(h) = &holder {
                if h.host == me.host && !alive(h.pid) && reclaim(&path, h) {
                    reclaimed = Some(h.clone());
                    continue;
                }
            }
            if start.elapsed() >= timeout {
                let (holder, hint) = match holder {
                    Some(h) => (
                        h.describe(),
                        format!(
                            "; if that process is gone (another host's), delete {}",
                            display(&path)
                        ),
                    ),
                    None => (
                        "holder unknown: the lock file is not meterctl's JSON".to_string(),
                        format!("; if no meterctl runs, delete {}", display(&path)),
                    ),
                };
                return Err(LockError::Held {
                    holder,
                    path: display(&path).into_owned(),
                    hint,
                });
            }
            std::thread::sleep(
                Duration::from_millis(50).min(timeout.saturating_sub(start.elapsed())),
            );
        }
    }

    /// Also removes the lock file when the process is ended by SIGINT (Ctrl-C), SIGTERM or
    /// SIGHUP; the process then dies of that signal as it would have. Call once per process.
    pub fn remove_on_signal(&self) {
        #[cfg(unix)]
        {
            let Ok(c) = CString::new(self.path.as_os_str().as_encoded_bytes()) else {
                return;
            };
            if SIGNAL_PATH.set(c).is_err() {
                return;
            }
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: the handler only calls async-signal-safe functions (unlink, signal,
                // raise) on a path fixed before the handler was installed.
                unsafe {
                    libc::signal(sig, on_signal as *const () as libc::sighandler_t);
                }
            }
        }
    }
}

static SIGNAL_PATH: OnceLock<CString> = OnceLock::new();

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: async-signal-safe calls only; the path was set before the handler was installed.
    unsafe {
        if let Some(p) = SIGNAL_PATH.get() {
            libc::unlink(p.as_ptr());
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Moves a stale lock out of the way; false when someone else changed it meanwhile.
fn reclaim(path: &Path, stale: &Holder) -> bool {
    let aside = path.with_file_name(format!("lock.stale-{}", std::process::id()));
    if std::fs::rename(path, &aside).is_err() {
        return false;
    }
    // Between our read and the rename, another process may have reclaimed the stale lock and
    // taken a fresh one: if what we moved is not the stale lock, put it back.
    match read_holder(&aside) {
        Ok(Some(h)) if &h == stale => {
            let _ = std::fs::remove_file(&aside);
            true
        }
        _ => {
            let _ = std::fs::hard_link(&aside, path);
            let _ = std::fs::remove_file(&aside);
            false
        }
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        // Only our own lock is removed (never one taken after a reclaim by someone else).
        if let Ok(Some(h)) = read_holder(&self.path) {
            if h == self.me {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = RepoLock::acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        assert!(a.reclaimed.is_none());
        let e = RepoLock::acquire(dir.path(), "pull", Duration::ZERO).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("apply, pid {} on host", std::process::id())),
            "{msg}"
        );
        drop(a);
        assert!(!dir.path().join(LOCK_FILE).exists());
        drop(RepoLock::acquire(dir.path(), "pull", Duration::ZERO).unwrap());
    }

    #[test]
    fn waits_for_a_release_within_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let a = RepoLock::acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(a);
        });
        let b = RepoLock::acquire(dir.path(), "track", Duration::from_secs(10)).unwrap();
        t.join().unwrap();
        assert!(b.reclaimed.is_none());
    }

    #[test]
    fn a_dead_holder_on_this_host_is_reclaimed_another_hosts_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(LOCK_FILE);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let dead = Holder {
            pid: i32::MAX as u32 - 1,
            host: hostname(),
            command: "apply".into(),
            since: "2026-01-01T00:00:00.000+0000".into(),
        };
        std::fs::write(&p, serde_json::to_string(&dead).unwrap()).unwrap();
        let l = RepoLock::acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        assert_eq!(l.reclaimed, Some(dead.clone()));
        drop(l);
        let elsewhere = Holder {
            host: format!("{}-other", hostname()),
            ..dead
        };
        std::fs::write(&p, serde_json::to_string(&elsewhere).unwrap()).unwrap();
        let msg = RepoLock::acquire(dir.path(), "apply", Duration::ZERO)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("-other since 2026-01-01"), "{msg}");
        std::fs::write(&p, "garbage").unwrap();
        let msg = RepoLock::acquire(dir.path(), "apply", Duration::ZERO)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not meterctl's JSON"), "{msg}");
    }
}
