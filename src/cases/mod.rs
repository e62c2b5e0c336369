//! Test cases for meters (`meterctl test`): finding them, reading them, running each through the
//! [`simulate`](crate::simulate) engine and comparing what the sinks receive with what the case
//! expects; `--update` writes what they received back into the case, snapshot style.
//!
//! A case is a YAML file `NAME.test.yaml`: beside its meter (`NAME.yaml`, `NAME.yml` or
//! `NAME.json`), or anywhere under a folder given (`tests/` folders included), naming its meter
//! by `meter:` (a globalId, a name or a path relative to the case). It gives `events:` (a list, or
//! a .json, .ndjson or .csv file relative to the case; CSV values are typed by the version's event
//! definition), optional `lookups:` tables and `version:` (default: the meter's latestVersion),
//! and `expect:` what the run yields: `usage:` (the records the ZUORA_USAGE sinks receive; in any
//! order unless `ordered: true`), `errors:` (a total, or counts per task id or name) and `sinks:`
//! (records per sink task id or name).
//!
//! Each case ends in a [`Status`]: it passes, fails (with the mismatches, each naming the record,
//! and a diff), errors (the meter could not be simulated, e.g. "not simulated yet: …": a failure
//! of that case), or is invalid (the case, its meter or its events could not be read: the run
//! could not do its job). Nothing here prints; `report::test` renders the results.

mod compare;
mod meters;
mod spec;
mod update;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fsutil::display;
use crate::load::{self, DiscoverError, Spans};
use crate::model::{graph, keys};
use crate::simulate::{self, Simulation};

pub use load::is_test_case;

/// The sink operator whose records `expect.usage` holds.
const USAGE_SINK: &str = "ZUORA_USAGE";

/// A case file (or its meter or events) that cannot be used, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError {
    /// The case file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl CaseError {
    fn new(path: &Path, message: impl Into<String>) -> CaseError {
        CaseError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// At the value at `pointer` (or its nearest ancestor).
    fn at(path: &Path, spans: &Spans, pointer: &str, message: String) -> CaseError {
        CaseError::located(path, spans.value(pointer), message)
    }

    /// At the key of the member at `pointer`.
    fn key_at(path: &Path, spans: &Spans, pointer: &str, message: String) -> CaseError {
        CaseError::located(path, spans.key(pointer), message)
    }

    fn located(path: &Path, pos: Option<load::Pos>, message: String) -> CaseError {
        CaseError {
            path: path.to_path_buf(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            message,
        }
    }
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", display(&self.path))?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CaseError {}

/// Expands paths into the sorted list of case files: a case file as given; a meter file gives
/// the case beside it (`NAME.test.yaml`, when there is one); a folder gives every
/// `*.test.yaml` / `*.test.yml` under it (walked as `validate` walks folders: hidden entries and
/// what `.gitignore` excludes are skipped). Another file is kept, for reading to refuse.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() || is_test_case(path) {
            out.extend(load::walk(std::slice::from_ref(path), is_test_case)?);
        } else if !path.exists() {
            return Err(DiscoverError::NotFound(path.clone()));
        } else if load::Format::from_path(path).is_some() {
            out.extend(beside_meter(path));
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The cases beside a meter file: `NAME.test.yaml` and `NAME.test.yml` for `NAME.yaml`.
fn beside_meter(meter: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(stem)) = (meter.parent(), meter.file_stem().and_then(|s| s.to_str()))
    else {
        return Vec::new();
    };
    ["test.yaml", "test.yml"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .filter(|p| p.is_file())
        .collect()
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The sinks received what the case expects.
    Pass,
    /// `--update` wrote what the sinks received into the case.
    Updated,
    /// They did not: see the failures.
    Fail,
    /// The meter could not be simulated (an operator not simulated yet, a task's configuration
    /// the simulator cannot read): a failure of this case.
    Error,
    /// The case, its meter or its events could not be read: the run could not do its job.
    Invalid,
}

impl Status {
    /// Lowercase name, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Updated => "updated",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Invalid => "invalid",
        }
    }
}

/// One part of a case's expectation that the run did not meet.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What was compared: `usage`, `errors`, `errors of "Task"`, `sink "Archive"`.
    pub section: String,
    /// Where that expectation is written in the case.
    pub line: Option<usize>,
    /// Its column.
    pub column: Option<usize>,
    /// One line per mismatch, each naming the record (or the count).
    pub problems: Vec<String>,
    /// A unified diff of the expected against the actual records (empty for counts).
    pub diff: String,
}

/// The meter a case ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRef {
    /// Its file.
    pub path: PathBuf,
    /// Its name (or globalId, or file name).
    pub name: String,
    /// The version run.
    pub version: String,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The case file.
    pub path: PathBuf,
    /// The meter it ran, once resolved.
    pub meter: Option<MeterRef>,
    /// How it ended.
    pub status: Status,
    /// What did not match (status `fail`).
    pub failures: Vec<Failure>,
    /// Why it could not run (status `error` or `invalid`), with where in the case.
    pub error: Option<CaseError>,
}

impl CaseResult {
    fn invalid(e: CaseError) -> CaseResult {
        CaseResult {
            path: e.path.clone(),
            meter: None,
            status: Status::Invalid,
            failures: Vec::new(),
            error: Some(e),
        }
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases run.
    pub cases: usize,
    /// Passed.
    pub passed: usize,
    /// Updated by `--update`.
    pub updated: usize,
    /// Failed: a mismatch.
    pub failed: usize,
    /// Could not be simulated.
    pub errors: usize,
    /// Could not be read.
    pub invalid: usize,
}

impl Summary {
    /// The totals of these results.
    pub fn of(results: &[CaseResult]) -> Summary {
        let mut s = Summary::default();
        for r in results {
            s.add(r);
        }
        s
    }

    /// Counts one more result.
    pub fn add(&mut self, r: &CaseResult) {
        self.cases += 1;
        match r.status {
            Status::Pass => self.passed += 1,
            Status::Updated => self.updated += 1,
            Status::Fail => self.failed += 1,
            Status::Error => self.errors += 1,
            Status::Invalid => self.invalid += 1,
        }
    }

    /// Every case passed (or was updated).
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.errors == 0 && self.invalid == 0
    }
}

/// Runs cases: resolves their meters (each meter file read once per run) and, with `update`,
/// writes what the sinks received into cases that do not match.
pub struct Runner {
    meters: meters::Meters,
    update: bool,
}

impl Runner {
    /// A runner that also searches `roots` (folders) for meters named by `meter:`; `update`
    /// rewrites the `expect:` of cases that do not match.
    pub fn new(roots: &[PathBuf], update: bool) -> Runner {
        Runner {
            meters: meters::Meters::new(roots),
            update,
        }
    }

    /// Runs the case at `path`.
    pub fn run(&mut self, path: &Path) -> CaseResult {
        match self.try_run(path) {
            Ok(r) => r,
            Err(e) => CaseResult::invalid(e),
        }
    }

    fn try_run(&mut self, path: &Path) -> Result<CaseResult, CaseError> {
        let spec = spec::read(path)?;
        let spans = spec.doc.spans();
        let at = |pointer: &str, message: String| CaseError::at(path, &spans, pointer, message);
        if spec.expect.is_empty() && !self.update {
            return Err(at(
                "",
                "the case expects nothing: add `expect:` with usage, errors or sinks, or run `meterctl test --update` to record what the meter yields".into(),
            ));
        }
        let found = self
            .meters
            .resolve(path, spec.meter.as_deref())
            .map_err(|m| at("/meter", m))?;
        let meter = found.value;
        let version =
            graph::chosen_version(meter, spec.version.as_deref()).map_err(
                |missing| match missing {
                    Some(v) => {
                        let have: Vec<&str> = graph::versions(meter)
                            .iter()
                            .filter_map(|v| v.get(keys::VERSION).and_then(Value::as_str))
                            .collect();
                        at(
                            "/version",
                            format!(
                                "{} has no version {v}; it has {}",
                                display(&found.path),
                                if have.is_empty() {
                                    "none".into()
                                } else {
                                    have.join(", ")
                                }
                            ),
                        )
                    }
                    None => at(
                        "/meter",
                        format!("{} has no versions to run", display(&found.path)),
                    ),
                },
            )?;
        let meter_ref = MeterRef {
            path: found.path.clone(),
            name: [keys::NAME, keys::GLOBAL_ID]
                .iter()
                .find_map(|k| meter.get(*k).and_then(Value::as_str))
                .map_or_else(|| display(&found.path).into_owned(), str::to_string),
            version: version
                .get(keys::VERSION)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        };
        let events = match &spec.events {
            spec::Events::Inline(list) => list.clone(),
            spec::Events::File(written, file) => {
                let bytes = std::fs::read(file).map_err(|e| {
                    at(
                        "/events",
                        format!("cannot read the events file {written}: {e}"),
                    )
                })?;
                let mut events = crate::events::parse_events(written, &bytes)
                    .map_err(|e| at("/events", format!("{written}: {e}")))?;
                let csv = written.to_ascii_lowercase().ends_with(".csv");
                if let (true, Some(schema)) = (csv, graph::event_schema(meter, Some(version))) {
                    crate::events::coerce_to_schema(&mut events, schema);
                }
                events
            }
        };
        let ctx = simulate::Context {
            lookups: spec.lookups.clone(),
            ..simulate::Context::default()
        };
        let sim = match simulate::run(version, &ctx, vec![events]) {
            Ok(sim) => sim,
            Err(e) => {
                return Ok(CaseResult {
                    path: path.to_path_buf(),
                    meter: Some(meter_ref),
                    status: Status::Error,
                    failures: Vec::new(),
                    error: Some(CaseError::new(path, e.to_string())),
                })
            }
        };
        let failures = check(&spec.expect, &sim, &spans, path)?;
        let status = if self.update && (!failures.is_empty() || spec.expect.is_empty()) {
            update::write(&spec, &sim).map_err(|e| CaseError::new(path, e))?;
            Status::Updated
        } else if failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        };
        Ok(CaseResult {
            path: path.to_path_buf(),
            meter: Some(meter_ref),
            status,
            failures: if status == Status::Fail {
                failures
            } else {
                Vec::new()
            },
            error: None,
        })
    }
}

/// What a task is called in messages: `"Name"`, or its id.
fn task_label(task: &str, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("\"{n}\""),
        _ => task.to_string(),
    }
}

/// The index of the operator whose task id or name is `key`.
fn find_task(sim: &Simulation, key: &str) -> Option<usize> {
    sim.operators
        .iter()
        .position(|c| c.task == key)
        .or_else(|| {
            sim.operators
                .iter()
                .position(|c| c.name.as_deref() == Some(key))
        })
}

/// The tasks of a run, for a message about one that is not there.
fn task_list(sim: &Simulation) -> String {
    sim.operators
        .iter()
        .map(|c| task_label(&c.task, c.name.as_deref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1 error record`, `3 error records`.
fn records_of(n: u64) -> String {
    format!("{n} error record{}", if n == 1 { "" } else { "s" })
}

/// The records every ZUORA_USAGE sink received, in task order.
fn usage_records(sim: &Simulation) -> Vec<Value> {
    sim.sinks
        .iter()
        .filter(|s| s.operator == USAGE_SINK)
        .flat_map(|s| s.records.iter().cloned())
        .collect()
}

/// Compares a run with a case's expectation.
fn check(
    expect: &spec::Expect,
    sim: &Simulation,
    spans: &Spans,
    path: &Path,
) -> Result<Vec<Failure>, CaseError> {
    // A task the case names that the version does not have: at its key.
    let at = |pointer: &str, message: String| CaseError::key_at(path, spans, pointer, message);
    let mut out = Vec::new();
    let failure = |section: String, pointer: &str, problems: Vec<String>, diff: String| {
        let pos = spans.key(pointer);
        Failure {
            section,
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            problems,
            diff,
        }
    };
    if let Some(expected) = &expect.usage {
        let actual = usage_records(sim);
        if let Some(c) = compare::records(expected, &actual, expect.ordered, true) {
            out.push(failure("usage".into(), "/expect/usage", c.problems, c.diff));
        }
    }
    match &expect.errors {
        None => {}
        Some(spec::Errors::Total(n)) => {
            let got: u64 = sim.operators.iter().map(|c| c.errors).sum();
            if got != *n {
                let mut problems = vec![format!("expected {}, got {got}", records_of(*n))];
                problems.extend(sim.operators.iter().filter(|c| c.errors > 0).map(|c| {
                    format!(
                        "{}: {} ({})",
                        task_label(&c.task, c.name.as_deref()),
                        c.errors,
                        c.messages.first().map_or("", String::as_str)
                    )
                }));
                out.push(failure(
                    "errors".into(),
                    "/expect/errors",
                    problems,
                    String::new(),
                ));
            }
        }
        Some(spec::Errors::Per(list)) => {
            for (key, n) in list {
                let ptr = format!("/expect/errors/{}", crate::pointer::escape_token(key));
                let i = find_task(sim, key).ok_or_else(|| {
                    at(
                        &ptr,
                        format!(
                            "no task with id or name {key:?} in this version; it has {}",
                            task_list(sim)
                        ),
                    )
                })?;
                let c = &sim.operators[i];
                if c.errors != *n {
                    let first = c
                        .messages
                        .first()
                        .map(|m| format!(" (first: {m})"))
                        .unwrap_or_default();
                    out.push(failure(
                        format!("errors of {}", task_label(&c.task, c.name.as_deref())),
                        &ptr,
                        vec![format!(
                            "expected {}, got {}{first}",
                            records_of(*n),
                            c.errors
                        )],
                        String::new(),
                    ));
                }
            }
        }
    }
    for (key, expected) in &expect.sinks {
        let ptr = format!("/expect/sinks/{}", crate::pointer::escape_token(key));
        let sink = find_task(sim, key)
            .and_then(|i| sim.sinks.iter().find(|s| s.task == sim.operators[i].task))
            .ok_or_else(|| {
                let sinks: Vec<String> = sim
                    .sinks
                    .iter()
                    .map(|s| task_label(&s.task, s.name.as_deref()))
                    .collect();
                at(
                    &ptr,
                    format!(
                        "no sink task with id or name {key:?} in this version; its sinks are {}",
                        sinks.join(", ")
                    ),
                )
            })?;
        let usage = sink.operator == USAGE_SINK;
        if let Some(c) = compare::records(expected, &sink.records, expect.ordered, usage) {
            out.push(failure(
                format!("sink {}", task_label(&sink.task, sink.name.as_deref())),
                &ptr,
                c.problems,
                c.diff,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_by_folder_meter_file_and_case_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("meters/tests")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        for f in [
            "meters/a.yaml",
            "meters/a.test.yaml",
            "meters/b.json",
            "meters/tests/z.test.yml",
            ".hidden/h.test.yaml",
        ] {
            std::fs::write(root.join(f), "x: 1\n").unwrap();
        }
        let rel = |ps: Vec<PathBuf>| -> Vec<String> {
            ps.iter()
                .map(|p| p.strip_prefix(root).unwrap().display().to_string())
                .collect()
        };
        let found = discover(&[root.to_path_buf()]).unwrap();
        assert_eq!(
            rel(found),
            ["meters/a.test.yaml", "meters/tests/z.test.yml"]
        );
        let found = discover(&[root.join("meters/a.yaml"), root.join("meters/b.json")]).unwrap();
        assert_eq!(rel(found), ["meters/a.test.yaml"]);
        let found = discover(&[root.join(".hidden/h.test.yaml")]).unwrap();
        assert_eq!(rel(found), [".hidden/h.test.yaml"]);
        assert!(discover(&[root.join("nope")]).is_err());
    }

    #[test]
    fn summary_counts_each_status() {
        let r = |status| CaseResult {
            path: PathBuf::from("a.test.yaml"),
            meter: None,
            status,
            failures: vec![],
            error: None,
        };
        let s = Summary::of(&[r(Status::Pass), r(Status::Updated)]);
        assert!(s.ok());
        let s = Summary::of(&[r(Status::Pass), r(Status::Error), r(Status::Invalid)]);
        assert_eq!((s.cases, s.passed, s.errors, s.invalid), (3, 1, 1, 1));
        assert!(!s.ok());
    }
}
