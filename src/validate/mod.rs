//! Validation: JSON Schemas plus meter rules → [`Diagnostic`]s with file, line, column, pointer.
//!
//! One [`Validator`] is built per run (every schema compiled once) and shared by the threads that
//! check files in parallel. Each file is read and parsed once; the schema check runs first
//! (`is_valid`, then the error walk only for invalid files), then the meter rules of
//! [`rules::RULES`] on the parsed value. Positions are computed only for files that have
//! something to report, in one scan of that file's text that looks for all its findings'
//! pointers at once ([`load::Spans::index_only`]).
//!
//! [`Validator::check_paths_each`] streams: each file's report goes to the caller's callback as
//! soon as it and every file before it (in the given order) are done, so a run holds only the
//! few reports finished out of order, never the whole repository's texts or diagnostics.
//! Repository-wide rules (unique `globalId`/`name`) run on the way, in that order, on small
//! identity records: a duplicate is reported at the later file, naming the earlier one. Nothing
//! here prints.

pub mod others;
pub mod rules;
pub mod schema;
pub mod suggest;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{self, Document};

pub use rules::{Rule, RULES};

/// A finding before it is given a position in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Rule code.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// JSON Pointer of the offending value.
    pub pointer: String,
    /// Point at the member's key rather than its value (unknown fields, duplicates).
    pub at_key: bool,
    /// The required key a schema finding says is missing, so that a rule finding naming that
    /// key supersedes it (see `supersede_schema_findings`).
    pub missing: Option<String>,
}

impl Finding {
    /// A finding at a value.
    pub fn new(code: &'static str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            code,
            message: message.into(),
            pointer: pointer.into(),
            at_key: false,
            missing: None,
        }
    }

    /// The same finding, located at the member's key.
    pub fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }
}

/// What the run should check and how strictly.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Unknown top-level and task-level fields and unknown metadata keys are errors instead of
    /// warnings.
    pub strict: bool,
    /// Extra JSON Schemas every definition must also satisfy (house rules).
    pub extra_schemas: Vec<PathBuf>,
    /// Per-code severity overrides; `None` turns the rule off.
    pub overrides: HashMap<String, Option<Severity>>,
    /// Every warning is reported as an error (`--deny-warnings`), so reports and exit code agree.
    pub deny_warnings: bool,
}

/// The result for one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Its diagnostics, ordered by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The text, kept only when there are diagnostics (for code frames).
    pub text: Option<String>,
    /// `globalId` and `name` for repository-wide rules.
    identity: Identity,
}

#[derive(Debug, Clone, Default)]
struct Identity {
    global_id: Option<String>,
    name: Option<String>,
    format: Option<load::Format>,
}

impl FileReport {
    /// The report without its text (and identity): what reports that show no code frame keep.
    pub fn without_text(self) -> FileReport {
        FileReport {
            text: None,
            identity: Identity::default(),
            ..self
        }
    }

    /// True when the file has no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files checked.
    pub files: usize,
    /// Files without errors.
    pub valid: usize,
    /// Files with errors.
    pub invalid: usize,
    /// Error diagnostics.
    pub errors: usize,
    /// Warning diagnostics.
    pub warnings: usize,
}

impl Summary {
    /// Totals of a list of file reports.
    pub fn of(files: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for f in files {
            s.add(f);
        }
        s
    }

    /// Counts one more file.
    pub fn add(&mut self, f: &FileReport) {
        self.files += 1;
        if f.is_valid() {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        for d in &f.diagnostics {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
        }
    }
}

/// Compiled schemas and rule settings for one run; shared across threads.
pub struct Validator {
    schemas: schema::Schemas,
    options: Options,
}

impl Validator {
    /// Compiles the embedded schema and the extra schemas.
    pub fn new(options: Options) -> Result<Validator, schema::SchemaError> {
        let schemas = schema::Schemas::compile(&options.extra_schemas)?;
        Ok(Validator { schemas, options })
    }

    /// The severity a rule has in this run, or `None` when it is turned off.
    pub fn severity(&self, code: &str) -> Option<Severity> {
        let sev = if let Some(over) = self.options.overrides.get(code) {
            (*over)?
        } else if self.options.strict
            && (code == rules::UNKNOWN_FIELD.code || code == rules::UNKNOWN_METADATA_KEY.code)
        {
            Severity::Error
        } else {
            rules::by_code(code).map_or(Severity::Error, |r| r.severity)
        };
        Some(if self.options.deny_warnings {
            Severity::Error
        } else {
            sev
        })
    }

    /// Validates files (in parallel) and the repository-wide rules across them; every report, in
    /// the order of `paths`.
    pub fn check_paths(&self, paths: &[PathBuf]) -> Vec<FileReport> {
        self.check_paths_among(paths, &[])
    }

    /// Like [`Validator::check_paths`], with the repository-wide rules checked also against the
    /// identities of repository files that were not given ([`others::for_files`]); only the given
    /// files are reported.
    pub fn check_paths_among(
        &self,
        paths: &[PathBuf],
        others: &[others::Other],
    ) -> Vec<FileReport> {
        let mut reports = Vec::with_capacity(paths.len());
        let done: Result<(), std::convert::Infallible> =
            self.check_paths_each_among(paths, others, |r| {
                reports.push(r);
                Ok(())
            });
        match done {
            Ok(()) => reports,
            Err(never) => match never {},
        }
    }

    /// Validates files on all of rayon's threads and hands each report to `each` in the order of
    /// `paths`, as soon as it and all before it are done; the report keeps the text only when it
    /// has diagnostics (for code frames), and `each` owns it, so the text is dropped once `each`
    /// is done with it. Files are taken in order, by the calling thread (which also hands the
    /// reports over, between its own files) and by helper threads that stay at most a small
    /// window ahead of the oldest file not yet handed over, so memory does not grow with the
    /// number of files or findings. Repository-wide rules are applied on the way (a duplicate is
    /// reported at the later file). The first error `each` returns stops the run and is returned.
    pub fn check_paths_each<E>(
        &self,
        paths: &[PathBuf],
        each: impl FnMut(FileReport) -> Result<(), E>,
    ) -> Result<(), E> {
        self.check_paths_each_among(paths, &[], each)
    }

    /// [`Validator::check_paths_each`] with the repository's other files (not given, not
    /// reported) taken into account by the repository-wide rules: a given file that repeats one
    /// of their `globalId`s or names is reported.
    pub fn check_paths_each_among<E>(
        &self,
        paths: &[PathBuf],
        others: &[others::Other],
        each: impl FnMut(FileReport) -> Result<(), E>,
    ) -> Result<(), E> {
        let threads = rayon::current_num_threads().clamp(1, paths.len().max(1));
        let shared = Progress {
            next: AtomicUsize::new(0),
            window: 16 * threads,
            state: Mutex::new(Handed::default()),
            advanced: Condvar::new(),
            stop: AtomicBool::new(false),
        };
        let mut hand_off = HandOff {
            paths,
            pending: BTreeMap::new(),
            next: 0,
            repository: Repository::seeded(paths.len(), others),
            others,
            each,
        };
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<(usize, FileReport)>();
            for _ in 1..threads {
                let (tx, shared) = (tx.clone(), &shared);
                scope.spawn(move || {
                    while let Some(i) = shared.take(paths.len()) {
                        if !shared.wait_for_window(i)
                            || tx.send((i, self.check_path(&paths[i]))).is_err()
                        {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            let result = (|| {
                while let Some(i) = shared.take(paths.len()) {
                    while let Ok((j, report)) = rx.try_recv() {
                        hand_off.add(self, j, report, &shared)?;
                    }
                    // Never run ahead of the window: the older files are with the helpers.
                    while i >= hand_off.next + shared.window {
                        let Ok((j, report)) = rx.recv() else {
                            return Ok(());
                        };
                        hand_off.add(self, j, report, &shared)?;
                    }
                    hand_off.add(self, i, self.check_path(&paths[i]), &shared)?;
                }
                // Every file is taken: hand over the helpers' last ones. (A helper that panicked
                // ends this early; the scope then passes its panic on.)
                while hand_off.next < paths.len() {
                    let Ok((j, report)) = rx.recv() else { break };
                    hand_off.add(self, j, report, &shared)?;
                }
                Ok(())
            })();
            if result.is_err() {
                shared.stop();
            }
            drop(rx);
            result
        })
    }

    /// Validates one file on disk.
    pub fn check_path(&self, path: &Path) -> FileReport {
        match load::load_file(path) {
            Ok(doc) => self.check_document(doc),
            Err(d) => self.failed_load(path, d),
        }
    }

    /// Turns a load failure into a report (parse errors are diagnostics too).
    pub fn failed_load(&self, path: &Path, d: Diagnostic) -> FileReport {
        // Keep the text (read again, only on this rare path) so the report can show the line.
        let text = d
            .line
            .filter(|_| d.code == rules::PARSE.code)
            .and_then(|_| std::fs::read(path).ok())
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            });
        FileReport {
            path: path.to_path_buf(),
            diagnostics: vec![d],
            text,
            identity: Identity::default(),
        }
    }

    /// Validates one loaded document (the report takes its text when there is something to
    /// show).
    pub fn check_document(&self, doc: Document) -> FileReport {
        let mut report = self.report(&doc);
        if !report.diagnostics.is_empty() {
            report.text = Some(doc.text);
        }
        report
    }

    /// Validates a document the caller keeps (the report holds a copy of the text only when
    /// there is something to show).
    pub fn check(&self, doc: &Document) -> FileReport {
        let mut report = self.report(doc);
        if !report.diagnostics.is_empty() {
            report.text = Some(doc.text.clone());
        }
        report
    }

    /// The report on a document, without its text.
    fn report(&self, doc: &Document) -> FileReport {
        let mut findings = Vec::new();
        self.schemas.check(&doc.value, &mut findings);
        let schema_findings = findings.len();
        rules::check_enabled(&doc.value, &mut findings, |code| {
            self.severity(code).is_some()
        });
        supersede_schema_findings(&mut findings, schema_findings);
        let field = |k: &str| doc.value.get(k).and_then(Value::as_str).map(str::to_owned);
        let identity = Identity {
            global_id: field("globalId"),
            name: field("name"),
            format: Some(doc.format),
        };
        let diagnostics = self.locate(&doc.path, &doc.text, doc.format, findings);
        FileReport {
            path: doc.path.clone(),
            diagnostics,
            text: None,
            identity,
        }
    }

    fn locate(
        &self,
        path: &Path,
        text: &str,
        format: load::Format,
        findings: Vec<Finding>,
    ) -> Vec<Diagnostic> {
        let findings: Vec<(Finding, Severity)> = findings
            .into_iter()
            .filter_map(|f| self.severity(f.code).map(|s| (f, s)))
            .collect();
        if findings.is_empty() {
            return Vec::new();
        }
        let spans = load::Spans::index_only(
            text,
            format,
            findings.iter().map(|(f, _)| (f.pointer.as_str(), f.at_key)),
        );
        let mut out: Vec<Diagnostic> = findings
            .into_iter()
            .map(|(f, severity)| {
                let pos = if f.at_key {
                    spans.key(&f.pointer)
                } else {
                    spans.value(&f.pointer)
                };
                Diagnostic {
                    severity,
                    code: f.code,
                    message: f.message,
                    path: path.to_path_buf(),
                    pointer: Some(f.pointer),
                    line: pos.map(|p| p.line),
                    column: pos.map(|p| p.column),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.line, a.column, a.code, &a.message).cmp(&(b.line, b.column, b.code, &b.message))
        });
        out.dedup();
        out
    }
}

/// What the threads of [`Validator::check_paths_each`] share.
struct Progress {
    /// The next file to take.
    next: AtomicUsize,
    /// How far past the oldest file not yet handed over a helper may take files.
    window: usize,
    state: Mutex<Handed>,
    /// Signalled when reports were handed over (only while a helper waits).
    advanced: Condvar,
    /// Set when the run stops early.
    stop: AtomicBool,
}

#[derive(Default)]
struct Handed {
    /// Reports handed over so far.
    count: usize,
    /// Helpers waiting for `count` to grow.
    waiting: usize,
}

impl Progress {
    /// Takes the next file, if any is left and the run goes on.
    fn take(&self, len: usize) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < len && !self.stop.load(Ordering::Relaxed)).then_some(i)
    }

    /// Waits until file `i` is within the window; false when the run stops instead.
    fn wait_for_window(&self, i: usize) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while i >= state.count + self.window && !self.stop.load(Ordering::Relaxed) {
            state.waiting += 1;
            state = self.advanced.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
        }
        !self.stop.load(Ordering::Relaxed)
    }

    /// Records how many reports have been handed over, waking waiting helpers.
    fn handed(&self, count: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.count = count;
        let waiting = state.waiting > 0;
        drop(state);
        if waiting {
            self.advanced.notify_all();
        }
    }

    /// Stops the run: waiting helpers wake up and take no more files.
    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.state.lock().unwrap_or_else(|e| e.into_inner()));
        self.advanced.notify_all();
    }
}

/// The ordered hand-off of [`Validator::check_paths_each`]: reports finished out of order wait
/// here until every report before them has been handed over.
struct HandOff<'p, F> {
    paths: &'p [PathBuf],
    /// The repository's files that were not given (for the repository-wide rules only).
    others: &'p [others::Other],
    pending: BTreeMap<usize, FileReport>,
    /// The index of the next report to hand over.
    next: usize,
    repository: Repository,
    each: F,
}

impl<F> HandOff<'_, F> {
    /// Adds report `i` and hands over every report that is now next in line.
    fn add<E>(
        &mut self,
        v: &Validator,
        i: usize,
        report: FileReport,
        shared: &Progress,
    ) -> Result<(), E>
    where
        F: FnMut(FileReport) -> Result<(), E>,
    {
        self.pending.insert(i, report);
        let before = self.next;
        while let Some(mut report) = self.pending.remove(&self.next) {
            self.repository
                .check(v, self.paths, self.others, self.next, &mut report);
            (self.each)(report)?;
            self.next += 1;
        }
        if self.next > before {
            shared.handed(self.next);
        }
        Ok(())
    }
}

/// What the repository-wide rules remember of the files handed over so far: each `globalId` and
/// `name` with the index of the first file that used it (indexes from `paths.len()` on are the
/// repository's other files, which come first).
#[derive(Default)]
struct Repository {
    global_ids: HashMap<String, usize>,
    names: HashMap<String, usize>,
}

impl Repository {
    /// Knows the other files' identities before the first given file is checked.
    fn seeded(given: usize, others: &[others::Other]) -> Repository {
        let mut r = Repository::default();
        for (k, o) in others.iter().enumerate() {
            if let Some(g) = &o.global_id {
                r.global_ids.entry(g.clone()).or_insert(given + k);
            }
            if let Some(n) = &o.name {
                r.names.entry(n.clone()).or_insert(given + k);
            }
        }
        r
    }

    /// Checks file `i` (of `paths`) against the files before it and the other files: a
    /// `globalId` or `name` already used becomes a diagnostic of this file, naming the first file
    /// that used it.
    fn check(
        &mut self,
        v: &Validator,
        paths: &[PathBuf],
        others: &[others::Other],
        i: usize,
        r: &mut FileReport,
    ) {
        let identity = std::mem::take(&mut r.identity);
        let checks = [
            (
                &rules::DUPLICATE_GLOBAL_ID,
                identity.global_id,
                &mut self.global_ids,
                "/globalId",
                "globalId",
            ),
            (
                &rules::DUPLICATE_METER_NAME,
                identity.name,
                &mut self.names,
                "/name",
                "name",
            ),
        ];
        let mut findings = Vec::new();
        for (rule, key, seen, pointer, label) in checks {
            let Some(key) = key else { continue };
            match seen.get(&key) {
                Some(&j) => findings.push(Finding::new(
                    rule.code,
                    pointer,
                    format!(
                        "{label} {key:?} is also used by {}; every meter in a repository needs its own {label}",
                        crate::fsutil::display(match paths.get(j) {
                            Some(p) => p,
                            None => &others[j - paths.len()].path,
                        })
                    ),
                )),
                None => {
                    seen.insert(key, i);
                }
            }
        }
        if findings.is_empty() {
            return;
        }
        let format = identity.format.unwrap_or(load::Format::Yaml);
        // Clean files come without their text: read it again, only on this rare path.
        let text = match r.text.take() {
            Some(t) => t,
            None => match std::fs::read_to_string(&r.path) {
                Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
                Err(_) => String::new(),
            },
        };
        let mut new = v.locate(&r.path, &text, format, findings);
        if !new.is_empty() {
            r.diagnostics.append(&mut new);
            r.diagnostics.sort_by_key(|d| (d.line, d.column));
        }
        if !r.diagnostics.is_empty() {
            r.text = Some(text);
        }
    }
}

/// A meter rule that quotes Zuora about a value says more than the generic schema message about
/// the same value, so an `MC0010` finding is dropped when a rule finding has the same pointer (for
/// a missing key: when the rule's message names that key). `findings[..schema_end]` are the
/// schema's findings, the rest the rules'.
fn supersede_schema_findings(findings: &mut Vec<Finding>, schema_end: usize) {
    if schema_end == 0 || schema_end == findings.len() {
        return;
    }
    let (schema, rule) = findings.split_at(schema_end);
    let superseded: Vec<bool> = schema
        .iter()
        .map(|s| {
            s.code == rules::SCHEMA.code
                && rule.iter().any(|r| {
                    r.pointer == s.pointer
                        && s.missing
                            .as_deref()
                            .is_none_or(|key| r.message.contains(key))
                })
        })
        .collect();
    let mut i = 0;
    findings.retain(|_| {
        let keep = i >= schema_end || !superseded[i];
        i += 1;
        keep
    });
}

#[cfg(test)]
impl FileReport {
    /// A report built by hand, for report-writer tests.
    pub(crate) fn for_tests(
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
        text: Option<String>,
    ) -> Self {
        FileReport {
            path,
            diagnostics,
            text,
            identity: Identity::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 small files (JSON, YAML, one that does not parse, two sharing a name).
    fn files(dir: &Path) -> Vec<PathBuf> {
        (0..300)
            .map(|i| {
                let (name, text) = match i {
                    7 => ("f007.json".to_string(), "{\"name\": ".to_string()),
                    i if i % 3 == 0 => (format!("f{i:03}.yaml"), format!("name: m{i}\nx: 1\n")),
                    250 => ("f250.json".to_string(), "{\"name\": \"m5\"}".to_string()),
                    i => (format!("f{i:03}.json"), format!("{{\"name\": \"m{i}\"}}")),
                };
                let p = dir.join(name);
                std::fs::write(&p, text).unwrap();
                p
            })
            .collect()
    }

    #[test]
    fn streams_reports_in_path_order_with_repository_rules_on_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let paths = files(dir.path());
        let v = Validator::new(Options::default()).unwrap();
        let mut seen = Vec::new();
        let done: Result<(), ()> = v.check_paths_each(&paths, |r| {
            seen.push(r);
            Ok(())
        });
        assert!(done.is_ok());
        assert_eq!(
            seen.iter().map(|r| r.path.clone()).collect::<Vec<_>>(),
            paths
        );
        for (i, r) in seen.iter().enumerate() {
            let alone = v.check_path(&paths[i]);
            if i == 250 {
                // The second file named "m5" is told about the first.
                let dup = r
                    .diagnostics
                    .iter()
                    .find(|d| d.code == rules::DUPLICATE_METER_NAME.code)
                    .expect("MC0121");
                assert!(dup.message.contains("f005.json"), "{}", dup.message);
                assert_eq!((dup.line, dup.column), (Some(1), Some(10)));
                assert_eq!(r.diagnostics.len(), alone.diagnostics.len() + 1);
            } else {
                assert_eq!(r.diagnostics, alone.diagnostics, "{}", paths[i].display());
            }
            assert_eq!(r.text.is_some(), !r.diagnostics.is_empty());
        }
        assert_eq!(v.check_paths(&paths).len(), 300);
    }

    #[test]
    fn the_first_error_of_the_callback_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let paths = files(dir.path());
        let v = Validator::new(Options::default()).unwrap();
        let mut n = 0;
        let done = v.check_paths_each(&paths, |_| {
            n += 1;
            if n == 40 {
                Err("stop")
            } else {
                Ok(())
            }
        });
        assert_eq!(done, Err("stop"));
        assert_eq!(n, 40);
    }
}
