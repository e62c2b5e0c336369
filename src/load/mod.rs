//! Reads meter definitions from files, folders and stdin into [`Document`]s.
//!
//! A document is the file's text plus its parsed JSON value (key order preserved). The format
//! comes from the extension (`.json`, `.yaml`, `.yml`). Anything wrong with a file (not UTF-8,
//! empty, bad syntax, not an object, too large) becomes a [`Diagnostic`] with file, line and
//! column, never a panic. Folder walks skip hidden folders and whatever `.gitignore` excludes, and
//! return paths only: callers load them in parallel and drop each document when done, so memory
//! does not grow with the number of files.

pub mod git;
pub mod locate;
pub mod strict;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::{codes, Diagnostic};

pub use locate::{Pos, Spans};

/// The default size limit for one definition file (bytes); `METERCTL_MAX_FILE_SIZE` overrides it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// The environment variable that overrides [`DEFAULT_MAX_FILE_SIZE`].
pub const MAX_FILE_SIZE_VAR: &str = "METERCTL_MAX_FILE_SIZE";

/// The size limit in force: [`DEFAULT_MAX_FILE_SIZE`] unless [`set_max_file_size`] changed it.
static MAX_FILE_SIZE: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

/// The size limit in force. The library never reads the environment for it: the binary reads
/// `METERCTL_MAX_FILE_SIZE` once ([`crate::settings::apply_environment`]), so a variable exported
/// in a developer's shell cannot change what the library's own tests see.
pub fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the size limit for this process (the binary, from `METERCTL_MAX_FILE_SIZE`).
pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// A `METERCTL_MAX_FILE_SIZE` value: a whole number of bytes above 0 (`None` when empty: unset).
pub fn parse_max_file_size(v: &str) -> Result<Option<u64>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!(
            "expected a size in bytes, a whole number above 0 (the default is {DEFAULT_MAX_FILE_SIZE})"
        )),
    }
}

/// Serialization format of a definition file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`: the format Zuora exports.
    Json,
    /// `.yaml` / `.yml`: the repository format.
    Yaml,
}

impl Format {
    /// The format of a path, by extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    /// Guesses the format of text without a file name (stdin): JSON when it starts with `{` or `[`.
    pub fn sniff(text: &str) -> Format {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .as_bytes()
            .first()
        {
            Some(b'{') | Some(b'[') => Format::Json,
            _ => Format::Yaml,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
        }
    }
}

/// One loaded definition file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where it came from (`-` for stdin).
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its text, without a byte-order mark.
    pub text: String,
    /// Its parsed value: always a JSON object.
    pub value: Value,
    /// The file started with a UTF-8 byte-order mark (stripped from `text`).
    pub bom: bool,
    /// Its comments (YAML only; JSON has none).
    pub comments: crate::yaml::Comments,
}

impl Document {
    /// Indexes positions in the text (only call this when there is something to report).
    pub fn spans(&self) -> Spans {
        Spans::index(&self.text, self.format)
    }
}

/// Errors that stop a job before any file is read (a missing path, an unreadable folder).
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The path does not exist.
    #[error("{}: no such file or folder", crate::fsutil::display(.0))]
    NotFound(PathBuf),
    /// Walking a folder failed.
    #[error("cannot read {path}: {source}")]
    Walk {
        /// The folder.
        path: String,
        /// Why.
        #[source]
        source: ignore::Error,
    },
}

/// The repository's configuration file (`config::FILE_NAME`): [`discover`] skips it, since it
/// is not a meter. Defined here, below `config`, so the loader does not import it.
pub const CONFIG_FILE_NAME: &str = "meterctl.yaml";

/// What a test case of `meterctl test` is called: `NAME.test.yaml` (or `.test.yml`). Folder walks
/// for meters skip these files (they sit beside the meters they test); `cases` finds them.
pub fn is_test_case(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

/// Expands files and folders into the sorted list of definition files they hold.
///
/// Files named explicitly are kept whatever their extension (loading reports an unsupported
/// one); folders are walked recursively for `*.json`, `*.yaml` and `*.yml`, skipping hidden
/// entries, `meterctl.yaml` (the configuration), test cases (`*.test.yaml`, see
/// [`is_test_case`]) and anything a `.gitignore` (or `.ignore`) excludes.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    walk(paths, |p| {
        Format::from_path(p).is_some()
            // The repository's configuration is not a meter, nor is a test case.
            && p.file_name() != Some(CONFIG_FILE_NAME.as_ref())
            && !is_test_case(p)
    })
}

/// Expands files and folders into a sorted list of files: files named explicitly as they are;
/// folders walked recursively for the files `keep` accepts, the way [`discover`] walks them
/// (hidden entries and what `.gitignore` excludes are skipped).
pub fn walk(
    paths: &[PathBuf],
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|_| DiscoverError::NotFound(path.clone()))?;
        if !meta.is_dir() {
            out.push(path.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .parents(true)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = entry.map_err(|source| DiscoverError::Walk {
                path: crate::fsutil::display(path).into_owned(),
                source,
            })?;
            if entry.file_type().is_some_and(|t| t.is_file()) && keep(entry.path()) {
                out.push(entry.into_path());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reads and parses one file.
pub fn load_file(path: &Path) -> Result<Document, Diagnostic> {
    let (bytes, format) = read_file(path)?;
    parse_bytes(path, bytes, format)
}

/// Reads one file's bytes (within the size limit) and its format, without parsing.
pub fn read_file(path: &Path) -> Result<(Vec<u8>, Format), Diagnostic> {
    let Some(format) = Format::from_path(path) else {
        return Err(Diagnostic::error(
            codes::READ,
            path,
            "unsupported file type: meter definitions are .json, .yaml or .yml files",
        ));
    };
    Ok((read_limited(path, fs::File::open(path))?, format))
}

/// Reads and parses stdin; the format is sniffed unless given.
pub fn load_stdin(format: Option<Format>) -> Result<Document, Diagnostic> {
    load_stdin_as(None, format)
}

/// [`load_stdin`], with the input named `name` in diagnostics instead of `-`
/// (`--stdin-filename`); the name's extension, when it is `.json`, `.yaml` or `.yml`, also gives
/// the format.
pub fn load_stdin_as(name: Option<&Path>, format: Option<Format>) -> Result<Document, Diagnostic> {
    let path = name.unwrap_or(Path::new("-"));
    let bytes = read_limited(path, Ok(std::io::stdin().lock()))?;
    let format = format
        .or_else(|| name.and_then(Format::from_path))
        .unwrap_or_else(|| Format::sniff(&String::from_utf8_lossy(&bytes)));
    parse_bytes(path, bytes, format)
}

fn read_limited<R: Read>(path: &Path, reader: std::io::Result<R>) -> Result<Vec<u8>, Diagnostic> {
    let read_err = |e: std::io::Error| {
        Diagnostic::error(codes::READ, path, format!("cannot read the file: {e}"))
    };
    let limit = max_file_size();
    let mut bytes = Vec::new();
    reader
        .map_err(read_err)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(Diagnostic::error(
            codes::READ,
            path,
            format!(
                "file is larger than the size limit of {} MiB ({limit} bytes); split it or raise METERCTL_MAX_FILE_SIZE",
                limit / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

/// Parses bytes already in memory (used for files, stdin and git blobs alike).
pub fn parse_bytes(path: &Path, bytes: Vec<u8>, format: Format) -> Result<Document, Diagnostic> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let bytes = e.as_bytes();
            let good = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..good]);
            let line = prefix.matches('\n').count() + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Err(Diagnostic::error(
                codes::PARSE,
                path,
                format!("the file is not UTF-8 text (byte {good} is invalid); meter definitions are JSON or YAML text"),
            )
            .at(line, col));
        }
    };
    parse_text(path, text, format)
}

/// Parses text; strips a byte-order mark; CRLF line endings are fine.
pub fn parse_text(path: &Path, mut text: String, format: Format) -> Result<Document, Diagnostic> {
    let bom = text.starts_with('\u{feff}');
    if bom {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            codes::PARSE,
            path,
            "the file is empty: expected a meter definition (a JSON or YAML object)",
        )
        .at(1, 1));
    }
    let (value, comments) = match format {
        Format::Json => (
            parse_json_strict(&text)
                .map_err(|e| {
                    let d = Diagnostic::error(
                        codes::PARSE,
                        path,
                        format!("invalid JSON: {}", strip_location(&e.to_string())),
                    );
                    d.at(e.line().max(1), e.column().max(1))
                })
                .and_then(|v| match strict::check_numbers(&text) {
                    Ok(()) => Ok(v),
                    Err((line, column, why)) => {
                        Err(
                            Diagnostic::error(codes::PARSE, path, format!("invalid JSON: {why}"))
                                .at(line, column),
                        )
                    }
                })?,
            crate::yaml::Comments::default(),
        ),
        Format::Yaml => {
            let parsed = crate::yaml::parse(&text).map_err(|e| {
                Diagnostic::error(codes::PARSE, path, format!("invalid YAML: {}", e.message))
                    .at(e.line, e.column)
            })?;
            (parsed.value, parsed.comments)
        }
    };
    if !value.is_object() {
        let found = match &value {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        let pos = Spans::index(&text, format)
            .value("")
            .unwrap_or(Pos { line: 1, column: 1 });
        return Err(Diagnostic::error(
            codes::SHAPE,
            path,
            format!("expected a meter definition object at the top of the file, found {found}"),
        )
        .with_pointer("")
        .at(pos.line, pos.column));
    }
    Ok(Document {
        path: path.to_path_buf(),
        format,
        text,
        value,
        bom,
        comments,
    })
}

fn parse_json_strict(text: &str) -> Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut d = serde_json::Deserializer::from_str(text);
    let v = strict::StrictValue.deserialize(&mut d)?;
    d.end()?;
    Ok(v)
}

/// Removes the ` at line N column M` that serde puts into its messages (we print the location
/// in front, like every other diagnostic).
fn strip_location(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + " at line ".len()..];
        let digits = tail
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        let tail2 = &tail[digits..];
        if digits > 0 && tail2.starts_with(" column ") {
            let t = &tail2[" column ".len()..];
            let d2 = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            rest = &t[d2..];
        } else {
            out.push_str(" at line ");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, format: Format) -> Result<Document, Diagnostic> {
        parse_text(Path::new("t"), text.to_string(), format)
    }

    #[test]
    fn strips_serde_locations() {
        assert_eq!(
            strip_location("EOF while parsing an object at line 3 column 1"),
            "EOF while parsing an object"
        );
        assert_eq!(
            strip_location(
                "did not find expected key at line 2 column 3, while parsing a block mapping"
            ),
            "did not find expected key, while parsing a block mapping"
        );
    }

    #[test]
    fn truncated_json_has_location() {
        let d = parse("{\n  \"name\": \"x\",\n  \"versions\": [\n", Format::Json).unwrap_err();
        assert_eq!(d.code, codes::PARSE);
        assert_eq!(d.line, Some(4));
        assert!(d.message.starts_with("invalid JSON: EOF"), "{}", d.message);
    }

    #[test]
    fn bad_yaml_indentation_has_location() {
        let d = parse(
            "name: x\nversions:\n  - version: 1\n   tasks: []\n",
            Format::Yaml,
        )
        .unwrap_err();
        assert_eq!(d.code, codes::PARSE);
        assert_eq!(d.line, Some(4), "{d}");
    }

    #[test]
    fn empty_array_and_binary_are_diagnostics() {
        assert_eq!(parse("  \n", Format::Yaml).unwrap_err().line, Some(1));
        let d = parse("\n[1, 2]", Format::Json).unwrap_err();
        assert_eq!((d.code, d.line, d.column), (codes::SHAPE, Some(2), Some(1)));
        let d =
            parse_bytes(Path::new("b"), vec![b'{', b'\n', 0xff, 0xfe], Format::Json).unwrap_err();
        assert_eq!((d.line, d.column), (Some(2), Some(1)));
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let doc = parse("\u{feff}{\r\n  \"name\": \"x\"\r\n}\r\n", Format::Json).unwrap();
        assert_eq!(doc.value["name"], "x");
        let doc = parse("\u{feff}name: x\r\ntype: CUSTOM\r\n", Format::Yaml).unwrap();
        assert_eq!(doc.value["type"], "CUSTOM");
    }

    #[test]
    fn folder_walks_skip_test_cases() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a.yaml",
            "a.test.yaml",
            "b.TEST.yml",
            "c.json",
            "meterctl.yaml",
        ] {
            fs::write(dir.path().join(name), "name: x\n").unwrap();
        }
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(names, ["a.yaml", "c.json"]);
        assert!(is_test_case(Path::new("m/a.test.yaml")) && !is_test_case(Path::new("a.yaml")));
        let cases = walk(&[dir.path().to_path_buf()], is_test_case).unwrap();
        assert_eq!(cases.len(), 2);
    }

    #[test]
    fn key_order_and_number_identity_survive() {
        let doc = parse("{\"b\": 1, \"a\": 1.0, \"c\": null}", Format::Json).unwrap();
        let keys: Vec<_> = doc.value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert!(doc.value["b"].is_i64() && doc.value["a"].is_f64() && doc.value["c"].is_null());
    }
}
