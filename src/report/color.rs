//! When to colour: one decision for every command and stream. `--color always|never` wins;
//! with `auto` (the default) `NO_COLOR` (non-empty) turns colour off, then `CLICOLOR_FORCE` or
//! `FORCE_COLOR` (non-empty, not `0`/`false`) turn it on even when piped, `CLICOLOR=0` turns it
//! off, and otherwise a terminal that is not `TERM=dumb` gets colour. The chosen mode is kept in
//! `colorchoice`'s process-wide setting (the one anstream and clap read), set once by `main`.

use std::ffi::OsString;
use std::io::IsTerminal;

pub use colorchoice::ColorChoice;

/// Records the `--color` choice for the whole process.
pub fn set_choice(choice: ColorChoice) {
    choice.write_global();
}

/// Whether to colour output written to stdout.
pub fn stdout() -> bool {
    decide(ColorChoice::global(), env, std::io::stdout().is_terminal())
}

/// Whether to colour output written to stderr.
pub fn stderr() -> bool {
    decide(ColorChoice::global(), env, std::io::stderr().is_terminal())
}

fn env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The rule, with the environment and the terminal test passed in (so it is testable).
fn decide(choice: ColorChoice, env: impl Fn(&str) -> Option<OsString>, tty: bool) -> bool {
    match choice {
        ColorChoice::Always | ColorChoice::AlwaysAnsi => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    let forces = |name: &str| set(name).is_some_and(|v| v != "0" && v != "false");
    if set("NO_COLOR").is_some() {
        return false;
    }
    if forces("CLICOLOR_FORCE") || forces("FORCE_COLOR") {
        return true;
    }
    if env("CLICOLOR").is_some_and(|v| v == "0") {
        return false;
    }
    tty && env("TERM").is_none_or(|t| t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn auto_colours_a_terminal_only() {
        assert!(decide(ColorChoice::Auto, with(&[]), true));
        assert!(!decide(ColorChoice::Auto, with(&[]), false));
        assert!(!decide(ColorChoice::Auto, with(&[("TERM", "dumb")]), true));
        assert!(!decide(ColorChoice::Auto, with(&[("CLICOLOR", "0")]), true));
    }

    #[test]
    fn no_color_beats_force_but_not_the_flag() {
        let both = [("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")];
        assert!(!decide(ColorChoice::Auto, with(&both), true));
        assert!(decide(ColorChoice::Always, with(&both), false));
        // An empty NO_COLOR is unset (no-color.org).
        assert!(decide(ColorChoice::Auto, with(&[("NO_COLOR", "")]), true));
    }

    #[test]
    fn force_variables_colour_a_pipe() {
        assert!(decide(
            ColorChoice::Auto,
            with(&[("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(decide(
            ColorChoice::Auto,
            with(&[("FORCE_COLOR", "3")]),
            false
        ));
        assert!(!decide(
            ColorChoice::Auto,
            with(&[("FORCE_COLOR", "0")]),
            false
        ));
        assert!(!decide(
            ColorChoice::Auto,
            with(&[("FORCE_COLOR", "")]),
            false
        ));
        assert!(!decide(
            ColorChoice::Never,
            with(&[("FORCE_COLOR", "1")]),
            true
        ));
    }
}
