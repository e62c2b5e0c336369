//! Settings from the environment: every `METERCTL_*` variable meterctl reads is checked before a
//! command runs, whichever command it is, so a typo such as `METERCTL_MAX_FILE_SIZE=64M` or
//! `METERCTL_REQUEST_TIMEOUT=abc` is an error naming the variable (exit 2) instead of being
//! silently ignored. The flags' own value parsers judge the variables that set a flag (one
//! rule for `--flag` and its variable); the variables no flag has are listed here.

use std::ffi::OsString;

/// The variables no flag reads, and how to read each.
type Check = fn(&str) -> Result<(), String>;
const OWN: &[(&str, Check)] = &[
    (crate::load::MAX_FILE_SIZE_VAR, |v| {
        crate::load::parse_max_file_size(v).map(|_| ())
    }),
    (PROGRESS_INTERVAL_VAR, |v| {
        parse_progress_interval(v).map(|_| ())
    }),
];

/// How long a job may be silent on stderr without a terminal before a `still ...` line (the
/// binary's default is 10 s).
pub const PROGRESS_INTERVAL_VAR: &str = "METERCTL_PROGRESS_INTERVAL";

/// [`PROGRESS_INTERVAL_VAR`]'s value: a duration with a unit, above zero.
pub fn parse_progress_interval(v: &str) -> Result<std::time::Duration, String> {
    match crate::duration::parse(v)? {
        d if d.is_zero() => Err("expected a duration above zero, e.g. 30s".into()),
        d => Ok(d),
    }
}

/// Checks every `METERCTL_*` variable set in this process's environment against `cli` (the
/// binary's flag definitions, with their `env` names) and [`OWN`]. The message names the first
/// bad variable, its value and what it should be.
pub fn check_environment(cli: &clap::Command) -> Result<(), String> {
    let vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| k.to_str().is_some_and(|k| k.starts_with("METERCTL_")))
        .collect();
    check(cli, &vars)
}

/// Applies the settings the library holds process-wide (today the file size limit,
/// `METERCTL_MAX_FILE_SIZE`); call it after [`check_environment`] passed. The library itself
/// never reads these variables.
pub fn apply_environment() {
    if let Some(n) = std::env::var(crate::load::MAX_FILE_SIZE_VAR)
        .ok()
        .and_then(|v| crate::load::parse_max_file_size(&v).ok().flatten())
    {
        crate::load::set_max_file_size(n);
    }
}

fn check(cli: &clap::Command, vars: &[(OsString, OsString)]) -> Result<(), String> {
    let mut sorted: Vec<_> = vars.iter().collect();
    sorted.sort();
    for (name, value) in sorted {
        let name = name.to_string_lossy();
        let Some(text) = value.to_str() else {
            return Err(format!(
                "the environment variable {name} is not UTF-8 text; fix or unset it"
            ));
        };
        let bad = |why: String| {
            format!("the environment variable {name}={text:?} is not valid: {why}; fix or unset it")
        };
        if let Some((_, check)) = OWN.iter().find(|(n, _)| *n == name) {
            check(text).map_err(bad)?;
        }
        let mut result = Ok(());
        walk(cli, &mut |arg| {
            if result.is_ok() && arg.get_env().is_some_and(|e| e == name.as_ref()) {
                if let Err(e) = parse_as(arg, value) {
                    let long = format!("--{}", arg.get_long().unwrap_or("value"));
                    let why = clap_reason(&e).replace("--value", &long);
                    // The boolean flags' parser names the variable itself.
                    let why = why.replace(&format!("; check the environment variable {name}"), "");
                    result = Err(bad(why));
                }
            }
        });
        result?;
    }
    Ok(())
}

/// Parses `value` as the flag `arg` would parse it from its variable: with the same value parser
/// and delimiter, through a one-flag command `--value` (clap keeps value parsers to itself).
fn parse_as(arg: &clap::Arg, value: &std::ffi::OsStr) -> Result<(), clap::Error> {
    let mut one = clap::Arg::new("value")
        .long("value")
        .action(clap::ArgAction::Set)
        .num_args(1)
        .allow_hyphen_values(true)
        .value_parser(arg.get_value_parser().clone());
    if let Some(d) = arg.get_value_delimiter() {
        one = one.value_delimiter(d);
    }
    if let Some(names) = arg.get_value_names() {
        one = one.value_names(names.to_vec());
    }
    let mut flag = OsString::from("--value=");
    flag.push(value);
    clap::Command::new("meterctl")
        .no_binary_name(true)
        .arg(one)
        .try_get_matches_from([flag])
        .map(|_| ())
}

/// Every argument of a command and its subcommands.
fn walk(cmd: &clap::Command, f: &mut dyn FnMut(&clap::Arg)) {
    for arg in cmd.get_arguments() {
        f(arg);
    }
    for sub in cmd.get_subcommands() {
        walk(sub, f);
    }
}

/// clap's message, on one line and without its `error: ` and `--help` hint.
fn clap_reason(e: &clap::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ").trim_start_matches("error: ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction, Command};

    fn cli() -> Command {
        Command::new("t")
            .arg(
                Arg::new("n")
                    .long("n")
                    .env("METERCTL_N")
                    .value_parser(clap::value_parser!(u32).range(1..=64)),
            )
            .subcommand(
                Command::new("sub").arg(
                    Arg::new("format")
                        .long("format")
                        .env("METERCTL_FORMAT")
                        .value_parser(["text", "json"]),
                ),
            )
            .arg(
                Arg::new("q")
                    .long("q")
                    .action(ArgAction::SetTrue)
                    .env("METERCTL_Q"),
            )
    }

    fn run(vars: &[(&str, &str)]) -> Result<(), String> {
        let vars: Vec<_> = vars.iter().map(|(k, v)| (k.into(), v.into())).collect();
        check(&cli(), &vars)
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(
            run(&[("METERCTL_N", "4"), ("METERCTL_FORMAT", "json")]),
            Ok(())
        );
        let e = run(&[("METERCTL_N", "0")]).unwrap_err();
        assert!(
            e.starts_with("the environment variable METERCTL_N=\"0\" is not valid"),
            "{e}"
        );
        // Also for a subcommand that is not the one running.
        let e = run(&[("METERCTL_FORMAT", "xml")]).unwrap_err();
        assert!(
            e.contains("METERCTL_FORMAT=\"xml\"") && e.contains("text, json"),
            "{e}"
        );
        let e = run(&[("METERCTL_MAX_FILE_SIZE", "abc")]).unwrap_err();
        assert!(
            e.contains("METERCTL_MAX_FILE_SIZE=\"abc\"") && e.contains("bytes"),
            "{e}"
        );
        assert_eq!(run(&[("METERCTL_MAX_FILE_SIZE", " 1024 ")]), Ok(()));
        assert!(run(&[("METERCTL_MAX_FILE_SIZE", "0")]).is_err());
        assert_eq!(run(&[("METERCTL_PROGRESS_INTERVAL", "30s")]), Ok(()));
        for bad in ["10", "0s", "soon"] {
            let e = run(&[("METERCTL_PROGRESS_INTERVAL", bad)]).unwrap_err();
            assert!(e.contains("METERCTL_PROGRESS_INTERVAL="), "{e}");
        }
        // A variable meterctl does not read is not its business.
        assert_eq!(run(&[("METERCTL_SOMETHING_ELSE", "x")]), Ok(()));
        assert!(!e.contains('\n'), "{e}");
    }
}
