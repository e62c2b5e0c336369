//! Comments in YAML definitions survive `fmt` and `convert --to yaml`; `convert --to json` says
//! how many it cannot hold; merge keys are refused with a location.

use std::fs;

use crate::common;
use crate::common::output;

use assert_cmd::Command;
use meterctl::yaml;

const FIXTURE: &str = "tests/fixtures/comments/commented.yaml";

fn meterctl() -> Command {
    common::meterctl()
}

/// Every comment line of a text (what a reader sees), sorted.
fn comment_texts(c: &yaml::Comments) -> Vec<String> {
    let mut all: Vec<String> = c.header.clone();
    for n in c.nodes.values() {
        all.extend(n.before.iter().cloned());
        all.extend(n.trailing.iter().cloned());
        all.extend(n.end.iter().cloned());
    }
    all.sort();
    all
}

#[test]
fn fmt_keeps_every_comment_next_to_its_node_and_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.yaml");
    let original = fs::read_to_string(FIXTURE).unwrap();
    fs::write(&f, &original).unwrap();
    let (code, _, err) = output(meterctl().arg("fmt").arg(&f));
    assert_eq!(code, 0, "{err}");
    let formatted = fs::read_to_string(&f).unwrap();
    assert_ne!(formatted, original, "keys were out of canonical order");

    let before = yaml::parse(&original).unwrap();
    let after = yaml::parse(&formatted).unwrap();
    assert_eq!(after.value, before.value, "values unchanged");
    // The same comments at the same pointers: each moved with its node.
    assert_eq!(after.comments, before.comments);
    let texts = comment_texts(&before.comments);
    assert_eq!(texts.len(), 16, "{texts:#?}");
    for t in &texts {
        assert_eq!(formatted.matches(t.as_str()).count(), 1, "{t} exactly once");
    }
    // Each comment kind, checked where it landed.
    assert!(formatted.starts_with("# yaml-language-server: $schema="));
    assert!(formatted.contains(
        "globalId: mtr-api-calls-commented\n# Shown in Zuora's meter list.\nname: API Calls  # keep in sync"
    ));
    assert!(formatted.contains("\n  # Drops internal test accounts.\n  - id: t-filter\n"));
    assert!(formatted
        .contains("    - id: t-source  # the only input\n      # more inputs go here\n    # end of the task list\n"));
    assert!(formatted.contains(
        "        # this line is part of the script, not a YAML comment\n        keep = not account.startswith(\"TEST-\")  # nor is this\n"
    ));
    assert!(formatted.ends_with("# end of the definition\n"));

    // A second run changes no byte.
    let (code, out, err) = output(meterctl().args(["fmt", "--check"]).arg(&f));
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, _) = output(meterctl().arg("fmt").arg(&f));
    assert_eq!(code, 0);
    assert_eq!(fs::read_to_string(&f).unwrap(), formatted);

    // `convert --to yaml` from YAML writes the same text.
    let (code, out, err) = output(meterctl().args(["convert", "--to", "yaml", FIXTURE]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, formatted);
}

#[test]
fn convert_to_json_counts_the_comments_it_drops() {
    let (code, out, err) = output(meterctl().args(["convert", "--to", "json", FIXTURE]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("16 comments dropped: JSON cannot hold comments"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["name"], "API Calls");
    // Nothing to say for a file without comments.
    let (code, _, err) =
        output(meterctl().args(["convert", "--to", "json", "examples/meters/api-calls.yaml"]));
    assert_eq!(code, 0);
    assert_eq!(err, "");
}

#[test]
fn merge_keys_are_refused_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.yaml");
    fs::write(
        &f,
        "name: x\ndefaults: &d\n  required: true\ntypeDefinition:\n  fieldMappings:\n  - <<: *d\n    name: a\n",
    )
    .unwrap();
    let (code, _, err) = output(meterctl().arg("fmt").arg(&f));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("m.yaml:6:5"), "{err}");
    assert!(err.contains("merge keys"), "{err}");
}
