//! The lookups: SUBSCRIPTION_LOOKUP, CURRENCY_LOOKUP, HTTP, RATING and BILLING_RATING ask Zuora
//! (or a partner's service) for data, so the simulator reads their answers from the test case's
//! `lookups:` tables instead ([`Context::lookups`]), keyed as each operator keys its question:
//!
//! | operator | table | a row | key |
//! | --- | --- | --- | --- |
//! | SUBSCRIPTION_LOOKUP AccountAndChargeName | `subscriptions` | `{accountNumber, chargeName, <referenceField>…}` | accountNumberField + chargeNameField |
//! | SUBSCRIPTION_LOOKUP SubscriptionId | `subscriptions` | `{subscriptionNumber or subscriptionId, …}` | subscriptionIdField |
//! | SUBSCRIPTION_LOOKUP Account / Product / CustomObject | `accounts` / `products` / `customObjects` | `{<referenceField>…}` | `mapFields[{eventField, referenceField}]` |
//! | CURRENCY_LOOKUP | `currencies` | `{from, to, rate, rateType?, date?}` | from + to (+ rateType, date) |
//! | HTTP | `http` | `{method?, path, body?, status?, response}` | the rendered method + urlPath (+ body) |
//! | RATING | `ratings` | `{<keyField>…, price or amount}` | keyFields |
//! | BILLING_RATING | `billingRatings` | `{AccountNumber?, SubscriptionNumber?, ChargeNumber?, <output>…}` | the mapped identifiers |
//!
//! A lookup whose table is absent is a [`SimError::NotSimulated`] when the engine is built (never
//! a silent pass-through), and a malformed table a [`SimError::Config`] naming the table and the
//! row. A reference field such as `Subscription.Name` is read from a row as that literal key or
//! as a path into nested mappings (`Subscription: {Name: S-1}`).

mod currency;
mod http;
mod rating;

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{text_of, Context, OperatorCount, SimError, Step};

/// The `subscriptions` table (AccountAndChargeName and SubscriptionId lookups).
const SUBSCRIPTIONS: &str = "subscriptions";
/// The `currencies` table.
const CURRENCIES: &str = "currencies";
/// The `http` table.
const HTTP: &str = "http";
/// The `ratings` table.
const RATINGS: &str = "ratings";
/// The `billingRatings` table.
const BILLING_RATINGS: &str = "billingRatings";

/// What an AccountAndChargeName or SubscriptionId lookup appends when it names no `appendFields`:
/// Zuora's fixed outputs of the "standard identifiers" enrichment.
const STANDARD_OUTPUTS: &[&str] = &[
    "rateCardId",
    "uom",
    "chargeNumber",
    "subscriptionNumber",
    "accountNumber",
];

/// The identifiers a BILLING_RATING row may be keyed by (its `fieldMappings` names).
const BILLING_KEYS: &[&str] = &["AccountNumber", "SubscriptionNumber", "ChargeNumber"];

/// Builds the step of a lookup operator (`operator` is one of the five above).
pub(super) fn step(
    operator: &str,
    meta: &Map<String, Value>,
    task: &str,
    ctx: &Context,
) -> Result<Box<dyn Step>, SimError> {
    let site = Site {
        task,
        operator,
        ctx,
    };
    Ok(match operator {
        "SUBSCRIPTION_LOOKUP" => Box::new(Enrich::new(meta, &site)?),
        "CURRENCY_LOOKUP" => Box::new(currency::Currency::new(meta, &site)?),
        "HTTP" => Box::new(http::Http::new(meta, &site)?),
        "RATING" => Box::new(rating::Rating::new(meta, &site)?),
        _ => Box::new(rating::BillingRating::new(meta, &site)?),
    })
}

/// The task being built, for its messages and its tables.
struct Site<'a> {
    task: &'a str,
    operator: &'a str,
    ctx: &'a Context,
}

impl Site<'_> {
    fn config(&self, message: String) -> SimError {
        SimError::Config {
            task: self.task.to_string(),
            message,
        }
    }

    /// The rows of table `name`; `example` is a row as the README writes it, for the messages.
    fn rows(&self, name: &str, example: &str) -> Result<Vec<Map<String, Value>>, SimError> {
        let rows = match self.ctx.lookups.get(name) {
            None | Some(Value::Null) => {
                return Err(SimError::NotSimulated {
                    task: self.task.to_string(),
                    operator: self.operator.to_string(),
                    what: format!(
                        "the answers of this lookup: no lookups.{name} table was given (write rows such as {example})"
                    ),
                })
            }
            Some(Value::Array(rows)) => rows,
            Some(other) => {
                return Err(self.config(format!(
                    "lookups.{name} is {}, not a list of rows such as {example}",
                    kind_of(other)
                )))
            }
        };
        rows.iter()
            .enumerate()
            .map(|(i, row)| match row {
                Value::Object(row) => Ok(row.clone()),
                other => Err(self.config(format!(
                    "lookups.{name}[{i}] is {}, not a row such as {example}",
                    kind_of(other)
                ))),
            })
            .collect()
    }
}

/// "a string", "a list", … for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn s<'a>(meta: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    meta.get(key).and_then(Value::as_str)
}

/// A reference field of a row (or of a response): the literal key, else a dotted path into
/// nested mappings. `null` counts as present.
fn reference<'a>(row: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    if let Some(v) = row.get(field) {
        return Some(v);
    }
    let mut parts = field.split('.');
    let mut v = row.get(parts.next()?)?;
    for part in parts {
        v = v.as_object()?.get(part)?;
    }
    Some(v)
}

/// Joins key values into one map key; `None` when one is missing (no row can match).
fn join<'a>(values: impl IntoIterator<Item = Option<Cow<'a, str>>>) -> Option<String> {
    let mut key = String::new();
    for v in values {
        key.push_str(&v?);
        key.push('\u{2}');
    }
    Some(key)
}

/// The row of `index` (key → row) whose key is the event's values of `fields`; `None` when a
/// field is missing or no row has that key.
fn find_row(fields: &[String], index: &HashMap<String, usize>, event: &Value) -> Option<usize> {
    let key = join(fields.iter().map(|f| text_of(event.get(f.as_str()))))?;
    index.get(&key).copied()
}

/// `no row of lookups.TABLE matches F1 "v1", F2 missing`: the event's values of the key fields,
/// each named as `(name, field)` gives it.
fn no_row<'a>(
    table: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    event: &Value,
) -> String {
    let values: Vec<String> = fields
        .into_iter()
        .map(|(name, f)| match text_of(event.get(f)) {
            Some(v) => format!("{name} \"{v}\""),
            None => format!("{name} missing"),
        })
        .collect();
    format!("no row of lookups.{table} matches {}", values.join(", "))
}

/// An event as a mutable object (the source guarantees objects; anything else passes as is).
fn set(event: &mut Value, field: &str, value: Value) {
    if let Some(o) = event.as_object_mut() {
        o.insert(field.to_string(), value);
    }
}

/// What a lookup does with an event nothing answers: passes it on unchanged (`keep`), or counts
/// it as its error and drops it.
fn no_data(
    event: Value,
    keep: bool,
    count: &mut OperatorCount,
    out: &mut Vec<Value>,
    message: impl FnOnce(&Value) -> String,
) {
    if keep {
        out.push(event);
    } else {
        count.error(message(&event));
    }
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIPTION_LOOKUP

/// A compiled SUBSCRIPTION_LOOKUP (Enrichment).
struct Enrich {
    table: &'static str,
    /// The event fields whose values make the key, in order.
    event_fields: Vec<String>,
    /// Key → row (the first row with that key wins).
    index: HashMap<String, usize>,
    rows: Vec<Map<String, Value>>,
    /// (referenceField, eventField); `optional` when only the standard outputs are copied.
    append: Vec<(String, String)>,
    optional: bool,
    keep: bool,
}

impl Enrich {
    fn new(meta: &Map<String, Value>, site: &Site) -> Result<Enrich, SimError> {
        let lookup_type = s(meta, "lookupType").unwrap_or("");
        let need = |key: &str| {
            s(meta, key).map(str::to_string).ok_or_else(|| {
                site.config(format!(
                    "lookupType {lookup_type} needs {key} (the event field it reads)"
                ))
            })
        };
        // The event fields, and the alternative column sets a row is found by.
        let (table, event_fields, columns): (&'static str, Vec<String>, Vec<Vec<String>>) =
            match lookup_type {
                "AccountAndChargeName" => (
                    SUBSCRIPTIONS,
                    vec![need("accountNumberField")?, need("chargeNameField")?],
                    vec![vec!["accountNumber".into(), "chargeName".into()]],
                ),
                "SubscriptionId" => (
                    SUBSCRIPTIONS,
                    vec![need("subscriptionIdField")?],
                    vec![vec!["subscriptionNumber".into()], vec!["subscriptionId".into()]],
                ),
                "Account" | "Product" | "CustomObject" => {
                    let table = match lookup_type {
                        "Account" => "accounts",
                        "Product" => "products",
                        _ => "customObjects",
                    };
                    let mut event_fields = Vec::new();
                    let mut refs = Vec::new();
                    let empty = Vec::new();
                    let list = meta.get("mapFields").and_then(Value::as_array).unwrap_or(&empty);
                    for (k, m) in list.iter().enumerate() {
                        let (Some(e), Some(r)) = (
                            m.get("eventField").and_then(Value::as_str),
                            m.get("referenceField").and_then(Value::as_str),
                        ) else {
                            return Err(site.config(format!(
                                "mapFields[{k}] needs an eventField and a referenceField (how an event field matches the {lookup_type} reference)"
                            )));
                        };
                        event_fields.push(e.to_string());
                        refs.push(r.to_string());
                    }
                    if refs.is_empty() {
                        return Err(site.config(format!(
                            "lookupType {lookup_type} needs mapFields [{{eventField, referenceField}}] to find its reference"
                        )));
                    }
                    (table, event_fields, vec![refs])
                }
                "Advanced" | "ZDP" => {
                    return Err(SimError::NotSimulated {
                        task: site.task.to_string(),
                        operator: site.operator.to_string(),
                        what: format!(
                            "lookupType {lookup_type} (its {} runs in Zuora)",
                            if lookup_type == "ZDP" { "table query" } else { "SQL" }
                        ),
                    })
                }
                other => {
                    return Err(site.config(format!(
                        "lookupType \"{other}\" is not one of AccountAndChargeName, SubscriptionId, Account, Product, CustomObject, Advanced, ZDP"
                    )))
                }
            };
        let mut append = Vec::new();
        if let Some(list) = meta.get("appendFields").and_then(Value::as_array) {
            for (k, a) in list.iter().enumerate() {
                let (Some(r), Some(e)) = (
                    a.get("referenceField").and_then(Value::as_str),
                    a.get("eventField").and_then(Value::as_str),
                ) else {
                    return Err(site.config(format!(
                        "appendFields[{k}] needs a referenceField and an eventField"
                    )));
                };
                append.push((r.to_string(), e.to_string()));
            }
        }
        let optional = append.is_empty() && table == SUBSCRIPTIONS;
        if optional {
            append = STANDARD_OUTPUTS
                .iter()
                .map(|f| (f.to_string(), f.to_string()))
                .collect();
        }
        let example = match table {
            SUBSCRIPTIONS if lookup_type == "SubscriptionId" => {
                "{subscriptionNumber: S-1, Subscription.Name: S-1}".to_string()
            }
            SUBSCRIPTIONS => {
                "{accountNumber: A-1, chargeName: SMS, Subscription.Name: S-1}".to_string()
            }
            _ => format!("{{{}: …, <referenceField>: …}}", columns[0].join(": …, ")),
        };
        let rows = site.rows(table, &example)?;
        let mut index = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let mut found = false;
            for set in &columns {
                let key = join(set.iter().map(|c| text_of(reference(row, c))));
                if let Some(key) = key {
                    found = true;
                    index.entry(key).or_insert(i);
                }
            }
            if !found {
                let wanted: Vec<String> = columns.iter().map(|c| c.join(" and ")).collect();
                return Err(site.config(format!(
                    "lookups.{table}[{i}] has no {}: lookupType {lookup_type} finds its row by {}",
                    wanted.join(" or "),
                    wanted.join(" or ")
                )));
            }
            if !optional {
                for (r, e) in &append {
                    if reference(row, r).is_none() {
                        return Err(site.config(format!(
                            "lookups.{table}[{i}] has no {r}, which this lookup appends as {e} (write `{r}: null` if the reference has none)"
                        )));
                    }
                }
            }
        }
        Ok(Enrich {
            table,
            event_fields,
            index,
            rows,
            append,
            optional,
            keep: meta.get("continueWhenNoDataFound").and_then(Value::as_bool) == Some(true),
        })
    }
}

impl Step for Enrich {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        for mut event in events {
            let Some(at) = find_row(&self.event_fields, &self.index, &event) else {
                let table = self.table;
                let fields = self.event_fields.iter().map(|f| (f.as_str(), f.as_str()));
                no_data(event, self.keep, count, &mut out, |event| {
                    no_row(table, fields, event)
                });
                continue;
            };
            let row = &self.rows[at];
            for (r, e) in &self.append {
                match reference(row, r) {
                    Some(v) => set(&mut event, e, v.clone()),
                    None if self.optional => {}
                    None => set(&mut event, e, Value::Null),
                }
            }
            out.push(event);
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::chain;
    use super::super::{run, Simulation};
    use super::*;
    use serde_json::json;

    /// Runs one lookup task (then an EVENT_STORE sink) with `lookups` over `events`.
    pub(super) fn sim(
        op: &str,
        meta: Value,
        lookups: Value,
        events: Vec<Value>,
    ) -> Result<Simulation, SimError> {
        let v = chain(&[
            ("look", "PROCESSOR", op, meta),
            ("k", "SINK", "EVENT_STORE", json!({})),
        ]);
        let ctx = Context {
            lookups: lookups.as_object().cloned().unwrap_or_default(),
            ..Context::default()
        };
        run(&v, &ctx, vec![events])
    }

    pub(super) fn records(sim: &Simulation) -> &[Value] {
        &sim.sinks[0].records
    }

    /// sms-messages.yaml's lookup.
    fn by_account_and_charge(keep: bool) -> Value {
        json!({"lookupType": "AccountAndChargeName", "accountNumberField": "AccountNumber",
               "chargeNameField": "ChargeName", "continueWhenNoDataFound": keep,
               "appendFields": [
                   {"referenceField": "Subscription.Name", "eventField": "SubscriptionNumber"},
                   {"referenceField": "RatePlanCharge.ChargeNumber", "eventField": "ChargeNumber"},
                   {"referenceField": "RatePlanCharge.UOM", "eventField": "Uom"}]})
    }

    fn subscriptions() -> Value {
        json!({"subscriptions": [
            // Reference fields as literal dotted keys …
            {"accountNumber": "A1", "chargeName": "SMS", "Subscription.Name": "S-1",
             "RatePlanCharge.ChargeNumber": "C-1", "RatePlanCharge.UOM": "Message"},
            // … or as nested mappings.
            {"accountNumber": "A2", "chargeName": "SMS", "Subscription": {"Name": "S-2"},
             "RatePlanCharge": {"ChargeNumber": "C-2", "UOM": "Message"}}
        ]})
    }

    #[test]
    fn subscription_lookup_appends_the_matching_rows_reference_fields() {
        let events = vec![
            json!({"AccountNumber": "A1", "ChargeName": "SMS", "Qty": 1}),
            json!({"AccountNumber": "A2", "ChargeName": "SMS", "Qty": 2}),
            json!({"AccountNumber": "A3", "ChargeName": "SMS", "Qty": 3}),
        ];
        let s = sim(
            "SUBSCRIPTION_LOOKUP",
            by_account_and_charge(false),
            subscriptions(),
            events.clone(),
        )
        .unwrap();
        assert_eq!(
            records(&s),
            [
                json!({"AccountNumber": "A1", "ChargeName": "SMS", "Qty": 1,
                       "SubscriptionNumber": "S-1", "ChargeNumber": "C-1", "Uom": "Message"}),
                json!({"AccountNumber": "A2", "ChargeName": "SMS", "Qty": 2,
                       "SubscriptionNumber": "S-2", "ChargeNumber": "C-2", "Uom": "Message"}),
            ]
        );
        // continueWhenNoDataFound: false → the unmatched event is an error of the lookup.
        assert_eq!(s.operators[1].errors, 1);
        assert_eq!(
            s.operators[1].messages[0],
            "no row of lookups.subscriptions matches AccountNumber \"A3\", ChargeName \"SMS\""
        );
        // true → it passes on unchanged.
        let s = sim(
            "SUBSCRIPTION_LOOKUP",
            by_account_and_charge(true),
            subscriptions(),
            events.clone(),
        )
        .unwrap();
        assert_eq!(records(&s).len(), 3);
        assert_eq!(records(&s)[2], events[2]);
        assert_eq!(s.operators[1].errors, 0);
    }

    #[test]
    fn subscription_id_and_account_lookups_key_as_the_operator_does() {
        // SubscriptionId without appendFields: Zuora's standard outputs, those the row has.
        let meta = json!({"lookupType": "SubscriptionId", "subscriptionIdField": "Sub"});
        let lookups = json!({"subscriptions": [
            {"subscriptionNumber": "S-1", "chargeNumber": "C-1", "uom": "GB", "accountNumber": "A1",
             "note": "not copied"}]});
        let s = sim(
            "SUBSCRIPTION_LOOKUP",
            meta,
            lookups,
            vec![json!({"Sub": "S-1"})],
        )
        .unwrap();
        assert_eq!(
            records(&s),
            [
                json!({"Sub": "S-1", "uom": "GB", "chargeNumber": "C-1", "subscriptionNumber": "S-1",
                    "accountNumber": "A1"})
            ]
        );
        // Account: mapFields say which event field matches which reference field.
        let meta = json!({"lookupType": "Account",
            "mapFields": [{"eventField": "Acct", "referenceField": "Account.AccountNumber"}],
            "appendFields": [{"referenceField": "Account.Currency", "eventField": "Currency"}]});
        let lookups = json!({"accounts": [{"Account": {"AccountNumber": 42, "Currency": "EUR"}}]});
        let s = sim(
            "SUBSCRIPTION_LOOKUP",
            meta,
            lookups,
            vec![json!({"Acct": "42"})],
        )
        .unwrap();
        assert_eq!(records(&s), [json!({"Acct": "42", "Currency": "EUR"})]);
    }

    #[test]
    fn a_missing_table_is_not_simulated_and_a_malformed_one_names_table_and_row() {
        let meta = by_account_and_charge(false);
        let err = sim("SUBSCRIPTION_LOOKUP", meta.clone(), json!({}), vec![]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not simulated yet: the answers of this lookup: no lookups.subscriptions table was given (write rows such as {accountNumber: A-1, chargeName: SMS, Subscription.Name: S-1}) in task look (SUBSCRIPTION_LOOKUP)"
        );
        let cases = [
            (json!({"subscriptions": {"accountNumber": "A1"}}),
             "task look: lookups.subscriptions is a mapping, not a list of rows such as {accountNumber: A-1, chargeName: SMS, Subscription.Name: S-1}"),
            (json!({"subscriptions": ["A1"]}),
             "task look: lookups.subscriptions[0] is a string, not a row such as {accountNumber: A-1, chargeName: SMS, Subscription.Name: S-1}"),
            (json!({"subscriptions": [{"accountNumber": "A1"}]}),
             "task look: lookups.subscriptions[0] has no accountNumber and chargeName: lookupType AccountAndChargeName finds its row by accountNumber and chargeName"),
            (json!({"subscriptions": [{"accountNumber": "A1", "chargeName": "SMS", "Subscription.Name": "S-1",
                                       "RatePlanCharge.ChargeNumber": "C-1"}]}),
             "task look: lookups.subscriptions[0] has no RatePlanCharge.UOM, which this lookup appends as Uom (write `RatePlanCharge.UOM: null` if the reference has none)"),
        ];
        for (lookups, message) in cases {
            let err = sim("SUBSCRIPTION_LOOKUP", meta.clone(), lookups, vec![]).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let sql = json!({"lookupType": "Advanced", "sql": "select 1"});
        let err = sim("SUBSCRIPTION_LOOKUP", sql, subscriptions(), vec![]).unwrap_err();
        assert!(
            err.to_string()
                .contains("lookupType Advanced (its SQL runs in Zuora)"),
            "{err}"
        );
    }
}
