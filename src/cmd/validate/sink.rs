//! Where `meterctl validate` writes: stdout, or `--report` files that appear once complete.

use std::io::{self, Write};
use std::path::Path;

use meterctl::fsutil::{display, AtomicFile};

/// Where one output of a run goes: stdout, or a `--report` file that appears once complete.
pub(super) enum Sink<'a> {
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
    File(AtomicFile, &'a Path),
    /// A file appended to (the GitHub job summary).
    Append(std::fs::File, &'a Path),
}

impl<'a> Sink<'a> {
    pub(super) fn path(&self) -> Option<&'a Path> {
        match self {
            Sink::Stdout(_) => None,
            Sink::File(_, p) | Sink::Append(_, p) => Some(*p),
        }
    }

    /// Flushes stdout; puts a report file in place.
    pub(super) fn close(self) -> io::Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush(),
            Sink::File(f, _) => f.commit(),
            Sink::Append(mut f, _) => f.write_all(b"\n").and_then(|()| f.flush()),
        }
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File(f, _) => f.write(buf),
            Sink::Append(f, _) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File(f, _) => f.flush(),
            Sink::Append(f, _) => f.flush(),
        }
    }
}

/// The context of a failed write: a report file by name; stdout needs none.
pub(super) fn cannot_write(path: Option<&Path>) -> String {
    match path {
        Some(p) => format!("cannot write report {}", display(p)),
        None => "cannot write to stdout".to_string(),
    }
}
