//! Maps JSON Pointers to line and column in the original text, for JSON and YAML alike.
//!
//! Parsing into a `serde_json::Value` forgets where things were. Diagnostics need the position, so
//! when (and only when) a file has something to report, its text is scanned once more by a
//! span-aware reader. [`Spans::index_only`] is what validation uses: it is given every pointer a
//! file's findings need, and records only those (and their ancestors, for the nearest-ancestor
//! fallback) in that one scan, skipping subtrees no finding points into and stopping as soon as
//! everything asked for is found; so many findings in one file cost one scan, not one scan each,
//! and the scan allocates only for what it records. [`Spans::index`] records every value and
//! key. Nothing here allocates on the happy path of a command.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

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

/// Positions of the values (and of object members' keys) of one document: all of them, or only
/// those asked for.
#[derive(Debug, Default)]
pub struct Spans {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
    /// `None`: record everything.
    wanted: Option<Wanted>,
}

/// What [`Spans::index_only`] was asked for.
#[derive(Debug, Default)]
struct Wanted {
    /// Value pointers asked for, with every ancestor (the fallback, and the only subtrees the
    /// scan descends into).
    values: HashSet<String>,
    /// Key pointers asked for.
    keys: HashSet<String>,
    /// Entries of `values` and `keys` not yet found; the scan stops at zero.
    missing: usize,
}

impl Spans {
    /// Indexes every value and key of `text`. Never fails: a text that does not parse yields
    /// what was indexed before the error.
    pub fn index(text: &str, format: Format) -> Spans {
        Spans::scan(text, format, Spans::default())
    }

    /// Indexes, in one scan of `text`, only the given pointers (`true`: the member's key is
    /// wanted, as for [`Spans::key`]) and their ancestors, which is all that [`Spans::value`] and
    /// [`Spans::key`] need to answer for them. Never fails, like [`Spans::index`].
    pub fn index_only<'p>(
        text: &str,
        format: Format,
        pointers: impl IntoIterator<Item = (&'p str, bool)>,
    ) -> Spans {
        let mut w = Wanted::default();
        for (pointer, at_key) in pointers {
            if at_key {
                w.keys.insert(pointer.to_string());
            }
            let mut p = pointer;
            // Ancestors of a pointer already present are present too.
            while w.values.insert(p.to_string()) {
                match p.rfind('/') {
                    Some(i) => p = &p[..i],
                    None => break,
                }
            }
        }
        w.missing = w.values.len() + w.keys.len();
        Spans::scan(
            text,
            format,
            Spans {
                wanted: Some(w),
                ..Spans::default()
            },
        )
    }

    fn scan(text: &str, format: Format, mut spans: Spans) -> Spans {
        if spans.done() {
            return spans;
        }
        match format {
            Format::Json => {
                let mut s = JsonScanner {
                    bytes: text.as_bytes(),
                    text,
                    at: 0,
                    line: 1,
                    line_start: 0,
                    counted: (0, 0),
                };
                let mut ptr = String::new();
                s.value(&mut ptr, &mut spans);
            }
            Format::Yaml => index_yaml(text, &mut spans),
        }
        spans.wanted = None;
        spans
    }

    /// True when the value at `ptr` (and so maybe something below it) is to be recorded.
    fn wants(&self, ptr: &str) -> bool {
        self.wanted.as_ref().is_none_or(|w| w.values.contains(ptr))
    }

    /// Records a value's position (the first one wins: YAML may repeat a pointer after an
    /// error, JSON never does once it parsed).
    fn record_value(&mut self, ptr: &str, pos: Pos) {
        if self.values.contains_key(ptr) || !self.wants(ptr) {
            return;
        }
        self.values.insert(ptr.to_string(), pos);
        if let Some(w) = &mut self.wanted {
            w.missing -= 1;
        }
    }

    /// Records a member key's position.
    fn record_key(&mut self, ptr: &str, pos: Pos) {
        let new = match &self.wanted {
            None => true,
            Some(w) => w.keys.contains(ptr) && !self.keys.contains_key(ptr),
        };
        if new {
            self.keys.insert(ptr.to_string(), pos);
            if let Some(w) = &mut self.wanted {
                w.missing -= 1;
            }
        }
    }

    /// Everything asked for has been found.
    fn done(&self) -> bool {
        self.wanted.as_ref().is_some_and(|w| w.missing == 0)
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

pub use crate::pointer::escape_token;

struct JsonScanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    /// Byte offset where the current line starts.
    line_start: usize,
    /// The last column computed: (byte offset, characters from its line's start), so columns
    /// are counted incrementally, in one pass even over a minified file that is one long line.
    counted: (usize, usize),
}

impl<'a> JsonScanner<'a> {
    /// The position of `at`; the column is counted in characters only here, when a position is
    /// recorded, not for every byte scanned.
    fn pos(&mut self) -> Pos {
        let (from, chars) = if self.counted.0 >= self.line_start && self.counted.0 <= self.at {
            self.counted
        } else {
            (self.line_start, 0)
        };
        let chars = chars
            + self.bytes[from..self.at]
                .iter()
                .filter(|&&b| (b & 0xC0) != 0x80)
                .count();
        self.counted = (self.at, chars);
        Pos {
            line: self.line,
            column: chars + 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Moves past one byte, keeping the line current.
    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
            self.line_start = self.at + 1;
        }
        self.at += 1;
    }

    fn ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b' ' | b'\t' | b'\r' => {}
                b'\n' => {
                    self.line += 1;
                    self.line_start = self.at + 1;
                }
                _ => return,
            }
            self.at += 1;
        }
    }

    /// Scans one value, recording it (and its children) under `ptr` as far as `spans` wants
    /// them. Returns false to stop: bad input, or everything wanted has been found.
    fn value(&mut self, ptr: &mut String, spans: &mut Spans) -> bool {
        self.ws();
        if !spans.wants(ptr) {
            return self.skip();
        }
        spans.record_value(ptr, self.pos());
        if spans.done() {
            return false;
        }
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
                    spans.record_key(ptr, key_pos);
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
                    let _ = write!(ptr, "/{i}");
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
            Some(b'"') => self.skip_string(),
            Some(_) => {
                self.skip_literal();
                true
            }
            None => false,
        }
    }

    /// Moves past one value without recording anything: only strings, brackets and line breaks
    /// matter (the text parsed as JSON before, so the syntax is not checked again; bad input
    /// never panics). Returns false when the text ends first.
    fn skip(&mut self) -> bool {
        match self.peek() {
            Some(b'{' | b'[') => {}
            Some(b'"') => return self.skip_string(),
            Some(b'}' | b']' | b',' | b':') | None => return false,
            Some(_) => {
                self.skip_literal();
                return true;
            }
        }
        self.at += 1;
        let mut depth = 1usize;
        loop {
            self.at = next_structural(self.bytes, self.at);
            let Some(&b) = self.bytes.get(self.at) else {
                return false;
            };
            match b {
                b'"' => {
                    if !self.skip_string() {
                        return false;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return true;
                    }
                }
                b'\n' => {
                    self.line += 1;
                    self.line_start = self.at + 1;
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    /// Moves past a number, `true`, `false` or `null`.
    fn skip_literal(&mut self) {
        while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    /// Moves past a string literal; false when it does not end. A JSON string holds no raw
    /// line break, so the line does not change.
    fn skip_string(&mut self) -> bool {
        self.at += 1;
        loop {
            self.at = find_any(self.bytes, self.at, [b'"', b'\\']);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return true;
                }
                Some(_) => self.at += 2,
                None => return false,
            }
        }
    }

    /// Scans a string literal and returns its decoded contents (borrowed unless it has escapes).
    fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.at;
        let escaped = self.bytes[start + 1..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .is_some_and(|i| self.bytes[start + 1 + i] == b'\\');
        if !self.skip_string() {
            return None;
        }
        let text: &'a str = self.text;
        let raw = text.get(start..self.at)?;
        if escaped {
            serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
        } else {
            raw.get(1..raw.len() - 1).map(Cow::Borrowed)
        }
    }
}

/// The text of each 1-based line in `wanted`, as [`str::lines`] gives it (without `\n` or
/// `\r\n`), in one scan that stops after the last line wanted (for code frames: no list of
/// every line of the file). Lines past the end are absent.
pub fn lines_at(text: &str, wanted: impl IntoIterator<Item = usize>) -> HashMap<usize, &str> {
    let mut wanted: Vec<usize> = wanted.into_iter().filter(|&l| l > 0).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let bytes = text.as_bytes();
    let mut out = HashMap::with_capacity(wanted.len());
    let (mut line, mut start) = (1, 0);
    for w in wanted {
        while line < w {
            let newline = find_any(bytes, start, [b'\n']);
            if newline >= bytes.len() {
                return out;
            }
            start = newline + 1;
            line += 1;
        }
        if start >= bytes.len() {
            return out;
        }
        let end = find_any(bytes, start, [b'\n']);
        let mut l = &text[start..end];
        if end < bytes.len() {
            l = l.strip_suffix('\r').unwrap_or(l);
        }
        out.insert(w, l);
    }
    out
}

/// The first byte at or after `from` that a skipped JSON value cares about (a quote, a bracket
/// or a line break), or the end.
fn next_structural(bytes: &[u8], from: usize) -> usize {
    find_any(bytes, from, [b'"', b'{', b'}', b'[', b']', b'\n'])
}

/// The first byte at or after `from` equal to one of `set`, or `bytes.len()`: eight bytes at a
/// time (skipped values are most of a file, and pretty-printed JSON is mostly spaces).
fn find_any<const N: usize>(bytes: &[u8], mut from: usize, set: [u8; N]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A byte of `word ^ splat(b)` is zero where `word` has `b`; the lowest flagged byte is
        // exact (borrows only flag bytes above a real zero).
        let found = set.iter().fold(0, |acc, &b| {
            let x = word ^ (ONES * u64::from(b));
            acc | (x.wrapping_sub(ONES) & !x & HIGH)
        });
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| set.contains(b)))
        .map_or(bytes.len(), |i| from + i)
}

enum Frame {
    /// `has_key`: the mapping's current key has been read; its value comes next.
    Map {
        has_key: bool,
    },
    Seq {
        index: usize,
    },
}

fn index_yaml(text: &str, spans: &mut Spans) {
    let mut stack: Vec<(Frame, usize)> = Vec::new(); // frame, ptr length before this frame's child
    let mut ptr = String::new();
    let mut docs = 0;
    let mut chars = None; // the text's length in characters, counted when first needed
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { return };
        // saphyr places an empty node that ends a text without a final line break (`name: x\n? `)
        // on a line it adds past the last: it is at the end of the last line.
        let at_end = span.start.col() == 0
            && !text.is_empty()
            && !text.ends_with(['\n', '\r'])
            && span.start.index() == *chars.get_or_insert_with(|| text.chars().count());
        let pos = if at_end {
            end_of(text)
        } else {
            Pos {
                line: span.start.line(),
                column: span.start.col() + 1,
            }
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
            if let Some((Frame::Map { has_key }, base)) = stack.last_mut() {
                if !*has_key {
                    ptr.truncate(*base);
                    ptr.push('/');
                    match &event {
                        Event::Scalar(s, ..) => ptr.push_str(&escape_token(s)),
                        _ => ptr.push('?'),
                    }
                    spans.record_key(&ptr, pos);
                    *has_key = true;
                    if matches!(event, Event::Scalar(..) | Event::Alias(_)) {
                        if spans.done() {
                            return;
                        }
                        continue;
                    }
                    // Complex keys: skip their contents by treating them as a throwaway value.
                }
            }
            if let Some((Frame::Seq { index }, base)) = stack.last_mut() {
                ptr.truncate(*base);
                let _ = write!(ptr, "/{index}");
                *index += 1;
            }
            spans.record_value(&ptr, pos);
            if spans.done() {
                return;
            }
        }
        match event {
            Event::MappingStart(..) => stack.push((Frame::Map { has_key: false }, ptr.len())),
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

/// Just after the last character of a text that does not end with a line break (lines broken
/// at `\n`, `\r\n` and a lone `\r`, as YAML breaks them).
fn end_of(text: &str) -> Pos {
    let cr_lf = text.matches("\r\n").count();
    let breaks = text.matches(['\n', '\r']).count() - cr_lf;
    let last_line = text.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    Pos {
        line: breaks + 1,
        column: text[last_line..].chars().count() + 1,
    }
}

/// After a complete value inside a mapping, the next node is a key again.
fn after_value(stack: &mut [(Frame, usize)], ptr: &mut String) {
    if let Some((Frame::Map { has_key }, base)) = stack.last_mut() {
        if *has_key {
            *has_key = false;
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
        // Columns count characters, also after skipped values and on one long line.
        let wide = "{\"é\": \"üü\", \"b\": [1, {\"c\": \"\\\"ä\"}], \"d\": 2}";
        for s in [
            Spans::index(wide, Format::Json),
            Spans::index_only(wide, Format::Json, [("/b/1/c", false), ("/d", true)]),
        ] {
            assert_eq!(
                s.value("/b/1/c"),
                Some(Pos {
                    line: 1,
                    column: 28
                })
            );
            assert_eq!(
                s.key("/d"),
                Some(Pos {
                    line: 1,
                    column: 37
                })
            );
        }
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
    fn index_only_answers_like_index_for_what_it_was_asked() {
        let json = "{\"a\": {\"k~/\\\"x\": [1, {\"b\": \"\\u00e9\\\"\"}], \"z\": true}, \"c\": [[], {}], \"d\": -1.5e3}";
        for (text, format) in [
            (JSON, Format::Json),
            (YAML, Format::Yaml),
            (json, Format::Json),
        ] {
            let all = Spans::index(text, format);
            let mut asked: Vec<(&str, bool)> = Vec::new();
            for p in all.values.keys().chain(all.keys.keys()) {
                for at_key in [false, true] {
                    let one = Spans::index_only(text, format, [(p.as_str(), at_key)]);
                    assert_eq!(one.value(p), all.value(p), "{p} in {text}");
                    if at_key {
                        assert_eq!(one.key(p), all.key(p), "key {p} in {text}");
                    }
                    asked.push((p, at_key));
                }
            }
            // A pointer that does not exist falls back to its nearest ancestor.
            asked.push(("/versions/0/nope/3", false));
            let many = Spans::index_only(text, format, asked.iter().copied());
            for (p, at_key) in &asked {
                assert_eq!(many.value(p), all.value(p), "{p} in {text}");
                if *at_key {
                    assert_eq!(many.key(p), all.key(p), "key {p} in {text}");
                }
            }
        }
        // Only what was asked for (and its ancestors) is recorded.
        let s = Spans::index_only(JSON, Format::Json, [("/versions/0/version", false)]);
        let mut recorded: Vec<&str> = s.values.keys().map(String::as_str).collect();
        recorded.sort_unstable();
        assert_eq!(
            recorded,
            ["", "/versions", "/versions/0", "/versions/0/version"]
        );
        assert!(s.keys.is_empty());
        assert!(Spans::index_only(JSON, Format::Json, []).values.is_empty());
    }

    #[test]
    fn find_any_agrees_with_a_plain_search() {
        let text = "{\"a\": \"x\\\"y\", \"long\": \"................................\", \"b\": [1, {\"c\": 2}]}\n  \"e\u{e9}\": \"\\\\\"\n";
        let text = text.as_bytes();
        for from in 0..=text.len() + 1 {
            let plain = |set: &[u8]| {
                text.get(from..)
                    .and_then(|rest| rest.iter().position(|b| set.contains(b)))
                    .map_or(text.len(), |i| from + i)
            };
            assert_eq!(
                next_structural(text, from),
                plain(b"\"{}[]\n"),
                "from {from}"
            );
            assert_eq!(
                find_any(text, from, [b'"', b'\\']),
                plain(b"\"\\"),
                "from {from}"
            );
        }
    }

    #[test]
    fn lines_at_agrees_with_lines() {
        for text in [
            "",
            "a",
            "a\n",
            "a\n\nb",
            "a\r\nb\r\n",
            "a\rb\n\r",
            "\n\n",
            "é\nü\r\n",
        ] {
            let all: Vec<&str> = text.lines().collect();
            let got = lines_at(text, 0..6);
            for l in 1..6 {
                assert_eq!(
                    got.get(&l).copied(),
                    all.get(l - 1).copied(),
                    "{text:?} {l}"
                );
            }
            assert_eq!(lines_at(text, [3, 1]).get(&1), all.first());
        }
    }

    #[test]
    fn index_only_answers_like_index_on_the_rule_fixtures() {
        let mut files = vec![];
        for dir in std::fs::read_dir("tests/fixtures/rules").unwrap() {
            for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                files.push(f.unwrap().path());
            }
        }
        assert!(files.len() > 10);
        for path in files {
            let Some(format) = Format::from_path(&path) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap();
            let all = Spans::index(&text, format);
            for (p, want) in &all.values {
                let one = Spans::index_only(&text, format, [(p.as_str(), true)]);
                assert_eq!(one.value(p), Some(*want), "{p} in {}", path.display());
                assert_eq!(one.key(p), all.key(p), "{p} in {}", path.display());
            }
        }
    }

    /// An empty node that ends a text without a final line break is on the last line, after
    /// its last character (saphyr's span puts it on a line past the end;
    /// fuzz/regressions/load_yaml/empty-key-at-end).
    #[test]
    fn empty_node_at_the_end_is_on_the_last_line() {
        let at = |line, column| Some(Pos { line, column });
        let s = Spans::index("name: x\n? ", Format::Yaml);
        assert_eq!(s.key("/"), at(2, 3));
        assert_eq!(s.value("/"), at(2, 3));
        let s = Spans::index("? ", Format::Yaml);
        assert_eq!(s.key("/"), at(1, 3));
        let s = Spans::index("a:\r  ? ", Format::Yaml);
        assert_eq!(s.key("/a/"), at(2, 5));
        let s = Spans::index("é: x\r\n? ", Format::Yaml);
        assert_eq!(s.value("/"), at(2, 3));
        // With a final line break the node is on the (empty) line after it, inside the text.
        let s = Spans::index("name: x\n? \n", Format::Yaml);
        assert_eq!(s.key("/"), at(3, 1));
        let only = Spans::index_only("name: x\n? ", Format::Yaml, [("/", true)]);
        assert_eq!(only.key("/"), at(2, 3));
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for cut in 0..JSON.len() {
            let _ = Spans::index(&JSON[..cut], Format::Json);
        }
        for cut in 0..YAML.len() {
            let _ = Spans::index(&YAML[..cut], Format::Yaml);
        }
        let asked = [("/versions/0/a~1b/1/k", true), ("/last", false)];
        for cut in 0..JSON.len() {
            let _ = Spans::index_only(&JSON[..cut], Format::Json, asked);
        }
        for cut in 0..YAML.len() {
            let _ = Spans::index_only(&YAML[..cut], Format::Yaml, asked);
        }
    }
}
