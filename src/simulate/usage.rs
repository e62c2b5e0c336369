//! ZUORA_USAGE: turns each event into a usage record through `fieldMappings`
//! (`{name, field, required, dateFormat, type}`): names in camelCase (`AccountNumber` →
//! `accountNumber`; custom fields `c_…` as written), `startDateTime`/`endDateTime` read with their
//! `dateFormat` and written as Zuora renders times, `quantity` as a number. A record missing a
//! required field (or `startDateTime`, which Zuora always requires) is an error record. The
//! `uniqueKey` follows `usageKeyGenerationMethod`: RAW (and no method) keeps the mapped value,
//! SPECIFIC_FIELDS joins the event's `specificFields` values with `_`, and UUID and INTERNAL,
//! which Zuora generates (randomly, or by rules it does not document), leave it out, so a test's
//! expected records never depend on a random value.

use serde_json::{Map, Value};

use super::dates::Reader;
use super::{number_of, number_value, ErrorRecord, SimError};
use crate::clock;
use crate::model::keys;

struct Mapping {
    name: String,
    field: String,
    required: bool,
    date: Option<Option<Reader>>,
}

/// How the record's `uniqueKey` is made.
enum KeyMethod {
    /// RAW, or no method: the mapped `uniqueKey` as it is.
    Raw,
    /// SPECIFIC_FIELDS: these event fields' values joined with `_`.
    Fields(Vec<String>),
    /// UUID, INTERNAL: Zuora's own value; the simulator writes none.
    Generated,
}

/// The record field holding the unique key.
const UNIQUE_KEY: &str = "uniqueKey";

/// A compiled usage sink.
pub(super) struct UsageSink {
    mappings: Vec<Mapping>,
    key: KeyMethod,
}

/// `AccountNumber` → `accountNumber`; `c_Region` stays.
fn camel(name: &str) -> String {
    if name.starts_with("c_") {
        return name.to_string();
    }
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

impl UsageSink {
    pub(super) fn new(meta: &Map<String, Value>, task: &str) -> Result<UsageSink, SimError> {
        let empty = Vec::new();
        let list = meta
            .get(keys::FIELD_MAPPINGS)
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let mut mappings = Vec::new();
        for (k, m) in list.iter().enumerate() {
            let s = |key: &str| m.get(key).and_then(Value::as_str);
            let (Some(name), Some(field)) = (s(keys::NAME), s(keys::FIELD)) else {
                return Err(SimError::Config {
                    task: task.to_string(),
                    message: format!("fieldMappings[{k}] needs a name and a field"),
                });
            };
            let name = camel(name);
            let date = matches!(name.as_str(), "startDateTime" | "endDateTime")
                .then(|| {
                    s(keys::DATE_FORMAT)
                        .map(Reader::new)
                        .transpose()
                        .map_err(|e| SimError::Config {
                            task: task.to_string(),
                            message: format!("fieldMappings[{k}].dateFormat {e}"),
                        })
                })
                .transpose()?;
            mappings.push(Mapping {
                required: m.get(keys::REQUIRED).and_then(Value::as_bool) == Some(true)
                    || name == "startDateTime",
                name,
                field: field.to_string(),
                date,
            });
        }
        let key = match meta.get("usageKeyGenerationMethod").and_then(Value::as_str) {
            None | Some("RAW") => KeyMethod::Raw,
            Some("UUID" | "INTERNAL") => KeyMethod::Generated,
            Some("SPECIFIC_FIELDS") => {
                let fields: Vec<String> = super::str_list(meta, "specificFields")
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                if fields.is_empty() {
                    return Err(SimError::Config {
                        task: task.to_string(),
                        message: "usageKeyGenerationMethod SPECIFIC_FIELDS needs specificFields (the event fields the unique key is made of)".into(),
                    });
                }
                KeyMethod::Fields(fields)
            }
            Some(other) => {
                return Err(SimError::Config {
                    task: task.to_string(),
                    message: format!(
                        "usageKeyGenerationMethod \"{other}\" is not one of UUID, INTERNAL, SPECIFIC_FIELDS, RAW"
                    ),
                })
            }
        };
        Ok(UsageSink { mappings, key })
    }

    /// The usage record of one event, or the error record Zuora would count.
    pub(super) fn record(&self, event: &Value) -> Result<Value, ErrorRecord> {
        let mut record = Map::new();
        let mut problems = Vec::new();
        for m in &self.mappings {
            let v = event.get(m.field.as_str());
            let text = super::text_of(v).filter(|t| !t.trim().is_empty());
            let Some(text) = text else {
                if m.required {
                    problems.push(format!(
                        "missing required field {} (from event field {})",
                        m.name, m.field
                    ));
                }
                continue;
            };
            let value = match (&m.date, m.name.as_str()) {
                (Some(reader), _) => {
                    let ms = match reader {
                        Some(r) => r.read(&text),
                        None => clock::parse_time(&text)
                            .ok_or_else(|| format!("\"{text}\" is not a date-time")),
                    };
                    match ms {
                        Ok(ms) => Value::String(clock::format_ms(ms)),
                        Err(e) => {
                            problems.push(format!("{} (from {}): {e}", m.name, m.field));
                            continue;
                        }
                    }
                }
                (None, "quantity") => match v.and_then(number_of) {
                    Some(n) if v.is_some_and(Value::is_number) => {
                        v.cloned().unwrap_or(number_value(n))
                    }
                    Some(n) => number_value(n),
                    None => {
                        problems.push(format!(
                            "quantity (from {}) is \"{text}\", not a number",
                            m.field
                        ));
                        continue;
                    }
                },
                _ => v.cloned().unwrap_or(Value::Null),
            };
            record.insert(m.name.clone(), value);
        }
        match &self.key {
            KeyMethod::Raw => {}
            KeyMethod::Generated => {
                record.shift_remove(UNIQUE_KEY);
            }
            KeyMethod::Fields(fields) => {
                let mut parts = Vec::with_capacity(fields.len());
                for f in fields {
                    match super::text_of(event.get(f.as_str())) {
                        Some(v) => parts.push(v.into_owned()),
                        None => problems.push(format!(
                            "the unique key's field {f} (specificFields) is missing"
                        )),
                    }
                }
                if parts.len() == fields.len() {
                    record.insert(UNIQUE_KEY.into(), Value::String(parts.join("_")));
                }
            }
        }
        if problems.is_empty() {
            Ok(Value::Object(record))
        } else {
            Err(ErrorRecord {
                record: Value::Object(record),
                error: problems.join("; "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::run;
    use super::super::tests::chain;
    use super::*;
    use serde_json::json;

    fn sink() -> Value {
        json!({"fieldMappings": [
            {"name": "accountNumber", "field": "Account", "required": true},
            {"name": "Quantity", "field": "Qty", "required": true},
            {"name": "uom", "field": "Unit"},
            {"name": "startDateTime", "field": "SentAt", "dateFormat": "yyyy-MM-dd'T'HH:mm:ss"},
            {"name": "c_Region", "field": "Region", "type": "USAGE_CUSTOM"}
        ]})
    }

    #[test]
    fn field_mappings_make_usage_records_and_missing_required_fields_are_errors() {
        let v = chain(&[("u", "SINK", "ZUORA_USAGE", sink())]);
        let sim = run(
            &v,
            &super::super::Context::default(),
            vec![vec![
                json!({"Account": "A1", "Qty": "3", "Unit": "SMS", "SentAt": "2026-01-05T09:12:44",
                   "Region": "EU", "Other": 1}),
                json!({"Qty": 2, "SentAt": "2026-01-05T09:12:44"}),
                json!({"Account": "A2", "Qty": 1, "SentAt": "05/01/2026"}),
            ]],
        )
        .unwrap();
        let out = &sim.sinks[0];
        assert_eq!(
            out.records,
            [json!({"accountNumber": "A1", "quantity": 3, "uom": "SMS",
                    "startDateTime": "2026-01-05T09:12:44.000+0000", "c_Region": "EU"})]
        );
        assert_eq!(out.errors.len(), 2);
        assert_eq!(
            out.errors[0].error,
            "missing required field accountNumber (from event field Account)"
        );
        assert_eq!(
            out.errors[1].error,
            "startDateTime (from SentAt): \"05/01/2026\" does not match the date format"
        );
        assert_eq!((sim.operators[1].output, sim.operators[1].errors), (1, 2));
    }

    #[test]
    fn the_unique_key_follows_the_generation_method() {
        let sink = |method: Value, extra: Value| {
            let mut meta = json!({"fieldMappings": [
                {"name": "startDateTime", "field": "t"},
                {"name": "uniqueKey", "field": "Id"}]});
            meta["usageKeyGenerationMethod"] = method;
            meta.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            UsageSink::new(meta.as_object().unwrap(), "u")
        };
        let event = json!({"t": "2026-01-05", "Id": "m-1", "Acct": "A1", "Day": 5});
        let key = |s: Result<UsageSink, SimError>| {
            s.unwrap().record(&event).map(|r| r["uniqueKey"].clone())
        };
        assert_eq!(key(sink(json!("RAW"), json!({}))), Ok(json!("m-1")));
        assert_eq!(key(sink(Value::Null, json!({}))), Ok(json!("m-1")));
        assert_eq!(key(sink(json!("UUID"), json!({}))), Ok(Value::Null));
        assert_eq!(key(sink(json!("INTERNAL"), json!({}))), Ok(Value::Null));
        assert_eq!(
            key(sink(
                json!("SPECIFIC_FIELDS"),
                json!({"specificFields": ["Acct", "Day"]})
            )),
            Ok(json!("A1_5"))
        );
        let missing = sink(
            json!("SPECIFIC_FIELDS"),
            json!({"specificFields": ["Acct", "Nope"]}),
        )
        .unwrap()
        .record(&event)
        .unwrap_err();
        assert_eq!(
            missing.error,
            "the unique key's field Nope (specificFields) is missing"
        );
        assert_eq!(
            sink(json!("SPECIFIC_FIELDS"), json!({})).err().unwrap().to_string(),
            "task u: usageKeyGenerationMethod SPECIFIC_FIELDS needs specificFields (the event fields the unique key is made of)"
        );
        assert!(sink(json!("HASH"), json!({})).is_err());
    }

    #[test]
    fn a_start_date_without_a_format_is_read_leniently() {
        let s = UsageSink::new(
            json!({"fieldMappings": [{"name": "startDateTime", "field": "t"}]})
                .as_object()
                .unwrap(),
            "u",
        )
        .unwrap();
        assert_eq!(
            s.record(&json!({"t": "2026-01-05"})).unwrap(),
            json!({"startDateTime": "2026-01-05T00:00:00.000+0000"})
        );
        assert!(
            s.record(&json!({})).is_err(),
            "startDateTime is always required"
        );
    }
}
