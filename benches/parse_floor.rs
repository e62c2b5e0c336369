//! The floor for `meterctl validate`: read and parse every file of a folder with serde_json on
//! all threads, nothing else. `scripts/bench-validate.sh` compares meterctl against it.
//!
//! Usage: `cargo bench --bench parse_floor -- DIR`

use std::time::Instant;

use rayon::prelude::*;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "/tmp/m".into());
    let start = Instant::now();
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    let parsed: usize = files
        .par_iter()
        .map(|p| {
            let bytes = std::fs::read(p).expect("readable file");
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            usize::from(v.is_object())
        })
        .sum();
    println!(
        "read+parse {} files ({parsed} objects) in {:.3} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
}
