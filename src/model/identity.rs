//! What a meter is known by across files, sides and tenants: its `globalId` and its `name`.
//!
//! Pairing (`diff`) and the repository-wide rules (`validate`, MC0120/MC0121) read only these two
//! fields from many files, so [`MeterKeys::read`] does not build the whole document when it can
//! avoid it: JSON goes through a partial parse, YAML (and JSON that partial parse refuses) through
//! the full loader.

use std::borrow::Cow;
use std::path::Path;

use serde_json::Value;

use super::keys;
use crate::diagnostic::{codes, Diagnostic};
use crate::load::{self, Format};

/// A meter's `globalId` and `name`, each when it is a string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeterKeys {
    /// `globalId`, when a string.
    pub global_id: Option<String>,
    /// `name`, when a string.
    pub name: Option<String>,
}

/// The fields a meter pairs by, read without building the whole document.
#[derive(Debug, Default, serde::Deserialize)]
struct Fields {
    #[serde(rename = "globalId", default)]
    global_id: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
}

fn text(v: Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

impl MeterKeys {
    /// The keys of a parsed definition.
    pub fn of(value: &Value) -> MeterKeys {
        let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        MeterKeys {
            global_id: field(keys::GLOBAL_ID),
            name: field(keys::NAME),
        }
    }

    /// Reads the keys from a file's bytes (`path` as shown to users). A file that does not parse
    /// gets the full loader's diagnostic; valid JSON/YAML that is not an object (a list, a
    /// scalar) is not a meter and has no keys.
    pub fn read(
        path: &Path,
        bytes: Cow<'_, [u8]>,
        format: Format,
    ) -> Result<MeterKeys, Diagnostic> {
        let text_bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let fast: Option<Fields> = match format {
            Format::Json => serde_json::from_slice(text_bytes).ok(),
            // YAML is read in full by the loader below (meterctl's own reader, one parse).
            Format::Yaml => None,
        };
        let fields = match fast {
            Some(f) => f,
            None => match load::parse_bytes(path, bytes.into_owned(), format) {
                Ok(doc) => Fields {
                    global_id: doc.value.get(keys::GLOBAL_ID).cloned(),
                    name: doc.value.get(keys::NAME).cloned(),
                },
                Err(d) if d.code == codes::SHAPE => return Ok(MeterKeys::default()),
                Err(d) => return Err(d),
            },
        };
        Ok(MeterKeys {
            global_id: text(fields.global_id),
            name: text(fields.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_only_from_json_and_yaml() {
        let p = Path::new("m.json");
        let k = MeterKeys::read(
            p,
            Cow::Borrowed(br#"{"globalId": "g", "name": 5}"#),
            Format::Json,
        )
        .unwrap();
        assert_eq!((k.global_id.as_deref(), k.name), (Some("g"), None));
        let k = MeterKeys::read(
            Path::new("m.yaml"),
            Cow::Borrowed(b"name: N\n"),
            Format::Yaml,
        )
        .unwrap();
        assert_eq!(k.name.as_deref(), Some("N"));
        assert_eq!(
            MeterKeys::read(p, Cow::Borrowed(b"[1]"), Format::Json).unwrap(),
            MeterKeys::default()
        );
        assert!(
            MeterKeys::read(Path::new("m.yaml"), Cow::Borrowed(b"name: ["), Format::Yaml).is_err()
        );
    }
}
