//! meterctl: Zuora Mediation meters under version control.
//!
//! Overview, one line per module, in the order data flows through them:
//!
//! - [`load`]: files, folders and stdin → [`load::Document`]s (text + value), with positions on demand.
//! - [`model`]: the typed, lossless meter definition ([`model::Meter`]).
//! - [`canonical`]: the canonical key order and layout `fmt` and `convert` write.
//! - [`diff`]: identity-aware semantic diff of meters (sides: files, folders, git revisions).
//! - [`diagnostic`]: one finding about one file, with code and location.
//! - [`fsutil`]: how paths are shown and how files are written (atomically).
//! - [`report`]: renders diagnostics and diffs in every output format.
//! - [`cli`]: clap flag definitions only.
//! - [`cmd`]: one file per subcommand: flags → library call → output → exit outcome.
#![warn(missing_docs)]
// Diagnostics travel as `Err` values only on the rare path of a bad file; boxing them buys nothing.
#![allow(clippy::result_large_err)]

pub mod canonical;
pub mod cli;
pub mod cmd;
pub mod diagnostic;
pub mod diff;
pub mod fsutil;
pub mod load;
pub mod model;
pub mod report;
