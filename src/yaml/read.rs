//! Reading: saphyr-parser events to a JSON value, and the comments found between them.
//!
//! Comments are not events. The lines are scanned for `#` that starts a comment (at a line's
//! start or after a blank) outside every scalar's span, then each comment is given to a node as
//! the events go by: a comment on the line of the last key or scalar read is that node's trailing
//! comment; full-line comments wait for the next key or list item (their `before`), unless a
//! mapping or list ends first and the comment is indented at least as deep as its entries (its
//! `end`). Comments before the first key are the header when a modeline or a blank line sets
//! them apart. Lines end where YAML ends them: at `\n`, `\r\n` and a lone `\r` alike, so a
//! comment never holds a line break and is counted on the line the parser puts it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Value};

use super::scalar::resolve_plain;
use super::{Comments, Error, Parsed};
use crate::pointer::escape_token;

/// Parses one YAML document into a JSON value, refusing what JSON cannot hold.
pub fn parse_value(text: &str) -> Result<Value, Error> {
    Ok(parse(text)?.value)
}

/// Parses one YAML document into a JSON value and its comments.
pub fn parse(text: &str) -> Result<Parsed, Error> {
    let mut events = Vec::new();
    let mut depth = 0usize;
    for item in Parser::new_from_str(text) {
        match item {
            Ok(ev) => {
                // Counted as the events stream by, so a hostile file stops at the limit, before
                // its whole depth is parsed, built or walked.
                match ev.0 {
                    Event::MappingStart(..) | Event::SequenceStart(..) => {
                        depth += 1;
                        if depth > super::MAX_DEPTH {
                            return Err(err(&ev.1, super::too_deep()));
                        }
                    }
                    Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
                    _ => {}
                }
                events.push(ev)
            }
            Err(e) => {
                return Err(Error {
                    message: e.info().to_string(),
                    line: e.marker().line().max(1),
                    column: e.marker().col() + 1,
                })
            }
        }
    }
    let comments = if text.contains('#') {
        scan_comments(text, &events)
    } else {
        Vec::new()
    };
    let mut out = Comments::default();
    out.nodes.reserve(comments.len());
    Builder {
        comments: comments.into_iter().peekable(),
        out,
        pending: Vec::new(),
        touched: None,
        path: String::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        seen_first_key: false,
    }
    .run(events)
}

/// A comment found in the text: 1-based line, 0-based column (characters), text from `#`.
#[derive(Debug)]
struct Found {
    line: usize,
    col: usize,
    full_line: bool,
    text: String,
}

fn scan_comments(text: &str, events: &[(Event<'_>, Span)]) -> Vec<Found> {
    // Markers count characters; in ASCII text (the usual case) that is the byte offset.
    let ascii = text.is_ascii();
    let line_starts: Vec<usize> = if ascii {
        Vec::new()
    } else {
        std::iter::once(0)
            .chain(line_breaks(text.as_bytes()))
            .collect()
    };
    let offset = |m: &saphyr_parser::Marker| -> Option<usize> {
        if ascii {
            return Some(m.index());
        }
        let from = *line_starts.get(m.line().checked_sub(1)?)?;
        Some(
            from + text[from..]
                .chars()
                .take(m.col())
                .map(char::len_utf8)
                .sum::<usize>(),
        )
    };
    let mut scalars = events
        .iter()
        .filter_map(|(e, s)| match e {
            Event::Scalar(_, style, ..) => Some((style, s)),
            _ => None,
        })
        .map(|(style, s)| {
            let start = (s.start.line(), s.start.col());
            // A quoted scalar's span runs on over a comment after it: find its closing quote.
            let end = match (style, offset(&s.start)) {
                (ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, Some(from)) => {
                    quoted_end(text, from, start)
                }
                _ => (s.end.line(), s.end.col()),
            };
            (start, end)
        })
        .peekable();
    let mut out = Vec::new();
    let (mut n, mut line_start, mut scanned) = (1, 0, 0);
    let mut done = usize::MAX; // the line whose comment was found
    for (pos, _) in text.match_indices('#') {
        // `#` is no line break, so no `\r\n` straddles two segments.
        for after in line_breaks(&text.as_bytes()[scanned..pos]) {
            n += 1;
            line_start = scanned + after;
        }
        scanned = pos;
        let before = &text[line_start..pos];
        if n == done || !(before.is_empty() || before.ends_with([' ', '\t'])) {
            continue;
        }
        let col = if before.is_ascii() {
            before.len()
        } else {
            before.chars().count()
        };
        let at = (n, col);
        while scalars.peek().is_some_and(|(_, end)| *end <= at) {
            scalars.next();
        }
        if scalars
            .peek()
            .is_some_and(|(start, end)| *start <= at && at < *end)
        {
            continue;
        }
        let end = text[pos..]
            .find(['\n', '\r'])
            .map_or(text.len(), |e| pos + e);
        out.push(Found {
            line: n,
            col,
            full_line: before.trim_start_matches([' ', '\t']).is_empty(),
            text: text[pos..end].trim_end().to_string(),
        });
        done = n;
    }
    out
}

/// The offset just after each line break of `bytes`, as YAML (and saphyr's markers) count them:
/// `\n`, `\r\n` and a lone `\r` each end a line.
fn line_breaks(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes.iter().enumerate().filter_map(|(i, &b)| {
        let lone_cr = b == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        (b == b'\n' || lone_cr).then_some(i + 1)
    })
}

/// The position just after the closing quote of the quoted scalar that starts at `start`.
fn quoted_end(text: &str, from: usize, start: (usize, usize)) -> (usize, usize) {
    let (mut line, mut col) = start;
    let Some(rest) = text.get(from..) else {
        return start;
    };
    let mut chars = rest.chars();
    let Some(quote) = chars.next() else {
        return start;
    };
    col += 1;
    let mut escaped = false;
    let mut chars = chars.peekable();
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            // A lone `\r` breaks the line too; in `\r\n` the `\n` does.
            '\n' => {
                line += 1;
                col = 0;
            }
            '\r' if chars.peek() != Some(&'\n') => {
                line += 1;
                col = 0;
            }
            '\\' if quote == '"' && !escaped => {
                escaped = true;
                continue;
            }
            '\'' if quote == '\'' && chars.peek() == Some(&'\'') => {
                chars.next();
                col += 1;
            }
            c if c == quote && !escaped => return (line, col),
            _ => {}
        }
        escaped = false;
    }
    (line, col)
}

enum Kind {
    Map {
        map: Map<String, Value>,
        key: Option<String>,
    },
    Seq(Vec<Value>),
}

struct Frame {
    kind: Kind,
    /// Length of the container's pointer in `Builder::path`.
    base: usize,
    /// Column of its entries (block style), for end comments.
    col: usize,
    flow: bool,
    anchor: usize,
}

struct Builder {
    comments: std::iter::Peekable<std::vec::IntoIter<Found>>,
    out: Comments,
    pending: Vec<Found>,
    /// Line of the last key or scalar value read, and the length of its pointer in `path`.
    touched: Option<(usize, usize)>,
    /// The pointer of the node being read (one buffer, grown and cut as the events go).
    path: String,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    seen_first_key: bool,
}

fn err(span: &Span, message: impl Into<String>) -> Error {
    Error {
        message: message.into(),
        line: span.start.line().max(1),
        column: span.start.col() + 1,
    }
}

impl Builder {
    fn run(mut self, events: Vec<(Event<'_>, Span)>) -> Result<Parsed, Error> {
        let mut docs = 0;
        let mut events = events.into_iter().peekable();
        while let Some((event, span)) = events.next() {
            let at = (span.start.line(), span.start.col());
            while let Some(c) = self.comments.next_if(|c| (c.line, c.col) < at) {
                self.take(c);
            }
            match event {
                Event::DocumentStart(_) => {
                    docs += 1;
                    if docs > 1 {
                        return Err(err(&span, "the file holds more than one YAML document (a second `---`); keep one meter definition per file"));
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let line = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        None
                    } else {
                        Some(span.end.line())
                    };
                    if self.is_key() {
                        self.key(text, style, &span)?;
                    } else {
                        let v = scalar(&text, style, tag.as_deref(), &span)?;
                        if anchor > 0 {
                            self.anchors.insert(anchor, v.clone());
                        }
                        self.value_ptr();
                        if let Some(line) = line {
                            self.touched = Some((line, self.path.len()));
                        }
                        self.push(v);
                    }
                }
                Event::Alias(id) => {
                    if self.is_key() {
                        return Err(err(&span, "an alias (`*name`) as a mapping key is not supported; write the key out"));
                    }
                    let v = self.anchors.get(&id).cloned().ok_or_else(|| {
                        err(
                            &span,
                            "an alias (`*name`) refers to an anchor that is not defined before it",
                        )
                    })?;
                    self.value_ptr();
                    self.push(v);
                }
                Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                    if self.is_key() {
                        return Err(err(
                            &span,
                            "a mapping or list as a mapping key is not supported; keys are strings",
                        ));
                    }
                    if let Some(t) = tag.as_deref() {
                        if !(t.is_yaml_core_schema() && matches!(t.suffix.as_str(), "map" | "seq"))
                        {
                            return Err(err(
                                &span,
                                format!("the YAML tag `{t}` is not supported; remove it"),
                            ));
                        }
                    }
                    self.value_ptr();
                    let flow = span.end.index() > span.start.index();
                    let kind = if matches!(event, Event::MappingStart(..)) {
                        Kind::Map {
                            map: Map::new(),
                            key: None,
                        }
                    } else {
                        Kind::Seq(Vec::new())
                    };
                    self.stack.push(Frame {
                        kind,
                        base: self.path.len(),
                        col: span.start.col(),
                        flow,
                        anchor,
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    let Some(frame) = self.stack.pop() else {
                        continue;
                    };
                    self.path.truncate(frame.base);
                    // A list written at its key's indentation ends before a comment at that
                    // indentation: such a comment is above the next key.
                    let parent_col = match self.stack.last() {
                        Some(p) if matches!(p.kind, Kind::Map { .. }) => Some(p.col),
                        _ => None,
                    };
                    let seq = matches!(frame.kind, Kind::Seq(_));
                    let min_col = if seq && parent_col == Some(frame.col) {
                        frame.col + 1
                    } else {
                        frame.col
                    };
                    let last = self.stack.is_empty();
                    // Comments after the last item of a list are the list's, even when that item
                    // is a mapping indented as deep.
                    let last_item = matches!(frame.kind, Kind::Map { .. })
                        && matches!(
                            self.stack.last(),
                            Some(Frame {
                                kind: Kind::Seq(_),
                                ..
                            })
                        )
                        && matches!(events.peek(), Some((Event::SequenceEnd, _)));
                    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
                        .into_iter()
                        .partition(|c| !last_item && (frame.flow || last || c.col >= min_col));
                    self.pending = rest;
                    if !mine.is_empty() {
                        let end = &mut self.out.entry(&self.path[..frame.base]).end;
                        end.extend(mine.into_iter().map(|c| c.text));
                    }
                    if frame.flow {
                        self.touched = Some((span.start.line(), frame.base));
                    }
                    let v = match frame.kind {
                        Kind::Map { map, .. } => Value::Object(map),
                        Kind::Seq(items) => Value::Array(items),
                    };
                    if frame.anchor > 0 {
                        self.anchors.insert(frame.anchor, v.clone());
                    }
                    self.push(v);
                }
                Event::StreamEnd => {
                    for c in self.comments.by_ref() {
                        self.pending.push(c);
                    }
                }
                _ => {}
            }
        }
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            let end = &mut self.out.entry("").end;
            end.extend(rest.into_iter().map(|c| c.text));
        }
        self.out.nodes.retain(|_, c| c.len() > 0);
        Ok(Parsed {
            value: self.root.unwrap_or(Value::Null),
            comments: self.out,
        })
    }

    /// A comment whose position has been passed.
    fn take(&mut self, c: Found) {
        if !c.full_line {
            if let Some((line, len)) = self.touched {
                if line == c.line && len <= self.path.len() {
                    let node = self.out.entry(&self.path[..len]);
                    match &node.trailing {
                        None => node.trailing = Some(c.text),
                        Some(_) => node.end.push(c.text),
                    }
                    return;
                }
            }
        }
        self.pending.push(c);
    }

    fn is_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Map { key: None, .. },
                ..
            })
        )
    }

    /// Gives the pending comments to the node at `path` as its `before` (the header first, at
    /// the first key).
    fn attach_pending(&mut self, line: usize) {
        if self.pending.is_empty() {
            self.seen_first_key = true;
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        if !self.seen_first_key {
            self.seen_first_key = true;
            // The header ends at the last blank line before the first key; modelines always
            // belong to it.
            let mut split = pending
                .iter()
                .take_while(|c| c.text.starts_with("# yaml-language-server:"))
                .count();
            for i in 0..pending.len() {
                let next = pending.get(i + 1).map_or(line, |c| c.line);
                if next > pending[i].line + 1 {
                    split = split.max(i + 1);
                }
            }
            self.out
                .header
                .extend(pending.drain(..split).map(|c| c.text));
        }
        self.out
            .entry(&self.path)
            .before
            .extend(pending.into_iter().map(|c| c.text));
    }

    fn key(&mut self, text: Cow<'_, str>, style: ScalarStyle, span: &Span) -> Result<(), Error> {
        if text == "<<" && style == ScalarStyle::Plain {
            return Err(err(span, "YAML merge keys (`<<: *anchor`) are not supported; write the keys out in this mapping"));
        }
        let Some(Frame {
            kind: Kind::Map { map, key },
            base,
            ..
        }) = self.stack.last_mut()
        else {
            return Ok(());
        };
        if map.contains_key(text.as_ref()) {
            return Err(err(span, format!("duplicate key `{text}` in one object; keep one of them (the file would silently lose the other)")));
        }
        self.path.truncate(*base);
        self.path.push('/');
        self.path.push_str(&escape_token(&text));
        *key = Some(text.into_owned());
        self.attach_pending(span.start.line());
        self.touched = Some((span.start.line(), self.path.len()));
        Ok(())
    }

    /// Points `path` at the value about to be read (a map's value is at its key's pointer
    /// already); a list item takes the pending comments.
    fn value_ptr(&mut self) {
        if let Some(Frame {
            kind: Kind::Seq(items),
            base,
            ..
        }) = self.stack.last()
        {
            self.path.truncate(*base);
            self.path.push('/');
            let _ = write!(self.path, "{}", items.len());
            self.attach_pending(usize::MAX);
        }
    }

    fn push(&mut self, v: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some(Frame {
                kind: Kind::Map { map, key },
                ..
            }) => {
                if let Some(k) = key.take() {
                    map.insert(k, v);
                }
            }
            Some(Frame {
                kind: Kind::Seq(items),
                ..
            }) => items.push(v),
        }
    }
}

fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>, span: &Span) -> Result<Value, Error> {
    let Some(tag) = tag else {
        return if style == ScalarStyle::Plain {
            resolve_plain(text).map_err(|m| err(span, m))
        } else {
            Ok(Value::String(text.to_string()))
        };
    };
    let resolved = || resolve_plain(text).map_err(|m| err(span, m));
    let wrong = |what: &str| err(span, format!("`{text}` is not {what} (tag `{tag}`)"));
    if !tag.is_yaml_core_schema() {
        return Err(err(
            span,
            format!("the YAML tag `{tag}` is not supported; remove it"),
        ));
    }
    match tag.suffix.as_str() {
        "str" => Ok(Value::String(text.to_string())),
        "int" => resolved()?
            .as_number()
            .filter(|n| !n.is_f64())
            .map(|n| Value::Number(n.clone()))
            .ok_or_else(|| wrong("an integer")),
        "float" => resolved()?
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| wrong("a number")),
        "bool" => resolved()?
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| wrong("a boolean")),
        "null" => resolved()?
            .is_null()
            .then_some(Value::Null)
            .ok_or_else(|| wrong("null")),
        _ => Err(err(
            span,
            format!("the YAML tag `{tag}` is not supported; remove it"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_and_order() {
        let p = parse("b: 1\na: [1.5, x, 'yes', null, true]\nc: {d: ~}\ns: |\n  x\n  y\n").unwrap();
        assert_eq!(
            p.value,
            json!({"b": 1, "a": [1.5, "x", "yes", null, true], "c": {"d": null}, "s": "x\ny\n"})
        );
        let keys: Vec<_> = p.value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a", "c", "s"]);
        assert!(p.comments.is_empty());
    }

    #[test]
    fn refusals_have_locations() {
        let e = parse("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate key `c`"), "{e}");
        assert_eq!((e.line, e.column), (4, 3));
        let e = parse("x: .nan\n").unwrap_err();
        assert!(e.message.contains("no JSON form"), "{e}");
        let e = parse("base: &b {x: 1}\nm:\n  <<: *b\n").unwrap_err();
        assert!(e.message.contains("merge keys"), "{e}");
        assert_eq!((e.line, e.column), (3, 3));
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("a: !custom x\n").unwrap_err();
        assert!(e.message.contains("tag"), "{e}");
        assert_eq!(parse("a: !!str 12\n").unwrap().value["a"], "12");
        assert_eq!(parse("a: !!int '12'\n").unwrap().value["a"], 12);
        let e = parse("a: [1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(parse("'<<': 1\n").unwrap().value["<<"], 1);
    }

    #[test]
    fn anchors_are_expanded() {
        let p = parse("a: &x {k: [1]}\nb: *x\nc: &s str\nd: *s\n").unwrap();
        assert_eq!(
            p.value,
            json!({"a": {"k": [1]}, "b": {"k": [1]}, "c": "str", "d": "str"})
        );
    }

    const COMMENTED: &str = "\
# yaml-language-server: $schema=../schemas/meter.json
# owned by billing

# about name
name: x  # trailing on name
script: |
  a # part of the string
  # also part
list:  # on list
  # before item 0
  - a
  - {k: v} # on flow item
  # before item 2
  - k: 1  # on k
    # before j
    j: 2
    # end of item 2
  # end of list
m:
  q: 'a #b' # on q
  # end of m
# end of root
";

    #[test]
    fn comments_attach_to_pointers() {
        let p = parse(COMMENTED).unwrap();
        let c = &p.comments;
        assert_eq!(
            c.header,
            [
                "# yaml-language-server: $schema=../schemas/meter.json",
                "# owned by billing"
            ]
        );
        let get = |p: &str| c.get(p).cloned().unwrap_or_default();
        assert_eq!(get("/name").before, ["# about name"]);
        assert_eq!(get("/name").trailing.as_deref(), Some("# trailing on name"));
        assert_eq!(p.value["script"], "a # part of the string\n# also part\n");
        assert_eq!(get("/list").trailing.as_deref(), Some("# on list"));
        assert_eq!(get("/list/0").before, ["# before item 0"]);
        assert_eq!(get("/list/1").trailing.as_deref(), Some("# on flow item"));
        assert_eq!(get("/list/2").before, ["# before item 2"]);
        assert_eq!(get("/list/2/k").trailing.as_deref(), Some("# on k"));
        assert_eq!(get("/list/2/j").before, ["# before j"]);
        // After the last item: the list's.
        assert_eq!(get("/list").end, ["# end of item 2", "# end of list"]);
        assert_eq!(get("/m/q").trailing.as_deref(), Some("# on q"));
        assert_eq!(get("/m").end, ["# end of m"]);
        assert_eq!(get("").end, ["# end of root"]);
        assert_eq!(c.len(), 15);
    }

    #[test]
    fn header_without_blank_line_is_the_first_keys() {
        let p = parse("# about name\nname: x\n").unwrap();
        assert!(p.comments.header.is_empty());
        assert_eq!(p.comments.get("/name").unwrap().before, ["# about name"]);
    }

    #[test]
    fn hash_inside_scalars_is_not_a_comment() {
        let p = parse("a: \"x #y\"\nb: 'p\n  #q'\nc: u#v\nd: |\n  #w\n").unwrap();
        assert!(p.comments.is_empty(), "{:?}", p.comments);
        assert_eq!(p.value["b"], "p #q");
        assert_eq!(p.value["c"], "u#v");
    }

    #[test]
    fn non_ascii_text_places_comments_by_character() {
        let p = parse("é: \"a #b\" # c\nk: 'ü #x'  # d\n# ünd\n").unwrap();
        assert_eq!(p.value["é"], "a #b");
        assert_eq!(
            p.comments.get("/é").unwrap().trailing.as_deref(),
            Some("# c")
        );
        assert_eq!(
            p.comments.get("/k").unwrap().trailing.as_deref(),
            Some("# d")
        );
        assert_eq!(p.comments.get("").unwrap().end, ["# ünd"]);
    }

    /// YAML breaks lines at `\n`, `\r\n` and a lone `\r` (fuzz/regressions/canonical/
    /// cr-in-comment): a comment ends at any of them, and the lines after it count the same.
    #[test]
    fn comments_end_at_every_yaml_line_break() {
        for text in [
            "# c\ra: 1\n",
            "# c\r\na: 1\n",
            "# c\na: 1\n",
            "# c\r\ra: 1\r",
            "# é\ra: 'ü'\r",
        ] {
            let p = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(p.value.as_object().unwrap().len(), 1, "{text:?}");
            // Above `a`, or the header when a blank line sets it apart.
            let c = &p.comments;
            let found = [&c.header, &c.get("/a").cloned().unwrap_or_default().before];
            assert!(
                found.iter().any(|f| *f == &["# c"] || *f == &["# é"]),
                "{text:?}: {c:?}"
            );
            assert_eq!(c.len(), 1, "{text:?}");
        }
        // Trailing comments, and a comment after a quoted scalar that spans a lone `\r`.
        let p = parse("a: 1  # one\rb: 'x\r  y'  # two\r# three\rc: 3\r").unwrap();
        assert_eq!(p.value, json!({"a": 1, "b": "x y", "c": 3}));
        let get = |k: &str| p.comments.get(k).cloned().unwrap_or_default();
        assert_eq!(get("/a").trailing.as_deref(), Some("# one"));
        assert_eq!(get("/b").trailing.as_deref(), Some("# two"));
        assert_eq!(get("/c").before, ["# three"]);
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for cut in 0..COMMENTED.len() {
            if COMMENTED.is_char_boundary(cut) {
                let _ = parse(&COMMENTED[..cut]);
            }
        }
    }
}
