//! A tenant's meters in repository form: the `env:NAME` side of `meterctl diff`.
//!
//! Every meter tracked for the environment in `meterctl.lock` is exported (read-only, at most
//! `concurrency` at a time) and put back into repository form the way `pull` does it
//! ([`super::pull::form`]): volatile fields dropped, `globalId` on top, and the repository file's
//! placeholders put back where the tenant holds this environment's rendering of them. So
//! per-environment values (`${{ values.X }}`, `${{ env.X }}`) never show as differences between
//! environments, or between an environment and the repository; only real edits do. Nothing is
//! written. Secrets never leave this module unmasked: where the repository has a `${{ env.X }}`
//! the placeholder is kept whatever the tenant holds, secrets of the environment are masked
//! (`***`), and a literal credential in the tenant (rule MC0111) is shown as `***`.

use super::error::{Detail, PromoteError};
use serde_json::Value;

use super::lock::Lock;
use super::remote::Reader;
use super::values::{scan, Kind, Masker, Renderer};
use super::{par_map, pull, RepoMeter};
use crate::config::Environment;
use crate::fsutil::display;

/// One tenant meter, in repository form.
#[derive(Debug, Clone)]
pub struct LiveMeter {
    /// Its `globalId` (from the lock).
    pub global_id: String,
    /// The tenant's meter id.
    pub meter_id: String,
    /// The definition in repository form (secrets masked).
    pub value: Value,
}

/// An environment's tracked meters, as a diff side.
#[derive(Debug, Default)]
pub struct Live {
    /// One per tracked meter the tenant still holds, sorted by globalId.
    pub meters: Vec<LiveMeter>,
    /// The environment's secrets met while rendering (mask every output with it).
    pub masker: Masker,
    /// Things the user should know (no value of a secret in any).
    pub warnings: Vec<String>,
    /// Remarks for `--verbose` (secret placeholders compared as placeholders).
    pub notes: Vec<String>,
}

/// Exports the meters tracked for `env_name` and puts them into repository form.
pub fn export(
    env_name: &str,
    env: &Environment,
    repo: &[RepoMeter],
    lock: &Lock,
    reader: &Reader,
    concurrency: usize,
) -> Result<Live, PromoteError> {
    let renderer = Renderer::new(env_name, &env.values);
    let mut live = Live::default();
    let tracked: Vec<(String, String)> = lock
        .env(env_name)
        .into_iter()
        .map(|(g, e)| (g, e.meter_id))
        .collect();
    if tracked.is_empty() {
        live.warnings.push(format!(
            "nothing is tracked in environment {env_name:?} in meterctl.lock; this side is empty (`meterctl track` or `meterctl apply` records meters)"
        ));
    }
    // Learn the environment's secrets from every repository file (a tenant may hold a secret
    // where its own file no longer has the placeholder), and say which placeholders of tracked
    // meters cannot be filled in: there the tenant's value shows instead of the placeholder.
    for m in repo {
        let result = renderer.render(&m.value, &mut live.masker);
        if !tracked.iter().any(|(g, _)| g == &m.global_id) {
            continue;
        }
        if let Err(errors) = result {
            for e in errors {
                let secret = scan(&e.placeholder)
                    .iter()
                    .any(|p| matches!(p, Ok(p) if p.kind == Kind::Env));
                if !secret {
                    live.warnings.push(format!(
                        "{}: {e}; the tenant's value is compared there",
                        display(&m.path)
                    ));
                }
            }
        }
    }
    let exports = par_map(&tracked, concurrency, |(_, id)| reader.export(id));
    for ((gid, id), result) in tracked.iter().zip(exports) {
        let remote = match result {
            Ok(v) => v,
            Err(e) if e.status() == Some(404) => {
                live.warnings.push(format!(
                    "{gid} is tracked as meter {id} in meterctl.lock, but the tenant has no such meter; left out"
                ));
                continue;
            }
            Err(e) => {
                return Err(PromoteError::Export {
                    meter_id: id.clone(),
                    global_id: gid.clone(),
                    env: env_name.to_string(),
                    source: Detail(live.masker.mask(&e.to_string())),
                })
            }
        };
        let existing = repo.iter().find(|m| &m.global_id == gid).map(|m| &m.value);
        let mut form = pull::form(gid, &remote, existing, &renderer, &mut live.masker);
        for p in &form.leaks {
            if let Some(v) = form.value.pointer_mut(p) {
                *v = Value::String("***".into());
            }
        }
        if !form.leaks.is_empty() {
            live.warnings.push(format!(
                "{gid}: the tenant holds a credential at {}; shown as ***",
                form.leaks.join(", ")
            ));
        }
        for p in &form.secret_kept {
            let set = existing
                .and_then(|r| r.pointer(p))
                .and_then(Value::as_str)
                .is_some_and(|s| renderer.render_str(s, p, &mut Masker::default()).is_ok());
            if set {
                live.warnings.push(format!(
                    "{gid}: {p}: the tenant's value is not this environment's rendering of the repository's secret placeholder; compared as the placeholder (secrets are never shown; `meterctl plan --env {env_name}` lists it)"
                ));
            } else {
                live.notes.push(format!(
                    "{gid}: {p}: secret placeholder compared as written (its variable is not set)"
                ));
            }
        }
        live.masker.mask_value(&mut form.value);
        live.meters.push(LiveMeter {
            global_id: gid.clone(),
            meter_id: id.clone(),
            value: form.value,
        });
    }
    Ok(live)
}
