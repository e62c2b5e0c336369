//! File-system helpers every command shares: how paths are shown and how files are written.
//!
//! Paths are shown relative to the current directory when they lie under it (the UX conventions).
//! Files are never half-written: [`write_atomic`] writes a temporary file in the target's own folder
//! and renames it over the target, so a crash leaves either the old or the new file; [`AtomicFile`]
//! does the same for a file written piece by piece (a streamed report).

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn cwd() -> Option<&'static Path> {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// `path` with `.` and `..` resolved lexically (no file-system access).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The path as users should read it: relative to the current directory when under it.
pub fn display(path: &Path) -> Cow<'_, str> {
    // `../meters/x.yaml` seen from inside `meters/` is `x.yaml`.
    if path.is_relative()
        && path
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        if let Some(c) = cwd() {
            if let Ok(rel) = lexical(&c.join(path)).strip_prefix(c) {
                if !rel.as_os_str().is_empty() {
                    return Cow::Owned(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    if path.is_absolute() {
        if let Some(rel) = cwd().and_then(|c| path.strip_prefix(c).ok()) {
            if !rel.as_os_str().is_empty() {
                return Cow::Owned(rel.to_string_lossy().into_owned());
            }
        }
    }
    let s = path.to_string_lossy();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => Cow::Owned(rest.to_string()),
        _ => s,
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over `path`. Keeps the permissions of an existing file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(contents)?;
    f.commit()
}

/// A file written bit by bit that appears at its path all at once, on [`AtomicFile::commit`]
/// (see [`write_atomic`]); dropped without a commit, it leaves nothing behind.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<io::BufWriter<fs::File>>,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
        // Unique per process and call, so concurrent writers never share a temporary file.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.meterctl-{}-{n}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = fs::File::create(&tmp)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(io::BufWriter::new(file)),
        })
    }

    /// Flushes to disk and renames over the target (keeping an existing file's permissions).
    pub fn commit(mut self) -> io::Result<()> {
        let Some(buf) = self.file.take() else {
            return Ok(());
        };
        let result = (|| {
            let f = buf.into_inner().map_err(io::IntoInnerError::into_error)?;
            f.sync_all()?;
            if let Ok(meta) = fs::metadata(&self.path) {
                fs::set_permissions(&self.tmp, meta.permissions())?;
            }
            fs::rename(&self.tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("the file was already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Streamed: nothing at the path until the commit; nothing left when dropped instead.
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"stream").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "stream");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"abandoned").unwrap();
        drop(f);
        assert_eq!(fs::read_to_string(&p).unwrap(), "stream");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn parent_dirs_resolve_against_the_current_folder() {
        let here = std::env::current_dir().unwrap();
        let name = here.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(display(Path::new(&format!("../{name}/a.yaml"))), "a.yaml");
        assert_eq!(lexical(Path::new("a/./b/../c")), PathBuf::from("a/c"));
    }

    #[test]
    fn relative_paths_lose_dot_slash() {
        assert_eq!(display(Path::new("./x/y.json")), "x/y.json");
        assert_eq!(display(Path::new("x/y.json")), "x/y.json");
    }
}
