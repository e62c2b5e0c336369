//! What a plain (unquoted) scalar means: YAML 1.2's core schema when reading, and, when writing,
//! whether a string could be read as anything but that string by meterctl or by a YAML 1.1 tool.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Number, Value};

/// A plain scalar resolved: a value, or why it has no JSON form.
pub(super) fn resolve_plain(s: &str) -> Result<Value, String> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let Some(&first) = s.as_bytes().first() else {
        return Ok(Value::Null);
    };
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Ok(Value::String(s.to_string()));
    }
    let digits = s.trim_start_matches(['-', '+']);
    if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        // `017`: YAML 1.1 reads octal, YAML 1.2 decimal; kept as the string it was written as.
        return Ok(Value::String(s.to_string()));
    }
    if let Some(n) = integer(s)? {
        return Ok(Value::Number(n));
    }
    if is_core_float(s) {
        let f: f64 = s
            .parse()
            .map_err(|_| format!("the number {s} cannot be read"))?;
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| non_finite(s));
    }
    let body = s.trim_start_matches(['-', '+']);
    if matches!(body, ".inf" | ".Inf" | ".INF")
        || (s == body && matches!(s, ".nan" | ".NaN" | ".NAN"))
    {
        return Err(non_finite(s));
    }
    Ok(Value::String(s.to_string()))
}

fn non_finite(s: &str) -> String {
    format!("the number {s} (a non-finite float such as .nan or .inf) has no JSON form; write it as a string or a finite number")
}

/// An integer: decimal (no leading zeros), `0x`, `0o`, `0b`. `Err` when it does not fit 64 bits.
fn integer(s: &str) -> Result<Option<Number>, String> {
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Ok(None);
    }
    let out_of_range =
        || format!("the integer {s} does not fit in 64 bits; quote it to keep it as a string");
    let magnitude = u128::from_str_radix(digits, radix).map_err(|_| out_of_range())?;
    if neg {
        let v = i128::try_from(magnitude).map_err(|_| out_of_range())?;
        i64::try_from(-v)
            .map(|i| Some(Number::from(i)))
            .map_err(|_| out_of_range())
    } else {
        u64::try_from(magnitude)
            .map(|u| Some(Number::from(u)))
            .map_err(|_| out_of_range())
    }
}

/// YAML 1.2 core float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_core_float(s: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$").unwrap()
    });
    RE.is_match(s)
}

/// Plain scalars that YAML 1.1 tools (PyYAML's resolver, yq v3, Ruby's Psych) read as something
/// other than a string: booleans (with `y`/`n`), YAML 1.1 integers and floats (underscores,
/// sexagesimal `12:30`, octal `017`, binary), timestamps, null, the merge key and `=`.
static YAML11: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:",
        r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        r"|~|null|Null|NULL|<<|=",
        r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
        r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
        r"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?",
        r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?",
        r")$"
    ))
    .unwrap()
});

/// A string written plain would be read back as something else (by meterctl or a YAML 1.1
/// tool).
pub(super) fn ambiguous(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return true;
    };
    let maybe = first.is_ascii_digit()
        || matches!(first, b'-' | b'+' | b'.' | b'~' | b'<' | b'=')
        || (s.len() <= 5 && s.bytes().all(|b| b.is_ascii_alphabetic()));
    if !maybe {
        return false;
    }
    !matches!(resolve_plain(s), Ok(Value::String(_))) || YAML11.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_schema() {
        let cases = [
            ("~", json!(null)),
            ("", json!(null)),
            ("NULL", json!(null)),
            ("True", json!(true)),
            ("tRue", json!("tRue")),
            ("yes", json!("yes")),
            ("12", json!(12)),
            ("-0", json!(0)),
            ("+1", json!(1)),
            ("0x1F", json!(31)),
            ("0o17", json!(15)),
            ("0b101", json!(5)),
            ("017", json!("017")),
            ("1_000", json!("1_000")),
            ("1.5", json!(1.5)),
            ("1.", json!(1.0)),
            (".5", json!(0.5)),
            ("1e3", json!(1000.0)),
            ("1.0e+3", json!(1000.0)),
            ("0.0.1", json!("0.0.1")),
            ("2026-01-01", json!("2026-01-01")),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("0x", json!("0x")),
            ("-", json!("-")),
            ("..", json!("..")),
        ];
        for (s, want) in cases {
            assert_eq!(resolve_plain(s).unwrap(), want, "{s}");
        }
        assert!(resolve_plain("12").unwrap().is_u64());
        assert!(resolve_plain("12.0").unwrap().is_f64());
    }

    #[test]
    fn refusals() {
        for s in [".nan", ".inf", "-.Inf", "+.INF", ".NaN"] {
            assert!(
                resolve_plain(s).unwrap_err().contains("no JSON form"),
                "{s}"
            );
        }
        for s in [
            "18446744073709551616",
            "-9223372036854775809",
            "0xFFFFFFFFFFFFFFFFF",
        ] {
            assert!(resolve_plain(s).unwrap_err().contains("64 bits"), "{s}");
        }
    }

    #[test]
    fn yaml11_lookalikes_are_ambiguous() {
        for s in [
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "N",
            "true",
            "null",
            "~",
            "",
            "1_000",
            "0o17",
            "017",
            ".5",
            "1e3",
            "12:30",
            "1:20:30",
            "190:20:30.5",
            "2026-01-01",
            "2026-1-1 10:00:00",
            "0b101",
            "0x1F",
            "<<",
            "=",
            "-1",
            "+1",
            "1_0.5",
            ".inf",
            ".NaN",
            "1.",
            "-.5",
        ] {
            assert!(ambiguous(s), "{s}");
        }
        for s in [
            "0.0.1",
            "x",
            "yess",
            "1e",
            "0x",
            "12:30x",
            "name",
            "CUSTOM",
            "2026-01-01x",
            "-x",
            "a:b",
            "Y2",
            "..",
            "<",
            "nope",
        ] {
            assert!(!ambiguous(s), "{s}");
        }
    }
}
