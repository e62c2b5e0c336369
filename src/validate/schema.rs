//! The JSON Schema side of validation: the embedded meter schema, users' extra schemas, and the
//! translation of schema errors into [`Finding`]s (best-matching branch for `anyOf`/`oneOf`,
//! unknown top-level and task fields as their own rule with a "did you mean" hint).

use std::path::{Path, PathBuf};

use anyhow::Context;
use jsonschema::error::ValidationErrorKind;
use jsonschema::ValidationError;
use serde_json::Value;

use super::rules;
use super::Finding;
use crate::canonical::{TASK as KNOWN_TASK, TOP as KNOWN_TOP};

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
    meter: jsonschema::Validator,
    extra: Vec<(String, jsonschema::Validator)>,
}

impl Schemas {
    /// Compiles the embedded meter schema and each extra schema file.
    pub fn compile(extra: &[PathBuf]) -> anyhow::Result<Schemas> {
        let meter: Value = serde_json::from_str(EMBEDDED[0].1).expect("embedded schema is JSON");
        let meter = jsonschema::validator_for(&meter).expect("embedded schema compiles");
        let extra = extra
            .iter()
            .map(|p| compile_file(p))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Schemas { meter, extra })
    }

    /// Checks a definition against every schema.
    pub fn check(&self, value: &Value, out: &mut Vec<Finding>) {
        if !self.meter.is_valid(value) {
            for e in self.meter.iter_errors(value) {
                translate(&e, rules::SCHEMA.code, "", out);
            }
        }
        for (label, v) in &self.extra {
            if !v.is_valid(value) {
                for e in v.iter_errors(value) {
                    translate(&e, rules::CUSTOM_SCHEMA.code, &format!("{label}: "), out);
                }
            }
        }
    }
}

fn compile_file(path: &Path) -> anyhow::Result<(String, jsonschema::Validator)> {
    let shown = crate::fsutil::display(path).into_owned();
    let doc = crate::load::load_file(path).map_err(|d| anyhow::anyhow!("schema {d}"))?;
    let v = jsonschema::validator_for(&doc.value)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("{shown} is not a usable JSON Schema"))?;
    let label = path
        .file_name()
        .map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
    Ok((label, v))
}

/// Where unknown fields are a rule of their own (warnings unless `--strict`).
fn is_closed_object(pointer: &str) -> bool {
    if pointer.is_empty() {
        return true;
    }
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    matches!(parts.as_slice(), ["versions", v, "tasks", t]
        if v.bytes().all(|b| b.is_ascii_digit()) && t.bytes().all(|b| b.is_ascii_digit()))
}

fn translate(e: &ValidationError<'_>, code: &'static str, prefix: &str, out: &mut Vec<Finding>) {
    let pointer = e.instance_path().to_string();
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } if code == rules::SCHEMA.code => {
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
                Some(branch) => branch.iter().for_each(|e| translate(e, code, prefix, out)),
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
            out.push(Finding::new(
                code,
                pointer,
                format!("{prefix}missing required field `{name}`; add it"),
            ));
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

/// The most specific error inside an `anyOf`/`oneOf` failure (following best branches down).
pub(crate) fn most_specific<'a, 'b>(e: &'a ValidationError<'b>) -> &'a ValidationError<'b> {
    match e.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match best_branch(context).and_then(|b| b.first()) {
                Some(inner) => most_specific(inner),
                None => e,
            }
        }
        _ => e,
    }
}

/// The `anyOf`/`oneOf` branch that came closest: fewest errors, then the deepest error.
pub(crate) fn best_branch<'a>(
    context: &'a [Vec<ValidationError<'static>>],
) -> Option<&'a Vec<ValidationError<'static>>> {
    context.iter().filter(|b| !b.is_empty()).min_by_key(|b| {
        let depth = b
            .iter()
            .map(|e| e.instance_path().to_string().matches('/').count())
            .max()
            .unwrap_or(0);
        (b.len(), usize::MAX - depth)
    })
}

/// The closest known key within edit distance 2.
fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(&key.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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

    fn minimal() -> Value {
        json!({"name": "m", "type": "CUSTOM", "latestVersion": "0.0.1", "versions": [{"version": "0.0.1", "tasks": [
            {"id": "a", "name": "src", "nodeType": "SOURCE", "metadata": {}, "predecessors": []}
        ]}]})
    }

    #[test]
    fn minimal_definition_is_valid() {
        assert_eq!(findings(minimal()), []);
    }

    #[test]
    fn unknown_fields_get_their_own_code_and_a_suggestion() {
        let mut v = minimal();
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
    fn required_and_limits() {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("name");
        v["versions"][0]["tasks"][0]["setting"] =
            json!({"httpRequestConfig": {"timeoutInMillis": 200000, "retries": -1}});
        let f = findings(v);
        let codes: Vec<_> = f.iter().map(|f| (f.code, f.pointer.as_str())).collect();
        assert!(codes.contains(&(rules::SCHEMA.code, "")), "{f:?}");
        assert!(
            codes.contains(&(
                rules::SCHEMA.code,
                "/versions/0/tasks/0/setting/httpRequestConfig/timeoutInMillis"
            )),
            "{f:?}"
        );
        assert!(
            codes.contains(&(
                rules::SCHEMA.code,
                "/versions/0/tasks/0/setting/httpRequestConfig/retries"
            )),
            "{f:?}"
        );
        assert!(
            f[0].message.contains("missing required field `name`"),
            "{f:?}"
        );
    }

    #[test]
    fn edit_distance_works() {
        assert_eq!(edit_distance("nmae", "name"), 2);
        assert_eq!(suggest("predecesors", KNOWN_TASK), Some("predecessors"));
        assert_eq!(suggest("zzzzzz", KNOWN_TASK), None);
    }
}
