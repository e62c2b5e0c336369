//! `pull`: the tenant's tracked meters, exported into the repository in canonical form.
//!
//! Volatile fields are dropped, the lock's `globalId` is put on top, and where the repository's
//! file had a placeholder and the tenant holds this environment's value at the same JSON Pointer
//! the placeholder is put back ([`super::values::restore`]). A definition that would put a
//! literal credential (rule MC0111) or a secret of this environment into the repository is not
//! written; the report names the pointer, never the value. New files are named after the meter,
//! slugged ([`super::slug`]) and made unique; an existing file keeps its name and format.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::error::{Detail, PromoteError};
use serde_json::Value;

use super::lock::{Lock, LockEntry};
use super::remote::Reader;
use super::values::{Masker, Renderer, Restored};
use super::{par_map, plan, slug, RepoMeter};
use crate::config::Environment;
use crate::fsutil::{display, write_atomic};
use crate::load::Format;
use crate::progress::{Event, Progress};

/// What a pull did.
#[derive(Debug, Default)]
pub struct PullReport {
    /// (globalId, file) written (or already equal).
    pub written: Vec<(String, PathBuf)>,
    /// Files whose content did not change.
    pub unchanged: usize,
    /// (globalId, why) not written: the definition would put a credential in the repository.
    pub refused: Vec<(String, String)>,
    /// (globalId, why) not written: the export failed (network, timeout, Zuora's error).
    pub failed: Vec<(String, String)>,
    /// Remarks (secret placeholders kept although the tenant differs).
    pub notes: Vec<String>,
    /// Comments of the repository file whose node the tenant no longer has: kept at the nearest
    /// surviving parent, and said here.
    pub warnings: Vec<String>,
}

/// A tenant export in repository form, with what could not be put back.
#[derive(Debug, Clone)]
pub struct Form {
    /// The definition: `globalId` on top, volatile fields dropped, placeholders put back,
    /// canonical key order.
    pub value: Value,
    /// Pointers where the repository's secret placeholder was kept although the tenant's value
    /// is not this environment's rendering of it (or the variable is not set).
    pub secret_kept: Vec<String>,
    /// Pointers (sorted) of strings that would leak a credential: a secret of this environment
    /// outside a placeholder, or a literal credential (rule MC0111).
    pub leaks: Vec<String>,
}

/// Turns a tenant export into repository form, reporting (never refusing) what would leak.
pub fn form(
    global_id: &str,
    remote: &Value,
    existing: Option<&Value>,
    renderer: &Renderer<'_>,
    masker: &mut Masker,
) -> Form {
    let mut body = plan::normalize(remote);
    let mut secret_kept = Vec::new();
    if let Some(repo) = existing {
        // Learn this environment's secrets from the repository file (errors do not matter here).
        let _ = renderer.render(repo, masker);
        for r in super::values::restore(repo, &mut body, renderer, masker) {
            if let Restored::SecretKept(p) = r {
                secret_kept.push(p);
            }
        }
    }
    let mut leaks = Vec::new();
    crate::model::visit_strings(&body, &mut |p, s| {
        if masker.mask(s) != s {
            leaks.push(p.to_string());
        }
    });
    let mut findings = Vec::new();
    crate::validate::rules::check(&body, &mut findings);
    leaks.extend(
        findings
            .into_iter()
            .filter(|f| f.code == "MC0111")
            .map(|f| f.pointer),
    );
    leaks.sort();
    leaks.dedup();
    let mut out = serde_json::Map::new();
    out.insert("globalId".into(), Value::String(global_id.to_string()));
    if let Value::Object(o) = body {
        out.extend(o);
    }
    let mut value = Value::Object(out);
    crate::canonical::canonicalize(&mut value);
    Form {
        value,
        secret_kept,
        leaks,
    }
}

/// Turns a tenant export into the repository form of a meter; `Err` names the pointers that
/// would leak a credential.
pub fn repository_form(
    global_id: &str,
    remote: &Value,
    existing: Option<&Value>,
    renderer: &Renderer<'_>,
    masker: &mut Masker,
    notes: &mut Vec<String>,
) -> Result<Value, String> {
    let f = form(global_id, remote, existing, renderer, masker);
    for p in &f.secret_kept {
        notes.push(format!(
            "{global_id}: {p}: kept the repository's secret placeholder (the tenant's value is never written)"
        ));
    }
    if !f.leaks.is_empty() {
        return Err(format!(
            "the tenant holds a literal credential at {}; not written. Use a Zuora secret reference (${{secrets.NAME}}) in the tenant, or put ${{{{ env.NAME }}}} at that place in the repository file",
            f.leaks.join(", ")
        ));
    }
    Ok(f.value)
}

/// Exports the tracked meters of `env_name` (all, or those in `only`) into `meters_dir`.
#[allow(clippy::too_many_arguments)]
pub fn pull(
    env_name: &str,
    env: &Environment,
    repo: &[RepoMeter],
    meters_dir: &Path,
    lock: &mut Lock,
    lock_path: &Path,
    reader: &Reader,
    only: &[String],
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<PullReport, PromoteError> {
    let tracked = lock.env(env_name);
    for g in only {
        if !tracked.contains_key(g) {
            return Err(PromoteError::NotTracked {
                global_id: g.clone(),
                env: env_name.to_string(),
            });
        }
    }
    let jobs: Vec<(String, LockEntry)> = tracked
        .into_iter()
        .filter(|(g, _)| only.is_empty() || only.contains(g))
        .collect();
    progress.event(Event::Started {
        label: "pulling",
        total: Some(jobs.len() as u64),
    });
    let exports = par_map(&jobs, concurrency, |(gid, e)| {
        let r = reader.export(&e.meter_id);
        progress.event(Event::Advanced { item: gid });
        r
    });
    progress.event(Event::Finished);
    // Refused credentials fail every export alike: one error, nothing written.
    if let Some(e) = exports
        .iter()
        .find_map(|r| r.as_ref().err().filter(|e| e.is_auth()))
    {
        return Err(PromoteError::PullRefused {
            env: env_name.to_string(),
            source: Detail(e.to_string()),
        });
    }
    let renderer = Renderer::new(env_name, &env.values);
    let mut masker = Masker::default();
    // Learn every secret this environment's repository uses, from every file: a meter pulled
    // into a new file must not carry a secret another file holds as `${{ env.X }}`.
    for m in repo {
        let _ = renderer.render(&m.value, &mut masker);
    }
    // Every export is the meter its entry says, or nothing is written.
    let mut mismatches = Vec::new();
    for ((gid, entry), result) in jobs.iter().zip(&exports) {
        let Ok(remote) = result else { continue };
        let repo_name = repo
            .iter()
            .find(|m| &m.global_id == gid)
            .and_then(|m| m.value.get("name"))
            .and_then(|n| renderer.render(n, &mut masker).ok())
            .and_then(|n| n.as_str().map(str::to_string));
        if let Some(why) =
            super::identity_mismatch(env_name, gid, repo_name.as_deref(), entry, remote)
        {
            mismatches.push(masker.mask(&why));
        }
    }
    if !mismatches.is_empty() {
        return Err(super::wrong_entries(
            env_name,
            &mismatches,
            "nothing was written",
        ));
    }
    let mut report = PullReport::default();
    // Names taken: every repository file, and every file this pull writes.
    let mut taken: BTreeSet<PathBuf> = repo.iter().map(|m| m.path.clone()).collect();
    std::fs::create_dir_all(meters_dir).map_err(|source| PromoteError::CreateDir {
        path: display(meters_dir).into_owned(),
        source,
    })?;
    for ((gid, entry), result) in jobs.iter().zip(exports) {
        // One meter that cannot be exported does not stop the others (it is reported as
        // refused, and the run exits 1).
        let remote = match result {
            Ok(r) => r,
            Err(e) => {
                report.failed.push((
                    gid.clone(),
                    format!(
                        "cannot export meter {} from {env_name}: {}",
                        entry.meter_id,
                        masker.mask(&e.to_string())
                    ),
                ));
                continue;
            }
        };
        let existing = repo.iter().find(|m| &m.global_id == gid);
        let form = match repository_form(
            gid,
            &remote,
            existing.map(|m| &m.value),
            &renderer,
            &mut masker,
            &mut report.notes,
        ) {
            Ok(f) => f,
            Err(why) => {
                report.refused.push((gid.clone(), why));
                continue;
            }
        };
        let (path, format) = match existing {
            Some(m) => (m.path.clone(), m.format),
            None => {
                let base = slug(remote["name"].as_str().unwrap_or(gid));
                let mut n = 1;
                let mut p = meters_dir.join(format!("{base}.yaml"));
                while taken.contains(&p) || p.exists() {
                    n += 1;
                    p = meters_dir.join(format!("{base}-{n}.yaml"));
                }
                (p, Format::Yaml)
            }
        };
        taken.insert(path.clone());
        let old = std::fs::read_to_string(&path).ok();
        let text = match format {
            Format::Yaml => {
                let (text, moved) = with_comments(&form, old.as_deref());
                report.warnings.extend(moved.into_iter().map(|p| {
                    format!("{gid}: {p} is gone from the tenant's meter; its comments were kept at its nearest remaining parent in {}", display(&path))
                }));
                text
            }
            Format::Json => crate::canonical::to_text(&form, format),
        };
        if old.as_deref() == Some(text.as_str()) {
            report.unchanged += 1;
        } else {
            write_atomic(&path, text.as_bytes()).map_err(|source| PromoteError::Write {
                path: display(&path).into_owned(),
                source,
            })?;
        }
        lock.set(
            env_name,
            gid,
            LockEntry {
                meter_id: entry.meter_id.clone(),
                digest: Some(plan::digest(&remote)),
                name: remote["name"].as_str().map(str::to_string),
            },
        );
        lock.save(lock_path)?;
        report.written.push((gid.clone(), path));
    }
    Ok(report)
}

/// YAML for `form` carrying the comments of the repository file's text `old` (if it parses);
/// also the pointers whose node is gone (their comments moved to the nearest parent).
fn with_comments(form: &Value, old: Option<&str>) -> (String, Vec<String>) {
    let mut comments = old
        .and_then(|t| crate::yaml::parse(t.trim_start_matches('\u{feff}')).ok())
        .map(|p| p.comments)
        .unwrap_or_default();
    let moved = comments.retain_in(form);
    (crate::yaml::to_string(form, &comments), moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn repository_form_restores_and_refuses_credentials() {
        let vals: BTreeMap<String, String> = [("conn".to_string(), "s3-sbx".to_string())].into();
        let r = Renderer::with_lookup("sandbox", &vals, |k| {
            (k == "TOK").then(|| "sekret-123".into())
        });
        let mut m = Masker::default();
        let mut notes = Vec::new();
        let repo = json!({"globalId": "g", "name": "N", "metadata": {"connectionName": "${{ values.conn }}", "token": "${{ env.TOK }}"}});
        let remote = json!({"id": 7, "name": "N", "createdAt": "x", "metadata": {"connectionName": "s3-sbx", "token": "sekret-123"}});
        let f = repository_form("g", &remote, Some(&repo), &r, &mut m, &mut notes).unwrap();
        assert_eq!(f, repo);
        // No repository file: the secret would be written literally → refused, pointer named.
        let e = repository_form("g", &remote, None, &r, &mut m, &mut notes).unwrap_err();
        assert!(
            e.contains("/metadata/token") && !e.contains("sekret-123"),
            "{e}"
        );
        // `form` reports the same places without refusing (for `diff env:`, which masks them).
        let f = form("g", &remote, None, &r, &mut m);
        assert_eq!(f.leaks, ["/metadata/token"]);
        assert_eq!(f.value["globalId"], "g");
        assert!(f.value.get("createdAt").is_none());
        let f = form("g", &remote, Some(&repo), &r, &mut m);
        assert!(f.leaks.is_empty() && f.secret_kept.is_empty());
        let rotated =
            json!({"name": "N", "metadata": {"connectionName": "s3-sbx", "token": "old-one"}});
        let f = form("g", &rotated, Some(&repo), &r, &mut m);
        assert_eq!(f.secret_kept, ["/metadata/token"]);
        assert_eq!(f.value, repo);
        let lit = json!({"name": "N", "metadata": {"password": "hunter2"}});
        let e =
            repository_form("g", &lit, None, &r, &mut Masker::default(), &mut notes).unwrap_err();
        assert!(
            e.contains("/metadata/password") && !e.contains("hunter2"),
            "{e}"
        );
    }

    #[test]
    fn comments_of_the_repository_file_are_kept() {
        let old = "# owner: billing\n\nglobalId: g\nname: N  # shown in Zuora\nmetadata:\n  # gone soon\n  old: 1\n";
        let form = json!({"globalId": "g", "name": "M", "metadata": {"new": 2}});
        let (text, moved) = with_comments(&form, Some(old));
        assert_eq!(
            text,
            "# owner: billing\n\nglobalId: g\nname: M  # shown in Zuora\nmetadata:\n  new: 2\n  # gone soon\n"
        );
        assert_eq!(moved, ["/metadata/old"]);
        // No file, or one that does not parse: plain canonical YAML.
        let plain = crate::canonical::to_text(&form, Format::Yaml);
        assert_eq!(with_comments(&form, None).0, plain);
        assert_eq!(with_comments(&form, Some("a: [")).0, plain);
    }
}
