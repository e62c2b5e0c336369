//! The `meterctl diff` pipeline: two sides in, one [`DiffReport`] out.
//!
//! [`compare`] lists both sides (in parallel), reads every file's identity, keeps the meters,
//! pairs them, then reads, parses and compares pair by pair in parallel (byte-identical files are
//! unchanged without parsing). [`compare_versions`] compares two versions of one meter. `env:`
//! sides come from a tenant, which this layer does not reach: the caller passes an [`EnvSides`]
//! that reads them. Files that cannot be read come back together as [`SideError::Files`]; a
//! definition that is not a meter is skipped with a [`Event::Note`].

use std::path::Path;

use rayon::prelude::*;

use super::side::{self, Loaded, Side, SideError};
use super::{
    diff_pair, diff_versions, pair, unchanged, DiffReport, Doc, Identity, MeterDiff, NoSuchVersion,
    Options, PairError,
};
use crate::diagnostic::Diagnostic;
use crate::progress::{Event, Progress};

/// Reads `env:NAME` sides (from a tenant, in repository form).
pub trait EnvSides: Sync {
    /// The meters of environment `name`.
    fn load(&self, name: &str) -> Result<Loaded, BoxError>;
}

/// An error of the caller's [`EnvSides`] (which reach a tenant, above this layer).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why two sides could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A side cannot be listed or read (unreadable files come together in
    /// [`SideError::Files`]).
    #[error(transparent)]
    Side(#[from] SideError),
    /// The meters cannot be paired.
    #[error(transparent)]
    Pair(#[from] PairError),
    /// `--versions` names a version the meter does not have.
    #[error(transparent)]
    Version(#[from] NoSuchVersion),
    /// `--versions` with a side that holds more or fewer than one definition.
    #[error("--versions compares two versions of one meter, but {side} holds {count} definitions; name one file")]
    NotOneMeter {
        /// The side, as the user wrote it.
        side: String,
        /// How many definitions it holds.
        count: usize,
    },
    /// An `env:` side could not be read (the caller's error).
    #[error(transparent)]
    Env(BoxError),
}

/// What a comparison needs besides its two sides.
pub struct Context<'a> {
    /// What to compare.
    pub opts: &'a Options,
    /// Reads `env:` sides; `None` refuses them.
    pub env: Option<&'a dyn EnvSides>,
    /// Where skipped non-meters are noted.
    pub progress: &'a dyn Progress,
}

/// Compares two sides meter by meter.
pub fn compare(left: &Side, right: &Side, cx: &Context<'_>) -> Result<DiffReport, CompareError> {
    let (l, r) = rayon::join(
        || load_side(left, Some(right), cx),
        || load_side(right, Some(left), cx),
    );
    let (l, r) = match (l, r) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(a), Err(b)) => return Err(both(a, b)),
        (l, r) => (l?, r?),
    };
    let (li, ri) = rayon::join(|| l.identities(), || r.identities());
    let (li, ri) = (
        meters_only(li?, &l, cx.progress),
        meters_only(ri?, &r, cx.progress),
    );
    let single = l.single_file && r.single_file;
    let ids = |v: &[(usize, Identity)]| v.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>();
    let pairs = pair(&ids(&li), &ids(&ri), single)?;
    #[allow(clippy::result_large_err)]
    let results: Vec<Result<MeterDiff, Diagnostic>> = pairs
        .par_iter()
        .map(|&(a, b)| {
            let a = a.map(|i| &li[i]);
            let b = b.map(|j| &ri[j]);
            if let (Some((i, ia)), Some((j, ib))) = (a, b) {
                let (lb, rb) = (l.entries[*i].bytes()?, r.entries[*j].bytes()?);
                if lb == rb {
                    return Ok(unchanged(ia, ib));
                }
                let (ld, rd) = (l.entries[*i].parse(lb)?, r.entries[*j].parse(rb)?);
                return Ok(diff_pair(Some(&ld), Some(&rd), cx.opts));
            }
            let ld = a.map(|(i, _)| l.entries[*i].load()).transpose()?;
            let rd = b.map(|(j, _)| r.entries[*j].load()).transpose()?;
            Ok(diff_pair(ld.as_ref(), rd.as_ref(), cx.opts))
        })
        .collect();
    let mut meters = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for res in results {
        match res {
            Ok(m) => meters.push(m),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(SideError::Files(errors).into());
    }
    Ok(DiffReport::new(meters))
}

/// Both sides failed: their unreadable files together, else the left side's error.
fn both(a: CompareError, b: CompareError) -> CompareError {
    match (a, b) {
        (
            CompareError::Side(SideError::Files(mut da)),
            CompareError::Side(SideError::Files(db)),
        ) => {
            da.extend(db);
            SideError::Files(da).into()
        }
        (a, _) => a,
    }
}

/// `--versions A B`: version A of LEFT's one meter against version B of RIGHT's (or LEFT's).
pub fn compare_versions(
    left: &Side,
    right: Option<&Side>,
    a: &str,
    b: &str,
    cx: &Context<'_>,
) -> Result<DiffReport, CompareError> {
    let one = |s: &Side, other: Option<&Side>| -> Result<Doc, CompareError> {
        let l = load_side(s, other, cx)?;
        match l.entries.len() {
            1 => Ok(l.load_all()?.remove(0)),
            count => Err(CompareError::NotOneMeter {
                side: describe(s),
                count,
            }),
        }
    };
    let l = one(left, right)?;
    let r = match right {
        Some(r) => one(r, Some(left))?,
        None => l.clone(),
    };
    let m = diff_versions(&l, a, &r, b, cx.opts)?;
    Ok(DiffReport { meters: vec![m] })
}

/// Lists a side; an `env:NAME` side through the caller's [`EnvSides`].
fn load_side(s: &Side, other: Option<&Side>, cx: &Context<'_>) -> Result<Loaded, CompareError> {
    match (s, cx.env) {
        (Side::Env(name), Some(env)) => env.load(name).map_err(CompareError::Env),
        _ => Ok(side::load(s, other)?),
    }
}

/// Keeps the definitions that are meters (a `globalId` or a `name`), with their entry index;
/// notes the others (a `meterctl.yaml` config is skipped silently).
fn meters_only(
    ids: Vec<Identity>,
    side: &Loaded,
    progress: &dyn Progress,
) -> Vec<(usize, Identity)> {
    let single = side.single_file;
    ids.into_iter()
        .enumerate()
        .filter(|(_, id)| {
            if id.is_meter() || single {
                return true;
            }
            let file = Path::new(&id.origin).file_name().and_then(|f| f.to_str());
            if !matches!(file, Some("meterctl.yaml" | "meterctl.yml")) {
                progress.event(Event::Note(&format!(
                    "warning: {}: not a meter definition (no globalId or name); skipped",
                    id.origin
                )));
            }
            false
        })
        .collect()
}

/// A side as the user wrote it.
pub fn describe(s: &Side) -> String {
    match s {
        Side::Path(p) => crate::fsutil::display(p).into_owned(),
        Side::Git { rev, path: None } => format!("git:{rev}"),
        Side::Git { rev, path: Some(p) } => format!("git:{rev}:{}", crate::fsutil::display(p)),
        Side::Env(n) => format!("env:{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn sides_are_described_as_written() {
        assert_eq!(describe(&Side::parse("git:HEAD~1")), "git:HEAD~1");
        assert_eq!(
            describe(&Side::parse("git:main:m/a.yaml")),
            "git:main:m/a.yaml"
        );
        assert_eq!(describe(&Side::parse("./meters")), "meters");
        assert_eq!(describe(&Side::parse("env:prod")), "env:prod");
    }

    #[test]
    fn non_meters_are_dropped_but_single_files_kept() {
        let id = |origin: &str, name: Option<&str>| Identity {
            origin: origin.into(),
            global_id: None,
            name: name.map(str::to_string),
        };
        let folder = Loaded::default();
        let kept = meters_only(
            vec![id("m/a.yaml", Some("A")), id("m/meterctl.yaml", None)],
            &folder,
            &Silent,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].0, 0);
        let single = Loaded {
            single_file: true,
            ..Loaded::default()
        };
        assert_eq!(
            meters_only(vec![id("x.json", None)], &single, &Silent).len(),
            1
        );
    }
}
