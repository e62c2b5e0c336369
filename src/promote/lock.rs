//! `meterctl.lock`: which tenant meter holds which repository meter, per environment.
//!
//! Tenant meter ids differ per tenant and Zuora has no REST call that lists meters, so the lock
//! records, per environment and per `globalId`, the tenant's `meterId`, and the digest and name
//! of the definition last applied, pulled or tracked (the name tells a wrong entry from a renamed
//! meter: [`super::identity_mismatch`]). It is tool-written and committed: JSON (so also valid
//! YAML), keys sorted (`BTreeMap`), two-space indentation, one trailing newline, so the same
//! content always gives the same bytes. Every save is atomic (temporary file + rename), so the
//! file is valid at every moment, even when `apply` is killed between two meters.

use super::error::PromoteError;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fsutil::{display, write_atomic};

/// One tracked meter in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The tenant's meter id.
    #[serde(rename = "meterId")]
    pub meter_id: String,
    /// Digest of the definition last applied or pulled (`sha256:...`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The meter's name in the tenant when last applied, pulled or tracked: a tenant meter of
    /// this name is still the right one after a rename in the repository (or, once `track`
    /// confirmed it, in the tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Format version; only `1` exists.
    pub version: u32,
    /// Environment → globalId → entry.
    #[serde(default)]
    pub environments: BTreeMap<String, BTreeMap<String, LockEntry>>,
}

impl Default for Lock {
    fn default() -> Self {
        Lock {
            version: 1,
            environments: BTreeMap::new(),
        }
    }
}

impl Lock {
    /// Reads the lock; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<Lock, PromoteError> {
        let shown = || display(path).into_owned();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lock::default()),
            Err(source) => {
                return Err(PromoteError::Read {
                    path: shown(),
                    source,
                })
            }
        };
        let lock: Lock = serde_json::from_str(&text).map_err(|e| PromoteError::InvalidLock {
            path: shown(),
            line: e.line(),
            column: e.column(),
            detail: e.to_string(),
        })?;
        if lock.version != 1 {
            return Err(PromoteError::LockVersion {
                path: shown(),
                version: lock.version,
            });
        }
        Ok(lock)
    }

    /// The stable text of the lock.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the lock always serializes");
        s.push('\n');
        s
    }

    /// Writes the lock atomically.
    pub fn save(&self, path: &Path) -> Result<(), PromoteError> {
        write_atomic(path, self.to_text().as_bytes()).map_err(|source| PromoteError::Write {
            path: display(path).into_owned(),
            source,
        })
    }

    /// The entries of one environment (empty when none).
    pub fn env(&self, env: &str) -> BTreeMap<String, LockEntry> {
        self.environments.get(env).cloned().unwrap_or_default()
    }

    /// One entry.
    pub fn get(&self, env: &str, global_id: &str) -> Option<&LockEntry> {
        self.environments.get(env)?.get(global_id)
    }

    /// Records (or replaces) one entry.
    pub fn set(&mut self, env: &str, global_id: &str, entry: LockEntry) {
        self.environments
            .entry(env.to_string())
            .or_default()
            .insert(global_id.to_string(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_stable_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("meterctl.lock");
        assert_eq!(Lock::load(&p).unwrap(), Lock::default());
        let mut a = Lock::default();
        a.set(
            "production",
            "mtr-b",
            LockEntry {
                meter_id: "2".into(),
                digest: None,
                name: None,
            },
        );
        a.set(
            "production",
            "mtr-a",
            LockEntry {
                meter_id: "1".into(),
                digest: Some("sha256:x".into()),
                name: Some("A".into()),
            },
        );
        a.set(
            "sandbox",
            "mtr-a",
            LockEntry {
                meter_id: "7".into(),
                digest: None,
                name: None,
            },
        );
        a.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.find("mtr-a").unwrap() < text.find("mtr-b").unwrap());
        assert!(text.find("production").unwrap() < text.find("sandbox").unwrap());
        let b = Lock::load(&p).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_text(), text);
        crate::yaml::parse_value(&text).unwrap();
        std::fs::write(&p, "{\"version\": 1, \"environments\": {}, \"x\": 1}").unwrap();
        assert!(Lock::load(&p)
            .unwrap_err()
            .to_string()
            .contains("unknown field"));
    }
}
