//! Zuora's validation rules (zuora-meter-dialect.md §4): each fixture under
//! `tests/fixtures/rules/<CODE>/` is a valid real-dialect meter broken in one way, and the rule
//! must report it with its code, at the right JSON Pointer and line, quoting Zuora's message.

use std::fs;

use crate::common;
use crate::common::output as run;

use assert_cmd::Command;
use serde_json::Value;

fn meterctl() -> Command {
    common::meterctl()
}

/// (fixture under tests/fixtures/rules, code, pointer, line, Zuora's message when §4 gives one).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    Option<&'static str>,
);
#[rustfmt::skip]
const CASES: &[Case] = &[
    ("MC0101/bad.json", "MC0101", "/latestVersion", 7, None),
    ("MC0101/bad.yaml", "MC0101", "/latestVersion", 6, None),
    ("MC0102/bad.json", "MC0102", "/versions/1/version", 143, Some("Version already exists")),
    ("MC0102/bad.yaml", "MC0102", "/versions/1/version", 89, Some("Version already exists")),
    ("MC0103/bad.json", "MC0103", "/versions/0/tasks/3/id", 99, Some("Duplicate task ID found: t-daily")),
    ("MC0103/bad.yaml", "MC0103", "/versions/0/tasks/3/id", 64, Some("Duplicate task ID found: t-daily")),
    ("MC0104/bad.json", "MC0104", "/versions/0/tasks/3/predecessors/1/id", 139, Some("Predecessor task not found: t-missing")),
    ("MC0104/bad.yaml", "MC0104", "/versions/0/tasks/3/predecessors/1/id", 89, Some("Predecessor task not found: t-missing")),
    ("MC0105/bad.json", "MC0105", "/versions/0/tasks/1/predecessors", 57, Some("Circular dependency detected")),
    ("MC0105/bad.yaml", "MC0105", "/versions/0/tasks/1/predecessors", 40, Some("Circular dependency detected")),
    ("MC0106/bad.json", "MC0106", "/versions/0/tasks", 13, Some("No SOURCE task found")),
    ("MC0106/bad.yaml", "MC0106", "/versions/0/tasks", 12, Some("No SOURCE task found")),
    ("MC0107/bad.json", "MC0107", "/versions/0/tasks/3/name", 100, None),
    ("MC0107/bad.yaml", "MC0107", "/versions/0/tasks/3/name", 65, None),
    ("MC0108/bad.json", "MC0108", "/versions/0/tasks/3/predecessors", 134, Some("SINK task requires predecessors")),
    ("MC0108/bad.yaml", "MC0108", "/versions/0/tasks/3/predecessors", 87, Some("SINK task requires predecessors")),
    ("MC0116/bad.yaml", "MC0116", "/versions/0/tasks/3/metadata/fieldMappings/2/field", 79, None),
    ("MC0130/bad.json", "MC0130", "/name", 3, Some("Meter name cannot be blank")),
    ("MC0130/bad.yaml", "MC0130", "/name", 2, Some("Meter name cannot be blank")),
    ("MC0131/bad.json", "MC0131", "/versions/0/tasks/2/metadata/aggregationFields/1/targetField", 88, Some("Duplicate aggregation targetField: total")),
    ("MC0131/bad.yaml", "MC0131", "/versions/0/tasks/2/metadata/aggregationFields/1/targetField", 61, Some("Duplicate aggregation targetField: total")),
    ("MC0132/bad.yaml", "MC0132", "/type", 4, Some("Invalid meter type")),
    ("MC0133/bad.yaml", "MC0133", "/typeDefinition", 6, Some("TypeDefinition not allowed for CUSTOM meters")),
    ("MC0134/bad.yaml", "MC0134", "/typeDefinition", 5, Some("TypeDefinition required for predefined meter types")),
    ("MC0135/bad.yaml", "MC0135", "/typeDefinition/sourceType", 6, Some("Invalid sourceType")),
    ("MC0136/bad.json", "MC0136", "/typeDefinition/schemaId", 8, Some("Invalid schemaId")),
    ("MC0137/bad.yaml", "MC0137", "/typeDefinition/fieldMappings", 9, Some("Missing required field mapping: uom")),
    ("MC0138/bad.yaml", "MC0138", "/typeDefinition/configs", 22, Some("cumulativeMethod required for CUMULATIVE type")),
    ("MC0139/bad.yaml", "MC0139", "/typeDefinition/configs/cumulativePeriod", 23, Some("Invalid cumulativePeriod: monthly")),
    ("MC0140/bad.json", "MC0140", "/versions/0/version", 10, Some("Invalid version format")),
    ("MC0141/bad.yaml", "MC0141", "/versions/1", 89, Some("Version must include versionDetail, metadata, or tasks")),
    ("MC0142/bad.yaml", "MC0142", "/versions/0/tasks/3", 64, Some("Task id is required")),
    ("MC0143/bad.json", "MC0143", "/versions/0/tasks/3", 98, Some("Task name is required")),
    ("MC0144/bad.yaml", "MC0144", "/versions/0/tasks", 12, Some("No SINK task found")),
    ("MC0145/bad.yaml", "MC0145", "/versions/0/tasks/2", 41, Some("Pipeline contains unreachable tasks")),
    ("MC0146/bad.json", "MC0146", "/versions/0/tasks/1/operatorType", 32, Some("Only one ZUORA_BULK_API source allowed per meter")),
    ("MC0147/bad.yaml", "MC0147", "/versions/0/tasks/0/predecessors", 22, Some("SOURCE task cannot have predecessors")),
    ("MC0148/bad.yaml", "MC0148", "/versions/0/tasks/3/operatorType", 67, Some("BILLING_RATING is not a valid SINK operator")),
    ("MC0149/bad.json", "MC0149", "/versions/0/tasks/2/metadata/triggerType", 69, Some("Invalid triggerType")),
    ("MC0149/bad.yaml", "MC0149", "/versions/0/tasks/2/metadata/triggerType", 46, Some("Invalid triggerType")),
    ("MC0150/bad.yaml", "MC0150", "/versions/0/tasks/2/metadata", 46, Some("timeoutDuration required")),
    ("MC0151/bad.yaml", "MC0151", "/versions/0/tasks/2/metadata/aggregationFields", 55, Some("aggregationFields cannot be empty")),
    ("MC0152/bad.yaml", "MC0152", "/versions/0/tasks/2/metadata", 46, Some("At least one group field or time field required")),
    ("MC0153/bad.yaml", "MC0153", "/versions/0/tasks/1/metadata/rules/1", 32, Some("ruleCombiner required when rules present")),
    ("MC0154/bad.json", "MC0154", "/versions/0/tasks/1/metadata/ruleCombiner", 34, Some("Invalid ruleCombiner")),
    ("MC0154/bad.yaml", "MC0154", "/versions/0/tasks/1/metadata/ruleCombiner", 27, Some("Invalid ruleCombiner")),
    ("MC0155/bad.yaml", "MC0155", "/versions/0/tasks/1/metadata/rules/0", 29, Some("sourceField and operator required for leaf rule")),
    ("MC0156/bad.json", "MC0156", "/versions/0/tasks/1/metadata/rules/1/rules/0", 44, Some("value required for gt")),
    ("MC0157/bad.yaml", "MC0157", "/versions/0/tasks/1/metadata/mapFields/1", 33, Some("formula required for transform type")),
    ("MC0158/bad.yaml", "MC0158", "/versions/0/tasks/1/metadata/lookupType", 27, Some("Invalid lookupType")),
    ("MC0159/bad.yaml", "MC0159", "/versions/0/tasks/1/metadata", 27, None),
    ("MC0160/bad.yaml", "MC0160", "/versions/0/tasks/1/metadata", 27, Some("qtyField is required")),
    ("MC0161/bad.yaml", "MC0161", "/versions/0/tasks/3/metadata/fieldMappings/3", 79, Some("Field mapping field required")),
    ("MC0162/bad.json", "MC0162", "/versions/0/tasks/3/metadata/fieldMappings", 104, Some("Required field not mapped: startDateTime")),
    ("MC0162/bad.yaml", "MC0162", "/versions/0/tasks/3/metadata/fieldMappings", 70, Some("Required field not mapped: startDateTime")),
    ("MC0163/bad.yaml", "MC0163", "/versions/0/tasks/3/metadata/fieldMappings", 70, Some("Required field not mapped: subscriptionNumber")),
    ("MC0164/bad.json", "MC0164", "/versions/0/tasks/3/metadata/fieldMappings/4/dateFormat", 129, Some("Invalid dateFormat: yyyy-MM-ddTHH:mm:ss")),
    ("MC0164/bad.yaml", "MC0164", "/versions/0/tasks/3/metadata/fieldMappings/4/dateFormat", 85, Some("Invalid dateFormat: yyyy-MM-ddTHH:mm:ss")),
    ("MC0165/bad.yaml", "MC0165", "/versions/0/tasks/1/metadata/language", 27, Some("Invalid language")),
    ("MC0166/bad.json", "MC0166", "/versions/0/tasks/0/metadata/schemaId", 20, None),
    ("MC0166/bad.yaml", "MC0166", "/versions/0/tasks/0/metadata/schemaId", 17, None),
];

fn validate(paths: &[String]) -> Value {
    let (code, out, err) = run(meterctl()
        .args(["validate", "--format", "json"])
        .args(paths));
    assert!(code == 0 || code == 1, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

#[test]
fn every_zuora_rule_reports_code_pointer_line_and_zuoras_message() {
    let paths: Vec<String> = CASES
        .iter()
        .map(|c| format!("tests/fixtures/rules/{}", c.0))
        .collect();
    let report = validate(&paths);
    let files = report["files"].as_array().unwrap();
    for (path, (_, code, pointer, line, quote)) in paths.iter().zip(CASES) {
        let file = files
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not in the report"));
        let d = file["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == *code)
            .unwrap_or_else(|| panic!("{path}: no {code} in {file:#}"));
        assert_eq!(d["pointer"], *pointer, "{path}: {d}");
        assert_eq!(d["line"].as_u64(), Some(*line), "{path}: {d}");
        assert!(d["column"].as_u64().is_some(), "{path}: {d}");
        let message = d["message"].as_str().unwrap();
        let mut first = message.chars();
        let capitalised = first.next().is_some_and(|c| c.is_ascii_uppercase())
            && first.next().is_some_and(|c| c.is_ascii_lowercase());
        assert!(
            !capitalised,
            "{path}: messages are lowercase phrases: {message}"
        );
        match quote {
            Some(q) => assert!(
                message.ends_with(&format!("(Zuora: \"{q}\")")),
                "{path}: {message}"
            ),
            None if code.starts_with("MC013")
                || code.starts_with("MC014")
                || code.starts_with("MC015")
                || code.starts_with("MC016") =>
            {
                assert!(message.contains("Zuora"), "{path}: {message}")
            }
            None => {}
        }
        let severity = meterctl::validate::rules::by_code(code).unwrap().severity;
        assert_eq!(d["severity"], severity.as_str(), "{path}");
    }
}

#[test]
fn warnings_alone_keep_a_file_valid() {
    for dir in ["MC0116", "MC0152", "MC0163"] {
        let path = format!("tests/fixtures/rules/{dir}/bad.yaml");
        let (code, out, _) = run(meterctl().args(["validate", &path]));
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(&format!("warning[{dir}]")), "{out}");
    }
}

#[test]
fn valid_fixtures_have_no_rule_findings() {
    for f in ["good.json", "good.yaml", "predefined.yaml"] {
        let (code, out, _) =
            run(meterctl().args(["validate", &format!("tests/fixtures/rules/valid/{f}")]));
        assert_eq!(code, 0, "{f}: {out}");
        assert!(out.ends_with("0 errors, 0 warnings\n"), "{f}: {out}");
    }
}

#[test]
fn every_new_rule_is_listed_and_explained_with_zuoras_message() {
    let (code, list, _) = run(meterctl().arg("rules"));
    assert_eq!(code, 0);
    for (_, code, ..) in CASES {
        assert!(list.contains(code), "{code} not listed");
        let (exit, out, _) = run(meterctl().args(["explain", code]));
        assert_eq!(exit, 0);
        assert!(out.starts_with(code), "{out}");
        if *code != "MC0101" && *code != "MC0107" {
            assert!(out.contains("Zuora"), "{code}: {out}");
        }
    }
    let (_, out, _) = run(meterctl().args(["explain", "duplicate-aggregation-target"]));
    assert!(
        out.contains("Zuora: \"Duplicate aggregation targetField: {name}\""),
        "{out}"
    );
}

/// Repository form: tenant-specific values are placeholders, and no rule flags a placeholder.
#[test]
fn placeholders_are_never_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string("tests/fixtures/rules/valid/predefined.yaml")
        .unwrap()
        .replace("schemaId: '100'", "schemaId: ${{ values.usage_schema_id }}")
        .replace(
            "schemaId: usage-events",
            "schemaId: ${{ values.usage_schema }}",
        )
        .replace(
            "dateFormat: epoch_ms",
            "dateFormat: ${{ values.date_format }}",
        )
        .replace(
            "eventTimeFormat: epoch_ms",
            "eventTimeFormat: ${{ values.time_format }}",
        )
        .replace("triggerType: Timeout", "triggerType: ${{ values.trigger }}");
    assert_eq!(text.matches("${{ values.").count(), 5, "{text}");
    fs::write(tmp.path().join("m.yaml"), text).unwrap();
    let (code, out, _) = run(meterctl()
        .current_dir(tmp.path())
        .args(["validate", "m.yaml"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("0 errors, 0 warnings\n"), "{out}");
}

/// Zuora's issue examples in one file: an uppercase AND, two equal targetFields, a usage sink
/// without startDateTime. Each is reported once, with its own code.
#[test]
fn the_issues_examples_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string("tests/fixtures/rules/valid/good.yaml")
        .unwrap()
        .replacen("ruleCombiner: and", "ruleCombiner: AND", 1)
        .replace("targetField: events", "targetField: total")
        .replace("      - name: startDateTime\n", "      - name: startTime\n");
    fs::write(tmp.path().join("m.yaml"), text).unwrap();
    let (code, out, _) = run(meterctl()
        .current_dir(tmp.path())
        .args(["validate", "m.yaml"]));
    assert_eq!(code, 1);
    for expected in [
        "error[MC0154]: filter \"Keep EU\" combines its rules with \"AND\"; write it in lower case: and (Zuora: \"Invalid ruleCombiner\")",
        "error[MC0131]: aggregator \"Daily\" has two aggregations writing \"total\"; give each aggregation its own targetField (Zuora: \"Duplicate aggregation targetField: total\")",
        "(Zuora: \"Required field not mapped: startDateTime\")",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
    assert!(
        out.ends_with("1 file, 1 invalid: 3 errors, 0 warnings\n"),
        "{out}"
    );
}
