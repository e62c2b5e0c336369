//! Literal credentials must never be committed: passwords, secrets, tokens, API keys and
//! `Authorization` header values must be placeholders.

use serde_json::Value;

use super::{Finding, LITERAL_CREDENTIAL};
use crate::load::locate::escape_token;

/// Key names (lowercase, without `_` and `-`) that hold credentials.
const CREDENTIAL_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "secretkey",
    "secretaccesskey",
    "privatekey",
    "token",
    "accesstoken",
    "refreshtoken",
    "bearertoken",
    "authtoken",
    "apitoken",
    "apikey",
    "clientsecret",
    "awssecretaccesskey",
];

/// The key's characters as compared: ASCII-lowercased, without `_` and `-`.
fn folded(key: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
}

fn folded_eq(key: &str, target: &str) -> bool {
    folded(key).eq(target.chars())
}

fn folded_ends_with(key: &str, suffix: &str) -> bool {
    let mut k = folded(key).rev();
    suffix.chars().rev().all(|c| k.next() == Some(c))
}

/// Whether values under this key are credentials.
fn is_credential_key(key: &str) -> bool {
    if key.len() < 5 {
        return false;
    }
    // Every credential key ends like one of these; most keys are rejected here.
    if !["password", "passwd", "secret", "key", "token"]
        .iter()
        .any(|suffix| folded_ends_with(key, suffix))
    {
        return false;
    }
    CREDENTIAL_KEYS.iter().any(|k| folded_eq(key, k))
        || folded_ends_with(key, "password")
        || folded_ends_with(key, "secret")
}

/// True when `s` is wholly a reference that is filled in elsewhere: Zuora's `${secrets.NAME}`
/// (and event templates `${event.x}`), or meterctl's `${{ env.NAME }}` / `${{ values.NAME }}`.
pub fn is_placeholder(s: &str) -> bool {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
        let inner = inner.trim();
        return (inner.starts_with("env.") || inner.starts_with("values."))
            && !inner.contains(['{', '}']);
    }
    if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        let named = |prefix: &str| inner.strip_prefix(prefix).is_some_and(|n| !n.is_empty());
        return (named("secrets.") || named("event.")) && !inner.contains(['{', '}']);
    }
    if let Some(inner) = s.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        return inner.trim().starts_with("event.") || inner.trim().starts_with("secrets.");
    }
    false
}

/// The credential part of an Authorization-style value (`Bearer xyz` → `xyz`).
fn scheme_credential(s: &str) -> Option<&str> {
    let t = s.trim_start();
    for scheme in ["Bearer ", "Basic ", "bearer ", "basic "] {
        if let Some(rest) = t.strip_prefix(scheme) {
            return Some(rest.trim());
        }
    }
    None
}

pub(super) fn literal_credential(value: &Value, out: &mut Vec<Finding>) {
    let mut path: Vec<Seg<'_>> = Vec::new();
    walk(value, None, &mut path, out);
}

/// One step of the path to the current value; the pointer string is built only for a finding.
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer(path: &[Seg<'_>]) -> String {
    let mut p = String::new();
    for seg in path {
        p.push('/');
        match seg {
            Seg::Key(k) => p.push_str(&escape_token(k)),
            Seg::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

fn walk<'a>(v: &'a Value, key: Option<&'a str>, path: &mut Vec<Seg<'a>>, out: &mut Vec<Finding>) {
    match v {
        Value::Object(map) => {
            // Header objects: {key: "Authorization", value: "Bearer ..."}.
            let header_name = map.get("key").and_then(Value::as_str);
            for (k, child) in map {
                if matches!(child, Value::Null | Value::Bool(_)) {
                    continue;
                }
                let effective = if k == "value" {
                    header_name.or(Some(k))
                } else {
                    Some(k.as_str())
                };
                path.push(Seg::Key(k));
                walk(child, effective, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(child, key, path, out);
                path.pop();
            }
        }
        Value::String(s) => check_string(s, key, path, out),
        // A number under a credential key (`password: 12345678`) is a literal credential too.
        Value::Number(n) if key.is_some_and(is_credential_key) => {
            check_string(&n.to_string(), key, path, out)
        }
        _ => {}
    }
}

/// Whether the string `s`, found under `key`, is a literal credential (what MC0111 reports).
pub fn is_literal_credential(key: Option<&str>, s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    if let Some(cred) = scheme_credential(s) {
        !cred.is_empty() && !is_placeholder(cred)
    } else if key.is_some_and(|k| is_credential_key(k) || folded_eq(k, "authorization")) {
        !s.trim().is_empty() && !is_placeholder(s)
    } else {
        false
    }
}

/// Replaces every literal credential inside `v` (found under `key`) with `***`.
pub fn mask_literal_credentials(v: &mut Value, key: Option<&str>) {
    if let Value::String(s) = v {
        if is_literal_credential(key, s) {
            *s = "***".into();
        }
        return;
    }
    let mut found = Vec::new();
    literal_credential(v, &mut found);
    for f in found {
        if let Some(x) = v.pointer_mut(&f.pointer) {
            *x = Value::String("***".into());
        }
    }
}

fn check_string(s: &str, key: Option<&str>, path: &[Seg<'_>], out: &mut Vec<Finding>) {
    if is_literal_credential(key, s) {
        let what = key.map_or("a value".to_string(), |k| format!("`{k}`"));
        out.push(Finding::new(
            LITERAL_CREDENTIAL.code,
            pointer(path),
            format!(
                "{what} holds a literal credential; never commit secrets: use `${{secrets.NAME}}` (a Zuora secret) or `${{{{ env.NAME }}}}` (an environment variable at apply time)"
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> Vec<String> {
        let mut out = Vec::new();
        literal_credential(&v, &mut out);
        out.into_iter().map(|f| f.pointer).collect()
    }

    #[test]
    fn literals_are_found_placeholders_pass() {
        let v = json!({
            "a": {"password": "hunter2", "clientSecret": "${{ env.CS }}", "apiKey": "${secrets.k}"},
            "headers": [
                {"key": "Authorization", "value": "Bearer abc.def"},
                {"key": "Authorization", "value": "Bearer ${secrets.tok}"},
                {"key": "X-Api-Key", "value": "plain"},
                {"key": "Authorization", "value": "Basic ${{ values.basic }}"}
            ],
            "aws_secret_access_key": "AKIA/xyz",
            "token": null, "secretName": "my-secret", "password2": "", "note": "Bearer abc"
        });
        assert_eq!(
            run(v),
            [
                "/a/password",
                "/headers/0/value",
                "/aws_secret_access_key",
                "/note"
            ]
        );
    }

    #[test]
    fn masking() {
        let mut v =
            json!({"headers": [{"key": "Authorization", "value": "Bearer abc"}], "x": "ok"});
        mask_literal_credentials(&mut v, None);
        assert_eq!(
            v,
            json!({"headers": [{"key": "Authorization", "value": "***"}], "x": "ok"})
        );
        let mut s = json!("hunter2");
        mask_literal_credentials(&mut s, Some("password"));
        assert_eq!(s, "***");
    }

    #[test]
    fn placeholder_forms() {
        assert!(is_placeholder("${secrets.pricing_api_token}"));
        assert!(is_placeholder(" ${{ env.X }} "));
        assert!(is_placeholder("${{values.x}}"));
        assert!(!is_placeholder("${{ env.X }}tail"));
        assert!(!is_placeholder("abc"));
        assert!(!is_placeholder("${secrets.}"));
    }
}
