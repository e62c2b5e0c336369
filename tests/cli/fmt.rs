//! `meterctl fmt` and `meterctl convert`, driven through the real binary.

use std::fs;
use std::path::Path;

use crate::common;
use crate::common::output as stdout;

use assert_cmd::Command;

fn meterctl() -> Command {
    common::meterctl()
}

fn copy_examples(dir: &Path) {
    fs::create_dir_all(dir.join("meters")).unwrap();
    for e in fs::read_dir("examples/meters").unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, dir.join("meters").join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn check_passes_on_examples() {
    let (code, out, err) = stdout(meterctl().args(["fmt", "--check", "examples/meters"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "");
}

#[test]
fn check_fails_on_reindented_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_examples(dir.path());
    let f = dir.path().join("meters/api-calls.yaml");
    let text = fs::read_to_string(&f).unwrap();
    let value: serde_json::Value = meterctl::yaml::parse_value(&text).unwrap();
    // Same value, 4-space JSON-style YAML (flow) — a different layout.
    fs::write(
        &f,
        serde_json::to_string_pretty(&value)
            .unwrap()
            .replace("  ", "    "),
    )
    .unwrap();
    let before = fs::read(&f).unwrap();
    let (code, out, _) = stdout(
        meterctl()
            .current_dir(dir.path())
            .args(["fmt", "--check", "meters"]),
    );
    assert_eq!(code, 1);
    assert_eq!(out, "meters/api-calls.yaml\n");
    assert_eq!(fs::read(&f).unwrap(), before, "--check changes nothing");

    // --diff shows the change and writes nothing.
    let (code, out, _) = stdout(
        meterctl()
            .current_dir(dir.path())
            .args(["fmt", "--diff", "meters"]),
    );
    assert_eq!(code, 1);
    assert!(
        out.starts_with("--- a/meters/api-calls.yaml\n+++ b/meters/api-calls.yaml\n"),
        "{out}"
    );
    assert_eq!(fs::read(&f).unwrap(), before);

    // fmt rewrites it back, byte-identical to the original, and a second run is a no-op.
    let (code, out, _) = stdout(meterctl().current_dir(dir.path()).args(["fmt", "meters"]));
    assert_eq!((code, out.as_str()), (0, "meters/api-calls.yaml\n"));
    assert_eq!(fs::read_to_string(&f).unwrap(), text);
    let (code, out, _) = stdout(meterctl().current_dir(dir.path()).args(["fmt", "meters"]));
    assert_eq!((code, out.as_str()), (0, ""));
    let leftovers: Vec<_> = fs::read_dir(dir.path().join("meters")).unwrap().collect();
    assert_eq!(leftovers.len(), 6, "no temporary files left behind");
}

#[test]
fn missing_path_exits_2_and_names_it() {
    let (code, _, err) = stdout(meterctl().args(["fmt", "--check", "no/such/dir"]));
    assert_eq!(code, 2);
    assert!(err.contains("no/such/dir: no such file or folder"), "{err}");
}

#[test]
fn malformed_inputs_exit_2_with_location_and_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("truncated.json", b"{\n  \"name\": \"x\",\n  \"versions\": [\n", "truncated.json:4:1: invalid JSON: EOF while parsing"),
        ("indent.yaml", b"name: x\nversions:\n  - version: 0.0.1\n   tasks: []\n", "indent.yaml:4:"),
        ("empty.json", b"", "empty.json:1:1: the file is empty"),
        ("binary.yaml", &[0x00, 0x9f, 0x92, 0x96, 0xff], "binary.yaml:1:2: the file is not UTF-8 text"),
        ("array.json", b"[{\"name\": \"x\"}]\n", "array.json:1:1: expected a meter definition object at the top of the file, found an array"),
    ];
    for (name, bytes, expected) in cases {
        let f = dir.path().join(name);
        fs::write(&f, bytes).unwrap();
        for args in [
            vec!["fmt", name],
            vec!["fmt", "--check", name],
            vec!["convert", name, "--to", "yaml"],
        ] {
            let (code, out, err) = stdout(meterctl().current_dir(dir.path()).args(&args));
            assert_eq!(code, 2, "{args:?}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
            assert!(
                err.starts_with("error: ") && err.contains(expected),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"));
            assert_eq!(fs::read(&f).unwrap(), *bytes, "untouched");
        }
    }
}

#[test]
fn bom_and_crlf_are_accepted_and_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.yaml");
    fs::write(&f, "\u{feff}name: x\r\ntype: CUSTOM\r\n").unwrap();
    let (code, out, _) = stdout(
        meterctl()
            .current_dir(dir.path())
            .args(["fmt", "--check", "m.yaml"]),
    );
    assert_eq!((code, out.as_str()), (1, "m.yaml\n"));
    let (code, _, _) = stdout(meterctl().current_dir(dir.path()).args(["fmt", "m.yaml"]));
    assert_eq!(code, 0);
    assert_eq!(fs::read_to_string(&f).unwrap(), "name: x\ntype: CUSTOM\n");
}

/// The fuzz campaign's two writer findings (issue 13): a comment ended by a lone `\r` (YAML's
/// third line break) and a key longer than YAML's 1,024-character limit for implicit keys. `fmt`
/// writes files that load back to the same value, and formatting again changes nothing.
#[test]
fn lone_cr_comments_and_long_keys_load_back_after_fmt() {
    let dir = tempfile::tempdir().unwrap();
    let long = "k".repeat(1100);
    let cases = [
        (
            "cr.yaml",
            "# c\ra: 1\n".to_string(),
            "# c\na: 1\n".to_string(),
        ),
        // A key over the limit loads only in the explicit form, which `fmt` keeps.
        (
            "long.yaml",
            format!("name: x\n?   {long}\n:   1\n"),
            format!("name: x\n? {long}\n: 1\n"),
        ),
        (
            "long.json",
            format!("{{\"{long}\": {{\"a\": 1}}}}"),
            format!("{{\n  \"{long}\": {{\n    \"a\": 1\n  }}\n}}\n"),
        ),
    ];
    for (name, text, want) in &cases {
        let f = dir.path().join(name);
        fs::write(&f, text).unwrap();
        let (code, _, err) = stdout(meterctl().current_dir(dir.path()).args(["fmt", name]));
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(&fs::read_to_string(&f).unwrap(), want, "{name}");
        let (code, out, err) = stdout(
            meterctl()
                .current_dir(dir.path())
                .args(["fmt", "--check", name]),
        );
        assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""), "{name}");
    }
    // JSON with a long key, to YAML and back.
    let (code, yaml, err) =
        stdout(
            meterctl()
                .current_dir(dir.path())
                .args(["convert", "long.json", "--to", "yaml"]),
        );
    assert_eq!(code, 0, "{err}");
    assert_eq!(yaml, format!("? {long}\n:\n  a: 1\n"));
    let (code, json, err) = stdout(
        meterctl()
            .args(["convert", "-", "--to", "json"])
            .write_stdin(yaml),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json,
        fs::read_to_string(dir.path().join("long.json")).unwrap()
    );
}

#[test]
fn oversized_files_are_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("big.json"),
        format!("{{\"name\": \"{}\"}}", "x".repeat(4096)),
    )
    .unwrap();
    let (code, _, err) = stdout(
        meterctl()
            .current_dir(dir.path())
            .env("METERCTL_MAX_FILE_SIZE", "1024")
            .args(["fmt", "big.json"]),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("big.json: file is larger than the size limit"),
        "{err}"
    );
    assert!(err.contains("1024 bytes"), "{err}");
}

#[test]
fn folders_skip_hidden_and_gitignored_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join(".hidden")).unwrap();
    fs::create_dir_all(root.join("build")).unwrap();
    fs::write(root.join(".gitignore"), "build/\n").unwrap();
    for p in [".hidden/a.json", "build/b.json", "notes.txt"] {
        fs::write(root.join(p), "not a definition").unwrap();
    }
    fs::write(root.join("ok.json"), "{\n  \"name\": \"x\"\n}\n").unwrap();
    let (code, out, err) = stdout(meterctl().current_dir(root).args(["fmt", "--check", "."]));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn convert_round_trips_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new("tests/fixtures/roundtrip/unknown-fields-everywhere.json");
    let yaml = dir.path().join("m.yaml");
    let json = dir.path().join("m.json");
    let (code, _, err) = stdout(
        meterctl()
            .args(["convert"])
            .arg(src)
            .args(["--to", "yaml", "-o"])
            .arg(&yaml),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = stdout(
        meterctl()
            .arg("convert")
            .arg(&yaml)
            .args(["--to", "json", "-o"])
            .arg(&json),
    );
    assert_eq!(code, 0);
    let a: serde_json::Value = serde_json::from_slice(&fs::read(src).unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(a, b);
    // To stdout, and from stdin.
    let (code, out, _) = stdout(
        meterctl()
            .args(["convert", "-", "--to", "json"])
            .write_stdin(fs::read(&yaml).unwrap()),
    );
    assert_eq!(code, 0);
    assert_eq!(out, fs::read_to_string(&json).unwrap());
}

#[test]
fn help_and_version() {
    let (code, out, _) = stdout(meterctl().arg("--version"));
    assert_eq!(code, 0);
    assert!(out.starts_with("meterctl "));
    for cmd in ["fmt", "convert"] {
        let (code, out, _) = stdout(meterctl().args([cmd, "--help"]));
        assert_eq!(code, 0);
        assert!(out.contains("Usage: meterctl"), "{out}");
    }
    let (code, _, err) = stdout(meterctl().args(["fmt", "--bogus"]));
    assert_eq!(code, 2);
    assert!(err.contains("--bogus"));
}
