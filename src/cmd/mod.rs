//! Subcommands: each turns parsed flags into one library call and hands the result to a reporter.
//!
//! A command returns `Ok(Outcome)` when the job ran (clean or with findings) and `Err` when it
//! could not run; `main` maps these to exit codes 0, 1 and 2.

mod convert;
mod diff;
mod docs;
mod fmt;
pub mod meter;
mod promote;
mod rules;
mod sandbox;
mod validate;

use std::io::{self, Write};

use crate::cli::{Cli, Command};
pub use crate::shell::Shell;

/// What a job that ran found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report: exit 0.
    Clean,
    /// Findings (invalid files, differences, pending changes): exit 1.
    Findings,
}

/// An error whose message was already printed (per-file errors); `main` exits 2 quietly.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AlreadyReported(pub String);

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    meterctl::report::color::set_choice(cli.color.choice());
    let out = Shell::new(cli.quiet, cli.verbose, cli.config);
    match cli.command {
        Command::Fmt(args) => fmt::run(args, out),
        Command::Convert(args) => convert::run(args, out),
        Command::Validate(args) => validate::run(args, out),
        Command::Rules => rules::list(),
        Command::Explain { code } => rules::explain(&code),
        Command::Schema { action } => rules::schema(action),
        Command::Meter { command } => meter::run(*command, out),
        Command::Init(args) => promote::init(args, out),
        Command::Config { action } => promote::config(action, out),
        Command::Track(args) => promote::track(args, out),
        Command::Render(args) => promote::render(args, out),
        Command::Pull(args) => promote::pull(args, out),
        Command::Plan(args) => promote::plan(args, out),
        Command::Apply(args) => promote::apply(args, out),
        Command::Sandbox { command } => sandbox::run(command, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out_dir } => docs::man(out_dir.as_deref()),
    }
}

/// Prints one line to stdout (a closed pipe surfaces as an error that `main` treats as exit 0).
pub(crate) fn println(line: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}

/// Prints text to stdout as it is.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Prints one line to stderr.
pub(crate) fn eprint_line(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}
