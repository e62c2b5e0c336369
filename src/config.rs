//! `meterctl.yaml`: the repository's configuration, found by walking up from the current folder
//! (like cargo finds Cargo.toml) or given with `--config`.
//!
//! Unknown keys are errors with their line, so typos do not pass silently. Paths in the file are
//! relative to the file's folder. Credentials never live here: environments name environment
//! variables (the promotion issue types `environments`; until then it is kept as data).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file name that marks a meterctl repository.
pub const FILE_NAME: &str = "meterctl.yaml";

/// A rule level in `validate.rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Turn the rule off.
    Off,
    /// Report as a warning.
    Warning,
    /// Report as an error.
    Error,
}

/// `validate:` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidateConfig {
    /// Unknown top-level and task fields are errors.
    pub strict: bool,
    /// Extra JSON Schemas (house rules), relative to the config file.
    pub schemas: Vec<PathBuf>,
    /// Rule code → level.
    pub rules: BTreeMap<String, RuleLevel>,
}

/// `diff:` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiffConfig {
    /// JSON Pointer globs to ignore in diffs.
    pub ignore: Vec<String>,
}

/// The parsed configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Format version; only `1` exists.
    pub version: u32,
    /// Folder of definitions, one meter per file (relative to the config file).
    #[serde(default)]
    pub meters: Option<PathBuf>,
    /// Validation settings.
    #[serde(default)]
    pub validate: ValidateConfig,
    /// Diff settings.
    #[serde(default)]
    pub diff: DiffConfig,
    /// Tenants to promote between (typed by the promotion feature).
    #[serde(default)]
    pub environments: Option<serde_json::Value>,
    /// The folder holding the config file (not read from the file).
    #[serde(skip)]
    pub root: PathBuf,
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Invalid content, with its location.
    #[error("{path}: {message}")]
    Invalid {
        /// `file:line:column`.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Finds the config: `explicit` if given, else `meterctl.yaml` in the current folder or the
    /// nearest parent. `Ok(None)` when there is none.
    pub fn discover(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
        if let Some(p) = explicit {
            return Config::load(p).map(Some);
        }
        let Ok(mut dir) = std::env::current_dir() else {
            return Ok(None);
        };
        loop {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                // Shown relative to the current folder.
                let cwd = std::env::current_dir().unwrap_or_default();
                let shown = pathdiff(&candidate, &cwd);
                return Config::load(&shown).map(Some);
            }
            if !dir.pop() {
                return Ok(None);
            }
        }
    }

    /// Reads and checks one config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = crate::fsutil::display(path).into_owned();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut config: Config = serde_norway::from_str(&text).map_err(|e| {
            let loc = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            ConfigError::Invalid {
                path: format!("{shown}{loc}"),
                message: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("")
                    .to_string(),
            }
        })?;
        if config.version != 1 {
            return Err(ConfigError::Invalid {
                path: shown,
                message: format!(
                    "version {} is not supported; write `version: 1`",
                    config.version
                ),
            });
        }
        for code in config.validate.rules.keys() {
            if crate::validate::rules::by_code(code).is_none() {
                return Err(ConfigError::Invalid {
                    path: shown,
                    message: format!(
                        "validate.rules: unknown rule {code:?}; `meterctl rules` lists them"
                    ),
                });
            }
        }
        config.root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(config)
    }

    /// A path from the config, made relative to the current folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() || self.root == Path::new(".") {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }
}

/// `target` relative to `base` when it lies under it (`../` otherwise, as far as needed).
fn pathdiff(target: &Path, base: &Path) -> PathBuf {
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(
            &p,
            "version: 1\nmeters: meters/\nvalidat:\n  strict: true\n",
        )
        .unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains(":3:1: unknown field `validat`"), "{e}");
    }

    #[test]
    fn reads_rules_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "version: 1\nmeters: meters/\nvalidate:\n  rules:\n    MC0107: off\n    MC0011: error\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.validate.rules["MC0107"], RuleLevel::Off);
        assert_eq!(
            c.resolve(c.meters.as_deref().unwrap()),
            dir.path().join("meters/")
        );
        std::fs::write(&p, "version: 1\nvalidate:\n  rules:\n    MC9999: off\n").unwrap();
        assert!(Config::load(&p)
            .unwrap_err()
            .to_string()
            .contains("unknown rule"));
    }

    #[test]
    fn pathdiff_works() {
        assert_eq!(
            pathdiff(Path::new("/a/b/c.yaml"), Path::new("/a/b")),
            PathBuf::from("c.yaml")
        );
        assert_eq!(
            pathdiff(Path::new("/a/c.yaml"), Path::new("/a/b/d")),
            PathBuf::from("../../c.yaml")
        );
    }
}
