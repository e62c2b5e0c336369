//! SARIF 2.1.0 for GitHub code scanning: every rule in `tool.driver.rules`, one result per
//! diagnostic with its physical location. Results are serialised straight from the diagnostics.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};

use crate::diagnostic::Severity;
use crate::fsutil::display_exact;
use crate::validate::{FileReport, RULES};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A relative URI reference for a path: unreserved characters and `/` as they are, the rest
/// percent-encoded (SARIF's `artifactLocation.uri` must be a valid URI).
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One result, serialised as it is produced (no tree of every result is built).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    level: &'static str,
    message: Text<'a>,
    locations: [Location<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties<'a>>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: Physical<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Artifact<'a> {
    uri: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
}

#[derive(Serialize)]
struct Properties<'a> {
    pointer: &'a str,
}

/// Every diagnostic of every file as a result.
struct Results<'a>(&'a [FileReport]);

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        for f in self.0 {
            let uri = uri_reference(&display_exact(&f.path).replace('\\', "/"));
            for d in &f.diagnostics {
                seq.serialize_element(&SarifResult {
                    rule_id: d.code,
                    level: level(d.severity),
                    message: Text { text: &d.message },
                    locations: [Location {
                        physical_location: Physical {
                            artifact_location: Artifact { uri: &uri },
                            region: d.line.map(|l| Region {
                                start_line: l,
                                start_column: d.column,
                            }),
                        },
                    }],
                    rule_index: RULES.iter().position(|r| r.code == d.code),
                    properties: d.pointer.as_deref().map(|pointer| Properties { pointer }),
                })?;
            }
        }
        seq.end()
    }
}

pub(super) fn write(files: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.docs},
                "help": {"text": r.docs},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    #[derive(Serialize)]
    struct Run<'a> {
        tool: Value,
        results: Results<'a>,
    }
    #[derive(Serialize)]
    struct Log<'a> {
        #[serde(rename = "$schema")]
        schema: &'static str,
        version: &'static str,
        runs: [Run<'a>; 1],
    }
    let doc = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": "meterctl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/meterctl/meterctl",
                "rules": rules,
            }}),
            results: Results(files),
        }],
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri_reference("meters/a b,c:é.yaml"),
            "meters/a%20b%2Cc%3A%C3%A9.yaml"
        );
    }

    #[test]
    fn results_point_at_rules_and_regions() {
        let (files, _) = reports();
        let mut out = Vec::new();
        write(&files, &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["ruleId"], "MC0104");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 3, "startColumn": 9})
        );
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(v["runs"][0]["tool"]["driver"]["rules"][idx]["id"], "MC0104");
        assert_eq!(
            r["properties"]["pointer"],
            "/versions/0/tasks/1/predecessors/0/id"
        );
        // Byte for byte what pretty-printing the same tree gives (keys in this order).
        let mut tree = Vec::new();
        serde_json::to_writer_pretty(&mut tree, &v).unwrap();
        tree.push(b'\n');
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(tree).unwrap()
        );
        let mut none = Vec::new();
        write(&[], &mut none).unwrap();
        let v: Value = serde_json::from_slice(&none).unwrap();
        assert_eq!(v["runs"][0]["results"], json!([]));
    }
}
