//! Helpers the integration test binaries share (each binary uses some of them).
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;

use assert_cmd::Command;

/// The environment variables `meterctl validate` reads (cleared so the host's settings do not
/// leak into a test).
pub const VALIDATE_ENV: &[&str] = &[
    "METERCTL_FORMAT",
    "METERCTL_STRICT",
    "METERCTL_DENY_WARNINGS",
    "METERCTL_CONFIG",
    "NO_COLOR",
];

/// The meterctl binary with these environment variables removed.
pub fn meterctl_without(vars: &[&str]) -> Command {
    let mut c = Command::cargo_bin("meterctl").unwrap();
    for v in vars {
        c.env_remove(v);
    }
    c
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
