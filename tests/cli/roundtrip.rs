//! Lossless round trips: load → canonical YAML → load → canonical JSON gives the original value,
//! over our fixtures, the examples and (when present beside the repository) the shared corpus of
//! real-dialect definitions. `corpus.rs` beside this file does the same over 1,000 generated ones.

use std::path::Path;

use meterctl::canonical::to_canonical_string;
use meterctl::load::{self, Format};

use crate::common;
use crate::common::{files_under, round_trip};

#[test]
fn fixtures_round_trip() {
    let files = files_under(Path::new("tests/fixtures/roundtrip"));
    assert!(!files.is_empty());
    files.iter().for_each(|f| round_trip(f));
}

#[test]
fn examples_round_trip() {
    let files = files_under(Path::new("examples/meters"));
    assert!(files.len() >= 4);
    files.iter().for_each(|f| round_trip(f));
}

/// Zuora's real dialect, as `../shared/corpus-real` holds it: exports (JSON, literal tenant
/// values) and repository form (YAML, placeholders). Every file: JSON → canonical YAML →
/// canonical JSON is the same value.
#[test]
fn shared_corpus_round_trips_when_present() {
    let corpus = Path::new("../shared/corpus-real");
    if !corpus.is_dir() {
        eprintln!("skipped: ../shared/corpus-real is not beside the repository");
        return;
    }
    let files = files_under(corpus);
    assert!(files.len() >= 12, "found {}", files.len());
    files.iter().for_each(|f| round_trip(f));
}

#[test]
fn unknown_fields_keep_their_place_after_known_ones() {
    common::clean_process_env();
    let doc = load::load_file(Path::new(
        "tests/fixtures/roundtrip/unknown-fields-everywhere.json",
    ))
    .unwrap();
    let yaml = to_canonical_string(&doc.value, Format::Yaml);
    let task = yaml.find("xTaskFuture").unwrap();
    assert!(yaml.find("    setting: {}\n").unwrap() < task);
    assert!(
        yaml.trim_end().ends_with("createdAt: 2026-01-01T00:00:00Z")
            || yaml.contains("zTopFuture:")
    );
    // Multi-line code is a block scalar; a string with trailing spaces stays quoted (YAML cannot
    // keep them in a block), and both round-trip.
    assert!(yaml.contains("query: |-\n"), "{yaml}");
}
