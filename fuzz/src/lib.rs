//! The bodies of the fuzz targets, one function per entry point, each taking arbitrary bytes.
//!
//! The cargo-fuzz binaries (`fuzz/fuzz_targets/*.rs`) call them under libFuzzer, and the
//! test-time variant (`tests/fuzz_targets.rs`, which includes this file by path) calls them on
//! the seed corpus, the regression inputs and mutations of both. A function returns normally for
//! every input the library answers with a value or an error; it panics only when a property
//! breaks (a panic inside the library, a parse error without a position, a canonical text that
//! does not load back to the same value, a pointer glob that disagrees with the reference
//! matcher, a sandbox answer that is not Zuora's JSON). Keep these thin: they name library
//! entry points and check their contracts, nothing more.

use std::path::Path;

use meterctl::canonical::{canonicalize, document_string};
use meterctl::diff::PointerGlob;
use meterctl::load::{self, Format, Pos, Spans};
use meterctl::sandbox::api::{self, Handled};
use meterctl::sandbox::http::{Request, Response};
use meterctl::sandbox::{ServerConfig, Shared};
use serde_json::Value;

/// One target: it returns for every input, and panics when a property breaks.
pub type Target = fn(&[u8]);

/// The targets, by name (the names of the cargo-fuzz binaries and of the seed folders).
pub const TARGETS: &[(&str, Target)] = &[
    ("load_json", load_json),
    ("load_yaml", load_yaml),
    ("canonical", canonical),
    ("glob", glob),
    ("duration", duration),
    ("sandbox", sandbox),
];

/// Pointers checked per document (each costs a lookup in two indexes).
const MAX_POINTERS: usize = 256;

fn path_for(format: Format) -> &'static Path {
    Path::new(match format {
        Format::Json => "fuzz.json",
        Format::Yaml => "fuzz.yaml",
    })
}

/// The JSON loader, with positions.
pub fn load_json(data: &[u8]) {
    load_with_positions(data, Format::Json);
}

/// The YAML loader, with positions.
pub fn load_yaml(data: &[u8]) {
    load_with_positions(data, Format::Yaml);
}

/// Loads `data`; an error must carry a line and column; a document must locate every pointer of
/// its value inside its text, and the selective index must agree with the full one.
fn load_with_positions(data: &[u8], format: Format) {
    let doc = match load::parse_bytes(path_for(format), data.to_vec(), format) {
        Ok(doc) => doc,
        Err(d) => {
            assert!(d.line.is_some() && d.column.is_some(), "no position: {d}");
            return;
        }
    };
    let mut pointers = Vec::new();
    collect_pointers(&doc.value, &mut String::new(), &mut pointers);
    // YAML also breaks lines at a lone `\r`; count every kind of break.
    let lines = doc.text.replace("\r\n", "\n").split(['\n', '\r']).count();
    let inside = |pos: Option<Pos>, p: &str| {
        let pos = pos.unwrap_or_else(|| panic!("{p:?} is not located"));
        assert!(
            pos.line >= 1 && pos.line <= lines && pos.column >= 1,
            "{p:?} located at {pos:?}, outside the text ({lines} lines)"
        );
    };
    let all = doc.spans();
    for p in &pointers {
        inside(all.value(p), p);
        inside(all.key(p), p);
    }
    let only = Spans::index_only(
        &doc.text,
        format,
        pointers.iter().map(|p| (p.as_str(), true)),
    );
    for p in &pointers {
        assert_eq!(only.value(p), all.value(p), "value of {p:?}");
        assert_eq!(only.key(p), all.key(p), "key of {p:?}");
    }
}

fn collect_pointers(v: &Value, at: &mut String, out: &mut Vec<String>) {
    if out.len() >= MAX_POINTERS {
        return;
    }
    out.push(at.clone());
    let len = at.len();
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                at.push('/');
                at.push_str(&load::locate::escape_token(k));
                collect_pointers(child, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push('/');
                at.push_str(&i.to_string());
                collect_pointers(child, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The canonical writer: whatever loads (format sniffed, as for stdin) is written canonically
/// in both formats; that text loads back to the same value, and writing it again changes nothing.
pub fn canonical(data: &[u8]) {
    let format = Format::sniff(&String::from_utf8_lossy(data));
    let Ok(doc) = load::parse_bytes(path_for(format), data.to_vec(), format) else {
        return;
    };
    let mut want = doc.value.clone();
    canonicalize(&mut want);
    for out in [Format::Json, Format::Yaml] {
        let text = document_string(&doc, out);
        let again = load::parse_text(path_for(out), text.clone(), out)
            .unwrap_or_else(|d| panic!("canonical {} does not load: {d}\n{text}", out.as_str()));
        assert_eq!(
            again.value,
            want,
            "canonical {} changed the value\n{text}",
            out.as_str()
        );
        assert_eq!(
            document_string(&again, out),
            text,
            "canonical {} is not stable",
            out.as_str()
        );
    }
}

/// The pointer glob: the first line is a glob, every other line a pointer; the answer must agree
/// with a plain memoised matcher (and come back quickly, which the fuzzer's timeout checks).
pub fn glob(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let g = PointerGlob::new(lines.next().unwrap_or_default());
    for pointer in lines {
        assert_eq!(
            g.matches(pointer),
            reference_match(g.as_str(), pointer),
            "glob {:?} on {pointer:?}",
            g.as_str()
        );
    }
}

/// The glob semantics of `src/diff/glob.rs`, written as a memoised table rather than as a fast
/// matcher: segments after the leading `/`; `**` alone is any number of segments; in a segment
/// `*` is any bytes and `?` one byte.
fn reference_match(glob: &str, pointer: &str) -> bool {
    let g: Vec<&[u8]> = glob.split('/').skip(1).map(str::as_bytes).collect();
    let s: Vec<&[u8]> = pointer.split('/').skip(1).map(str::as_bytes).collect();
    // m[i][j]: g[i..] matches s[j..].
    let mut m = vec![vec![false; s.len() + 1]; g.len() + 1];
    m[g.len()][s.len()] = true;
    for i in (0..g.len()).rev() {
        for j in (0..=s.len()).rev() {
            m[i][j] = if g[i] == b"**" {
                m[i + 1][j] || (j < s.len() && m[i][j + 1])
            } else {
                j < s.len() && m[i + 1][j + 1] && segment_match(g[i], s[j])
            };
        }
    }
    m[0][0]
}

fn segment_match(g: &[u8], s: &[u8]) -> bool {
    let mut m = vec![vec![false; s.len() + 1]; g.len() + 1];
    m[g.len()][s.len()] = true;
    for i in (0..g.len()).rev() {
        for j in (0..=s.len()).rev() {
            m[i][j] = match g[i] {
                b'*' => m[i + 1][j] || (j < s.len() && m[i][j + 1]),
                b'?' => j < s.len() && m[i + 1][j + 1],
                c => j < s.len() && s[j] == c && m[i + 1][j + 1],
            };
        }
    }
    m[0][0]
}

/// The duration parser: a parsed duration is within range, and its rendering parses back to it
/// (within the rendering's precision of 50 ms).
pub fn duration(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(d) = meterctl::duration::parse(&text) else {
        return;
    };
    assert!(d.as_millis() <= 1_000_000_000_000, "{text:?} gave {d:?}");
    let shown = meterctl::duration::format(d);
    let back = meterctl::duration::parse(&shown)
        .unwrap_or_else(|e| panic!("{text:?} renders as {shown:?}, which does not parse: {e}"));
    assert!(
        back.abs_diff(d).as_millis() <= 50,
        "{text:?} is {d:?}, renders as {shown:?}, which is {back:?}"
    );
}

/// Requests after the token request, per input.
const MAX_REQUESTS: usize = 8;

/// The sandbox's API layer, below HTTP: a fresh in-memory sandbox gets a token, then answers the
/// requests of `data` (separated by NUL bytes). A request is `METHOD PATH[?QUERY]`, header lines
/// `name: value`, a blank line and the body; it carries the token unless it has its own
/// `authorization` header. Every answer must be a status from 100 to 599 with a JSON body.
pub fn sandbox(data: &[u8]) {
    let shared = Shared::new(ServerConfig::default(), "http://127.0.0.1:1".into())
        .expect("an in-memory sandbox opens");
    let token = answer(
        &shared,
        &mut Request {
            method: "POST".into(),
            path: "/oauth/token".into(),
            body: b"grant_type=client_credentials&client_id=sandbox&client_secret=sandbox".to_vec(),
            ..Request::default()
        },
    )["access_token"]
        .as_str()
        .expect("the default client gets a token")
        .to_string();
    for chunk in data.split(|b| *b == 0).take(MAX_REQUESTS) {
        let mut req = request(chunk);
        if req.header("authorization").is_none() {
            req.headers
                .push(("authorization".into(), format!("Bearer {token}")));
        }
        answer(&shared, &mut req);
    }
}

/// Handles one request and checks the answer's status and JSON body.
fn answer(shared: &Shared, req: &mut Request) -> Value {
    let r: Response = match api::handle(shared, req) {
        Handled::Now(r) | Handled::After(r, _) => r,
    };
    assert!((100..600).contains(&r.status), "status {}", r.status);
    serde_json::from_slice(&r.body).unwrap_or_else(|e| {
        panic!(
            "{} {} answered {} with a body that is not JSON ({e}): {}",
            req.method,
            req.path,
            r.status,
            String::from_utf8_lossy(&r.body)
        )
    })
}

/// Decodes one request: head and body split at the first blank line.
fn request(chunk: &[u8]) -> Request {
    let (head, body) = match chunk.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&chunk[..i], &chunk[i + 2..]),
        None => (chunk, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let (method, target) = first.split_once(' ').unwrap_or((first, "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect(),
        body: body.to_vec(),
        // Parsed from `body` by the handler, as the server does when it kept the body whole.
        parts: None,
    }
}
