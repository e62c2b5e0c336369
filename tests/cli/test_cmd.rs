//! `meterctl test`: discovery, passing cases, the acceptance point (a changed filter value fails
//! the matching case with a diff that names the record), `--update`, the formats and the exit
//! codes, over the fixtures in `tests/fixtures/cases/` (a meter with a filter, a case beside it
//! and one in `tests/`) and the examples.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{meterctl, output};

const FIXTURES: &str = "tests/fixtures/cases";

/// A copy of the fixtures in a temporary folder, to change.
fn copy() -> tempfile::TempDir {
    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURES), dir.path());
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
fn finds_cases_beside_meters_and_under_tests_and_passes() {
    let (code, out, err) = output(meterctl().args(["test", FIXTURES]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        "PASS tests/fixtures/cases/meters/storage.test.yaml (Storage GB-Hours 0.0.1)\n\
         PASS tests/fixtures/cases/tests/by-name.test.yaml (Storage GB-Hours 0.0.1)\n\
         2 cases: 2 passed, 0 failed\n"
    );
    // A meter file gives the case beside it; a case file is run as given.
    let (code, out, _) =
        output(meterctl().args(["test", "tests/fixtures/cases/meters/storage.yaml"]));
    assert_eq!(code, 0);
    assert!(
        out.starts_with("PASS tests/fixtures/cases/meters/storage.test.yaml"),
        "{out}"
    );
    let (code, out, _) =
        output(meterctl().args(["test", "tests/fixtures/cases/tests/by-name.test.yaml"]));
    assert_eq!(code, 0);
    assert!(out.ends_with("1 case: 1 passed, 0 failed\n"), "{out}");
    // validate and fmt walk past test cases: they are not meters.
    let (code, out, err) = output(meterctl().args(["validate", FIXTURES]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 file, 0 invalid"), "{out}");
}

#[test]
fn examples_pass() {
    let (code, out, err) = output(meterctl().args(["test", "examples/"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("PASS examples/tests/api-calls.test.yaml (API Calls 0.0.1)"),
        "{out}"
    );
    // Inside the repository, without paths (as the pre-commit hook runs it): each meter is found
    // once, though both the repository folder and meterctl.yaml's `meters/` lead to it.
    let (code, out, err) = output(meterctl().current_dir("examples").arg("test"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("PASS tests/api-calls.test.yaml (API Calls 0.0.1)"),
        "{out}"
    );
}

/// Acceptance: a changed filter value makes the matching case fail with a diff that names the
/// record.
#[test]
fn a_changed_filter_value_fails_the_case_with_a_diff_naming_the_record() {
    let dir = copy();
    edit(
        &dir.path().join("meters/storage.yaml"),
        "value: eu-west-1,eu-central-1,eu-north-1",
        "value: eu-west-1,eu-north-1",
    );
    let (code, out, err) = output(meterctl().current_dir(dir.path()).args(["test"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("FAIL meters/storage.test.yaml (Storage GB-Hours 0.0.1)"),
        "{out}"
    );
    assert!(
        out.contains("  usage: (expected at meters/storage.test.yaml:4:3)\n"),
        "{out}"
    );
    assert!(
        out.contains("    missing usage record {accountNumber: A00000102, subscriptionNumber: S-0002, startDateTime: 2026-01-05T00:00:00.000+0000}\n"),
        "{out}"
    );
    assert!(out.contains("    --- expected\n    +++ actual\n"), "{out}");
    assert!(
        out.contains(
            "    -{accountNumber: \"A00000102\", subscriptionNumber: \"S-0002\", quantity: 4,"
        ),
        "{out}"
    );
    assert!(out.contains("PASS tests/by-name.test.yaml"), "{out}");
    assert!(out.ends_with("2 cases: 1 passed, 1 failed\n"), "{out}");
}

#[test]
fn a_changed_value_names_the_field_and_update_then_passes() {
    let dir = copy();
    let case = dir.path().join("meters/storage.test.yaml");
    edit(&case, "quantity: 21", "quantity: 20");
    let (code, out, _) = output(meterctl().current_dir(dir.path()).args(["test", "meters"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    usage record {accountNumber: A00000101, subscriptionNumber: S-0001, startDateTime: 2026-01-05T00:00:00.000+0000}: quantity expected 20, got 21\n"),
        "{out}"
    );
    let before = fs::read_to_string(&case).unwrap();
    let (code, out, err) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["test", "--update", "meters"]),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        "UPDATED meters/storage.test.yaml (Storage GB-Hours 0.0.1)\n1 case: 0 passed, 1 updated, 0 failed\n"
    );
    // Only the changed value moved; the comment and the rest stay.
    assert_eq!(
        fs::read_to_string(&case).unwrap(),
        before.replace("quantity: 20", "quantity: 21")
    );
    let (code, out, _) = output(meterctl().current_dir(dir.path()).args(["test"]));
    assert_eq!(code, 0, "{out}");
    // A case that expects nothing is refused, unless --update records what the meter yields.
    let new = dir.path().join("tests/new.test.yaml");
    fs::write(
        &new,
        "meter: mtr-storage-gb-hours  # by globalId\nevents: ../events/storage.csv\n",
    )
    .unwrap();
    let (code, out, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["test", "tests/new.test.yaml"]),
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("tests/new.test.yaml:1:1: the case expects nothing"),
        "{out}"
    );
    let (code, _, _) = output(meterctl().current_dir(dir.path()).args([
        "test",
        "--update",
        "tests/new.test.yaml",
    ]));
    assert_eq!(code, 0);
    let text = fs::read_to_string(&new).unwrap();
    assert!(text.starts_with("meter: mtr-storage-gb-hours  # by globalId\nevents: ../events/storage.csv\nexpect:\n  usage:\n  - accountNumber: A00000101\n"), "{text}");
    assert!(text.ends_with("  errors: 0\n"), "{text}");
    let (code, _, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["test", "tests/new.test.yaml"]),
    );
    assert_eq!(code, 0);
}

#[test]
fn formats_report_a_failure() {
    let dir = copy();
    edit(
        &dir.path().join("meters/storage.yaml"),
        "value: eu-west-1,eu-central-1,eu-north-1",
        "value: eu-west-1,eu-north-1",
    );
    let run = |format: &str| {
        let (code, out, err) = output(
            meterctl()
                .current_dir(dir.path())
                .args(["test", "--format", format]),
        );
        assert_eq!(code, 1, "{format}: {out}{err}");
        out
    };
    let v: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["passed"], false);
    assert_eq!(v["summary"]["failed"], 1);
    let case = &v["cases"][0];
    assert_eq!(case["status"], "fail");
    assert_eq!(case["meter"]["name"], "Storage GB-Hours");
    assert_eq!(case["failures"][0]["section"], "usage");
    assert!(case["failures"][0]["problems"][0]
        .as_str()
        .unwrap()
        .starts_with("missing usage record {accountNumber: A00000102"));
    let junit = run("junit");
    assert!(
        junit.contains(
            r#"<testsuite name="meterctl test" tests="2" failures="1" errors="0" skipped="0">"#
        ),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<failure message="missing usage record {accountNumber: A00000102"#),
        "{junit}"
    );
    let github = run("github");
    assert!(github.starts_with("::error file=meters/storage.test.yaml,line=4,col=3,title=meterctl test%3A fail::usage: missing usage record"), "{github}");
    assert_eq!(github.lines().count(), 1, "{github}");
}

#[test]
fn unsimulated_meters_fail_and_unreadable_cases_exit_2() {
    let dir = copy();
    // An operator the simulator does not run yet: the case fails (exit 1), it is not skipped.
    edit(
        &dir.path().join("meters/storage.yaml"),
        "operatorType: AGGREGATOR",
        "operatorType: FUTURE_OPERATOR",
    );
    let (code, out, _) = output(meterctl().current_dir(dir.path()).args(["test", "meters"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ERROR meters/storage.test.yaml (Storage GB-Hours 0.0.1)\n  meters/storage.test.yaml: not simulated yet: the FUTURE_OPERATOR operator"), "{out}");
    assert!(
        out.ends_with("1 case: 0 passed, 0 failed, 1 could not be simulated\n"),
        "{out}"
    );
    // A typo in a case, a meter that is not there, an events file that is not there: exit 2,
    // each at its place in the case.
    fs::write(
        dir.path().join("tests/typo.test.yaml"),
        "meter: Storage GB-Hours\nevents: []\nexpct: {}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("tests/nometer.test.yaml"),
        "meter: mtr-nope\nevents: []\nexpect: {errors: 0}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("tests/noevents.test.yaml"),
        "meter: Storage GB-Hours\nevents: nope.csv\nexpect: {errors: 0}\n",
    )
    .unwrap();
    let (code, out, err) = output(meterctl().current_dir(dir.path()).args(["test", "tests"]));
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err, "");
    assert!(out.contains("INVALID tests/typo.test.yaml\n  tests/typo.test.yaml:3:1: unknown key `expct` in a test case"), "{out}");
    assert!(out.contains("INVALID tests/nometer.test.yaml\n  tests/nometer.test.yaml:1:8: no meter with globalId or name \"mtr-nope\""), "{out}");
    assert!(out.contains("INVALID tests/noevents.test.yaml\n  tests/noevents.test.yaml:2:9: cannot read the events file nope.csv"), "{out}");
    // No cases at all: exit 2.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = output(meterctl().current_dir(empty.path()).args(["test"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: no test cases in ."), "{err}");
}

#[test]
fn sinks_by_task_name_and_unknown_tasks() {
    let dir = copy();
    let case = dir.path().join("tests/sinks.test.yaml");
    fs::write(
        &case,
        "meter: Storage GB-Hours\n\
         events:\n\
         - {AccountNumber: A1, SubscriptionNumber: S1, BucketName: b, Region: eu-north-1, UsageDay: '2026-02-01', GbHours: 2, Unit: GB-Hour}\n\
         expect:\n\
         \x20 sinks:\n\
         \x20   Write storage usage:\n\
         \x20   - {accountNumber: A1, subscriptionNumber: S1, quantity: 2.0, uom: GB-Hour, startDateTime: 2026-02-01T00:00:00.000+0000, description: b}\n\
         \x20 errors: {Keep billable EU buckets: 0, Write storage usage: 0}\n",
    )
    .unwrap();
    let (code, out, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["test", "tests/sinks.test.yaml"]),
    );
    assert_eq!(code, 0, "{out}");
    edit(&case, "Keep billable EU buckets: 0", "Keep EU: 0");
    let (code, out, _) = output(
        meterctl()
            .current_dir(dir.path())
            .args(["test", "tests/sinks.test.yaml"]),
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("tests/sinks.test.yaml:8:12: no task with id or name \"Keep EU\" in this version; it has \"Storage snapshots from S3\", \"Keep billable EU buckets\""),
        "{out}"
    );
}
