//! `--report github-summary`: Markdown appended to the job summary of a GitHub Actions step, the
//! file the `GITHUB_STEP_SUMMARY` variable names. The variable alone turns it on (so a workflow
//! needs no flag); the flag without the variable is an error, since there is nowhere to write.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

/// The variable GitHub Actions sets to the step's summary file.
pub const VAR: &str = "GITHUB_STEP_SUMMARY";

/// Where to append the summary: the file `GITHUB_STEP_SUMMARY` names, when it is set (and not
/// empty); `None` when it is not and `asked` is false; an error when `asked` (the flag) but it
/// is not set.
pub fn target(asked: bool) -> anyhow::Result<Option<PathBuf>> {
    match std::env::var_os(VAR).filter(|v| !v.is_empty()) {
        Some(p) => Ok(Some(PathBuf::from(p))),
        None if asked => anyhow::bail!(
            "--report github-summary needs the environment variable {VAR} (set by GitHub Actions in every step) to name the summary file"
        ),
        None => Ok(None),
    }
}

/// Opens the job summary for appending (other steps' summaries are kept).
pub fn open(path: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot open the job summary {}",
                crate::fsutil::display(path)
            )
        })
}

/// Appends `markdown` (and a blank line, so summaries of several steps stay apart) to `path`.
/// Appending is what GitHub asks for: other steps' summaries are kept.
pub fn append(path: &std::path::Path, markdown: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot open the job summary {}",
                crate::fsutil::display(path)
            )
        })?;
    let mut text = markdown.trim_end().to_string();
    text.push_str("\n\n");
    f.write_all(text.as_bytes()).with_context(|| {
        format!(
            "cannot write the job summary {}",
            crate::fsutil::display(path)
        )
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
