//! SARIF 2.1.0 for GitHub code scanning: every rule in `tool.driver.rules`, one result per
//! diagnostic with its physical location.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::diagnostic::Severity;
use crate::fsutil::display;
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
    let mut results = Vec::new();
    for f in files {
        let uri = uri_reference(&display(&f.path).replace('\\', "/"));
        for d in &f.diagnostics {
            let mut physical = json!({"artifactLocation": {"uri": uri}});
            if let Some(l) = d.line {
                let mut region = json!({"startLine": l});
                if let Some(c) = d.column {
                    region["startColumn"] = json!(c);
                }
                physical["region"] = region;
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": {"text": d.message},
                "locations": [{"physicalLocation": physical}],
            });
            if let Some(i) = RULES.iter().position(|r| r.code == d.code) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(p) = &d.pointer {
                result["properties"] = json!({"pointer": p});
            }
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "meterctl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/meterctl/meterctl",
                "rules": rules,
            }},
            "results": results,
        }],
    });
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
    }
}
