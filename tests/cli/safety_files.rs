//! Issue 13, "Files: write only what the user asked for, as the user had it": each case drives
//! the real binary and reproduces a failure found on main (special files, symlinks, owners and
//! modes, changed numbers, duplicate keys, deep nesting, bad settings, unsafe names, unreadable
//! files).

use std::fs;
use std::path::Path;

use crate::common::{self, output};

use assert_cmd::Command;

const METER: &str = "examples/meters/sms-messages.yaml";

fn meterctl() -> Command {
    common::meterctl()
}

/// A copy of an example meter, with its name padded so it is not canonical.
fn messy_copy(to: &Path) {
    let text = fs::read_to_string(METER).unwrap();
    fs::write(to, text.replacen("name: ", "name:    ", 1)).unwrap();
}

// --- 8. Special files ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn output_to_a_named_pipe_writes_into_the_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.pipe");
    if !std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let (code, out, err) = output(
        meterctl()
            .args(["convert", METER, "--to", "json", "-o"])
            .arg(&fifo),
    );
    assert_eq!(code, 0, "{out}{err}");
    // Checked first: had the pipe been replaced, the reader would wait forever.
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let got = reader.join().unwrap();
    assert!(
        got.starts_with('{') && got.contains("mtr-sms-messages"),
        "{got}"
    );
}

#[cfg(unix)]
#[test]
fn report_to_dev_stdout_and_dev_null_writes_to_them() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    // Through links in a temporary folder: a regression replaces the link, never /dev itself.
    let stdout_link = dir.path().join("stdout");
    symlink("/dev/stdout", &stdout_link).unwrap();
    let null_link = dir.path().join("null");
    symlink("/dev/null", &null_link).unwrap();
    let report = format!("json={}", stdout_link.display());
    let (code, out, err) =
        output(meterctl().args(["validate", "--quiet", METER, "--report", &report]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("\"format_version\""),
        "the report went to stdout: {out}"
    );
    assert!(fs::symlink_metadata(&stdout_link)
        .unwrap()
        .file_type()
        .is_symlink());
    let (code, out, err) = output(
        meterctl()
            .args(["convert", METER, "--to", "json", "-o"])
            .arg(&null_link),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(fs::symlink_metadata(&null_link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_writes_its_target() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    let target = dir.path().join("out/meter.json");
    fs::write(&target, "old").unwrap();
    let link = dir.path().join("meter.json");
    symlink("out/meter.json", &link).unwrap();
    let (code, out, err) = output(
        meterctl()
            .args(["convert", METER, "--to", "json", "-o"])
            .arg(&link),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("mtr-sms-messages"));
}

// --- 9. Symlinks under fmt ----------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn fmt_through_a_symlink_formats_the_target_and_keeps_the_link() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("shared")).unwrap();
    let target = dir.path().join("shared/sms.yaml");
    messy_copy(&target);
    let link = dir.path().join("sms.yaml");
    symlink("shared/sms.yaml", &link).unwrap();
    let (code, out, err) = output(meterctl().arg("fmt").arg(&link));
    assert_eq!(code, 0, "{out}{err}");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        fs::read_to_string(METER).unwrap()
    );
    let (code, ..) = output(meterctl().args(["fmt", "--check"]).arg(&target));
    assert_eq!(code, 0);
}

// --- 10. Ownership and mode ---------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn fmt_keeps_the_owner_and_mode_of_the_file() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sms.yaml");
    messy_copy(&p);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o604)).unwrap();
    // Run as root (as in the report), the file stays its owner's.
    let root = fs::metadata(&p).unwrap().uid() == 0;
    if root {
        std::os::unix::fs::chown(&p, Some(4242), Some(4343)).unwrap();
    }
    let (code, out, err) = output(meterctl().arg("fmt").arg(&p));
    assert_eq!(code, 0, "{out}{err}");
    let meta = fs::metadata(&p).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o604);
    if root {
        assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
    }
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        fs::read_to_string(METER).unwrap()
    );
}

// --- 12. Duplicate-key location -----------------------------------------------------------------

#[test]
fn duplicate_yaml_key_is_reported_at_the_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let block = dir.path().join("block.yaml");
    fs::write(&block, "name: x\nsetting:\n  a: 1\n  b: 2\n  a: 3\n").unwrap();
    let (code, _, err) = output(meterctl().arg("fmt").arg(&block));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("block.yaml:5:3: invalid YAML: duplicate key `a`"),
        "{err}"
    );
    let flow = dir.path().join("flow.yaml");
    fs::write(&flow, "name: x\nsetting: {a: 1,\n   a: 2}\n").unwrap();
    let (code, _, err) = output(meterctl().args(["convert", "--to", "json"]).arg(&flow));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("flow.yaml:3:4: invalid YAML: duplicate key `a`"),
        "{err}"
    );
}

// --- 13. Deep nesting ---------------------------------------------------------------------------

#[test]
fn deep_nesting_is_refused_at_the_limit_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // 500 KB of nested flow mappings, of block lists (which overflowed the stack), of JSON.
        (
            "flow.yaml",
            format!(
                "name: x\nm: {}1{}\n",
                "{a: ".repeat(125_000),
                "}".repeat(125_000)
            ),
        ),
        (
            "block.yaml",
            format!("name: x\nm:\n  {}x\n", "- ".repeat(250_000)),
        ),
        (
            "deep.json",
            format!(
                "{{\"name\": \"x\", \"m\": {}1{}}}",
                "{\"a\":".repeat(100_000),
                "}".repeat(100_000)
            ),
        ),
    ];
    for (name, text) in cases {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        for args in [&["fmt", "--check"][..], &["convert", "--to", "yaml"]] {
            let (code, _, err) = output(meterctl().args(args).arg(&p));
            assert_eq!(code, 2, "{name}: {err}");
            assert!(err.contains("nest deeper than 100 levels"), "{name}: {err}");
        }
        let (code, out, _) = output(meterctl().args(["validate", "--format", "json"]).arg(&p));
        assert_eq!(code, 1, "{name}");
        assert!(out.contains("nest deeper than 100 levels"), "{name}: {out}");
    }
}

// --- 11. Changed numbers ------------------------------------------------------------------------

#[test]
fn numbers_that_would_change_are_refused_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "zero.json",
            "{\n  \"name\": \"x\",\n  \"n\": -0\n}\n",
            "3:8",
            "negative zero",
        ),
        (
            "tiny.json",
            "{\n  \"name\": \"x\",\n  \"n\": [1, 1e-400]\n}\n",
            "3:12",
            "read as 0",
        ),
        ("zero.yaml", "name: x\nn: -0\n", "2:4", "negative zero"),
        ("tiny.yaml", "name: x\nn:\n  - 1e-400\n", "3:5", "read as 0"),
    ];
    for (name, text, at, why) in cases {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        let (code, out, err) = output(meterctl().arg("fmt").arg(&p));
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(
            err.contains(&format!("{name}:{at}: invalid")),
            "{name}: {err}"
        );
        assert!(err.contains(why), "{name}: {err}");
        assert_eq!(fs::read_to_string(&p).unwrap(), text, "{name} was changed");
        let (code, out, err) = output(meterctl().args(["convert", "--to", "yaml"]).arg(&p));
        assert_eq!((code, out.as_str()), (2, ""), "{name}: {err}");
        let (code, out, _) = output(meterctl().args(["validate", "--format", "json"]).arg(&p));
        assert_eq!(code, 1, "{name}: {out}");
        assert!(out.contains(why), "{name}: {out}");
    }
    // What names the same number is kept: a negative zero float, trailing zeros, Java's digits.
    let p = dir.path().join("kept.yaml");
    fs::write(
        &p,
        "name: x\nn: [-0.0, 1.50, 2.82879384806159008E17, 4.9e-324]\n",
    )
    .unwrap();
    let (code, out, err) = output(meterctl().args(["convert", "--to", "json"]).arg(&p));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["n"][0].as_f64().map(f64::is_sign_negative), Some(true));
    assert_eq!(v["n"][1], 1.5);
}

// --- 14. Bad settings ---------------------------------------------------------------------------

#[test]
fn bad_settings_in_the_environment_are_errors_naming_the_variable() {
    let cases = [
        ("METERCTL_MAX_FILE_SIZE", "abc"),
        ("METERCTL_MAX_FILE_SIZE", "64M"),
        ("METERCTL_REQUEST_TIMEOUT", "abc"),
        ("METERCTL_CONNECT_TIMEOUT", "10"),
        ("METERCTL_MAX_ATTEMPTS", "x"),
        ("METERCTL_MAX_RETRY_TIME", "soon"),
        ("METERCTL_RETRY_DELAY", "-1s"),
        ("METERCTL_CONCURRENCY", "0"),
        ("METERCTL_MAX_RPM", "fast"),
        ("METERCTL_LOCK_TIMEOUT", "x"),
        ("METERCTL_FORMAT", "xml"),
        ("METERCTL_DIFF_FORMAT", "xml"),
        ("METERCTL_QUIET", "2"),
        ("METERCTL_VERBOSE", "loud"),
        ("METERCTL_YES", "banana"),
        ("METERCTL_DRY_RUN", "maybe"),
        ("METERCTL_FAIL_FAST", "x"),
        ("METERCTL_STRICT", "x"),
        ("METERCTL_DENY_WARNINGS", "x"),
        ("METERCTL_DIFF_STAT", "x"),
        ("METERCTL_INCLUDE_VOLATILE", "x"),
        ("METERCTL_CHECK", "x"),
    ];
    for (var, value) in cases {
        // Whichever command runs: `validate` reads neither METERCTL_YES nor the timeouts.
        let (code, out, err) = output(meterctl().env(var, value).args(["validate", METER]));
        assert_eq!(code, 2, "{var}={value}: {out}{err}");
        assert!(
            err.starts_with(&format!(
                "error: the environment variable {var}=\"{value}\" is not valid"
            )),
            "{var}={value}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Good values, and the variables that hold any text, pass.
    for (var, value) in [
        ("METERCTL_MAX_FILE_SIZE", "1048576"),
        ("METERCTL_REQUEST_TIMEOUT", "90s"),
        ("METERCTL_YES", "no"),
        ("METERCTL_ENV", "production"),
        ("METERCTL_IGNORE", "/a,/b/**"),
    ] {
        let (code, out, err) = output(meterctl().env(var, value).args(["validate", METER]));
        assert_eq!(code, 0, "{var}={value}: {out}{err}");
    }
}

// --- 16. Exit code for unreadable files ---------------------------------------------------------

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_a_finding_of_validate_exit_1() {
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let mut unreadable = Vec::new();
    // Reading /proc/self/mem at offset 0 fails even for root.
    if Path::new("/proc/self/mem").exists() {
        let p = dir.path().join("mem.yaml");
        symlink("/proc/self/mem", &p).unwrap();
        unreadable.push(p);
    }
    // Without read permission (root reads anything, so only for other users).
    let p = dir.path().join("private.yaml");
    fs::copy(METER, &p).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::metadata(dir.path()).unwrap().uid() != 0 && fs::read(&p).is_err() {
        unreadable.push(p);
    }
    for p in unreadable {
        let (code, out, err) = output(meterctl().args(["validate", METER]).arg(&p));
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            out.contains("MC0003") && out.contains("cannot read the file"),
            "{out}"
        );
        let (code, out, _) = output(meterctl().args(["validate", "--format", "json"]).arg(&p));
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("\"code\": \"MC0003\""), "{out}");
        // fmt and convert cannot do their job: exit 2, as for a malformed file.
        let (code, _, err) = output(meterctl().arg("fmt").arg(&p));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("[MC0003]"), "{err}");
    }
}

// --- 15. Unsafe names ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn control_characters_in_file_names_are_escaped_for_people_and_exact_for_tools() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}[31m\nname.yaml";
    let shown = "\"evil\\x1b[31m\\nname.yaml\"";
    let p = dir.path().join(name);
    fs::write(&p, "name: x\nn: [1\n").unwrap();
    let no_raw = |s: &str| !s.contains('\u{1b}') && !s.contains("m\nname");
    // Human-readable: stdout of validate, stderr of fmt and convert, the fmt --check list.
    let (code, out, _) = output(meterctl().current_dir(dir.path()).args(["validate", "."]));
    assert_eq!(code, 1);
    assert!(out.contains(shown) && no_raw(&out), "{out}");
    for format in ["github", "junit"] {
        let (_, out, _) = output(
            meterctl()
                .current_dir(dir.path())
                .args(["validate", "--format", format, "."]),
        );
        assert!(no_raw(&out), "{format}: {out}");
    }
    let (code, _, err) = output(meterctl().current_dir(dir.path()).args(["fmt", "."]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("error: {shown}:3:1: invalid YAML")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    fs::write(
        &p,
        fs::read_to_string(METER)
            .unwrap()
            .replacen("name: ", "name:  ", 1),
    )
    .unwrap();
    let (code, out, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["fmt", "--check", "."]),
    );
    assert_eq!((code, out.as_str()), (1, format!("{shown}\n").as_str()));
    // Machine-readable: JSON and SARIF hold the exact name.
    fs::write(&p, "name: x\nn: [1\n").unwrap();
    let (code, _, err) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["convert", "--to", "json", name]),
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("error: {shown}:3:1:")) && no_raw(&err),
        "{err}"
    );
    let (_, out, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["validate", "--format", "json", "."]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["path"], name);
    let (_, out, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["validate", "--format", "sarif", "."]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let uri = v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!uri.contains("\\x1b") && uri.contains("evil"), "{uri}");
}
