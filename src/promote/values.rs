//! Per-environment values: `${{ values.NAME }}` and `${{ env.NAME }}` placeholders in definitions.
//!
//! [`Renderer::render`] replaces every placeholder anywhere in a string with the environment's
//! value (`values:` in meterctl.yaml) or a process environment variable (for secrets), and
//! remembers every secret it used in a [`Masker`] so that no output shows one (`***`). An
//! unresolved placeholder is an error naming its JSON Pointer, before anything is sent. Zuora's
//! own `${secrets.NAME}` references are not placeholders of ours and pass through untouched.
//!
//! [`restore`] goes the other way, for `pull`: structurally, by JSON Pointer, it puts the
//! repository's placeholder string back wherever the repository had one and the tenant holds
//! that environment's rendering of it at the same place. Where the repository had a secret
//! (`${{ env.X }}`) the tenant's value is never kept, whatever it is.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::load::locate::escape_token;

/// One placeholder occurrence inside a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Byte range of `${{ ... }}` in the string.
    pub range: std::ops::Range<usize>,
    /// `values` or `env`.
    pub kind: Kind,
    /// The NAME.
    pub name: String,
}

/// Where a placeholder's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `${{ values.NAME }}`: the environment's `values:`.
    Values,
    /// `${{ env.NAME }}`: a process environment variable (a secret, masked in output).
    Env,
}

/// Every `${{ values.X }}` / `${{ env.X }}` in `s`; other `${{ ... }}` texts are returned with
/// `name` empty so callers can report them.
pub fn scan(s: &str) -> Vec<Result<Placeholder, std::ops::Range<usize>>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("${{") {
        let start = from + i;
        let Some(j) = s[start + 3..].find("}}") else {
            break;
        };
        let end = start + 3 + j + 2;
        let inner = s[start + 3..end - 2].trim();
        let parsed = inner
            .strip_prefix("values.")
            .map(|n| (Kind::Values, n))
            .or_else(|| inner.strip_prefix("env.").map(|n| (Kind::Env, n)));
        match parsed {
            Some((kind, name)) if crate::config::is_var_name(name) => out.push(Ok(Placeholder {
                range: start..end,
                kind,
                name: name.to_string(),
            })),
            _ => out.push(Err(start..end)),
        }
        from = end;
    }
    out
}

/// Whether `s` holds any `${{`…`}}`.
pub fn has_placeholder(s: &str) -> bool {
    !scan(s).is_empty()
}

/// Secret values that must never be shown: replaced by `***` in every output.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: BTreeSet<String>,
}

impl Masker {
    /// Adds a secret (empty strings are ignored).
    pub fn add(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.secrets.insert(secret.to_string());
        }
    }

    /// Adds every secret of another masker.
    pub fn extend(&mut self, other: &Masker) {
        self.secrets.extend(other.secrets.iter().cloned());
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `s` with every secret replaced by `***` (longest first, so overlapping secrets vanish).
    pub fn mask(&self, s: &str) -> String {
        let mut out = s.to_string();
        let mut by_len: Vec<&String> = self.secrets.iter().collect();
        by_len.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in by_len {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// Masks every string (and key) of a value in place.
    pub fn mask_value(&self, v: &mut Value) {
        if self.is_empty() {
            return;
        }
        match v {
            Value::String(s) => *s = self.mask(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.mask_value(i)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (k, mut item) in old {
                    self.mask_value(&mut item);
                    map.insert(self.mask(&k), item);
                }
            }
            _ => {}
        }
    }
}

/// A placeholder that cannot be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// JSON Pointer of the string.
    pub pointer: String,
    /// The placeholder text.
    pub placeholder: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} {}", self.pointer, self.placeholder, self.reason)
    }
}

/// Looks up a process environment variable.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + Send + Sync + 'a>;

/// Fills placeholders in for one environment.
pub struct Renderer<'a> {
    env_name: &'a str,
    values: &'a BTreeMap<String, String>,
    lookup: Lookup<'a>,
}

impl<'a> Renderer<'a> {
    /// A renderer reading `${{ env.X }}` from the process environment.
    pub fn new(env_name: &'a str, values: &'a BTreeMap<String, String>) -> Renderer<'a> {
        Renderer::with_lookup(env_name, values, |k| std::env::var(k).ok())
    }

    /// A renderer with its own environment lookup (tests).
    pub fn with_lookup(
        env_name: &'a str,
        values: &'a BTreeMap<String, String>,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'a,
    ) -> Renderer<'a> {
        Renderer {
            env_name,
            values,
            lookup: Box::new(lookup),
        }
    }

    /// The rendering of one string, recording secrets it used.
    pub fn render_str(
        &self,
        s: &str,
        pointer: &str,
        masker: &mut Masker,
    ) -> Result<String, Unresolved> {
        let found = scan(s);
        if found.is_empty() {
            return Ok(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for p in found {
            let range = match &p {
                Ok(p) => p.range.clone(),
                Err(r) => r.clone(),
            };
            let text = &s[range.clone()];
            let value = match p {
                Err(_) => {
                    return Err(Unresolved {
                        pointer: pointer.into(),
                        placeholder: text.into(),
                        reason: "is not a placeholder meterctl knows; write ${{ values.NAME }} or ${{ env.NAME }}".into(),
                    })
                }
                Ok(Placeholder {
                    kind: Kind::Values,
                    name,
                    ..
                }) => self.values.get(&name).cloned().ok_or_else(|| Unresolved {
                    pointer: pointer.into(),
                    placeholder: text.into(),
                    reason: format!(
                        "has no value in environment {:?}; add `{name}:` under environments.{}.values in meterctl.yaml",
                        self.env_name, self.env_name
                    ),
                })?,
                Ok(Placeholder {
                    kind: Kind::Env,
                    name,
                    ..
                }) => {
                    let v = (self.lookup)(&name).ok_or_else(|| Unresolved {
                        pointer: pointer.into(),
                        placeholder: text.into(),
                        reason: format!("needs the environment variable {name}, which is not set"),
                    })?;
                    masker.add(&v);
                    v
                }
            };
            out.push_str(&s[last..range.start]);
            out.push_str(&value);
            last = range.end;
        }
        out.push_str(&s[last..]);
        Ok(out)
    }

    /// The rendering of a whole definition; every unresolved placeholder is reported.
    pub fn render(&self, v: &Value, masker: &mut Masker) -> Result<Value, Vec<Unresolved>> {
        let mut errors = Vec::new();
        let out = self.walk(v, &mut String::new(), masker, &mut errors);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn walk(
        &self,
        v: &Value,
        ptr: &mut String,
        masker: &mut Masker,
        errors: &mut Vec<Unresolved>,
    ) -> Value {
        match v {
            Value::String(s) => match self.render_str(s, ptr, masker) {
                Ok(r) => Value::String(r),
                Err(e) => {
                    errors.push(e);
                    v.clone()
                }
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let len = ptr.len();
                        ptr.push_str(&format!("/{i}"));
                        let r = self.walk(item, ptr, masker, errors);
                        ptr.truncate(len);
                        r
                    })
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, item)| {
                        let len = ptr.len();
                        ptr.push('/');
                        ptr.push_str(&escape_token(k));
                        let r = self.walk(item, ptr, masker, errors);
                        ptr.truncate(len);
                        (k.clone(), r)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// What [`restore`] did at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// The placeholder was put back.
    Placeholder(String),
    /// A secret placeholder was kept although the tenant's value differs (or the variable is
    /// not set): the tenant's value is never written.
    SecretKept(String),
}

/// Puts the repository's placeholders back into `tenant` (already in repository shape), by
/// pointer, where the tenant holds this environment's rendering of them. Returns what it did.
pub fn restore(
    repository: &Value,
    tenant: &mut Value,
    renderer: &Renderer<'_>,
    masker: &mut Masker,
) -> Vec<Restored> {
    let mut out = Vec::new();
    for (ptr, repo_s) in collect_strings(repository) {
        let Some(slot) = tenant.pointer_mut(&ptr) else {
            continue;
        };
        let Some(held) = scalar_text(slot) else {
            continue;
        };
        let secret = scan(&repo_s)
            .iter()
            .any(|p| matches!(p, Ok(p) if p.kind == Kind::Env));
        match renderer.render_str(&repo_s, &ptr, masker) {
            Ok(rendered) if rendered == held => {
                *slot = Value::String(repo_s);
                out.push(Restored::Placeholder(ptr));
            }
            _ if secret => {
                *slot = Value::String(repo_s);
                out.push(Restored::SecretKept(ptr));
            }
            _ => {}
        }
    }
    out
}

/// The text a placeholder would have to render to for a tenant's value: a string as it is, a
/// number or boolean as JSON writes it. A tenant may answer a number where the repository has a
/// placeholder (Zuora documents `typeDefinition.schemaId` as "numeric"; its exports write
/// `"20419"`, but a tenant answering `20419` is the same id). Placeholders always render as
/// strings, so such a value goes back to the tenant as `"20419"`; the diff does not count
/// `schemaId` as a change.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Pointers of the strings holding a `${{ env.X }}` (secret) placeholder.
pub fn secret_pointers(repository: &Value) -> Vec<String> {
    collect_strings(repository)
        .into_iter()
        .filter(|(_, s)| {
            scan(s)
                .iter()
                .any(|p| matches!(p, Ok(p) if p.kind == Kind::Env))
        })
        .map(|(p, _)| p)
        .collect()
}

/// (pointer, string) of every string with a placeholder.
fn collect_strings(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    crate::model::visit_strings(v, &mut |p, s| {
        if has_placeholder(s) {
            out.push((p.to_string(), s.to_string()));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values() -> BTreeMap<String, String> {
        [("s3".to_string(), "s3-prod".to_string())].into()
    }

    fn lookup(k: &str) -> Option<String> {
        (k == "TOKEN").then(|| "tok-SECRET-1".to_string())
    }

    #[test]
    fn renders_anywhere_in_strings_and_masks_secrets() {
        let vals = values();
        let r = Renderer::with_lookup("production", &vals, lookup);
        let mut m = Masker::default();
        let v = json!({"a": "conn ${{ values.s3 }}/x", "b": ["Bearer ${{env.TOKEN}}"], "c": "${secrets.keep}", "n": 1});
        let out = r.render(&v, &mut m).unwrap();
        assert_eq!(
            out,
            json!({"a": "conn s3-prod/x", "b": ["Bearer tok-SECRET-1"], "c": "${secrets.keep}", "n": 1})
        );
        assert_eq!(
            m.mask(&out.to_string()),
            json!({"a": "conn s3-prod/x", "b": ["Bearer ***"], "c": "${secrets.keep}", "n": 1})
                .to_string()
        );
    }

    #[test]
    fn unresolved_placeholders_name_their_pointer() {
        let vals = values();
        let r = Renderer::with_lookup("staging", &vals, lookup);
        let mut m = Masker::default();
        let e = r
            .render(&json!({"x": [{"y": "${{ values.nope }}"}], "z": "${{ env.UNSET }}", "w": "${{ foo }}"}), &mut m)
            .unwrap_err();
        let ptrs: Vec<&str> = e.iter().map(|u| u.pointer.as_str()).collect();
        assert_eq!(ptrs, ["/x/0/y", "/z", "/w"]);
        assert!(e[0].reason.contains("environments.staging.values"));
    }

    #[test]
    fn restore_puts_placeholders_back_by_pointer_and_never_keeps_secrets() {
        let vals = values();
        let r = Renderer::with_lookup("production", &vals, lookup);
        let mut m = Masker::default();
        let repo = json!({"c": "${{ values.s3 }}", "d": "${{ values.s3 }}", "h": "Bearer ${{ env.TOKEN }}", "k": "${{ env.TOKEN }}"});
        let mut tenant = json!({"c": "s3-prod", "d": "s3-other", "h": "Bearer tok-SECRET-1", "k": "a-different-secret", "e": "s3-prod"});
        let did = restore(&repo, &mut tenant, &r, &mut m);
        assert_eq!(
            tenant,
            json!({"c": "${{ values.s3 }}", "d": "s3-other", "h": "Bearer ${{ env.TOKEN }}", "k": "${{ env.TOKEN }}", "e": "s3-prod"})
        );
        assert_eq!(did.last(), Some(&Restored::SecretKept("/k".into())));
    }

    #[test]
    fn restore_puts_placeholders_back_where_the_tenant_holds_a_number() {
        let vals: BTreeMap<String, String> = [
            ("schema_id".to_string(), "20419".to_string()),
            ("flag".to_string(), "true".to_string()),
        ]
        .into();
        let r = Renderer::with_lookup("production", &vals, lookup);
        let mut m = Masker::default();
        let repo = json!({"typeDefinition": {"schemaId": "${{ values.schema_id }}"},
            "a": "${{ values.flag }}", "b": "${{ values.schema_id }}", "k": "${{ env.TOKEN }}"});
        let mut tenant =
            json!({"typeDefinition": {"schemaId": 20419}, "a": true, "b": 20419.5, "k": 7});
        let did = restore(&repo, &mut tenant, &r, &mut m);
        assert_eq!(
            tenant,
            json!({"typeDefinition": {"schemaId": "${{ values.schema_id }}"}, "a": "${{ values.flag }}",
                "b": 20419.5, "k": "${{ env.TOKEN }}"})
        );
        assert_eq!(did.len(), 3);
        // The repository's placeholder renders as a string.
        let rendered = r.render(&repo, &mut m).unwrap();
        assert_eq!(rendered["typeDefinition"]["schemaId"], "20419");
    }
}
