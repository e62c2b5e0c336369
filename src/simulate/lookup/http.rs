//! HTTP: renders the request (`${event.x}` templates in `urlPath` and `body`), answers it from the
//! first matching `lookups.http` row, and maps the answer into the event with
//! `responseToOutputMapper` (`{responseField, eventField}` or `{field, jsonPath}`).

use serde_json::{Map, Value};

use super::super::{text_of, OperatorCount, SimError, Step};
use super::{no_data, reference, s, set, Site, HTTP};

// HTTP

/// One step of a JSONPath of names and indexes.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Name(String),
    Index(usize),
}

/// Parses `$.a.b[0]`, `$['a']`; `None` for anything else (wildcards, filters, `..`).
fn json_path(path: &str) -> Option<Vec<Seg>> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut segs = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name == "*" {
                return None;
            }
            segs.push(Seg::Name(name.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            let quoted = inner
                .strip_prefix('\'')
                .and_then(|q| q.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|q| q.strip_suffix('"')));
            segs.push(match quoted {
                Some(name) => Seg::Name(name.to_string()),
                None => Seg::Index(inner.parse().ok()?),
            });
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(segs)
}

fn walk<'a>(mut v: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    for seg in segs {
        v = match seg {
            Seg::Name(n) => v.get(n.as_str())?,
            Seg::Index(i) => v.get(*i)?,
        };
    }
    Some(v)
}

/// Fills `${event.x}` (and `{{event.x}}`) with the event's values: strings as they are, other
/// values as JSON writes them, a missing field as nothing. `${secrets.x}` stays as written.
fn render(template: &str, event: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    loop {
        let dollar = rest.find("${event.").map(|i| (i, "${event.", "}"));
        let braces = rest.find("{{event.").map(|i| (i, "{{event.", "}}"));
        let next = match (dollar, braces) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        let Some((at, open, close)) = next else {
            out.push_str(rest);
            return out;
        };
        let after = &rest[at + open.len()..];
        let Some(end) = after.find(close) else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let field = after[..end].trim();
        if let Some(v) = text_of(event.get(field)) {
            out.push_str(&v);
        }
        rest = &after[end + close.len()..];
    }
}

/// Where a mapped value comes from in the response.
enum Pick {
    Field(String),
    Path(Vec<Seg>),
}

struct HttpRow {
    method: Option<String>,
    path: String,
    body: Option<Value>,
    status: u64,
    response: Value,
}

/// A compiled HTTP processor.
pub(super) struct Http {
    method: String,
    path: String,
    body: Option<String>,
    outputs: Vec<(String, Pick)>,
    keep: bool,
    rows: Vec<HttpRow>,
}

impl Http {
    pub(super) fn new(meta: &Map<String, Value>, site: &Site) -> Result<Http, SimError> {
        let empty = Map::new();
        let request = meta
            .get("httpRequestConfig")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let output = meta
            .get("httpOutputConfig")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let method = s(request, "httpMethod")
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let path = s(request, "urlPath").unwrap_or("").to_string();
        let body = match request.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(b)) => Some(b.clone()),
            Some(other) => Some(other.to_string()),
        };
        let mut outputs = Vec::new();
        let list = output
            .get("responseToOutputMapper")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (k, m) in list.iter().enumerate() {
            let g = |key: &str| m.get(key).and_then(Value::as_str);
            let item = match (g("field"), g("jsonPath"), g("responseField"), g("eventField")) {
                (Some(field), Some(p), _, _) => {
                    let segs = json_path(p).ok_or_else(|| {
                        site.config(format!(
                            "httpOutputConfig.responseToOutputMapper[{k}].jsonPath \"{p}\": the simulator reads paths of names and indexes such as $.tier.name or $.items[0]"
                        ))
                    })?;
                    (field.to_string(), Pick::Path(segs))
                }
                (_, _, Some(r), Some(e)) => (e.to_string(), Pick::Field(r.to_string())),
                _ => {
                    return Err(site.config(format!(
                        "httpOutputConfig.responseToOutputMapper[{k}] needs {{field, jsonPath}} or {{responseField, eventField}}"
                    )))
                }
            };
            outputs.push(item);
        }
        let example = "{method: GET, path: /plans/pro, response: {price: 2}}";
        let mut rows = Vec::new();
        for (i, row) in site.rows(HTTP, example)?.into_iter().enumerate() {
            let Some(path) = row.get("path").and_then(Value::as_str) else {
                return Err(site.config(format!(
                    "lookups.{HTTP}[{i}] needs a path (the urlPath with the event's values filled in), as in {example}"
                )));
            };
            let status = match row.get("status") {
                None => 200,
                Some(v) => v
                    .as_u64()
                    .filter(|s| (100..600).contains(s))
                    .ok_or_else(|| {
                        site.config(format!(
                            "lookups.{HTTP}[{i}].status is {v}, not an HTTP status code"
                        ))
                    })?,
            };
            let response = row.get("response").cloned();
            if response.is_none() && (200..300).contains(&status) {
                return Err(site.config(format!(
                    "lookups.{HTTP}[{i}] needs a response (the answer's JSON body), as in {example}"
                )));
            }
            rows.push(HttpRow {
                method: row
                    .get("method")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_uppercase),
                path: path.to_string(),
                body: row.get("body").cloned(),
                status,
                response: response.unwrap_or(Value::Null),
            });
        }
        Ok(Http {
            method,
            path,
            body,
            outputs,
            keep: output.get("continueOnFailure").and_then(Value::as_bool) == Some(true),
            rows,
        })
    }
}

/// Whether a row's `body` matches the rendered body: as JSON when both are, else as trimmed text.
fn body_matches(want: &Value, have: Option<&str>) -> bool {
    let Some(have) = have else {
        return false;
    };
    let parsed: Option<Value> = serde_json::from_str(have).ok();
    match want {
        Value::String(w) => match (serde_json::from_str::<Value>(w).ok(), parsed) {
            (Some(w), Some(h)) => crate::value::same(&w, &h),
            _ => w.trim() == have.trim(),
        },
        other => parsed
            .as_ref()
            .is_some_and(|h| crate::value::same(other, h)),
    }
}

impl Step for Http {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        for mut event in events {
            let path = render(&self.path, &event);
            let body = self.body.as_ref().map(|b| render(b, &event));
            let row = self.rows.iter().find(|r| {
                r.method.as_ref().is_none_or(|m| *m == self.method)
                    && r.path == path
                    && r.body
                        .as_ref()
                        .is_none_or(|b| body_matches(b, body.as_deref()))
            });
            let failure = match row {
                None => Some(match &body {
                    Some(body) => format!(
                        "no row of lookups.{HTTP} answers {} {path} with body {}",
                        self.method,
                        body.trim()
                    ),
                    None => format!("no row of lookups.{HTTP} answers {} {path}", self.method),
                }),
                Some(r) if !(200..300).contains(&r.status) => Some(format!(
                    "{} {path} answered {} (lookups.{HTTP})",
                    self.method, r.status
                )),
                Some(_) => None,
            };
            if let Some(message) = failure {
                no_data(event, self.keep, count, &mut out, |_| message);
                continue;
            }
            if let Some(row) = row {
                for (field, pick) in &self.outputs {
                    let v = match pick {
                        Pick::Field(f) => row.response.as_object().and_then(|o| reference(o, f)),
                        Pick::Path(segs) => walk(&row.response, segs),
                    };
                    if let Some(v) = v {
                        set(&mut event, field, v.clone());
                    }
                }
            }
            out.push(event);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{records, sim};
    use super::*;
    use serde_json::json;

    fn quote() -> Value {
        // transcoding-minutes.yaml's HTTP processor, shortened.
        json!({"httpRequestConfig": {"urlPath": "/v2/quotes/${event.Profile}", "httpMethod": "post",
                "body": "{\"accountNumber\": \"${event.AccountNumber}\", \"quantity\": ${event.Minutes}}"},
               "httpOutputConfig": {"responseToOutputMapper": [
                   {"field": "UnitPrice", "jsonPath": "$.unitPrice"},
                   {"field": "PriceTier", "jsonPath": "$.tier['name']"},
                   {"field": "First", "jsonPath": "$.items[0]"},
                   {"responseField": "id", "eventField": "QuoteId"}],
                "continueOnFailure": false}})
    }

    #[test]
    fn a_body_number_matches_by_value_and_a_miss_names_the_body() {
        let lookups = json!({"http": [{"method": "POST", "path": "/v2/quotes/hd",
            "body": {"accountNumber": "A1", "quantity": 30}, "response": {"id": "q-1"}}]});
        let events = vec![
            json!({"AccountNumber": "A1", "Profile": "hd", "Minutes": 30.0}),
            json!({"AccountNumber": "A1", "Profile": "hd", "Minutes": 31}),
        ];
        let s = sim("HTTP", quote(), lookups, events).unwrap();
        assert_eq!(records(&s).len(), 1);
        assert_eq!(
            s.operators[1].messages,
            [
                "no row of lookups.http answers POST /v2/quotes/hd with body \
              {\"accountNumber\": \"A1\", \"quantity\": 31}"
            ]
        );
    }

    #[test]
    fn http_answers_are_keyed_by_the_rendered_request() {
        let lookups = json!({"http": [
            {"method": "POST", "path": "/v2/quotes/hd", "body": {"accountNumber": "A1", "quantity": 30},
             "response": {"id": "q-1", "unitPrice": 0.012, "tier": {"name": "Growth"}, "items": [7, 8]}},
            {"path": "/v2/quotes/hd", "response": {"id": "q-any"}},
            {"path": "/v2/quotes/4k", "status": 503}]});
        let events = vec![
            json!({"AccountNumber": "A1", "Profile": "hd", "Minutes": 30}),
            json!({"AccountNumber": "A2", "Profile": "hd", "Minutes": 5}),
            json!({"AccountNumber": "A1", "Profile": "4k", "Minutes": 1}),
            json!({"AccountNumber": "A1", "Profile": "sd", "Minutes": 1}),
        ];
        let s = sim("HTTP", quote(), lookups.clone(), events.clone()).unwrap();
        assert_eq!(
            records(&s),
            [
                json!({"AccountNumber": "A1", "Profile": "hd", "Minutes": 30, "UnitPrice": 0.012,
                       "PriceTier": "Growth", "First": 7, "QuoteId": "q-1"}),
                json!({"AccountNumber": "A2", "Profile": "hd", "Minutes": 5, "QuoteId": "q-any"}),
            ]
        );
        assert_eq!(
            s.operators[1].messages,
            [
                "POST /v2/quotes/4k answered 503 (lookups.http)",
                "no row of lookups.http answers POST /v2/quotes/sd with body \
                 {\"accountNumber\": \"A1\", \"quantity\": 1}",
            ]
        );
        // continueOnFailure: the failed calls pass on unchanged.
        let mut meta = quote();
        meta["httpOutputConfig"]["continueOnFailure"] = json!(true);
        let s = sim("HTTP", meta, lookups, events.clone()).unwrap();
        assert_eq!(&records(&s)[2..], &events[2..]);
    }

    #[test]
    fn templates_and_json_paths() {
        let e = json!({"a": "x", "n": 2.5, "nil": null});
        assert_eq!(
            render(
                "/p/${event.a}/{{event.n}}/${event.nil}${event.none}/${secrets.k}",
                &e
            ),
            "/p/x/2.5//${secrets.k}"
        );
        assert_eq!(
            json_path("$.a[2]['b c'][\"d\"]"),
            Some(vec![
                Seg::Name("a".into()),
                Seg::Index(2),
                Seg::Name("b c".into()),
                Seg::Name("d".into())
            ])
        );
        assert_eq!(json_path("$"), Some(vec![]));
        for bad in ["a.b", "$..a", "$.*", "$[?(@.a)]"] {
            assert_eq!(json_path(bad), None, "{bad}");
        }
        let mut meta = quote();
        meta["httpOutputConfig"]["responseToOutputMapper"][0]["jsonPath"] = json!("$..price");
        let err = sim("HTTP", meta, json!({"http": []}), vec![]).unwrap_err();
        assert!(err.to_string().contains("jsonPath \"$..price\""), "{err}");
    }
}
