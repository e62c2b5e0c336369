//! `meterctl fmt`: rewrite files in canonical form, or check/diff without writing.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;

use super::{AlreadyReported, Outcome, Shell};
use crate::cli::FmtArgs;
use meterctl::canonical;
use meterctl::diagnostic::Diagnostic;
use meterctl::fsutil::{display, write_atomic};
use meterctl::load;

enum FileResult {
    Canonical,
    /// Not canonical: the canonical text (and a diff when asked for).
    Changed(Option<String>),
    Failed(Diagnostic),
    WriteFailed(String),
}

pub(super) fn run(args: FmtArgs, out: Shell) -> anyhow::Result<Outcome> {
    if args.paths.iter().any(|p| p == Path::new("-")) {
        if args.paths.len() > 1 {
            anyhow::bail!("`-` (stdin) cannot be combined with other paths");
        }
        return stdin(&args);
    }
    let files = load::discover(&args.paths)?;
    let write = !args.check && !args.diff;
    let results: Vec<(PathBuf, FileResult)> = files
        .into_par_iter()
        .map(|path| {
            let r = format_file(&path, write, args.diff);
            (path, r)
        })
        .collect();

    let stdout = io::stdout();
    let mut stdout = stdout.lock();
    let (mut changed, mut failed) = (0usize, 0usize);
    for (path, result) in &results {
        match result {
            FileResult::Canonical => {}
            FileResult::Changed(diff) => {
                changed += 1;
                if let Some(diff) = diff {
                    stdout.write_all(diff.as_bytes())?;
                } else if !out.quiet() {
                    writeln!(stdout, "{}", display(path))?;
                }
            }
            FileResult::Failed(d) => {
                failed += 1;
                out.error(&format!("error: {d}"));
            }
            FileResult::WriteFailed(e) => {
                failed += 1;
                out.error(&format!(
                    "error: {}: cannot write the file: {e}",
                    display(path)
                ));
            }
        }
    }
    stdout.flush()?;
    let verb = if write {
        "reformatted"
    } else {
        "would be reformatted"
    };
    out.detail(&format!(
        "{} files, {changed} {verb}, {failed} failed",
        results.len()
    ));
    if failed > 0 {
        return Err(AlreadyReported(format!("{failed} files could not be formatted")).into());
    }
    Ok(if changed > 0 && !write {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

fn format_file(path: &Path, write: bool, want_diff: bool) -> FileResult {
    let doc = match load::load_file(path) {
        Ok(doc) => doc,
        Err(d) => return FileResult::Failed(d),
    };
    let canonical = canonical::document_string(&doc, doc.format);
    // The loader strips a byte-order mark; its presence alone makes the file non-canonical.
    if canonical == doc.text && !doc.bom {
        return FileResult::Canonical;
    }
    if write {
        if let Err(e) = write_atomic(path, canonical.as_bytes()) {
            return FileResult::WriteFailed(e.to_string());
        }
        return FileResult::Changed(None);
    }
    FileResult::Changed(want_diff.then(|| unified_diff(path, &doc.text, &canonical)))
}

/// A unified diff in `git diff` style, `a/` and `b/` prefixes included.
pub(crate) fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = display(path);
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}", name.trim_start_matches('/')),
            &format!("b/{}", name.trim_start_matches('/')),
        )
        .to_string()
}

fn stdin(args: &FmtArgs) -> anyhow::Result<Outcome> {
    let name = args.stdin_filename.as_deref();
    let doc = load::load_stdin_as(name, None).map_err(|d| anyhow::anyhow!("{d}"))?;
    let canonical = canonical::document_string(&doc, doc.format);
    let mut stdout = io::stdout().lock();
    if args.diff {
        stdout.write_all(
            unified_diff(name.unwrap_or(Path::new("-")), &doc.text, &canonical).as_bytes(),
        )?;
    } else if !args.check {
        stdout
            .write_all(canonical.as_bytes())
            .context("cannot write to stdout")?;
    }
    stdout.flush()?;
    Ok(
        if (args.check || args.diff) && (canonical != doc.text || doc.bom) {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    )
}
