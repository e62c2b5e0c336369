//! Renders findings for people and machines: validation diagnostics and diffs, in every output
//! format. Reporters never compute anything; they only turn library results into text.

pub mod apply;
pub mod color;
pub mod diff;
pub mod step_summary;
pub mod summary;
pub mod test;
pub mod validate;

/// Whether to colour output written to stdout (see [`color`] for the rule).
pub fn color_stdout() -> bool {
    color::stdout()
}

/// Whether to colour output written to stderr (same rule as [`color_stdout`]).
pub fn color_stderr() -> bool {
    color::stderr()
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
