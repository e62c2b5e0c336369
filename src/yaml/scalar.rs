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
        if let Some(why) = number_changes(s) {
            return Err(why);
        }
        return Ok(Value::Number(n));
    }
    if is_core_float(s) {
        if let Some(why) = number_changes(s) {
            return Err(why);
        }
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

/// Why reading the number `s` (a JSON number or a YAML core-schema int or float, as written)
/// would change it, if it would: `-0` (an integer has no negative zero; it would be written
/// `0`, or `-0.0` from JSON), a non-zero number that underflows to 0 (`1e-400`), an infinite one
/// (`1e400`), an integer beyond 64 bits (JSON; YAML refuses those itself), and a number with
/// more digits than its 64-bit float holds (`0.1000000000000000000001`: more than 17 significant
/// digits that do not agree with the float's). Exports (Java's `Double.toString`) always pass.
pub fn number_changes(s: &str) -> Option<String> {
    // The usual number: at most 17 digits and no exponent, so a 64-bit integer or a normal float
    // that holds all its digits.
    if s.len() <= 17 && !s.contains(['e', 'E']) && s != "-0" {
        return None;
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let float = body.contains(['.', 'e', 'E']);
    let (digits, exp) = decimal(body)?;
    if digits.is_empty() {
        return (neg && !float).then(|| {
            format!("the number {s} would be read as 0 (an integer has no negative zero); write 0, or -0.0 for a negative zero")
        });
    }
    if !float {
        if s.parse::<i64>().is_ok() || s.parse::<u64>().is_ok() {
            return None;
        }
        return Some(format!(
            "the integer {s} does not fit in 64 bits and would be read as a float; quote it to keep it as a string"
        ));
    }
    let f: f64 = s.parse().ok()?;
    if f == 0.0 {
        return Some(format!(
            "the number {s} is too small for a 64-bit float and would be read as 0; write 0.0 or quote it"
        ));
    }
    if f.is_infinite() {
        return Some(format!(
            "the number {s} is too large for a 64-bit float; quote it to keep it as a string"
        ));
    }
    if digits.len() <= 17 && f.is_normal() {
        return None;
    }
    let same = if digits.len() <= 17 {
        // A subnormal float holds fewer digits: the text may carry more, as long as they round
        // to the float's (`4.9e-324`, Java's smallest double, is `5e-324`; `2.5e-324` is not).
        let shortest = decimal(&format!("{:e}", f.abs()))?;
        round(&digits, exp, shortest.0.len()) == shortest
    } else {
        // More digits than name a float: kept when they agree with it to 17 digits (Java may
        // print 18: `2.82879384806159008E17`), refused when they say more.
        round(&digits, exp, 17) == decimal(&format!("{:.16e}", f.abs()))?
    };
    if same {
        return None;
    }
    Some(format!(
        "the number {s} has more digits than a 64-bit float holds and would be read as {f:e}; write {f:e} or quote it"
    ))
}

/// `digits × 10^exp` rounded (half up) to `n` significant digits, normalized as [`decimal`] does.
fn round(digits: &str, exp: i64, n: usize) -> (String, i64) {
    if digits.len() <= n {
        return (digits.to_string(), exp);
    }
    let mut kept: Vec<u8> = digits.as_bytes()[..n].to_vec();
    let mut exp = exp + (digits.len() - n) as i64;
    if digits.as_bytes()[n] >= b'5' {
        let mut i = n;
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                kept.pop();
                exp += 1;
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    while kept.last() == Some(&b'0') {
        kept.pop();
        exp += 1;
    }
    (String::from_utf8(kept).unwrap_or_default(), exp)
}

/// A decimal number's significant digits (no leading or trailing zeros; empty for zero) and the
/// exponent of its last digit: `12.50e1` is (`125`, 0). `None` when it is not a decimal number.
fn decimal(body: &str) -> Option<(String, i64)> {
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let all = format!("{int}{frac}");
    let trimmed = all.trim_end_matches('0');
    let exp = exp.checked_sub(frac.len() as i64)? + (all.len() - trimmed.len()) as i64;
    let digits = trimmed.trim_start_matches('0').to_string();
    Some((digits, if trimmed.is_empty() { 0 } else { exp }))
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
    fn numbers_that_would_change_are_refused() {
        for s in [
            "-0",
            "1e-400",
            "-1e-400",
            "1e400",
            "0.1000000000000000000000001",
            "2.5e-324",
        ] {
            assert!(number_changes(s).is_some(), "{s}");
        }
        assert_eq!(round("996", 0, 2), ("1".to_string(), 3));
        assert_eq!(round("49", -325, 1), ("5".to_string(), -324));
        assert!(number_changes("-0").unwrap().contains("negative zero"));
        assert!(number_changes("1e-400").unwrap().contains("read as 0"));
        assert!(number_changes("123456789012345678901234567890")
            .unwrap()
            .contains("64 bits"));
        for s in [
            "0",
            "-0.0",
            "-0e0",
            "0.0",
            "1.50",
            "1e3",
            "0.1",
            "0.30000000000000004",
            "2.82879384806159008E17",
            "1e-320",
            "4.9e-324",
            "-9223372036854775808",
            "18446744073709551615",
            "1.7976931348623157e308",
            "0.10000000000000000000000",
            "123456789012345678",
        ] {
            assert_eq!(number_changes(s), None, "{s}");
        }
        assert!(resolve_plain("-0").unwrap_err().contains("negative zero"));
        assert!(resolve_plain("1e-400").unwrap_err().contains("read as 0"));
        // Strings that look like such numbers are quoted when written.
        assert!(ambiguous("-0") && ambiguous("1e-400"));
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
