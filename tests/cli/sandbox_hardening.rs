//! The sandbox survives its clients (issue 13): one regression test for each failure of the old
//! hand-written HTTP layer, then everything at once against one `meterctl sandbox serve`.
//!
//! Each test starts the real binary on 127.0.0.1:0 and talks raw HTTP/1.1 to it, so it can send
//! what a well-behaved client never would. The heavy tests take a lock so they never run at the
//! same time (their latency and memory bounds are about one sandbox, not the machine).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The heavy tests run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A `meterctl sandbox serve` child process, killed when dropped.
struct Sandbox {
    child: Child,
    addr: SocketAddr,
}

impl Sandbox {
    /// Starts the sandbox with these extra arguments, under an open-file limit if given.
    fn start(args: &[&str], nofile: Option<u32>) -> Sandbox {
        let bin = env!("CARGO_BIN_EXE_meterctl");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), bin]);
                c
            }
            None => Command::new(bin),
        };
        crate::common::clean_env(&mut cmd);
        cmd.args(["sandbox", "serve", "--addr", "127.0.0.1:0", "--quiet"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("meterctl starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .trim_start_matches("http://")
            .parse()
            .unwrap_or_else(|_| panic!("no URL printed: {line:?}"));
        Sandbox { child, addr }
    }

    /// The process's peak resident memory (VmHWM), in MB.
    fn peak_memory_mb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kb / 1024
    }

    /// Whether the process still runs.
    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw exchange: status and body, or `None` when the connection closed without an answer.
fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // A refused body may be cut short by the server; the answer is what counts.
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = std::str::from_utf8(buf.get(9..12)?).ok()?.parse().ok()?;
    Some((status, buf[split + 4..].to_vec()))
}

/// A request with a body, optionally gzipped.
fn post(addr: SocketAddr, path: &str, headers: &str, body: &[u8]) -> Option<(u16, Value)> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    exchange(addr, &head, body).map(|(s, b)| (s, serde_json::from_slice(&b).unwrap_or(Value::Null)))
}

fn token(addr: SocketAddr) -> String {
    let form = b"grant_type=client_credentials&client_id=sandbox&client_secret=sandbox";
    let (status, v) = post(
        addr,
        "/oauth/token",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        form,
    )
    .expect("a token answer");
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

fn definition(name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "name": name, "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "tasks": [
            {"id": "src", "name": "Upload File", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE",
             "metadata": {"schemaId": "e"}, "predecessors": []},
            {"id": "sink", "name": "Empty Sink", "nodeType": "SINK", "operatorType": "NOOP",
             "metadata": {}, "predecessors": [{"id": "src"}]}]}]
    }))
    .unwrap()
}

/// Imports a meter; its id.
fn import(addr: SocketAddr, token: &str, name: &str, global_id: &str) -> u64 {
    let mut body =
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.json\"\r\n\r\n"
            .to_vec();
    body.extend_from_slice(&definition(name));
    body.extend_from_slice(
        format!("\r\n--B\r\nContent-Disposition: form-data; name=\"globalId\"\r\n\r\n{global_id}\r\n--B--\r\n").as_bytes(),
    );
    let headers = format!(
        "Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=B\r\n"
    );
    let (status, v) = post(addr, "/meters/import", &headers, &body).expect("an import answer");
    assert_eq!(status, 200, "{v}");
    v["data"]["id"].as_u64().unwrap()
}

/// Exports a meter: status, the definition's name, and how long the answer took.
fn export(addr: SocketAddr, token: &str, id: u64) -> (u16, String, Duration) {
    let started = Instant::now();
    let head = format!(
        "GET /meters/export/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let (status, body) = exchange(addr, &head, b"").expect("an export answer");
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let name = v["name"].as_str().unwrap_or_default().to_string();
    (status, name, started.elapsed())
}

/// 80 MB of zeros, gzipped to about 80 KB.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..80 {
            e.write_all(&zeros).unwrap();
        }
        e.finish().unwrap()
    })
}

/// Sends one gzip bomb; the answer.
fn send_bomb(addr: SocketAddr, i: usize) -> Option<(u16, Value)> {
    let (path, ct) = if i.is_multiple_of(2) {
        ("/oauth/token", "application/x-www-form-urlencoded")
    } else {
        ("/meters/run/101/0.0.1", "application/json")
    };
    let headers = format!("Content-Type: {ct}\r\nContent-Encoding: gzip\r\n");
    post(addr, path, &headers, gzip_bomb())
}

fn assert_too_large(answer: Option<(u16, Value)>) {
    let (status, v) = answer.expect("an answer to a gzip bomb");
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["success"], false, "{v}");
    assert_eq!(v["errors"][0]["code"], "70002190", "{v}");
    assert_eq!(v["errors"][0]["message"], "request too large", "{v}");
}

/// A 60 MB `multipart/form-data` upload of a CSV file with a 60 KB boundary, whose content is
/// full of near-boundaries: (Content-Type, body, the file's line count).
fn big_upload() -> &'static (String, Vec<u8>, u64) {
    static UPLOAD: OnceLock<(String, Vec<u8>, u64)> = OnceLock::new();
    UPLOAD.get_or_init(|| {
        let boundary = "b".repeat(60_000);
        let mut block = format!("\r\n--{}!\n", &boundary[..boundary.len() - 1]).into_bytes();
        while block.len() < 64 * 1024 {
            block.extend_from_slice(b"2026-11-30T12:00:00Z,acct-0042,api_calls,17\n");
        }
        let mut file = Vec::with_capacity(60 << 20);
        while file.len() < 60 << 20 {
            file.extend_from_slice(&block);
        }
        let lines = file
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"usage.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
        body.extend_from_slice(&file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (
            format!("multipart/form-data; boundary={boundary}"),
            body,
            lines,
        )
    })
}

/// Uploads [`big_upload`]: the answer's status and line count.
fn send_upload(addr: SocketAddr, token: &str) -> (u16, u64) {
    let (ct, body, _) = big_upload();
    let headers = format!("Authorization: Bearer {token}\r\nContent-Type: {ct}\r\n");
    let (status, v) = post(addr, "/meters/files", &headers, body).expect("an upload answer");
    (status, v["lines"].as_u64().unwrap_or(0))
}

#[test]
fn a_percent_before_a_multibyte_character_is_answered_not_a_panic() {
    let mut sb = Sandbox::start(&[], None);
    // In a form body: `%€` used to slice the `€` in half and panic the connection thread.
    let form = "grant_type=client_credentials&client_id=%€&client_secret=%1é".as_bytes();
    let answer = post(
        sb.addr,
        "/oauth/token",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        form,
    );
    let (status, v) = answer.expect("an answer, not a dropped connection");
    assert_eq!(status, 401, "{v}");
    // In the path and the query, raw or escaped: answered (401: no token), whatever the bytes
    // decode to.
    for target in [
        "/meters/export/%€",
        "/meters/export/%E2%82%",
        "/meters/run/1/0.0.1?x=%1é",
        "/meters/stop/1/0.0.1?forceStop=%C3%",
    ] {
        let head = format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        let (status, _) = exchange(sb.addr, &head, b"").expect("an answer");
        assert_eq!(status, 401, "{target}");
    }
    let t = token(sb.addr);
    assert_eq!(export(sb.addr, &t, 101).0, 404);
    assert!(sb.alive());
}

#[test]
fn a_60_mb_upload_with_a_60_kb_boundary_does_not_freeze_other_clients() {
    let _serial = serial();
    let sb = Sandbox::start(&[], None);
    let addr = sb.addr;
    let t = token(addr);
    let id = import(addr, &t, "Probe", "g-probe");
    let (_, _, lines) = big_upload();
    let upload = {
        let t = t.clone();
        thread::spawn(move || send_upload(addr, &t))
    };
    // The old server parsed the body under the state lock, in time quadratic in the
    // boundary: every other request waited for it.
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while !upload.is_finished() {
        let (status, name, took) = export(addr, &t, id);
        assert_eq!((status, name.as_str()), (200, "Probe"));
        slowest = slowest.max(took);
        probes += 1;
        thread::sleep(Duration::from_millis(20));
    }
    let (status, got_lines) = upload.join().unwrap();
    assert_eq!((status, got_lines), (200, *lines));
    assert!(probes >= 3, "only {probes} exports during the upload");
    assert!(
        slowest < Duration::from_secs(1),
        "an export took {slowest:?} during the upload"
    );
}

#[test]
fn a_run_over_a_large_upload_does_not_freeze_other_clients() {
    let _serial = serial();
    let sb = Sandbox::start(&[], None);
    let addr = sb.addr;
    let t = token(addr);
    let id = import(addr, &t, "Probe", "g-probe");
    // About 4 MB of CSV: parsing it and running it through the pipeline takes a while in a
    // debug build.
    let mut file = b"at,account,kind,n\n".to_vec();
    while file.len() < 4 << 20 {
        file.extend_from_slice(b"2026-11-30T12:00:00Z,acct-0042,api_calls,17\n");
    }
    let rows = file.iter().filter(|b| **b == b'\n').count() as u64 - 1;
    let mut body =
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"usage.csv\"\r\n\r\n"
            .to_vec();
    body.extend_from_slice(&file);
    body.extend_from_slice(b"\r\n--B--\r\n");
    let auth = format!("Authorization: Bearer {t}\r\n");
    let multipart = format!("{auth}Content-Type: multipart/form-data; boundary=B\r\n");
    let (status, v) = post(addr, "/meters/files", &multipart, &body).expect("an upload answer");
    assert_eq!(status, 200, "{v}");
    let file_id = v["id"].as_u64().unwrap();
    let run = {
        let headers = format!("{auth}Content-Type: application/json\r\n");
        let body = json!({"runtimeSourceConfigs": [{"sourceType": "LOCAL_FS", "localFs": {"fileId": file_id}}]});
        thread::spawn(move || {
            post(
                addr,
                &format!("/meters/run/{id}/0.0.1"),
                &headers,
                body.to_string().as_bytes(),
            )
        })
    };
    // The events are parsed and simulated without the state lock: other requests are answered
    // meanwhile (under the lock, every export would wait for the run).
    let mut probes = 0;
    while !run.is_finished() {
        let (status, name, _) = export(addr, &t, id);
        assert_eq!((status, name.as_str()), (200, "Probe"));
        probes += 1;
        thread::sleep(Duration::from_millis(20));
    }
    let (status, v) = run.join().unwrap().expect("a run answer");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["simulated"], true, "{v}");
    assert!(
        probes >= 3,
        "only {probes} exports were answered during the run"
    );
    // Every row went through the source into the sink.
    let headers = format!("{auth}Content-Type: application/json\r\n");
    let query = json!({"groupBy": ["processorId"]}).to_string();
    let (status, v) = post(
        addr,
        &format!("/meters/{id}/summary"),
        &headers,
        query.as_bytes(),
    )
    .expect("a summary answer");
    assert_eq!(status, 200, "{v}");
    let counts: Vec<(String, u64, u64)> = v["data"]["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["dimensions"]["processorId"].as_str().unwrap().to_string();
            (
                id,
                r["input"].as_u64().unwrap(),
                r["totalErrorCount"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("sink".to_string(), rows, 0), ("src".to_string(), rows, 0)]
    );
}

#[test]
fn idle_connections_do_not_lock_others_out() {
    let _serial = serial();
    // 256 file descriptors: the old server ran out at about 250 idle connections and then
    // accepted nobody.
    let sb = Sandbox::start(&[], Some(256));
    let idle: Vec<TcpStream> = (0..600)
        .map(|i| {
            TcpStream::connect_timeout(&sb.addr, Duration::from_secs(2))
                .unwrap_or_else(|e| panic!("idle connection {i}: {e}"))
        })
        .collect();
    let started = Instant::now();
    let t = token(sb.addr);
    let id = import(sb.addr, &t, "Probe", "g-probe");
    let (status, name, _) = export(sb.addr, &t, id);
    assert_eq!((status, name.as_str()), (200, "Probe"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "token, import and export took {:?}",
        started.elapsed()
    );
    // To make room, the sandbox closed the oldest idle connections.
    let closed = idle
        .iter()
        .filter(|s| {
            s.set_nonblocking(true).unwrap();
            // End of stream or a reset: closed; WouldBlock: still open.
            !matches!((&**s).read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count();
    assert!(
        closed >= 600 - 256,
        "only {closed} idle connections were closed"
    );
}

#[test]
fn gzip_bombs_are_refused_at_the_limit_without_memory_blowup() {
    let _serial = serial();
    let sb = Sandbox::start(&[], None);
    let addr = sb.addr;
    assert!(gzip_bomb().len() < 100 * 1024);
    let bombs: Vec<_> = (0..20)
        .map(|i| thread::spawn(move || send_bomb(addr, i)))
        .collect();
    for b in bombs {
        assert_too_large(b.join().unwrap());
    }
    // The old server inflated each one whole: 4.5 GB for 20.
    let peak = sb.peak_memory_mb();
    assert!(peak < 300, "peak memory {peak} MB");
    token(addr);
}

#[test]
fn everything_at_once_keeps_the_sandbox_responsive_and_loses_nothing() {
    let _serial = serial();
    let sb = Sandbox::start(&[], None);
    let addr = sb.addr;
    let (_, _, lines) = big_upload();
    gzip_bomb();
    let probe_token = token(addr);
    let probe_id = import(addr, &probe_token, "Probe", "g-probe");
    let started = Instant::now();

    // 1,000 idle connections.
    let idle: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap())
        .collect();
    // A 60 MB upload.
    let upload = {
        let t = probe_token.clone();
        thread::spawn(move || send_upload(addr, &t))
    };
    // 20 gzip bombs.
    let bombs: Vec<_> = (0..20)
        .map(|i| thread::spawn(move || send_bomb(addr, i)))
        .collect();
    // 50 clients importing and exporting their meter in a loop.
    let clients: Vec<_> = (0..50)
        .map(|i| {
            thread::spawn(move || {
                let t = token(addr);
                let (name, gid) = (format!("Meter {i}"), format!("g-{i}"));
                let id = import(addr, &t, &name, &gid);
                for _ in 0..8 {
                    assert_eq!(import(addr, &t, &name, &gid), id, "{gid} imported twice");
                    let (status, got, _) = export(addr, &t, id);
                    assert_eq!((status, got.as_str()), (200, name.as_str()));
                }
                (i, id)
            })
        })
        .collect();

    // Meanwhile, another client's export answers within a second, every time.
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while !(upload.is_finished()
        && bombs.iter().all(|b| b.is_finished())
        && clients.iter().all(|c| c.is_finished()))
    {
        let (status, name, took) = export(addr, &probe_token, probe_id);
        assert_eq!((status, name.as_str()), (200, "Probe"));
        slowest = slowest.max(took);
        probes += 1;
        thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    assert_eq!(upload.join().unwrap(), (200, *lines));
    for b in bombs {
        assert_too_large(b.join().unwrap());
    }
    let ids: Vec<(usize, u64)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    drop(idle);

    // No meter lost or duplicated: 51 distinct ids, each exporting its own meter, and none after.
    let distinct: BTreeSet<u64> = ids.iter().map(|(_, id)| *id).chain([probe_id]).collect();
    assert_eq!(distinct.len(), 51, "{ids:?}");
    for (i, id) in &ids {
        let (status, name, _) = export(addr, &probe_token, *id);
        assert_eq!((status, name), (200, format!("Meter {i}")));
    }
    let after = distinct.last().unwrap() + 1;
    assert_eq!(export(addr, &probe_token, after).0, 404);

    let peak = sb.peak_memory_mb();
    eprintln!(
        "everything at once: {elapsed:?}; {probes} probe exports, slowest {slowest:?}; peak memory {peak} MB"
    );
    assert!(probes >= 5, "only {probes} probe exports");
    assert!(
        slowest < Duration::from_secs(1),
        "a probe export took {slowest:?}"
    );
    assert!(peak < 500, "peak memory {peak} MB");
}
