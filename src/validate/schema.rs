//! The JSON Schema side of validation: the embedded meter schema, users' extra schemas, and the
//! translation of schema errors into [`Finding`]s (best-matching branch for `anyOf`/`oneOf`,
//! unknown top-level and task fields as their own rule, unknown keys in a task's `metadata` as
//! another, both with a "did you mean" hint).
//!
//! The meter schema dispatches each task's `metadata` to the schema of its `nodeType` +
//! `operatorType` pair with `if`/`then` on the two constants (one `$defs` entry per operator of
//! [`crate::model::catalogue::OPERATORS`]), so an error inside `metadata` keeps its own pointer.
//! Each per-operator schema is closed (`additionalProperties: false`); that error becomes the
//! warning MC0013 with a suggestion from the operator's catalogue keys. A unit test keeps the
//! schema and the catalogue in step.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jsonschema::error::ValidationErrorKind;
use jsonschema::ValidationError;
use serde_json::Value;

use super::rules;
use super::suggest::{best_branch, suggest};
use super::Finding;
use crate::model::catalogue;
use crate::model::keys::order::{TASK as KNOWN_TASK, TOP as KNOWN_TOP};
use crate::model::{graph, keys};

/// The schemas embedded in the binary: name and text.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "meter-definition",
        include_str!("../../schemas/meter-definition.schema.json"),
    ),
    (
        "meterctl-config",
        include_str!("../../schemas/meterctl-config.schema.json"),
    ),
];

/// The text of an embedded schema.
pub fn embedded(name: &str) -> Option<&'static str> {
    let name = name.trim_end_matches(".json").trim_end_matches(".schema");
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Compiled schemas for one run.
pub struct Schemas {
    /// The meter schema without the per-operator dispatch of task `metadata`.
    meter: jsonschema::Validator,
    /// nodeType → operatorType → the validator of that operator's `metadata`.
    metadata: HashMap<String, HashMap<String, jsonschema::Validator>>,
    extra: Vec<(String, jsonschema::Validator)>,
}

/// The per-operator dispatch of the meter schema (`$defs.task.allOf`): for each nodeType, each
/// operatorType and the `$defs` entry of its `metadata` schema.
fn dispatch(schema: &Value) -> Vec<(&str, &str, &str)> {
    fn konst<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
        v["if"]["properties"][key]["const"].as_str()
    }
    let mut out = Vec::new();
    for node in schema["$defs"]["task"]["allOf"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(n) = konst(node, keys::NODE_TYPE) else {
            continue;
        };
        for op in node["then"]["allOf"].as_array().into_iter().flatten() {
            let target = op["then"]["properties"][keys::METADATA]["$ref"].as_str();
            if let (Some(o), Some(r)) = (konst(op, keys::OPERATOR_TYPE), target) {
                out.push((n, o, r.trim_start_matches("#/$defs/")));
            }
        }
    }
    out
}

/// A schema of its own for `$defs[name]`, carrying the `$defs` entries it refers to.
fn standalone_def(schema: &Value, name: &str) -> Value {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.extend(r.strip_prefix("#/$defs/"));
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let defs = &schema["$defs"];
    let mut needed: Vec<&str> = vec![name];
    let mut i = 0;
    while i < needed.len() {
        let mut found = Vec::new();
        refs(&defs[needed[i]], &mut found);
        for f in found {
            if !needed.contains(&f) {
                needed.push(f);
            }
        }
        i += 1;
    }
    let kept: serde_json::Map<String, Value> = needed
        .iter()
        .map(|n| (n.to_string(), defs[*n].clone()))
        .collect();
    serde_json::json!({"$schema": schema["$schema"], "$defs": kept, "$ref": format!("#/$defs/{name}")})
}

impl Schemas {
    /// Compiles the embedded meter schema and each extra schema file.
    ///
    /// The per-operator `metadata` schemas are compiled one by one and the meter schema without
    /// its `if`/`then` dispatch: a task's `metadata` is then checked by one hash lookup instead
    /// of one `if` per operator (the same findings, at a fraction of the cost).
    pub fn compile(extra: &[PathBuf]) -> Result<Schemas, SchemaError> {
        let mut full: Value = serde_json::from_str(EMBEDDED[0].1).expect("embedded schema is JSON");
        let mut metadata: HashMap<String, HashMap<String, jsonschema::Validator>> = HashMap::new();
        for (node, op, def) in dispatch(&full) {
            let v = jsonschema::validator_for(&standalone_def(&full, def))
                .expect("embedded metadata schema compiles");
            metadata
                .entry(node.to_string())
                .or_default()
                .insert(op.to_string(), v);
        }
        if let Some(task) = full["$defs"]["task"].as_object_mut() {
            task.remove("allOf");
        }
        let meter = jsonschema::validator_for(&full).expect("embedded schema compiles");
        let extra = extra
            .iter()
            .map(|p| compile_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Schemas {
            meter,
            metadata,
            extra,
        })
    }

    /// Each task's `metadata` with its pointer and the validator of its operator.
    fn task_metadata<'v>(
        &'v self,
        value: &'v Value,
    ) -> impl Iterator<Item = (usize, usize, &'v Value, &'v jsonschema::Validator)> + 'v {
        let list = |v: Option<&'v Value>| v.and_then(Value::as_array).into_iter().flatten();
        list(value.get(keys::VERSIONS))
            .enumerate()
            .flat_map(move |(vi, v)| {
                list(v.get(keys::TASKS))
                    .enumerate()
                    .map(move |(ti, t)| (vi, ti, t))
            })
            .filter_map(move |(vi, ti, t)| {
                let node = graph::node_type(t)?;
                let op = graph::operator_type(t)?;
                let validator = self.metadata.get(node)?.get(op)?;
                Some((vi, ti, t.get(keys::METADATA)?, validator))
            })
    }

    /// Checks a definition against every schema.
    pub fn check(&self, value: &Value, out: &mut Vec<Finding>) {
        if !self.meter.is_valid(value) {
            for e in self.meter.iter_errors(value) {
                translate(&e, rules::SCHEMA.code, "", "", value, out);
            }
        }
        for (vi, ti, metadata, validator) in self.task_metadata(value) {
            if !validator.is_valid(metadata) {
                let base = format!("/versions/{vi}/tasks/{ti}/metadata");
                for e in validator.iter_errors(metadata) {
                    translate(&e, rules::SCHEMA.code, "", &base, value, out);
                }
            }
        }
        for (label, v) in &self.extra {
            if !v.is_valid(value) {
                for e in v.iter_errors(value) {
                    translate(
                        &e,
                        rules::CUSTOM_SCHEMA.code,
                        &format!("{label}: "),
                        "",
                        value,
                        out,
                    );
                }
            }
        }
    }
}

/// Why an extra schema (`--schema`, `validate.schemas`) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file cannot be read or parsed.
    #[error("schema {0}")]
    Load(crate::diagnostic::Diagnostic),
    /// It is JSON, but not a JSON Schema the validator accepts.
    #[error("{path} is not a usable JSON Schema")]
    Unusable {
        /// The file, as shown.
        path: String,
        /// The validator's words.
        #[source]
        source: SchemaDetail,
    },
}

/// The JSON Schema compiler's message about a schema it refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SchemaDetail(String);

fn compile_file(path: &Path) -> Result<(String, jsonschema::Validator), SchemaError> {
    let shown = crate::fsutil::display(path).into_owned();
    let doc = crate::load::load_file(path).map_err(SchemaError::Load)?;
    let v = jsonschema::validator_for(&doc.value).map_err(|e| SchemaError::Unusable {
        path: shown.clone(),
        source: SchemaDetail(e.to_string()),
    })?;
    let label = path.file_name().map_or(shown.clone(), |n| {
        crate::fsutil::escape(&n.to_string_lossy()).into_owned()
    });
    Ok((label, v))
}

/// Where unknown fields are a rule of their own (warnings unless `--strict`).
fn is_closed_object(pointer: &str) -> bool {
    if pointer.is_empty() {
        return true;
    }
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    matches!(parts.as_slice(), [keys::VERSIONS, v, keys::TASKS, t]
        if v.bytes().all(|b| b.is_ascii_digit()) && t.bytes().all(|b| b.is_ascii_digit()))
}

/// The task that owns `pointer` when it is `/versions/N/tasks/M/metadata`.
fn metadata_owner<'v>(pointer: &str, root: &'v Value) -> Option<&'v Value> {
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [keys::VERSIONS, v, keys::TASKS, t, keys::METADATA] if all_digits(v) && all_digits(t) => {
            root.pointer(&format!("/versions/{v}/tasks/{t}"))
        }
        _ => None,
    }
}

/// MC0013 findings for keys the operator's catalogue entry does not list.
fn unknown_metadata_keys(
    task: &Value,
    pointer: &str,
    unexpected: &[String],
    out: &mut Vec<Finding>,
) {
    let field = |k: &str| task.get(k).and_then(Value::as_str).unwrap_or("");
    let (node, op) = (field(keys::NODE_TYPE), field(keys::OPERATOR_TYPE));
    let task_name = match task.get(keys::NAME).and_then(Value::as_str) {
        Some(n) => format!("task {n:?} ({node} {op})"),
        None => format!("a {node} {op} task"),
    };
    let known = catalogue::operator(node, op)
        .and_then(|o| o.keys)
        .unwrap_or(&[]);
    for key in unexpected {
        let at = format!("{pointer}/{}", crate::load::locate::escape_token(key));
        let mut msg = format!("unknown key `{key}` in the metadata of {task_name}");
        match suggest(key, known) {
            Some(s) => msg.push_str(&format!("; did you mean `{s}`?")),
            None if known.is_empty() => msg.push_str(&format!(
                "; Zuora's catalogue lists no metadata keys for {op}"
            )),
            None => msg.push_str(&format!(
                "; Zuora's catalogue lists {} (remove it if it is a typo)",
                known.join(", ")
            )),
        }
        out.push(Finding::new(rules::UNKNOWN_METADATA_KEY.code, at, msg).at_key());
    }
}

/// Turns one schema error into findings. `base` is the pointer of the value the schema checked
/// (empty for the whole definition, a task's `metadata` for an operator's schema).
fn translate(
    e: &ValidationError<'_>,
    code: &'static str,
    prefix: &str,
    base: &str,
    root: &Value,
    out: &mut Vec<Finding>,
) {
    // A placeholder (`${{ values.X }}`, `${{ env.X }}`, ...) stands for a per-environment value:
    // the value it renders to is what Zuora sees, so an enum or pattern cannot judge the
    // placeholder itself. The meter rules skip the same values (`rules::is_placeholder`).
    if e.instance().as_str().is_some_and(rules::is_placeholder) {
        return;
    }
    let pointer = format!("{base}{}", e.instance_path());
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } if code == rules::SCHEMA.code => {
            if let Some(task) = metadata_owner(&pointer, root) {
                return unknown_metadata_keys(task, &pointer, unexpected, out);
            }
            let closed = is_closed_object(&pointer);
            let known = if pointer.is_empty() {
                KNOWN_TOP
            } else {
                KNOWN_TASK
            };
            for key in unexpected {
                let at = format!("{pointer}/{}", crate::load::locate::escape_token(key));
                let mut msg = format!(
                    "unknown field `{key}` {}",
                    if pointer.is_empty() {
                        "at the top level"
                    } else {
                        "in a task"
                    }
                );
                match suggest(key, known) {
                    Some(s) => msg.push_str(&format!("; did you mean `{s}`?")),
                    None => msg.push_str(
                        "; remove it if it is a typo (Zuora's exports may carry fields its documentation does not list)",
                    ),
                }
                let c = if closed {
                    rules::UNKNOWN_FIELD.code
                } else {
                    code
                };
                out.push(Finding::new(c, at, msg).at_key());
            }
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match best_branch(context) {
                Some(branch) => branch
                    .iter()
                    .for_each(|e| translate(e, code, prefix, base, root, out)),
                None => out.push(Finding::new(
                    code,
                    pointer,
                    format!("{prefix}{}", message(e)),
                )),
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or(property.to_string(), |s| s.to_string());
            let mut f = Finding::new(
                code,
                pointer,
                format!("{prefix}missing required field `{name}`; add it"),
            );
            f.missing = Some(name);
            out.push(f);
        }
        _ => out.push(Finding::new(
            code,
            pointer,
            format!("{prefix}{}", message(e)),
        )),
    }
}

fn message(e: &ValidationError<'_>) -> String {
    let text = e.to_string();
    // Long instances (a whole task) make unreadable messages; the pointer and code frame show it.
    if text.len() > 300 {
        let keyword = e.kind().keyword().to_string();
        format!(
            "value does not satisfy `{keyword}` of the schema at {}",
            e.schema_path()
        )
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn findings(v: Value) -> Vec<Finding> {
        let s = Schemas::compile(&[]).unwrap();
        let mut out = Vec::new();
        s.check(&v, &mut out);
        out
    }

    /// (code, pointer) of each finding.
    fn located(v: Value) -> Vec<(&'static str, String)> {
        findings(v)
            .into_iter()
            .map(|f| (f.code, f.pointer))
            .collect()
    }

    fn task(id: &str, node: &str, op: &str, metadata: Value, pred: &[&str]) -> Value {
        let preds: Vec<Value> = pred.iter().map(|p| json!({ "id": p })).collect();
        json!({"id": id, "name": id, "uniqueName": "a", "internalName": null, "nodeType": node,
               "operatorType": op, "metadata": metadata, keys::PREDECESSORS: preds})
    }

    /// A CUSTOM meter in Zuora's dialect: source, one processor, a Usage Records sink.
    fn meter(processor: Value) -> Value {
        json!({"name": "m", "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "metadata": {"flowDirection": "vertical"}, "tasks": [
            task("src", "SOURCE", "ZUORA_BULK_API", json!({"schemaId": "usage", "schemaName": "usage", "keyFields": ["Id"]}), &[]),
            processor,
            task("sink", "SINK", "ZUORA_USAGE", json!({"fieldMappings": [
                {"name": "accountNumber", "field": "Account"},
                {"name": "startDateTime", "field": "At", "dateFormat": "epoch_ms"}
            ], "usageKeyGenerationMethod": "UUID"}), &["p"]),
        ]}]})
    }

    fn with(node: &str, op: &str, metadata: Value) -> Value {
        meter(task("p", node, op, metadata, &["src"]))
    }

    fn filter(metadata: Value) -> Value {
        with("PROCESSOR", "FILTER", metadata)
    }

    #[test]
    fn real_dialect_definitions_are_valid() {
        let rules = json!([
            {"sourceField": "Region", "operator": "equal", "value": "EU"},
            {"sourceField": "Region", "operator": "Equals", "value": "EU"},
            {"sourceField": "Plan", "operator": "notBlank"},
            {"ruleCombiner": "or", "rules": [{"sourceField": "Qty", "operator": "Greater Than", "value": "1.5"}]}
        ]);
        assert_eq!(
            located(filter(json!({"ruleCombiner": "and", "rules": rules}))),
            []
        );
        // Placeholders in tenant-specific strings; an operator whose keys the catalogue omits.
        assert_eq!(
            located(with(
                "PROCESSOR",
                "HTTP",
                json!({"connectionName": "${{ values.http }}", "httpRequestConfig": {"timeout": 60000},
                   "httpOutputConfig": {"responseToOutputMapper": [
                       {"responseField": "tier", "eventField": "Tier"}, {"field": "Tier", "jsonPath": "$.tier"}]}})
            )),
            []
        );
        let mut v = with("SINK", "HTTP", json!({"anything": 1}));
        v["versions"][0]["tasks"][2][keys::PREDECESSORS] = json!([{"id": "src"}]);
        assert_eq!(located(v), []);
        // A predefined meter: numeric schemaId, no tasks; version metadata as a string.
        let v = json!({"name": "m", "type": "SUM", "latestVersion": "0.0.1",
            "typeDefinition": {"sourceType": "ZUORA_BULK_API", "schemaId": 1234, "fieldMappings": [], "configs": {}},
            "versions": [{"version": "0.0.1", "metadata": "{\"positions\": {}}"}, {"version": "0.0.2", "tasks": [], "metadata": null}]});
        assert_eq!(located(v), []);
    }

    #[test]
    fn enum_errors_point_at_the_value() {
        let v = filter(json!({"ruleCombiner": "AND", "rules": []}));
        let f = findings(v);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].code, f[0].pointer.as_str()),
            ("MC0010", "/versions/0/tasks/1/metadata/ruleCombiner")
        );
        assert!(f[0].message.contains("\"and\""), "{}", f[0].message);
        let v = filter(json!({"ruleCombiner": "and", "rules": [
            {"ruleCombiner": "Or", "rules": [{"sourceField": "a", "operator": "EQUALS", "value": "x"}]}
        ]}));
        assert_eq!(
            located(v),
            [
                (
                    "MC0010",
                    "/versions/0/tasks/1/metadata/rules/0/ruleCombiner".into()
                ),
                (
                    "MC0010",
                    "/versions/0/tasks/1/metadata/rules/0/rules/0/operator".into()
                ),
            ]
        );
    }

    #[test]
    fn required_keys_and_limits() {
        let missing = |v: Value, at: &str, key: &str| {
            let f = findings(v);
            assert!(
                f.iter().any(|f| f.pointer == at
                    && f.message == format!("missing required field `{key}`; add it")),
                "{key} at {at}: {f:?}"
            );
        };
        let md = "/versions/0/tasks/1/metadata";
        missing(filter(json!({"rules": []})), md, "ruleCombiner");
        missing(
            filter(
                json!({"ruleCombiner": "and", "rules": [{"sourceField": "a", "operator": "gt"}]}),
            ),
            &format!("{md}/rules/0"),
            "value",
        );
        missing(
            with(
                "PROCESSOR",
                "SUBSCRIPTION_LOOKUP",
                json!({"lookupType": "ZDP", "mapFields": [], "appendFields": []}),
            ),
            md,
            "table",
        );
        missing(
            with(
                "PROCESSOR",
                "AGGREGATOR",
                json!({"triggerType": "Timeout", "timeoutType": "EventTime", "timeoutDuration": "1 day",
                       "aggregationFields": [{"field": "q", "aggregation": "SUM", "targetField": "t"}]}),
            ),
            md,
            "eventTimeField",
        );
        missing(
            with(
                "PROCESSOR",
                "MAP",
                json!({"mapFields": [{"targetField": "x", "transformType": "transform"}]}),
            ),
            &format!("{md}/mapFields/0"),
            "formula",
        );
        missing(
            with("PROCESSOR", "SCRIPT_MAP", json!({"source": "x"})),
            md,
            "language",
        );
        let v = with(
            "PROCESSOR",
            "HTTP",
            json!({"httpRequestConfig": {"timeoutInMillis": 200000, "retries": -1}}),
        );
        assert_eq!(
            located(v),
            [
                ("MC0010", format!("{md}/httpRequestConfig/timeoutInMillis")),
                ("MC0010", format!("{md}/httpRequestConfig/retries")),
            ]
        );
        let v = with(
            "PROCESSOR",
            "DEDUPLICATE",
            json!({"checkType": "All", "maxSize": 10_000_000}),
        );
        assert_eq!(located(v), [("MC0010", format!("{md}/maxSize"))]);
        let mut v = meter(task("p", "PROCESSOR", "NOOP", json!({}), &["src"]));
        v.as_object_mut().unwrap().remove("name");
        let f = findings(v);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("missing required field `name`"));
    }

    #[test]
    fn unknown_fields_get_their_own_code_and_a_suggestion() {
        let mut v = filter(json!({"ruleCombiner": "and"}));
        v["nmae"] = json!("x");
        v["versions"][0]["tasks"][0]["settings"] = json!({});
        let mut f = findings(v);
        f.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].code, rules::UNKNOWN_FIELD.code);
        assert_eq!(f[0].pointer, "/nmae");
        assert!(
            f[0].message.contains("did you mean `name`"),
            "{}",
            f[0].message
        );
        assert_eq!(f[1].pointer, "/versions/0/tasks/0/settings");
        assert!(f[1].at_key);
        assert!(f[1].message.contains("did you mean `setting`"));
    }

    #[test]
    fn unknown_metadata_keys_are_warnings_with_a_suggestion() {
        let f = findings(filter(json!({"ruleCombiner": "and", "rule": []})));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].code, f[0].pointer.as_str(), f[0].at_key),
            ("MC0013", "/versions/0/tasks/1/metadata/rule", true)
        );
        assert!(
            f[0].message.contains("did you mean `rules`?"),
            "{}",
            f[0].message
        );
        let f = findings(with("SINK", "NOOP", json!({"zzz": 1})));
        assert!(
            f.iter().any(
                |f| f.code == "MC0013" && f.message.contains("lists no metadata keys for NOOP")
            ),
            "{f:?}"
        );
        // An unknown operator's metadata is not checked.
        assert_eq!(located(with("PROCESSOR", "FILTRE", json!({"x": 1}))), []);
    }

    /// The per-operator metadata schemas, found through the task's `if`/`then` dispatch:
    /// ((nodeType, operatorType), metadata schema).
    fn dispatched() -> Vec<((String, String), Value)> {
        let schema: Value = serde_json::from_str(EMBEDDED[0].1).unwrap();
        dispatch(&schema)
            .into_iter()
            .map(|(n, o, def)| ((n.into(), o.into()), schema["$defs"][def].clone()))
            .collect()
    }

    /// The split check (the meter schema without dispatch, one validator per operator) finds
    /// what the whole schema, as editors read it, finds.
    #[test]
    fn split_dispatch_finds_what_the_whole_schema_finds() {
        let whole: Value = serde_json::from_str(EMBEDDED[0].1).unwrap();
        let whole = jsonschema::validator_for(&whole).unwrap();
        let mut cases = vec![
            filter(
                json!({"ruleCombiner": "AND", "rules": [{"sourceField": "a", "operator": "x"}], "rule": 1}),
            ),
            with(
                "PROCESSOR",
                "DEDUPLICATE",
                json!({"maxSize": 0, "checkType": "Some"}),
            ),
            with(
                "PROCESSOR",
                "AGGREGATOR",
                json!({"triggerType": "Realtime", "aggregationFields": []}),
            ),
            with(
                "PROCESSOR",
                "HTTP",
                json!({"httpRequestConfig": {"timeout": 0}, "httpOutputConfig": {"responseToOutputMapper": [{"field": "a"}]}}),
            ),
            with(
                "PROCESSOR",
                "SUBSCRIPTION_LOOKUP",
                json!({"lookupType": "Advanced"}),
            ),
            with("SINK", "NOOP", json!({"x": 1})),
            with("PROCESSOR", "MAP", json!([])),
        ];
        let mut v = filter(json!({}));
        v["versions"][0]["tasks"][1]["nodeType"] = json!("SINK");
        v["versions"][0]["tasks"][0]["metadata"] = json!({"schemaId": 1.5, "keyFields": "Id"});
        cases.push(v);
        for case in cases {
            let mut split = findings(case.clone());
            let mut all = Vec::new();
            for e in whole.iter_errors(&case) {
                translate(&e, rules::SCHEMA.code, "", "", &case, &mut all);
            }
            split.sort_by(|a, b| (&a.pointer, &a.message).cmp(&(&b.pointer, &b.message)));
            all.sort_by(|a, b| (&a.pointer, &a.message).cmp(&(&b.pointer, &b.message)));
            split.dedup();
            all.dedup();
            assert!(!split.is_empty());
            assert_eq!(split, all, "{case}");
        }
    }

    #[test]
    fn schema_and_catalogue_agree() {
        let d = dispatched();
        for op in catalogue::OPERATORS {
            let found = d
                .iter()
                .find(|((n, o), _)| n == op.node_type && o == op.operator_type);
            let Some(keys) = op.keys else {
                assert!(
                    found.is_none(),
                    "{op:?} has no keys, so its metadata stays open"
                );
                continue;
            };
            let (_, def) = found.unwrap_or_else(|| panic!("no metadata schema for {op:?}"));
            assert_eq!(def["additionalProperties"], json!(false), "{op:?}");
            let mut schema_keys: Vec<&str> = def["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut catalogue_keys = keys.to_vec();
            schema_keys.sort_unstable();
            catalogue_keys.sort_unstable();
            assert_eq!(schema_keys, catalogue_keys, "{op:?}");
        }
        for ((n, o), _) in &d {
            assert!(
                catalogue::operator(n, o).is_some(),
                "{n} {o} is not in the catalogue"
            );
        }
    }

    #[test]
    fn edit_distance_works() {
        use crate::validate::suggest::edit_distance;
        assert_eq!(edit_distance("nmae", "name"), 2);
        assert_eq!(suggest("predecesors", KNOWN_TASK), Some(keys::PREDECESSORS));
        assert_eq!(suggest("zzzzzz", KNOWN_TASK), None);
    }
}
