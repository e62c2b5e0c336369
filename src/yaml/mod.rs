//! meterctl's YAML layer: a strict reader and a canonical writer over `serde_json::Value`, with
//! the comments people write kept beside the node they annotate.
//!
//! Reading runs over the events and positions of `saphyr-parser` (a maintained YAML 1.2 parser)
//! and builds exactly the JSON value the file holds: YAML 1.2 core-schema scalars, integers kept
//! apart from floats, and refusals (with line and column) for what would silently lose data: a
//! key twice in one mapping, `.nan`/`.inf`, integers beyond 64 bits, merge keys (`<<: *a`), tags
//! other than the core ones, more than one document, nesting deeper than [`MAX_DEPTH`]. Comments
//! are found by scanning the lines
//! outside scalars and are attached by JSON Pointer ([`Comments`]). Writing is meterctl's own
//! canonical layout (2-space indentation, multi-line strings as literal block scalars) and
//! quotes every string an older YAML 1.1 tool (PyYAML, yq v3, Ruby) would read as something
//! else (`yes`, `on`, `1_000`, `12:30`, `2026-01-01`, …), so they all read what meterctl wrote.

mod read;
mod scalar;
mod write;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

pub use read::{parse, parse_value};
pub use scalar::number_changes;
pub use write::to_string;

/// How deep mappings and lists may nest inside each other (the document's top-level mapping is
/// level 1), in YAML and JSON alike. Meter definitions nest about ten levels; the limit keeps a
/// hostile file from overflowing the stack of every recursive walk after the reader.
pub const MAX_DEPTH: usize = 100;

/// The message for a value nested deeper than [`MAX_DEPTH`].
pub fn too_deep() -> String {
    format!("mappings and lists nest deeper than {MAX_DEPTH} levels, the limit meterctl reads; meter definitions nest far less")
}

/// A YAML text that could not be read: what and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is wrong and how to fix it.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for Error {}

/// A value read from YAML, with its comments.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The value.
    pub value: Value,
    /// The comments, by the pointer of the node they annotate.
    pub comments: Comments,
}

/// The comments of one node. Each entry is the comment's text from `#` on, trailing blanks
/// removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeComments {
    /// Full-line comments just above the node (a key or a list item).
    pub before: Vec<String>,
    /// The comment at the end of the node's line.
    pub trailing: Option<String>,
    /// Full-line comments after the last entry of a mapping or list.
    pub end: Vec<String>,
}

impl NodeComments {
    fn len(&self) -> usize {
        self.before.len() + usize::from(self.trailing.is_some()) + self.end.len()
    }
}

/// A fast hash for pointers (the writer looks up every node of a commented file; the
/// standard SipHash showed in profiles). Not for untrusted keys at scale, which these are not.
#[derive(Default, Clone, Copy)]
pub struct PointerHasher(u64);

impl Hasher for PointerHasher {
    /// Pointers of one document share long prefixes and differ near the end: the length and the
    /// last 16 bytes tell them apart well enough (equal hashes are still compared in full).
    fn write(&mut self, bytes: &[u8]) {
        let tail = &bytes[bytes.len().saturating_sub(16)..];
        let mut h = self.0 ^ bytes.len() as u64;
        for chunk in tail.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Every comment of a document: the header block and the comments of each node by JSON Pointer
/// (`""` is the root mapping).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments {
    /// Comments before the first key that are the file's header (modelines such as
    /// `# yaml-language-server: $schema=…`, or a block separated from the first key by a blank
    /// line).
    pub header: Vec<String>,
    /// Comments of nodes, by pointer.
    pub nodes: HashMap<String, NodeComments, BuildHasherDefault<PointerHasher>>,
}

impl Comments {
    /// How many comments there are.
    pub fn len(&self) -> usize {
        self.header.len() + self.nodes.values().map(NodeComments::len).sum::<usize>()
    }

    /// No comments at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The comments of the node at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<&NodeComments> {
        self.nodes.get(pointer)
    }

    pub(crate) fn entry(&mut self, pointer: &str) -> &mut NodeComments {
        if !self.nodes.contains_key(pointer) {
            self.nodes
                .insert(pointer.to_string(), NodeComments::default());
        }
        match self.nodes.get_mut(pointer) {
            Some(c) => c,
            None => unreachable!("inserted just above"),
        }
    }

    /// Keeps the comments of nodes that exist in `value`; the comments of a node that does not
    /// are moved to the end of its nearest surviving ancestor. Returns the pointers whose comments
    /// moved (sorted), so the caller can warn.
    pub fn retain_in(&mut self, value: &Value) -> Vec<String> {
        let mut gone: Vec<String> = self
            .nodes
            .keys()
            .filter(|p| value.pointer(p).is_none())
            .cloned()
            .collect();
        gone.sort();
        for p in &gone {
            let Some(c) = self.nodes.remove(p) else {
                continue;
            };
            let mut parent = p.as_str();
            while value.pointer(parent).is_none() {
                parent = &parent[..parent.rfind('/').unwrap_or(0)];
            }
            let dest = self.entry(parent);
            dest.end.extend(c.before);
            dest.end.extend(c.trailing);
            dest.end.extend(c.end);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comments_of_vanished_nodes_move_to_the_nearest_parent() {
        let mut c = Comments::default();
        c.entry("/a/b/c").before.push("# deep".into());
        c.entry("/a/b/c").trailing = Some("# tail".into());
        c.entry("/x").before.push("# top".into());
        c.entry("/a").before.push("# kept".into());
        let moved = c.retain_in(&json!({"a": {"z": 1}}));
        assert_eq!(moved, ["/a/b/c", "/x"]);
        assert_eq!(c.get("/a").unwrap().end, ["# deep", "# tail"]);
        assert_eq!(c.get("").unwrap().end, ["# top"]);
        assert_eq!(c.get("/a").unwrap().before, ["# kept"]);
        assert_eq!(c.len(), 4);
    }
}
