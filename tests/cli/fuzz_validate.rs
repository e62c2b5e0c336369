//! Property test: loading, validating and formatting never panic, whatever the bytes.
//!
//! A deterministic xorshift generator mutates valid definitions (byte flips, deletions,
//! insertions of structural characters, truncations) and their parsed values (any node replaced
//! by a value of another type), and feeds random bytes. Every input must come back as a report
//! or a diagnostic. Run longer with METERCTL_FUZZ_ITERATIONS=100000.

use std::path::Path;

use meterctl::canonical::to_canonical_string;
use meterctl::load::{self, Format};
use meterctl::model::Meter;
use meterctl::validate::{Options, Validator};
use serde_json::Value;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations() -> usize {
    std::env::var("METERCTL_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500)
}

fn exercise(validator: &Validator, bytes: Vec<u8>, format: Format) {
    let path = Path::new(if format == Format::Json {
        "f.json"
    } else {
        "f.yaml"
    });
    match load::parse_bytes(path, bytes, format) {
        Ok(doc) => {
            let _ = to_canonical_string(&doc.value, Format::Yaml);
            let _ = Meter::from_value(&doc.value);
            let report = validator.check_document(doc);
            for d in &report.diagnostics {
                assert!(!d.message.is_empty());
            }
        }
        Err(d) => assert!(d.line.is_some() || d.code == "MC0003", "{d}"),
    }
}

const STRUCTURAL: &[u8] = b"{}[]:,\"'\n -#&*!|>\t\\";

fn mutate_bytes(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    for _ in 0..=rng.below(4) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len());
        match rng.below(5) {
            0 => b[i] = rng.next() as u8,
            1 => {
                b.remove(i);
            }
            2 => b.insert(i, STRUCTURAL[rng.below(STRUCTURAL.len())]),
            3 => b.truncate(i),
            _ => {
                let j = rng.below(b.len());
                b.swap(i, j)
            }
        }
    }
    b
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::from(rng.next() as i64),
        3 => Value::from(-1.5e300),
        4 => Value::String("Bearer x".repeat(rng.below(3))),
        5 => Value::Array(vec![Value::from(1), Value::Object(Default::default())]),
        // Zuora's dialect, half right: a nested filter group, an unterminated date pattern, an
        // event property of type datetime, a node and an operator that do not exist.
        6 => {
            serde_json::json!({"ruleCombiner": "AND", "rules": [{"ruleCombiner": "or", "rules": null},
            {"sourceField": "x", "operator": "Is blank"}, {"rules": [[]]}]})
        }
        7 => Value::String(
            [
                "yyyy-MM-dd'T",
                "epoch_ms",
                "Q",
                "''",
                "yyyy-MM-dd'T'HH:mm:ss",
            ][rng.below(5)]
            .into(),
        ),
        8 => {
            serde_json::json!({"type": "datetime", "eventTime": "yes", "order": -1, "timeFormat": "ZZZZ'",
            "nodeType": "SORCE", "operatorType": "ZUORA_BULK_APII", "eventIdFields": [1, null]})
        }
        _ => serde_json::json!({"id": "zz", "predecessors": [{"id": "zz"}], "$schema": "urn:x"}),
    }
}

fn mutate_value(rng: &mut Rng, v: &mut Value) {
    // Choose a random path (read-only), then replace the node there.
    let mut pointer = String::new();
    let mut node: &Value = v;
    loop {
        let next = match node {
            Value::Object(m) if !m.is_empty() && rng.below(4) != 0 => {
                let k = m.keys().nth(rng.below(m.len())).unwrap();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                m.get(k)
            }
            Value::Array(a) if !a.is_empty() && rng.below(4) != 0 => {
                let i = rng.below(a.len());
                pointer.push_str(&format!("/{i}"));
                a.get(i)
            }
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    if let Some(target) = v.pointer_mut(&pointer) {
        *target = random_value(rng);
    }
}

#[test]
fn validate_never_panics_on_mutated_or_random_input() {
    let validator = Validator::new(Options::default()).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let seeds: Vec<(Vec<u8>, Format)> = [
        "tests/fixtures/rules/valid/good.json",
        "tests/fixtures/rules/valid/good.yaml",
        "examples/meters/api-calls.yaml",
        "examples/meters/sms-messages.yaml",
        "examples/meters/compute-minutes.yaml",
        "examples/meters/eu-storage-gb-hours.yaml",
        "examples/meters/transcoding-minutes.yaml",
        "examples/meters/active-seats.yaml",
        "tests/fixtures/roundtrip/unknown-fields-everywhere.json",
    ]
    .iter()
    .map(|p| {
        (
            std::fs::read(p).unwrap(),
            Format::from_path(Path::new(p)).unwrap(),
        )
    })
    .collect();
    let values: Vec<Value> = seeds
        .iter()
        .map(|(b, f)| {
            load::parse_bytes(Path::new("s"), b.clone(), *f)
                .unwrap()
                .value
        })
        .collect();
    for i in 0..iterations() {
        let (bytes, format) = &seeds[i % seeds.len()];
        match i % 3 {
            0 => exercise(&validator, mutate_bytes(&mut rng, bytes.clone()), *format),
            1 => {
                let mut v = values[i % values.len()].clone();
                for _ in 0..=rng.below(3) {
                    mutate_value(&mut rng, &mut v);
                }
                let text = to_canonical_string(&v, *format);
                exercise(&validator, text.into_bytes(), *format);
            }
            _ => {
                let n = rng.below(64);
                let random: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                exercise(&validator, random, *format);
            }
        }
    }
}
