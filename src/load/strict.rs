//! A `serde_json::Value` deserializer that refuses what would silently lose data: a key that
//! appears twice in one object (JSON and YAML keep the last one, hiding the first), and YAML's
//! non-finite floats (`.nan`, `.inf`), which JSON cannot hold (serde_json would turn them into
//! `null`). Otherwise it builds exactly what `serde_json::Value`'s own deserializer builds. JSON
//! is read through it; YAML is read by [`crate::yaml`], which refuses the same things (the tests
//! below hold both to it).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Deserializes one value strictly.
pub struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(i) => Ok(Value::Number(i.into())),
            Err(_) => u64::try_from(v)
                .map(|u| Value::Number(u.into()))
                .or_else(|_| self.visit_f64(v as f64)),
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(u) => Ok(Value::Number(u.into())),
            Err(_) => self.visit_f64(v as f64),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            E::custom(format!(
                "the number {v} (a non-finite float such as .nan or .inf) has no JSON form; write it as a string or a finite number"
            ))
        })
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Checked before the value is read, so the error points at the repeated key.
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}` in one object; keep one of them (the file would silently lose the other)"
                )));
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Result<Value, serde_json::Error> {
        let mut d = serde_json::Deserializer::from_str(s);
        let v = StrictValue.deserialize(&mut d)?;
        d.end()?;
        Ok(v)
    }

    fn yaml(s: &str) -> Result<Value, crate::yaml::Error> {
        crate::yaml::parse_value(s)
    }

    #[test]
    fn same_values_as_serde_json() {
        let text = r#"{"b": [1, -2, 1.5, 18446744073709551615, null, true, "s"], "a": {}}"#;
        assert_eq!(
            json(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        let keys: Vec<_> = json(text)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_location() {
        let e = json("{\n  \"id\": \"a\",\n  \"id\": \"b\"\n}").unwrap_err();
        assert!(e.to_string().contains("duplicate key `id`"), "{e}");
        assert_eq!(e.line(), 3);
        let e = yaml("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert!(e.to_string().contains("duplicate key `c`"), "{e}");
    }

    #[test]
    fn non_finite_yaml_floats_are_errors() {
        let e = yaml("x: .nan\n").unwrap_err();
        assert!(e.to_string().contains("no JSON form"), "{e}");
        assert!(yaml("x: .inf\n").is_err());
        assert_eq!(yaml("x: 1.5\n").unwrap()["x"], 1.5);
    }
}
