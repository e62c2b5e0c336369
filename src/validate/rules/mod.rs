//! The rule registry: every check meterctl makes, with a stable code, a default severity, a
//! one-line summary and a longer explanation (`meterctl rules`, `meterctl explain CODE`).
//!
//! Codes are never reused. `MC00xx` come from loading and schemas, `MC01xx` are meter rules on one
//! definition, `MC012x` are repository-wide. Per-document rules have a `check` function that
//! reads the parsed JSON value (not the typed model: a rule must still run on a definition that
//! breaks the schema elsewhere) and pushes [`Finding`]s with JSON Pointers.
//!
//! Zuora's own validation rules (`zuora-meter-dialect.md` §4) have no `check` of their own: they
//! run in one pass per area ([`meter`], [`versions`], then per version one [`pipeline`] pass over
//! the tasks that also runs the [`operators`], [`mappings`] and [`references`] rules of each
//! task). Their messages end with Zuora's own message, quoted, so users recognise it.

mod event_schema;
mod field_flow;
mod graph;
mod mappings;
mod meter;
mod operator_type;
mod operators;
mod pipeline;
mod references;
mod secrets;
mod versions;

pub use secrets::{is_literal_credential, is_placeholder, mask_literal_credentials};

use serde_json::{Map, Value};

use super::Finding;
use crate::diagnostic::{codes, Severity};
use crate::model::keys;

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
    "Versions are identified by their version string (Zuora's API addresses /meters/{id}/{version}); give each a unique one. Zuora: \"Version already exists\".",
    Some(versions::duplicate_version));
rule!(DUPLICATE_TASK_ID, "MC0103", "duplicate-task-id", Error,
    "two tasks in one version have the same id",
    "Predecessors refer to task ids, so ids must be unique within a version. Give the task a new id and update the predecessors that meant it. Zuora: \"Duplicate task ID found: {id}\".",
    None);
rule!(UNKNOWN_PREDECESSOR, "MC0104", "unknown-predecessor", Error,
    "a predecessor id matches no task in the same version",
    "Each predecessors[].id must be the id of another task of the same version (Zuora: 70002108 invalid links). Fix the id or remove the link. Zuora: \"Predecessor task not found: {id}\".",
    None);
rule!(TASK_CYCLE, "MC0105", "task-cycle", Error,
    "the task graph has a cycle",
    "A meter flows from sources through processors to sinks; a cycle never ends. The message names the tasks in the cycle: remove one of its links. Zuora: \"Circular dependency detected\".",
    None);
rule!(NO_SOURCE_TASK, "MC0106", "no-source-task", Error,
    "a CUSTOM meter's version has no task with nodeType SOURCE",
    "Events enter a meter through a SOURCE task (Streaming API, file upload, S3, ...). A CUSTOM meter's version with tasks needs at least one; a predefined meter (SUM, COUNT, ...) gets its pipeline from typeDefinition and is not checked. Add a SOURCE task, or fix the nodeType of the task that reads the events. Zuora: \"No SOURCE task found\".",
    None);
rule!(DUPLICATE_TASK_NAME, "MC0107", "duplicate-task-name", Warning,
    "two tasks in one version have the same name",
    "Diffs and reviews match tasks by name because task ids differ per tenant; repeated names make changes ambiguous. Rename one of the tasks.",
    None);
rule!(MISSING_PREDECESSORS, "MC0108", "missing-predecessors", Error,
    "a PROCESSOR or SINK task has no predecessors",
    "Only sources start a pipeline; Zuora rejects processors and sinks without predecessors (70002224). Link the task to the task that feeds it. Zuora: \"PROCESSOR task requires predecessors\" / \"SINK task requires predecessors\".",
    None);
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
    Some(operator_type::unknown_operator_type));
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
rule!(UNPRODUCED_FIELD, "MC0116", "unproduced-field", Warning,
    "a task reads a field that no upstream task produces",
    "meterctl follows the fields through each version's task graph: a SOURCE produces the properties of the event definition it names (schemaName or schemaId, either dialect); FILTER, DEDUPLICATE and PARTITION pass them on; MAP adds its targets and drops excludedFields and sources it renames; AGGREGATOR produces only groupFields, extraKeepFields and its aggregation targets; ACCUMULATOR and the lookups add their targets (appendFields[].eventField, rateField, responseToOutputMapper[].eventField, outputAmountField); SCRIPT_MAP produces the properties of its output schemaId; fan-in is the union of the predecessors. A field a task reads (a filter rule's sourceField, groupFields, aggregationFields[].field, extraKeepFields, an EventTime eventTimeField, sortField, a MAP row's sourceField, specificFields, lookup key fields, a sink's fieldMappings[].field) that reaches it from no upstream task is missing from every event at run time (a filter sees it blank, an aggregation skips it, a required usage mapping makes an error record), and Zuora's import does not check this. Names compare exactly (case-sensitive, as Zuora's field names are); a path such as usage.quantity or items[0] counts as produced when its first segment is. Fix the name, or produce the field upstream (an aggregator keeps a field through extraKeepFields or groupFields). Nothing is reported downstream of what the flow cannot know: an operator it does not model, a script without schemaId, a source without an event definition in the file, placeholders.",
    Some(field_flow::check));
rule!(DUPLICATE_GLOBAL_ID, "MC0120", "duplicate-global-id", Error,
    "two files in the repository have the same globalId",
    "globalId is a meter's portable identity: import updates the meter that has it. Two files with one globalId would overwrite each other. Give one a new globalId.",
    None);
rule!(DUPLICATE_METER_NAME, "MC0121", "duplicate-meter-name", Error,
    "two files in the repository have the same meter name",
    "Meters are paired by name when they have no globalId, and people find them by name in Zuora's UI. Rename one.",
    None);

rule!(BLANK_METER_NAME, "MC0130", "blank-meter-name", Error,
    "the meter's name is blank (or null)",
    "Zuora identifies meters by name in its UI and refuses a meter whose name is blank; meterctl pairs meters by name too. Give the meter a name. (A missing name is a schema finding, MC0010: Zuora's import answers 70002217 for it.) Zuora: \"Meter name cannot be blank\".",
    None);
rule!(DUPLICATE_AGGREGATION_TARGET, "MC0131", "duplicate-aggregation-target", Error,
    "two aggregations of one AGGREGATOR write the same targetField",
    "Each entry of an AGGREGATOR's aggregationFields writes its result into targetField; two entries with one targetField would overwrite each other, so Zuora refuses the meter. Rename one target. Zuora: \"Duplicate aggregation targetField: {name}\".",
    None);
rule!(INVALID_METER_TYPE, "MC0132", "invalid-meter-type", Error,
    "the meter's type is not CUSTOM, DIRECT, DELTA, CUMULATIVE, SUM, MAX, MIN, COUNT or AVG",
    "`type` says whether the meter is a CUSTOM pipeline of tasks or one of Zuora's predefined meters. Only these upper-case values exist. (A missing type is a schema finding, MC0010: Zuora's import answers 70002220 for it.) Zuora: \"Invalid meter type\".",
    None);
rule!(TYPE_DEFINITION_ON_CUSTOM_METER, "MC0133", "type-definition-on-custom-meter", Error,
    "a CUSTOM meter has a typeDefinition",
    "A CUSTOM meter's pipeline is its tasks; typeDefinition only configures predefined meters. Write `typeDefinition: null` or leave it out. Zuora: \"TypeDefinition not allowed for CUSTOM meters\".",
    None);
rule!(MISSING_TYPE_DEFINITION, "MC0134", "missing-type-definition", Error,
    "a predefined meter (SUM, COUNT, ...) has no typeDefinition",
    "A predefined meter's pipeline comes from typeDefinition: its source type, event definition, field mappings and configs. Add one, or make the meter CUSTOM. Zuora: \"TypeDefinition required for predefined meter types\".",
    None);
rule!(INVALID_SOURCE_TYPE, "MC0135", "invalid-source-type", Error,
    "typeDefinition.sourceType is missing or not ZUORA_BULK_API or LOCAL_FILE",
    "A predefined meter reads its events from the Streaming API (ZUORA_BULK_API) or an uploaded file (LOCAL_FILE). Zuora: \"sourceType is required\" / \"Invalid sourceType\".",
    None);
rule!(INVALID_TYPE_DEFINITION_SCHEMA_ID, "MC0136", "invalid-type-definition-schema-id", Error,
    "typeDefinition.schemaId is missing, or neither a numeric id nor STANDARD",
    "A predefined meter names its event definition by numeric id (tenant-specific: a `${{ values.NAME }}` placeholder is accepted) or uses Zuora's STANDARD one. Zuora: \"schemaId is required\" / \"Invalid schemaId\".",
    None);
rule!(MISSING_FIELD_MAPPINGS, "MC0137", "missing-field-mappings", Error,
    "a predefined meter's typeDefinition lacks fieldMappings, or a required mapping",
    "Unless schemaId is STANDARD, typeDefinition.fieldMappings must map accountNumber, uom, startDateTime and quantity (a COUNT meter counts events and needs no quantity). Add the mapping the message names. Zuora: \"fieldMappings required\" / \"Missing required field mapping: {fieldName}\".",
    None);
rule!(MISSING_CUMULATIVE_METHOD, "MC0138", "missing-cumulative-method", Error,
    "a CUMULATIVE meter has no valid typeDefinition.configs.cumulativeMethod",
    "A CUMULATIVE meter accumulates with one of SUM, MIN, MAX, AVG, COUNT or DELTA, given in typeDefinition.configs.cumulativeMethod. Zuora: \"cumulativeMethod required for CUMULATIVE type\".",
    None);
rule!(INVALID_CUMULATIVE_PERIOD, "MC0139", "invalid-cumulative-period", Error,
    "a SUM, MAX, MIN, COUNT or AVG meter has no valid typeDefinition.configs.cumulativePeriod",
    "These predefined meters aggregate per period: day, week, month or year (lower case), given in typeDefinition.configs.cumulativePeriod. Zuora: \"cumulativePeriod required for aggregation types\" / \"Invalid cumulativePeriod: {value}\".",
    None);
rule!(INVALID_VERSION_FORMAT, "MC0140", "invalid-version-format", Error,
    "a version string is not three dot-separated numbers like 0.0.1",
    "Zuora accepts versions matching ^\\d+\\.\\d+\\.\\d+$ only: `1.0`, `v1.0.0` and `1.0.0-beta` are refused. Write it like 1.0.0. Zuora: \"Invalid version format\".",
    None);
rule!(EMPTY_VERSION, "MC0141", "empty-version", Error,
    "a CUSTOM meter's version has no tasks, metadata or versionDetail",
    "A version of a CUSTOM meter must carry something: its tasks (the pipeline), its layout metadata or at least a versionDetail. (A predefined meter's version may be empty: its pipeline comes from typeDefinition.) Zuora: \"Version must include versionDetail, metadata, or tasks\".",
    None);
rule!(MISSING_TASK_ID, "MC0142", "missing-task-id", Error,
    "a task has no id",
    "Predecessors link tasks by id, so every task needs one, unique within its version (any string; Zuora's UI writes UUIDs). Zuora: \"Task id is required\".",
    None);
rule!(MISSING_TASK_NAME, "MC0143", "missing-task-name", Error,
    "a task has no name",
    "Every task needs a name: Zuora's UI shows it, and meterctl's diffs match tasks by name across tenants. Zuora: \"Task name is required\".",
    None);
rule!(NO_SINK_TASK, "MC0144", "no-sink-task", Error,
    "a CUSTOM meter's version has no task with nodeType SINK",
    "Events leave a meter through a SINK task (Usage Records, Event Store, Empty Sink, ...). A CUSTOM meter's version with tasks needs at least one; add one (NOOP discards the events). Zuora: \"No SINK task found\".",
    None);
rule!(UNREACHABLE_TASK, "MC0145", "unreachable-task", Error,
    "a task cannot be reached from any SOURCE task",
    "Every task must receive events: following predecessors back from it must lead to a SOURCE. The finding points at the first task of each unreachable part of the pipeline (its predecessors are missing, unknown or form a cycle); link it to the task that feeds it. Zuora: \"Pipeline contains unreachable tasks\".",
    None);
rule!(SEVERAL_STREAMING_SOURCES, "MC0146", "several-streaming-sources", Error,
    "a version has more than one ZUORA_BULK_API (Streaming API) source",
    "Events posted to a meter's streaming endpoint go to its one Streaming API source, so Zuora allows one per meter. Merge the sources, or read the other stream with another operator. Zuora: \"Only one ZUORA_BULK_API source allowed per meter\".",
    None);
rule!(SOURCE_WITH_PREDECESSORS, "MC0147", "source-with-predecessors", Error,
    "a SOURCE task has predecessors",
    "A SOURCE starts the pipeline and reads from outside the meter; nothing can feed it. Remove its predecessors, or make the task a PROCESSOR. Zuora: \"SOURCE task cannot have predecessors\".",
    None);
rule!(OPERATOR_NOT_VALID_FOR_NODE_TYPE, "MC0148", "operator-not-valid-for-node-type", Error,
    "a task's operatorType exists in Zuora's catalogue, but for another nodeType",
    "Each operatorType belongs to SOURCE, PROCESSOR or SINK (EVENT_STORE, KAFKA, S3, SNOWFLAKE and HTTP exist as both a source and a sink). Fix the nodeType or the operatorType (zuora-meter-dialect §3 lists the catalogue). (An operatorType unknown to the catalogue is MC0112's warning.) Zuora: \"{operatorType} is not a valid {nodeType} operator\".",
    None);
rule!(INVALID_TRIGGER_TYPE, "MC0149", "invalid-trigger-type", Error,
    "an AGGREGATOR's triggerType is missing or not Timeout, AllFiles or EachFile",
    "An AGGREGATOR closes its windows on a timeout (Timeout) or at the end of all files or of each file (AllFiles, EachFile). Realtime, Realtime_Event and Event are other operators' triggers and are refused here. Zuora: \"Invalid triggerType\".",
    None);
rule!(MISSING_TIMEOUT_SETTINGS, "MC0150", "missing-timeout-settings", Error,
    "an AGGREGATOR with a Timeout trigger lacks timeoutType, timeoutDuration or (for EventTime) eventTimeField",
    "A Timeout trigger closes a window after timeoutDuration (\"1 hour\", \"1 day\", ...) measured in EventTime or ProcessingTime (timeoutType); EventTime also needs the event field holding the time (eventTimeField). Zuora: \"timeoutType required\" / \"timeoutDuration required\" / \"eventTimeField required for EventTime timeout\".",
    None);
rule!(INVALID_AGGREGATION_FIELDS, "MC0151", "invalid-aggregation-fields", Error,
    "an AGGREGATOR's aggregationFields is empty, or an entry lacks field, aggregation or targetField",
    "Each aggregation reads `field`, applies `aggregation` (SUM, MIN, MAX, AVG, COUNT or DELTA) and writes `targetField`; an AGGREGATOR needs at least one. Zuora: \"aggregationFields cannot be empty\" (Zuora's reference lists the per-entry checks without a message).",
    None);
rule!(NO_GROUP_OR_TIME_FIELD, "MC0152", "no-group-or-time-field", Warning,
    "an AGGREGATOR has neither groupFields nor a time field",
    "Without a group field or a time field an AGGREGATOR collapses every event of a window into one record. Zuora's validation reference requires one, but Zuora's own examples break the rule, so this is a warning. Zuora: \"At least one group field or time field required\".",
    None);
rule!(MISSING_RULE_COMBINER, "MC0153", "missing-rule-combiner", Error,
    "a FILTER (or a nested rule group) has rules but no ruleCombiner",
    "A rule group combines its rules with `and` or `or`; without ruleCombiner Zuora refuses it. Add `ruleCombiner: and` (or `or`) next to the rules. Zuora: \"ruleCombiner required when rules present\".",
    None);
rule!(INVALID_RULE_COMBINER, "MC0154", "invalid-rule-combiner", Error,
    "a FILTER's ruleCombiner is not `and` or `or` (lower case)",
    "Zuora stores the combiner in lower case: `AND` and `Or` are refused. Write `and` or `or`. Zuora: \"Invalid ruleCombiner\".",
    None);
rule!(INCOMPLETE_FILTER_RULE, "MC0155", "incomplete-filter-rule", Error,
    "a FILTER rule lacks sourceField or operator",
    "A leaf rule compares an event field (sourceField) with an operator (equal, gt, in, blank, ...) and usually a value. Zuora: \"sourceField and operator required for leaf rule\".",
    None);
rule!(MISSING_FILTER_VALUE, "MC0156", "missing-filter-value", Error,
    "a FILTER rule has no value for an operator that needs one",
    "Every operator but blank and notBlank (Is blank, Is not blank) compares with a value; in/notIn take a comma-separated list in one string. Zuora: \"value required for {operator}\".",
    None);
rule!(INVALID_MAP_FIELD, "MC0157", "invalid-map-field", Error,
    "a MAP row lacks targetField or transformType, has an unknown transformType, or a transform without formula",
    "Each row of a MAP's mapFields writes targetField, either copying a field (transformType direct) or evaluating a JavaScript formula (transformType transform, with formula). Zuora: \"transformType required\" / \"targetField required\" / \"Invalid transformType\" / \"formula required for transform type\".",
    None);
rule!(INVALID_LOOKUP_TYPE, "MC0158", "invalid-lookup-type", Error,
    "a SUBSCRIPTION_LOOKUP's lookupType is missing or unknown",
    "lookupType is one of AccountAndChargeName, SubscriptionId, Account, Product, CustomObject, Advanced or ZDP. Zuora: \"lookupType required\" / \"Invalid lookupType\".",
    None);
rule!(MISSING_LOOKUP_FIELDS, "MC0159", "missing-lookup-fields", Error,
    "a SUBSCRIPTION_LOOKUP lacks a key its lookupType needs",
    "AccountAndChargeName needs accountNumberField and chargeNameField; SubscriptionId needs subscriptionIdField; Account, Product and CustomObject need mapFields and appendFields; Advanced also sql; ZDP also table. Zuora refuses the lookup (its reference lists this rule without its own message).",
    None);
rule!(MISSING_RATING_FIELD, "MC0160", "missing-rating-field", Error,
    "a RATING processor lacks keyFields, eventTimeField, eventTimeFormat, qtyField or outputAmountField",
    "RATING prices each event: it needs its key fields (a non-empty list), the event time and its format, the quantity field, and the field the amount is written to. Zuora: \"{field} is required\".",
    None);
rule!(INCOMPLETE_FIELD_MAPPING, "MC0161", "incomplete-field-mapping", Error,
    "a ZUORA_USAGE or ZUORA_RATING field mapping lacks name or field",
    "Each of a usage or rating sink's fieldMappings names the record's field (name) and the event field it comes from (field). Zuora: \"Field mapping name required\" / \"Field mapping field required\".",
    None);
rule!(UNMAPPED_REQUIRED_FIELD, "MC0162", "unmapped-required-field", Error,
    "a ZUORA_USAGE or ZUORA_RATING sink does not map a required field",
    "Usage records need accountNumber, quantity, uom and startDateTime; rating records need AccountNumber, Quantity, PRPC_id and StartDateTime (names compared without regard to case). Add a mapping with that name. Zuora: \"Required field not mapped: {name}\".",
    None);
rule!(NO_SUBSCRIPTION_OR_CHARGE_MAPPING, "MC0163", "no-subscription-or-charge-mapping", Warning,
    "a ZUORA_USAGE or ZUORA_RATING sink maps neither subscriptionNumber nor chargeNumber",
    "Zuora matches usage to a charge through the subscription or charge number. Zuora's validation reference requires one of them, but an official example maps neither (the account's charge is then found by uom), so this is a warning. Zuora: \"Required field not mapped: subscriptionNumber\".",
    None);
rule!(INVALID_DATE_FORMAT, "MC0164", "invalid-date-format", Error,
    "a date format is not a valid Java date pattern (or epoch_ms / epoch_s)",
    "dateFormat (typeDefinition and sink field mappings), eventTimeFormat (operators and typeDefinition.configs) and CURRENCY_LOOKUP's dateField.timeFormat are Java SimpleDateFormat patterns such as yyyy-MM-dd'T'HH:mm:ss, or Zuora's tokens epoch_ms and epoch_s. Literal text must be quoted ('T'); the message gives the parser's reason. Zuora: \"Invalid dateFormat: {format}\".",
    None);
rule!(INVALID_SCRIPT_LANGUAGE, "MC0165", "invalid-script-language", Error,
    "a SCRIPT_* operator's language is missing or not JS or PYTHON",
    "Script operators (SCRIPT_MAP, SCRIPT_FILTER, SCRIPT_AGGREGATOR, SCRIPT_ACCUMULATOR, SCRIPT_CORRELATOR) run `source` in JS or PYTHON (upper case). Zuora: \"language required for script operator\" / \"Invalid language\".",
    None);
rule!(UNKNOWN_EVENT_DEFINITION, "MC0166", "unknown-event-definition", Error,
    "a task's schemaId or schemaName names no event definition in schemas[]",
    "In an import or export file, a task's metadata.schemaId/schemaName (and an EVENT_STORE sink's schemaId) is the event definition's name (Zuora's importable skeleton says so; Zuora resolves it by name on import), so it must match one of schemas[].name (an `(N)` id suffix is ignored). The check runs only when schemas[] is non-empty; `${{ values.NAME }}` placeholders are not checked. Fix the name or add the event definition. (Store names are not checked: stores are not part of the file.)",
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
    &UNPRODUCED_FIELD,
    &DUPLICATE_GLOBAL_ID,
    &DUPLICATE_METER_NAME,
    &BLANK_METER_NAME,
    &DUPLICATE_AGGREGATION_TARGET,
    &INVALID_METER_TYPE,
    &TYPE_DEFINITION_ON_CUSTOM_METER,
    &MISSING_TYPE_DEFINITION,
    &INVALID_SOURCE_TYPE,
    &INVALID_TYPE_DEFINITION_SCHEMA_ID,
    &MISSING_FIELD_MAPPINGS,
    &MISSING_CUMULATIVE_METHOD,
    &INVALID_CUMULATIVE_PERIOD,
    &INVALID_VERSION_FORMAT,
    &EMPTY_VERSION,
    &MISSING_TASK_ID,
    &MISSING_TASK_NAME,
    &NO_SINK_TASK,
    &UNREACHABLE_TASK,
    &SEVERAL_STREAMING_SOURCES,
    &SOURCE_WITH_PREDECESSORS,
    &OPERATOR_NOT_VALID_FOR_NODE_TYPE,
    &INVALID_TRIGGER_TYPE,
    &MISSING_TIMEOUT_SETTINGS,
    &INVALID_AGGREGATION_FIELDS,
    &NO_GROUP_OR_TIME_FIELD,
    &MISSING_RULE_COMBINER,
    &INVALID_RULE_COMBINER,
    &INCOMPLETE_FILTER_RULE,
    &MISSING_FILTER_VALUE,
    &INVALID_MAP_FIELD,
    &INVALID_LOOKUP_TYPE,
    &MISSING_LOOKUP_FIELDS,
    &MISSING_RATING_FIELD,
    &INCOMPLETE_FIELD_MAPPING,
    &UNMAPPED_REQUIRED_FIELD,
    &NO_SUBSCRIPTION_OR_CHARGE_MAPPING,
    &INVALID_DATE_FORMAT,
    &INVALID_SCRIPT_LANGUAGE,
    &UNKNOWN_EVENT_DEFINITION,
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
    check_enabled(value, out, |_| true);
}

/// Runs the per-document rules; a registered rule whose code `enabled` turns off is not run at
/// all (so `--allow MC0116` also saves the field flow's work). The checks grouped below the
/// registry are cheap and always run; their findings are filtered by the caller.
pub fn check_enabled(value: &Value, out: &mut Vec<Finding>, enabled: impl Fn(&str) -> bool) {
    for rule in RULES {
        if let Some(f) = rule.check {
            if enabled(rule.code) {
                f(value, out);
            }
        }
    }
    let meter = meter::check(value, out);
    versions::check(value, &meter, out);
    for (vi, v) in versions(value) {
        pipeline::check_version(&meter, vi, v, out);
    }
}

/// `message` followed by Zuora's own message, quoted: `… (Zuora: "Invalid ruleCombiner")`.
fn zuora(message: impl std::fmt::Display, zuora: impl std::fmt::Display) -> String {
    format!("{message} (Zuora: \"{zuora}\")")
}

/// Checks a Java date pattern (`dateFormat`, `eventTimeFormat`, `timeFormat`) held in `value`;
/// placeholders and non-strings (the schema's business) pass.
fn date_format(
    value: Option<&Value>,
    key: &str,
    pointer: impl FnOnce() -> String,
    out: &mut Vec<Finding>,
) {
    let Some(Value::String(s)) = value else {
        return;
    };
    if is_placeholder(s) {
        return;
    }
    if let Err(e) = crate::model::date_pattern::check(s) {
        out.push(Finding::new(
            INVALID_DATE_FORMAT.code,
            pointer(),
            zuora(
                format_args!("{key} {s:?} is not a Java date pattern (or epoch_ms, epoch_s): {e}"),
                format_args!("Invalid dateFormat: {s}"),
            ),
        ));
    }
}

/// One task being checked, with what its messages and pointers need.
struct TaskRef<'a> {
    vi: usize,
    ti: usize,
    task: &'a Map<String, Value>,
    /// The task's `metadata` when it is an object.
    metadata: Option<&'a Map<String, Value>>,
}

impl TaskRef<'_> {
    /// The pointer of `rest` (`""` or `/metadata/...`) inside this task.
    fn at(&self, rest: impl std::fmt::Display) -> String {
        format!("/versions/{}/tasks/{}{rest}", self.vi, self.ti)
    }

    /// `"Daily"` (the task's name) or `tasks[3]`, written only when a message is.
    fn label(&self) -> TaskLabel<'_> {
        TaskLabel(self.ti, self.task)
    }
}

/// A task's label for messages; see [`TaskRef::label`].
#[derive(Clone, Copy)]
struct TaskLabel<'a>(usize, &'a Map<String, Value>);

impl std::fmt::Display for TaskLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match str_field(self.1, "name") {
            Some(n) => write!(f, "{n:?}"),
            None => write!(f, "tasks[{}]", self.0),
        }
    }
}

/// A non-blank string.
fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    str_field(o, key).filter(|s| !s.trim().is_empty())
}

/// Whether `key` holds something: not absent, null, a blank string or an empty list.
fn has(o: &Map<String, Value>, key: &str) -> bool {
    match get(o, key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// `versions` as (index, object) pairs.
fn versions(value: &Value) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    objects(value.get(keys::VERSIONS))
}

/// `tasks` of a version as (index, object) pairs.
fn tasks(version: &Map<String, Value>) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    objects(version.get(keys::TASKS))
}

fn objects(list: Option<&Value>) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.as_object().map(|o| (i, o)))
}

fn str_field<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    get(o, key).and_then(Value::as_str)
}

/// `o.get(key)`, by scanning the members of a small object (cheaper than hashing the key, and
/// the objects rules read have a handful of members).
fn get<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    crate::model::graph::field(o, key)
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
    use serde_json::json;

    fn codes(v: &Value) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        check(v, &mut out);
        out.into_iter().map(|f| (f.code, f.pointer)).collect()
    }

    /// `check_enabled` may skip a registered rule only because its check reports nothing but
    /// its own code: held over every rule fixture.
    #[test]
    fn a_registered_check_reports_only_its_own_code() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
        let mut files = 0;
        for dir in std::fs::read_dir(root).unwrap() {
            for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                let Ok(doc) = crate::load::load_file(&path) else {
                    continue;
                };
                files += 1;
                for rule in RULES {
                    let Some(f) = rule.check else { continue };
                    let mut out = Vec::new();
                    f(&doc.value, &mut out);
                    for finding in out {
                        assert_eq!(finding.code, rule.code, "{}", path.display());
                    }
                }
            }
        }
        assert!(files > 50, "{files}");
    }

    fn custom(tasks: Value) -> Value {
        json!({"name": "m", "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.1",
               "versions": [{"version": "0.0.1", "tasks": tasks}]})
    }

    /// A task (shared with the rule files' tests).
    pub(super) fn t(id: &str, node: &str, op: &str, metadata: Value, preds: &[&str]) -> Value {
        let preds: Vec<Value> = preds.iter().map(|p| json!({"id": p})).collect();
        json!({"id": id, "name": id, "nodeType": node, "operatorType": op,
               "metadata": metadata, keys::PREDECESSORS: preds})
    }

    fn pipeline(middle: Value) -> Value {
        custom(json!([
            t("a", "SOURCE", "LOCAL_FILE", json!({}), &[]),
            middle,
            t("z", "SINK", "NOOP", json!({}), &["b"]),
        ]))
    }

    #[test]
    fn a_clean_pipeline_has_no_findings() {
        assert_eq!(
            codes(&pipeline(t(
                "b",
                "PROCESSOR",
                "DEDUPLICATE",
                json!({}),
                &["a"]
            ))),
            []
        );
        // A predefined meter's version may have no tasks at all.
        let sum = json!({"name": "m", "type": "COUNT", "latestVersion": "0.0.1",
            "typeDefinition": {"sourceType": "LOCAL_FILE", "schemaId": 12, "configs": {"cumulativePeriod": "day"},
                "fieldMappings": [{"name": "accountNumber"}, {"name": "UOM"}, {"name": "startDateTime"}]},
            "versions": [{"version": "0.0.1"}]});
        assert_eq!(codes(&sum), []);
        // STANDARD needs no field mappings.
        let mut std = sum.clone();
        std["typeDefinition"]["schemaId"] = json!("STANDARD");
        std["typeDefinition"]
            .as_object_mut()
            .unwrap()
            .remove("fieldMappings");
        assert_eq!(codes(&std), []);
    }

    #[test]
    fn operator_types_of_another_node_type_and_unknown_ones() {
        let v = pipeline(t("b", "PROCESSOR", "NOOP", json!({}), &["a"]));
        assert_eq!(
            codes(&v),
            [("MC0148", "/versions/0/tasks/1/operatorType".into())]
        );
        // Unknown everywhere: MC0112's business (a warning), not this rule's.
        assert_eq!(
            codes(&pipeline(t("b", "PROCESSOR", "NOPE", json!({}), &["a"]))),
            [("MC0112", "/versions/0/tasks/1/operatorType".into())]
        );
        // EVENT_STORE is a source and a sink.
        let v = custom(json!([
            t("a", "SOURCE", "EVENT_STORE", json!({"storeId": "s"}), &[]),
            t("b", "SINK", "EVENT_STORE", json!({"storeId": "s"}), &["a"]),
        ]));
        assert_eq!(codes(&v), []);
    }

    #[test]
    fn one_streaming_source_per_version_not_per_file() {
        let src = |id| t(id, "SOURCE", "ZUORA_BULK_API", json!({}), &[]);
        let mut v = custom(json!([src("a"), t("b", "SINK", "NOOP", json!({}), &["a"])]));
        let version = v["versions"][0].clone();
        let mut second = version.clone();
        second["version"] = json!("0.0.2");
        v["versions"] = json!([version, second]);
        assert_eq!(codes(&v), []);
        let v = custom(json!([
            src("a"),
            src("c"),
            t("b", "SINK", "NOOP", json!({}), &["a", "c"])
        ]));
        assert_eq!(
            codes(&v),
            [("MC0146", "/versions/0/tasks/1/operatorType".into())]
        );
    }

    #[test]
    fn unreachable_parts_are_reported_once_at_their_first_task() {
        // b has no predecessors; c and the sink hang off it.
        let v = custom(json!([
            t("a", "SOURCE", "LOCAL_FILE", json!({}), &[]),
            t("z", "SINK", "NOOP", json!({}), &["c"]),
            t("c", "PROCESSOR", "DEDUPLICATE", json!({}), &["b"]),
            t("b", "PROCESSOR", "DEDUPLICATE", json!({}), &[]),
            t("y", "SINK", "NOOP", json!({}), &["a"]),
        ]));
        let found = codes(&v);
        assert!(
            found.contains(&("MC0145", "/versions/0/tasks/3".into())),
            "{found:?}"
        );
        assert_eq!(
            found.iter().filter(|f| f.0 == "MC0145").count(),
            1,
            "{found:?}"
        );
        // Listed in reverse order but all reachable.
        let v = custom(json!([
            t("z", "SINK", "NOOP", json!({}), &["b"]),
            t("b", "PROCESSOR", "DEDUPLICATE", json!({}), &["a"]),
            t("a", "SOURCE", "LOCAL_FILE", json!({}), &[]),
        ]));
        assert_eq!(codes(&v), []);
        // A cycle no source feeds.
        let v = custom(json!([
            t("a", "SOURCE", "LOCAL_FILE", json!({}), &[]),
            t("y", "SINK", "NOOP", json!({}), &["a"]),
            t("b", "PROCESSOR", "DEDUPLICATE", json!({}), &["c"]),
            t("c", "PROCESSOR", "DEDUPLICATE", json!({}), &["b"]),
        ]));
        let found: Vec<_> = codes(&v).into_iter().map(|f| f.0).collect();
        assert_eq!(found, ["MC0105", "MC0145"]);
    }

    #[test]
    fn custom_versions_need_a_source_a_sink_and_content() {
        let v = custom(json!([]));
        let found: Vec<_> = codes(&v).into_iter().map(|f| f.0).collect();
        assert_eq!(found, ["MC0141", "MC0106", "MC0144"]);
    }

    #[test]
    fn filter_rule_trees_in_both_operator_spellings() {
        let filter = |md: Value| pipeline(t("b", "PROCESSOR", "FILTER", md, &["a"]));
        let ok = json!({"ruleCombiner": "or", "rules": [
            {"sourceField": "x", "operator": "Is blank"},
            {"sourceField": "x", "operator": "Equals", "value": ""},
            {"ruleCombiner": "and", "rules": [{"sourceField": "y", "operator": "in", "value": "EU,US"}]},
            {"ruleCombiner": "and", "rules": []}
        ]});
        assert_eq!(codes(&filter(ok)), []);
        // No rules, no combiner needed.
        assert_eq!(codes(&filter(json!({}))), []);
        let bad = json!({"ruleCombiner": "Or", "rules": [
            {"ruleCombiner": "and", "rules": [{"rules": [{"operator": "Equals"}]}]}
        ]});
        assert_eq!(
            codes(&filter(bad)),
            [
                ("MC0154", "/versions/0/tasks/1/metadata/ruleCombiner".into()),
                (
                    "MC0153",
                    "/versions/0/tasks/1/metadata/rules/0/rules/0".into()
                ),
                (
                    "MC0155",
                    "/versions/0/tasks/1/metadata/rules/0/rules/0/rules/0".into()
                ),
                (
                    "MC0156",
                    "/versions/0/tasks/1/metadata/rules/0/rules/0/rules/0".into()
                ),
            ]
        );
    }

    #[test]
    fn date_patterns_everywhere_they_live() {
        let v = custom(json!([
            t("a", "SOURCE", "LOCAL_FILE", json!({}), &[]),
            t(
                "b",
                "PROCESSOR",
                "CURRENCY_LOOKUP",
                json!({"dateField": {"field": "d", "timeFormat": "yyyy-mm-ddTHH"}}),
                &["a"]
            ),
            t(
                "c",
                "PROCESSOR",
                "AGGREGATOR",
                json!({"triggerType": "AllFiles", "eventTimeFormat": "iso", "extraKeepFields": ["d"],
                "groupFields": ["g"], "aggregationFields": [{"field": "q", "aggregation": "SUM", "targetField": "t"}]}),
                &["b"]
            ),
            t(
                "z",
                "SINK",
                "EVENT_STORE",
                json!({"fieldMappings": [{"name": "startDateTime", "field": "d", "dateFormat": "'unterminated"}]}),
                &["c"]
            ),
        ]));
        assert_eq!(
            codes(&v),
            [
                (
                    "MC0164",
                    "/versions/0/tasks/1/metadata/dateField/timeFormat".into()
                ),
                (
                    "MC0164",
                    "/versions/0/tasks/2/metadata/eventTimeFormat".into()
                ),
                (
                    "MC0164",
                    "/versions/0/tasks/3/metadata/fieldMappings/0/dateFormat".into()
                ),
            ]
        );
    }

    #[test]
    fn schema_references_by_name_only_when_schemas_are_given() {
        let mut v = custom(json!([
            t(
                "a",
                "SOURCE",
                "LOCAL_FILE",
                json!({"schemaId": "rides", "schemaName": "rides(12)"}),
                &[]
            ),
            t(
                "z",
                "SINK",
                "EVENT_STORE",
                json!({"storeId": "s", "schemaId": "ride"}),
                &["a"]
            ),
        ]));
        assert_eq!(codes(&v), []);
        v["schemas"] = json!([{"name": "rides(12)"}]);
        assert_eq!(
            codes(&v),
            [("MC0166", "/versions/0/tasks/1/metadata/schemaId".into())]
        );
    }

    #[test]
    fn rules_survive_any_shape() {
        for v in [
            json!(null),
            json!([]),
            json!({"versions": 3}),
            json!({"versions": [null, {"tasks": {}}, {"tasks": [null, 1, {"metadata": []}]}]}),
            json!({"type": 7, "typeDefinition": [], "name": 1}),
            json!({"type": "SUM", "typeDefinition": {"fieldMappings": [1, null], "configs": 3}}),
            custom(
                json!([{"nodeType": "PROCESSOR", "operatorType": "FILTER", keys::PREDECESSORS: 5,
                "metadata": {"rules": [1, {"rules": 2}], "ruleCombiner": 3}}]),
            ),
            custom(
                json!([{"operatorType": "AGGREGATOR", "metadata": {"aggregationFields": [1, {"aggregation": 2}], "triggerType": []}}]),
            ),
            custom(json!([{"operatorType": "ZUORA_USAGE", "metadata": {"fieldMappings": {}}}])),
        ] {
            let mut out = Vec::new();
            check(&v, &mut out);
        }
        // A deeply nested filter stops at the depth limit instead of overflowing the stack.
        let mut group = json!({"sourceField": "x", "operator": "gt"});
        for _ in 0..200 {
            group = json!({"ruleCombiner": "and", "rules": [group]});
        }
        let mut out = Vec::new();
        check(
            &pipeline(t("b", "PROCESSOR", "FILTER", group, &["a"])),
            &mut out,
        );
        assert!(out.is_empty());
    }

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
