//! The fuzz targets at test time: every cargo-fuzz target (`fuzz/src/lib.rs`, included here by
//! path so both run the same checks) gets its seed corpus (`fuzz/seeds/<target>/`), every input a
//! campaign once failed on (`fuzz/regressions/<target>/`), and a fixed-seed series of mutations
//! of them, so a debug `cargo test` replays the campaign's findings in seconds. The mutations
//! follow `tests/cli/fuzz_validate.rs` (byte flips, deletions, insertions, truncations), with each
//! target's own tokens inserted too. Run longer with METERCTL_FUZZ_TARGET_ITERATIONS=100000.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use fastrand::Rng;

/// Mutations per target (the seeds and regressions always run as they are).
fn iterations(default: usize) -> usize {
    std::env::var("METERCTL_FUZZ_TARGET_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Tokens worth inserting, per target, beside the bytes of the seeds.
fn tokens(target: &str) -> &'static [&'static str] {
    match target {
        "glob" => &["/", "*", "**", "?", "\n", "~1", "/**/", "é"],
        "duration" => &["ms", "s", "m", "min", "h", ".", "e", " ", "9999999999", "-"],
        "sandbox" => &[
            "\0",
            "\n\n",
            "/",
            "%",
            "%é",
            "?forceStop=",
            "authorization: ",
            "content-type: multipart/form-data; boundary=",
            "\r\n--XyZ",
            "101",
        ],
        _ => &[
            "{", "}", "[", "]", ":", ",", "\"", "'", "\n", " ", "-", "#", "&a", "*a", "!", "|",
            ">", "\t", "\\", "---", "? ", "<<: ", "1e400", "-0",
        ],
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            (
                p.display().to_string(),
                fs::read(&p).expect("readable seed"),
            )
        })
        .collect();
    out.sort();
    out
}

fn mutate(rng: &mut Rng, seeds: &[(String, Vec<u8>)], tokens: &[&str]) -> Vec<u8> {
    let pick = |rng: &mut Rng, n: usize| rng.usize(..n.max(1));
    let mut b = seeds[pick(rng, seeds.len())].1.clone();
    for _ in 0..=pick(rng, 6) {
        let i = pick(rng, b.len() + 1);
        match pick(rng, 6) {
            0 if i < b.len() => b[i] = rng.u8(..),
            1 if i < b.len() => {
                b.remove(i);
            }
            2 => b.truncate(i),
            3 => {
                // Splice in a piece of another seed.
                let other = &seeds[pick(rng, seeds.len())].1;
                let from = pick(rng, other.len() + 1);
                let to = (from + pick(rng, 64)).min(other.len());
                b.splice(i..i, other[from..to].iter().copied());
            }
            _ => {
                let t = tokens[pick(rng, tokens.len())].as_bytes();
                b.splice(i..i, t.iter().copied());
            }
        }
    }
    b
}

/// Runs one target on its seeds, its regressions and `mutations` mutations of them; a failure
/// names the input, to be kept in `fuzz/regressions/<target>/`.
fn exercise(target: &str, mutations: usize) {
    let run = targets::TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .expect("a known target")
        .1;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = files(&root.join("seeds").join(target));
    assert!(!seeds.is_empty(), "{target} has no seeds");
    let check = |what: &str, input: &[u8]| {
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| run(input))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "{target} failed on {what}: {msg}\ninput: {:?}",
                String::from_utf8_lossy(input)
            );
        }
    };
    for (name, input) in seeds
        .iter()
        .chain(&files(&root.join("regressions").join(target)))
    {
        check(name, input);
    }
    let mut rng = Rng::with_seed(0x5eed ^ target.len() as u64);
    let tokens = tokens(target);
    for i in 0..iterations(mutations) {
        let input = mutate(&mut rng, &seeds, tokens);
        check(&format!("mutation {i}"), &input);
    }
}

#[test]
fn load_json() {
    exercise("load_json", 6000);
}

#[test]
fn load_yaml() {
    exercise("load_yaml", 4000);
}

#[test]
fn canonical() {
    exercise("canonical", 3000);
}

#[test]
fn glob() {
    exercise("glob", 20000);
}

#[test]
fn duration() {
    exercise("duration", 20000);
}

#[test]
fn sandbox() {
    exercise("sandbox", 3000);
}
