//! The validation options of a run: meterctl.yaml's `validate` settings, then the flags; and
//! the text report of the commands that validate before they send.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use meterctl::config::{Config, RuleLevel};
use meterctl::diagnostic::Severity;
use meterctl::report::validate::{TextOptions, ValidateFormat};
use meterctl::validate::{rules, FileReport, Options, Summary};

use crate::cli::ValidateArgs;
use crate::shell::Shell;

/// The validation flags that shape [`Options`] (also used by `meter import`).
#[derive(Debug, Default)]
pub(in crate::cmd) struct Flags {
    strict: bool,
    schema: Vec<PathBuf>,
    allow: Vec<String>,
    deny: Vec<String>,
}

impl From<&ValidateArgs> for Flags {
    fn from(a: &ValidateArgs) -> Self {
        Flags {
            strict: a.strict,
            schema: a.schema.clone(),
            allow: a.allow.clone(),
            deny: a.deny.clone(),
        }
    }
}

/// Writes the findings of invalid files to stderr as text, for commands that check what they
/// are about to send (`meter import`, `plan`, `apply`).
pub(in crate::cmd) fn write_invalid(
    invalid: &[FileReport],
    out: &Shell,
    quiet: bool,
) -> anyhow::Result<()> {
    let summary = Summary::of(invalid);
    let text = TextOptions {
        color: out.color_stderr(),
        quiet,
    };
    meterctl::report::validate::write(
        ValidateFormat::Text,
        invalid,
        &summary,
        text,
        &mut io::stderr().lock(),
    )?;
    Ok(())
}

/// Validation options from meterctl.yaml and flags (flags win).
pub(in crate::cmd) fn options_from(
    config: Option<&Config>,
    args: &Flags,
) -> anyhow::Result<Options> {
    let mut overrides: HashMap<String, Option<Severity>> = HashMap::new();
    let mut extra_schemas = Vec::new();
    let mut strict = args.strict;
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
    extra_schemas.extend(args.schema.iter().cloned());
    for (list, sev) in [(&args.allow, None), (&args.deny, Some(Severity::Error))] {
        for code in list {
            let rule = rules::by_code(code).ok_or_else(|| {
                anyhow::anyhow!("unknown rule {code:?}; `meterctl rules` lists the codes")
            })?;
            overrides.insert(rule.code.to_string(), sev);
        }
    }
    Ok(Options {
        strict,
        extra_schemas,
        overrides,
        deny_warnings: false,
    })
}
