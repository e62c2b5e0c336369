//! Writing: a JSON value in meterctl's canonical YAML layout, with its comments.
//!
//! Mappings are indented by two spaces, a list sits at its key's indentation (`key:` then
//! `- item`), empty containers are `{}` and `[]`. A string is plain when that is unambiguous for
//! every reader ([`super::scalar::ambiguous`]), a literal block scalar (`|`, `|-`, `|+`) when it
//! spans lines and YAML can hold it exactly that way, single-quoted when it is printable on one
//! line, and double-quoted with escapes otherwise. Floats always carry a `.` and a signed
//! exponent (`1.0e+300`) so YAML 1.1 tools read them as numbers too. A key longer than YAML's
//! 1,024-character limit for implicit keys is written in the explicit `? key` / `: value` form.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::{Map, Value};

use super::scalar::ambiguous;
use super::{Comments, NodeComments};
use crate::pointer::escape_token;

/// Renders `value` with `comments`; the text ends with one newline.
pub fn to_string(value: &Value, comments: &Comments) -> String {
    let mut w = W {
        out: String::new(),
        comments,
        path: String::new(),
    };
    for h in &comments.header {
        w.comment(h, 0);
        w.out.push('\n');
    }
    if !comments.header.is_empty() {
        w.out.push('\n');
    }
    match value {
        Value::Object(m) if !m.is_empty() => w.mapping(m, 0, false),
        Value::Array(a) if !a.is_empty() => w.sequence(a, 0, false),
        _ => {
            w.inline(value);
            w.out.push('\n');
            w.block_body(value, 0);
        }
    }
    w.out
}

struct W<'a> {
    out: String,
    comments: &'a Comments,
    /// The pointer of the node being written.
    path: String,
}

/// The longest implicit (`key: value`) key YAML reads, in characters as written (quotes and
/// escapes included).
const MAX_IMPLICIT_KEY: usize = 1024;

static NONE: NodeComments = NodeComments {
    before: Vec::new(),
    trailing: None,
    end: Vec::new(),
};

impl<'a> W<'a> {
    fn node(&self, ptr: &str) -> &'a NodeComments {
        self.comments.nodes.get(ptr).unwrap_or(&NONE)
    }

    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    fn lines(&mut self, lines: &[String], indent: usize) {
        for l in lines {
            self.pad(indent);
            self.comment(l, indent);
            self.out.push('\n');
        }
    }

    /// One comment's text. The reader never gives one a line break, but [`Comments`] is public:
    /// a break (`\n`, `\r\n` or a lone `\r`, which YAML all read as one) starts a comment line
    /// of its own at `indent`, so no text is read back as YAML.
    fn comment(&mut self, text: &str, indent: usize) {
        let text: Cow<str> = if text.contains('\r') {
            text.replace("\r\n", "\n").into()
        } else {
            text.into()
        };
        for (i, line) in text.split(['\n', '\r']).enumerate() {
            if i > 0 {
                self.out.push('\n');
                self.pad(indent);
                if !line.starts_with('#') {
                    self.out.push_str("# ");
                }
            }
            self.out.push_str(line);
        }
    }

    /// The comments of the node at `path`.
    fn here(&self) -> &'a NodeComments {
        if self.comments.nodes.is_empty() {
            &NONE
        } else {
            self.node(&self.path)
        }
    }

    fn trailing(&mut self, c: &NodeComments) {
        if let Some(t) = &c.trailing {
            self.out.push_str("  ");
            self.comment(t, 0);
        }
        self.out.push('\n');
    }

    /// Members of a non-empty mapping (at `path`) at `indent`; with `lead`, the first line's
    /// indentation has already been written (a list item's `- `).
    fn mapping(&mut self, m: &Map<String, Value>, indent: usize, lead: bool) {
        let base = self.path.len();
        for (i, (k, v)) in m.iter().enumerate() {
            self.path.truncate(base);
            self.path.push('/');
            self.path.push_str(&escape_token(k));
            let c = self.here();
            if !(lead && i == 0) {
                self.lines(&c.before, indent);
                self.pad(indent);
            }
            let start = self.out.len();
            self.key(k);
            // YAML reads an implicit key of at most 1,024 characters as written; a longer one
            // is explicit: `? key` (with the key's comment), then `: value` on the next line.
            let explicit = self.out.len() - start > MAX_IMPLICIT_KEY
                && self.out[start..].chars().count() > MAX_IMPLICIT_KEY;
            if explicit {
                self.out.insert_str(start, "? ");
                self.trailing(c);
                self.pad(indent);
            }
            self.out.push(':');
            let c = if explicit { &NONE } else { c };
            match v {
                Value::Object(o) if !o.is_empty() => {
                    self.trailing(c);
                    self.mapping(o, indent + 2, false);
                }
                Value::Array(a) if !a.is_empty() => {
                    self.trailing(c);
                    self.sequence(a, indent, false);
                }
                _ => {
                    self.out.push(' ');
                    self.inline(v);
                    self.trailing(c);
                    self.block_body(v, indent);
                }
            }
        }
        self.path.truncate(base);
        let end = &self.here().end;
        self.lines(end, indent);
    }

    /// Items of a non-empty list (at `path`) at `indent`.
    fn sequence(&mut self, a: &[Value], indent: usize, lead: bool) {
        let base = self.path.len();
        for (i, v) in a.iter().enumerate() {
            self.path.truncate(base);
            let _ = write!(self.path, "/{i}");
            let c = self.here();
            if !(lead && i == 0) {
                if !self.comments.nodes.is_empty() {
                    // A container item's own comments, and its first entry's `before`, have no
                    // place after `- `: they go above it.
                    let mut above: Vec<&String> = c.before.iter().collect();
                    self.hoisted(v, &mut above);
                    for l in above {
                        self.pad(indent);
                        self.comment(l, indent);
                        self.out.push('\n');
                    }
                }
                self.pad(indent);
            }
            self.out.push_str("- ");
            match v {
                Value::Object(o) if !o.is_empty() => self.mapping(o, indent + 2, true),
                Value::Array(items) if !items.is_empty() => self.sequence(items, indent + 2, true),
                _ => {
                    self.inline(v);
                    self.trailing(c);
                    self.block_body(v, indent);
                }
            }
        }
        self.path.truncate(base);
        // End comments one step deeper than a list at its key's indentation, so they stay the
        // list's and are not read as above the next key.
        let end = &self.here().end;
        self.lines(end, indent + 2);
    }

    /// Comments that belong above the `- ` of the item `v` at `path`: the item's trailing
    /// comment and its first entry's `before` (recursively for a list in a list).
    fn hoisted(&mut self, v: &Value, above: &mut Vec<&'a String>) {
        let base = self.path.len();
        match v {
            Value::Object(o) if !o.is_empty() => {
                above.extend(&self.here().trailing);
                self.path.push('/');
                self.path
                    .push_str(&escape_token(o.keys().next().map_or("", |k| k)));
                above.extend(&self.here().before);
            }
            Value::Array(a) if !a.is_empty() => {
                above.extend(&self.here().trailing);
                self.path.push_str("/0");
                above.extend(&self.here().before);
                self.hoisted(&a[0], above);
            }
            _ => {}
        }
        self.path.truncate(base);
    }

    fn key(&mut self, k: &str) {
        if plain_ok(k) {
            self.out.push_str(k);
        } else if single_ok(k) {
            single(&mut self.out, k);
        } else {
            double(&mut self.out, k);
        }
    }

    /// A scalar or empty container on the current line (a block scalar's header only).
    fn inline(&mut self, v: &Value) {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                if n.is_f64() {
                    float(&mut self.out, &n.to_string());
                } else {
                    let _ = write!(self.out, "{n}");
                }
            }
            Value::String(s) => {
                if block_ok(s) {
                    self.out.push('|');
                    let newlines = s.len() - s.trim_end_matches('\n').len();
                    match newlines {
                        0 => self.out.push('-'),
                        1 => {}
                        _ => self.out.push('+'),
                    }
                } else if plain_ok(s) {
                    self.out.push_str(s);
                } else if single_ok(s) {
                    single(&mut self.out, s);
                } else {
                    double(&mut self.out, s);
                }
            }
            Value::Array(_) => self.out.push_str("[]"),
            Value::Object(_) => self.out.push_str("{}"),
        }
    }

    /// The lines of a block scalar (nothing for other values), two spaces deeper than `indent`.
    fn block_body(&mut self, v: &Value, indent: usize) {
        let Value::String(s) = v else { return };
        if !block_ok(s) {
            return;
        }
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            if !line.is_empty() {
                self.pad(indent + 2);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }
}

/// YAML 1.1 and 1.2 both read a float only with a `.` and, for an exponent, a sign: `1e300`
/// becomes `1.0e+300`.
fn float(out: &mut String, repr: &str) {
    let (mantissa, exp) = match repr.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (repr, None),
    };
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    if let Some(e) = exp {
        out.push('e');
        if !e.starts_with(['-', '+']) {
            out.push('+');
        }
        out.push_str(e);
    }
}

/// Characters YAML can write as they are (libyaml's printable set), line breaks excluded.
fn printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let last = s.chars().next_back().unwrap_or(first);
    if first.is_whitespace() || last.is_whitespace() || !s.chars().all(printable) {
        return false;
    }
    let second = s[first.len_utf8()..].chars().next();
    let indicator = match first {
        '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => true,
        '-' | '?' | ':' => second.is_none_or(|c| c == ' '),
        _ => false,
    };
    !(indicator
        || s.starts_with("---")
        || s.starts_with("...")
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || ambiguous(s))
}

fn single_ok(s: &str) -> bool {
    s.chars().all(printable)
}

fn single(out: &mut String, s: &str) {
    out.push('\'');
    out.push_str(&s.replace('\'', "''"));
    out.push('\'');
}

fn double(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}

/// A multi-line string YAML reads back exactly from a literal block scalar without an
/// indentation indicator.
fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && !s.ends_with(' ')
        && !s.contains(" \n")
        && s.chars().all(|c| c == '\n' || printable(c))
        && !s.trim_end_matches('\n').is_empty()
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use serde_json::json;

    fn yaml(v: &Value) -> String {
        to_string(v, &Comments::default())
    }

    #[test]
    fn layout() {
        let v = json!({
            "name": "x", "n": 1, "f": 1.5, "big": 1e300, "t": true, "z": null,
            "e": [], "o": {}, "code": "a\nb\n", "strip": "a\nb", "keep": "a\n\n",
            "list": [{"id": "a", "k": [1, [2, 3]]}, "s", [], {}],
            "m": {"k": {"j": "yes"}}
        });
        assert_eq!(
            yaml(&v),
            "name: x\n'n': 1\nf: 1.5\nbig: 1.0e+300\nt: true\nz: null\ne: []\no: {}\ncode: |\n  a\n  b\nstrip: |-\n  a\n  b\nkeep: |+\n  a\n\nlist:\n- id: a\n  k:\n  - 1\n  - - 2\n    - 3\n- s\n- []\n- {}\nm:\n  k:\n    j: 'yes'\n"
        );
    }

    #[test]
    fn strings_round_trip() {
        let strings = [
            "",
            " ",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "~",
            "null",
            "1_000",
            "0o17",
            ".5",
            "12:30",
            "2026-01-01",
            "0.0.1",
            "a: b",
            "a #b",
            "a#b",
            "#a",
            "- a",
            "-",
            "-x",
            "?",
            "?x",
            ":x",
            "x:",
            "---",
            "...",
            "'q'",
            "\"dq\"",
            "@x",
            "`x",
            "%x",
            "!x",
            "&x",
            "*x",
            "|x",
            ">x",
            "[x",
            "{x",
            "x]",
            "x,y",
            " lead",
            "trail ",
            "a\nb\n",
            "a\nb",
            "a\nb\n\n",
            " a\nb\n",
            "a \nb\n",
            "a\tb",
            "é",
            "\u{7}",
            "a\r\nb\n",
            "\u{a0}x",
            "x\u{2028}y",
            "\u{feff}x",
            "\n",
            "\n\n",
            "a\n#b\n",
            "a\n\n  b\n",
            "<<",
            "=",
            "\u{10FFFF}",
            "\\",
            "tab\tin\nblock\n",
            "x\u{85}y",
        ];
        for s in strings {
            let v = json!({ s: s, "list": [s] });
            let text = yaml(&v);
            let back = parse(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
            assert_eq!(back.value, v, "{s:?}\n{text}");
        }
    }

    /// YAML reads an implicit key of at most 1,024 characters as written (quotes and escapes
    /// included); a longer key is written in the explicit `? key` / `: value` form
    /// (fuzz/regressions/canonical/long-key.json).
    #[test]
    fn keys_over_the_implicit_key_limit_are_explicit() {
        let long = "k".repeat(1025);
        let escaped = "\u{1}".repeat(300); // 300 characters, 1,200 as written (`\x01`)
        let at_limit = "k".repeat(1024);
        for key in [&long, &escaped, &at_limit] {
            for value in [
                json!("v"),
                json!("two\nlines\n"),
                json!(1),
                json!({"a": 1, "b": [1, {"c": 2}]}),
                json!([1, {"d": 2}, [3]]),
                json!({}),
                json!([]),
            ] {
                for v in [
                    json!({ key: value.clone(), "z": 1 }),
                    json!({ "list": [{ key: value.clone(), "z": 1 }] }),
                    json!({ "m": { key: value.clone() } }),
                ] {
                    let text = yaml(&v);
                    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
                    assert_eq!(back.value, v, "{text}");
                    assert_eq!(text.contains("? "), key != &at_limit, "{text}");
                }
            }
        }
        // Comments stay where they were.
        let text = format!("# before\n? {long}  # on key\n: v\nz: 1\n");
        let p = parse(&text).unwrap();
        assert_eq!(to_string(&p.value, &p.comments), text);
    }

    #[test]
    fn numbers_round_trip() {
        for n in [
            json!(0),
            json!(-5),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.0),
            json!(-0.0),
            json!(1e300),
            json!(1.5e-7),
            json!(1e-7),
            json!(123456789.125),
        ] {
            let v = json!({ "n": n });
            let back = parse(&yaml(&v)).unwrap().value;
            assert_eq!(back, v, "{}", yaml(&v));
            assert_eq!(back["n"].is_f64(), v["n"].is_f64());
        }
    }

    #[test]
    fn comments_written_where_they_were_read() {
        let text = "\
# yaml-language-server: $schema=x.json

# about name
name: x  # trailing
list:  # on list
# before 0
- id: a  # on id
  # before k
  k: |  # on k
    one # not a comment
  # end of item 0
# before 1
- s
  # end of list
m:
  q: 1
  # end of m
# end of root
";
        let p = parse(text).unwrap();
        assert_eq!(to_string(&p.value, &p.comments), text);
    }

    /// Comments built by hand may hold line breaks (the reader's never do): each line is
    /// written as a comment of its own, so the text loads back to the same value.
    #[test]
    fn comments_with_line_breaks_stay_comments() {
        let mut c = Comments::default();
        c.header.push("# h\ra: 1".into());
        c.entry("/a").before.push("# b\r\nb: 2\n# b2".into());
        c.entry("/a").trailing = Some("# t\rc: 3".into());
        let v = json!({"a": 1});
        let text = to_string(&v, &c);
        assert_eq!(
            text,
            "# h\n# a: 1\n\n# b\n# b: 2\n# b2\na: 1  # t\n# c: 3\n"
        );
        assert_eq!(parse(&text).unwrap().value, v);
    }

    #[test]
    fn first_entry_comments_of_an_item_go_above_it() {
        let p = parse("list:\n-\n  # about id\n  id: a\n").unwrap();
        assert_eq!(
            to_string(&p.value, &p.comments),
            "list:\n# about id\n- id: a\n"
        );
    }
}

#[cfg(test)]
mod idempotence {
    use super::super::parse;
    use super::*;

    /// A comment inserted anywhere, at any indentation: nothing is lost, the value is the same,
    /// and formatting the output again changes no byte.
    #[test]
    fn comments_anywhere_are_kept_and_stable() {
        let fixture = include_str!("../../tests/fixtures/comments/commented.yaml");
        let lines: Vec<&str> = fixture.lines().collect();
        let mut tried = 0;
        for i in 0..=lines.len() {
            for indent in [0, 2, 4, 6, 8] {
                for trailing in [false, true] {
                    let mut l = lines.clone();
                    let extra;
                    if trailing {
                        let Some(line) = lines.get(i) else { continue };
                        extra = format!("{line}  # extra");
                        l[i] = &extra;
                    } else {
                        extra = format!("{}# extra", " ".repeat(indent));
                        l.insert(i, &extra);
                    }
                    let text = l.join("\n") + "\n";
                    let Ok(first) = parse(&text) else { continue };
                    tried += 1;
                    let out = to_string(&first.value, &first.comments);
                    let second = parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
                    assert_eq!(second.value, first.value, "{text}");
                    assert_eq!(second.comments.len(), first.comments.len(), "{text}\n{out}");
                    assert_eq!(
                        to_string(&second.value, &second.comments),
                        out,
                        "not stable:\n{text}"
                    );
                }
            }
        }
        assert!(tried > 300, "{tried}");
    }
}
