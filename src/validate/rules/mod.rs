//! The rule registry: every check meterctl makes, with a stable code, a default severity, a
//! one-line summary and a longer explanation (`meterctl rules`, `meterctl explain CODE`).
//!
//! Codes are never reused. `MC00xx` come from loading and schemas, `MC01xx` are meter rules on one
//! definition, `MC012x` are repository-wide. Per-document rules have a `check` function that
//! reads the parsed JSON value (not the typed model: a rule must still run on a definition that
//! breaks the schema elsewhere) and pushes [`Finding`]s with JSON Pointers.

mod event_schema;
mod graph;
mod operators;
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
    "the definition breaks the meter-definition JSON Schema (including the metadata schema of its operator)",
    "The embedded schema (`meterctl schema print`) encodes Zuora's meter dialect: required fields (name, type, latestVersion, versions; each task's id, name, metadata and predecessors), types, and for each nodeType + operatorType pair of Zuora's operator catalogue the keys, types, enums and required keys of the task's `metadata` (FILTER ruleCombiner and/or in lower case and the filter operators in both spellings, MAP transformType, AGGREGATOR triggerType/timeoutType and aggregations, DEDUPLICATE maxSize, HTTP timeoutInMillis <= 180000, SUBSCRIPTION_LOOKUP lookupType, SCRIPT_* language, ...). Zuora's import refuses such files. The pointer leads to the offending value, or to the object that misses a required key: fix the value or add the key.",
    None);
rule!(UNKNOWN_FIELD, "MC0011", "unknown-field", Warning,
    "a top-level or task-level field that Zuora does not document (a typo?)",
    "Real exports may carry fields the documentation does not list, so this is a warning; typos such as `nmae` must still be caught. Use --strict (or `--deny MC0011`) to make it an error in CI.",
    None);
rule!(CUSTOM_SCHEMA, "MC0012", "custom-schema-violation", Error,
    "the definition breaks a schema given with --schema or in meterctl.yaml",
    "House rules (for example `description` is required) live in your own JSON Schemas; the message names the schema file.",
    None);
rule!(UNKNOWN_METADATA_KEY, "MC0013", "unknown-metadata-key", Warning,
    "a key in a task's metadata that Zuora's operator catalogue does not list for its operator (a typo?)",
    "Each operator (nodeType + operatorType) keeps a known set of keys in its task's `metadata`; see `meterctl schema print`. A misspelt key is ignored by Zuora, so the setting you meant silently keeps its default. The message suggests the closest key of that operator: rename the key, or remove it. Zuora's catalogue may not list every key its UI writes, so this is a warning (--strict or `--deny MC0013` makes it an error). Operators whose keys the catalogue does not list (HTTP sources and sinks) are not checked.",
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
rule!(UNKNOWN_NODE_TYPE, "MC0109", "unknown-node-type", Error,
    "nodeType is not SOURCE, PROCESSOR or SINK",
    "Zuora's task graph has exactly three node types: SOURCE (where events enter), PROCESSOR and SINK (where they leave). Zuora cannot place a task of another type, so the meter is refused. Fix the spelling (upper case).",
    Some(graph::unknown_node_type));
rule!(INVALID_EVENT_SCHEMA, "MC0110", "invalid-event-schema", Error,
    "schemas[].schema is not a valid event definition (JSON Schema or Zuora's dialect of it)",
    "Each entry of schemas is an event definition whose `schema` is checked against the JSON Schema meta-schema, leniently: Zuora's own dialect is accepted (property type `datetime`, `eventIdFields` as an array of property names, per-property `order` as an integer, `eventTime` as a boolean, `timeFormat` as a string). Anything else that breaks the meta-schema (an unknown type name, `required` that is not a list, ...) is refused; the pointer leads into the schema.",
    Some(event_schema::invalid_event_schema));
rule!(LITERAL_CREDENTIAL, "MC0111", "literal-credential", Error,
    "a password, secret, token, API key or Authorization header holds a literal value",
    "Definitions go into git, so credentials must not: write Zuora's secret reference `${secrets.NAME}`, or a meterctl placeholder `${{ env.NAME }}` (filled from an environment variable at apply time) or `${{ values.NAME }}`.",
    Some(secrets::literal_credential));
rule!(UNKNOWN_OPERATOR_TYPE, "MC0112", "unknown-operator-type", Warning,
    "operatorType is not in Zuora's operator catalogue",
    "Zuora's catalogue names the operators a task can be (ZUORA_BULK_API, LOCAL_FILE, S3, FILTER, MAP, AGGREGATOR, SUBSCRIPTION_LOOKUP, HTTP, SCRIPT_MAP, ZUORA_USAGE, EVENT_STORE, NOOP, ...; `meterctl schema print` lists them all). Names from older documentation (STREAMING_API, USAGE_RECORDS, EMPTY_SINK, BILLING-RATING) are not what Zuora stores. The message names the closest known operator type: use it. A warning, because the catalogue may lag behind new operators; the metadata of an unknown operator is not checked.",
    Some(operators::unknown_operator_type));
rule!(UNKNOWN_EVENT_ID_FIELD, "MC0113", "unknown-event-id-field", Error,
    "an event definition's eventIdFields names a property it does not have",
    "In Zuora's event-definition dialect, eventIdFields are the properties that identify an event (the event store's primary key). Each entry must be the name of one of the schema's `properties`: fix the spelling or add the property.",
    Some(event_schema::unknown_event_id_field));
rule!(SEVERAL_EVENT_TIME_FIELDS, "MC0114", "several-event-time-fields", Error,
    "more than one property of an event definition has `eventTime: true`",
    "`eventTime: true` marks the one property that holds the event's time (windows and event stores read it). The finding points at the second one: keep `eventTime: true` on one property only.",
    Some(event_schema::several_event_time_fields));
rule!(INVALID_TIME_FORMAT, "MC0115", "invalid-time-format", Error,
    "an event property's timeFormat is not a valid Java date pattern",
    "`timeFormat` says how a datetime property is written: a java.text.SimpleDateFormat pattern (e.g. yyyy-MM-dd'T'HH:mm:ss, literal text in single quotes) or Zuora's epoch_ms / epoch_s. meterctl parses it as Java does; the message says why it is refused (an unknown pattern letter, an unterminated quote, no date or time field).",
    Some(event_schema::invalid_time_format));
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
    &UNKNOWN_METADATA_KEY,
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
    &UNKNOWN_OPERATOR_TYPE,
    &UNKNOWN_EVENT_ID_FIELD,
    &SEVERAL_EVENT_TIME_FIELDS,
    &INVALID_TIME_FORMAT,
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
