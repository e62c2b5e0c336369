//! FILTER: a tree of rules (`{sourceField, operator, value}` leaves, `{ruleCombiner, rules}`
//! groups) combined with `and`/`or`; events that do not match are dropped silently.

use std::cmp::Ordering;

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::{text_of, OperatorCount, SimError, Step};
use crate::model::catalogue;

/// One compiled rule.
#[derive(Debug)]
enum Rule {
    Leaf {
        field: String,
        op: &'static str,
        value: String,
        /// For `in`/`notIn`: the comma list, trimmed.
        list: Vec<String>,
        /// `value` and each entry of `list` as numbers, when they all parse as one: a JSON
        /// number in the event is then compared without writing it as text.
        numbers: Option<Vec<f64>>,
    },
    Group {
        any: bool,
        rules: Vec<Rule>,
    },
}

/// A compiled FILTER task.
pub(super) struct Filter {
    root: Rule,
}

impl Filter {
    pub(super) fn new(meta: &Map<String, Value>, task: &str) -> Result<Filter, SimError> {
        Ok(Filter {
            root: compile_group(meta, task, "metadata")?,
        })
    }

    /// Whether an event passes.
    fn matches(&self, event: &Value) -> bool {
        eval(&self.root, event)
    }
}

fn config(task: &str, message: String) -> SimError {
    SimError::Config {
        task: task.to_string(),
        message,
    }
}

fn compile_group(obj: &Map<String, Value>, task: &str, at: &str) -> Result<Rule, SimError> {
    let any = match obj.get("ruleCombiner").and_then(Value::as_str) {
        None => false,
        Some(c) if c.eq_ignore_ascii_case("and") => false,
        Some(c) if c.eq_ignore_ascii_case("or") => true,
        Some(c) => {
            return Err(config(
                task,
                format!("{at}.ruleCombiner is \"{c}\"; write \"and\" or \"or\""),
            ))
        }
    };
    let rules = obj
        .get("rules")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let at = format!("{at}.rules[{k}]");
            let r = r
                .as_object()
                .ok_or_else(|| config(task, format!("{at} is not an object")))?;
            if r.contains_key("rules") {
                compile_group(r, task, &at)
            } else {
                compile_leaf(r, task, &at)
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Rule::Group { any, rules })
}

fn compile_leaf(r: &Map<String, Value>, task: &str, at: &str) -> Result<Rule, SimError> {
    let field = r
        .get("sourceField")
        .and_then(Value::as_str)
        .ok_or_else(|| config(task, format!("{at} has no sourceField")))?;
    let name = r.get("operator").and_then(Value::as_str).unwrap_or("");
    let op = catalogue::filter_operator(name).ok_or_else(|| {
        config(
            task,
            format!("{at}.operator \"{name}\" is not a Filter operator (equal, gt, in, blank, …)"),
        )
    })?;
    let value = text_of(r.get("value"))
        .map(|c| c.into_owned())
        .unwrap_or_default();
    let list = if matches!(op, "in" | "notIn") {
        value.split(',').map(|s| s.trim().to_string()).collect()
    } else {
        Vec::new()
    };
    let numbers = if matches!(op, "in" | "notIn") {
        list.iter().map(|v| number(v)).collect()
    } else {
        number(&value).map(|n| vec![n])
    };
    Ok(Rule::Leaf {
        field: field.to_string(),
        op,
        value,
        list,
        numbers,
    })
}

/// Compares an event's text with a rule's: numerically when both parse as numbers, else by
/// characters (case-sensitive).
fn compare(left: &str, right: &str) -> Ordering {
    match (number(left), number(right)) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => left.cmp(right),
    }
}

/// Text as a number, the way comparisons read it.
fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

/// The fast path of a comparing rule on a JSON number when the rule's values are numbers: the
/// same answer as comparing their texts (a number's text parses back to the same `f64`).
fn eval_number(op: &str, n: f64, numbers: &[f64]) -> Option<bool> {
    let ord = |other: f64| n.partial_cmp(&other).unwrap_or(Ordering::Equal);
    let first = numbers.first().copied()?;
    Some(match op {
        "gt" => ord(first) == Ordering::Greater,
        "gte" => ord(first) != Ordering::Less,
        "lt" => ord(first) == Ordering::Less,
        "lte" => ord(first) != Ordering::Greater,
        "equal" => ord(first) == Ordering::Equal,
        "notEqual" => ord(first) != Ordering::Equal,
        "in" => numbers.iter().any(|&v| ord(v) == Ordering::Equal),
        "notIn" => !numbers.iter().any(|&v| ord(v) == Ordering::Equal),
        _ => return None,
    })
}

fn eval(rule: &Rule, event: &Value) -> bool {
    match rule {
        Rule::Group { any, rules } => {
            if *any {
                rules.iter().any(|r| eval(r, event))
            } else {
                rules.iter().all(|r| eval(r, event))
            }
        }
        Rule::Leaf {
            field,
            op,
            value,
            list,
            numbers,
        } => {
            let raw = super::field(event, field);
            if let (Some(Value::Number(n)), Some(numbers)) = (raw, numbers) {
                let fast = n
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .and_then(|f| eval_number(op, f, numbers));
                if let Some(answer) = fast {
                    return answer;
                }
            }
            let blank = text_of(raw).is_none_or(|t| t.trim().is_empty());
            match *op {
                "blank" => return blank,
                "notBlank" => return !blank,
                _ => {}
            }
            // A missing or null field reads as "" (so `notEqual x` matches it).
            let text = text_of(raw).unwrap_or_default();
            let t = text.as_ref();
            let ord = || compare(t, value);
            let equal = |other: &str| compare(t, other) == Ordering::Equal;
            match *op {
                "gt" => ord() == Ordering::Greater,
                "gte" => ord() != Ordering::Less,
                "lt" => ord() == Ordering::Less,
                "lte" => ord() != Ordering::Greater,
                "equal" => equal(value),
                "notEqual" => !equal(value),
                "contains" => t.contains(value.as_str()),
                "notContains" => !t.contains(value.as_str()),
                "startsWith" => t.starts_with(value.as_str()),
                "notStartsWith" => !t.starts_with(value.as_str()),
                "endsWith" => t.ends_with(value.as_str()),
                "notEndsWith" => !t.ends_with(value.as_str()),
                "in" => list.iter().any(|v| equal(v)),
                "notIn" => !list.iter().any(|v| equal(v)),
                _ => false,
            }
        }
    }
}

impl Step for Filter {
    fn push(&mut self, events: Vec<Value>, _: &mut OperatorCount) -> Result<Vec<Value>, SimError> {
        // Events are independent: a chunk is filtered in parallel, in order.
        let this = &*self;
        Ok(events
            .into_par_iter()
            .with_min_len(super::PAR_MIN)
            .filter(|e| this.matches(e))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(meta: Value) -> Filter {
        Filter::new(meta.as_object().unwrap(), "f").unwrap()
    }

    fn rule(field: &str, op: &str, value: Value) -> Filter {
        filter(
            json!({"ruleCombiner": "and", "rules": [{"sourceField": field, "operator": op, "value": value}]}),
        )
    }

    #[test]
    fn the_documented_example_keeps_matching_records_and_drops_the_rest() {
        // The Filter page's JSON: {"ruleCombiner":"and","rules":[{sourceField, operator, value}]}.
        let f = filter(json!({"ruleCombiner": "and", "rules": [
            {"sourceField": "Quantity", "operator": "gt", "value": "10"},
            {"sourceField": "Region", "operator": "equal", "value": "EU"}
        ]}));
        assert!(f.matches(&json!({"Quantity": "11", "Region": "EU"})));
        assert!(f.matches(&json!({"Quantity": 10.5, "Region": "EU"})));
        assert!(!f.matches(&json!({"Quantity": 10, "Region": "EU"})));
        assert!(
            !f.matches(&json!({"Quantity": 11, "Region": "eu"})),
            "case-sensitive"
        );
    }

    #[test]
    fn all_sixteen_operators_in_both_spellings() {
        let e = json!({"s": "apple pie", "n": "9.5", "b": "  "});
        let cases: &[(&str, &str, &str, bool)] = &[
            ("n", "gt", "10", false), // numeric, not "9.5" > "10" as text
            ("n", "gte", "9.5", true),
            ("n", "lt", "10", true),
            ("n", "lte", "9.49", false),
            ("n", "equal", "9.50", true),
            ("s", "notEqual", "apple pie", false),
            ("s", "contains", "le p", true),
            ("s", "notContains", "Pie", true),
            ("s", "startsWith", "apple", true),
            ("s", "notStartsWith", "apple", false),
            ("s", "endsWith", "pie", true),
            ("s", "notEndsWith", "pie", false),
            ("n", "in", "1, 9.5,3", true),
            ("s", "notIn", "apple,pie", true),
            ("b", "blank", "", true),
            ("s", "notBlank", "", true),
        ];
        for &(field, op, value, want) in cases {
            let label = catalogue::FILTER_OPERATORS
                .iter()
                .find(|(s, _)| *s == op)
                .unwrap()
                .1;
            for spelling in [op, label] {
                assert_eq!(
                    rule(field, spelling, json!(value)).matches(&e),
                    want,
                    "{spelling}"
                );
            }
        }
    }

    #[test]
    fn strings_compare_as_text_when_either_side_is_not_a_number() {
        assert!(rule("s", "gt", json!("B")).matches(&json!({"s": "a"})));
        assert!(!rule("s", "in", json!("A,B")).matches(&json!({"s": "a"})));
        assert!(rule("s", "equal", json!("007")).matches(&json!({"s": "007"})));
        assert!(
            rule("s", "equal", json!("7")).matches(&json!({"s": "007"})),
            "both parse: numeric"
        );
        assert!(rule("n", "equal", json!(7)).matches(&json!({"n": 7.0})));
    }

    #[test]
    fn a_json_number_compares_as_its_text_does() {
        // The fast path for numbers gives the answer of the text path (the same number as a
        // string), for every comparing operator and values that are numbers or not.
        let numbers = [
            json!(-1),
            json!(0),
            json!(9.5),
            json!(10),
            json!(10.0),
            json!(1e20),
            json!(200),
        ];
        let values = ["10", "9.50", "abc", "", "1, 10 ,x", "10,200", "1e20"];
        let ops = ["gt", "gte", "lt", "lte", "equal", "notEqual", "in", "notIn"];
        for n in &numbers {
            for value in values {
                for op in ops {
                    let f = rule("n", op, json!(value));
                    assert_eq!(
                        f.matches(&json!({"n": n})),
                        f.matches(&json!({"n": n.to_string()})),
                        "{n} {op} {value:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn missing_fields_are_blank_and_compare_as_empty_text() {
        assert!(rule("x", "blank", json!(null)).matches(&json!({})));
        assert!(rule("x", "Is blank", json!(null)).matches(&json!({"x": null})));
        assert!(!rule("x", "notBlank", json!(null)).matches(&json!({"x": ""})));
        assert!(rule("x", "notEqual", json!("a")).matches(&json!({})));
        assert!(!rule("x", "equal", json!("a")).matches(&json!({})));
    }

    #[test]
    fn nested_groups_combine_with_and_or() {
        // The shape of examples/meters/sms-messages.yaml.
        let f = filter(json!({"ruleCombiner": "and", "rules": [
            {"ruleCombiner": "or", "rules": [
                {"sourceField": "Status", "operator": "equal", "value": "DELIVERED"},
                {"ruleCombiner": "and", "rules": [
                    {"sourceField": "Status", "operator": "equal", "value": "ACCEPTED"},
                    {"sourceField": "Country", "operator": "in", "value": "US,CA"}
                ]}
            ]},
            {"sourceField": "Segments", "operator": "gte", "value": "1"}
        ]}));
        let e = |s: &str, c: &str, n: &str| json!({"Status": s, "Country": c, "Segments": n});
        assert!(f.matches(&e("DELIVERED", "DE", "1")));
        assert!(f.matches(&e("ACCEPTED", "CA", "2")));
        assert!(!f.matches(&e("ACCEPTED", "DE", "2")));
        assert!(!f.matches(&e("DELIVERED", "DE", "0")));
        assert!(!f.matches(&e("FAILED", "US", "1")));
    }

    #[test]
    fn an_unknown_operator_or_combiner_is_a_config_error() {
        let bad = json!({"rules": [{"sourceField": "a", "operator": "like", "value": "x"}]});
        let err = Filter::new(bad.as_object().unwrap(), "f").err().unwrap();
        assert!(
            err.to_string()
                .contains("metadata.rules[0].operator \"like\""),
            "{err}"
        );
        let bad = json!({"ruleCombiner": "xor", "rules": []});
        assert!(Filter::new(bad.as_object().unwrap(), "f").is_err());
    }
}
