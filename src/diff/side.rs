//! The two sides of a diff: what an argument names, and loading it into [`Doc`]s.
//!
//! An argument is a file or folder (`meters/`), a git revision (`git:REV`, `git:REV:PATH`, read
//! without a checkout), or a tenant (`env:NAME`, an extension point: environments come with
//! `meterctl.yaml`). `git:REV` without a path compares the same path as the other side (or the
//! current folder), so `meterctl diff git:origin/main meters/` reviews a branch's `meters/`.
//! An `env:` side needs a connection, so [`load`] does not read it: the caller exports the
//! tenant's meters ([`crate::promote::live`]) and wraps them with [`Loaded::from_values`].
//! A loaded side is a list of [`Entry`]s: pairing reads only each file's `globalId` and `name`,
//! then each pair is read, parsed, compared and dropped, so memory does not grow with the number
//! of meters. Every file that cannot be read is reported, not just the first.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Doc, Identity};
use crate::diagnostic::{codes, Diagnostic};
use crate::fsutil::display;
use crate::load::git::{GitError, GitRev, Kind};
use crate::load::{self, DiscoverError, Format};
use crate::model::identity::MeterKeys;

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
    /// A tenant named in `meterctl.yaml`: its tracked meters, in repository form (loaded by
    /// `meterctl diff` through [`crate::promote::live`], then [`Loaded::from_values`]).
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

/// One definition file of a side, not parsed yet: a file on disk or a blob read from git.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where it came from, as shown to users (`meters/a.yaml`, `HEAD~1:meters/a.yaml`).
    pub origin: String,
    format: Option<Format>,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Blob(Vec<u8>),
}

impl Entry {
    fn unsupported(&self) -> Diagnostic {
        Diagnostic::error(
            codes::READ,
            Path::new(&self.origin),
            "unsupported file type: meter definitions are .json, .yaml or .yml files",
        )
    }

    /// The raw bytes (read from disk, or the blob).
    pub fn bytes(&self) -> Result<Cow<'_, [u8]>, Diagnostic> {
        match &self.source {
            Source::File(p) => load::read_file(p).map(|(b, _)| Cow::Owned(b)),
            Source::Blob(b) => {
                let max = load::max_file_size();
                if b.len() as u64 > max {
                    return Err(Diagnostic::error(
                        codes::READ,
                        Path::new(&self.origin),
                        format!("file is larger than the size limit ({max} bytes); raise METERCTL_MAX_FILE_SIZE"),
                    ));
                }
                Ok(Cow::Borrowed(b))
            }
        }
    }

    /// Parses bytes of this entry into a document.
    pub fn parse(&self, bytes: Cow<'_, [u8]>) -> Result<Doc, Diagnostic> {
        let format = self.format.ok_or_else(|| self.unsupported())?;
        load::parse_bytes(Path::new(&self.origin), bytes.into_owned(), format).map(|d| Doc {
            origin: self.origin.clone(),
            value: d.value,
        })
    }

    /// Reads and parses the whole document.
    pub fn load(&self) -> Result<Doc, Diagnostic> {
        self.parse(self.bytes()?)
    }

    /// Reads only what pairing needs (`globalId`, `name`: [`MeterKeys::read`]); a file that does
    /// not parse gets the full loader's diagnostic.
    pub fn identity(&self) -> Result<Identity, Diagnostic> {
        let format = self.format.ok_or_else(|| self.unsupported())?;
        let keys = MeterKeys::read(Path::new(&self.origin), self.bytes()?, format)?;
        Ok(Identity {
            origin: self.origin.clone(),
            global_id: keys.global_id,
            name: keys.name,
        })
    }
}

/// One side, listed (files are read and parsed later, in parallel, one pair at a time).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every definition file, sorted by origin.
    pub entries: Vec<Entry>,
    /// Whether the side named exactly one file (two single files pair whatever their names).
    pub single_file: bool,
}

impl Loaded {
    /// A side built in memory, one JSON definition per (origin, value), sorted by origin (a
    /// tenant's meters in repository form).
    pub fn from_values(items: Vec<(String, serde_json::Value)>) -> Loaded {
        let mut entries: Vec<Entry> = items
            .into_iter()
            .map(|(origin, v)| Entry {
                origin,
                format: Some(Format::Json),
                source: Source::Blob(serde_json::to_vec(&v).expect("JSON values serialize")),
            })
            .collect();
        entries.sort_by(|a, b| a.origin.cmp(&b.origin));
        Loaded {
            entries,
            single_file: false,
        }
    }

    /// Reads and parses every entry (in parallel), reporting every file that fails.
    pub fn load_all(&self) -> Result<Vec<Doc>, SideError> {
        collect(self.entries.par_iter().map(Entry::load).collect())
    }

    /// The pairing identity of every entry (in parallel), reporting every file that fails.
    pub fn identities(&self) -> Result<Vec<Identity>, SideError> {
        collect(self.entries.par_iter().map(Entry::identity).collect())
    }
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
    /// `env:` sides are read from a tenant, not by [`load`].
    #[error("env:{0}: a tenant side is read through a connection (crate::promote::live), not from files")]
    Env(String),
}

/// Lists a side's definition files; `other` is the other side, whose path a bare `git:REV`
/// mirrors. Git blobs are read here (one `git cat-file --batch`); files on disk later.
pub fn load(side: &Side, other: Option<&Side>) -> Result<Loaded, SideError> {
    match side {
        Side::Path(path) => load_path(path),
        Side::Git { rev, path } => {
            let explicit = path.is_some();
            let path = path
                .clone()
                .or_else(|| match other {
                    Some(Side::Path(p)) => Some(p.clone()),
                    Some(Side::Git { path: Some(p), .. }) => Some(p.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| PathBuf::from("."));
            load_git(rev, &path, explicit)
        }
        Side::Env(name) => Err(SideError::Env(name.clone())),
    }
}

fn collect<T>(results: Vec<Result<T, Diagnostic>>) -> Result<Vec<T>, SideError> {
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
    let entries = files
        .into_iter()
        .map(|f| Entry {
            origin: display(&f).into_owned(),
            format: Format::from_path(&f),
            source: Source::File(f),
        })
        .collect();
    Ok(Loaded {
        entries,
        single_file,
    })
}

/// `explicit`: the path was written in the side (`git:REV:PATH`), so it must exist at REV; a path
/// borrowed from the other side may be new (then this side is empty: everything is added).
fn load_git(rev: &str, path: &Path, explicit: bool) -> Result<Loaded, SideError> {
    let g = GitRev::open(rev)?;
    let rel = g.repo_path(path)?;
    let (kind, files) = g.lookup(&rel)?;
    if explicit && kind == Kind::Missing {
        return Err(GitError::NoSuchPath {
            rev: rev.to_string(),
            path: display(path).into_owned(),
        }
        .into());
    }
    let blobs = g.read(&files)?;
    let entries = files
        .into_iter()
        .zip(blobs)
        .map(|(f, bytes)| Entry {
            origin: format!("{rev}:{}", f.path),
            format: Format::from_path(Path::new(&f.path)),
            source: Source::Blob(bytes),
        })
        .collect();
    Ok(Loaded {
        entries,
        single_file: kind == Kind::File,
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
            "env:prod: a tenant side is read through a connection (crate::promote::live), not from files"
        );
        let l = Loaded::from_values(vec![
            (
                "env:p (meter 2)".into(),
                serde_json::json!({"globalId": "b"}),
            ),
            (
                "env:p (meter 1)".into(),
                serde_json::json!({"globalId": "a", "name": "A"}),
            ),
        ]);
        let ids = l.identities().unwrap();
        assert_eq!(ids[0].origin, "env:p (meter 1)");
        assert_eq!(ids[0].global_id.as_deref(), Some("a"));
        assert_eq!(l.load_all().unwrap()[1].value["globalId"], "b");
    }
}
