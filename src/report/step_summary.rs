//! `--report github-summary`: Markdown appended to the job summary of a GitHub Actions step, the
//! file the `GITHUB_STEP_SUMMARY` variable names. The variable alone turns it on (so a workflow
//! needs no flag); the flag without the variable is an error, since there is nowhere to write.

use std::io::Write;
use std::path::PathBuf;

/// Why the job summary cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum StepSummaryError {
    /// `--report github-summary` without the variable.
    #[error("--report github-summary needs the environment variable {VAR} (set by GitHub Actions in every step) to name the summary file")]
    NotSet,
    /// The file cannot be opened.
    #[error("cannot open the job summary {path}")]
    Open {
        /// The file, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file cannot be written.
    #[error("cannot write the job summary {path}")]
    Write {
        /// The file, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The variable GitHub Actions sets to the step's summary file.
pub const VAR: &str = "GITHUB_STEP_SUMMARY";

/// Where to append the summary: the file `GITHUB_STEP_SUMMARY` names, when it is set (and not
/// empty); `None` when it is not and `asked` is false; an error when `asked` (the flag) but it
/// is not set.
pub fn target(asked: bool) -> Result<Option<PathBuf>, StepSummaryError> {
    match std::env::var_os(VAR).filter(|v| !v.is_empty()) {
        Some(p) => Ok(Some(PathBuf::from(p))),
        None if asked => Err(StepSummaryError::NotSet),
        None => Ok(None),
    }
}

/// Opens the job summary for appending (other steps' summaries are kept).
pub fn open(path: &std::path::Path) -> Result<std::fs::File, StepSummaryError> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| StepSummaryError::Open {
            path: crate::fsutil::display(path).into_owned(),
            source,
        })
}

/// Appends `markdown` (and a blank line, so summaries of several steps stay apart) to `path`.
/// Appending is what GitHub asks for: other steps' summaries are kept.
pub fn append(path: &std::path::Path, markdown: &str) -> Result<(), StepSummaryError> {
    let mut f = open(path)?;
    let mut text = markdown.trim_end().to_string();
    text.push_str("\n\n");
    f.write_all(text.as_bytes())
        .map_err(|source| StepSummaryError::Write {
            path: crate::fsutil::display(path).into_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_keeps_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.md");
        append(&p, "# one\n").unwrap();
        append(&p, "# two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "# one\n\n# two\n\n");
    }
}
