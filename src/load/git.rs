//! Definition files as of a git revision, read with the `git` command: no checkout, no library.
//!
//! [`GitRev::open`] finds the repository around the current directory and resolves the revision
//! to a commit; [`GitRev::lookup`] lists the definition files under a path at that commit (`git
//! ls-tree`), skipping hidden folders and test cases like a folder walk does; [`GitRev::read`] reads many blobs
//! by id through one `git cat-file --batch` process. Paths given by users are relative to the current
//! directory; paths returned are relative to the repository's top, as git shows them
//! (`HEAD~1:meters/api-calls.yaml`).

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use super::Format;

/// Why a git revision cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be started.
    #[error("cannot run git: {0} (is git installed and on PATH?)")]
    Spawn(#[source] io::Error),
    /// The current directory is not in a repository.
    #[error("git:{rev} needs a git repository, and {dir} is not inside one (run meterctl inside the repository, or compare files and folders)")]
    NotARepo {
        /// The revision asked for.
        rev: String,
        /// The current directory.
        dir: String,
    },
    /// The revision does not name a commit.
    #[error("unknown git revision {rev:?}: {detail}")]
    UnknownRevision {
        /// The revision asked for.
        rev: String,
        /// What git said.
        detail: String,
    },
    /// An explicitly named path does not exist at that revision.
    #[error("git:{rev}:{path}: no such file or folder at revision {rev}")]
    NoSuchPath {
        /// The revision.
        rev: String,
        /// The path asked for.
        path: String,
    },
    /// The path lies outside the repository.
    #[error("{path} is outside the git repository at {top}")]
    Outside {
        /// The path asked for.
        path: String,
        /// The repository's top folder.
        top: String,
    },
    /// Another git failure.
    #[error("git {command} failed: {detail}")]
    Failed {
        /// The git subcommand.
        command: String,
        /// What git said.
        detail: String,
    },
}

/// What a path names at a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file.
    File,
    /// A folder.
    Folder,
    /// Nothing.
    Missing,
}

/// A file at a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Its path relative to the repository's top.
    pub path: String,
    /// Its blob id.
    pub oid: String,
}

/// A revision of the repository around the current directory.
#[derive(Debug, Clone)]
pub struct GitRev {
    top: PathBuf,
    /// The current directory relative to the top (`""` or `meters/`).
    prefix: String,
    commit: String,
}

fn git(dir: Option<&Path>) -> Command {
    let mut c = Command::new("git");
    if let Some(d) = dir {
        c.arg("-C").arg(d);
    }
    c.arg("--literal-pathspecs");
    c.stdin(Stdio::null());
    c
}

/// Runs git: `Ok(Ok(stdout))` on success, `Ok(Err(stderr))` when git failed.
fn run(mut c: Command) -> Result<Result<String, String>, GitError> {
    let out = c.output().map_err(GitError::Spawn)?;
    if out.status.success() {
        Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
    } else {
        Ok(Err(String::from_utf8_lossy(&out.stderr).trim().to_string()))
    }
}

impl GitRev {
    /// Finds the repository around the current directory and resolves `rev` to a commit.
    pub fn open(rev: &str) -> Result<GitRev, GitError> {
        let mut c = git(None);
        c.args(["rev-parse", "--show-toplevel", "--show-prefix"]);
        let out = run(c)?.map_err(|_| GitError::NotARepo {
            rev: rev.to_string(),
            dir: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".into()),
        })?;
        let mut lines = out.lines();
        let top = PathBuf::from(lines.next().unwrap_or_default());
        let prefix = lines.next().unwrap_or_default().to_string();
        let unknown = |detail: String| GitError::UnknownRevision {
            rev: rev.to_string(),
            detail,
        };
        if rev.is_empty() || rev.starts_with('-') {
            return Err(unknown("not a revision name".into()));
        }
        let mut c = git(Some(&top));
        c.args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"));
        let commit = run(c)?
            .map_err(|_| {
                unknown("no commit, branch or tag of that name in this repository".into())
            })?
            .trim()
            .to_string();
        Ok(GitRev {
            top,
            prefix,
            commit,
        })
    }

    /// The commit the revision resolved to.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// A user's path (relative to the current directory, or absolute) as a path relative to the
    /// repository's top, `/`-separated (`""` is the top itself).
    pub fn repo_path(&self, path: &Path) -> Result<String, GitError> {
        let joined = if path.is_absolute() {
            let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            let top = self.top.canonicalize().unwrap_or_else(|_| self.top.clone());
            abs.strip_prefix(&top)
                .map_err(|_| GitError::Outside {
                    path: crate::fsutil::display(path).into_owned(),
                    top: self.top.display().to_string(),
                })?
                .to_path_buf()
        } else {
            Path::new(&self.prefix).join(path)
        };
        let mut parts: Vec<String> = Vec::new();
        for c in joined.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                Component::ParentDir if parts.pop().is_none() => {
                    return Err(GitError::Outside {
                        path: crate::fsutil::display(path).into_owned(),
                        top: self.top.display().to_string(),
                    });
                }
                _ => {}
            }
        }
        Ok(parts.join("/"))
    }

    /// What `rel` is at this revision, and the definition files it holds: the file itself, or
    /// the `*.json`, `*.yaml` and `*.yml` files under the folder outside hidden folders, sorted.
    /// One `git ls-tree`, which also yields each file's blob id (reading blobs by id is much
    /// faster than by `REV:path`, which walks the tree once per file).
    pub fn lookup(&self, rel: &str) -> Result<(Kind, Vec<Blob>), GitError> {
        let mut c = git(Some(&self.top));
        c.args(["ls-tree", "-r", "-z", "--full-tree"])
            .arg(&self.commit);
        if !rel.is_empty() {
            c.arg("--").arg(rel);
        }
        let out = run(c)?.map_err(|detail| GitError::Failed {
            command: "ls-tree".into(),
            detail,
        })?;
        // Each entry: "<mode> <type> <oid>\t<path>".
        let entries: Vec<Blob> = out
            .split('\0')
            .filter_map(|e| {
                let (meta, path) = e.split_once('\t')?;
                let mut m = meta.split(' ');
                let (_, kind, oid) = (m.next()?, m.next()?, m.next()?);
                (kind == "blob").then(|| Blob {
                    path: path.to_string(),
                    oid: oid.to_string(),
                })
            })
            .collect();
        if !rel.is_empty() && entries.len() == 1 && entries[0].path == rel {
            return Ok((Kind::File, entries));
        }
        if entries.is_empty() && !rel.is_empty() {
            return Ok((Kind::Missing, entries));
        }
        let under = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut files: Vec<Blob> = entries
            .into_iter()
            .filter(|b| {
                let p = Path::new(&b.path);
                Format::from_path(p).is_some() && !super::is_test_case(p)
            })
            .filter(|b| {
                let inner = b.path.strip_prefix(&under).unwrap_or(&b.path);
                !inner.split('/').any(|s| s.starts_with('.'))
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((Kind::Folder, files))
    }

    /// Reads blobs through one `git cat-file --batch`, in order.
    pub fn read(&self, blobs: &[Blob]) -> Result<Vec<Vec<u8>>, GitError> {
        if blobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = git(Some(&self.top));
        c.args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().map_err(GitError::Spawn)?;
        let stdin = child.stdin.take().expect("piped stdin");
        let requests: Vec<String> = blobs.iter().map(|b| format!("{}\n", b.oid)).collect();
        let writer = std::thread::spawn(move || -> io::Result<()> {
            let mut w = BufWriter::new(stdin);
            for r in requests {
                w.write_all(r.as_bytes())?;
            }
            w.flush()
        });
        let failed = |detail: String| GitError::Failed {
            command: "cat-file".into(),
            detail,
        };
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut out_blobs = Vec::with_capacity(blobs.len());
        let mut header = String::new();
        for b in blobs {
            let p = &b.path;
            header.clear();
            out.read_line(&mut header)
                .map_err(|e| failed(e.to_string()))?;
            let fields: Vec<&str> = header.split_whitespace().collect();
            let size = match fields.as_slice() {
                [_, "blob", size] => size.parse::<usize>().map_err(|e| failed(e.to_string()))?,
                _ => return Err(failed(format!("cannot read {p}: {}", header.trim()))),
            };
            let mut blob = vec![0u8; size];
            out.read_exact(&mut blob)
                .map_err(|e| failed(e.to_string()))?;
            let mut nl = [0u8; 1];
            out.read_exact(&mut nl).map_err(|e| failed(e.to_string()))?;
            out_blobs.push(blob);
        }
        drop(out);
        let _ = writer.join();
        let _ = child.wait();
        Ok(out_blobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_paths_are_normalised_against_the_prefix() {
        let g = GitRev {
            top: PathBuf::from("/repo"),
            prefix: "meters/".into(),
            commit: "c".into(),
        };
        assert_eq!(g.repo_path(Path::new(".")).unwrap(), "meters");
        assert_eq!(
            g.repo_path(Path::new("a/b.yaml")).unwrap(),
            "meters/a/b.yaml"
        );
        assert_eq!(g.repo_path(Path::new("../x")).unwrap(), "x");
        assert_eq!(g.repo_path(Path::new("..")).unwrap(), "");
        assert!(g.repo_path(Path::new("../..")).is_err());
    }
}
