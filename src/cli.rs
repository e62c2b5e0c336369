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
    /// Show what changed between two sets of meters, by identity (not by text).
    ///
    /// Each side is a file, a folder, `git:REV` or `git:REV:PATH` (read without a checkout; a bare
    /// `git:REV` uses the other side's path). Meters pair by globalId, else by name; versions,
    /// tasks, schemas and field mappings pair by their identity, so tenant ids, schema suffixes,
    /// list order and key order never show as changes. Exit 0: no differences; 1: differences;
    /// 2: could not compare.
    ///
    /// Examples: `meterctl diff git:origin/main meters/` (review a branch);
    /// `meterctl diff staging/ production/`; `meterctl diff meters/api.yaml --versions 0.0.1 0.0.2`.
    Diff(DiffArgs),
}

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Human-readable changes, coloured on a terminal.
    Text,
    /// A stable JSON report (`format_version` 1) for tools.
    Json,
    /// A pull-request comment: summary table and a collapsible section per meter.
    Markdown,
}

/// Flags of `meterctl diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a file, a folder, `git:REV`, `git:REV:PATH` (or `env:NAME` once environments
    /// exist).
    #[arg(value_name = "LEFT")]
    pub left: String,

    /// The new side (same forms as LEFT). With `--versions` it may be left out: both versions
    /// then come from LEFT.
    #[arg(value_name = "RIGHT", required_unless_present = "versions")]
    pub right: Option<String>,

    /// Compare version A with version B of one meter (the version diff review), e.g.
    /// `--versions 0.0.1 0.0.2`.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub versions: Option<Vec<String>>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text, env = "METERCTL_DIFF_FORMAT")]
    pub format: DiffFormat,

    /// One line per meter with counts of added, removed and changed values (text only).
    #[arg(long, env = "METERCTL_DIFF_STAT")]
    pub stat: bool,

    /// Also compare volatile fields: task and predecessor ids, `schemaId`, schema name suffixes,
    /// `id`, `uniqueUploadUrl`, `createdAt`, `updatedAt`, run statuses.
    #[arg(long, env = "METERCTL_INCLUDE_VOLATILE")]
    pub include_volatile: bool,

    /// Do not compare values whose JSON Pointer matches this glob (repeatable). `*` matches
    /// within one segment, `**` any number of segments; list elements match by index or by
    /// identity: `/versions/*/tasks/*/metadata/position`. Comma-separated in METERCTL_IGNORE.
    #[arg(
        long,
        value_name = "POINTER_GLOB",
        env = "METERCTL_IGNORE",
        value_delimiter = ','
    )]
    pub ignore: Vec<String>,
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
