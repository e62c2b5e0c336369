//! Reading one test case file (`NAME.test.yaml`) into a [`Spec`]: every key checked, every
//! problem a [`CaseError`] at the file, line and column of the offending value.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::CaseError;
use crate::load::{self, Spans};

/// The keys a case may have.
const KEYS: &[&str] = &["name", "meter", "version", "events", "lookups", "expect"];
/// The keys of `expect:`.
const EXPECT_KEYS: &[&str] = &["usage", "ordered", "errors", "sinks"];

/// A case file, read and checked (the meter and the events are resolved later).
#[derive(Debug, Clone)]
pub(super) struct Spec {
    /// The file's text, value and comments (for `--update`).
    pub doc: load::Document,
    /// `meter:`: a globalId, a name or a path (absent: the meter beside the case).
    pub meter: Option<String>,
    /// `version:`.
    pub version: Option<String>,
    /// `events:`.
    pub events: Events,
    /// `lookups:`, as written.
    pub lookups: Map<String, Value>,
    /// `expect:`.
    pub expect: Expect,
}

/// Where a case's events are.
#[derive(Debug, Clone)]
pub(super) enum Events {
    /// A list in the case.
    Inline(Vec<Value>),
    /// A file, relative to the case (as written, and resolved).
    File(String, PathBuf),
}

/// What a case expects.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Expect {
    /// `usage:`: the records the ZUORA_USAGE sinks receive.
    pub usage: Option<Vec<Value>>,
    /// `ordered: true`: records compare in order.
    pub ordered: bool,
    /// `errors:`.
    pub errors: Option<Errors>,
    /// `sinks:`: task id or name → records, in the order written.
    pub sinks: Vec<(String, Vec<Value>)>,
}

impl Expect {
    /// Nothing is expected at all.
    pub fn is_empty(&self) -> bool {
        self.usage.is_none() && self.errors.is_none() && self.sinks.is_empty()
    }
}

/// `errors:`: a total, or counts per task.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Errors {
    /// Error records over all operators.
    Total(u64),
    /// Task id or name → count, in the order written.
    Per(Vec<(String, u64)>),
}

/// Reads and checks the case file at `path`.
pub(super) fn read(path: &Path) -> Result<Spec, CaseError> {
    if !load::is_test_case(path) {
        return Err(CaseError::new(
            path,
            "not a test case: a test case is a YAML file named NAME.test.yaml",
        ));
    }
    let doc = load::load_file(path).map_err(|d| CaseError {
        path: path.to_path_buf(),
        line: d.line,
        column: d.column,
        message: d
            .message
            .replace("a meter definition object", "a test case (a mapping)"),
    })?;
    let spans = doc.spans();
    let at = |pointer: &str, message: String| CaseError::at(path, &spans, pointer, message);
    let top = doc.value.as_object().cloned().unwrap_or_default();
    for key in top.keys() {
        if !KEYS.contains(&key.as_str()) {
            return Err(CaseError::key_at(
                path,
                &spans,
                &format!("/{}", crate::pointer::escape_token(key)),
                format!(
                    "unknown key `{key}` in a test case; a case has {}",
                    KEYS.join(", ")
                ),
            ));
        }
    }
    let text = |key: &str| -> Result<Option<String>, CaseError> {
        match top.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            // `version: 1.0` reads as a number; the version is its text.
            Some(Value::Number(n)) if key == "version" => Ok(Some(n.to_string())),
            Some(_) => Err(at(
                &format!("/{key}"),
                format!("`{key}` must be a non-empty string"),
            )),
        }
    };
    let meter = text("meter")?;
    let version = text("version")?;
    let events = match top.get("events") {
        Some(Value::Array(list)) => Events::Inline(list.clone()),
        Some(Value::String(file)) if !file.trim().is_empty() => {
            let dir = path.parent().unwrap_or(Path::new(""));
            Events::File(file.clone(), dir.join(file))
        }
        None => {
            return Err(CaseError::at(
                path,
                &spans,
                "",
                "the case has no `events:`; give a list of events, or a .json, .ndjson or .csv file relative to the case".into(),
            ))
        }
        Some(_) => {
            return Err(at(
                "/events",
                "`events` is a list of events or the path of a .json, .ndjson or .csv file, relative to the case".into(),
            ))
        }
    };
    let lookups = match top.get("lookups") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(at(
                "/lookups",
                "`lookups` is a mapping of table name to table (e.g. `subscriptions: [...]`)"
                    .into(),
            ))
        }
    };
    let expect = match top.get("expect") {
        None | Some(Value::Null) => Expect::default(),
        Some(Value::Object(m)) => expect(m, &at, path, &spans)?,
        Some(_) => {
            return Err(at(
                "/expect",
                format!("`expect` is a mapping with {}", EXPECT_KEYS.join(", ")),
            ))
        }
    };
    Ok(Spec {
        doc,
        meter,
        version,
        events,
        lookups,
        expect,
    })
}

fn expect(
    m: &Map<String, Value>,
    at: &dyn Fn(&str, String) -> CaseError,
    path: &Path,
    spans: &Spans,
) -> Result<Expect, CaseError> {
    let mut out = Expect::default();
    for (key, value) in m {
        let ptr = format!("/expect/{}", crate::pointer::escape_token(key));
        match key.as_str() {
            "usage" => out.usage = Some(records(value, &ptr, at)?),
            "ordered" => {
                out.ordered = value
                    .as_bool()
                    .ok_or_else(|| at(&ptr, "`ordered` is true or false".into()))?
            }
            "errors" => {
                out.errors = Some(match value {
                    Value::Object(per) => {
                        let mut list = Vec::new();
                        for (task, n) in per {
                            let p = format!("{ptr}/{}", crate::pointer::escape_token(task));
                            list.push((task.clone(), count(n, &p, at)?));
                        }
                        Errors::Per(list)
                    }
                    n => Errors::Total(count(n, &ptr, at)?),
                })
            }
            "sinks" => {
                let Value::Object(per) = value else {
                    return Err(at(
                        &ptr,
                        "`sinks` maps a sink's task id or name to the records it receives".into(),
                    ));
                };
                for (task, list) in per {
                    let p = format!("{ptr}/{}", crate::pointer::escape_token(task));
                    out.sinks.push((task.clone(), records(list, &p, at)?));
                }
            }
            _ => {
                return Err(CaseError::key_at(
                    path,
                    spans,
                    &ptr,
                    format!(
                        "unknown key `{key}` in `expect`; it has {}",
                        EXPECT_KEYS.join(", ")
                    ),
                ))
            }
        }
    }
    Ok(out)
}

fn records(
    v: &Value,
    ptr: &str,
    at: &dyn Fn(&str, String) -> CaseError,
) -> Result<Vec<Value>, CaseError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(list) => {
            for (i, r) in list.iter().enumerate() {
                if !r.is_object() {
                    return Err(at(
                        &format!("{ptr}/{i}"),
                        "a record is a mapping of field to value".into(),
                    ));
                }
            }
            Ok(list.clone())
        }
        _ => Err(at(ptr, "expected a list of records".into())),
    }
}

fn count(v: &Value, ptr: &str, at: &dyn Fn(&str, String) -> CaseError) -> Result<u64, CaseError> {
    v.as_u64().ok_or_else(|| {
        at(
            ptr,
            "an error count is a whole number (0 or more), or a mapping of task id or name to one"
                .into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str) -> Result<Spec, CaseError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.test.yaml");
        std::fs::write(&path, text).unwrap();
        read(&path).map_err(|mut e| {
            e.path = PathBuf::from("a.test.yaml");
            e
        })
    }

    #[test]
    fn reads_every_key() {
        let s = case(
            "meter: mtr-x\nversion: 0.0.2\nevents: [{a: 1}]\nlookups: {subscriptions: []}\n\
             expect:\n  usage: []\n  ordered: true\n  errors: {Sink: 2}\n  sinks: {Store: [{a: 1}]}\n",
        )
        .unwrap();
        assert_eq!(s.meter.as_deref(), Some("mtr-x"));
        assert_eq!(s.version.as_deref(), Some("0.0.2"));
        assert!(matches!(&s.events, Events::Inline(e) if e.len() == 1));
        assert!(s.lookups.contains_key("subscriptions"));
        assert_eq!(s.expect.usage, Some(vec![]));
        assert!(s.expect.ordered);
        assert_eq!(s.expect.errors, Some(Errors::Per(vec![("Sink".into(), 2)])));
        assert_eq!(s.expect.sinks.len(), 1);
        let s = case("events: ev.csv\nexpect: {errors: 0}\n").unwrap();
        assert!(matches!(&s.events, Events::File(f, p) if f == "ev.csv" && p.ends_with("ev.csv")));
        assert_eq!(s.expect.errors, Some(Errors::Total(0)));
    }

    #[test]
    fn problems_are_located() {
        let e = case("events: []\nexpct: {}\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.test.yaml:2:1: unknown key `expct` in a test case; a case has name, meter, version, events, lookups, expect"
        );
        let e = case("events: []\nexpect:\n  errors: -1\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(11)));
        let e = case("events: []\nexpect:\n  usage: [1]\n").unwrap_err();
        assert!(e.message.contains("a record is a mapping"), "{e}");
        let e = case("expect: {}\n").unwrap_err();
        assert!(e.message.contains("no `events:`"), "{e}");
        let e = case("events: []\nexpect: {usage: [], nope: 1}\n").unwrap_err();
        assert!(e.message.contains("unknown key `nope` in `expect`"), "{e}");
        let e = case("events: [\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e}");
        let e = case("- 1\n").unwrap_err();
        assert!(e.message.contains("a test case (a mapping)"), "{e}");
    }
}
