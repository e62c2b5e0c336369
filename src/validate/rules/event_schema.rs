//! `schemas[].schema` must itself be a valid JSON Schema (meta-validation).

use serde_json::Value;

use super::{objects, Finding, INVALID_EVENT_SCHEMA};

pub(super) fn invalid_event_schema(value: &Value, out: &mut Vec<Finding>) {
    for (si, s) in objects(value.get("schemas")) {
        let Some(schema) = s.get("schema") else {
            continue;
        };
        if !schema.is_object() && !schema.is_boolean() {
            continue; // the schema check reports the wrong type
        }
        // The meta-schema lookup panics on an undetectable draft; treat that as an error too.
        let result = std::panic::catch_unwind(|| {
            jsonschema::meta::validate(schema).map_err(|e| {
                let e = crate::validate::schema::most_specific(&e);
                (e.instance_path().to_string(), e.to_string())
            })
        });
        let (inner, message) = match result {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e,
            Err(_) => (
                String::new(),
                "its $schema names an unknown meta-schema".to_string(),
            ),
        };
        out.push(Finding::new(
            INVALID_EVENT_SCHEMA.code,
            format!("/schemas/{si}/schema{inner}"),
            format!("event definition schemas[{si}] is not a valid JSON Schema: {message}"),
        ));
    }
}
