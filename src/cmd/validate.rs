//! `meterctl validate`: schemas + meter rules over files, folders or stdin, in every format.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Outcome, Output};
use crate::cli::ValidateArgs;
use crate::config::{Config, RuleLevel};
use crate::diagnostic::Severity;
use crate::fsutil::{display, write_atomic};
use crate::load;
use crate::report::validate::{self as reports, TextOptions, ValidateFormat};
use crate::validate::{rules, Options, Summary, Validator};

pub(super) fn run(args: ValidateArgs, out: Output) -> anyhow::Result<Outcome> {
    let config = Config::discover(out.config.as_deref())?;
    let mut options = options_from(config.as_ref(), &Flags::from(&args))?;
    options.deny_warnings = args.deny_warnings;
    let validator = Validator::new(options)?;

    let stdin = args.paths.iter().any(|p| p == Path::new("-"));
    let reports = if stdin {
        if args.paths.len() > 1 {
            anyhow::bail!("`-` (stdin) cannot be combined with other paths");
        }
        vec![match load::load_stdin(None) {
            Ok(doc) => validator.check_document(doc),
            Err(d) => validator.failed_load(Path::new("-"), d),
        }]
    } else {
        let paths = match (&args.paths[..], &config) {
            ([], Some(c)) => vec![c.resolve(c.meters.as_deref().unwrap_or(Path::new(".")))],
            ([], None) => vec![PathBuf::from(".")],
            (p, _) => p.to_vec(),
        };
        let files = load::discover(&paths)?;
        // Given files of a repository: the cross-file rules also see its other meters.
        let others = match (&args.paths[..], &config) {
            ([_, ..], Some(c)) => {
                crate::validate::others::for_files(&c.root, &c.meters_dir(), &files)
            }
            _ => Vec::new(),
        };
        validator.check_paths_among(&files, &others)
    };
    let summary = Summary::of(&reports);

    let text = TextOptions {
        color: args.format == ValidateFormat::Text && crate::report::color_stdout(),
        quiet: out.quiet,
    };
    for (format, path) in &args.report {
        let mut buf = Vec::new();
        reports::write(
            *format,
            &reports,
            &summary,
            TextOptions::default(),
            &mut buf,
        )?;
        write_atomic(path, &buf)
            .with_context(|| format!("cannot write report {}", display(path)))?;
    }
    let mut stdout = io::stdout().lock();
    reports::write(args.format, &reports, &summary, text, &mut stdout)?;
    stdout.flush()?;

    let failed = summary.errors > 0;
    Ok(if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// The validation flags that shape [`Options`] (also used by `meter import`).
#[derive(Debug, Default)]
pub(super) struct Flags {
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

/// Validation options from meterctl.yaml and flags (flags win).
pub(super) fn options_from(config: Option<&Config>, args: &Flags) -> anyhow::Result<Options> {
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
