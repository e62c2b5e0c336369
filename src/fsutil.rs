//! File-system helpers every command shares: how paths are shown and how files are written.
//!
//! Paths are shown relative to the current directory when they lie under it (the UX conventions).
//! Files are never half-written: [`write_atomic`] writes a temporary file in the target's own folder
//! and renames it over the target, so a crash leaves either the old or the new file; [`AtomicFile`]
//! does the same for a file written piece by piece (a streamed report). A write never changes what
//! the path is: a symbolic link stays a link (its target is rewritten), a device, a pipe or
//! `/dev/stdout` is written directly, and a rewritten file keeps its mode and owner.

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

/// The path as users should read it: relative to the current directory when under it, and
/// quoted with its control characters escaped when it has any ([`escape`]), so a file name can
/// neither recolour the terminal nor split a one-line message. Machine-readable outputs (JSON,
/// SARIF) use [`display_exact`].
pub fn display(path: &Path) -> Cow<'_, str> {
    match display_exact(path) {
        Cow::Borrowed(s) => escape(s),
        Cow::Owned(s) => match escape(&s) {
            Cow::Borrowed(_) => Cow::Owned(s),
            Cow::Owned(e) => Cow::Owned(e),
        },
    }
}

/// A name as it may be printed for people: unchanged unless it holds a character that a
/// terminal acts on or that changes how the line reads (C0 and C1 controls, DEL, Unicode's
/// line separators and bidirectional overrides); then quoted as git quotes paths, with those
/// escaped: `"bad\nname.yaml"`, `"\x1b[31mred.yaml"`.
pub fn escape(name: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !name.chars().any(unsafe_char) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

/// The path relative to the current directory when under it, exactly (for JSON and SARIF).
pub fn display_exact(path: &Path) -> Cow<'_, str> {
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

/// Writes `contents` to `path` without ever leaving it half-written, and without replacing what
/// the path is (see [`AtomicFile`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(contents)?;
    f.commit()
}

/// A file written bit by bit that appears at its path all at once, on [`AtomicFile::commit`];
/// dropped without a commit, it leaves nothing behind.
///
/// What the path is decides how it is written:
/// - a regular file, or nothing yet: a temporary file in the same folder, flushed to disk, given
///   the old file's mode and owner (where permitted), renamed over it, and the folder synced;
/// - a symbolic link: the same, at the file the link points to (the link stays a link);
/// - a device, a named pipe or `/dev/stdout` (`/dev/stderr`): written directly, never replaced.
pub struct AtomicFile {
    file: Option<io::BufWriter<fs::File>>,
    /// `None` when written directly (boxed: a file's metadata is large).
    replace: Option<Box<Replace>>,
}

/// The rename an atomic write ends with.
struct Replace {
    /// The real target (a symlink's target).
    path: PathBuf,
    tmp: PathBuf,
    /// The file being replaced, to keep its mode and owner.
    old: Option<fs::Metadata>,
}

impl AtomicFile {
    /// Opens `path` for writing: the temporary file beside it, or the device or pipe itself.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        if let Some(file) = standard_stream(path)? {
            return Ok(AtomicFile::direct(file));
        }
        let old = fs::metadata(path).ok();
        if let Some(meta) = &old {
            if meta.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a folder",
                ));
            }
            if !meta.is_file() {
                // A device or a pipe: written in place (truncating is meaningless there).
                let file = fs::OpenOptions::new().write(true).open(path)?;
                return Ok(AtomicFile::direct(file));
            }
        }
        let target = link_target(path)?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target
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
        // `create_new`: never write through something already at the temporary name.
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        Ok(AtomicFile {
            file: Some(io::BufWriter::new(file)),
            replace: Some(Box::new(Replace {
                path: target,
                tmp,
                old,
            })),
        })
    }

    fn direct(file: fs::File) -> AtomicFile {
        AtomicFile {
            file: Some(io::BufWriter::new(file)),
            replace: None,
        }
    }

    /// Puts the file in place: flushed to disk, with the old file's mode and owner, renamed over
    /// the target, the folder synced (a direct write is only flushed).
    pub fn commit(mut self) -> io::Result<()> {
        let Some(buf) = self.file.take() else {
            return Ok(());
        };
        let Some(r) = self.replace.take() else {
            let mut f = buf.into_inner().map_err(io::IntoInnerError::into_error)?;
            return f.flush();
        };
        let result = (|| {
            let f = buf.into_inner().map_err(io::IntoInnerError::into_error)?;
            if let Some(old) = &r.old {
                keep_owner(&f, old);
                f.set_permissions(old.permissions())?;
            }
            f.sync_all()?;
            fs::rename(&r.tmp, &r.path)?;
            sync_dir(&r.path);
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&r.tmp);
        }
        result
    }
}

/// `/dev/stdout`, `/dev/stderr` and their `/dev/fd/N`, `/proc/self/fd/N` spellings: this
/// process's own stream (so `>>` appends and a pipe stays a pipe).
#[cfg(unix)]
fn standard_stream(path: &Path) -> io::Result<Option<fs::File>> {
    use std::os::fd::AsFd;
    let Some(s) = path.to_str() else {
        return Ok(None);
    };
    let fd = match s {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => {
            io::stdout().flush()?;
            io::stdout().as_fd().try_clone_to_owned()?
        }
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => {
            io::stderr().as_fd().try_clone_to_owned()?
        }
        _ => return Ok(None),
    };
    Ok(Some(fs::File::from(fd)))
}

#[cfg(not(unix))]
fn standard_stream(_: &Path) -> io::Result<Option<fs::File>> {
    Ok(None)
}

/// The file a path names once symbolic links are followed (the path itself when it is not a
/// link); a dangling link gives the path it points to, where the file will be created.
fn link_target(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    // As the kernel does, give up after 40 links.
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) => dir.join(to),
                    None => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// Gives the new file the old one's owner and group. Only root may give a file away; anyone may
/// keep a group they belong to; what is not permitted is left as it is.
#[cfg(unix)]
fn keep_owner(f: &fs::File, old: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    if std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid())).is_err() {
        let _ = std::os::unix::fs::fchown(f, None, Some(old.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_: &fs::File, _: &fs::Metadata) {}

/// Syncs the folder of a renamed file, so the rename itself survives a crash.
#[cfg(unix)]
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) {}

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
            if let Some(r) = &self.replace {
                let _ = fs::remove_file(&r.tmp);
            }
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

    #[cfg(unix)]
    #[test]
    fn symlinks_stay_links_and_their_target_is_written() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/a.yaml");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.yaml");
        symlink("real/a.yaml", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        // The temporary file went beside the target, and is gone.
        assert_eq!(fs::read_dir(dir.path().join("real")).unwrap().count(), 1);
        // A dangling link: the file is created where it points.
        let dangling = dir.path().join("d.yaml");
        symlink("real/new.yaml", &dangling).unwrap();
        write_atomic(&dangling, b"created").unwrap();
        assert!(fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(dir.path().join("real/new.yaml")).unwrap(),
            "created"
        );
        // A loop is an error, not a hang.
        symlink("loop2", dir.path().join("loop1")).unwrap();
        symlink("loop1", dir.path().join("loop2")).unwrap();
        assert!(write_atomic(&dir.path().join("loop1"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_pipes_are_written_in_place() {
        use std::os::unix::fs::{symlink, FileTypeExt};
        let dir = tempfile::tempdir().unwrap();
        // A link to /dev/null (never /dev/null itself: a regression would replace it).
        let null = dir.path().join("null");
        symlink("/dev/null", &null).unwrap();
        write_atomic(&null, b"gone").unwrap();
        assert!(fs::symlink_metadata(&null)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        // `/dev/stdout` by name is this process's stdout, never a path to replace.
        assert!(standard_stream(Path::new("/dev/stdout")).unwrap().is_some());
        assert!(standard_stream(Path::new("/dev/stdoutx"))
            .unwrap()
            .is_none());
        let fifo = dir.path().join("fifo");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !ok.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        // Checked first: had the pipe been replaced, the reader would wait forever.
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), "through the pipe");
        // A folder is refused, not replaced.
        assert!(write_atomic(dir.path(), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn rewrites_keep_mode_and_owner() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        // Only root can give a file to someone else: then it must stay theirs.
        let root = fs::metadata(&p).unwrap().uid() == 0;
        if root {
            std::os::unix::fs::chown(&p, Some(4242), Some(4343)).unwrap();
        }
        write_atomic(&p, b"new").unwrap();
        let meta = fs::metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        if root {
            assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
    }

    #[test]
    fn parent_dirs_resolve_against_the_current_folder() {
        let here = std::env::current_dir().unwrap();
        let name = here.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(display(Path::new(&format!("../{name}/a.yaml"))), "a.yaml");
        assert_eq!(lexical(Path::new("a/./b/../c")), PathBuf::from("a/c"));
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        assert_eq!(display(Path::new("x/a.yaml")), "x/a.yaml");
        assert_eq!(display(Path::new("./a\nb.yaml")), "\"a\\nb.yaml\"");
        assert_eq!(
            display(Path::new("\u{1b}[31mred\t\"q\"\\.yaml")),
            "\"\\x1b[31mred\\t\\\"q\\\"\\\\.yaml\""
        );
        assert_eq!(
            escape("\u{202e}lmy.yaml\u{85}"),
            "\"\\u{202e}lmy.yaml\\u{0085}\""
        );
        assert_eq!(escape("é ü \\ \"ok\".yaml"), "é ü \\ \"ok\".yaml");
        assert_eq!(display_exact(Path::new("./a\nb.yaml")), "a\nb.yaml");
    }

    #[test]
    fn relative_paths_lose_dot_slash() {
        assert_eq!(display(Path::new("./x/y.json")), "x/y.json");
        assert_eq!(display(Path::new("x/y.json")), "x/y.json");
    }
}
