//! meterctl's integration tests, as ONE test binary (`cargo test --test cli`), so the suite links
//! the library and its dependencies once instead of once per file. Each module was a test file of
//! its own; `tests/common` holds what they share, first of all [`common::meterctl`], the binary
//! with a clean environment, through which every run of meterctl goes.
//!
//! Run one module or test with a filter: `cargo test --test cli validate::` or
//! `cargo test --test cli -- rules::every_`. Fixture paths are relative to the package root, as
//! cargo runs every integration test there. A new topic is a new module here (a file in
//! `tests/cli/` and a `mod` line below), not a new file in `tests/`.

#[path = "../common/mod.rs"]
mod common;

mod comments;
mod corpus;
mod diff;
mod fmt;
mod fuzz_targets;
mod fuzz_validate;
mod layers;
mod meter;
mod progress;
mod promote;
mod pyyaml;
mod roundtrip;
mod rule_fixtures;
mod rules;
mod safety_files;
mod sandbox;
mod sandbox_hardening;
mod sandbox_shapes;
mod ship;
mod ship_output;
mod simulate;
mod snapshots;
mod test_cmd;
mod validate;
