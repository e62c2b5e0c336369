//! One finding about one file: severity, stable code, message, and where it is.
//!
//! Everything that is wrong *with a file* (it does not parse, it breaks a schema or a meter rule) is
//! a [`Diagnostic`]: data that a reporter renders and that makes a command exit 1. Errors that stop
//! a job from running (an unreadable folder, a bad flag) are not diagnostics; they are `Err`s.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Reported, but the file still counts as valid.
    Warning,
    /// The file is invalid.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable codes of the diagnostics the loader itself produces.
pub mod codes {
    /// The file is not valid JSON or YAML (or not UTF-8 text, or empty).
    pub const PARSE: &str = "MC0001";
    /// The document parses but is not shaped like a meter definition (e.g. an array at the top).
    pub const SHAPE: &str = "MC0002";
    /// The file could not be read or is larger than the size limit.
    pub const READ: &str = "MC0003";
}

/// A finding about one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable rule code, e.g. `MC0001`.
    pub code: &'static str,
    /// Lowercase phrase: what is wrong and how to fix it.
    pub message: String,
    /// The file the finding is about.
    pub path: PathBuf,
    /// JSON Pointer (RFC 6901) of the offending value, when there is one.
    pub pointer: Option<String>,
    /// 1-based line of the offending value, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the offending value, when known.
    pub column: Option<usize>,
}

impl Diagnostic {
    /// A new error diagnostic without a location.
    pub fn error(code: &'static str, path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            path: path.to_path_buf(),
            pointer: None,
            line: None,
            column: None,
        }
    }

    /// Sets the line and column (both 1-based).
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the JSON Pointer.
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }
}

/// `path:line:column: message` — the one-line form used in error messages.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::fsutil::display(&self.path))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(p) = &self.pointer {
            if !p.is_empty() {
                write!(f, " (at {p})")?;
            }
        }
        write!(f, " [{}]", self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_location_code_and_pointer() {
        let d = Diagnostic::error(codes::PARSE, Path::new("m.json"), "unexpected end of file")
            .at(3, 7)
            .with_pointer("/versions/0");
        assert_eq!(
            d.to_string(),
            "m.json:3:7: unexpected end of file (at /versions/0) [MC0001]"
        );
    }
}
