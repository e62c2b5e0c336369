//! Command-line flags, and nothing else: clap derive types that `cmd` turns into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// meterctl: Zuora Mediation meters under version control.
///
/// Validate, format, diff and promote meter definitions (SOURCE → PROCESSORS → SINK pipelines)
/// between Zuora tenants through a Git repository.
///
/// Exit codes: 0 nothing found, 1 findings (invalid or unformatted files, differences), 2 the job
/// could not run (bad flags, unreadable or malformed files, network or auth failure).
#[derive(Debug, Parser)]
#[command(
    name = "meterctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Print nothing but errors.
    #[arg(
        short,
        long,
        global = true,
        env = "METERCTL_QUIET",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,

    /// Print more detail.
    #[arg(short, long, global = true, env = "METERCTL_VERBOSE")]
    pub verbose: bool,

    /// Use this configuration file instead of the nearest meterctl.yaml above the current folder.
    #[arg(long, global = true, env = "METERCTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rewrite definition files in canonical form (like `terraform fmt`).
    ///
    /// Canonical form: a fixed, logical key order for known fields (unknown fields after them, in
    /// their original order), 2-space indentation, multi-line strings as YAML block scalars, one
    /// trailing newline. JSON stays JSON and YAML stays YAML. Files are written atomically.
    Fmt(FmtArgs),
    /// Convert a definition between the export JSON and the repository YAML, losslessly.
    Convert(ConvertArgs),
    /// Validate definitions against the meter JSON Schema and the meter rules.
    ///
    /// Every diagnostic names its rule code, file, line, column and JSON Pointer. Exit 0 when all
    /// files are valid (warnings allowed unless --deny-warnings), 1 when any has an error, 2 when
    /// validation could not run.
    Validate(ValidateArgs),
    /// List every validation rule with its code, default severity and a one-line summary.
    Rules,
    /// Explain one validation rule: what it finds, why, and how to fix it.
    Explain {
        /// Rule code (e.g. MC0104) or name (e.g. unknown-predecessor).
        code: String,
    },
    /// Print or list the JSON Schemas embedded in meterctl (for editors and other tools).
    Schema {
        /// What to do.
        #[command(subcommand)]
        action: SchemaAction,
    },
}

/// `meterctl schema` actions.
#[derive(Debug, Subcommand)]
pub enum SchemaAction {
    /// List the embedded schemas.
    List,
    /// Print an embedded schema (default: meter-definition).
    Print {
        /// Schema name, as `schema list` shows it.
        #[arg(default_value = "meter-definition")]
        name: String,
    },
}

/// Flags of `meterctl validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or folders to validate (`-` reads one definition from stdin). Default: the `meters`
    /// folder of meterctl.yaml, else the current folder.
    pub paths: Vec<PathBuf>,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text", env = "METERCTL_FORMAT")]
    pub format: crate::report::validate::ValidateFormat,

    /// Also write a report in another format to a file: FORMAT=PATH (repeatable), e.g.
    /// `--report junit=validate.xml --report sarif=meterctl.sarif`.
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<(crate::report::validate::ValidateFormat, PathBuf)>,

    /// An extra JSON Schema every definition must also satisfy (repeatable; adds to
    /// meterctl.yaml's validate.schemas).
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,

    /// Unknown top-level and task fields are errors, not warnings.
    #[arg(long, env = "METERCTL_STRICT")]
    pub strict: bool,

    /// Exit 1 when there are warnings, too.
    #[arg(long, env = "METERCTL_DENY_WARNINGS")]
    pub deny_warnings: bool,

    /// Turn a rule off (repeatable; code or name).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,

    /// Make a rule an error (repeatable; code or name).
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
}

fn parse_report(s: &str) -> Result<(crate::report::validate::ValidateFormat, PathBuf), String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, got {s:?}"))?;
    if path.is_empty() {
        return Err(format!("missing PATH in {s:?}"));
    }
    Ok((format.parse()?, PathBuf::from(path)))
}

/// Flags of `meterctl fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or folders to format (folders are searched recursively for *.json, *.yaml, *.yml,
    /// skipping hidden folders and .gitignore'd files). `-` reads stdin and writes the canonical
    /// form to stdout.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Change nothing; list the files that are not in canonical form and exit 1 if there are any.
    #[arg(long, env = "METERCTL_CHECK")]
    pub check: bool,

    /// Change nothing; show a unified diff of what formatting would change (exit 1 if anything
    /// would).
    #[arg(long)]
    pub diff: bool,
}

/// Output format of `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// JSON, as Zuora exports and imports it.
    Json,
    /// YAML, the repository form.
    Yaml,
}

/// Flags of `meterctl convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The definition to convert (`-` for stdin).
    pub file: PathBuf,

    /// Target format.
    #[arg(long, value_enum)]
    pub to: DocFormat,

    /// Write here instead of stdout (atomically; `-` is stdout).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
