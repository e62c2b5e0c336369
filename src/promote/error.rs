//! Everything that stops a promotion before or around its network calls, as one typed error per
//! case: the repository's files (`load_repo`), placeholders (`render_all`), `meterctl.lock`,
//! `--only`, credentials, lock entries that point at the wrong tenant meter, and Zuora's own
//! errors ([`ZuoraError`]). Messages are the ones users see; none holds a secret (a tenant's text
//! is masked before it is kept).

use crate::config::ConfigError;
use crate::diagnostic::Diagnostic;
use crate::load::DiscoverError;
use crate::zuora::ZuoraError;

/// Why a promotion step could not be done.
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    /// meterctl.yaml cannot be used (an unknown environment).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The meters folder cannot be listed.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// A repository definition cannot be read or parsed.
    #[error("{0}")]
    Definition(Diagnostic),
    /// A repository definition without a `globalId`.
    #[error("{path}: no top-level `globalId`; every meter file needs one (its portable identity across tenants), e.g. `globalId: mtr-{slug}`")]
    NoGlobalId {
        /// The file, as shown.
        path: String,
        /// A suggested id from its file name.
        slug: String,
    },
    /// Two repository definitions with one `globalId`.
    #[error("{first} and {second} both have globalId {global_id:?}; each meter needs its own")]
    DuplicateGlobalId {
        /// The first file, as shown.
        first: String,
        /// The second file, as shown.
        second: String,
        /// The shared id.
        global_id: String,
    },
    /// Placeholders without a value for the environment (`file: placeholder` each).
    #[error("{} placeholder(s) cannot be filled in for environment {env:?}; nothing was sent:\n  {}", .unresolved.len(), .unresolved.join("\n  "))]
    Unresolved {
        /// The environment.
        env: String,
        /// One line per unresolved placeholder.
        unresolved: Vec<String>,
    },
    /// Lock entries that point at the wrong tenant meter (see `identity_mismatch`).
    #[error("{} meterctl.lock entr{} of {env} point{} at the wrong tenant meter; {consequence}:\n  {}", .mismatches.len(), if .mismatches.len() == 1 { "y" } else { "ies" }, if .mismatches.len() == 1 { "s" } else { "" }, .mismatches.join("\n  "))]
    WrongEntries {
        /// The environment.
        env: String,
        /// One line per entry (masked).
        mismatches: Vec<String>,
        /// What was (not) done about it.
        consequence: String,
    },
    /// A tracked meter could not be exported.
    #[error("cannot export meter {meter_id} ({global_id}) from {env}")]
    Export {
        /// The tenant's meter id.
        meter_id: String,
        /// Its globalId.
        global_id: String,
        /// The environment.
        env: String,
        /// Zuora's error, secrets masked.
        #[source]
        source: Detail,
    },
    /// `pull` of a meter the environment does not track.
    #[error("{global_id} is not tracked in environment {env:?}; record it first with `meterctl track --env {env} {global_id} METER_ID`")]
    NotTracked {
        /// The globalId.
        global_id: String,
        /// The environment.
        env: String,
    },
    /// The tenant refused the credentials while pulling.
    #[error("cannot export from {env}; nothing was written")]
    PullRefused {
        /// The environment.
        env: String,
        /// Zuora's error.
        #[source]
        source: Detail,
    },
    /// A repository file (`meterctl.lock`, a saved plan) cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `meterctl.lock` is not the lock's JSON.
    #[error("{path}:{line}:{column}: {detail}; meterctl.lock is written by meterctl, restore it from Git")]
    InvalidLock {
        /// The file, as shown.
        path: String,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// The JSON reader's words.
        detail: String,
    },
    /// `meterctl.lock` of a later format.
    #[error("{path}: lock version {version} is not supported")]
    LockVersion {
        /// The file, as shown.
        path: String,
        /// Its version.
        version: u32,
    },
    /// A folder cannot be created.
    #[error("cannot create {path}")]
    CreateDir {
        /// The folder, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A repository file (a definition, `meterctl.lock`) cannot be written.
    #[error("cannot write {path}")]
    Write {
        /// The file, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A permission change that failed (backups are private to the user).
    #[error("cannot restrict the permissions of {path}")]
    Permissions {
        /// The file or folder, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `init` could not write the new repository.
    #[error(transparent)]
    Io(std::io::Error),
    /// The tenant refused the credentials in the middle of `apply`.
    #[error("{detail}\nthe credentials for {env} were refused, so apply stopped: {done} meter(s) were applied before (recorded in meterctl.lock), the others were not sent")]
    ApplyRefused {
        /// Zuora's error, as text.
        detail: String,
        /// The environment.
        env: String,
        /// How many meters were applied before.
        done: usize,
    },
    /// A backup folder that cannot be listed.
    #[error("cannot read backup folder {path}")]
    ReadBackup {
        /// The folder, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A backup file without a `globalId`.
    #[error("{path}: no globalId; not a meterctl backup")]
    NotABackup {
        /// The file, as shown.
        path: String,
    },
    /// A backup folder without backup files.
    #[error("{path}: no backup files (*.json) in it")]
    EmptyBackup {
        /// The folder, as shown.
        path: String,
    },
    /// A saved plan file that is not a plan.
    #[error("{path}: not a plan written by `meterctl plan -o`")]
    NotAPlan {
        /// The file, as shown.
        path: String,
        /// The JSON reader's error.
        #[source]
        source: serde_json::Error,
    },
    /// A saved plan of another format.
    #[error("the saved plan has format_version {version}; meterctl writes 1")]
    PlanVersion {
        /// Its `format_version`.
        version: u32,
    },
    /// A saved plan of another environment.
    #[error("the saved plan is for environment {saved:?}, not {fresh:?}")]
    PlanEnvironment {
        /// The saved plan's environment.
        saved: String,
        /// The environment asked for.
        fresh: String,
    },
    /// A saved plan that no longer matches the fresh one.
    #[error("the saved plan is stale, nothing was changed: {}; run `meterctl plan --env {env} -o PLAN.json` again", .stale.join(", "))]
    StalePlan {
        /// `globalId (what changed)`, one per meter.
        stale: Vec<String>,
        /// The environment.
        env: String,
    },
    /// An `--only` pattern that is not a glob.
    #[error("--only {pattern:?} is not a valid glob: {detail}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// The glob parser's words.
        detail: String,
    },
    /// `--only` patterns that match no meter.
    #[error("--only {} matches no meter in the repository or meterctl.lock; check the globalId (`meterctl plan --show-unchanged` lists them)", .unmatched.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", --only "))]
    UnmatchedOnly {
        /// The patterns, as given.
        unmatched: Vec<String>,
    },
    /// The environment's credential variables are not set.
    #[error("no credentials for environment {env:?}: set {id_var} and {secret_var} (meterctl.yaml names the variables; credentials are read only from the environment)")]
    NoCredentials {
        /// The environment.
        env: String,
        /// The variable of the client id.
        id_var: String,
        /// The variable of the client secret.
        secret_var: String,
    },
    /// Zuora answered with an error, or could not be reached.
    #[error(transparent)]
    Zuora(#[from] ZuoraError),
}

/// An error and its causes on one line, `error: cause: cause` (as `{:#}` shows an
/// `anyhow::Error`).
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut next = e.source();
    while let Some(c) = next {
        s.push_str(": ");
        s.push_str(&c.to_string());
        next = c.source();
    }
    s
}

/// The text of an underlying error, kept as text (masked of a tenant's secrets where it can hold
/// them).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Detail(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_ones_users_saw_before() {
        let one = PromoteError::WrongEntries {
            env: "prod".into(),
            mismatches: vec!["a".into()],
            consequence: "nothing was changed".into(),
        };
        assert_eq!(
            one.to_string(),
            "1 meterctl.lock entry of prod points at the wrong tenant meter; nothing was changed:\n  a"
        );
        let two = PromoteError::WrongEntries {
            env: "prod".into(),
            mismatches: vec!["a".into(), "b".into()],
            consequence: "nothing was written".into(),
        };
        assert!(two
            .to_string()
            .starts_with("2 meterctl.lock entries of prod point at"));
        let write = PromoteError::Write {
            path: "meterctl.lock".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(with_causes(&write), "cannot write meterctl.lock: disk full");
        let only = PromoteError::UnmatchedOnly {
            unmatched: vec!["x".into(), "y*".into()],
        };
        assert!(only
            .to_string()
            .starts_with("--only \"x\", --only \"y*\" matches no meter"));
    }
}
