//! The one place the binary writes to the terminal: stdout and stderr, `-q`/`-v`, colour, and
//! progress.
//!
//! Every command gets a [`Shell`]. Results go to stdout ([`Shell::print`], [`Shell::println`];
//! a closed pipe surfaces as an error that `main` turns into exit 0, or SIGPIPE); messages go to
//! stderr: [`Shell::error`] always, [`Shell::note`] unless `-q`, [`Shell::detail`] only with `-v`.
//! Progress from the library ([`meterctl::progress`]) goes through [`Shell::progress`]: on a
//! terminal, a bar for counted work and a spinner with the elapsed time for waits (both drawn by
//! `indicatif` on stderr, erased when done); when stderr is not a terminal, the per-item lines
//! instead, exactly as before there was a bar; with `-q`, nothing.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meterctl::progress::{Event, Progress, Sink};
use meterctl::report::color::{self, ColorChoice};

/// The terminal, as the command line set it up.
#[derive(Debug, Clone)]
pub struct Shell {
    quiet: bool,
    verbose: bool,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// The one bar or spinner on stderr, shared by every sink of this shell, so that lines are
    /// written above it, never through it.
    drawer: Arc<Drawer>,
}

impl Shell {
    /// A shell with `-q`, `-v` and `--config` as given; bars and spinners only on a terminal.
    pub fn new(quiet: bool, verbose: bool, config: Option<PathBuf>) -> Shell {
        Shell {
            quiet,
            verbose,
            config,
            drawer: Arc::new(Drawer {
                quiet,
                verbose,
                draw: !quiet && io::stderr().is_terminal(),
                bar: Mutex::new(None),
            }),
        }
    }

    /// `-q`: nothing but results and errors.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Records `--color` for the whole process (clap and every report read it).
    pub fn set_color(&self, choice: ColorChoice) {
        color::set_choice(choice);
    }

    /// Whether what goes to stdout is coloured.
    pub fn color_stdout(&self) -> bool {
        color::stdout()
    }

    /// Whether what goes to stderr is coloured.
    pub fn color_stderr(&self) -> bool {
        color::stderr()
    }

    /// `-v`: more detail.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// Writes text to stdout as it is.
    pub fn print(&self, text: &str) -> anyhow::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        Ok(())
    }

    /// Writes one line to stdout.
    pub fn println(&self, line: &str) -> anyhow::Result<()> {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        Ok(())
    }

    /// Writes one line to stdout unless `-q` (summaries, confirmations).
    pub fn status(&self, line: &str) -> anyhow::Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.println(line)
    }

    /// Writes a value as pretty JSON and a newline to stdout.
    pub fn print_json(&self, v: &serde_json::Value) -> anyhow::Result<()> {
        let mut stdout = io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, v)?;
        writeln!(stdout)?;
        stdout.flush()?;
        Ok(())
    }

    /// Writes one line to stderr, always (errors, warnings that `-q` keeps).
    pub fn error(&self, line: &str) {
        self.drawer.line(line);
    }

    /// Writes one line to stderr unless `-q` (notes, warnings, what was written where).
    pub fn note(&self, line: &str) {
        if !self.quiet {
            self.error(line);
        }
    }

    /// Writes one line to stderr only with `-v`.
    pub fn detail(&self, line: &str) {
        if self.verbose {
            self.error(line);
        }
    }

    /// Asks `question` on the terminal before a write, unless `yes`; a protected environment
    /// or no terminal to ask on refuses instead (nothing was changed).
    pub fn confirm(
        &self,
        question: &str,
        env_name: &str,
        protected: bool,
        yes: bool,
    ) -> anyhow::Result<()> {
        if yes {
            return Ok(());
        }
        if protected {
            anyhow::bail!(
                "environment {env_name:?} is protected: apply needs --yes (nothing was changed)"
            );
        }
        if !io::stdin().is_terminal() {
            anyhow::bail!("refusing to write to {env_name:?} without --yes: no terminal to ask on (nothing was changed)");
        }
        let _ = write!(io::stderr().lock(), "{question} [y/N] ");
        let _ = io::stderr().flush();
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            Ok(())
        } else {
            anyhow::bail!("cancelled; nothing was changed")
        }
    }

    /// Where library jobs send their progress: drawn as described in the module docs.
    pub fn progress(&self) -> Sink {
        Sink::new(Shared(self.drawer.clone()))
    }

    /// Where the library logs requests: `Some` only with `-v`.
    pub fn log(&self) -> Option<Sink> {
        self.verbose.then(|| self.progress())
    }

    /// A spinner with the elapsed time while `label` goes on (nothing when not drawn); it goes
    /// away when the returned value is dropped.
    pub fn wait(&self, label: &str) -> Wait {
        self.drawer.event(Event::Started { label, total: None });
        Wait(self.drawer.clone())
    }
}

/// A spinner that lasts as long as this value.
pub struct Wait(Arc<Drawer>);

impl Drop for Wait {
    fn drop(&mut self) {
        self.0.event(Event::Finished);
    }
}

/// A [`Drawer`] handed to the library.
struct Shared(Arc<Drawer>);

impl Progress for Shared {
    fn event(&self, e: Event<'_>) {
        self.0.event(e)
    }
}

fn spinner(label: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(label.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

fn bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("## "),
    );
    pb
}

/// The [`Progress`] of a [`Shell`]: the bar or spinner drawn, if any (and whether it counts).
struct Drawer {
    quiet: bool,
    verbose: bool,
    draw: bool,
    bar: Mutex<Option<(ProgressBar, bool)>>,
}

impl std::fmt::Debug for Drawer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drawer").field("draw", &self.draw).finish()
    }
}

impl Drawer {
    fn current(&self) -> Option<(ProgressBar, bool)> {
        self.bar.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn line(&self, line: &str) {
        match self.current() {
            Some((pb, _)) => pb.suspend(|| {
                let _ = writeln!(io::stderr().lock(), "{line}");
            }),
            None => {
                let _ = writeln!(io::stderr().lock(), "{line}");
            }
        }
    }
}

impl Progress for Drawer {
    fn event(&self, e: Event<'_>) {
        match e {
            Event::Started { label, total } if self.draw => {
                let pb = match total {
                    Some(n) => bar(n),
                    None => spinner(label),
                };
                let old = self
                    .bar
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .replace((pb, total.is_some()));
                if let Some((old, _)) = old {
                    old.finish_and_clear();
                }
            }
            Event::Advanced { item } => {
                if let Some((pb, counted)) = self.current() {
                    pb.set_message(item.chars().take(40).collect::<String>());
                    if counted {
                        pb.inc(1);
                    }
                }
            }
            // A bar or spinner stands for the per-item lines; without one they are the progress.
            Event::Item(line) if !self.quiet && self.current().is_none() => self.line(line),
            Event::Note(line) if !self.quiet => self.line(line),
            Event::Detail(line) if self.verbose => self.line(line),
            Event::Finished => {
                if let Some((pb, _)) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    pb.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_silences_progress_and_notes_but_not_errors() {
        let s = Shell::new(true, false, None);
        assert!(s.quiet() && !s.drawer.draw);
        assert!(s.log().is_none());
        // Nothing drawn and nothing to assert on stderr here: this only must not panic.
        let p = s.progress();
        p.event(Event::Started {
            label: "x",
            total: Some(2),
        });
        p.event(Event::Advanced { item: "a" });
        p.event(Event::Item("created a"));
        p.event(Event::Finished);
    }

    #[test]
    fn verbose_gives_a_request_log() {
        assert!(Shell::new(false, true, None).log().is_some());
    }
}
