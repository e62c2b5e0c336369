//! Renders findings for people and machines: validation diagnostics and diffs, in every output
//! format. Reporters never compute anything; they only turn library results into text.

pub mod apply;
pub mod color;
pub mod diff;
pub mod simulate;
pub mod step_summary;
pub mod summary;
pub mod test;
pub mod validate;

/// Text escaped for XML (JUnit reports): the five entities, and `?` for the control characters
/// XML 1.0 forbids even escaped.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The message of a GitHub Actions workflow command (`::error …::MESSAGE`), escaped.
pub(crate) fn workflow_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property of a GitHub Actions workflow command (`file=…`, `title=…`), escaped.
pub(crate) fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

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
