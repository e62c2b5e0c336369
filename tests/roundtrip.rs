//! Lossless round trips: load → canonical YAML → load → canonical JSON gives the original value,
//! over our fixtures, the examples and (when present beside the repository) the shared corpus of
//! real-dialect definitions. `tests/corpus.rs` does the same over 1,000 generated ones.

use std::path::{Path, PathBuf};

use meterctl::canonical::to_canonical_string;
use meterctl::load::{self, Format};
use meterctl::model::Meter;
use serde_json::Value;

fn round_trip(path: &Path) {
    let doc = load::load_file(path).unwrap_or_else(|d| panic!("{d}"));
    let yaml = to_canonical_string(&doc.value, Format::Yaml);
    let from_yaml = load::parse_text(Path::new("x.yaml"), yaml.clone(), Format::Yaml)
        .unwrap_or_else(|d| {
            panic!(
                "{}: canonical YAML does not parse: {d}\n{yaml}",
                path.display()
            )
        });
    let json = to_canonical_string(&from_yaml.value, Format::Json);
    let back = load::parse_text(Path::new("x.json"), json.clone(), Format::Json).unwrap();
    assert_values_identical(&doc.value, &back.value, path);
    // Formatting is idempotent in both formats.
    assert_eq!(to_canonical_string(&from_yaml.value, Format::Yaml), yaml);
    assert_eq!(to_canonical_string(&back.value, Format::Json), json);
    // The typed model is lossless too.
    let model = Meter::from_value(&doc.value).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_values_identical(&doc.value, &model.to_value(), path);
}

/// Equal as JSON values, and every number keeps its integer/float identity.
fn assert_values_identical(a: &Value, b: &Value, path: &Path) {
    assert_eq!(a, b, "{}", path.display());
    fn walk(a: &Value, b: &Value, ptr: &str, path: &Path) {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => assert!(
                x.is_f64() == y.is_f64() && x.is_u64() == y.is_u64() && x.is_i64() == y.is_i64(),
                "{}{ptr}: {x} became {y}",
                path.display()
            ),
            (Value::Array(x), Value::Array(y)) => {
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    walk(x, y, &format!("{ptr}/{i}"), path);
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                for (k, x) in x {
                    walk(x, &y[k], &format!("{ptr}/{k}"), path);
                }
            }
            _ => {}
        }
    }
    walk(a, b, "", path);
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    load::discover(&[dir.to_path_buf()]).unwrap()
}

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
