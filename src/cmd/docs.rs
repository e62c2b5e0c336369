//! `meterctl completions SHELL` and `meterctl man`: shell completion scripts (clap_complete) and
//! roff man pages (clap_mangen), both generated from the same clap definition as `--help`, so
//! they never fall behind the flags.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use super::{Outcome, Shell};
use crate::cli::Cli;
use meterctl::fsutil;

/// Prints the completion script for `shell` to stdout.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "meterctl", &mut script);
    let mut w = io::stdout().lock();
    w.write_all(&script)?;
    w.flush()?;
    Ok(Outcome::Clean)
}

/// Prints meterctl.1 to stdout, or writes meterctl.1 and one page per (nested) subcommand into
/// `out_dir` (created if missing; each page written atomically).
pub(super) fn man(out_dir: Option<&Path>, out: &Shell) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = out_dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        out.print(&String::from_utf8_lossy(&page))?;
        return Ok(Outcome::Clean);
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", fsutil::display(dir)))?;
    let mut pages = Vec::new();
    collect_pages(cmd, &mut pages)?;
    for (name, page) in &pages {
        let path = dir.join(name);
        fsutil::write_atomic(&path, page)
            .with_context(|| format!("cannot write {}", fsutil::display(&path)))?;
    }
    out.error(&format!(
        "wrote {} man pages to {}",
        pages.len(),
        fsutil::display(dir)
    ));
    Ok(Outcome::Clean)
}

/// Renders the page of `cmd` and of every visible subcommand below it: (file name, roff).
fn collect_pages(cmd: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_pages(sub.clone(), pages)?;
    }
    let man = clap_mangen::Man::new(cmd);
    let mut page = Vec::new();
    man.render(&mut page)?;
    pages.push((man.get_filename(), page));
    Ok(())
}
