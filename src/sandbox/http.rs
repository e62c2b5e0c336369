//! The sandbox's view of a request and a response, and the two body encodings the Meters API
//! takes: `application/x-www-form-urlencoded` and `multipart/form-data`. The wire protocol itself
//! (HTTP/1.1 framing, chunked bodies, header limits, timeouts) is hyper's, in [`super::server`];
//! reading a body within its limits, gunzipped, is [`super::body`]'s.
//!
//! Multipart bodies are parsed by `multer`, as a stream while the body arrives (linear in the
//! body's size whatever the boundary's length), before the handler takes the state lock.

use std::io::Write;

use bytes::Bytes;
use futures_util::{FutureExt, Stream};

/// Largest header block accepted (hyper answers 431 beyond it).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest body accepted, after decompression (Zuora's upload limit is 20 MB; stay generous).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// One parsed request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, percent-decoded per segment, without the query.
    pub path: String,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, decompressed (empty when it was read as multipart parts instead).
    pub body: Vec<u8>,
    /// A `multipart/form-data` body, parsed while it was read (outside the state lock), or why
    /// it could not be; `None` when the body was kept whole in `body`.
    pub parts: Option<Result<Vec<Part>, String>>,
}

impl Request {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Path segments (empty ones dropped).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// Whether the body is `multipart/form-data`.
    pub fn is_multipart(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"))
    }

    /// The multipart parts (taken out of the request), parsing `body` if they were not parsed
    /// while it was read.
    pub fn take_parts(&mut self) -> Result<Vec<Part>, String> {
        match self.parts.take() {
            Some(parsed) => parsed,
            None => parse_multipart(self.header("content-type").unwrap_or_default(), &self.body),
        }
    }
}

/// One response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(value).expect("JSON values serialize"),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Gzips the body when `gzip` is allowed and it is over 1,000 bytes, as Zuora does.
    pub fn gzipped(mut self, gzip: bool) -> Response {
        if gzip && self.body.len() > 1000 {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(&self.body).is_ok() {
                if let Ok(body) = enc.finish() {
                    self.body = body;
                    self.headers
                        .push(("Content-Encoding".into(), "gzip".into()));
                }
            }
        }
        self
    }
}

/// Decodes `%XX` escapes (and leaves malformed ones as they are); invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `a=1&b=2` (form bodies and query strings); `+` is a space.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub filename: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` Content-Type.
pub fn boundary(content_type: &str) -> Result<String, String> {
    multer::parse_boundary(content_type).map_err(|_| "multipart body without a boundary".into())
}

/// Parses a whole `multipart/form-data` body given the request's Content-Type.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = boundary(content_type)?;
    let whole = Bytes::copy_from_slice(body);
    let stream = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(whole)]);
    // The stream is in memory, so the parse never waits.
    parse_parts(stream, boundary)
        .now_or_never()
        .unwrap_or_else(|| Err("multipart body could not be parsed".into()))
}

/// Parses a `multipart/form-data` body as it streams in. A stream error ends the parse with that
/// error's text; the caller knows the stream's own failures apart (see `body::Body`).
pub async fn parse_parts<S, E>(stream: S, boundary: String) -> Result<Vec<Part>, String>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let bad = |e: multer::Error| format!("malformed multipart body: {e}");
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field
            .name()
            .map(str::to_string)
            .ok_or("multipart part without a name")?;
        let filename = field.file_name().map(str::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            data.extend_from_slice(&chunk);
        }
        parts.push(Part {
            name,
            filename,
            data,
        });
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_percent() {
        assert_eq!(
            parse_form(b"a=1&b=x%2By+z&c"),
            [
                ("a".to_string(), "1".to_string()),
                ("b".into(), "x+y z".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%41%4"), "A%4");
        assert_eq!(percent_decode("%41%"), "A%");
    }

    #[test]
    fn a_percent_before_a_multibyte_character_is_kept_not_a_panic() {
        // Slicing `%é` at byte offsets used to split the `é` and panic the connection thread.
        assert_eq!(percent_decode("%é"), "%é");
        assert_eq!(percent_decode("a%€b"), "a%€b");
        assert_eq!(percent_decode("%4é"), "%4é");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(
            parse_form("client_id=%é&x=%".as_bytes()),
            [
                ("client_id".to_string(), "%é".to_string()),
                ("x".into(), "%".into())
            ]
        );
    }

    #[test]
    fn multipart_round_trip() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.json\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--XX\r\nContent-Disposition: form-data; name=\"globalId\"\r\n\r\ng-1\r\n--XX--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XX", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("m.json"));
        assert_eq!(parts[0].data, b"{\"a\":1}");
        assert_eq!(parts[1].data, b"g-1");
        assert!(parse_multipart("multipart/form-data", body).is_err());
        // Unterminated, and a part without a name.
        assert!(parse_multipart("multipart/form-data; boundary=XX", &body[..60]).is_err());
        let nameless = b"--XX\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XX--\r\n";
        assert_eq!(
            parse_multipart("multipart/form-data; boundary=XX", nameless).unwrap_err(),
            "multipart part without a name"
        );
    }

    #[test]
    fn a_long_boundary_parses_in_linear_time() {
        // A 60 KB boundary and a body full of near-boundaries: the old parser compared every
        // window of the body with the boundary (minutes for 60 MB); memmem takes milliseconds.
        let b = "b".repeat(60_000);
        let near = format!("\r\n--{}", &b[..59_999]);
        let mut body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.csv\"\r\n\r\n"
        )
        .into_bytes();
        for _ in 0..40 {
            body.extend_from_slice(near.as_bytes());
            body.push(b'x');
        }
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        let started = std::time::Instant::now();
        let parts = parse_multipart(&format!("multipart/form-data; boundary={b}"), &body).unwrap();
        assert_eq!(parts[0].data.len(), 40 * (near.len() + 1));
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }

    #[test]
    fn large_bodies_are_gzipped_when_allowed() {
        let big = Response::json(200, &serde_json::json!({"x": "y".repeat(2000)}));
        assert!(big.clone().gzipped(false).headers.len() == 1);
        let g = big.clone().gzipped(true);
        assert!(g.body.len() < big.body.len());
        assert!(g
            .headers
            .iter()
            .any(|(k, v)| k == "Content-Encoding" && v == "gzip"));
        let small = Response::json(200, &serde_json::json!({})).gzipped(true);
        assert_eq!(small.body, b"{}");
    }
}
