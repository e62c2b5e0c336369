//! The `meterctl` binary: parse flags, run the command, map the outcome to an exit code.
// Diagnostics travel as `Err` values only on the rare path of a bad file; boxing them buys nothing.
#![allow(clippy::result_large_err)]

use std::process::ExitCode;

use clap::Parser;
mod cli;
mod cmd;
mod shell;

use cli::Cli;
use cmd::{AlreadyReported, Outcome};

// mimalloc, not the system allocator: `simulate` parses events on some threads and frees them
// on others, millions of small maps and strings, where glibc's malloc spends a third of the
// time (scripts/bench-simulate.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`include/mimalloc.h`; the sys crate names no constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    if let Err(e) = meterctl::settings::check_environment(&<Cli as clap::CommandFactory>::command())
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    meterctl::settings::apply_environment();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    // Like git and diff(1): a closed stdout pipe (`meterctl diff a b | head`) ends the process
    // with SIGPIPE, so `set -o pipefail` sees it fail, instead of printing being cut short and
    // the exit code claiming "nothing found". The sandbox server keeps Rust's default (ignore).
    if matches!(
        cli.command,
        cli::Command::Simulate(_) | cli::Command::Test(_)
    ) {
        // The simulator frees each chunk of events and parses the next into the same amount of
        // memory: keeping freed pages (never purging) saves the kernel clearing them again,
        // 7% of a million-event run; the peak stays what the live chunks need.
        // SAFETY: sets an option of the allocator in use; any value of this option is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    if !matches!(cli.command, cli::Command::Sandbox { .. }) {
        restore_sigpipe();
    } else {
        // The sandbox server holds a memory bound under concurrent uploads
        // (tests/cli/sandbox_hardening.rs): freed memory goes back to the OS at once, not
        // after mimalloc's default 10 ms. Short commands keep the default: purging at once
        // costs `simulate` a second of system time per million events.
        // SAFETY: sets an option of the allocator in use; any value of this option is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    match cmd::run(cli) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if e.downcast_ref::<AlreadyReported>().is_none() {
                eprintln!("error: {e}");
                for cause in e.chain().skip(1) {
                    eprintln!("\nCaused by:\n    {cause}");
                }
            }
            ExitCode::from(2)
        }
    }
}

#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
