//! `meterctl validate`, `rules`, `explain`, `schema`: the real binary against real files.

use std::fs;
use std::path::Path;

use crate::common;
use crate::common::output as run;

use assert_cmd::Command;
use serde_json::Value;

fn meterctl() -> Command {
    common::meterctl()
}

fn json_report(args: &[&str]) -> (i32, Value) {
    let (code, out, err) = run(meterctl()
        .arg("validate")
        .args(["--format", "json"])
        .args(args));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v)
}

/// (fixture folder, code, pointer, (line, column) in bad.json, (line, column) in bad.yaml).
type Pos = (u64, u64);
const RULE_CASES: &[(&str, &str, &str, Pos, Pos)] = &[
    ("MC0001", "MC0001", "", (5, 1), (4, 4)),
    ("MC0002", "MC0002", "", (1, 1), (1, 1)),
    (
        "MC0010",
        "MC0010",
        "/versions/0/tasks/1/metadata/rules/0/operator",
        (44, 29),
        (35, 19),
    ),
    (
        "MC0011",
        "MC0011",
        "/versions/0/tasks/2/settings",
        (98, 11),
        (66, 5),
    ),
    (
        "MC0013",
        "MC0013",
        "/versions/0/tasks/2/metadata/usageKeyGenerationMethd",
        (91, 13),
        (63, 7),
    ),
    ("MC0101", "MC0101", "/latestVersion", (7, 20), (6, 16)),
    (
        "MC0102",
        "MC0102",
        "/versions/1/version",
        (143, 18),
        (89, 12),
    ),
    (
        "MC0103",
        "MC0103",
        "/versions/0/tasks/3/id",
        (99, 17),
        (64, 9),
    ),
    (
        "MC0104",
        "MC0104",
        "/versions/0/tasks/3/predecessors/1/id",
        (139, 21),
        (89, 11),
    ),
    (
        "MC0105",
        "MC0105",
        "/versions/0/tasks/1/predecessors",
        (57, 27),
        (40, 7),
    ),
    ("MC0106", "MC0106", "/versions/0/tasks", (13, 16), (12, 5)),
    (
        "MC0107",
        "MC0107",
        "/versions/0/tasks/3/name",
        (100, 19),
        (65, 11),
    ),
    (
        "MC0108",
        "MC0108",
        "/versions/0/tasks/3/predecessors",
        (134, 27),
        (87, 19),
    ),
    (
        "MC0109",
        "MC0109",
        "/versions/0/tasks/2/nodeType",
        (60, 23),
        (43, 15),
    ),
    (
        "MC0110",
        "MC0110",
        "/schemas/0/schema/properties/Quantity/type",
        (134, 21),
        (92, 15),
    ),
    (
        "MC0111",
        "MC0111",
        "/versions/0/tasks/1/metadata/httpRequestConfig/headers/0/value",
        (42, 28),
        (34, 18),
    ),
    (
        "MC0112",
        "MC0112",
        "/versions/0/tasks/2/operatorType",
        (61, 27),
        (44, 19),
    ),
    (
        "MC0113",
        "MC0113",
        "/schemas/0/schema/eventIdFields/0",
        (108, 11),
        (71, 7),
    ),
    (
        "MC0114",
        "MC0114",
        "/schemas/0/schema/properties/Quantity/eventTime",
        (136, 26),
        (94, 20),
    ),
    (
        "MC0115",
        "MC0115",
        "/schemas/0/schema/properties/UsageDate/timeFormat",
        (131, 27),
        (90, 21),
    ),
];

fn find<'a>(report: &'a Value, code: &str) -> Option<&'a Value> {
    report["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
}

#[test]
fn every_rule_fires_with_code_pointer_line_and_column_in_json_and_yaml() {
    for (dir, code, pointer, json_pos, yaml_pos) in RULE_CASES {
        for (file, pos) in [("bad.json", json_pos), ("bad.yaml", yaml_pos)] {
            let path = format!("tests/fixtures/rules/{dir}/{file}");
            let (exit, report) = json_report(&[&path]);
            let d =
                find(&report, code).unwrap_or_else(|| panic!("{path}: no {code} in {report:#}"));
            let expected_exit = if d["severity"] == "error" { 1 } else { 0 };
            assert_eq!(exit, expected_exit, "{path}");
            if !pointer.is_empty() {
                assert_eq!(d["pointer"], *pointer, "{path}");
            }
            assert_eq!(
                (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()),
                *pos,
                "{path}: {d}"
            );
            assert!(
                d["message"].as_str().unwrap().len() > 20,
                "{path}: a message that explains"
            );
        }
    }
}

#[test]
fn custom_schema_from_flag_and_from_config() {
    let dir = "tests/fixtures/rules/MC0012";
    let schema = format!("{dir}/house-rules.schema.json");
    for file in ["bad.json", "bad.yaml"] {
        let path = format!("{dir}/{file}");
        let (exit, report) = json_report(&["--schema", &schema, &path]);
        assert_eq!(exit, 1);
        let d = find(&report, "MC0012").expect("MC0012");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("house-rules.schema.json: missing required field `description`"),
            "{d}"
        );
        assert_eq!(
            (d["pointer"].as_str(), d["line"].as_u64()),
            (Some(""), Some(1))
        );
        // Without the house rules the file is valid.
        assert_eq!(json_report(&[&path]).0, 0);
    }
    // meterctl.yaml names the schema, paths relative to the config file.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("meters")).unwrap();
    fs::copy(format!("{dir}/bad.yaml"), tmp.path().join("meters/m.yaml")).unwrap();
    fs::copy(&schema, tmp.path().join("house.json")).unwrap();
    fs::write(
        tmp.path().join("meterctl.yaml"),
        "version: 1\nmeters: meters\nvalidate:\n  schemas: [house.json]\n",
    )
    .unwrap();
    let (code, out, _) = run(meterctl()
        .current_dir(tmp.path().join("meters"))
        .arg("validate"));
    assert_eq!(code, 1, "config found by walking up: {out}");
    assert!(out.contains("error[MC0012]"), "{out}");
}

#[test]
fn repository_wide_uniqueness() {
    for (dir, code, pointer, line, col) in [
        ("MC0120", "MC0120", "/globalId", 1, 11),
        ("MC0121", "MC0121", "/name", 2, 7),
        // The same with the second file in JSON.
        ("MC0120-json", "MC0120", "/globalId", 2, 15),
        ("MC0121-json", "MC0121", "/name", 3, 11),
    ] {
        let (exit, report) = json_report(&[&format!("tests/fixtures/rules/{dir}")]);
        assert_eq!(exit, 1);
        let files = report["files"].as_array().unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0]["valid"], true);
        let d = &files[1]["diagnostics"][0];
        assert_eq!(
            (d["code"].as_str(), d["pointer"].as_str()),
            (Some(code), Some(pointer))
        );
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(line), Some(col))
        );
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{dir}/a.")),
            "names the other file: {d}"
        );
    }
}

#[test]
fn examples_and_valid_fixtures_pass() {
    let (code, out, _) = run(meterctl().args(["validate", "examples/meters"]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "6 files, 0 invalid: 0 errors, 0 warnings\n");
    for f in ["good.json", "good.yaml"] {
        assert_eq!(
            json_report(&[&format!("tests/fixtures/rules/valid/{f}")]).0,
            0
        );
    }
}

/// The codes of the schema side of validation (schema, metadata, node and operator types, event
/// definitions): none of them may fire on a definition Zuora itself would accept.
const SCHEMA_SIDE_CODES: &[&str] = &[
    "MC0010", "MC0011", "MC0013", "MC0109", "MC0110", "MC0111", "MC0112", "MC0113", "MC0114",
    "MC0115",
];

/// Every diagnostic of a JSON report whose code is one of `codes`, as "path: code pointer message".
fn findings_of(report: &Value, codes: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for f in report["files"].as_array().unwrap() {
        for d in f["diagnostics"].as_array().unwrap() {
            if codes.iter().any(|c| d["code"] == *c) {
                out.push(format!(
                    "{}: {} {} {}",
                    f["path"], d["code"], d["pointer"], d["message"]
                ));
            }
        }
    }
    out
}

#[test]
fn shared_corpus_exports_are_valid_when_present() {
    let corpus = Path::new("../shared/corpus-real");
    if !corpus.is_dir() {
        eprintln!("skipped: ../shared/corpus-real is not beside the repository");
        return;
    }
    // Exports and repository form separately: the same meters appear in both (same names).
    for dir in ["exports", "repo-form"] {
        let (code, report) = json_report(&[&format!("../shared/corpus-real/{dir}")]);
        assert_eq!(
            findings_of(&report, SCHEMA_SIDE_CODES),
            Vec::<String>::new()
        );
        assert_eq!(code, 0, "{report:#}");
        assert!(report["summary"]["files"].as_u64().unwrap() >= 4);
    }
}

/// 200 definitions from Zuora's dialect generator (four seeds, JSON, exports and repository form)
/// raise no schema-side finding.
#[test]
fn generated_real_dialect_definitions_pass_the_schema_side() {
    let generator = Path::new("../shared/tools/gen_corpus.py");
    if !generator.is_file() {
        eprintln!("skipped: ../shared/tools/gen_corpus.py is not beside the repository");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (seed, extra) in [
        ("11", &[][..]),
        ("12", &["--size", "large"][..]),
        ("13", &["--placeholders", "--global-ids"][..]),
        ("14", &["--tenant", "production"][..]),
    ] {
        let out = tmp.path().join(seed);
        let status = std::process::Command::new("python3")
            .arg(generator)
            .args([
                "--out",
                out.to_str().unwrap(),
                "--count",
                "50",
                "--seed",
                seed,
            ])
            .args(extra)
            .stderr(std::process::Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("skipped: python3 could not run {}", generator.display());
            return;
        }
    }
    let (_, report) = json_report(&[tmp.path().to_str().unwrap()]);
    assert_eq!(report["summary"]["files"], 200);
    assert_eq!(
        findings_of(&report, SCHEMA_SIDE_CODES),
        Vec::<String>::new()
    );
}

/// A meter written by hand from Zuora's importable skeleton (CUSTOM, typeDefinition null, layout
/// metadata, uniqueName/internalName, catalogue metadata) is valid.
#[test]
fn zuora_skeleton_by_hand_is_valid() {
    let (code, report) = json_report(&["tests/fixtures/rules/valid/zuora-skeleton.json"]);
    assert_eq!(
        findings_of(&report, SCHEMA_SIDE_CODES),
        Vec::<String>::new()
    );
    assert_eq!(code, 0, "{report:#}");
}

/// Each schema-side fixture is broken in exactly one way: its own code is its only schema-side
/// finding.
#[test]
fn schema_side_fixtures_break_one_thing() {
    for code in SCHEMA_SIDE_CODES.iter().filter(|c| **c != "MC0111") {
        for file in ["bad.json", "bad.yaml"] {
            let path = format!("tests/fixtures/rules/{code}/{file}");
            let (_, report) = json_report(&[&path]);
            let found = findings_of(&report, SCHEMA_SIDE_CODES);
            assert_eq!(found.len(), 1, "{path}: {found:#?}");
            assert!(found[0].contains(code), "{path}: {found:#?}");
        }
    }
}

#[test]
fn json_shape_is_exact() {
    let (code, v) = json_report(&["tests/fixtures/rules/MC0101/bad.yaml"]);
    assert_eq!(code, 1);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v), ["format_version", "valid", "summary", "files"]);
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 1, "valid": 0, "invalid": 1, "errors": 1, "warnings": 0})
    );
    assert_eq!(keys(&v["files"][0]), ["path", "valid", "diagnostics"]);
    assert_eq!(
        v["files"][0]["path"],
        "tests/fixtures/rules/MC0101/bad.yaml"
    );
    assert_eq!(
        keys(&v["files"][0]["diagnostics"][0]),
        ["severity", "code", "message", "pointer", "line", "column"]
    );
}

#[test]
fn text_has_code_frame_and_summary() {
    let (code, out, _) = run(meterctl().args(["validate", "tests/fixtures/rules/MC0104/bad.yaml"]));
    assert_eq!(code, 1);
    assert!(
        out.starts_with("error[MC0104]: task \"Usage\" lists predecessor \"t-missing\""),
        "{out}"
    );
    assert!(
        out.contains("  --> tests/fixtures/rules/MC0104/bad.yaml:89:11\n"),
        "{out}"
    );
    assert!(
        out.contains("89 |     - id: t-missing\n   |           ^\n"),
        "{out}"
    );
    assert!(out.ends_with("1 file, 1 invalid: 1 error, 0 warnings\n"));
    assert!(!out.contains('\x1b'), "no colour when not a TTY");
}

#[test]
fn strict_allow_deny_and_deny_warnings() {
    let f = "tests/fixtures/rules/MC0011/bad.yaml";
    assert_eq!(json_report(&[f]).0, 0, "unknown fields warn by default");
    let (code, v) = json_report(&["--strict", f]);
    assert_eq!(
        (code, find(&v, "MC0011").unwrap()["severity"].as_str()),
        (1, Some("error"))
    );
    assert_eq!(json_report(&["--deny-warnings", f]).0, 1);
    assert_eq!(json_report(&["--deny", "MC0011", f]).0, 1);
    let (code, v) = json_report(&["--allow", "unknown-field", "--deny-warnings", f]);
    assert_eq!((code, v["summary"]["warnings"].as_u64()), (0, Some(0)));
    let (code, _, err) = run(meterctl().args(["validate", "--allow", "MC9999", f]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule \"MC9999\""), "{err}");
}

#[test]
fn config_regrades_rules() {
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(
        "tests/fixtures/rules/MC0107/bad.yaml",
        tmp.path().join("m.yaml"),
    )
    .unwrap();
    fs::write(
        tmp.path().join("meterctl.yaml"),
        "version: 1\nvalidate:\n  rules:\n    MC0107: error\n",
    )
    .unwrap();
    let (code, out, _) = run(meterctl()
        .current_dir(tmp.path())
        .args(["validate", "m.yaml"]));
    assert_eq!(code, 1, "{out}");
    fs::write(
        tmp.path().join("meterctl.yaml"),
        "version: 1\nvalidate:\n  rulez: {}\n",
    )
    .unwrap();
    let (code, _, err) = run(meterctl()
        .current_dir(tmp.path())
        .args(["validate", "m.yaml"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("meterctl.yaml:3:3: validate: unknown field `rulez`"),
        "{err}"
    );
}

#[test]
fn stdin_and_extra_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("out.xml");
    let sarif = tmp.path().join("out.sarif");
    let text = fs::read("tests/fixtures/rules/MC0104/bad.json").unwrap();
    let (code, out, err) = run(meterctl()
        .args(["validate", "--format", "github", "-"])
        .arg(format!("--report=junit={}", junit.display()))
        .arg(format!("--report=sarif={}", sarif.display()))
        .write_stdin(text));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "::error file=-,line=139,col=21,title=MC0104::task \"Usage\" lists predecessor \"t-missing\", but no task in version 0.0.1 has that id; use the id of the task that feeds it (Zuora: \"Predecessor task not found: t-missing\")\n"
    );
    let xml = fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("name"), Some("-"));
    assert!(case.children().any(|n| n.has_tag_name("failure")));
    let s: Value = serde_json::from_slice(&fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(s["runs"][0]["results"][0]["ruleId"], "MC0104");
}

#[test]
fn junit_is_well_formed_for_many_files() {
    let (code, out, _) =
        run(meterctl().args(["validate", "--format", "junit", "tests/fixtures/rules"]));
    assert_eq!(code, 1);
    let doc = roxmltree::Document::parse(&out).expect("well-formed JUnit XML");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert!(cases > 30, "{cases}");
}

/// SARIF output validates against the official SARIF 2.1.0 schema. `.ci/run` fetches the schema
/// (from the npm package @microsoft/jest-sarif) and points METERCTL_SARIF_SCHEMA at it.
#[test]
fn sarif_validates_against_the_sarif_schema() {
    let Ok(schema_path) = std::env::var("METERCTL_SARIF_SCHEMA") else {
        eprintln!("skipped: METERCTL_SARIF_SCHEMA is not set (.ci/run sets it)");
        return;
    };
    let mut schema: Value = serde_json::from_slice(&fs::read(schema_path).unwrap()).unwrap();
    // The official schema's `language` pattern has a stray `]` that strict regex checks reject;
    // it only constrains run.language, which meterctl does not write.
    fn fix(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.get("pattern").and_then(Value::as_str)
                    == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
                {
                    m.insert(
                        "pattern".into(),
                        Value::String("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into()),
                    );
                }
                m.values_mut().for_each(fix);
            }
            Value::Array(a) => a.iter_mut().for_each(fix),
            _ => {}
        }
    }
    fix(&mut schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (code, out, _) =
        run(meterctl().args(["validate", "--format", "sarif", "tests/fixtures/rules"]));
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(sarif["runs"][0]["results"].as_array().unwrap().len() > 20);
}

#[test]
fn missing_path_and_bad_flags_exit_2() {
    let (code, _, err) = run(meterctl().args(["validate", "nope/"]));
    assert_eq!(code, 2);
    assert!(err.contains("nope/: no such file or folder"), "{err}");
    let (code, _, err) = run(meterctl().args(["validate", "--report", "xml=out", "examples"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown report format"), "{err}");
}

#[test]
fn rules_explain_and_schemas() {
    let (code, out, _) = run(meterctl().arg("rules"));
    assert_eq!(code, 0);
    assert!(out.contains("MC0105   task-cycle"), "{out}");
    assert!(out.lines().count() > 18);
    let (code, out, _) = run(meterctl().args(["explain", "unknown-predecessor"]));
    assert_eq!(code, 0);
    assert!(
        out.starts_with("MC0104 unknown-predecessor (error by default)"),
        "{out}"
    );
    assert_eq!(run(meterctl().args(["explain", "MC9999"])).0, 2);
    let (code, out, _) = run(meterctl().args(["schema", "list"]));
    assert_eq!(
        (code, out.as_str()),
        (0, "meter-definition\nmeterctl-config\n")
    );
    let (code, out, _) = run(meterctl().args(["schema", "print", "meterctl-config"]));
    assert_eq!(code, 0);
    assert!(out.contains("\"client_secret_env\""), "{out}");
    let (code, out, _) = run(meterctl().args(["schema", "print"]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(run(meterctl().args(["schema", "print", "nope"])).0, 2);
}

#[test]
fn duplicate_keys_and_non_finite_numbers_are_parse_errors_with_location() {
    let tmp = tempfile::tempdir().unwrap();
    let good = fs::read_to_string("tests/fixtures/rules/valid/good.yaml").unwrap();
    let dup = good.replacen("  - id: t-src\n", "  - id: t-src\n    id: t-other\n", 1);
    assert_ne!(dup, good);
    fs::write(tmp.path().join("dup.yaml"), &dup).unwrap();
    fs::write(
        tmp.path().join("dup.json"),
        "{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("nan.yaml"),
        good.replacen("type: CUSTOM", "type: CUSTOM\nratio: .nan", 1),
    )
    .unwrap();
    let (code, v) = json_report(&[tmp.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let files = v["files"].as_array().unwrap();
    let diag = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| f["diagnostics"][0].clone())
            .unwrap()
    };
    let d = diag("dup.json");
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64()),
        (Some("MC0001"), Some(3))
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key `name`"),
        "{d}"
    );
    let d = diag("dup.yaml");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key `id`"),
        "{d}"
    );
    let d = diag("nan.yaml");
    assert!(
        d["message"].as_str().unwrap().contains("no JSON form"),
        "{d}"
    );
}

#[test]
fn parse_errors_have_code_frames_and_quiet_hides_warnings() {
    let (code, out, _) = run(meterctl().args(["validate", "tests/fixtures/rules/MC0001/bad.yaml"]));
    assert_eq!(code, 1);
    assert!(out.contains("4 |    tasks: []\n"), "{out}");
    let (code, out, _) =
        run(meterctl().args(["validate", "-q", "tests/fixtures/rules/MC0011/bad.yaml"]));
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn deny_warnings_reports_them_as_errors_so_reports_agree_with_the_exit_code() {
    let (code, v) = json_report(&["--deny-warnings", "tests/fixtures/rules/MC0011/bad.json"]);
    assert_eq!(code, 1);
    assert_eq!(v["valid"], false);
    assert_eq!(v["summary"]["invalid"], 1);
    assert_eq!(find(&v, "MC0011").unwrap()["severity"], "error");
    // METERCTL_STRICT accepts 1/0 like other boolean variables.
    let (code, _) = {
        let (c, out, _) = run(meterctl().env("METERCTL_STRICT", "1").args([
            "validate",
            "--format",
            "json",
            "tests/fixtures/rules/MC0011/bad.json",
        ]));
        (c, out)
    };
    assert_eq!(code, 1);
}

#[test]
fn versions_without_tasks_pass_the_schema() {
    // A predefined meter's version may carry no tasks (its pipeline comes from typeDefinition);
    // whether a CUSTOM version needs tasks is a rule of its own, not the schema's.
    let tmp = tempfile::tempdir().unwrap();
    let skeleton = fs::read_to_string("tests/fixtures/rules/valid/zuora-skeleton.json").unwrap();
    let mut v: Value = serde_json::from_str(&skeleton).unwrap();
    v["versions"][0]["tasks"] = serde_json::json!([]);
    let mut second = v["versions"][0].clone();
    second.as_object_mut().unwrap().remove("tasks");
    second["version"] = "0.0.2".into();
    v["versions"].as_array_mut().unwrap().push(second);
    let f = tmp.path().join("empty.json");
    fs::write(&f, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (_, report) = json_report(&[f.to_str().unwrap()]);
    assert_eq!(
        findings_of(&report, SCHEMA_SIDE_CODES),
        Vec::<String>::new()
    );
}
