//! The one place the binary writes to the terminal: stdout and stderr, `-q`/`-v`, colour, and
//! progress.
//!
//! Every command gets a [`Shell`]. Results go to stdout ([`Shell::print`], [`Shell::println`];
//! a closed pipe surfaces as an error that `main` turns into exit 0, or SIGPIPE); messages go to
//! stderr: [`Shell::error`] always, [`Shell::note`] unless `-q`, [`Shell::detail`] only with `-v`.
//! Progress from the library ([`meterctl::progress`]) goes through [`Shell::progress`]: on a
//! terminal, a bar for counted work and a spinner with the elapsed time for waits (both drawn by
//! `indicatif` on stderr, erased when done); when stderr is not a terminal, the per-item lines
//! instead, exactly as before there was a bar, and a plain `still ...` line after each 10 s of
//! silence (so a CI job never looks hung); with `-q`, nothing.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meterctl::progress::{Event, Progress, Sink};
use meterctl::report::color::{self, ColorChoice};
use meterctl::settings;

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
            drawer: Arc::new(Drawer::new(quiet, verbose, io::stderr().is_terminal())),
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

/// How long a job may stay silent on stderr when no bar is drawn (CI) before a plain line says it
/// is still going: `METERCTL_PROGRESS_INTERVAL` (a duration, e.g. `30s`), else 10 s.
fn heartbeat_interval() -> Duration {
    // A bad value never gets here: every METERCTL_* variable is checked first (settings.rs).
    std::env::var(settings::PROGRESS_INTERVAL_VAR)
        .ok()
        .and_then(|v| settings::parse_progress_interval(&v).ok())
        .unwrap_or(Duration::from_secs(10))
}

/// The job a heartbeat reports on, and when stderr last had a line.
struct Beat {
    job: Option<Job>,
    last: Instant,
    generation: u64,
}

struct Job {
    label: String,
    total: Option<u64>,
    done: u64,
    started: Instant,
}

/// The heartbeat of jobs when nothing is drawn: a thread per job that writes
/// `still reading 200 meter(s) from production: 57/200 after 20s` after each `interval` of
/// silence on stderr, and ends with the job.
struct Heartbeat {
    interval: Duration,
    state: Arc<(Mutex<Beat>, Condvar)>,
}

impl Heartbeat {
    fn lock(&self) -> std::sync::MutexGuard<'_, Beat> {
        self.state.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn start(&self, label: &str, total: Option<u64>) {
        let generation = {
            let mut b = self.lock();
            b.generation += 1;
            b.last = Instant::now();
            b.job = Some(Job {
                label: label.to_string(),
                total,
                done: 0,
                started: Instant::now(),
            });
            b.generation
        };
        self.state.1.notify_all();
        let (state, interval) = (self.state.clone(), self.interval);
        std::thread::spawn(move || {
            let (lock, cv) = &*state;
            let mut b = lock.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if b.generation != generation || b.job.is_none() {
                    return;
                }
                let due = b.last + interval;
                let now = Instant::now();
                if now >= due {
                    if let Some(line) = b.job.as_ref().map(Job::line) {
                        let _ = writeln!(io::stderr().lock(), "{line}");
                    }
                    b.last = now;
                    continue;
                }
                b = cv
                    .wait_timeout(b, due - now)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        });
    }

    fn advance(&self) {
        if let Some(j) = self.lock().job.as_mut() {
            j.done += 1;
        }
    }

    fn wrote(&self) {
        self.lock().last = Instant::now();
    }

    fn finish(&self) {
        self.lock().job = None;
        self.state.1.notify_all();
    }
}

impl Job {
    fn line(&self) -> String {
        let count = match self.total {
            Some(t) => format!(": {}/{t}", self.done),
            None => String::new(),
        };
        format!(
            "still {}{count} after {}s",
            self.label,
            self.started.elapsed().as_secs()
        )
    }
}

/// The [`Progress`] of a [`Shell`]: the bar or spinner drawn, if any (and whether it counts),
/// or, when nothing is drawn and not `-q`, the heartbeat.
struct Drawer {
    quiet: bool,
    verbose: bool,
    draw: bool,
    bar: Mutex<Option<(ProgressBar, bool)>>,
    heartbeat: Option<Heartbeat>,
}

impl std::fmt::Debug for Drawer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drawer").field("draw", &self.draw).finish()
    }
}

impl Drawer {
    fn new(quiet: bool, verbose: bool, terminal: bool) -> Drawer {
        Drawer::with_interval(quiet, verbose, terminal, heartbeat_interval())
    }

    fn with_interval(quiet: bool, verbose: bool, terminal: bool, interval: Duration) -> Drawer {
        let draw = !quiet && terminal;
        Drawer {
            quiet,
            verbose,
            draw,
            bar: Mutex::new(None),
            heartbeat: (!quiet && !draw).then(|| Heartbeat {
                interval,
                state: Arc::new((
                    Mutex::new(Beat {
                        job: None,
                        last: Instant::now(),
                        generation: 0,
                    }),
                    Condvar::new(),
                )),
            }),
        }
    }

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
                if let Some(h) = &self.heartbeat {
                    h.wrote();
                }
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
            Event::Started { label, total } => {
                if let Some(h) = &self.heartbeat {
                    h.start(label, total);
                }
            }
            Event::Advanced { .. } if self.heartbeat.is_some() => {
                if let Some(h) = &self.heartbeat {
                    h.advance();
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
                if let Some(h) = &self.heartbeat {
                    h.finish();
                }
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
    fn the_heartbeat_counts_and_ends_with_the_job() {
        let d = Drawer::with_interval(false, false, false, Duration::from_millis(30));
        assert!(!d.draw);
        d.event(Event::Started {
            label: "reading 2 meter(s)",
            total: Some(2),
        });
        d.event(Event::Advanced { item: "a" });
        let h = d.heartbeat.as_ref().unwrap();
        assert_eq!(
            h.lock().job.as_ref().map(Job::line).unwrap(),
            "still reading 2 meter(s): 1/2 after 0s"
        );
        // The thread writes to stderr after 30 ms of silence (not captured here) and moves
        // `last` on; it must then stop with the job.
        let before = h.lock().last;
        std::thread::sleep(Duration::from_millis(100));
        assert!(h.lock().last > before, "no heartbeat after 100 ms");
        d.event(Event::Finished);
        assert!(h.lock().job.is_none());
        // On a terminal (a bar is drawn) or with -q, there is no heartbeat.
        assert!(
            Drawer::with_interval(false, false, true, Duration::from_secs(1))
                .heartbeat
                .is_none()
        );
        assert!(
            Drawer::with_interval(true, false, false, Duration::from_secs(1))
                .heartbeat
                .is_none()
        );
    }

    #[test]
    fn verbose_gives_a_request_log() {
        assert!(Shell::new(false, true, None).log().is_some());
    }
}
