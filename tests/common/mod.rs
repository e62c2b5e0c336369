//! Helpers every integration test binary shares.

use assert_cmd::Command;

/// Runs a command: (exit code, stdout, stderr), streams decoded lossily.
pub fn output(c: &mut Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
