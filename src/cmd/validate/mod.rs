//! `meterctl validate`: schemas + meter rules over files, folders or stdin, in every format.
//!
//! Output is streamed: each file's report is written to stdout and to every `--report` file as
//! soon as validation hands it over (in path order), then dropped.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;

mod options;
mod sink;

pub(super) use options::write_invalid;
use sink::{cannot_write, Sink};

use super::{Outcome, Shell};
use crate::cli::{ValidateArgs, ValidateReport};
use meterctl::config::{self, Config};
use meterctl::fsutil::AtomicFile;
use meterctl::load;
use meterctl::report::step_summary;
use meterctl::report::validate::{ReportWriter, TextOptions, ValidateFormat};
use meterctl::validate::{FileReport, Summary, Validator};

pub(super) fn run(args: ValidateArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = Config::discover(out.config.as_deref())?;
    let mut options = config::validate_options(config.as_ref(), &options::flags(&args))?;
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
    let mut outputs: Vec<(ReportWriter, Sink)> = Vec::new();
    for (format, path) in args.report.iter().filter_map(|r| match r {
        ValidateReport::File(f, p) => Some((f, p)),
        ValidateReport::GithubSummary => None,
    }) {
        let file = AtomicFile::create(path).with_context(|| cannot_write(Some(path)))?;
        outputs.push((
            ReportWriter::new(*format, TextOptions::default()),
            Sink::File(file, path),
        ));
    }
    let asked = args.report.contains(&ValidateReport::GithubSummary);
    let summary_path = step_summary::target(asked)?;
    if let Some(path) = &summary_path {
        let file = step_summary::open(path)?;
        let markdown = ReportWriter::new(ValidateFormat::Markdown, TextOptions::default());
        outputs.push((markdown, Sink::Append(file, path)));
    }
    let text = TextOptions {
        color: args.format == ValidateFormat::Text && out.color_stdout(),
        quiet: out.quiet(),
    };
    outputs.push((
        ReportWriter::new(args.format, text),
        Sink::Stdout(io::BufWriter::new(io::stdout().lock())),
    ));
    let mut summary = Summary::default();
    // JSON, SARIF and JUnit are written at the end: one copy of the diagnostics for all of them.
    let keep = outputs.iter().any(|(r, _)| r.needs_all());
    let mut kept: Vec<FileReport> = Vec::new();
    let mut each = |report: FileReport| -> anyhow::Result<()> {
        summary.add(&report);
        for (writer, sink) in &mut outputs {
            writer
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
        let name = args.stdin_filename.as_deref();
        each(match load::load_stdin_as(name, None) {
            Ok(doc) => validator.check_document(doc),
            Err(d) => validator.failed_load(name.unwrap_or(Path::new("-")), d),
        })?;
    } else {
        validator.check_paths_each_among(&files, &others, &mut each)?;
    }
    for (writer, mut sink) in outputs {
        let path = sink.path();
        writer
            .finish(&kept, &summary, &mut sink)
            .and_then(|()| sink.close())
            .with_context(|| cannot_write(path))?;
    }

    // `--exit-zero`: findings are printed but do not fail the job (errors still exit 2).
    let failed = summary.errors > 0 && !args.exit_zero;
    Ok(if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
