//! `meterctl test`: runs the test cases of meters (`NAME.test.yaml`) through the local
//! simulator (the library's [`meterctl::cases`]) and reports each in the chosen format, case by
//! case. Exit 0 when every case passes, 1 when one fails (a mismatch, or a meter that cannot be
//! simulated yet), 2 when a case, its meter or its events cannot be read.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{AlreadyReported, Outcome, Shell};
use crate::cli::TestArgs;
use meterctl::cases::{self, Runner, Summary};
use meterctl::config::Config;
use meterctl::fsutil::display;
use meterctl::report::test::{TestFormat, TestWriter, TextOptions};

pub(super) fn run(args: TestArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = Config::discover(out.config.as_deref())?;
    let paths = match (&args.paths[..], &config) {
        ([], Some(c)) => vec![c.root.clone()],
        ([], None) => vec![PathBuf::from(".")],
        (p, _) => p.to_vec(),
    };
    let files = cases::discover(&paths)?;
    if files.is_empty() {
        let shown: Vec<_> = paths.iter().map(|p| display(p).into_owned()).collect();
        anyhow::bail!(
            "no test cases in {}: write NAME.test.yaml beside the meter NAME.yaml (see \"Test a meter\" in the README)",
            shown.join(", ")
        );
    }
    // Meters named by `meter:` are searched in the folders given and the repository's meters.
    let mut roots: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    if let Some(c) = &config {
        roots.push(c.meters_dir());
    }
    let mut runner = Runner::new(&roots, args.update);
    let text = TextOptions {
        color: args.format == TestFormat::Text && out.color_stdout(),
        quiet: out.quiet(),
    };
    let mut writer = TestWriter::new(args.format, text);
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut summary = Summary::default();
    let mut all = Vec::new();
    for file in &files {
        let result = runner.run(file);
        summary.add(&result);
        writer.case(&result, &mut stdout)?;
        stdout.flush()?;
        if writer.needs_all() {
            all.push(result);
        }
    }
    writer.finish(&all, &summary, &mut stdout)?;
    stdout.flush()?;
    if summary.invalid > 0 {
        return Err(
            AlreadyReported(format!("{} test cases could not be read", summary.invalid)).into(),
        );
    }
    Ok(if summary.ok() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
