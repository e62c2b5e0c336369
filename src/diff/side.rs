//! The two sides of a diff: what an argument names, and loading it into [`Doc`]s.
//!
//! An argument is a file or folder (`meters/`), a git revision (`git:REV`, `git:REV:PATH`, read
//! without a checkout), or a tenant (`env:NAME`, an extension point: environments come with
//! `meterctl.yaml`). `git:REV` without a path compares the same path as the other side (or the
//! current folder), so `meterctl diff git:origin/main meters/` reviews a branch's `meters/`.
//! Files are parsed in parallel; every file that cannot be read is reported, not just the first.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Doc;
use crate::diagnostic::Diagnostic;
use crate::fsutil::display;
use crate::load::git::{GitError, GitRev, Kind};
use crate::load::{self, DiscoverError, Format};

/// What a side argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// A file or folder.
    Path(PathBuf),
    /// A git revision, and the path inside it (relative to the current directory).
    Git {
        /// The revision (`HEAD~1`, `origin/main`, a commit id).
        rev: String,
        /// The path, when given.
        path: Option<PathBuf>,
    },
    /// A tenant named in `meterctl.yaml` (not implemented yet).
    Env(String),
}

impl Side {
    /// Reads an argument: `git:REV[:PATH]`, `env:NAME`, else a path (write `./git:x` for a file
    /// whose name starts with `git:`).
    pub fn parse(arg: &str) -> Side {
        if let Some(rest) = arg.strip_prefix("git:") {
            return match rest.split_once(':') {
                Some((rev, path)) if !path.is_empty() => Side::Git {
                    rev: rev.to_string(),
                    path: Some(PathBuf::from(path)),
                },
                Some((rev, _)) => Side::Git {
                    rev: rev.to_string(),
                    path: None,
                },
                None => Side::Git {
                    rev: rest.to_string(),
                    path: None,
                },
            };
        }
        if let Some(name) = arg.strip_prefix("env:") {
            return Side::Env(name.to_string());
        }
        Side::Path(PathBuf::from(arg))
    }
}

/// One side, loaded.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every definition, sorted by origin.
    pub docs: Vec<Doc>,
    /// Whether the side named exactly one file (two single files pair whatever their names).
    pub single_file: bool,
}

/// Why a side cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SideError {
    /// A path does not exist or a folder cannot be walked.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// Some files cannot be read or parsed (each is a diagnostic).
    #[error("{} definition files could not be read", .0.len())]
    Files(Vec<Diagnostic>),
    /// git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// `env:` sides are not implemented yet.
    #[error("env:{0}: env: sides need meterctl.yaml environments (not implemented yet)")]
    Env(String),
}

/// Loads a side; `other` is the other side, whose path a bare `git:REV` mirrors.
pub fn load(side: &Side, other: Option<&Side>) -> Result<Loaded, SideError> {
    match side {
        Side::Path(path) => load_path(path),
        Side::Git { rev, path } => {
            let path = path
                .clone()
                .or_else(|| match other {
                    Some(Side::Path(p)) => Some(p.clone()),
                    Some(Side::Git { path: Some(p), .. }) => Some(p.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| PathBuf::from("."));
            load_git(rev, &path)
        }
        Side::Env(name) => Err(SideError::Env(name.clone())),
    }
}

fn collect(results: Vec<Result<Doc, Diagnostic>>) -> Result<Vec<Doc>, SideError> {
    let mut docs = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(d) => docs.push(d),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(SideError::Files(errors))
    }
}

fn load_path(path: &Path) -> Result<Loaded, SideError> {
    let files = load::discover(&[path.to_path_buf()])?;
    let single_file = path.is_file();
    let results = files
        .into_par_iter()
        .map(|f| {
            load::load_file(&f).map(|d| Doc {
                origin: display(&f).into_owned(),
                value: d.value,
            })
        })
        .collect();
    Ok(Loaded {
        docs: collect(results)?,
        single_file,
    })
}

fn load_git(rev: &str, path: &Path) -> Result<Loaded, SideError> {
    let g = GitRev::open(rev)?;
    let rel = g.repo_path(path)?;
    let (files, single_file) = match g.kind(&rel)? {
        Kind::File => (vec![rel], true),
        Kind::Folder => (g.list(&rel)?, false),
        Kind::Missing => (Vec::new(), false),
    };
    let blobs = g.read(&files)?;
    let max = load::max_file_size();
    let results = files
        .into_par_iter()
        .zip(blobs)
        .map(|(f, bytes)| {
            let origin = format!("{rev}:{f}");
            let shown = Path::new(&origin);
            let Some(format) = Format::from_path(Path::new(&f)) else {
                return Err(Diagnostic::error(
                    crate::diagnostic::codes::READ,
                    shown,
                    "unsupported file type: meter definitions are .json, .yaml or .yml files",
                ));
            };
            if bytes.len() as u64 > max {
                return Err(Diagnostic::error(
                    crate::diagnostic::codes::READ,
                    shown,
                    format!("file is larger than the size limit ({max} bytes); raise METERCTL_MAX_FILE_SIZE"),
                ));
            }
            load::parse_bytes(shown, bytes, format).map(|d| Doc {
                origin,
                value: d.value,
            })
        })
        .collect();
    Ok(Loaded {
        docs: collect(results)?,
        single_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_side_arguments() {
        assert_eq!(Side::parse("meters"), Side::Path("meters".into()));
        assert_eq!(
            Side::parse("git:HEAD~1"),
            Side::Git {
                rev: "HEAD~1".into(),
                path: None
            }
        );
        assert_eq!(
            Side::parse("git:origin/main:meters/a.yaml"),
            Side::Git {
                rev: "origin/main".into(),
                path: Some("meters/a.yaml".into())
            }
        );
        assert_eq!(Side::parse("env:prod"), Side::Env("prod".into()));
        assert_eq!(Side::parse("./git:x"), Side::Path("./git:x".into()));
    }

    #[test]
    fn env_sides_explain_themselves() {
        let e = load(&Side::Env("prod".into()), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "env:prod: env: sides need meterctl.yaml environments (not implemented yet)"
        );
    }
}
