//! meterctl: Zuora Mediation meters under version control.
//!
//! Overview, one line per module, in the order data flows through them:
//!
//! - [`load`]: files, folders and stdin → [`load::Document`]s (text + value), with positions on demand.
//! - [`model`]: the hub every engine reads a definition through: key names ([`model::keys`]), a
//!   version's task graph ([`model::graph`]), identities ([`model::identity`]), the typed, lossless
//!   meter definition ([`model::Meter`]), Zuora's operator catalogue ([`model::catalogue`]) and
//!   Java date patterns ([`model::date_pattern`]).
//! - [`validate`]: JSON Schemas plus meter rules → diagnostics with file, line, column.
//! - [`canonical`]: the canonical key order and layout `fmt` and `convert` write.
//! - [`config`]: `meterctl.yaml`, found by walking up from the current folder.
//! - [`diff`]: identity-aware semantic diff of meters (sides: files, folders, git revisions).
//! - [`diagnostic`]: one finding about one file, with code and location.
//! - [`fsutil`]: how paths are shown and how files are written (atomically).
//! - [`report`]: renders diagnostics and diffs in every output format.
//! - [`zuora`]: the Zuora Mediation client (OAuth, headers, retries, typed calls and errors).
//! - [`promote`]: environments, values, `meterctl.lock`, plan, apply and pull (GitOps promotion).
//! - [`sandbox`]: a local server speaking the same API, for tests, demos and CI dry runs.
//! - [`simulate`]: runs a version's task graph over events: what each sink receives, counts per operator.
//! - [`events`]: usage events in JSON, NDJSON and CSV files (test data, uploaded input).
//! - [`cases`]: test cases for meters (`meterctl test`): discovery, running them through [`simulate`], comparison, `--update`.
//! - [`duration`]: durations with units on flags (`500ms`, `30s`, `2m`, `1h`).
//! - [`settings`]: every `METERCTL_*` environment variable checked before a command runs.
//! - [`progress`]: how long jobs report progress and per-item lines to their caller.
//!
//! The `meterctl` binary (`main.rs`, `cli.rs`, `cmd/`, `shell.rs`) is a separate target on top:
//! it parses flags, calls the library, and does all the printing; the library never prints.
//! - [`clock`]: wall-clock milliseconds, ISO 8601 rendering and lenient time parsing.
//! - [`pointer`](mod@pointer): JSON Pointer tokens (RFC 6901).
#![warn(missing_docs)]
// The library never prints: it returns values and reports progress through [`progress`].
#![deny(clippy::print_stdout, clippy::print_stderr)]
// Diagnostics travel as `Err` values only on the rare path of a bad file; boxing them buys nothing.
#![allow(clippy::result_large_err)]

pub mod canonical;
pub mod cases;
pub mod clock;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod duration;
pub mod events;
pub mod fsutil;
pub mod load;
pub mod model;
pub mod pointer;
pub mod progress;
pub mod promote;
pub mod report;
pub mod sandbox;
pub mod settings;
pub mod simulate;
pub mod validate;
pub mod value;
pub mod yaml;
pub mod zuora;
