//! `meterctl validate`: schemas + meter rules over files, folders or stdin, in every format.
//!
//! Output is streamed: each file's report is rendered to stdout and to every `--report` file as
//! soon as validation hands it over (in path order), then dropped.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Outcome, Shell};
use crate::cli::ValidateArgs;
use meterctl::config::{Config, RuleLevel};
use meterctl::diagnostic::Severity;
use meterctl::fsutil::{display, AtomicFile};
use meterctl::load;
use meterctl::report::validate::{Renderer, TextOptions, ValidateFormat};
use meterctl::validate::{rules, FileReport, Options, Summary, Validator};

pub(super) fn run(args: ValidateArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = Config::discover(out.config.as_deref())?;
    let mut options = options_from(config.as_ref(), &Flags::from(&args))?;
    options.deny_warnings = args.deny_warnings;
    let validator = Validator::new(options)?;

    let stdin = args.paths.iter().any(|p| p == Path::new("-"));
    let mut others = Vec::new();
    let files = if stdin {
        if args.paths.len() > 1 {
            anyhow::bail!("`-` (stdin) cannot be combined with other paths");
        }
        Vec::new()
    } else {
        let paths = match (&args.paths[..], &config) {
            ([], Some(c)) => vec![c.resolve(c.meters.as_deref().unwrap_or(Path::new(".")))],
            ([], None) => vec![PathBuf::from(".")],
            (p, _) => p.to_vec(),
        };
        let files = load::discover(&paths)?;
        // Given files of a repository: the cross-file rules also see its other meters.
        if let ([_, ..], Some(c)) = (&args.paths[..], &config) {
            others = meterctl::validate::others::for_files(&c.root, &c.meters_dir(), &files);
        }
        files
    };

    // Every output is opened before the first file is checked (a report path that cannot be
    // written fails at once), then fed each file's report as validation hands it over.
    let mut outputs: Vec<(Renderer, Sink)> = Vec::new();
    for (format, path) in &args.report {
        let file = AtomicFile::create(path).with_context(|| cannot_write(Some(path)))?;
        outputs.push((
            Renderer::new(*format, TextOptions::default()),
            Sink::File(file, path),
        ));
    }
    let text = TextOptions {
        color: args.format == ValidateFormat::Text && meterctl::report::color_stdout(),
        quiet: out.quiet(),
    };
    outputs.push((
        Renderer::new(args.format, text),
        Sink::Stdout(io::BufWriter::new(io::stdout().lock())),
    ));
    let mut summary = Summary::default();
    // JSON, SARIF and JUnit are written at the end: one copy of the diagnostics for all of them.
    let keep = outputs.iter().any(|(r, _)| r.needs_all());
    let mut kept: Vec<FileReport> = Vec::new();
    let mut each = |report: FileReport| -> anyhow::Result<()> {
        summary.add(&report);
        for (renderer, sink) in &mut outputs {
            renderer
                .file(&report, sink)
                .with_context(|| cannot_write(sink.path()))?;
        }
        if keep {
            kept.push(report.without_text());
        }
        // The report (and the file's text with it) is dropped here.
        Ok(())
    };
    if stdin {
        each(match load::load_stdin(None) {
            Ok(doc) => validator.check_document(doc),
            Err(d) => validator.failed_load(Path::new("-"), d),
        })?;
    } else {
        validator.check_paths_each_among(&files, &others, &mut each)?;
    }
    for (renderer, mut sink) in outputs {
        let path = sink.path();
        renderer
            .finish(&kept, &summary, &mut sink)
            .and_then(|()| sink.close())
            .with_context(|| cannot_write(path))?;
    }

    let failed = summary.errors > 0;
    Ok(if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Where one output of a run goes: stdout, or a `--report` file that appears once complete.
enum Sink<'a> {
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
    File(AtomicFile, &'a Path),
}

impl<'a> Sink<'a> {
    fn path(&self) -> Option<&'a Path> {
        match self {
            Sink::Stdout(_) => None,
            Sink::File(_, p) => Some(*p),
        }
    }

    /// Flushes stdout; puts a report file in place.
    fn close(self) -> io::Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush(),
            Sink::File(f, _) => f.commit(),
        }
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File(f, _) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File(f, _) => f.flush(),
        }
    }
}

/// The context of a failed write: a report file by name; stdout needs none.
fn cannot_write(path: Option<&Path>) -> String {
    match path {
        Some(p) => format!("cannot write report {}", display(p)),
        None => "cannot write to stdout".to_string(),
    }
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

/// Writes the findings of invalid files to stderr as text, for commands that check what they
/// are about to send (`meter import`, `plan`, `apply`).
pub(super) fn write_invalid(invalid: &[FileReport], quiet: bool) -> anyhow::Result<()> {
    let summary = Summary::of(invalid);
    let text = TextOptions {
        color: meterctl::report::color_stderr(),
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
