//! `meterctl track`: record in meterctl.lock that a tenant meter is this repository meter.

use anyhow::bail;
use meterctl::promote::lock::{Lock, LockEntry};
use meterctl::promote::plan as plan_mod;
use meterctl::promote::remote::Reader;

use super::{repo, Outcome, Shell};
use crate::cli::TrackArgs;

pub(super) fn run(args: TrackArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = repo::find_config(&out)?;
    let env = config.environment(&args.env)?;
    let _guard = repo::lock(&config, "track", &args.lock, &out)?;
    let lock_path = config.lock_path();
    let mut lock = Lock::load(&lock_path)?;
    let gid = &args.global_id;
    if gid.is_empty()
        || gid.len() > 128
        || !gid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        anyhow::bail!(
            "{gid:?} is not a valid globalId: use 1 to 128 letters, digits, `.`, `_` or `-` (as in the meter file)"
        );
    }
    // Zuora's meter ids are numbers; checked even with --no-check (a typo or a globalId in the
    // wrong place would be recorded otherwise).
    let id = &args.meter_id;
    if id.is_empty() || id.len() > 19 || !id.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "{id:?} is not a meter id: Zuora's meter ids are numbers (like 101), as `meter import` prints them or the UI shows them; nothing recorded"
        );
    }
    if let Some((other, _)) = lock
        .env(&args.env)
        .into_iter()
        .find(|(g, e)| g != gid && e.meter_id == args.meter_id)
    {
        anyhow::bail!(
            "meter {} of {} is already tracked as {other}; one tenant meter belongs to one globalId (nothing recorded)",
            args.meter_id,
            args.env
        );
    }
    let digest_and_name = if args.no_check {
        None
    } else {
        let reader = Reader::connect(&args.env, env, &repo::net(&args.net, &out))?;
        match reader.export(&args.meter_id) {
            Ok(v) => Some((plan_mod::digest(&v), v["name"].as_str().map(str::to_string))),
            Err(e) if e.status() == Some(404) => {
                out.error(&format!(
                    "error: environment {} has no meter {}; nothing recorded",
                    args.env, args.meter_id
                ));
                return Ok(Outcome::Findings);
            }
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(old) = lock.get(&args.env, &args.global_id) {
        if old.meter_id != args.meter_id {
            out.note(&format!(
                "warning: {} was tracked as meter {} in {}; now meter {}",
                args.global_id, old.meter_id, args.env, args.meter_id
            ));
        }
    }
    lock.set(
        &args.env,
        &args.global_id,
        LockEntry {
            meter_id: args.meter_id.clone(),
            digest: digest_and_name.as_ref().map(|(d, _)| d.clone()),
            name: digest_and_name.and_then(|(_, n)| n),
        },
    );
    lock.save(&lock_path)?;
    out.status(&format!(
        "tracked {} as meter {} in {}",
        args.global_id, args.meter_id, args.env
    ))?;
    Ok(Outcome::Clean)
}
