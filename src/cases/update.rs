//! `--update`: writes what a run yielded into the case's `expect:`, snapshot style. Only the
//! `expect:` block is rewritten (in meterctl's YAML layout, with the comments written inside it);
//! every other line of the file, comments and layout included, stays as it was. The file is
//! replaced atomically.

use serde_json::{Map, Value};

use super::spec::{Errors, Spec};
use super::{usage_records, USAGE_SINK};
use crate::fsutil::{display, write_atomic};
use crate::load::Spans;
use crate::simulate::Simulation;
use crate::yaml::{self, Comments};

/// The `expect:` that describes `sim`, keeping the keys (and their order) the case has: `usage:`
/// when the case has it or the version has a ZUORA_USAGE sink; `errors:` as a total, or per
/// task when the case counts per task (the tasks it lists, and any other with errors); `sinks:`
/// for the sinks it lists; `ordered:` as it was.
pub(super) fn expect_of(spec: &Spec, sim: &Simulation) -> Value {
    let old = spec
        .doc
        .value
        .get("expect")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let has_usage_sink = sim.sinks.iter().any(|s| s.operator == USAGE_SINK);
    let mut new = Map::new();
    let usage = || Value::Array(usage_records(sim));
    let errors = || match &spec.expect.errors {
        Some(Errors::Per(listed)) => {
            let mut per = Map::new();
            for (key, _) in listed {
                let n = super::find_task(sim, key).map_or(0, |i| sim.operators[i].errors);
                per.insert(key.clone(), Value::from(n));
            }
            for c in sim.operators.iter().filter(|c| c.errors > 0) {
                let key = c.name.clone().unwrap_or_else(|| c.task.clone());
                if !per.contains_key(&key) && !per.contains_key(&c.task) {
                    per.insert(key, Value::from(c.errors));
                }
            }
            Value::Object(per)
        }
        _ => Value::from(sim.operators.iter().map(|c| c.errors).sum::<u64>()),
    };
    for (key, value) in &old {
        let v = match key.as_str() {
            "usage" => usage(),
            "errors" => errors(),
            "sinks" => {
                let mut per = Map::new();
                for (name, _) in &spec.expect.sinks {
                    let records = super::find_task(sim, name)
                        .and_then(|i| sim.sinks.iter().find(|s| s.task == sim.operators[i].task))
                        .map(|s| s.records.clone())
                        .unwrap_or_default();
                    per.insert(name.clone(), Value::Array(records));
                }
                Value::Object(per)
            }
            _ => value.clone(),
        };
        new.insert(key.clone(), v);
    }
    if !new.contains_key("usage") && has_usage_sink {
        new.insert("usage".into(), usage());
    }
    if !new.contains_key("errors") {
        new.insert("errors".into(), errors());
    }
    Value::Object(new)
}

/// Writes `sim` into the case as its `expect:`.
pub(super) fn write(spec: &Spec, sim: &Simulation) -> Result<(), String> {
    let text = splice(spec, &expect_of(spec, sim));
    write_atomic(&spec.doc.path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", display(&spec.doc.path)))
}

/// The case's text with its top-level `expect:` block replaced by `expect` (appended when the
/// case has none).
fn splice(spec: &Spec, expect: &Value) -> String {
    let doc = &spec.doc;
    // The block's comments: those inside it, and the one at the end of the `expect:` line.
    let mut comments = Comments::default();
    for (ptr, c) in &doc.comments.nodes {
        if ptr.starts_with("/expect/") {
            comments.nodes.insert(ptr.clone(), c.clone());
        } else if ptr == "/expect" {
            let node = comments.entry(ptr);
            node.trailing = c.trailing.clone();
            node.end = c.end.clone();
        }
    }
    let mut top = Map::new();
    top.insert("expect".into(), expect.clone());
    let top = Value::Object(top);
    comments.retain_in(&top);
    let crlf = doc.text.contains("\r\n");
    let mut block = yaml::to_string(&top, &comments);
    if crlf {
        block = block.replace('\n', "\r\n");
    }
    let text = &doc.text;
    let bom = if doc.bom { "\u{feff}" } else { "" };
    let starts = line_starts(text);
    let spans = Spans::index(text, doc.format);
    let keys: Vec<&String> = doc
        .value
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    let Some(k) = keys.iter().position(|k| *k == "expect") else {
        // No `expect:` yet: it goes at the end.
        let mut out = format!("{bom}{text}");
        if !out.ends_with('\n') {
            out.push_str(if crlf { "\r\n" } else { "\n" });
        }
        out.push_str(&block);
        return out;
    };
    let start = spans.key("/expect");
    if start.is_none_or(|p| p.column != 1) {
        // Not a block mapping at the top (a flow-style document): write the whole file.
        let mut value = doc.value.clone();
        value["expect"] = expect.clone();
        let mut all = doc.comments.clone();
        all.retain_in(&value);
        return format!("{bom}{}", yaml::to_string(&value, &all));
    }
    let first = start.map_or(1, |p| p.line);
    // The block ends before the next top-level key, less the comments and blank lines just
    // above that key (they belong to it), or at the end of the file.
    let lines: Vec<&str> = text.lines().collect();
    let mut end = match keys.get(k + 1) {
        Some(next) => spans
            .key(&format!("/{}", crate::pointer::escape_token(next)))
            .map_or(lines.len() + 1, |p| p.line),
        None => lines.len() + 1,
    };
    while end - 1 > first && {
        let l = lines[end - 2];
        l.trim().is_empty() || l.starts_with('#')
    } {
        end -= 1;
    }
    let from = starts.get(first - 1).copied().unwrap_or(text.len());
    let to = starts.get(end - 1).copied().unwrap_or(text.len());
    let mut out = String::with_capacity(text.len() + block.len());
    out.push_str(bom);
    out.push_str(&text[..from]);
    out.push_str(&block);
    out.push_str(&text[to..]);
    out
}

/// The byte offset where each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < text.len())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{OperatorCount, SinkOutput};
    use serde_json::json;

    fn sim() -> Simulation {
        Simulation {
            sinks: vec![SinkOutput {
                task: "t3".into(),
                name: Some("Usage".into()),
                operator: USAGE_SINK.into(),
                records: vec![json!({"accountNumber": "A1", "quantity": 21})],
                errors: vec![],
            }],
            operators: vec![
                OperatorCount {
                    task: "t1".into(),
                    operator: "S3".into(),
                    ..Default::default()
                },
                OperatorCount {
                    task: "t3".into(),
                    name: Some("Usage".into()),
                    operator: USAGE_SINK.into(),
                    errors: 2,
                    ..Default::default()
                },
            ],
        }
    }

    fn spec(text: &str) -> Spec {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.test.yaml");
        std::fs::write(&path, text).unwrap();
        super::super::spec::read(&path).unwrap()
    }

    #[test]
    fn only_the_expect_block_changes() {
        let text = "# A case.\nmeter: m   # the meter\n\nexpect:   # what it yields\n  # the records\n  usage:\n  - {accountNumber: A1, quantity: 20}\n  errors: 0\n\n# the events\nevents: [{a: 1}, {a: 2}]\n";
        let out = splice(&spec(text), &expect_of(&spec(text), &sim()));
        assert_eq!(
            out,
            "# A case.\nmeter: m   # the meter\n\nexpect:  # what it yields\n  # the records\n  usage:\n  - accountNumber: A1\n    quantity: 21\n  errors: 2\n\n# the events\nevents: [{a: 1}, {a: 2}]\n"
        );
    }

    #[test]
    fn expect_is_added_at_the_end_and_per_task_counts_stay_per_task() {
        let text = "events: [{a: 1}]";
        let out = splice(&spec(text), &expect_of(&spec(text), &sim()));
        assert_eq!(
            out,
            "events: [{a: 1}]\nexpect:\n  usage:\n  - accountNumber: A1\n    quantity: 21\n  errors: 2\n"
        );
        let text = "events: []\nexpect:\n  errors: {t1: 1}\n  ordered: true\n";
        let v = expect_of(&spec(text), &sim());
        assert_eq!(
            v,
            json!({"errors": {"t1": 0, "Usage": 2}, "ordered": true, "usage": [{"accountNumber": "A1", "quantity": 21}]})
        );
    }
}
