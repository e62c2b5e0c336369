//! A `serde_json::Value` deserializer that refuses what would silently lose data: a key that
//! appears twice in one object (JSON and YAML keep the last one, hiding the first), and YAML's
//! non-finite floats (`.nan`, `.inf`), which JSON cannot hold (serde_json would turn them into
//! `null`). Otherwise it builds exactly what `serde_json::Value`'s own deserializer builds. JSON
//! is read through it, with the nesting limit [`crate::yaml::MAX_DEPTH`]; YAML is read by [`crate::yaml`], which refuses the same things (the tests
//! below hold both to it).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Deserializes one value strictly.
pub struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor { depth: 0 })
    }
}

/// A value inside `depth` arrays and objects.
struct Nested(usize);

impl<'de> DeserializeSeed<'de> for Nested {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor { depth: self.0 })
    }
}

struct StrictVisitor {
    /// How many arrays and objects hold the value being read.
    depth: usize,
}

impl StrictVisitor {
    /// The depth inside a new array or object, refused beyond [`crate::yaml::MAX_DEPTH`].
    fn enter<E: de::Error>(&self) -> Result<usize, E> {
        let depth = self.depth + 1;
        if depth > crate::yaml::MAX_DEPTH {
            return Err(E::custom(crate::yaml::too_deep()));
        }
        Ok(depth)
    }
}

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
        Nested(self.depth).deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(Nested(depth))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Checked before the value is read, so the error points at the repeated key.
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}` in one object; keep one of them (the file would silently lose the other)"
                )));
            }
            let value = map.next_value_seed(Nested(depth))?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Checks every number of a JSON text (already parsed, so valid) against
/// [`crate::yaml::number_changes`]: the 1-based line and column and the reason of the first one
/// that reading would change (`-0`, `1e-400`, an integer beyond 64 bits, …). The parsed value
/// cannot tell: these all arrive as plausible floats.
pub fn check_numbers(text: &str) -> Result<(), (usize, usize, String)> {
    let b = text.as_bytes();
    let (mut i, mut line, mut line_start) = (0, 1, 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'\n' => {
                i += 1;
                line += 1;
                line_start = i;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let token = &text[start..i];
                if let Some(why) = crate::yaml::number_changes(token) {
                    let column = text[line_start..start].chars().count() + 1;
                    return Err((line, column, why));
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
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
    fn nesting_beyond_the_limit_is_refused_in_both_formats() {
        let max = crate::yaml::MAX_DEPTH;
        let json_at = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let yaml_at = |n: usize| format!("a: {}1{}\n", "{a: ".repeat(n - 1), "}".repeat(n - 1));
        assert!(json(&json_at(max)).is_ok());
        assert!(yaml(&yaml_at(max)).is_ok());
        let e = json(&json_at(max + 1)).unwrap_err();
        assert!(e.to_string().contains("deeper than 100 levels"), "{e}");
        // At the bracket that is one too many (serde_json reports the character after it).
        assert!((max + 1..=max + 2).contains(&e.column()), "{e}");
        let e = yaml(&yaml_at(max + 1)).unwrap_err();
        assert!(e.message.contains("deeper than 100 levels"), "{e}");
        assert_eq!((e.line, e.column), (1, 4 + 4 * (max - 1)));
        // Block lists nest two characters a level: 250,000 levels in 500 KB overflowed the stack.
        let e = yaml(&format!("m:\n  {}x\n", "- ".repeat(250_000))).unwrap_err();
        assert!(e.message.contains("deeper than 100 levels"), "{e}");
    }

    #[test]
    fn numbers_reading_would_change_have_a_location() {
        let text = "{\"a\": \"-0 1e-400\", \"b\": [1.5, 0, -0.0],\n  \"c\": -0}";
        assert!(json(text).is_ok());
        let (line, column, why) = check_numbers(text).unwrap_err();
        assert_eq!((line, column), (2, 8));
        assert!(why.contains("negative zero"), "{why}");
        let (line, column, why) = check_numbers("{\"é\": 1e-400}").unwrap_err();
        assert_eq!((line, column), (1, 7));
        assert!(why.contains("read as 0"), "{why}");
        assert!(check_numbers("{\"a\": \"\\\"-0\", \"b\": 12345678901234567890}").is_ok());
        assert!(check_numbers("[123456789012345678901]")
            .unwrap_err()
            .2
            .contains("64 bits"));
        let e = yaml("a: [1,\n  -0]\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(yaml("b: 1e-400\n")
            .unwrap_err()
            .message
            .contains("read as 0"));
    }

    #[test]
    fn non_finite_yaml_floats_are_errors() {
        let e = yaml("x: .nan\n").unwrap_err();
        assert!(e.to_string().contains("no JSON form"), "{e}");
        assert!(yaml("x: .inf\n").is_err());
        assert_eq!(yaml("x: 1.5\n").unwrap()["x"], 1.5);
    }
}
