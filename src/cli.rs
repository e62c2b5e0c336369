//! Command-line flags, and nothing else: clap derive types that `cmd` turns into library calls.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// meterctl: Zuora Mediation meters under version control.
///
/// Validate, format, diff and promote meter definitions (SOURCE → PROCESSORS → SINK pipelines)
/// between Zuora tenants through a Git repository.
///
/// Exit codes: 0 nothing found, 1 findings (invalid or unformatted files, differences, pending
/// changes), 2 the job could not run (bad flags, missing paths, bad config, network or auth
/// failure; for fmt and convert also a file that does not parse).
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
    , value_parser = env_bool("METERCTL_QUIET"))]
    pub quiet: bool,

    /// Print more detail.
    #[arg(short, long, global = true, env = "METERCTL_VERBOSE", value_parser = env_bool("METERCTL_VERBOSE"))]
    pub verbose: bool,

    /// Use this configuration file instead of the nearest meterctl.yaml above the current folder.
    #[arg(long, global = true, env = "METERCTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// When to colour output: auto (a terminal; honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR),
    /// always or never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: ColorWhen,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE or FORCE_COLOR force it.
    #[default]
    Auto,
    /// Always colour, even when piped.
    Always,
    /// Never colour.
    Never,
}

impl ColorWhen {
    /// The process-wide colour choice this value stands for.
    pub fn choice(self) -> meterctl::report::color::ColorChoice {
        use meterctl::report::color::ColorChoice;
        match self {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        }
    }
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
    /// Show what changed between two sets of meters, by identity (not by text).
    ///
    /// Each side is a file, a folder, `git:REV` or `git:REV:PATH` (read without a checkout; a bare
    /// `git:REV` uses the other side's path), or `env:NAME`: the meters tracked for that
    /// environment in meterctl.lock, exported from its tenant and put back into repository form
    /// as `pull` does (placeholders restored), so per-environment values are no change and
    /// secrets show as `***`. Meters pair by globalId, else by name; versions,
    /// tasks, schemas and field mappings pair by their identity, so tenant ids, schema suffixes,
    /// list order and key order never show as changes. Exit 0: no differences; 1: differences;
    /// 2: could not compare.
    ///
    /// Examples: `meterctl diff git:origin/main meters/` (review a branch);
    /// `meterctl diff env:staging env:production`; `meterctl diff env:production .` (drift);
    /// `meterctl diff meters/api.yaml --versions 0.0.1 0.0.2`.
    Diff(DiffArgs),
    /// Run a meter version's pipeline locally over events from a file: what each sink receives.
    ///
    /// Simulates FILTER, MAP (direct rows), AGGREGATOR, DEDUPLICATE, PARTITION and the sinks
    /// (usage records for ZUORA_USAGE); JavaScript, lookups (which need a test case's lookup
    /// tables) and other operators stop it with a "not simulated yet" error naming the task.
    /// Exit 0 when it ran, 2 when it could not.
    #[command(disable_version_flag = true)]
    Simulate(SimulateArgs),
    /// Run the test cases of meters: sample events in, the usage records they yield checked.
    ///
    /// A case is `NAME.test.yaml` beside the meter `NAME.yaml` (or anywhere under a folder given,
    /// naming its meter by `meter:`): `events:` in, `expect:` the usage records (`usage:`), error
    /// counts (`errors:`) and other sinks' records (`sinks:`) out; see "Test a meter" in the
    /// README. Each case runs through the local simulator (as `simulate` does). Exit 0 when every
    /// case passes, 1 when one fails (a mismatch, or a meter that cannot be simulated yet), 2
    /// when a case, its meter or its events cannot be read.
    Test(TestArgs),
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
    /// Work with meters in a Zuora tenant: export, import, run, test, status, stop, summary.
    ///
    /// The tenant is `--url` (or ZUORA_URL); credentials are read only from the environment
    /// variables ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET. Exit codes: 0 success, 1 Zuora said no
    /// (meter not found, definition refused, run failed), 2 could not run (bad flags, network,
    /// authentication).
    Meter {
        /// The meter command.
        #[command(subcommand)]
        command: Box<MeterCommand>,
    },
    /// Start a meterctl repository here: meterctl.yaml with environments, meters/, .gitignore.
    Init(InitArgs),
    /// Check meterctl.yaml.
    Config {
        /// What to do.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Record in meterctl.lock that a tenant meter (made in the UI) is this repository meter.
    Track(TrackArgs),
    /// Print the definitions as they would be sent to an environment (secrets masked).
    Render(RenderArgs),
    /// Export an environment's tracked meters into the repository, placeholders put back.
    Pull(PullArgs),
    /// Show what `apply` would change in an environment (exit 1 when anything: also the drift
    /// check).
    Plan(PlanArgs),
    /// Create and update an environment's meters from the repository.
    ///
    /// Shows the plan, asks on a terminal (refuses without --yes otherwise), saves every
    /// definition it will overwrite under .meterctl/backups/<env>/<UTC time>/, imports each
    /// meter with its globalId and records it in meterctl.lock at once. Nothing is deleted.
    Apply(ApplyArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    ///
    /// bash: `source <(meterctl completions bash)` in ~/.bashrc;
    /// zsh: `meterctl completions zsh > "${fpath[1]}/_meterctl"`;
    /// fish: `meterctl completions fish > ~/.config/fish/completions/meterctl.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print meterctl's man page (roff) to stdout, or write one page per command to a folder.
    ///
    /// `meterctl man | man -l -` reads it; `meterctl man --out-dir man/` writes meterctl.1,
    /// meterctl-validate.1, meterctl-meter-export.1, ... for packaging.
    Man {
        /// Write meterctl.1 and one meterctl-COMMAND.1 per subcommand into this folder instead.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// A local Zuora Mediation server for tests, demos and CI dry runs.
    Sandbox {
        /// The sandbox command.
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

/// `meterctl config` actions.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate meterctl.yaml (unknown keys, environments, URLs, variable names) and say which
    /// credential variables are set (exit 1 when the config is invalid).
    Check,
}

/// Timeouts and retries of every command that calls Zuora.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    /// Timeout of each request to Zuora (connect, send, answer).
    #[arg(long, env = "METERCTL_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Timeout for opening a connection.
    #[arg(long, env = "METERCTL_CONNECT_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Attempts per request, the first included, for what is safe to retry (429, 5xx,
    /// timeouts, dropped connections).
    #[arg(long, env = "METERCTL_MAX_ATTEMPTS", value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,

    /// Stop retrying a request once this much time has passed since its first attempt.
    #[arg(long, env = "METERCTL_MAX_RETRY_TIME", value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub max_retry_time: Duration,

    /// Base of the exponential backoff between retries (full jitter, capped at 60s; a 429's
    /// Retry-After is always honoured).
    #[arg(long, env = "METERCTL_RETRY_DELAY", value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub retry_delay: Duration,
}

/// Network flags of the promotion commands.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Timeouts and retries.
    #[command(flatten)]
    pub retry: RetryArgs,
    /// Requests in flight at most (each meter's import is one call).
    #[arg(long, env = "METERCTL_CONCURRENCY", value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// Send at most this many export/import calls per minute to the tenant (default: no limit
    /// besides Zuora's 429 answers, whose Retry-After is always honoured).
    #[arg(long, env = "METERCTL_MAX_RPM", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rpm: Option<u32>,
}

/// The repository lock of the commands that write (`apply`, `pull`, `track`).
#[derive(Debug, Args)]
pub struct LockArgs {
    /// How long to wait while another meterctl works on the same repository (it holds
    /// `.meterctl/lock`); 0 fails at once, naming the holder.
    #[arg(long, env = "METERCTL_LOCK_TIMEOUT", value_name = "DURATION", default_value = "0s", value_parser = parse_lock_timeout)]
    pub lock_timeout: Duration,
}

/// Flags of `meterctl init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// An environment and its base URL, NAME=URL (repeatable; default sandbox and production
    /// on Zuora's URLs). Credentials come from ZUORA_<NAME>_CLIENT_ID / _CLIENT_SECRET.
    #[arg(long = "env", value_name = "NAME=URL")]
    pub envs: Vec<String>,
}

/// Flags of `meterctl track`.
#[derive(Debug, Args)]
pub struct TrackArgs {
    /// The environment.
    #[arg(long, env = "METERCTL_ENV", value_name = "NAME")]
    pub env: String,
    /// The repository meter's globalId.
    pub global_id: String,
    /// The tenant's meter id.
    pub meter_id: String,
    /// Record it without checking that the meter exists.
    #[arg(long)]
    pub no_check: bool,
    /// The repository lock.
    #[command(flatten)]
    pub lock: LockArgs,
    /// Network.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Flags of `meterctl render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The environment.
    #[arg(long, env = "METERCTL_ENV", value_name = "NAME")]
    pub env: String,
    /// Only this meter (globalId, name or file).
    pub meter: Option<String>,
    /// Document format.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: DocFormat,
}

/// Flags of `meterctl pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The environment.
    #[arg(long, env = "METERCTL_ENV", value_name = "NAME")]
    pub env: String,
    /// Only these meters (default: every meter tracked in the environment).
    pub global_ids: Vec<String>,
    /// Only the meters with this globalId, or matching this glob (`mtr-sms-*`); repeatable,
    /// like Terraform's `-target`. One that matches no meter is an error.
    #[arg(long, value_name = "GLOBAL_ID_OR_GLOB")]
    pub only: Vec<String>,
    /// The repository lock.
    #[command(flatten)]
    pub lock: LockArgs,
    /// Network.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Flags of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The meter definition (YAML or JSON).
    pub meter: PathBuf,

    /// The events: .json (an array or one object), .ndjson, or .csv with a header row.
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,

    /// The version to run (default: the meter's latestVersion).
    #[arg(long = "version", value_name = "V")]
    pub meter_version: Option<String>,

    /// Lookup tables for the lookup operators: a YAML or JSON mapping such as
    /// `{subscriptions: [...]}`, or a test case holding `lookups:`.
    #[arg(long, value_name = "FILE")]
    pub lookups: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: SimulateFormat,
}

/// Flags of `meterctl test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Case files, meter files (their NAME.test.yaml) or folders (every *.test.yaml under them).
    /// Default: the folder of meterctl.yaml, else the current folder.
    pub paths: Vec<PathBuf>,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: meterctl::report::test::TestFormat,

    /// Write what the meter yields into each case that does not match (its `expect:` block),
    /// snapshot style; the rest of the file is kept as written.
    #[arg(long)]
    pub update: bool,
}

/// Output format of `simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SimulateFormat {
    /// `{"sinks": [{"task", "name", "operator", "records", "errors"}], "operators": [{"task",
    /// "name", "operator", "input", "output", "errors", "messages"}]}`.
    #[default]
    Json,
    /// One line per record a sink receives: `{"sink", "record"}`, or `{"sink", "record",
    /// "error"}` for an error record.
    Ndjson,
    /// For people: per sink a table whose columns are its records' fields (first-seen order);
    /// error records are marked `!` and end with their error.
    Table,
}

/// Output format of `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ApplyFormat {
    /// For people.
    #[default]
    Text,
    /// `{"format_version": 1, "environment", "summary", "meters": [{"global_id", "name",
    /// "outcome", "meter_id", "error"}]}`.
    Json,
}

/// Extra summaries (`--report`) of `validate`, `diff` and `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryReport {
    /// Markdown appended to the file `GITHUB_STEP_SUMMARY` names (the job summary).
    GithubSummary,
}

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum PlanFormat {
    /// For people.
    #[default]
    Text,
    /// `{"format_version": 1, "environment", "has_changes", "actions": [...]}`.
    Json,
    /// For a pull-request comment.
    Markdown,
}

/// Flags of `meterctl plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The environment.
    #[arg(long, env = "METERCTL_ENV", value_name = "NAME")]
    pub env: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: PlanFormat,
    /// Also save the plan (JSON, with fingerprints of the remote definitions) for `apply`.
    #[arg(short, long, value_name = "PLAN.json")]
    pub output: Option<PathBuf>,
    /// Plan even when the repository does not validate (as `meterctl validate`).
    #[arg(long)]
    pub no_validate: bool,
    /// Also list the meters that do not change (by default only the summary line counts them).
    #[arg(long)]
    pub show_unchanged: bool,
    /// Only the meters with this globalId, or matching this glob (`mtr-sms-*`); repeatable,
    /// like Terraform's `-target`. One that matches no meter is an error.
    #[arg(long, value_name = "GLOBAL_ID_OR_GLOB")]
    pub only: Vec<String>,
    /// Also append a Markdown summary for GitHub (`github-summary`: to the file
    /// `GITHUB_STEP_SUMMARY` names; done without the flag whenever that variable is set).
    #[arg(long, value_enum, value_name = "KIND")]
    pub report: Option<SummaryReport>,
    /// Network.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Flags of `meterctl apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The environment.
    #[arg(long, env = "METERCTL_ENV", value_name = "NAME")]
    pub env: String,
    /// A plan saved by `plan -o`: refused when a remote definition or the repository changed
    /// since.
    #[arg(value_name = "PLAN.json", conflicts_with = "restore")]
    pub plan: Option<PathBuf>,
    /// Do not ask (needed without a terminal, and always for a protected environment).
    #[arg(short, long, env = "METERCTL_YES", value_parser = env_bool("METERCTL_YES"))]
    pub yes: bool,
    /// Show the plan and stop; no client that can write is even built.
    #[arg(long, env = "METERCTL_DRY_RUN", value_parser = env_bool("METERCTL_DRY_RUN"))]
    pub dry_run: bool,
    /// Stop starting imports after the first failure.
    #[arg(long, env = "METERCTL_FAIL_FAST", value_parser = env_bool("METERCTL_FAIL_FAST"))]
    pub fail_fast: bool,
    /// On a protected environment, also import meters that meterctl.lock does not track there
    /// (they overwrite, without a backup, any tenant meter that already has their globalId).
    #[arg(long)]
    pub allow_untracked: bool,
    /// Send definitions even when local validation (as `meterctl validate`) finds errors.
    #[arg(long)]
    pub no_validate: bool,
    /// Put the definitions of a backup folder (.meterctl/backups/<env>/<time>) back.
    #[arg(long, value_name = "FOLDER")]
    pub restore: Option<PathBuf>,
    /// Only the meters with this globalId, or matching this glob (`mtr-sms-*`); repeatable,
    /// like Terraform's `-target`. One that matches no meter is an error.
    #[arg(long, value_name = "GLOBAL_ID_OR_GLOB")]
    pub only: Vec<String>,
    /// Output format: `json` prints the outcome of every meter (for scripts); progress and
    /// messages stay on stderr.
    #[arg(long, value_enum, default_value_t)]
    pub format: ApplyFormat,
    /// The repository lock.
    #[command(flatten)]
    pub lock: LockArgs,
    /// Network.
    #[command(flatten)]
    pub net: NetArgs,
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
    pub format: meterctl::report::validate::ValidateFormat,

    /// Also write a report in another format to a file: FORMAT=PATH (repeatable), e.g.
    /// `--report junit=validate.xml --report sarif=meterctl.sarif`; or `github-summary`: a
    /// Markdown summary appended to the file `GITHUB_STEP_SUMMARY` names (done without the
    /// flag whenever that variable is set).
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<ValidateReport>,

    /// An extra JSON Schema every definition must also satisfy (repeatable; adds to
    /// meterctl.yaml's validate.schemas).
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,

    /// Unknown top-level and task fields, and unknown metadata keys, are errors, not warnings.
    #[arg(long, env = "METERCTL_STRICT", value_parser = env_bool("METERCTL_STRICT"))]
    pub strict: bool,

    /// Exit 1 when there are warnings, too.
    #[arg(long, env = "METERCTL_DENY_WARNINGS", value_parser = env_bool("METERCTL_DENY_WARNINGS"))]
    pub deny_warnings: bool,

    /// Turn a rule off (repeatable; code or name).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,

    /// Make a rule an error (repeatable; code or name).
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,

    /// Advisory run: print findings but exit 0 (errors that stop validation still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// The name of stdin input (`-`) in diagnostics, e.g. `meters/sms.yaml` from an editor or a
    /// pre-commit hook; its extension also tells JSON from YAML.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
}

/// One `--report` of `validate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidateReport {
    /// FORMAT=PATH.
    File(meterctl::report::validate::ValidateFormat, PathBuf),
    /// `github-summary`.
    GithubSummary,
}

fn parse_report(s: &str) -> Result<ValidateReport, String> {
    if s == "github-summary" {
        return Ok(ValidateReport::GithubSummary);
    }
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH or github-summary, got {s:?}"))?;
    if path.is_empty() {
        return Err(format!("missing PATH in {s:?}"));
    }
    Ok(ValidateReport::File(format.parse()?, PathBuf::from(path)))
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
    /// The old side: a file, a folder, `git:REV`, `git:REV:PATH`, or `env:NAME` (the meters
    /// tracked for environment NAME in meterctl.lock, exported from its tenant in repository form).
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
    #[arg(long, env = "METERCTL_DIFF_STAT", value_parser = env_bool("METERCTL_DIFF_STAT"))]
    pub stat: bool,

    /// Also compare layout and volatile fields: `versions[].metadata` (positions), task
    /// `uniqueName` and `internalName`, task and predecessor ids, a numeric
    /// `typeDefinition.schemaId`, schema name suffixes, `id`, `uniqueUploadUrl`, `createdAt`,
    /// `updatedAt`, run statuses.
    #[arg(long, env = "METERCTL_INCLUDE_VOLATILE", value_parser = env_bool("METERCTL_INCLUDE_VOLATILE"))]
    pub include_volatile: bool,

    /// Do not compare values whose JSON Pointer matches this glob (repeatable). `*` matches
    /// within one segment, `**` any number of segments; list elements match by index or by
    /// identity: `/versions/*/tasks/*/metadata/groupFields`. Comma-separated in METERCTL_IGNORE.
    #[arg(
        long,
        value_name = "POINTER_GLOB",
        env = "METERCTL_IGNORE",
        value_delimiter = ','
    )]
    pub ignore: Vec<String>,

    /// Also append the Markdown report to a GitHub job summary (`github-summary`: the file
    /// `GITHUB_STEP_SUMMARY` names; done without the flag whenever that variable is set).
    #[arg(long, value_enum, value_name = "KIND")]
    pub report: Option<SummaryReport>,

    /// Network (for `env:` sides).
    #[command(flatten)]
    pub net: NetArgs,
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
    #[arg(long, env = "METERCTL_CHECK", value_parser = env_bool("METERCTL_CHECK"))]
    pub check: bool,

    /// Change nothing; show a unified diff of what formatting would change (exit 1 if anything
    /// would).
    #[arg(long)]
    pub diff: bool,

    /// The name of stdin input (`-`) in diagnostics, e.g. `meters/sms.yaml` from an editor or a
    /// pre-commit hook; its extension also tells JSON from YAML.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
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

/// The value parser of a boolean flag that an environment variable can also set: exactly `1`,
/// `0`, `true`, `false`, `yes` or `no` (any case). Anything else is an error naming the variable
/// (clap reports it as a usage error: exit 2), so `METERCTL_YES=banana` never means yes. An
/// empty value is unset.
pub fn env_bool(var: &'static str) -> impl Fn(&str) -> Result<bool, String> + Clone + Send + Sync {
    move |s: &str| {
        match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        // Empty is unset (a CI template's `METERCTL_YES: ${{ inputs.yes }}` with no input).
        "" | "0" | "false" | "no" => Ok(false),
        _ => Err(format!(
            "expected 1, 0, true, false, yes or no (case-insensitive); check the environment variable {var}"
        )),
    }
    }
}

/// `--lock-timeout`: a duration, or a bare `0`.
fn parse_lock_timeout(s: &str) -> Result<Duration, String> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    parse_duration(s)
}

/// Parses a duration written with a unit (`500ms`, `30s`, `2m`, `1h`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    meterctl::duration::parse(s)
}

/// Output format of a reporting command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    #[default]
    Text,
    /// The `data` of Zuora's answer, as it came.
    Json,
}

/// How to reach a Zuora tenant (flags shared by every `meter` command).
#[derive(Debug, Clone, Args)]
pub struct ZuoraArgs {
    /// Base URL of the tenant's REST API, e.g. https://rest.test.zuora.com or the URL that
    /// `meterctl sandbox serve` prints. https:// only (http:// only for loopback addresses).
    #[arg(long, env = "ZUORA_URL", value_name = "URL")]
    pub url: String,

    /// Timeouts and retries.
    #[command(flatten)]
    pub retry: RetryArgs,

    /// Zuora-Entity-Ids header, for multi-entity tenants whose OAuth client covers several
    /// entities.
    #[arg(long, env = "ZUORA_ENTITY_IDS", value_name = "UUID")]
    pub entity_ids: Option<String>,

    /// Zuora-Org-Ids header (comma-separated), for multi-org tenants.
    #[arg(long, env = "ZUORA_ORG_IDS", value_name = "IDS")]
    pub org_ids: Option<String>,
}

/// The `meter` commands.
#[derive(Debug, Subcommand)]
pub enum MeterCommand {
    /// Export a meter's definition (canonical form; JSON by default, YAML with --format yaml or
    /// an -o FILE.yaml).
    Export(MeterExportArgs),
    /// Import a definition file: validate it locally, then create or update the meter.
    ///
    /// The file's `globalId` field (or --global-id) is sent as the import's globalId, so a
    /// meter with that globalId is updated instead of duplicated; the field itself is removed
    /// from the uploaded JSON. Files with `${{ ... }}` placeholders left are refused.
    Import(MeterImportArgs),
    /// Start a run (idempotent: a retry with the same --unique-key never starts a second one).
    Run(MeterRunArgs),
    /// Test a meter with sample events (a DEBUG run) and print the session, its status and the
    /// per-operator counts the server returns.
    Test(MeterTestArgs),
    /// Print the status of a meter's latest run (exit 1 when it failed or was canceled).
    Status(MeterStatusArgs),
    /// Stop a meter version's running runs and wait until they stopped.
    ///
    /// A batch run (and a test run) is canceled at once (CANCELED, runStatus 9); a streaming meter
    /// (Streaming API or Kafka source, incremental S3) stops gracefully, STOPPING then PAUSED,
    /// unless --force. Exit 0 once stopped, 1 when Zuora refused (nothing running: 70002122; a
    /// stop already in progress: 70003043), 2 when Zuora could not be asked.
    Stop(MeterStopArgs),
    /// Print output and error counts of a meter's runs, per group.
    Summary(MeterSummaryArgs),
}

/// Flags of `meter export`.
#[derive(Debug, Args)]
pub struct MeterExportArgs {
    /// The meter's id in the tenant.
    pub meter_id: String,
    /// Write here (atomically) instead of stdout; `-` is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Document format (default: from the -o extension, else json).
    #[arg(long, value_enum)]
    pub format: Option<DocFormat>,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// Flags of `meter import`.
#[derive(Debug, Args)]
pub struct MeterImportArgs {
    /// The definition file (.json, .yaml or .yml; `-` reads stdin).
    pub file: PathBuf,
    /// The globalId to import under (overrides the file's `globalId` field).
    #[arg(long, value_name = "ID")]
    pub global_id: Option<String>,
    /// Import even when local validation finds problems.
    #[arg(long)]
    pub no_validate: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// Flags of `meter run`.
#[derive(Debug, Args)]
pub struct MeterRunArgs {
    /// The meter's id in the tenant.
    pub meter_id: String,
    /// The version to run (default: the meter's latestVersion, else 0.0.1).
    #[arg(value_name = "VERSION")]
    pub meter_version: Option<String>,
    /// Idempotency key; generated and printed first when not given. Re-running with the same
    /// key never starts a second run.
    #[arg(long, value_name = "KEY")]
    pub unique_key: Option<String>,
    /// Upload this input file (CSV, JSON, NDJSON) first and run on it (sent as a
    /// runtimeSourceConfigs item `{"sourceType": "LOCAL_FS", "processorId", "localFs": {"fileId"}}`).
    #[arg(long, value_name = "FILE", conflicts_with = "file_id")]
    pub upload: Option<PathBuf>,
    /// Run on a file uploaded before (its id from POST /meters/files).
    #[arg(long, value_name = "ID")]
    pub file_id: Option<String>,
    /// The source operator that reads the file (default: the meter's only SOURCE task).
    #[arg(long, value_name = "ID")]
    pub processor_id: Option<String>,
    /// For an Event Store source: read events from this date on, YYYY-MM-DD (e.g. 2026-01-01).
    /// Sent as a runtimeSourceConfigs EVENT_STORE item with the source task's storeId, or as
    /// the legacy eventStoreSourceOptions when the store is not known (with --processor-id).
    #[arg(long, value_name = "DATE")]
    pub start_date: Option<String>,
    /// For an Event Store source: read events up to this date.
    #[arg(long, value_name = "DATE")]
    pub end_date: Option<String>,
    /// A JSON file holding the run's runtimeSourceConfigs array, sent as is (items like
    /// `{"sourceType": "S3", "s3": {"paths": [...], "fileFormat": "CSV"}}`).
    #[arg(long, value_name = "FILE")]
    pub runtime_config: Option<PathBuf>,
    /// Wait for the run to end: a final status of Zuora's table (COMPLETED, FAILED, CANCELED,
    /// TESTING_PASSED, TESTING_FAILED, PUSH_COMPLETED, CONSUME_COMPLETED), printed with its
    /// code. Exit 0 on success, 1 on FAILED, CANCELED or TESTING_FAILED.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this long (the run goes on; exit 2).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub timeout: Duration,
    /// With --wait: time between status checks.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// Flags of `meter test`.
#[derive(Debug, Args)]
pub struct MeterTestArgs {
    /// The meter's id in the tenant.
    pub meter_id: String,
    /// The version to test (default: the meter's latestVersion, else 0.0.1).
    #[arg(value_name = "VERSION")]
    pub meter_version: Option<String>,
    /// Sample events: .json (an array or one object), .ndjson, or .csv with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The source operator to feed (default: the meter's only SOURCE task).
    #[arg(long, value_name = "ID")]
    pub processor_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// Flags of `meter status`.
#[derive(Debug, Args)]
pub struct MeterStatusArgs {
    /// The meter's id in the tenant.
    pub meter_id: String,
    /// The version (default: the meter's latestVersion, else 0.0.1).
    #[arg(value_name = "VERSION")]
    pub meter_version: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// Flags of `meter stop`.
#[derive(Debug, Args)]
pub struct MeterStopArgs {
    /// The meter's id in the tenant.
    pub meter_id: String,
    /// The version (default: the meter's latestVersion, else 0.0.1).
    #[arg(value_name = "VERSION")]
    pub meter_version: Option<String>,
    /// Stop at once (forceStop=true), without a streaming meter's graceful savepoint.
    #[arg(long)]
    pub force: bool,
    /// Give up waiting for the stop to finish after this long (exit 2; the stop goes on).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time between status checks while the meter stops.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// A summary dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// Per run session.
    #[value(name = "sessionId")]
    SessionId,
    /// Per operator.
    #[value(name = "processorId")]
    ProcessorId,
    /// Per error code.
    #[value(name = "errorCode")]
    ErrorCode,
}

impl GroupBy {
    /// Zuora's name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::SessionId => "sessionId",
            GroupBy::ProcessorId => "processorId",
            GroupBy::ErrorCode => "errorCode",
        }
    }
}

/// A run type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunType {
    /// Live runs.
    #[value(name = "NORMAL")]
    Normal,
    /// Test runs.
    #[value(name = "DEBUG")]
    Debug,
}

/// Flags of `meter summary`.
#[derive(Debug, Args)]
pub struct MeterSummaryArgs {
    /// The meter's id in the tenant.
    pub meter_id: String,
    /// Group counts by this dimension (repeatable).
    #[arg(long, value_enum, value_name = "DIM")]
    pub group_by: Vec<GroupBy>,
    /// Only runs from this time on (e.g. 2025-10-01T00:00:00+0000).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only runs up to this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only this session (repeatable), e.g. R-00002247.
    #[arg(long, value_name = "ID")]
    pub session: Vec<String>,
    /// Only this operator (repeatable).
    #[arg(long, value_name = "ID")]
    pub operator: Vec<String>,
    /// Only live (NORMAL) or test (DEBUG) runs.
    #[arg(long, value_enum)]
    pub run_type: Option<RunType>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Tenant connection.
    #[command(flatten)]
    pub zuora: ZuoraArgs,
}

/// The `sandbox` commands.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the Zuora Mediation API locally; prints the base URL as the first line on stdout,
    /// then serves until interrupted.
    ///
    /// Without --tenant there is one tenant `sandbox` with client id `sandbox` and secret
    /// `sandbox`. Plain HTTP: bind it to a loopback address.
    Serve(SandboxServeArgs),
}

/// Flags of `sandbox serve`.
#[derive(Debug, Args)]
pub struct SandboxServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "HOST:PORT")]
    pub addr: String,
    /// Keep every tenant's state in this folder (DIR/<tenant>/meters/<id>.json, ...) so a
    /// restart loses nothing; without it, state lives in memory.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// A tenant and its OAuth client, as NAME:CLIENT_ID:CLIENT_SECRET (repeatable).
    #[arg(long, value_name = "NAME:ID:SECRET", value_parser = parse_tenant)]
    pub tenant: Vec<meterctl::sandbox::TenantSpec>,
    /// Lifetime of access tokens.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub token_lifetime: Duration,
    /// How long a run takes from INITIALIZING to COMPLETED.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub run_duration: Duration,
    /// How long a graceful stop of a streaming meter (Streaming API or Kafka source,
    /// incremental S3) stays STOPPING before it is PAUSED.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub stop_delay: Duration,
    /// Share of requests (0 to 1) that fail on purpose: 429 with Retry-After, 500, 503, or a
    /// dropped connection.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub fail_rate: f64,
    /// Seed of the fault injection, to replay a failing sequence.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Delay every answer by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// A run with a new uniqueKey starts at once but answers only after this many milliseconds
    /// (to test client timeouts; a known key answers the duplicate-key 400 at once).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub slow_run_ms: u64,
    /// Requests per minute per tenant; beyond it, 429 with Retry-After and ratelimit-* headers.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rpm: Option<u32>,
    /// Lookup tables for every run and test, as a test case's `lookups:` gives them (a YAML or
    /// JSON mapping such as `{subscriptions: [...]}`, or a test case holding `lookups:`);
    /// without it, a version with a lookup is counted at its sources only.
    #[arg(long, value_name = "FILE")]
    pub lookups: Option<PathBuf>,
}

fn parse_tenant(s: &str) -> Result<meterctl::sandbox::TenantSpec, String> {
    let mut parts = s.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(n), Some(i), Some(sec)) if !n.is_empty() && !i.is_empty() && !sec.is_empty() => {
            if n.contains(['/', '\\']) || n.starts_with('.') {
                return Err(format!("tenant name {n:?} must be a plain folder name"));
            }
            Ok(meterctl::sandbox::TenantSpec {
                name: n.into(),
                client_id: i.into(),
                client_secret: sec.into(),
            })
        }
        _ => Err("expected NAME:CLIENT_ID:CLIENT_SECRET".into()),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{s:?} is not a share between 0 and 1 (e.g. 0.3)")),
    }
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
