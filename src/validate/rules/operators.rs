//! Zuora's rules about a processor's configuration (its task `metadata`): AGGREGATOR windows and
//! aggregations, FILTER rule trees, MAP rows, SUBSCRIPTION_LOOKUP keys, RATING fields, the
//! language of SCRIPT_* operators, and the Java date patterns operators hold (`eventTimeFormat`,
//! CURRENCY_LOOKUP's `dateField.timeFormat`). Dispatched on `operatorType` alone: these operator
//! types exist only as processors, and a wrong nodeType is reported by its own rule.

use serde_json::{Map, Value};

use super::{
    date_format, get, has, is_placeholder, str_field, text, zuora, Finding, TaskRef,
    DUPLICATE_AGGREGATION_TARGET, INCOMPLETE_FILTER_RULE, INVALID_AGGREGATION_FIELDS,
    INVALID_LOOKUP_TYPE, INVALID_MAP_FIELD, INVALID_RULE_COMBINER, INVALID_SCRIPT_LANGUAGE,
    INVALID_TRIGGER_TYPE, MISSING_FILTER_VALUE, MISSING_LOOKUP_FIELDS, MISSING_RATING_FIELD,
    MISSING_RULE_COMBINER, MISSING_TIMEOUT_SETTINGS, NO_GROUP_OR_TIME_FIELD,
};
use crate::model::catalogue::{self, AGGREGATIONS};

type Md = Map<String, Value>;

pub(super) fn check(task: &TaskRef<'_>, op: Option<&str>, out: &mut Vec<Finding>) {
    let (Some(op), Some(md)) = (op, task.metadata) else {
        return;
    };
    date_format(
        get(md, "eventTimeFormat"),
        "eventTimeFormat",
        || task.at("/metadata/eventTimeFormat"),
        out,
    );
    match op {
        "AGGREGATOR" => aggregator(task, md, out),
        "FILTER" => filter_group(task, md, &Path::Root, 0, out),
        "MAP" => map(task, md, out),
        "SUBSCRIPTION_LOOKUP" => lookup(task, md, out),
        "RATING" => rating(task, md, out),
        "CURRENCY_LOOKUP" => {
            if let Some(d) = get(md, "dateField").and_then(Value::as_object) {
                date_format(
                    get(d, "timeFormat"),
                    "dateField.timeFormat",
                    || task.at("/metadata/dateField/timeFormat"),
                    out,
                );
            }
        }
        _ if catalogue::is_script(op) => script(task, op, md, out),
        _ => {}
    }
}

/// The pointer of `/metadata/{key}` when the key is present, else of `metadata` (the object that
/// lacks it).
fn key_or_metadata(task: &TaskRef<'_>, md: &Md, key: &str) -> String {
    if md.contains_key(key) {
        task.at(format_args!("/metadata/{key}"))
    } else {
        task.at("/metadata")
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        v => v.to_string(),
    }
}

const TRIGGER_TYPES: &[&str] = &["Timeout", "AllFiles", "EachFile"];

fn aggregator(task: &TaskRef<'_>, md: &Md, out: &mut Vec<Finding>) {
    let name = task.label();
    let trigger = match get(md, "triggerType") {
        Some(Value::String(s)) if TRIGGER_TYPES.contains(&s.as_str()) || is_placeholder(s) => {
            Some(s.as_str())
        }
        other => {
            let message = match other {
                None | Some(Value::Null) => format!("aggregator {name} has no triggerType; set it to Timeout, AllFiles or EachFile"),
                Some(Value::String(s)) if matches!(s.as_str(), "Realtime" | "Realtime_Event" | "Event") => format!("aggregator {name} has triggerType {s:?}, which only realtime operators use; an AGGREGATOR takes Timeout, AllFiles or EachFile"),
                Some(v) => format!("aggregator {name} has triggerType {}; use Timeout, AllFiles or EachFile", shown(v)),
            };
            out.push(Finding::new(
                INVALID_TRIGGER_TYPE.code,
                key_or_metadata(task, md, "triggerType"),
                zuora(message, "Invalid triggerType"),
            ));
            None
        }
    };
    if trigger == Some("Timeout") {
        let mut missing = |key: &str, hint: &str, zuora_message: &str| {
            out.push(Finding::new(
                MISSING_TIMEOUT_SETTINGS.code,
                key_or_metadata(task, md, key),
                zuora(
                    format_args!("aggregator {name} closes its windows on a timeout but has no {key}; {hint}"),
                    zuora_message,
                ),
            ));
        };
        if !has(md, "timeoutType") {
            missing(
                "timeoutType",
                "set it to EventTime or ProcessingTime",
                "timeoutType required",
            );
        }
        if !has(md, "timeoutDuration") {
            missing(
                "timeoutDuration",
                "give the window's length, like \"1 hour\" or \"1 day\"",
                "timeoutDuration required",
            );
        }
        if str_field(md, "timeoutType") == Some("EventTime") && !has(md, "eventTimeField") {
            missing(
                "eventTimeField",
                "an EventTime timeout needs the event field that holds the time",
                "eventTimeField required for EventTime timeout",
            );
        }
    }
    aggregation_fields(task, md, out);
    let grouped = md
        .get("groupFields")
        .and_then(Value::as_array)
        .is_some_and(|g| !g.is_empty());
    if !grouped && !has(md, "eventTimeField") && !has(md, "timeField") {
        out.push(Finding::new(
            NO_GROUP_OR_TIME_FIELD.code,
            key_or_metadata(task, md, "groupFields"),
            zuora(
                format_args!("aggregator {name} has no groupFields and no time field, so each window collapses every event into one record; add the fields to group by"),
                "At least one group field or time field required",
            ),
        ));
    }
}

fn aggregation_fields(task: &TaskRef<'_>, md: &Md, out: &mut Vec<Finding>) {
    let name = task.label();
    let list = match get(md, "aggregationFields") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) | Some(Value::Null) | None => {
            out.push(Finding::new(
                INVALID_AGGREGATION_FIELDS.code,
                key_or_metadata(task, md, "aggregationFields"),
                zuora(
                    format_args!("aggregator {name} has no aggregationFields; add at least one {{field, aggregation, targetField}}"),
                    "aggregationFields cannot be empty",
                ),
            ));
            return;
        }
        Some(_) => return, // the schema reports the wrong type
    };
    for (k, entry) in list.iter().enumerate() {
        let Some(e) = entry.as_object() else {
            continue;
        };
        let at = |rest: &str| task.at(format_args!("/metadata/aggregationFields/{k}{rest}"));
        let missing: Vec<&str> = ["field", "aggregation", "targetField"]
            .into_iter()
            .filter(|key| !has(e, key))
            .collect();
        if !missing.is_empty() {
            out.push(Finding::new(
                INVALID_AGGREGATION_FIELDS.code,
                at(""),
                format!(
                    "aggregation {} of aggregator {name} has no {}; every aggregation reads a field, applies an aggregation and writes a targetField (Zuora refuses incomplete aggregationFields)",
                    k + 1,
                    missing.join(" or ")
                ),
            ));
        }
        if let Some(a) = get(e, "aggregation").filter(|a| !a.is_null()) {
            let known = a
                .as_str()
                .is_some_and(|s| AGGREGATIONS.contains(&s) || is_placeholder(s));
            if !known && has(e, "aggregation") {
                out.push(Finding::new(
                    INVALID_AGGREGATION_FIELDS.code,
                    at("/aggregation"),
                    format!(
                        "aggregation {} of aggregator {name} is {}; use one of {} (upper case, as Zuora stores them)",
                        k + 1,
                        shown(a),
                        AGGREGATIONS.join(", ")
                    ),
                ));
            }
        }
        // MC0131: a targetField written twice (lists are short: compare with the earlier ones).
        if let Some(target) = text(e, "targetField") {
            let earlier = list[..k]
                .iter()
                .any(|p| p.get("targetField").and_then(Value::as_str) == Some(target));
            if earlier {
                out.push(Finding::new(
                    DUPLICATE_AGGREGATION_TARGET.code,
                    at("/targetField"),
                    zuora(
                        format_args!("aggregator {name} has two aggregations writing {target:?}; give each aggregation its own targetField"),
                        format_args!("Duplicate aggregation targetField: {target}"),
                    ),
                ));
            }
        }
    }
}

/// Where a FILTER rule group sits: the task's metadata, or `rules/{i}` inside a parent group.
/// Built on the stack; turned into a pointer only when there is something to report.
enum Path<'p> {
    Root,
    Rule(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn write(&self, s: &mut String) {
        if let Path::Rule(parent, i) = self {
            parent.write(s);
            s.push_str("/rules/");
            s.push_str(&i.to_string());
        }
    }

    fn pointer(&self, task: &TaskRef<'_>, rest: &str) -> String {
        let mut s = task.at("/metadata");
        self.write(&mut s);
        s.push_str(rest);
        s
    }
}

/// Nested rule groups deeper than this are not checked (parsers limit nesting anyway).
const MAX_DEPTH: usize = 64;

fn filter_group(task: &TaskRef<'_>, g: &Md, path: &Path<'_>, depth: usize, out: &mut Vec<Finding>) {
    if depth > MAX_DEPTH {
        return;
    }
    let what = || match path {
        Path::Root => format!("filter {}", task.label()),
        Path::Rule(..) => format!("a nested rule group of filter {}", task.label()),
    };
    let rules = get(g, "rules").and_then(Value::as_array);
    match get(g, "ruleCombiner") {
        Some(Value::String(c)) if c == "and" || c == "or" || is_placeholder(c) => {}
        None | Some(Value::Null) => {
            if rules.is_some_and(|r| !r.is_empty()) {
                let pointer = if g.contains_key("ruleCombiner") {
                    path.pointer(task, "/ruleCombiner")
                } else {
                    path.pointer(task, "")
                };
                out.push(Finding::new(
                    MISSING_RULE_COMBINER.code,
                    pointer,
                    zuora(
                        format_args!(
                            "{} has rules but no ruleCombiner; add `ruleCombiner: and` (or `or`)",
                            what()
                        ),
                        "ruleCombiner required when rules present",
                    ),
                ));
            }
        }
        Some(c) => {
            let hint = match c.as_str() {
                Some(s) if s.eq_ignore_ascii_case("and") || s.eq_ignore_ascii_case("or") => {
                    format!("write it in lower case: {}", s.to_ascii_lowercase())
                }
                _ => "use and or or (lower case)".to_string(),
            };
            out.push(Finding::new(
                INVALID_RULE_COMBINER.code,
                path.pointer(task, "/ruleCombiner"),
                zuora(
                    format_args!("{} combines its rules with {}; {hint}", what(), shown(c)),
                    "Invalid ruleCombiner",
                ),
            ));
        }
    }
    for (i, rule) in rules.into_iter().flatten().enumerate() {
        let Some(r) = rule.as_object() else {
            continue;
        };
        let here = Path::Rule(path, i);
        if r.contains_key("rules") || r.contains_key("ruleCombiner") {
            filter_group(task, r, &here, depth + 1, out);
            continue;
        }
        let operator = text(r, "operator");
        if text(r, "sourceField").is_none() || operator.is_none() {
            let missing = match (text(r, "sourceField"), operator) {
                (None, None) => "sourceField and operator",
                (None, _) => "sourceField",
                _ => "operator",
            };
            out.push(Finding::new(
                INCOMPLETE_FILTER_RULE.code,
                here.pointer(task, ""),
                zuora(
                    format_args!("rule {} of {} has no {missing}; a rule compares an event field (sourceField) using an operator", i + 1, what()),
                    "sourceField and operator required for leaf rule",
                ),
            ));
        }
        if let Some(op) = operator {
            let valueless = catalogue::filter_operator_takes_no_value(op);
            if !valueless && matches!(get(r, "value"), None | Some(Value::Null)) {
                out.push(Finding::new(
                    MISSING_FILTER_VALUE.code,
                    here.pointer(task, ""),
                    zuora(
                        format_args!("rule {} of {} uses operator {op:?} but has no value; add the value to compare with (only blank and notBlank take none)", i + 1, what()),
                        format_args!("value required for {op}"),
                    ),
                ));
            }
        }
    }
}

fn map(task: &TaskRef<'_>, md: &Md, out: &mut Vec<Finding>) {
    let Some(rows) = get(md, "mapFields").and_then(Value::as_array) else {
        return;
    };
    for (k, row) in rows.iter().enumerate() {
        let Some(r) = row.as_object() else {
            continue;
        };
        let mut push = |rest: &str, message: String, zuora_message: &str| {
            out.push(Finding::new(
                INVALID_MAP_FIELD.code,
                task.at(format_args!("/metadata/mapFields/{k}{rest}")),
                zuora(
                    format_args!("row {} of map {} {message}", k + 1, task.label()),
                    zuora_message,
                ),
            ));
        };
        if !has(r, "targetField") {
            push(
                "",
                "has no targetField; name the field the row writes".to_string(),
                "targetField required",
            );
        }
        match get(r, "transformType") {
            None | Some(Value::Null) => push(
                "",
                "has no transformType; use direct (copy sourceField) or transform (evaluate formula)"
                    .to_string(),
                "transformType required",
            ),
            Some(Value::String(t)) if t == "direct" || is_placeholder(t) => {}
            Some(Value::String(t)) if t == "transform" => {
                if !has(r, "formula") {
                    push(
                        "",
                        "is a transform without formula; add the JavaScript expression it evaluates (over `value` and `event`)".to_string(),
                        "formula required for transform type",
                    );
                }
            }
            Some(t) => push(
                "/transformType",
                format!(
                    "has transformType {}; use direct or transform (lower case)",
                    shown(t)
                ),
                "Invalid transformType",
            ),
        }
    }
}

const LOOKUP_TYPES: &[&str] = &[
    "AccountAndChargeName",
    "SubscriptionId",
    "Account",
    "Product",
    "CustomObject",
    "Advanced",
    "ZDP",
];

fn lookup(task: &TaskRef<'_>, md: &Md, out: &mut Vec<Finding>) {
    let name = task.label();
    let kind = match get(md, "lookupType") {
        Some(Value::String(s)) if LOOKUP_TYPES.contains(&s.as_str()) => s.as_str(),
        Some(Value::String(s)) if is_placeholder(s) => return,
        None | Some(Value::Null) => {
            out.push(Finding::new(
                INVALID_LOOKUP_TYPE.code,
                key_or_metadata(task, md, "lookupType"),
                zuora(
                    format_args!(
                        "lookup {name} has no lookupType; set it to one of {}",
                        LOOKUP_TYPES.join(", ")
                    ),
                    "lookupType required",
                ),
            ));
            return;
        }
        Some(v) => {
            out.push(Finding::new(
                INVALID_LOOKUP_TYPE.code,
                task.at("/metadata/lookupType"),
                zuora(
                    format_args!(
                        "lookup {name} has lookupType {}; use one of {}",
                        shown(v),
                        LOOKUP_TYPES.join(", ")
                    ),
                    "Invalid lookupType",
                ),
            ));
            return;
        }
    };
    let needs: &[&str] = match kind {
        "AccountAndChargeName" => &["accountNumberField", "chargeNameField"],
        "SubscriptionId" => &["subscriptionIdField"],
        "Advanced" => &["mapFields", "appendFields", "sql"],
        "ZDP" => &["mapFields", "appendFields", "table"],
        _ => &["mapFields", "appendFields"],
    };
    for key in needs {
        let present = match get(md, key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true, // a list, even empty (Zuora's reference only asks for the key)
        };
        if !present {
            out.push(Finding::new(
                MISSING_LOOKUP_FIELDS.code,
                key_or_metadata(task, md, key),
                format!("lookup {name} has no {key}, which lookupType {kind} needs; add it (Zuora refuses a {kind} lookup without {key})"),
            ));
        }
    }
}

fn rating(task: &TaskRef<'_>, md: &Md, out: &mut Vec<Finding>) {
    for key in [
        "keyFields",
        "eventTimeField",
        "eventTimeFormat",
        "qtyField",
        "outputAmountField",
    ] {
        if !has(md, key) {
            let hint = if key == "keyFields" {
                "list the fields that identify what is rated"
            } else {
                "add it"
            };
            out.push(Finding::new(
                MISSING_RATING_FIELD.code,
                key_or_metadata(task, md, key),
                zuora(
                    format_args!("rating {} has no {key}; {hint}", task.label()),
                    format_args!("{key} is required"),
                ),
            ));
        }
    }
}

fn script(task: &TaskRef<'_>, op: &str, md: &Md, out: &mut Vec<Finding>) {
    let message = match get(md, "language") {
        Some(Value::String(l)) if l == "JS" || l == "PYTHON" || is_placeholder(l) => return,
        None | Some(Value::Null) => (
            format!(
                "{op} task {} has no language; set it to JS or PYTHON",
                task.label()
            ),
            "language required for script operator",
        ),
        Some(l) => (
            format!(
                "{op} task {} has language {}; use JS or PYTHON (upper case)",
                task.label(),
                shown(l)
            ),
            "Invalid language",
        ),
    };
    out.push(Finding::new(
        INVALID_SCRIPT_LANGUAGE.code,
        key_or_metadata(task, md, "language"),
        zuora(message.0, message.1),
    ));
}
