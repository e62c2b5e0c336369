//! RATING (a `lookups.ratings` row per `keyFields` value: `price` × `qtyField`, or a fixed `amount`,
//! into `outputAmountField`) and BILLING_RATING (a `lookups.billingRatings` row per mapped
//! identifier: its other columns are appended to the event).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::{number_of, number_value, str_list, text_of, OperatorCount, SimError, Step};
use super::{find_row, join, no_row, s, set, Site, BILLING_KEYS, BILLING_RATINGS, RATINGS};
use crate::model::keys;

// RATING

/// `n` rounded to 10 decimal places, so `3 × 0.012` is `0.036`, not `0.036000000000000004`.
fn round10(n: f64) -> f64 {
    let r = (n * 1e10).round() / 1e10;
    if r.is_finite() {
        r
    } else {
        n
    }
}

/// A compiled RATING processor.
pub(super) struct Rating {
    key_fields: Vec<String>,
    qty_field: String,
    amount_field: String,
    index: HashMap<String, usize>,
    /// Per row: a unit `price`, or a fixed `amount`.
    prices: Vec<(Option<f64>, Option<Value>)>,
}

impl Rating {
    pub(super) fn new(meta: &Map<String, Value>, site: &Site) -> Result<Rating, SimError> {
        let key_fields: Vec<String> = str_list(meta, "keyFields")
            .into_iter()
            .map(str::to_string)
            .collect();
        if key_fields.is_empty() {
            return Err(
                site.config("keyFields is empty: name the event fields that select a price".into())
            );
        }
        let need = |key: &str| {
            s(meta, key)
                .map(str::to_string)
                .ok_or_else(|| site.config(format!("{key} is required")))
        };
        let qty_field = need("qtyField")?;
        let amount_field = need("outputAmountField")?;
        let example = format!("{{{}: …, price: 0.01}}", key_fields.join(": …, "));
        let mut index = HashMap::new();
        let mut prices = Vec::new();
        for (i, row) in site.rows(RATINGS, &example)?.iter().enumerate() {
            let key = join(key_fields.iter().map(|f| text_of(row.get(f.as_str()))));
            let Some(key) = key else {
                return Err(site.config(format!(
                    "lookups.{RATINGS}[{i}] needs every key field ({}), as in {example}",
                    key_fields.join(", ")
                )));
            };
            let price = row.get("price").and_then(number_of);
            let amount = row
                .get("amount")
                .filter(|a| number_of(a).is_some())
                .cloned();
            if price.is_none() && amount.is_none() {
                return Err(site.config(format!(
                    "lookups.{RATINGS}[{i}] needs a price (per unit) or an amount (per event) that is a number"
                )));
            }
            index.entry(key).or_insert(i);
            prices.push((price, amount));
        }
        Ok(Rating {
            key_fields,
            qty_field,
            amount_field,
            index,
            prices,
        })
    }
}

impl Step for Rating {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        for mut event in events {
            let Some(at) = find_row(&self.key_fields, &self.index, &event) else {
                let fields = self.key_fields.iter().map(|f| (f.as_str(), f.as_str()));
                count.error(no_row(RATINGS, fields, &event));
                continue;
            };
            let amount = match &self.prices[at] {
                (_, Some(amount)) => match amount {
                    Value::String(_) => number_of(amount).map_or(Value::Null, number_value),
                    n => n.clone(),
                },
                (Some(price), None) => {
                    let qty = event.get(self.qty_field.as_str());
                    match qty.and_then(number_of) {
                        Some(q) => number_value(round10(q * price)),
                        None => {
                            count.error(format!(
                                "{} is {}, not a quantity to rate",
                                self.qty_field,
                                qty.map_or_else(|| "missing".into(), Value::to_string)
                            ));
                            continue;
                        }
                    }
                }
                (None, None) => Value::Null,
            };
            set(&mut event, &self.amount_field, amount);
            out.push(event);
        }
        Ok(out)
    }
}

// BILLING_RATING

/// One `lookups.billingRatings` row: (identifier name, value) pairs to match, and the columns
/// to append.
type BillingRow = (Vec<(&'static str, String)>, Map<String, Value>);

/// A compiled BILLING_RATING processor.
pub(super) struct BillingRating {
    /// (identifier name, event field) of the mapped identifiers.
    keys: Vec<(&'static str, String)>,
    rows: Vec<BillingRow>,
}

impl BillingRating {
    pub(super) fn new(meta: &Map<String, Value>, site: &Site) -> Result<BillingRating, SimError> {
        let mut keys = Vec::new();
        let mut mapped = Vec::new();
        for m in meta
            .get(keys::FIELD_MAPPINGS)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(field)) = (
                m.get(keys::NAME).and_then(Value::as_str),
                m.get(keys::FIELD).and_then(Value::as_str),
            ) else {
                continue;
            };
            mapped.push(name.to_string());
            if let Some(k) = BILLING_KEYS.iter().find(|k| k.eq_ignore_ascii_case(name)) {
                keys.push((*k, field.to_string()));
            }
        }
        let example = "{ChargeNumber: C-1, amount: 1.2}";
        let mut rows = Vec::new();
        for (i, row) in site.rows(BILLING_RATINGS, example)?.into_iter().enumerate() {
            let mut matchers = Vec::new();
            let mut outputs = Map::new();
            for (column, value) in row {
                match keys.iter().find(|(k, _)| *k == column) {
                    Some((k, _)) => {
                        let text = text_of(Some(&value)).map(Cow::into_owned).unwrap_or_default();
                        matchers.push((*k, text));
                    }
                    None if BILLING_KEYS.contains(&column.as_str()) => {
                        return Err(site.config(format!(
                            "lookups.{BILLING_RATINGS}[{i}] is keyed by {column}, which this task's fieldMappings do not map"
                        )))
                    }
                    None => {
                        outputs.insert(column, value);
                    }
                }
            }
            if matchers.is_empty() {
                return Err(site.config(format!(
                    "lookups.{BILLING_RATINGS}[{i}] names none of the mapped identifiers ({}), as in {example}",
                    keys.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                )));
            }
            rows.push((matchers, outputs));
        }
        Ok(BillingRating { keys, rows })
    }
}

impl Step for BillingRating {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        for mut event in events {
            let value = |name: &str| {
                self.keys
                    .iter()
                    .find(|(k, _)| *k == name)
                    .and_then(|(_, f)| text_of(event.get(f.as_str())))
            };
            let found = self.rows.iter().find(|(matchers, _)| {
                matchers
                    .iter()
                    .all(|(k, want)| value(k).is_some_and(|have| have == want.as_str()))
            });
            match found {
                Some((_, outputs)) => {
                    let outputs = outputs.clone();
                    for (k, v) in outputs {
                        set(&mut event, &k, v);
                    }
                    out.push(event);
                }
                None => {
                    let fields = self.keys.iter().map(|(k, f)| (*k, f.as_str()));
                    count.error(no_row(BILLING_RATINGS, fields, &event));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{records, sim};
    use serde_json::json;
    #[test]
    fn rating_prices_by_key_fields() {
        let meta = json!({"keyFields": ["Charge", "Tier"], "eventTimeField": "T",
            "eventTimeFormat": "yyyy-MM-dd", "qtyField": "Qty", "outputAmountField": "Amount"});
        let lookups = json!({"ratings": [
            {"Charge": "C-1", "Tier": 1, "price": 0.012},
            {"Charge": "C-2", "Tier": 1, "amount": 5}]});
        let s = sim(
            "RATING",
            meta,
            lookups,
            vec![
                json!({"Charge": "C-1", "Tier": "1", "Qty": 3}),
                json!({"Charge": "C-2", "Tier": 1, "Qty": 100}),
                json!({"Charge": "C-1", "Tier": 1, "Qty": "many"}),
                json!({"Charge": "C-3", "Tier": 1, "Qty": 1}),
            ],
        )
        .unwrap();
        assert_eq!(
            records(&s),
            [
                json!({"Charge": "C-1", "Tier": "1", "Qty": 3, "Amount": 0.036}),
                json!({"Charge": "C-2", "Tier": 1, "Qty": 100, "Amount": 5}),
            ]
        );
        assert_eq!(
            s.operators[1].messages,
            [
                "Qty is \"many\", not a quantity to rate",
                "no row of lookups.ratings matches Charge \"C-3\", Tier \"1\"",
            ]
        );
        let err = sim(
            "RATING",
            json!({"keyFields": ["Charge"], "qtyField": "Q", "outputAmountField": "A"}),
            json!({"ratings": [{"Charge": "C-1"}]}),
            vec![],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "task look: lookups.ratings[0] needs a price (per unit) or an amount (per event) that is a number"
        );
    }

    #[test]
    fn billing_rating_appends_the_matching_rows_other_columns() {
        let meta = json!({"fieldMappings": [
            {"name": "ChargeNumber", "field": "Charge"},
            {"name": "AccountNumber", "field": "Acct"},
            {"name": "Quantity", "field": "Qty"}]});
        let lookups = json!({"billingRatings": [
            {"ChargeNumber": "C-1", "AccountNumber": "A1", "amount": 9.5, "currency": "USD"},
            {"ChargeNumber": "C-1", "amount": 10}]});
        let s = sim(
            "BILLING_RATING",
            meta.clone(),
            lookups,
            vec![
                json!({"Charge": "C-1", "Acct": "A1", "Qty": 1}),
                json!({"Charge": "C-1", "Acct": "A2", "Qty": 1}),
                json!({"Charge": "C-2", "Acct": "A1", "Qty": 1}),
            ],
        )
        .unwrap();
        assert_eq!(
            records(&s),
            [
                json!({"Charge": "C-1", "Acct": "A1", "Qty": 1, "amount": 9.5, "currency": "USD"}),
                json!({"Charge": "C-1", "Acct": "A2", "Qty": 1, "amount": 10}),
            ]
        );
        assert_eq!(
            s.operators[1].messages,
            ["no row of lookups.billingRatings matches ChargeNumber \"C-2\", AccountNumber \"A1\""]
        );
        let err = sim(
            "BILLING_RATING",
            meta,
            json!({"billingRatings": [{"SubscriptionNumber": "S-1"}]}),
            vec![],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("lookups.billingRatings[0] is keyed by SubscriptionNumber"),
            "{err}"
        );
    }
}
