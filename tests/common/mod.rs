//! Helpers the integration tests share (`tests/cli/main.rs` includes this module).
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use meterctl::canonical::to_canonical_string;
use meterctl::load::{self, Format};
use meterctl::model::Meter;
use serde_json::Value;

/// The corpus generator, beside the repository.
pub const GENERATOR: &str = "../shared/tools/gen_corpus.py";

/// Why the corpus cannot be generated here (no generator, `python3` or PyYAML), if it cannot.
pub fn corpus_unavailable() -> Option<String> {
    if !Path::new(GENERATOR).is_file() {
        return Some(format!("{GENERATOR} is not beside the repository"));
    }
    match std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
    {
        Ok(o) if o.status.success() => None,
        Ok(_) => Some("PyYAML is not installed for python3".into()),
        Err(e) => Some(format!("python3 cannot be run: {e}")),
    }
}

/// Whether a variable of the host's environment is one meterctl reads, or may read one day, and
/// so must not reach a test's run of the binary: every `METERCTL_*` and `ZUORA_*` setting, the
/// colour conventions (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `FORCE_COLOR`), GitHub's
/// `GITHUB_STEP_SUMMARY` (which turns on `--report github-summary`) and the proxy
/// variables the HTTP client honours (a proxy would intercept the sandbox on 127.0.0.1).
pub fn is_host_setting(name: &str) -> bool {
    const EXACT: &[&str] = &["NO_COLOR", "FORCE_COLOR", "GITHUB_STEP_SUMMARY"];
    const PROXIES: &[&str] = &["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"];
    name.starts_with("METERCTL_")
        || name.starts_with("ZUORA_")
        || name.starts_with("CLICOLOR")
        || EXACT.contains(&name)
        || PROXIES.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// Removes from a command every variable of the host's environment that [`is_host_setting`]
/// names, so the test sees the same result whatever the shell exports. It walks the environment
/// rather than a list, so a variable added to meterctl later is covered too. A test then sets
/// what it needs with `.env(...)`.
pub fn clean_env(c: &mut std::process::Command) -> &mut std::process::Command {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_host_setting) {
            c.env_remove(&name);
        }
    }
    c
}

/// The meterctl binary under test, as a `std` command with a clean environment ([`clean_env`]):
/// for children a test spawns, pipes or kills itself.
pub fn meterctl_std() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("meterctl"));
    clean_env(&mut c);
    c
}

/// The meterctl binary under test with a clean environment ([`clean_env`]). Every test that runs
/// the binary starts here.
pub fn meterctl() -> Command {
    Command::from_std(meterctl_std())
}

/// Variables only the tests read (never the binary): knobs a developer sets on purpose, kept by
/// [`clean_process_env`].
pub const TEST_KNOBS: &[&str] = &[
    "METERCTL_UPDATE_EXPECTED",
    "METERCTL_FUZZ_ITERATIONS",
    "METERCTL_SARIF_SCHEMA",
    "METERCTL_ACTIONLINT",
    "METERCTL_SHELLCHECK",
    "METERCTL_HADOLINT",
];

/// Tests that call the library in this process (not through the binary) call this first: the
/// library reads `METERCTL_MAX_FILE_SIZE` from the process environment (`load::max_file_size`),
/// which no command's environment can clean. It removes every host setting
/// ([`is_host_setting`]) but the [`TEST_KNOBS`] from this process, once, before the first load.
pub fn clean_process_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (name, _) in std::env::vars_os() {
            if name
                .to_str()
                .is_some_and(|n| is_host_setting(n) && !TEST_KNOBS.contains(&n))
            {
                std::env::remove_var(&name);
            }
        }
    });
}

/// Runs a command: (exit code, stdout, stderr), streams decoded lossily.
pub fn output(c: &mut Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Reads one HTTP/1.1 request (head and a `Content-Length` body) from a test server's socket.
pub fn read_request(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
        if n == 0 {
            return text;
        }
    }
}

/// Load → canonical YAML → load → canonical JSON gives the file's value (numbers keep their
/// integer/float identity), formatting is idempotent in both formats, and the typed model is
/// lossless too. Panics naming the file otherwise.
pub fn round_trip(path: &Path) {
    clean_process_env();
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
pub fn assert_values_identical(a: &Value, b: &Value, path: &Path) {
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

/// Every definition file under a folder, as `meterctl` finds them.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    clean_process_env();
    load::discover(&[dir.to_path_buf()]).unwrap()
}
