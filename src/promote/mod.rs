//! GitOps promotion: the repository's meters, rendered per environment, compared with and
//! written to the environment's tenant.
//!
//! The repository is `meterctl.yaml` (environments, see [`crate::config`]), a folder of
//! definitions each with a top-level `globalId`, and `meterctl.lock` ([`lock`]) recording each
//! environment's tenant meter ids. [`values`] renders `${{ values.X }}` / `${{ env.X }}`
//! placeholders and puts them back; [`plan`] compares; [`apply`] imports; [`pull`] exports into
//! the repository; [`live`] reads a tenant's meters in repository form for `diff env:E`. Talking to a tenant goes through [`remote`], whose read-only [`remote::Reader`]
//! cannot write: a dry run never builds a [`remote::Writer`]. [`guard`] keeps two writing
//! commands from running on one repository at once.

pub mod apply;
pub mod error;
pub mod guard;
pub mod live;
pub mod lock;
pub mod plan;
pub mod pull;
pub mod remote;
pub mod select;
pub mod values;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::config::{Config, Environment};
use crate::fsutil::display;
use crate::load::Format;
use crate::progress::{Event, Progress};
pub use error::PromoteError;
use lock::Lock;
use plan::{Action, Plan, PlanAction};
use values::{Masker, Renderer};

/// One definition file of the repository.
#[derive(Debug, Clone)]
pub struct RepoMeter {
    /// Its file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its content (repository form: placeholders, `globalId`).
    pub value: Value,
    /// Its `globalId`.
    pub global_id: String,
    /// Its `name` (or the file stem).
    pub name: String,
}

/// Loads every definition under `dir` (none when it does not exist). Every file needs a unique
/// `globalId`.
pub fn load_repo(dir: &Path) -> Result<Vec<RepoMeter>, PromoteError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let paths = crate::load::discover(&[dir.to_path_buf()])?;
    let mut out: Vec<RepoMeter> = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in paths {
        let doc = crate::load::load_file(&path).map_err(PromoteError::Definition)?;
        let Some(gid) = doc.value["globalId"]
            .as_str()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        else {
            return Err(PromoteError::NoGlobalId {
                path: display(&path).into_owned(),
                slug: slug(
                    path.file_stem()
                        .map(|s| s.to_string_lossy())
                        .as_deref()
                        .unwrap_or("meter"),
                ),
            });
        };
        if let Some(other) = seen.get(gid) {
            return Err(PromoteError::DuplicateGlobalId {
                first: display(other).into_owned(),
                second: display(&path).into_owned(),
                global_id: gid.to_string(),
            });
        }
        seen.insert(gid.to_string(), path.clone());
        let name = doc.value["name"].as_str().map_or_else(
            || {
                path.file_stem()
                    .map_or(String::new(), |s| s.to_string_lossy().into_owned())
            },
            str::to_string,
        );
        out.push(RepoMeter {
            global_id: gid.to_string(),
            name,
            format: doc.format,
            value: doc.value,
            path,
        });
    }
    Ok(out)
}

/// A file-name slug: lowercase `[a-z0-9-]`, runs of anything else become one `-`, no leading or
/// trailing `-`, at most 80 characters; `meter` when nothing is left. Never contains `.`, `/`
/// or `\`, so never `..` or a path.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s.trim_matches('-').chars().take(80).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "meter".into()
    } else {
        s
    }
}

/// Runs `f` on every item with at most `n` threads; results in item order.
pub fn par_map<T: Sync, R: Send>(items: &[T], n: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<R>>> =
        std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..n.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Renders every repository meter for an environment; every unresolved placeholder of every
/// file is reported at once. Returns the rendered definitions (repository order) and the secrets
/// they use.
pub fn render_all(
    env_name: &str,
    env: &Environment,
    repo: &[RepoMeter],
) -> Result<(Vec<Value>, Masker), PromoteError> {
    let renderer = Renderer::new(env_name, &env.values);
    let mut masker = Masker::default();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for m in repo {
        match renderer.render(&m.value, &mut masker) {
            Ok(v) => out.push(v),
            Err(es) => errors.extend(es.into_iter().map(|e| format!("{}: {e}", display(&m.path)))),
        }
    }
    if !errors.is_empty() {
        return Err(PromoteError::Unresolved {
            env: env_name.to_string(),
            unresolved: errors,
        });
    }
    Ok((out, masker))
}

/// Checks that a tenant export is the meter a lock entry says it is; `Some(why)` when the entry
/// points at another meter (edited by hand, or ids shuffled by a tenant refresh).
///
/// The export's `globalId`, when the tenant returns one, must be `global_id` (and then decides).
/// Without one, its `name` must be
/// the repository meter's (`repo_name`, rendered for the environment) or the name the lock
/// recorded when it was last applied, pulled or tracked (so a rename on one side is no mismatch).
/// With neither name known there is nothing to compare.
pub fn identity_mismatch(
    env_name: &str,
    global_id: &str,
    repo_name: Option<&str>,
    entry: &lock::LockEntry,
    export: &Value,
) -> Option<String> {
    let id = &entry.meter_id;
    let tenant_name = export["name"].as_str().unwrap_or("");
    let tenant_gid = export["globalId"].as_str().filter(|g| !g.is_empty());
    let wanted = repo_name.or(entry.name.as_deref());
    let gid_differs = tenant_gid.is_some_and(|g| g != global_id);
    // A globalId the tenant returns is decisive; names are compared only without one.
    let name_differs = tenant_gid.is_none()
        && wanted.is_some()
        && repo_name != Some(tenant_name)
        && entry.name.as_deref() != Some(tenant_name);
    if !gid_differs && !name_differs {
        return None;
    }
    Some(format!(
        "meterctl.lock says {global_id}{} is meter {id} in {env_name}, but meter {id} there is {tenant_name:?}{}: the entry points at another meter (edited by hand, or the tenant was refreshed). Record the right meter with `meterctl track --env {env_name} {global_id} METER_ID`{}",
        wanted.map(|n| format!(" ({n:?})")).unwrap_or_default(),
        tenant_gid
            .map(|g| format!(" (globalId {g})"))
            .unwrap_or_default(),
        if gid_differs {
            String::new()
        } else {
            format!(
                "; if meter {id} was renamed, `meterctl track --env {env_name} {global_id} {id}` confirms it"
            )
        }
    ))
}

/// The error for lock entries that point at the wrong tenant meters ([`identity_mismatch`]).
pub fn wrong_entries(env_name: &str, mismatches: &[String], consequence: &str) -> PromoteError {
    PromoteError::WrongEntries {
        env: env_name.to_string(),
        mismatches: mismatches.to_vec(),
        consequence: consequence.to_string(),
    }
}

/// A plan with what it was computed from (kept in memory for `apply`, never saved).
pub struct Planned {
    /// The plan (secrets masked).
    pub plan: Plan,
    /// globalId → rendered, normalised definition (holds secrets).
    pub desired: BTreeMap<String, Value>,
    /// globalId → the tenant's definition as exported (holds secrets).
    pub remote: BTreeMap<String, Value>,
    /// The secrets in use.
    pub masker: Masker,
}

/// Computes the plan of one environment: renders, exports every tracked meter (at most
/// `concurrency` at a time), compares.
pub fn compute_plan(
    env_name: &str,
    env: &Environment,
    repo: &[RepoMeter],
    lock: &Lock,
    reader: &remote::Reader,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<Planned, PromoteError> {
    let (rendered, masker) = render_all(env_name, env, repo)?;
    let tracked = lock.env(env_name);
    let jobs: Vec<(usize, String)> = repo
        .iter()
        .enumerate()
        .filter_map(|(i, m)| tracked.get(&m.global_id).map(|e| (i, e.meter_id.clone())))
        .collect();
    let label = format!("reading {} meter(s) from {env_name}", jobs.len());
    progress.event(Event::Started {
        label: &label,
        total: Some(jobs.len() as u64),
    });
    let exports = par_map(&jobs, concurrency, |(i, id)| {
        let r = reader.export(id);
        progress.event(Event::Advanced {
            item: &repo[*i].name,
        });
        r
    });
    progress.event(Event::Finished);
    let mut remote: BTreeMap<String, Value> = BTreeMap::new();
    let mut mismatches: Vec<String> = Vec::new();
    for ((i, id), result) in jobs.iter().zip(exports) {
        let gid = &repo[*i].global_id;
        match result {
            Ok(v) => {
                let name = rendered[*i]["name"].as_str();
                if let Some(why) = identity_mismatch(env_name, gid, name, &tracked[gid], &v) {
                    mismatches.push(masker.mask(&why));
                }
                remote.insert(gid.clone(), v);
            }
            // Tracked, but the tenant no longer has it: a create, with a warning.
            Err(e) if e.status() == Some(404) => {}
            Err(e) => {
                return Err(PromoteError::Export {
                    meter_id: id.clone(),
                    global_id: gid.clone(),
                    env: env_name.to_string(),
                    source: error::Detail(masker.mask(&e.to_string())),
                })
            }
        }
    }
    if !mismatches.is_empty() {
        return Err(wrong_entries(env_name, &mismatches, "nothing was changed"));
    }
    let mut desired = BTreeMap::new();
    let mut actions = Vec::new();
    for (m, r) in repo.iter().zip(rendered) {
        let want = plan::normalize(&r);
        let desired_digest = Some(plan::digest(&want));
        let entry = tracked.get(&m.global_id);
        let action = match remote.get(&m.global_id) {
            None => PlanAction {
                global_id: m.global_id.clone(),
                name: m.name.clone(),
                action: Action::Create,
                meter_id: None,
                file: Some(display(&m.path).into_owned()),
                changes: Vec::new(),
                remote_fingerprint: None,
                desired_digest,
                untracked: entry.is_none(),
                warning: entry.map(|e| {
                    format!(
                        "meterctl.lock tracks it as meter {}, which {env_name} no longer has; apply imports it again (a new meter id), or `meterctl track` records the right one",
                        e.meter_id
                    )
                }),
            },
            Some(have) => {
                let have_n = plan::normalize(have);
                let mut changes = plan::changes(&have_n, &want);
                // The tenant's old secret is unknown to the masker: hide whatever is at a place
                // where the repository has a secret placeholder.
                let secret_at = values::secret_pointers(&m.value);
                for c in &mut changes {
                    let secret = secret_at
                        .iter()
                        .any(|p| c.pointer == *p || c.pointer.starts_with(&format!("{p}/")));
                    // A literal credential the tenant holds is never printed either.
                    let key = c
                        .pointer
                        .rsplit('/')
                        .next()
                        .map(|k| k.replace("~1", "/").replace("~0", "~"));
                    for v in [&mut c.old, &mut c.new].into_iter().flatten() {
                        crate::validate::rules::mask_literal_credentials(v, key.as_deref());
                        if secret {
                            *v = Value::String("***".into());
                            continue;
                        }
                        for p in &secret_at {
                            if let Some(rel) = p.strip_prefix(&format!("{}/", c.pointer)) {
                                if let Some(inner) = v.pointer_mut(&format!("/{rel}")) {
                                    *inner = Value::String("***".into());
                                }
                            }
                        }
                        masker.mask_value(v);
                    }
                }
                PlanAction {
                    global_id: m.global_id.clone(),
                    name: m.name.clone(),
                    action: if changes.is_empty() {
                        Action::Unchanged
                    } else {
                        Action::Update
                    },
                    meter_id: entry.map(|e| e.meter_id.clone()),
                    file: Some(display(&m.path).into_owned()),
                    changes,
                    remote_fingerprint: Some(plan::digest(have)),
                    desired_digest,
                    untracked: false,
                    warning: None,
                }
            }
        };
        actions.push(action);
        desired.insert(m.global_id.clone(), want);
    }
    for (gid, e) in &tracked {
        if !repo.iter().any(|m| &m.global_id == gid) {
            actions.push(PlanAction {
                global_id: gid.clone(),
                name: gid.clone(),
                action: Action::Orphaned,
                meter_id: Some(e.meter_id.clone()),
                file: None,
                changes: Vec::new(),
                remote_fingerprint: None,
                desired_digest: None,
                untracked: false,
                warning: None,
            });
        }
    }
    Ok(Planned {
        plan: Plan::new(env_name, actions),
        desired,
        remote,
        masker,
    })
}

/// UTC time as `20261126T144800Z` (for backup folder names).
pub fn utc_stamp() -> String {
    let ms = crate::clock::now_ms();
    let iso = crate::clock::format_ms(ms);
    // 2026-11-26T14:48:00.000+0000 → 20261126T144800Z
    let (date, rest) = iso.split_once('T').unwrap_or((&iso, ""));
    let time: String = rest.chars().take(8).filter(|c| *c != ':').collect();
    format!("{}T{time}Z", date.replace('-', ""))
}

/// Starts a repository: `path` (meterctl.yaml) with one entry per `(name, url)` environment,
/// a `meters/` folder beside it, and `.meterctl/` in its `.gitignore`; checked by loading it
/// back. `path` must not exist yet.
pub fn init_repository(path: &Path, envs: &[(String, String)]) -> Result<(), PromoteError> {
    let mut text = String::from(
        "# meterctl repository: `meterctl config check` checks this file.\nversion: 1\nmeters: meters/                  # folder of definitions, one meter per file\nenvironments:\n",
    );
    for (name, url) in envs {
        let var = name.to_ascii_uppercase().replace('-', "_");
        let mut lines = vec![
            (format!("  {name}:"), ""),
            (format!("    url: {url}"), ""),
            (
                format!("    client_id_env: ZUORA_{var}_CLIENT_ID"),
                "names of environment variables, never values",
            ),
            (
                format!("    client_secret_env: ZUORA_{var}_CLIENT_SECRET"),
                "",
            ),
            (
                "    entity_ids: []".to_string(),
                "optional, sent as Zuora-Entity-Ids",
            ),
            (
                "    values: {}".to_string(),
                "replaces ${{ values.NAME }} in definitions",
            ),
        ];
        if name == "production" {
            lines.push((
                "    protected: true".to_string(),
                "apply needs --yes, never deletes",
            ));
        }
        for (line, comment) in lines {
            if comment.is_empty() {
                text.push_str(&format!("{line}\n"));
            } else {
                text.push_str(&format!("{line:<50}# {comment}\n"));
            }
        }
    }
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::fsutil::write_atomic(path, text.as_bytes()).map_err(PromoteError::Io)?;
    std::fs::create_dir_all(root.join("meters")).map_err(PromoteError::Io)?;
    let gi = root.join(".gitignore");
    let existing = std::fs::read_to_string(&gi).unwrap_or_default();
    if !existing.lines().any(|l| l.trim() == GITIGNORE_LINE) {
        let mut t = existing;
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
        t.push_str(
            "# meterctl's backups of tenant definitions (apply), and temporary files of an interrupted write\n.meterctl/\n.*.meterctl-*.tmp\n",
        );
        crate::fsutil::write_atomic(&gi, t.as_bytes()).map_err(PromoteError::Io)?;
    }
    // Check what was written with the same code every command uses.
    Config::load(path)?;
    Ok(())
}

const GITIGNORE_LINE: &str = ".meterctl/";

/// The plan of environment `env_name` of the repository `config`: the repository's meters,
/// rendered, against what the tenant holds (read with `net`, `concurrency` exports at a time).
pub fn plan_environment(
    config: &Config,
    env_name: &str,
    net: &remote::Net,
    concurrency: usize,
    only: &select::Selection,
    progress: &dyn Progress,
) -> Result<Planned, PromoteError> {
    let env = config.environment(env_name)?;
    let mut repo = load_repo(&config.meters_dir())?;
    let mut lock = Lock::load(&config.lock_path())?;
    if !only.is_all() {
        // `--only`: the other meters are neither rendered, nor exported, nor planned.
        let tracked = lock.env(env_name);
        only.check(
            repo.iter()
                .map(|m| m.global_id.as_str())
                .chain(tracked.keys().map(String::as_str)),
        )?;
        repo.retain(|m| only.matches(&m.global_id));
        if let Some(entries) = lock.environments.get_mut(env_name) {
            entries.retain(|gid, _| only.matches(gid));
        }
    }
    let reader = remote::Reader::connect(env_name, env, net)?;
    compute_plan(env_name, env, &repo, &lock, &reader, concurrency, progress)
}

/// Masks known secrets in every value of a diff report (before any format renders it).
pub fn mask_diff(report: &mut crate::diff::DiffReport, masker: &Masker) {
    if masker.is_empty() {
        return;
    }
    for m in &mut report.meters {
        for c in &mut m.changes {
            for v in [&mut c.old, &mut c.new].into_iter().flatten() {
                masker.mask_value(v);
            }
            c.path = masker.mask(&c.path);
            c.note = c.note.as_deref().map(|n| masker.mask(n));
        }
        m.name = m.name.as_deref().map(|n| masker.mask(n));
        m.note = m.note.as_deref().map(|n| masker.mask(n));
    }
}

/// JSON Pointers (and texts) of strings and keys that still hold a `${{ ... }}` placeholder.
pub fn find_placeholders(value: &Value) -> Vec<(String, String)> {
    let is_ph = |s: &str| s.find("${{").is_some_and(|i| s[i..].contains("}}"));
    let mut out = Vec::new();
    crate::model::visit_strings_and_keys(value, &mut |p, s| {
        if is_ph(s) {
            out.push((p.to_string(), s.to_string()));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_with_pointers() {
        let v = serde_json::json!({"a": "ok", "b": [{"c": "x ${{ env.TOKEN }} y"}], "${{k}}": 1, "d": "${{ not closed"});
        let found = find_placeholders(&v);
        let ptrs: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(ptrs, ["/b/0/c", "/${{k}}"]);
    }

    #[test]
    fn slugs_are_safe() {
        assert_eq!(slug("SMS Messages"), "sms-messages");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug(".."), "meter");
        assert_eq!(slug("Ünïcode  --  Name!"), "n-code-name");
        assert_eq!(slug("a\\b/c"), "a-b-c");
        assert!(slug(&"x".repeat(300)).len() <= 80);
    }

    #[test]
    fn par_map_keeps_order() {
        let v: Vec<u32> = (0..50).collect();
        assert_eq!(
            par_map(&v, 4, |x| x * 2),
            v.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(par_map(&Vec::<u32>::new(), 4, |x| *x).is_empty());
    }

    #[test]
    fn identity_mismatch_accepts_either_known_name() {
        let entry = |name: Option<&str>| lock::LockEntry {
            meter_id: "7".into(),
            digest: None,
            name: name.map(str::to_string),
        };
        let export = serde_json::json!({"name": "SMS"});
        let check = |repo: Option<&str>, e: &lock::LockEntry, x: &Value| {
            identity_mismatch("prod", "mtr-sms", repo, e, x)
        };
        assert_eq!(check(Some("SMS"), &entry(None), &export), None);
        // Renamed in the repository since the last apply: the lock's name vouches for it.
        assert_eq!(check(Some("Texts"), &entry(Some("SMS")), &export), None);
        assert_eq!(check(None, &entry(None), &export), None);
        let why = check(Some("Texts"), &entry(None), &export).unwrap();
        assert!(
            why.starts_with("meterctl.lock says mtr-sms (\"Texts\") is meter 7 in prod, but meter 7 there is \"SMS\"")
                && why.contains("`meterctl track --env prod mtr-sms 7` confirms it"),
            "{why}"
        );
        assert!(check(Some("Calls"), &entry(Some("Calls")), &export).is_some());
        // A globalId that differs is decisive, whatever the names.
        let other = serde_json::json!({"name": "SMS", "globalId": "mtr-other"});
        let why = check(Some("SMS"), &entry(None), &other).unwrap();
        assert!(
            why.contains("(globalId mtr-other)") && !why.contains("renamed"),
            "{why}"
        );
        let same = serde_json::json!({"name": "Renamed", "globalId": "mtr-sms"});
        assert_eq!(check(Some("SMS"), &entry(None), &same), None);
    }

    #[test]
    fn stamp_shape() {
        let s = utc_stamp();
        assert_eq!(s.len(), 16, "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[8] == b'T');
    }
}
