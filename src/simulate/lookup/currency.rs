//! CURRENCY_LOOKUP: writes the rate of the first `lookups.currencies` row whose `from`, `to`
//! (and, when the row gives them, `rateType` and `date`) match the event into `rateField`.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::super::dates::Reader;
use super::super::{number_of, number_value, text_of, OperatorCount, SimError, Step};
use super::{no_data, s, set, Site, CURRENCIES};
use crate::clock;
use crate::model::keys;

// CURRENCY_LOOKUP

/// Where a currency or a rate type comes from.
enum Source {
    Static(String),
    Event(String),
}

impl Source {
    /// `{type: STATIC, currency}` / `{type: FROM_EVENT, field}` (without a type: whichever is given).
    fn read(
        meta: &Map<String, Value>,
        key: &str,
        value_key: &str,
        site: &Site,
    ) -> Result<Option<Source>, SimError> {
        let Some(obj) = meta.get(key).and_then(Value::as_object) else {
            return Ok(None);
        };
        let kind = s(obj, "type").unwrap_or("");
        let field = s(obj, keys::FIELD);
        let value = if value_key == "type" {
            (kind != "FROM_EVENT" && !kind.is_empty()).then_some(kind)
        } else {
            s(obj, value_key)
        };
        Ok(Some(match (kind, value, field) {
            ("FROM_EVENT", _, Some(f)) => Source::Event(f.to_string()),
            ("FROM_EVENT", _, None) => {
                return Err(site.config(format!(
                    "{key} is FROM_EVENT but names no field (the event field holding it)"
                )))
            }
            (_, Some(v), _) => Source::Static(v.to_string()),
            ("", None, Some(f)) => Source::Event(f.to_string()),
            _ => {
                return Err(site.config(format!(
                    "{key} needs a {value_key} (type STATIC) or a field (type FROM_EVENT)"
                )))
            }
        }))
    }

    fn value<'a>(&'a self, event: &'a Value) -> Option<Cow<'a, str>> {
        match self {
            Source::Static(v) => Some(Cow::Borrowed(v)),
            Source::Event(f) => text_of(event.get(f.as_str())),
        }
    }
}

struct CurrencyRow {
    from: String,
    to: String,
    rate_type: Option<String>,
    /// `yyyy-MM-dd`.
    date: Option<String>,
    rate: Value,
}

/// A compiled CURRENCY_LOOKUP.
pub(super) struct Currency {
    from: Source,
    to: Source,
    rate_type: Option<Source>,
    date: Option<(String, Option<Reader>)>,
    rate_field: String,
    keep: bool,
    rows: Vec<CurrencyRow>,
}

impl Currency {
    pub(super) fn new(meta: &Map<String, Value>, site: &Site) -> Result<Currency, SimError> {
        let from = Source::read(meta, "fromCurrency", "currency", site)?.ok_or_else(|| {
            site.config(
                "fromCurrency is missing (STATIC with a currency, or FROM_EVENT with a field)"
                    .into(),
            )
        })?;
        let to = Source::read(meta, "toCurrency", "currency", site)?.ok_or_else(|| {
            site.config(
                "toCurrency is missing (STATIC with a currency, or FROM_EVENT with a field)".into(),
            )
        })?;
        let rate_type = Source::read(meta, "rateType", "type", site)?;
        let date = match meta.get("dateField").and_then(Value::as_object) {
            Some(d) => match s(d, keys::FIELD) {
                Some(f) => Some((
                    f.to_string(),
                    s(d, "timeFormat")
                        .map(Reader::new)
                        .transpose()
                        .map_err(|e| site.config(format!("dateField.timeFormat {e}")))?,
                )),
                None => None,
            },
            None => None,
        };
        let rate_field = s(meta, "rateField")
            .ok_or_else(|| {
                site.config(
                    "rateField is missing: name the event field the rate is written to".into(),
                )
            })?
            .to_string();
        let example = "{from: EUR, to: USD, rate: 1.1}";
        let mut rows = Vec::new();
        for (i, row) in site.rows(CURRENCIES, example)?.into_iter().enumerate() {
            let text = |k: &str| text_of(row.get(k)).map(Cow::into_owned);
            let (Some(from), Some(to)) = (text("from"), text("to")) else {
                return Err(site.config(format!(
                    "lookups.{CURRENCIES}[{i}] needs from and to (currency codes), as in {example}"
                )));
            };
            let rate = match row.get("rate").and_then(number_of) {
                Some(_) => row.get("rate").cloned().unwrap_or(Value::Null),
                None => {
                    return Err(site.config(format!(
                        "lookups.{CURRENCIES}[{i}] needs a rate that is a number, as in {example}"
                    )))
                }
            };
            let rate = match rate {
                Value::String(t) => number_of(&Value::String(t)).map_or(Value::Null, number_value),
                n => n,
            };
            let date = match text("date") {
                Some(d) => Some(day_of(&d).ok_or_else(|| {
                    site.config(format!(
                        "lookups.{CURRENCIES}[{i}].date \"{d}\" is not a date (yyyy-MM-dd)"
                    ))
                })?),
                None => None,
            };
            rows.push(CurrencyRow {
                from,
                to,
                rate_type: text("rateType"),
                date,
                rate,
            });
        }
        Ok(Currency {
            from,
            to,
            rate_type,
            date,
            rate_field,
            keep: meta.get("continueWhenNoDataFound").and_then(Value::as_bool) == Some(true),
            rows,
        })
    }

    /// The rate for one event: `Ok(None)` when no row answers, `Err` when the event is unreadable.
    fn rate(&self, event: &Value) -> Result<Option<Value>, String> {
        let (Some(from), Some(to)) = (self.from.value(event), self.to.value(event)) else {
            return Ok(None);
        };
        let rate_type = self.rate_type.as_ref().map(|r| r.value(event));
        let day = match &self.date {
            Some((field, reader)) => {
                let text = text_of(event.get(field.as_str()))
                    .ok_or_else(|| format!("the date field {field} is missing"))?;
                let ms = match reader {
                    Some(r) => r.read(&text).map_err(|e| format!("{field}: {e}"))?,
                    None => clock::parse_time(&text)
                        .ok_or_else(|| format!("{field}: \"{text}\" is not a date-time"))?,
                };
                Some(clock::format_ms(ms)[..10].to_string())
            }
            None => None,
        };
        let found = self.rows.iter().find(|r| {
            r.from == from
                && r.to == to
                && match (&r.rate_type, &rate_type) {
                    (Some(want), Some(Some(have))) => want == have,
                    (Some(_), Some(None)) => false,
                    _ => true,
                }
                && match (&r.date, &day) {
                    (Some(want), Some(have)) => want == have,
                    _ => true,
                }
        });
        Ok(match found {
            Some(r) => Some(r.rate.clone()),
            None if from == to => Some(Value::from(1)),
            None => None,
        })
    }

    fn describe(&self, event: &Value) -> String {
        let text = |s: &Source| s.value(event).map_or_else(|| "?".into(), Cow::into_owned);
        let mut d = format!("{} → {}", text(&self.from), text(&self.to));
        if let Some(r) = &self.rate_type {
            d.push_str(&format!(" ({})", text(r)));
        }
        if let Some((field, _)) = &self.date {
            if let Some(v) = text_of(event.get(field.as_str())) {
                d.push_str(&format!(" on {v}"));
            }
        }
        d
    }
}

/// `yyyy-MM-dd` of a date or date-time (UTC).
fn day_of(text: &str) -> Option<String> {
    clock::parse_time(text).map(|ms| clock::format_ms(ms)[..10].to_string())
}

impl Step for Currency {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        for mut event in events {
            match self.rate(&event) {
                Ok(Some(rate)) => {
                    set(&mut event, &self.rate_field, rate);
                    out.push(event);
                }
                Ok(None) => no_data(event, self.keep, count, &mut out, |e| {
                    format!(
                        "no row of lookups.{CURRENCIES} gives the rate {}",
                        self.describe(e)
                    )
                }),
                Err(e) => count.error(e),
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
    fn currency_lookup_writes_the_rate_of_the_matching_row() {
        let meta = json!({"fromCurrency": {"type": "FROM_EVENT", "field": "Cur"},
            "toCurrency": {"type": "STATIC", "currency": "USD"},
            "rateType": {"type": "MIDPOINT"},
            "dateField": {"field": "Day", "timeFormat": "dd/MM/yyyy"},
            "rateField": "Rate", "continueWhenNoDataFound": false});
        let lookups = json!({"currencies": [
            {"from": "EUR", "to": "USD", "rate": 1.1, "date": "2026-01-05"},
            {"from": "EUR", "to": "USD", "rate": "1.2", "rateType": "MIDPOINT"},
            {"from": "GBP", "to": "USD", "rate": 1.3, "rateType": "ASK"}]});
        let s = sim(
            "CURRENCY_LOOKUP",
            meta,
            lookups,
            vec![
                json!({"Cur": "EUR", "Day": "05/01/2026"}),
                json!({"Cur": "EUR", "Day": "06/01/2026"}),
                json!({"Cur": "USD", "Day": "06/01/2026"}),
                json!({"Cur": "GBP", "Day": "06/01/2026"}),
                json!({"Cur": "EUR", "Day": "tomorrow"}),
            ],
        )
        .unwrap();
        assert_eq!(
            records(&s),
            [
                json!({"Cur": "EUR", "Day": "05/01/2026", "Rate": 1.1}),
                json!({"Cur": "EUR", "Day": "06/01/2026", "Rate": 1.2}),
                json!({"Cur": "USD", "Day": "06/01/2026", "Rate": 1}),
            ]
        );
        assert_eq!(
            s.operators[1].messages,
            [
                "no row of lookups.currencies gives the rate GBP → USD (MIDPOINT) on 06/01/2026",
                "Day: \"tomorrow\" does not match the date format",
            ]
        );
    }
}
