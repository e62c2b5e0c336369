//! Comparing the records a case expects with those a sink received: what is missing, what is
//! unexpected, and which fields of a record differ, each naming the record by the fields that
//! identify it (`usage record {accountNumber: A1, startDateTime: …}: quantity expected 10, got
//! 12`), plus a line diff of the two lists (one record per line) made with `similar`.
//!
//! Records are equal when they have the same fields with equal values; numbers compare by value
//! (`21` equals `21.0`), strings exactly (`"10"` is not `10`). Without `ordered`, the lists compare
//! as multisets.

use serde_json::{Map, Value};

/// The fields that name a usage record, in the order they are shown.
const USAGE_IDENTITY: &[&str] = &[
    "accountNumber",
    "subscriptionNumber",
    "chargeNumber",
    "startDateTime",
    "endDateTime",
    "uniqueKey",
];

/// How many fields name a record that has no identity field.
const NAME_FIELDS: usize = 3;

/// Whether two values are equal for a test: numbers by value, containers member by member.
pub(super) use crate::value::same;

/// The outcome of comparing two lists of records: one line per problem, and the diff.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Compared {
    pub problems: Vec<String>,
    pub diff: String,
}

/// Compares `expected` with `actual` records (`usage`: usage records, named by their identity
/// fields). `None` when they match.
pub(super) fn records(
    expected: &[Value],
    actual: &[Value],
    ordered: bool,
    usage: bool,
) -> Option<Compared> {
    let kind = if usage { "usage record" } else { "record" };
    // Exact matches first, as multisets.
    let mut taken = vec![false; actual.len()];
    let mut rest_e = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        match (0..actual.len()).find(|&j| !taken[j] && same(e, &actual[j])) {
            Some(j) => taken[j] = true,
            None => rest_e.push(i),
        }
    }
    let mut rest_a: Vec<usize> = (0..actual.len()).filter(|&j| !taken[j]).collect();
    let mut problems = Vec::new();
    if rest_e.is_empty() && rest_a.is_empty() {
        let in_order = expected.iter().zip(actual).all(|(e, a)| same(e, a));
        if !ordered || in_order {
            return None;
        }
        problems.push(format!(
            "the {kind}s arrive in another order than expected (`ordered: true`)"
        ));
    }
    // Then pair what is left by identity, the closest first, and say what differs.
    for &i in &rest_e {
        let e = &expected[i];
        let best = rest_a
            .iter()
            .enumerate()
            .filter(|(_, &j)| pairable(e, &actual[j], usage))
            .max_by_key(|(_, &j)| (equal_fields(e, &actual[j]), std::cmp::Reverse(j)))
            .map(|(k, _)| k);
        match best {
            Some(k) => {
                let j = rest_a.remove(k);
                problems.push(format!(
                    "{kind} {}: {}",
                    name(e, usage),
                    fields(e, &actual[j]).join("; ")
                ));
            }
            None => problems.push(format!("missing {kind} {}", name(e, usage))),
        }
    }
    for &j in &rest_a {
        problems.push(format!("unexpected {kind} {}", name(&actual[j], usage)));
    }
    Some(Compared {
        problems,
        diff: diff(expected, actual, ordered),
    })
}

/// Whether an expected and an actual record are the same record with other values: they agree
/// on every identity field both have (and have one), or, without identity fields, on at least
/// half of their fields.
fn pairable(e: &Value, a: &Value, usage: bool) -> bool {
    let (Some(eo), Some(ao)) = (e.as_object(), a.as_object()) else {
        return false;
    };
    if usage {
        let shared: Vec<&str> = USAGE_IDENTITY
            .iter()
            .copied()
            .filter(|k| eo.contains_key(*k) && ao.contains_key(*k))
            .collect();
        if !shared.is_empty() {
            return shared.iter().all(|k| same(&eo[*k], &ao[*k]));
        }
    }
    let union = eo.len() + ao.keys().filter(|k| !eo.contains_key(*k)).count();
    union > 0 && equal_fields(e, a) * 2 >= union
}

fn equal_fields(e: &Value, a: &Value) -> usize {
    match (e.as_object(), a.as_object()) {
        (Some(eo), Some(ao)) => eo
            .iter()
            .filter(|(k, v)| ao.get(*k).is_some_and(|w| same(v, w)))
            .count(),
        _ => 0,
    }
}

/// What differs between two paired records, field by field.
fn fields(e: &Value, a: &Value) -> Vec<String> {
    let empty = Map::new();
    let eo = e.as_object().unwrap_or(&empty);
    let ao = a.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    for (k, v) in eo {
        match ao.get(k) {
            Some(w) if same(v, w) => {}
            Some(w) => out.push(format!("{k} expected {v}, got {w}")),
            None => out.push(format!("{k} expected {v}, but the record has no {k}")),
        }
    }
    for (k, w) in ao {
        if !eo.contains_key(k) {
            out.push(format!("{k} not expected, got {w}"));
        }
    }
    out
}

/// A record as it is named in messages: its identity fields (usage records), else its first
/// fields; strings unquoted: `{accountNumber: A1, startDateTime: 2026-01-05T00:00:00.000+0000}`.
pub(super) fn name(record: &Value, usage: bool) -> String {
    let Some(o) = record.as_object() else {
        return record.to_string();
    };
    let mut shown: Vec<(&str, &Value)> = if usage {
        USAGE_IDENTITY
            .iter()
            .filter_map(|k| o.get(*k).map(|v| (*k, v)))
            .collect()
    } else {
        Vec::new()
    };
    if shown.is_empty() {
        shown = o
            .iter()
            .take(NAME_FIELDS)
            .map(|(k, v)| (k.as_str(), v))
            .collect();
    }
    let more = if shown.len() < o.len() && !usage {
        ", …"
    } else {
        ""
    };
    let parts: Vec<String> = shown
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect();
    format!("{{{}{more}}}", parts.join(", "))
}

/// A line diff of the two lists, one record per line with its fields in one order (the actual
/// records' order of fields, then any others): sorted, unless the order matters.
fn diff(expected: &[Value], actual: &[Value], ordered: bool) -> String {
    let mut order: Vec<&str> = Vec::new();
    for r in actual.iter().chain(expected).filter_map(Value::as_object) {
        for k in r.keys() {
            if !order.contains(&k.as_str()) {
                order.push(k);
            }
        }
    }
    let lines = |list: &[Value]| -> String {
        let mut lines: Vec<String> = list.iter().map(|r| line(r, &order)).collect();
        if !ordered {
            lines.sort();
        }
        lines.iter().map(|l| format!("{l}\n")).collect()
    };
    let (e, a) = (lines(expected), lines(actual));
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// One record on one line, its fields in `order`, values as JSON (so `"10"` and `10` differ).
fn line(record: &Value, order: &[&str]) -> String {
    let Some(o) = record.as_object() else {
        return record.to_string();
    };
    let parts: Vec<String> = order
        .iter()
        .filter_map(|k| o.get(*k).map(|v| format!("{k}: {}", normalised(v))))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A number as its value (`21.0` → `21`), so equal numbers read the same in a diff.
fn normalised(v: &Value) -> String {
    match v {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(account: &str, q: Value) -> Value {
        json!({"accountNumber": account, "quantity": q, "startDateTime": "2026-01-05T00:00:00.000+0000"})
    }

    #[test]
    fn equal_lists_match_in_any_order_and_numbers_by_value() {
        let e = [rec("A1", json!(21)), rec("A2", json!(4))];
        let a = [rec("A2", json!(4.0)), rec("A1", json!(21))];
        assert_eq!(records(&e, &a, false, true), None);
        assert!(!same(&json!("10"), &json!(10)));
        let c = records(&e, &a, true, true).unwrap();
        assert_eq!(
            c.problems,
            ["the usage records arrive in another order than expected (`ordered: true`)"]
        );
    }

    #[test]
    fn a_changed_value_names_the_record_and_the_field() {
        let e = [rec("A1", json!(10)), rec("A2", json!(4))];
        let a = [rec("A1", json!(12)), rec("A2", json!(4))];
        let c = records(&e, &a, false, true).unwrap();
        assert_eq!(
            c.problems,
            ["usage record {accountNumber: A1, startDateTime: 2026-01-05T00:00:00.000+0000}: quantity expected 10, got 12"]
        );
        assert!(c.diff.contains("--- expected\n+++ actual\n"), "{}", c.diff);
        assert!(
            c.diff
                .contains("-{accountNumber: \"A1\", quantity: 10, startDateTime:"),
            "{}",
            c.diff
        );
        assert!(
            c.diff.contains("+{accountNumber: \"A1\", quantity: 12,"),
            "{}",
            c.diff
        );
    }

    #[test]
    fn missing_unexpected_and_extra_fields() {
        let e = [rec("A1", json!(1)), rec("A2", json!(2))];
        let a = [rec("A2", json!(2)), rec("A3", json!(3))];
        let c = records(&e, &a, false, true).unwrap();
        assert_eq!(
            c.problems,
            [
                "missing usage record {accountNumber: A1, startDateTime: 2026-01-05T00:00:00.000+0000}",
                "unexpected usage record {accountNumber: A3, startDateTime: 2026-01-05T00:00:00.000+0000}"
            ]
        );
        let e = [json!({"id": 1, "a": "x", "b": 1})];
        let a = [json!({"id": 1, "a": "x", "c": 2})];
        let c = records(&e, &a, false, false).unwrap();
        assert_eq!(
            c.problems,
            ["record {id: 1, a: x, b: 1}: b expected 1, but the record has no b; c not expected, got 2"]
        );
    }
}
