//! `meterctl.yaml`: the repository's configuration, found by walking up from the current folder
//! (like cargo finds Cargo.toml) or given with `--config`.
//!
//! Unknown keys are errors with their line, so typos do not pass silently. Paths in the file are
//! relative to the file's folder. Credentials never live here: environments name environment
//! variables, never values (`client_id_env`, `client_secret_env`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file name that marks a meterctl repository.
pub const FILE_NAME: &str = crate::load::CONFIG_FILE_NAME;

/// The lock file, next to the config: tenant meter ids and digests per environment.
pub const LOCK_FILE_NAME: &str = "meterctl.lock";

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

/// One tenant to promote to (`environments.NAME`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Base URL of the tenant's REST API.
    pub url: String,
    /// Name of the environment variable holding the OAuth client id (never the id itself).
    pub client_id_env: String,
    /// Name of the environment variable holding the OAuth client secret.
    pub client_secret_env: String,
    /// Sent as `Zuora-Entity-Ids` when not empty.
    #[serde(default)]
    pub entity_ids: Vec<String>,
    /// `${{ values.NAME }}` → value, for this environment.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// `apply` needs `--yes` even on a terminal, and never deletes.
    #[serde(default)]
    pub protected: bool,
}

/// Whether a name is fit for an environment (it is used in folder names): `[A-Za-z0-9_-]+`.
pub fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether a name is fit for an environment variable: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_var_name(name: &str) -> bool {
    let mut b = name.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
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
    /// Tenants to promote between, by name.
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
    /// The folder holding the config file (not read from the file).
    #[serde(skip)]
    pub root: PathBuf,
}

/// The validation flags of a command line, which win over `validate:` (`--strict`, `--schema`,
/// `--allow`, `--deny`).
#[derive(Debug, Clone, Default)]
pub struct ValidateFlags {
    /// `--strict`.
    pub strict: bool,
    /// `--schema`: extra JSON Schemas.
    pub schema: Vec<PathBuf>,
    /// `--allow`: rule codes turned off.
    pub allow: Vec<String>,
    /// `--deny`: rule codes made errors.
    pub deny: Vec<String>,
}

/// The validation options of a run: meterctl.yaml's `validate:` settings (when there is a
/// config), then the flags (flags win).
pub fn validate_options(
    config: Option<&Config>,
    flags: &ValidateFlags,
) -> Result<crate::validate::Options, ConfigError> {
    use crate::diagnostic::Severity;
    use crate::validate::rules;
    let mut overrides = std::collections::HashMap::new();
    let mut extra_schemas = Vec::new();
    let mut strict = flags.strict;
    if let Some(c) = config {
        strict |= c.validate.strict;
        extra_schemas.extend(c.validate.schemas.iter().map(|p| c.resolve(p)));
        for (code, level) in &c.validate.rules {
            let code = rules::by_code(code).map_or(code.as_str(), |r| r.code);
            let sev = match level {
                RuleLevel::Off => None,
                RuleLevel::Warning => Some(Severity::Warning),
                RuleLevel::Error => Some(Severity::Error),
            };
            overrides.insert(code.to_string(), sev);
        }
    }
    extra_schemas.extend(flags.schema.iter().cloned());
    for (list, sev) in [(&flags.allow, None), (&flags.deny, Some(Severity::Error))] {
        for code in list {
            let rule = rules::by_code(code)
                .ok_or_else(|| ConfigError::UnknownRule { code: code.clone() })?;
            overrides.insert(rule.code.to_string(), sev);
        }
    }
    Ok(crate::validate::Options {
        strict,
        extra_schemas,
        overrides,
        deny_warnings: false,
    })
}

/// The diff options of a run: `--ignore` globs, then meterctl.yaml's `diff.ignore` (blank globs
/// dropped, each trimmed).
pub fn diff_options(
    config: Option<&Config>,
    include_volatile: bool,
    ignore: &[String],
) -> crate::diff::Options {
    let from_config = config.iter().flat_map(|c| c.diff.ignore.iter());
    crate::diff::Options {
        include_volatile,
        ignore: ignore
            .iter()
            .chain(from_config)
            .filter(|g| !g.trim().is_empty())
            .map(|g| crate::diff::PointerGlob::new(g.trim()))
            .collect(),
    }
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
    /// `--allow` or `--deny` names a rule that does not exist.
    #[error("unknown rule {code:?}; `meterctl rules` lists the codes")]
    UnknownRule {
        /// The code as given.
        code: String,
    },
    /// `environments:` has no such name.
    #[error("no environment {name:?} in {FILE_NAME}{}", known_environments(.known))]
    UnknownEnvironment {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: Vec<String>,
    },
}

/// `; known: a, b`, or how to add one when there is none.
fn known_environments(known: &[String]) -> String {
    if known.is_empty() {
        "; add one under `environments:` (`meterctl init` writes an example)".to_string()
    } else {
        format!("; known: {}", known.join(", "))
    }
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
        // The YAML reader refuses duplicate keys (a second `production:` would silently replace
        // the first and could drop `protected: true`) with their line.
        let mut value = crate::yaml::parse_value(&text).map_err(|e| ConfigError::Invalid {
            path: format!("{shown}:{}:{}", e.line, e.column),
            message: e.message,
        })?;
        values_as_text(&mut value, &text);
        let mut config: Config = serde_path_to_error::deserialize(&value).map_err(|e| {
            let mut pointer = String::new();
            let mut dotted = Vec::new();
            for seg in e.path().iter() {
                let token = match seg {
                    serde_path_to_error::Segment::Map { key } => key.clone(),
                    serde_path_to_error::Segment::Seq { index } => index.to_string(),
                    _ => continue,
                };
                pointer.push('/');
                pointer.push_str(&crate::load::locate::escape_token(&token));
                dotted.push(token);
            }
            let inner = e.into_inner().to_string();
            // An unknown field is reported at its key, inside the object that refuses it. serde
            // says which field only in its message (`unknown field `x`, expected ...`), so that
            // text (serde's, not ours) is read.
            let unknown = inner
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next());
            if let Some(k) = unknown {
                if dotted.last().map(String::as_str) == Some(k) {
                    dotted.pop();
                } else {
                    pointer.push('/');
                    pointer.push_str(&crate::load::locate::escape_token(k));
                }
            }
            let spans = crate::load::Spans::index(&text, crate::load::Format::Yaml);
            let loc = spans
                .key(&pointer)
                .map(|p| format!(":{}:{}", p.line, p.column))
                .unwrap_or_default();
            ConfigError::Invalid {
                path: format!("{shown}{loc}"),
                message: if dotted.is_empty() {
                    inner
                } else {
                    format!("{}: {inner}", dotted.join("."))
                },
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
        if let Some(m) = &config.meters {
            if let Some(why) = outside_repository(m) {
                return Err(ConfigError::Invalid {
                    path: shown,
                    message: format!(
                        "meters: {:?} {why}; the meters folder must be inside the repository (a path relative to {FILE_NAME}, like meters/), since pull writes into it",
                        m.to_string_lossy()
                    ),
                });
            }
        }
        for (name, env) in &config.environments {
            let bad = |message: String| ConfigError::Invalid {
                path: shown.clone(),
                message: format!("environments.{name}: {message}"),
            };
            if !is_env_name(name) {
                return Err(bad(
                    "environment names use only letters, digits, `_` and `-`".into(),
                ));
            }
            for (key, var) in [
                ("client_id_env", &env.client_id_env),
                ("client_secret_env", &env.client_secret_env),
            ] {
                if !is_var_name(var) {
                    return Err(bad(format!(
                        "{key} must name an environment variable (like ZUORA_{}_CLIENT_ID), not hold a credential",
                        name.to_ascii_uppercase().replace('-', "_")
                    )));
                }
            }
            if env.client_id_env == env.client_secret_env {
                return Err(bad(format!(
                    "client_id_env and client_secret_env both name {}: the client id and the client secret are two variables",
                    env.client_id_env
                )));
            }
            if let Err(e) = crate::zuora::check_base_url(&env.url) {
                return Err(bad(format!("url: {e}")));
            }
            for key in env.values.keys() {
                if !is_var_name(key) {
                    return Err(bad(format!(
                        "values.{key}: value names use letters, digits and `_` (they appear as ${{{{ values.NAME }}}})"
                    )));
                }
            }
        }
        config.root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(config)
    }

    /// The meters folder (default `meters/`), as a path usable from the current folder.
    pub fn meters_dir(&self) -> PathBuf {
        self.resolve(self.meters.as_deref().unwrap_or(Path::new("meters")))
    }

    /// `meterctl.lock`, next to the config file.
    pub fn lock_path(&self) -> PathBuf {
        self.resolve(Path::new(LOCK_FILE_NAME))
    }

    /// The named environment, or an error listing the known ones.
    pub fn environment(&self, name: &str) -> Result<&Environment, ConfigError> {
        self.environments
            .get(name)
            .ok_or_else(|| ConfigError::UnknownEnvironment {
                name: name.to_string(),
                known: self.environments.keys().cloned().collect(),
            })
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

/// Why a `meters:` path leaves the folder of meterctl.yaml (`None` when it stays inside): it is
/// absolute, or its `..` climb above the repository (judged on the text, as written).
fn outside_repository(p: &Path) -> Option<&'static str> {
    use std::path::Component;
    let mut depth = 0usize;
    for c in p.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return Some("is absolute"),
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Some("climbs out of the repository"),
            },
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
        }
    }
    None
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

/// `environments.*.values.*` are text: a number or boolean written without quotes
/// (`schema_id: 20419`) is taken as it is written, as YAML readers of this file always did.
fn values_as_text(config: &mut serde_json::Value, text: &str) {
    let Some(envs) = config
        .get_mut("environments")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let mut spans = None;
    for (env, e) in envs.iter_mut() {
        let Some(values) = e
            .get_mut("values")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for (name, v) in values.iter_mut() {
            if !(v.is_number() || v.is_boolean()) {
                continue;
            }
            let spans = spans
                .get_or_insert_with(|| crate::load::Spans::index(text, crate::load::Format::Yaml));
            let pointer = format!(
                "/environments/{}/values/{}",
                crate::load::locate::escape_token(env),
                crate::load::locate::escape_token(name)
            );
            let written = spans.value(&pointer).and_then(|p| {
                let line = text.lines().nth(p.line - 1)?;
                let rest: String = line.chars().skip(p.column - 1).collect();
                let end = rest.find(" #").unwrap_or(rest.len());
                Some(rest[..end].trim_end().to_string())
            });
            *v = serde_json::Value::String(written.unwrap_or_else(|| v.to_string()));
        }
    }
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
    fn unquoted_values_are_kept_as_written_and_type_errors_have_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(
            &p,
            "version: 1\nenvironments:\n  sandbox:\n    url: https://rest.test.zuora.com\n    client_id_env: A\n    client_secret_env: B\n    values:\n      id: 20419\n      flag: true  # c\n      f: 1.50\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        let v = &c.environments["sandbox"].values;
        assert_eq!(
            (&*v["id"], &*v["flag"], &*v["f"]),
            ("20419", "true", "1.50")
        );
        std::fs::write(&p, "version: 1\nvalidate:\n  strict: maybe\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains(":3:3: validate.strict: invalid type"), "{e}");
    }

    #[test]
    fn duplicate_keys_are_errors_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "version: 1\nenvironments:\n  a: {}\n  a: {}\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("meterctl.yaml:4:3:") && e.contains("duplicate key `a`"),
            "{e}"
        );
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
    fn validate_options_merge_the_file_then_the_flags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "version: 1\nvalidate:\n  strict: true\n  schemas: [house.json]\n  rules:\n    MC0011: off\n").unwrap();
        let c = Config::load(&p).unwrap();
        let flags = ValidateFlags {
            deny: vec!["MC0011".into()],
            ..Default::default()
        };
        let o = validate_options(Some(&c), &flags).unwrap();
        assert!(o.strict);
        assert_eq!(o.extra_schemas, vec![c.resolve(Path::new("house.json"))]);
        // The flag wins over the file.
        assert_eq!(
            o.overrides.get("MC0011"),
            Some(&Some(crate::diagnostic::Severity::Error))
        );
        let bad = ValidateFlags {
            allow: vec!["NOPE".into()],
            ..Default::default()
        };
        assert!(matches!(
            validate_options(None, &bad),
            Err(ConfigError::UnknownRule { code }) if code == "NOPE"
        ));
    }

    #[test]
    fn diff_options_take_the_flags_then_the_file() {
        let c = Config {
            diff: DiffConfig {
                ignore: vec![" /a ".into(), "".into()],
            },
            ..Default::default()
        };
        let o = diff_options(Some(&c), true, &["/b".into(), "  ".into()]);
        assert!(o.include_volatile);
        let globs: Vec<String> = o.ignore.iter().map(|g| format!("{g:?}")).collect();
        assert_eq!(globs.len(), 2, "{globs:?}");
        assert_eq!(diff_options(None, false, &[]).ignore.len(), 0);
    }

    #[test]
    fn environments_are_typed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let good = "version: 1\nenvironments:\n  sandbox:\n    url: https://rest.test.zuora.com\n    client_id_env: ZUORA_SANDBOX_CLIENT_ID\n    client_secret_env: ZUORA_SANDBOX_CLIENT_SECRET\n    values:\n      s3_connection: s3-usage-sandbox\n  production:\n    url: https://rest.zuora.com\n    client_id_env: A\n    client_secret_env: B\n    protected: true\n";
        std::fs::write(&p, good).unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(
            c.environments["sandbox"].values["s3_connection"],
            "s3-usage-sandbox"
        );
        assert!(c.environments["production"].protected);
        let e = c.environment("staging").unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownEnvironment { known, .. } if known == &["production", "sandbox"])
        );
        assert!(e.to_string().ends_with("known: production, sandbox"), "{e}");
        std::fs::write(&p, good.replace("    protected: true", "    protect: true")).unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains(":13:5: environments.production: unknown field `protect`"),
            "{e}"
        );
        std::fs::write(
            &p,
            good.replace("client_secret_env: B", "client_secret_env: hunter2!"),
        )
        .unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("must name an environment variable") && !e.contains("hunter2"),
            "{e}"
        );
        std::fs::write(
            &p,
            good.replace("https://rest.zuora.com", "http://rest.zuora.com"),
        )
        .unwrap();
        assert!(Config::load(&p)
            .unwrap_err()
            .to_string()
            .contains("environments.production: url:"));
    }

    #[test]
    fn meters_stay_inside_and_the_two_variables_differ() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        for (meters, ok) in [
            ("meters/", true),
            ("a/../meters", true),
            ("./x", true),
            ("../other", false),
            ("a/../../x", false),
            ("/etc", false),
        ] {
            std::fs::write(&p, format!("version: 1\nmeters: {meters}\n")).unwrap();
            let r = Config::load(&p);
            assert_eq!(r.is_ok(), ok, "{meters}: {r:?}");
            if let Err(e) = r {
                assert!(
                    e.to_string().contains("must be inside the repository"),
                    "{e}"
                );
            }
        }
        std::fs::write(&p, "version: 1\nenvironments:\n  s:\n    url: https://rest.zuora.com\n    client_id_env: ZUORA_X\n    client_secret_env: ZUORA_X\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("environments.s: client_id_env and client_secret_env both name ZUORA_X"),
            "{e}"
        );
    }

    #[test]
    fn embedded_schema_accepts_the_example_and_rejects_typos() {
        let schema: serde_json::Value =
            serde_json::from_str(crate::validate::schema::embedded("meterctl-config").unwrap())
                .unwrap();
        let v = jsonschema::validator_for(&schema).unwrap();
        let text = std::fs::read_to_string("examples/meterctl.yaml").unwrap();
        let example: serde_json::Value = crate::yaml::parse_value(&text).unwrap();
        assert!(v.is_valid(&example));
        Config::load(Path::new("examples/meterctl.yaml")).unwrap();
        let mut bad = example.clone();
        bad["environments"]["production"]["protect"] = true.into();
        assert!(!v.is_valid(&bad));
        bad = example;
        bad["environments"]["sandbox"]["client_secret_env"] = "not a name!".into();
        assert!(!v.is_valid(&bad));
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
