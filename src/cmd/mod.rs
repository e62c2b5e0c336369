//! Subcommands: each turns parsed flags into one library call and hands the result to a reporter.
//!
//! A command returns `Ok(Outcome)` when the job ran (clean or with findings) and `Err` when it
//! could not run; `main` maps these to exit codes 0, 1 and 2.

mod apply;
mod config;
mod convert;
mod diff;
mod docs;
mod fmt;
mod init;
pub mod meter;
mod plan;
mod pull;
mod render;
mod repo;
mod restore;
mod rules;
mod sandbox;
mod simulate;
mod test;
mod track;
mod validate;

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
    let out = Shell::new(cli.quiet, cli.verbose, cli.config);
    out.set_color(cli.color.choice());
    match cli.command {
        Command::Fmt(args) => fmt::run(args, out),
        Command::Convert(args) => convert::run(args, out),
        Command::Validate(args) => validate::run(args, out),
        Command::Rules => rules::list(),
        Command::Explain { code } => rules::explain(&code),
        Command::Schema { action } => rules::schema(action),
        Command::Meter { command } => meter::run(*command, out),
        Command::Init(args) => init::run(args, out),
        Command::Config { action } => config::run(action, out),
        Command::Track(args) => track::run(args, out),
        Command::Render(args) => render::run(args, out),
        Command::Pull(args) => pull::run(args, out),
        Command::Plan(args) => plan::run(args, out),
        Command::Apply(args) => apply::run(args, out),
        Command::Sandbox { command } => sandbox::run(command, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Simulate(args) => simulate::run(args, out),
        Command::Test(args) => test::run(args, out),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out_dir } => docs::man(out_dir.as_deref(), &out),
    }
}
