//! Maps JSON Pointers to line and column in the original text, for JSON and YAML alike.
//!
//! Parsing into a `serde_json::Value` forgets where things were. Diagnostics need the position, so
//! when (and only when) a file has something to report, its text is scanned once more by a
//! span-aware reader and every value's pointer is indexed with its position, and every object
//! member's key with the key's position. Nothing here allocates on the happy path of a command.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

use super::Format;

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// Positions of every value (and of every object member's key) in one document.
#[derive(Debug, Default)]
pub struct Spans {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl Spans {
    /// Indexes `text`. Never fails: a text that does not parse yields what was indexed before the
    /// error.
    pub fn index(text: &str, format: Format) -> Spans {
        let mut spans = Spans::default();
        match format {
            Format::Json => {
                let mut s = JsonScanner {
                    bytes: text.as_bytes(),
                    text,
                    at: 0,
                    line: 1,
                    col: 0,
                };
                let mut ptr = String::new();
                s.value(&mut ptr, &mut spans);
            }
            Format::Yaml => index_yaml(text, &mut spans),
        }
        spans
    }

    /// Position of the value at `pointer`, or of its nearest ancestor that exists.
    pub fn value(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.values.get(p) {
                return Some(*pos);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// Position of the key of the object member at `pointer` (falls back to [`Spans::value`]).
    pub fn key(&self, pointer: &str) -> Option<Pos> {
        self.keys
            .get(pointer)
            .copied()
            .or_else(|| self.value(pointer))
    }
}

/// Escapes one reference token of a JSON Pointer (RFC 6901).
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

struct JsonScanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    /// Characters between the start of the line and `at`.
    col: usize,
}

impl JsonScanner<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col + 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Moves past one byte, keeping line and column (in characters) current, so positions cost
    /// nothing even on a minified file that is one long line.
    fn bump(&mut self) {
        match self.peek() {
            Some(b'\n') => {
                self.line += 1;
                self.col = 0;
            }
            Some(b) if (b & 0xC0) != 0x80 => self.col += 1,
            _ => {}
        }
        self.at += 1;
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// Scans one value, recording it (and its children) under `ptr`. Returns false on bad input.
    fn value(&mut self, ptr: &mut String, spans: &mut Spans) -> bool {
        self.ws();
        spans.values.insert(ptr.clone(), self.pos());
        match self.peek() {
            Some(b'{') => {
                self.bump();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.bump();
                    return true;
                }
                loop {
                    self.ws();
                    let key_pos = self.pos();
                    let Some(key) = self.string() else {
                        return false;
                    };
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&escape_token(&key));
                    spans.keys.insert(ptr.clone(), key_pos);
                    self.ws();
                    if self.peek() != Some(b':') {
                        return false;
                    }
                    self.bump();
                    if !self.value(ptr, spans) {
                        return false;
                    }
                    ptr.truncate(len);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b'}') => {
                            self.bump();
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'[') => {
                self.bump();
                self.ws();
                if self.peek() == Some(b']') {
                    self.bump();
                    return true;
                }
                let mut i = 0usize;
                loop {
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&i.to_string());
                    if !self.value(ptr, spans) {
                        return false;
                    }
                    ptr.truncate(len);
                    i += 1;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b']') => {
                            self.bump();
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'"') => self.string().is_some(),
            Some(_) => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.bump();
                }
                true
            }
            None => false,
        }
    }

    /// Scans a string literal and returns its decoded contents.
    fn string(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.at;
        self.bump();
        let mut escaped = false;
        loop {
            let c = self.peek()?;
            self.bump();
            if c == b'\\' {
                self.bump();
                escaped = true;
            } else if c == b'"' {
                break;
            }
        }
        let raw = &self.text[start..self.at];
        if escaped {
            serde_json::from_str(raw).ok()
        } else {
            Some(raw[1..raw.len() - 1].to_string())
        }
    }
}

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

fn index_yaml(text: &str, spans: &mut Spans) {
    let mut stack: Vec<(Frame, usize)> = Vec::new(); // frame, ptr length before this frame's child
    let mut ptr = String::new();
    let mut docs = 0;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { return };
        let pos = Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(_)
        );
        if matches!(event, Event::DocumentStart(_)) {
            docs += 1;
            if docs > 1 {
                return;
            }
        }
        if is_node {
            // A scalar in key position of a mapping is a key, not a value.
            if let Some((Frame::Map { key }, base)) = stack.last_mut() {
                if key.is_none() {
                    let k = match &event {
                        Event::Scalar(s, ..) => s.to_string(),
                        _ => String::from("?"),
                    };
                    ptr.truncate(*base);
                    ptr.push('/');
                    ptr.push_str(&escape_token(&k));
                    spans.keys.insert(ptr.clone(), pos);
                    *key = Some(k);
                    if matches!(event, Event::Scalar(..) | Event::Alias(_)) {
                        continue;
                    }
                    // Complex keys: skip their contents by treating them as a throwaway value.
                }
            }
            if let Some((Frame::Seq { index }, base)) = stack.last_mut() {
                ptr.truncate(*base);
                ptr.push('/');
                ptr.push_str(&index.to_string());
                *index += 1;
            }
            spans.values.entry(ptr.clone()).or_insert(pos);
        }
        match event {
            Event::MappingStart(..) => stack.push((Frame::Map { key: None }, ptr.len())),
            Event::SequenceStart(..) => stack.push((Frame::Seq { index: 0 }, ptr.len())),
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((_, base)) = stack.pop() {
                    ptr.truncate(base);
                }
                after_value(&mut stack, &mut ptr);
            }
            Event::Scalar(..) | Event::Alias(_) => after_value(&mut stack, &mut ptr),
            _ => {}
        }
    }
}

/// After a complete value inside a mapping, the next node is a key again.
fn after_value(stack: &mut [(Frame, usize)], ptr: &mut String) {
    if let Some((Frame::Map { key }, base)) = stack.last_mut() {
        if key.is_some() {
            *key = None;
            ptr.truncate(*base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = "{\n  \"name\": \"x\",\n  \"versions\": [\n    {\"version\": \"0.0.1\", \"a/b\": [1, {\"k\": null}]}\n  ]\n}\n";
    const YAML: &str =
        "name: x\nversions:\n- version: 0.0.1\n  a/b:\n  - 1\n  - k: null\nlast: |\n  text\n";

    #[test]
    fn json_positions() {
        let s = Spans::index(JSON, Format::Json);
        assert_eq!(s.value(""), Some(Pos { line: 1, column: 1 }));
        assert_eq!(
            s.value("/name"),
            Some(Pos {
                line: 2,
                column: 11
            })
        );
        assert_eq!(s.key("/name"), Some(Pos { line: 2, column: 3 }));
        assert_eq!(
            s.value("/versions/0/version"),
            Some(Pos {
                line: 4,
                column: 17
            })
        );
        assert_eq!(
            s.value("/versions/0/a~1b/1/k"),
            Some(Pos {
                line: 4,
                column: 43
            })
        );
        // Missing pointers fall back to the nearest ancestor.
        assert_eq!(
            s.value("/versions/0/nope/3"),
            Some(Pos { line: 4, column: 5 })
        );
    }

    #[test]
    fn yaml_positions() {
        let s = Spans::index(YAML, Format::Yaml);
        assert_eq!(s.value("/name"), Some(Pos { line: 1, column: 7 }));
        assert_eq!(s.key("/versions"), Some(Pos { line: 2, column: 1 }));
        assert_eq!(
            s.value("/versions/0/version"),
            Some(Pos {
                line: 3,
                column: 12
            })
        );
        assert_eq!(
            s.value("/versions/0/a~1b/0"),
            Some(Pos { line: 5, column: 5 })
        );
        assert_eq!(
            s.value("/versions/0/a~1b/1/k"),
            Some(Pos { line: 6, column: 8 })
        );
        assert_eq!(s.key("/last"), Some(Pos { line: 7, column: 1 }));
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for cut in 0..JSON.len() {
            let _ = Spans::index(&JSON[..cut], Format::Json);
        }
        for cut in 0..YAML.len() {
            let _ = Spans::index(&YAML[..cut], Format::Yaml);
        }
    }
}
