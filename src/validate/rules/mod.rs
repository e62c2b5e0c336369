//! The rule registry: every check meterctl makes, with a stable code, a default severity, a
//! one-line summary and a longer explanation (`meterctl rules`, `meterctl explain CODE`).
//!
//! Codes are never reused. `MC00xx` come from loading and schemas, `MC01xx` are meter rules on one
//! definition, `MC012x` are repository-wide. Per-document rules have a `check` function that
//! reads the parsed JSON value (not the typed model: a rule must still run on a definition that
//! breaks the schema elsewhere) and pushes [`Finding`]s with JSON Pointers.

mod event_schema;
mod graph;
mod secrets;
mod versions;

pub use secrets::{is_literal_credential, is_placeholder, mask_literal_credentials};

use serde_json::{Map, Value};

use super::Finding;
use crate::diagnostic::{codes, Severity};

/// One rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, e.g. `MC0104`.
    pub code: &'static str,
    /// Kebab-case name stating the problem.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Why it matters and how to fix it.
    pub docs: &'static str,
    /// The per-document check, when the rule has one.
    pub check: Option<fn(&Value, &mut Vec<Finding>)>,
}

macro_rules! rule {
    ($id:ident, $code:expr, $name:literal, $sev:ident, $summary:literal, $docs:literal, $check:expr) => {
        #[doc = $summary]
        pub static $id: Rule = Rule {
            code: $code,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            docs: $docs,
            check: $check,
        };
    };
}

rule!(PARSE, codes::PARSE, "parse-error", Error,
    "the file is not valid JSON or YAML (or is empty, or not UTF-8 text)",
    "meterctl reads meter definitions as JSON (.json) or YAML (.yaml, .yml). Fix the syntax at the reported line and column; `meterctl fmt` can then lay the file out canonically.",
    None);
rule!(SHAPE, codes::SHAPE, "not-a-definition", Error,
    "the document is not a JSON object",
    "A meter definition is one object (what `GET /meters/export/{meterId}` returns). Arrays, strings and several YAML documents in one file are not definitions.",
    None);
rule!(READ, codes::READ, "unreadable-file", Error,
    "the file cannot be read, has an unsupported extension, or exceeds the size limit",
    "Check permissions and the extension (.json, .yaml, .yml). The size limit (64 MiB) can be raised with METERCTL_MAX_FILE_SIZE.",
    None);
rule!(SCHEMA, "MC0010", "schema-violation", Error,
    "the definition breaks the meter-definition JSON Schema",
    "The embedded schema (`meterctl schema print`) encodes what Zuora documents: required fields (name, type, latestVersion, versions; each task's id, name, metadata and predecessors), types, the Filter operators and the HTTP processor's limits (timeoutInMillis <= 180000, retries >= 0). Zuora's import rejects such files (70002106, 70002217-70002224).",
    None);
rule!(UNKNOWN_FIELD, "MC0011", "unknown-field", Warning,
    "a top-level or task-level field that Zuora does not document (a typo?)",
    "Real exports may carry fields the documentation does not list, so this is a warning; typos such as `nmae` must still be caught. Use --strict (or `--deny MC0011`) to make it an error in CI.",
    None);
rule!(CUSTOM_SCHEMA, "MC0012", "custom-schema-violation", Error,
    "the definition breaks a schema given with --schema or in meterctl.yaml",
    "House rules (for example `description` is required) live in your own JSON Schemas; the message names the schema file.",
    None);
rule!(UNKNOWN_LATEST_VERSION, "MC0101", "unknown-latest-version", Error,
    "latestVersion names a version that is not in versions",
    "Imports and runs use latestVersion; it must equal one of versions[].version. Fix the version string or add the version.",
    Some(versions::unknown_latest_version));
rule!(DUPLICATE_VERSION, "MC0102", "duplicate-version", Error,
    "two versions have the same version string",
    "Versions are identified by their version string (Zuora's API addresses /meters/{id}/{version}); give each a unique one.",
    Some(versions::duplicate_version));
rule!(DUPLICATE_TASK_ID, "MC0103", "duplicate-task-id", Error,
    "two tasks in one version have the same id",
    "Predecessors refer to task ids, so ids must be unique within a version. Give the task a new id and update the predecessors that meant it.",
    Some(graph::duplicate_task_id));
rule!(UNKNOWN_PREDECESSOR, "MC0104", "unknown-predecessor", Error,
    "a predecessor id matches no task in the same version",
    "Each predecessors[].id must be the id of another task of the same version (Zuora: 70002108 invalid links). Fix the id or remove the link.",
    Some(graph::unknown_predecessor));
rule!(TASK_CYCLE, "MC0105", "task-cycle", Error,
    "the task graph has a cycle",
    "A meter flows from sources through processors to sinks; a cycle never ends. The message names the tasks in the cycle: remove one of its links.",
    Some(graph::task_cycle));
rule!(
    NO_SOURCE_TASK,
    "MC0106",
    "no-source-task",
    Error,
    "no task in a version is a source (every task has predecessors)",
    "At least one task must have no predecessors: the SOURCE where events enter the meter.",
    Some(graph::no_source_task)
);
rule!(DUPLICATE_TASK_NAME, "MC0107", "duplicate-task-name", Warning,
    "two tasks in one version have the same name",
    "Diffs and reviews match tasks by name because task ids differ per tenant; repeated names make changes ambiguous. Rename one of the tasks.",
    Some(graph::duplicate_task_name));
rule!(MISSING_PREDECESSORS, "MC0108", "missing-predecessors", Error,
    "a PROCESSOR or SINK task has no predecessors",
    "Only sources start a pipeline; Zuora rejects processors and sinks without predecessors (70002224). Link the task to the task that feeds it.",
    Some(graph::missing_predecessors));
rule!(UNKNOWN_NODE_TYPE, "MC0109", "unknown-node-type", Warning,
    "nodeType is not SOURCE, PROCESSOR or SINK",
    "Zuora does not document the enumeration, so an unknown nodeType is a warning: check the spelling.",
    Some(graph::unknown_node_type));
rule!(INVALID_EVENT_SCHEMA, "MC0110", "invalid-event-schema", Error,
    "schemas[].schema is not a valid JSON Schema",
    "Each entry of schemas is an event definition whose `schema` must itself be a valid JSON Schema (checked against its meta-schema); the pointer leads into it.",
    Some(event_schema::invalid_event_schema));
rule!(LITERAL_CREDENTIAL, "MC0111", "literal-credential", Error,
    "a password, secret, token, API key or Authorization header holds a literal value",
    "Definitions go into git, so credentials must not: write Zuora's secret reference `${secrets.NAME}`, or a meterctl placeholder `${{ env.NAME }}` (filled from an environment variable at apply time) or `${{ values.NAME }}`.",
    Some(secrets::literal_credential));
rule!(DUPLICATE_GLOBAL_ID, "MC0120", "duplicate-global-id", Error,
    "two files in the repository have the same globalId",
    "globalId is a meter's portable identity: import updates the meter that has it. Two files with one globalId would overwrite each other. Give one a new globalId.",
    None);
rule!(DUPLICATE_METER_NAME, "MC0121", "duplicate-meter-name", Error,
    "two files in the repository have the same meter name",
    "Meters are paired by name when they have no globalId, and people find them by name in Zuora's UI. Rename one.",
    None);

/// Every rule, sorted by code.
pub static RULES: &[&Rule] = &[
    &PARSE,
    &SHAPE,
    &READ,
    &SCHEMA,
    &UNKNOWN_FIELD,
    &CUSTOM_SCHEMA,
    &UNKNOWN_LATEST_VERSION,
    &DUPLICATE_VERSION,
    &DUPLICATE_TASK_ID,
    &UNKNOWN_PREDECESSOR,
    &TASK_CYCLE,
    &NO_SOURCE_TASK,
    &DUPLICATE_TASK_NAME,
    &MISSING_PREDECESSORS,
    &UNKNOWN_NODE_TYPE,
    &INVALID_EVENT_SCHEMA,
    &LITERAL_CREDENTIAL,
    &DUPLICATE_GLOBAL_ID,
    &DUPLICATE_METER_NAME,
];

/// The rule with this code (or name).
pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// Runs every per-document rule.
pub fn check(value: &Value, out: &mut Vec<Finding>) {
    for rule in RULES {
        if let Some(f) = rule.check {
            f(value, out);
        }
    }
}

/// `versions` as (index, object) pairs.
fn versions(value: &Value) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    objects(value.get("versions"))
}

/// `tasks` of a version as (index, object) pairs.
fn tasks(version: &Map<String, Value>) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    objects(version.get("tasks"))
}

fn objects(list: Option<&Value>) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.as_object().map(|o| (i, o)))
}

fn str_field<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// The version's label for messages: `version 0.0.1` or `versions[2]`.
fn version_label(vi: usize, v: &Map<String, Value>) -> String {
    match str_field(v, "version") {
        Some(s) => format!("version {s}"),
        None => format!("versions[{vi}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_documented() {
        let codes: Vec<_> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        for r in RULES {
            assert!(r.code.starts_with("MC") && r.code.len() == 6, "{}", r.code);
            assert!(!r.summary.is_empty() && !r.docs.is_empty());
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert_eq!(by_code(r.code).map(|x| x.code), Some(r.code));
        }
    }
}
