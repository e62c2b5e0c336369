//! The canonical form of a definition: one fixed, logical key order and one layout per format.
//!
//! Known keys come first in the order below (the same order the typed model serializes in),
//! unknown keys follow in their original order; nothing else changes, so canonicalising is
//! lossless by construction. JSON is written with 2-space indentation; YAML with 2-space
//! indentation and multi-line strings (scripts, queries) as literal block scalars (`|`) where YAML
//! allows it ([`crate::yaml`] writes it, comments included). Both end with exactly one newline. The ordering works on any object, even one that
//! is not a valid meter, so `fmt` can format files that `validate` would reject.

use serde_json::{Map, Value};

use crate::load::Format;
use crate::model::keys::order::{
    FIELD_MAPPING, PREDECESSOR, SCHEMA, TASK, TOP, TYPE_DEFINITION, VERSION,
};
use crate::model::keys::{FIELD_MAPPINGS, PREDECESSORS, SCHEMAS, TASKS, VERSIONS};

/// Reorders the keys of a definition in place into canonical order.
pub fn canonicalize(value: &mut Value) {
    let Some(top) = value.as_object_mut() else {
        return;
    };
    reorder(top, TOP);
    if let Some(td) = top
        .get_mut(crate::model::keys::TYPE_DEFINITION)
        .and_then(Value::as_object_mut)
    {
        reorder(td, TYPE_DEFINITION);
        for_each_object(td.get_mut(FIELD_MAPPINGS), |m| reorder(m, FIELD_MAPPING));
    }
    for_each_object(top.get_mut(VERSIONS), |v| {
        reorder(v, VERSION);
        for_each_object(v.get_mut(TASKS), |t| {
            reorder(t, TASK);
            for_each_object(t.get_mut(PREDECESSORS), |p| reorder(p, PREDECESSOR));
        });
    });
    for_each_object(top.get_mut(SCHEMAS), |s| reorder(s, SCHEMA));
}

fn for_each_object(list: Option<&mut Value>, mut f: impl FnMut(&mut Map<String, Value>)) {
    if let Some(items) = list.and_then(Value::as_array_mut) {
        items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(&mut f);
    }
}

fn reorder(map: &mut Map<String, Value>, order: &[&str]) {
    let in_order = {
        let mut rank = map
            .keys()
            .map(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
        let mut prev = 0;
        rank.all(|r| {
            let ok = r >= prev;
            prev = r;
            ok
        })
    };
    if in_order {
        return;
    }
    let mut old = std::mem::take(map);
    for key in order {
        if let Some((k, v)) = old.shift_remove_entry(*key) {
            map.insert(k, v);
        }
    }
    map.extend(old);
}

/// Writes a value (already canonicalized) as text in a format, ending with one newline.
pub fn to_text(value: &Value, format: Format) -> String {
    let mut out = match format {
        Format::Json => serde_json::to_string_pretty(value).expect("JSON values always serialize"),
        Format::Yaml => crate::yaml::to_string(value, &crate::yaml::Comments::default()),
    };
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

/// Canonicalizes a copy of a document's value and renders it in `format`; YAML keeps the
/// document's comments, each beside the node it annotates wherever canonical order moves it.
pub fn document_string(doc: &crate::load::Document, format: Format) -> String {
    let mut v = doc.value.clone();
    canonicalize(&mut v);
    match format {
        Format::Yaml => crate::yaml::to_string(&v, &doc.comments),
        Format::Json => to_text(&v, format),
    }
}

/// Canonicalizes a copy of `value` and renders it.
pub fn to_canonical_string(value: &Value, format: Format) -> String {
    let mut v = value.clone();
    canonicalize(&mut v);
    to_text(&v, format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Meter;
    use serde_json::json;

    fn messy() -> Value {
        json!({
            "zz": 1, "versions": [{"tasks": [{"metadata": {"rules": [], "ruleCombiner": "and"}, "zt": 0, PREDECESSORS: [{"x": 1, "id": "a"}],
                "internalName": null, "uniqueName": "a", "operatorType": "FILTER", "name": "n", "id": "i", "setting": {}}], "version": "0.0.1"}],
            "schemas": [{"schema": {}, "name": "s"}], "name": "M",
            "typeDefinition": {"fieldMappings": [{"dateFormat": null, "name": "accountNumber"}], "sourceType": "ZUORA_BULK_API"},
            "globalId": "g"
        })
    }

    #[test]
    fn known_first_unknown_after_in_original_order() {
        let mut v = messy();
        canonicalize(&mut v);
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&v),
            [
                "globalId",
                "name",
                "typeDefinition",
                "versions",
                "schemas",
                "zz"
            ]
        );
        let task = &v["versions"][0]["tasks"][0];
        assert_eq!(
            keys(task),
            [
                "id",
                "name",
                "uniqueName",
                "internalName",
                "operatorType",
                "metadata",
                PREDECESSORS,
                "setting",
                "zt"
            ]
        );
        assert_eq!(
            keys(&task["metadata"]),
            ["rules", "ruleCombiner"],
            "open objects keep their order"
        );
        assert_eq!(keys(&task[PREDECESSORS][0]), ["id", "x"]);
        assert_eq!(
            keys(&v["typeDefinition"]["fieldMappings"][0]),
            ["name", "dateFormat"]
        );
        assert_eq!(v, messy(), "only order changes");
    }

    #[test]
    fn model_serializes_in_canonical_order() {
        let mut v = messy();
        canonicalize(&mut v);
        let m = Meter::from_value(&v).unwrap();
        assert_eq!(
            to_text(&m.to_value(), Format::Json),
            to_text(&v, Format::Json)
        );
    }

    #[test]
    fn yaml_uses_block_scalars_and_is_idempotent() {
        let v = json!({"name": "x", "code": "a\nb\n"});
        let y = to_canonical_string(&v, Format::Yaml);
        assert_eq!(y, "name: x\ncode: |\n  a\n  b\n");
        let back: Value = crate::yaml::parse_value(&y).unwrap();
        assert_eq!(to_canonical_string(&back, Format::Yaml), y);
        let j = to_canonical_string(&v, Format::Json);
        assert!(j.ends_with("}\n") && j.contains("\n  \"name\": \"x\""));
    }
}
