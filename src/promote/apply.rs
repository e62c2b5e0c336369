//! Applying a plan: backups first, then one import per `create`/`update`, the lock updated after
//! each success.
//!
//! Before the first write, every tenant definition that an update will overwrite is saved under
//! `.meterctl/backups/<env>/<UTC time>/<slug of globalId>.json` (with its `globalId`, so
//! [`restore`] can import it back). Imports run on at most `concurrency` threads, each meter's
//! import one call with its `globalId` (idempotent: a repeat updates, never duplicates). After
//! each success the lock records the tenant's meter id and the digest, atomically, so an apply
//! that is interrupted resumes from where it stopped. One meter failing does not stop the others
//! unless `fail_fast`. A `create` cannot know whether the tenant already holds its globalId
//! (Zuora has no lookup by globalId), so its answer is read afterwards ([`existed_before`]) and an
//! overwrite of an untracked meter is reported ([`ApplyOutcome::overwrote`]); refused credentials stop
//! the run with one error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::error::PromoteError;
use serde_json::Value;

use super::lock::{Lock, LockEntry};
use super::plan::Action;
use super::remote::Writer;
use super::{par_map, slug, Planned};
use crate::fsutil::{display, write_atomic};
use crate::progress::{Event, Progress, Sink};

/// How to apply.
#[derive(Debug, Clone)]
pub struct Options {
    /// Imports in flight at most.
    pub concurrency: usize,
    /// Stop starting imports after the first failure.
    pub fail_fast: bool,
    /// Where progress goes: a bar's ticks per meter, one line per meter's result.
    pub progress: Sink,
}

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct ApplyOutcome {
    /// Meters created.
    pub created: usize,
    /// Meters updated.
    pub updated: usize,
    /// Meters left as they were.
    pub unchanged: usize,
    /// Meters that failed (globalId, reason with secrets masked).
    pub failed: Vec<(String, String)>,
    /// Meters not attempted because of `--fail-fast`.
    pub skipped: usize,
    /// Where the backups went.
    pub backup: Option<PathBuf>,
    /// Creates that turned out to overwrite a tenant meter nobody had backed up (globalId,
    /// what happened); counted in `created` too, recorded in the lock, and an error.
    pub overwrote: Vec<(String, String)>,
    /// Things to know (globalId, what): a create that found the meter an interrupted apply had
    /// sent.
    pub notes: Vec<(String, String)>,
    /// Every planned meter's outcome, sorted by globalId (`apply --format json`).
    pub meters: Vec<MeterOutcome>,
}

/// What happened to one meter (`apply --format json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MeterOutcome {
    /// Repository identity.
    pub global_id: String,
    /// Meter name.
    pub name: String,
    /// `created`, `updated`, `unchanged`, `failed`, `skipped` (not sent: `--fail-fast` or
    /// refused credentials) or `orphaned` (tracked, no file; left alone); before anything is
    /// sent (`--dry-run`), `create` or `update`.
    pub outcome: &'static str,
    /// The tenant's meter id, when there is one.
    pub meter_id: Option<String>,
    /// Why it failed (secrets masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ApplyOutcome {
    /// The outcome before anything is sent (nothing to do, or `--dry-run`): unchanged and
    /// orphaned meters as they are, the others with their planned action (`create`, `update`).
    pub fn of_plan(plan: &crate::promote::plan::Plan) -> ApplyOutcome {
        let meters = plan
            .actions
            .iter()
            .map(|a| MeterOutcome {
                global_id: a.global_id.clone(),
                name: a.name.clone(),
                outcome: a.action.as_str(),
                meter_id: a.meter_id.clone(),
                error: None,
            })
            .collect();
        ApplyOutcome {
            unchanged: plan.count(Action::Unchanged),
            meters,
            ..Default::default()
        }
    }

    /// `2 created, 1 updated, 14 unchanged, 0 failed`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} created, {} updated, {} unchanged, {} failed",
            self.created,
            self.updated,
            self.unchanged,
            self.failed.len()
        );
        if !self.overwrote.is_empty() {
            s.push_str(&format!(
                ", {} overwrote an untracked meter",
                self.overwrote.len()
            ));
        }
        if self.skipped > 0 {
            s.push_str(&format!(", {} skipped (--fail-fast)", self.skipped));
        }
        s
    }
}

/// Saves the tenant definitions the plan's updates overwrite; `None` when there are none.
pub fn backup(planned: &Planned, root: &Path) -> Result<Option<PathBuf>, PromoteError> {
    let updates: Vec<_> = planned
        .plan
        .actions
        .iter()
        .filter(|a| a.action == Action::Update)
        .collect();
    if updates.is_empty() {
        return Ok(None);
    }
    let mut dir = root
        .join(".meterctl")
        .join("backups")
        .join(&planned.plan.environment)
        .join(super::utc_stamp());
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir.set_file_name(format!("{}-{n}", super::utc_stamp()));
    }
    // Backups hold the tenant's secrets: only the user may read them (0700 folders, 0600 files;
    // a file is written inside its 0700 folder, so it is never readable by others, even briefly).
    create_private_dir(&dir)?;
    if let Some(backups) = dir.parent().and_then(Path::parent) {
        // A backups folder made by an older meterctl (0755) is closed too.
        set_mode(backups, 0o700)?;
    }
    // Two globalIds may slug alike (`mtr_a`, `mtr-a`): every backup gets a file of its own
    // (`--restore` reads the globalId from the content, not from the name).
    let mut names = std::collections::HashSet::new();
    for a in updates {
        let Some(remote) = planned.remote.get(&a.global_id) else {
            continue;
        };
        let mut v = serde_json::Map::new();
        v.insert("globalId".into(), Value::String(a.global_id.clone()));
        if let Some(o) = remote.as_object() {
            for (k, x) in o {
                if k != "globalId" {
                    v.insert(k.clone(), x.clone());
                }
            }
        }
        let text =
            crate::canonical::to_canonical_string(&Value::Object(v), crate::load::Format::Json);
        let base = slug(&a.global_id);
        let mut name = format!("{base}.json");
        let mut k = 1;
        while !names.insert(name.clone()) {
            k += 1;
            name = format!("{base}-{k}.json");
        }
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes()).map_err(|source| PromoteError::Write {
            path: display(&path).into_owned(),
            source,
        })?;
        set_mode(&path, 0o600)?;
    }
    Ok(Some(dir))
}

/// Creates `dir` and its missing parents with mode 0700 (on Unix).
fn create_private_dir(dir: &Path) -> Result<(), PromoteError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|source| PromoteError::CreateDir {
        path: display(dir).into_owned(),
        source,
    })?;
    set_mode(dir, 0o700)
}

/// Sets a file's or folder's permission bits (on Unix; elsewhere nothing).
fn set_mode(path: &Path, mode: u32) -> Result<(), PromoteError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(
            |source| PromoteError::Permissions {
                path: display(path).into_owned(),
                source,
            },
        )?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The import body: the definition without `globalId`, canonical JSON.
pub fn import_body(definition: &Value) -> Vec<u8> {
    let mut v = definition.clone();
    if let Some(o) = v.as_object_mut() {
        o.shift_remove("globalId");
    }
    crate::canonical::canonicalize(&mut v);
    let mut body = serde_json::to_vec_pretty(&v).expect("JSON values serialize");
    body.push(b'\n');
    body
}

/// Slack added to an import call's own duration when judging its answer: the tenant's clock may
/// stamp a request a little before or after this machine sends or receives it.
pub const SAME_CALL_MS: i64 = 1_000;

/// How far the tenant's clock may be behind or ahead of this machine's, for the fallback rule.
pub const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// When an import call happened, on this machine's clock.
#[derive(Debug, Clone, Copy)]
pub struct CallTime {
    /// The run's start (epoch milliseconds, this machine's clock).
    pub run_start_ms: i64,
    /// How long the import call took, retries included (milliseconds, this machine's clock).
    pub call_ms: i64,
}

/// When the answer to a `create` import proves the meter existed before the import call, the
/// time it existed since (the answer's `createdAt`, as Zuora wrote it).
///
/// Zuora keeps `createdAt` across re-imports of a globalId and sets `updatedAt` to the time of the
/// import, both on the tenant's clock. So the meter existed before this call when `createdAt` is
/// earlier than `updatedAt` minus the call's duration (measured here, retries included: a first
/// attempt that created the meter before its answer was lost is part of the call) minus
/// [`SAME_CALL_MS`]. Only durations cross between the clocks, never times, so a tenant clock that
/// is off from this machine's does not matter. Only when the answer has no usable `updatedAt` is
/// `createdAt` compared with the run's start, allowing [`CLOCK_SKEW_MS`] of skew.
pub fn existed_before(data: &Value, at: CallTime) -> Option<String> {
    use crate::clock::parse_time;
    let created_text = data["createdAt"].as_str()?;
    let created = parse_time(created_text)?;
    let older = match data["updatedAt"].as_str().and_then(parse_time) {
        Some(updated) => created < updated - at.call_ms - SAME_CALL_MS,
        None => created < at.run_start_ms - CLOCK_SKEW_MS,
    };
    older.then(|| created_text.to_string())
}

/// What a `create` import turned out to do to a meter that was already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overwrite {
    /// It overwrote a meter nobody had tracked or backed up: an error.
    Unseen(String),
    /// It met the meter an earlier, interrupted apply had sent (its import was in flight when
    /// that run stopped): taken to be that import, a note.
    Resumed(String),
}

/// Whether the answer to a `create` import shows that it overwrote a meter that existed before
/// (see [`existed_before`]) or that meterctl.lock tracks for another globalId.
fn overwrite(
    lock: &Lock,
    env: &str,
    global_id: &str,
    id: &str,
    data: &Value,
    at: CallTime,
    earlier: &std::collections::BTreeSet<String>,
) -> Option<Overwrite> {
    let since = existed_before(data, at);
    if let Some((other, _)) = lock
        .env(env)
        .into_iter()
        .find(|(g, e)| g != global_id && e.meter_id == id)
    {
        return Some(Overwrite::Unseen(format!(
            "overwrote meter {id}, which meterctl.lock tracks as {other}{}; its previous definition could not be backed up",
            since
                .map(|t| format!(" and which existed since {t}"))
                .unwrap_or_default()
        )));
    }
    let since = since?;
    Some(if earlier.contains(global_id) {
        Overwrite::Resumed(format!(
            "meter {id} existed since {since}: an earlier apply that was interrupted had sent it, so it is taken to be that import; recorded"
        ))
    } else {
        Overwrite::Unseen(format!(
            "overwrote meter {id}, which existed since {since} and was not tracked; its previous definition could not be backed up"
        ))
    })
}

/// `.meterctl/inflight/<env>.json`: the globalIds whose `create` import was sent and not yet
/// recorded in meterctl.lock. An apply that is interrupted leaves them there, so the next one can
/// tell its own earlier import from a meter someone else made. Best effort: a journal that
/// cannot be read or written only loses that distinction.
struct InFlight {
    path: PathBuf,
    earlier: std::collections::BTreeSet<String>,
    now: Mutex<std::collections::BTreeSet<String>>,
}

impl InFlight {
    fn open(root: &Path, env: &str) -> InFlight {
        let path = root
            .join(".meterctl")
            .join("inflight")
            .join(format!("{env}.json"));
        let earlier: std::collections::BTreeSet<String> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        InFlight {
            path,
            now: Mutex::new(earlier.clone()),
            earlier,
        }
    }

    fn earlier(&self) -> std::collections::BTreeSet<String> {
        self.earlier.clone()
    }

    fn update(&self, f: impl FnOnce(&mut std::collections::BTreeSet<String>)) {
        let mut set = self.now.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut set);
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if set.is_empty() {
            let _ = std::fs::remove_file(&self.path);
        } else if let Ok(text) = serde_json::to_string(&*set) {
            let _ = write_atomic(&self.path, text.as_bytes());
        }
    }

    /// Before a create import is sent.
    fn start(&self, gid: &str) {
        self.update(|s| {
            s.insert(gid.to_string());
        });
    }

    /// After its answer is recorded in the lock.
    fn settle(&self, gid: &str) {
        self.update(|s| {
            s.remove(gid);
        });
    }
}

fn meter_id(data: &Value) -> Option<String> {
    match &data["id"] {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Imports every `create`/`update` of the plan; records each success in the lock at once.
pub fn apply(
    planned: &Planned,
    writer: &Writer,
    lock_path: &Path,
    backup_root: &Path,
    opts: &Options,
) -> Result<ApplyOutcome, PromoteError> {
    let env = planned.plan.environment.clone();
    let mut outcome = ApplyOutcome::of_plan(&planned.plan);
    outcome
        .meters
        .retain(|m| matches!(m.outcome, "unchanged" | "orphaned"));
    let work: Vec<_> = planned
        .plan
        .actions
        .iter()
        .filter(|a| matches!(a.action, Action::Create | Action::Update))
        .collect();
    if work.is_empty() {
        return Ok(outcome);
    }
    outcome.backup = backup(planned, backup_root)?;
    let lock = Mutex::new(Lock::load(lock_path)?);
    let stop = AtomicBool::new(false);
    let progress = &opts.progress;
    progress.event(Event::Started {
        label: "applying",
        total: Some(work.len() as u64),
    });
    let run_start = crate::clock::now_ms();
    let inflight = InFlight::open(backup_root, &env);
    let earlier = inflight.earlier();
    let auth_failure: Mutex<Option<String>> = Mutex::new(None);
    let results = par_map(&work, opts.concurrency, |a| {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        let desired = &planned.desired[&a.global_id];
        let body = import_body(desired);
        let file = format!("{}.json", slug(&a.global_id));
        if a.action == Action::Create {
            inflight.start(&a.global_id);
        }
        let sent = std::time::Instant::now();
        let answer = writer.import(&file, &body, &a.global_id);
        if let Err(e) = &answer {
            if e.is_auth() {
                // Every other import would fail alike: stop, and report it once.
                stop.store(true, Ordering::SeqCst);
                auth_failure
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert_with(|| planned.masker.mask(&e.to_string()));
                // Refused credentials: nothing was imported.
                inflight.settle(&a.global_id);
                progress.event(Event::Advanced { item: &a.name });
                return None;
            }
        }
        let result = answer
            .map_err(|e| planned.masker.mask(&e.to_string()))
            .and_then(|data| {
                let id =
                    meter_id(&data).ok_or_else(|| "Zuora's answer has no meter id".to_string())?;
                let mut l = lock.lock().unwrap_or_else(|p| p.into_inner());
                let overwrote = (a.action == Action::Create)
                    .then(|| {
                        let at = CallTime {
                            run_start_ms: run_start,
                            call_ms: sent.elapsed().as_millis() as i64,
                        };
                        overwrite(&l, &env, &a.global_id, &id, &data, at, &earlier)
                    })
                    .flatten();
                l.set(
                    &env,
                    &a.global_id,
                    LockEntry {
                        meter_id: id.clone(),
                        digest: a.desired_digest.clone(),
                        name: desired["name"].as_str().map(str::to_string),
                    },
                );
                l.save(lock_path)
                    .map_err(|e| super::error::with_causes(&e))?;
                drop(l);
                if a.action == Action::Create {
                    inflight.settle(&a.global_id);
                }
                Ok((id, overwrote))
            });
        if result.is_err() && opts.fail_fast {
            stop.store(true, Ordering::SeqCst);
        }
        progress.event(Event::Advanced { item: &a.name });
        {
            let line = match &result {
                Ok((id, _)) => format!(
                    "{}d {} ({}): meter {id}",
                    a.action.as_str(),
                    a.name,
                    a.global_id
                ),
                Err(e) => format!("failed {} ({}): {e}", a.name, a.global_id),
            };
            progress.event(Event::Item(&line));
        }
        Some((a.action, result))
    });
    progress.event(Event::Finished);
    if let Some(e) = auth_failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let done = results
            .iter()
            .filter(|r| matches!(r, Some((_, Ok(_)))))
            .count();
        return Err(PromoteError::ApplyRefused {
            detail: e,
            env,
            done,
        });
    }
    for (a, r) in work.iter().zip(&results) {
        let (what, meter_id, error) = match r {
            None => ("skipped", a.meter_id.clone(), None),
            Some((Action::Create, Ok((id, _)))) => ("created", Some(id.clone()), None),
            Some((_, Ok((id, _)))) => ("updated", Some(id.clone()), None),
            Some((_, Err(e))) => ("failed", a.meter_id.clone(), Some(e.clone())),
        };
        outcome.meters.push(MeterOutcome {
            global_id: a.global_id.clone(),
            name: a.name.clone(),
            outcome: what,
            meter_id,
            error,
        });
    }
    for (a, r) in work.iter().zip(results) {
        match r {
            None => outcome.skipped += 1,
            Some((Action::Create, Ok((_, overwrote)))) => {
                outcome.created += 1;
                match overwrote {
                    Some(Overwrite::Unseen(why)) => {
                        outcome.overwrote.push((a.global_id.clone(), why));
                    }
                    Some(Overwrite::Resumed(why)) => {
                        outcome.notes.push((a.global_id.clone(), why));
                    }
                    None => {}
                }
            }
            Some((_, Ok(_))) => outcome.updated += 1,
            Some((_, Err(e))) => outcome.failed.push((a.global_id.clone(), e)),
        }
    }
    outcome.meters.sort_by(|a, b| a.global_id.cmp(&b.global_id));
    Ok(outcome)
}

/// The definitions of a backup folder: (globalId, definition) per `*.json` file.
pub fn read_backup(dir: &Path) -> Result<Vec<(String, Value)>, PromoteError> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| PromoteError::ReadBackup {
            path: display(dir).into_owned(),
            source,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for p in entries {
        let doc = crate::load::load_file(&p).map_err(PromoteError::Definition)?;
        let gid = doc.value["globalId"]
            .as_str()
            .filter(|g| !g.is_empty())
            .ok_or_else(|| PromoteError::NotABackup {
                path: display(&p).into_owned(),
            })?
            .to_string();
        out.push((gid, doc.value));
    }
    if out.is_empty() {
        return Err(PromoteError::EmptyBackup {
            path: display(dir).into_owned(),
        });
    }
    Ok(out)
}

/// Imports every definition of a backup folder back; records each in the lock.
pub fn restore(
    env: &str,
    backup: &[(String, Value)],
    writer: &Writer,
    lock_path: &Path,
) -> Result<ApplyOutcome, PromoteError> {
    let mut outcome = ApplyOutcome::default();
    let mut lock = Lock::load(lock_path)?;
    for (gid, def) in backup {
        let body = import_body(def);
        match writer.import(&format!("{}.json", slug(gid)), &body, gid) {
            Ok(data) => {
                if let Some(id) = meter_id(&data) {
                    lock.set(
                        env,
                        gid,
                        LockEntry {
                            meter_id: id,
                            digest: Some(super::plan::digest(def)),
                            name: def["name"].as_str().map(str::to_string),
                        },
                    );
                    lock.save(lock_path)?;
                }
                outcome.updated += 1;
            }
            Err(e) => outcome.failed.push((gid.clone(), e.to_string())),
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn existed_before_reads_the_tenants_clock() {
        let start = crate::clock::parse_time("2026-11-26T12:00:00Z").unwrap();
        let at = |call_ms| CallTime {
            run_start_ms: start,
            call_ms,
        };
        // Created by this import: both stamps from one request (even on a clock far from ours).
        let fresh = json!({"createdAt": "2030-01-01T00:00:00.000+0000", "updatedAt": "2030-01-01T00:00:00.400+0000"});
        assert_eq!(existed_before(&fresh, at(50)), None);
        let skewed = json!({"createdAt": "2020-01-01T00:00:00.000+0000", "updatedAt": "2020-01-01T00:00:00.000+0000"});
        assert_eq!(existed_before(&skewed, at(50)), None);
        // Updated by this import: createdAt kept.
        let old = json!({"createdAt": "2026-11-20T08:00:00.000+0000", "updatedAt": "2026-11-26T12:00:01.000+0000"});
        assert_eq!(
            existed_before(&old, at(50)).as_deref(),
            Some("2026-11-20T08:00:00.000+0000")
        );
        // Created by a first attempt of this call whose answer was lost, 20 s of retries ago.
        let retried = json!({"createdAt": "2026-11-26T12:00:00.000+0000", "updatedAt": "2026-11-26T12:00:20.000+0000"});
        assert_eq!(existed_before(&retried, at(20_500)), None);
        assert!(existed_before(&retried, at(500)).is_some());
        // No updatedAt: createdAt against the run's start, with room for skew.
        let a = json!({"createdAt": "2026-11-26T11:58:00Z"});
        assert_eq!(existed_before(&a, at(50)), None);
        let b = json!({"createdAt": "2026-11-26T11:00:00Z"});
        assert!(existed_before(&b, at(50)).is_some());
        assert_eq!(existed_before(&json!({"id": 5}), at(50)), None);
    }
}
