//! Renders findings for people and machines: validation diagnostics and diffs, in every output
//! format. Reporters never compute anything; they only turn library results into text.

pub mod diff;
pub mod validate;

use std::io::IsTerminal;

/// Whether to colour output written to stdout: only on a TTY, and only when `NO_COLOR` is unset.
pub fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Whether to colour output written to stderr (same rule as [`color_stdout`]).
pub fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// ANSI styles, applied only when colour is on.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styles that colour when `on`.
    pub fn new(on: bool) -> Self {
        Style { on }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Red, bold: errors, removals.
    pub fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    /// Yellow, bold: warnings, changes.
    pub fn yellow(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
    /// Green: additions.
    pub fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    /// Blue, bold: locations, gutters.
    pub fn blue(&self, s: &str) -> String {
        self.wrap("1;34", s)
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    /// Dim.
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}
