//! Reading a date value with a Java pattern compiled by [`crate::model::date_pattern`]. The
//! simulator supports the letters dates in events use: `y` (`yy` → 20yy), `M` (digits, `MMM`
//! short and `MMMM` full English names), `d`, `H`, `k`, `h`/`K` with `a`, `m`, `s`, `S`
//! (fraction), `E` (a day name, skipped), and zones `X`/`Z`/`XXX` (`Z`, `+0100`, `+01:00`),
//! plus `epoch_ms` and `epoch_s`. Any other letter (`w`, `D`, `z`, …) is refused by name. Without
//! a zone the time is UTC.

use crate::clock;
use crate::model::date_pattern::{self, DatePattern, Piece};

/// The letters [`Reader`] reads.
pub(super) const SUPPORTED: &str = "y M d H k h K a m s S E X Z";

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A compiled pattern the simulator can apply.
#[derive(Debug, Clone)]
pub(super) struct Reader {
    pattern: DatePattern,
}

impl Reader {
    /// Compiles `pattern`; `Err` says why it cannot be applied.
    pub(super) fn new(pattern: &str) -> Result<Reader, String> {
        let compiled = date_pattern::parse(pattern).map_err(|e| format!("\"{pattern}\": {e}"))?;
        if let DatePattern::Pattern(pieces) = &compiled {
            for p in pieces {
                if let Piece::Field(c, _) = p {
                    if !"yMdHkhKamsSEXZ".contains(*c) {
                        return Err(format!(
                            "\"{pattern}\" uses the letter '{c}', which the simulator does not read yet (it reads {SUPPORTED})"
                        ));
                    }
                }
            }
        }
        Ok(Reader { pattern: compiled })
    }

    /// Epoch milliseconds of a value, or why it does not match.
    pub(super) fn read(&self, value: &str) -> Result<i64, String> {
        let bad = || format!("\"{value}\" does not match the date format");
        let pieces = match &self.pattern {
            DatePattern::EpochMillis => return value.trim().parse().map_err(|_| bad()),
            DatePattern::EpochSeconds => {
                return value
                    .trim()
                    .parse::<f64>()
                    .map(|s| (s * 1000.0).round() as i64)
                    .map_err(|_| bad())
            }
            DatePattern::Pattern(p) => p,
        };
        let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut ms) = (1970i64, 1, 1, 0, 0, 0, 0);
        let mut pm: Option<bool> = None;
        let mut twelve = false;
        let mut offset_min = 0i64;
        let mut rest = value;
        for (k, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Literal(lit) => rest = rest.strip_prefix(lit.as_str()).ok_or_else(bad)?,
                Piece::Field(c, n) => {
                    let fixed = matches!(pieces.get(k + 1), Some(Piece::Field(..)));
                    match c {
                        'M' if *n >= 3 => {
                            let lower = rest.to_ascii_lowercase();
                            let (i, len) = MONTHS
                                .iter()
                                .enumerate()
                                .find_map(|(i, m)| {
                                    if lower.starts_with(m) {
                                        Some((i, m.len()))
                                    } else if lower.starts_with(&m[..3]) {
                                        Some((i, 3))
                                    } else {
                                        None
                                    }
                                })
                                .ok_or_else(bad)?;
                            mo = i as i64 + 1;
                            rest = &rest[len..];
                        }
                        'E' => {
                            let len = rest
                                .find(|ch: char| !ch.is_ascii_alphabetic())
                                .unwrap_or(rest.len());
                            rest = &rest[len..];
                        }
                        'a' => {
                            let upper = rest.get(..2).map(str::to_ascii_uppercase);
                            pm = Some(match upper.as_deref() {
                                Some("AM") => false,
                                Some("PM") => true,
                                _ => return Err(bad()),
                            });
                            rest = &rest[2..];
                        }
                        'X' | 'Z' => {
                            if let Some(r) = rest.strip_prefix('Z') {
                                rest = r;
                                continue;
                            }
                            let sign = match rest.as_bytes().first() {
                                Some(b'+') => 1,
                                Some(b'-') => -1,
                                _ => return Err(bad()),
                            };
                            let body = &rest[1..];
                            let (hh, mm, used) = if body.get(2..3) == Some(":") {
                                (body.get(..2), body.get(3..5), 5)
                            } else if body.len() >= 4
                                && body.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                            {
                                (body.get(..2), body.get(2..4), 4)
                            } else {
                                (body.get(..2), Some("00"), 2)
                            };
                            let num = |t: Option<&str>| t.and_then(|t| t.parse::<i64>().ok());
                            offset_min =
                                sign * (num(hh).ok_or_else(bad)? * 60 + num(mm).ok_or_else(bad)?);
                            rest = &rest[1 + used..];
                        }
                        _ => {
                            let max = if fixed { *n } else { 9 };
                            let len = rest
                                .bytes()
                                .take(max)
                                .take_while(u8::is_ascii_digit)
                                .count();
                            if len == 0 {
                                return Err(bad());
                            }
                            let digits = &rest[..len];
                            let v: i64 = digits.parse().map_err(|_| bad())?;
                            rest = &rest[len..];
                            match c {
                                'y' if *n == 2 && len == 2 => y = 2000 + v,
                                'y' => y = v,
                                'M' => mo = v,
                                'd' => d = v,
                                'H' => h = v,
                                'k' => h = v % 24,
                                'h' | 'K' => {
                                    h = v % 12;
                                    twelve = true;
                                }
                                'm' => mi = v,
                                's' => s = v,
                                // Fraction: the digits are milliseconds in Java (`SSS`).
                                _ => {
                                    ms = if len <= 3 {
                                        v
                                    } else {
                                        digits[..3].parse().unwrap_or(0)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        if twelve && pm == Some(true) {
            h += 12;
        }
        // The ranges `clock::parse_time` accepts for an ISO date-time (a day past the month's
        // end rolls over, as there).
        let valid = (0..=9999).contains(&y)
            && (1..=12).contains(&mo)
            && (1..=31).contains(&d)
            && h <= 23
            && mi <= 59
            && s <= 60;
        if !valid {
            return Err(bad());
        }
        let utc =
            clock::days_from_civil(y, mo, d) * 86_400_000 + (h * 3600 + mi * 60 + s) * 1000 + ms;
        Ok(utc - offset_min * 60_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pattern: &str, value: &str) -> Result<String, String> {
        Reader::new(pattern)?.read(value).map(clock::format_ms)
    }

    #[test]
    fn common_patterns_read_to_utc() {
        let cases = [
            (
                "yyyy-MM-dd'T'HH:mm:ss",
                "2026-01-05T09:12:44",
                "2026-01-05T09:12:44.000+0000",
            ),
            (
                "yyyy-MM-dd HH:mm:ss.SSS",
                "2026-01-05 09:12:44.5",
                "2026-01-05T09:12:44.005+0000",
            ),
            (
                "yyyy-MM-dd'T'HH:mm:ssXXX",
                "2026-01-05T09:12:44+01:00",
                "2026-01-05T08:12:44.000+0000",
            ),
            (
                "yyyy-MM-dd'T'HH:mm:ssZ",
                "2026-01-05T09:12:44-0130",
                "2026-01-05T10:42:44.000+0000",
            ),
            (
                "yyyyMMddHHmmss",
                "20260105091244",
                "2026-01-05T09:12:44.000+0000",
            ),
            (
                "MM/dd/yyyy hh:mm a",
                "01/05/2026 09:12 PM",
                "2026-01-05T21:12:00.000+0000",
            ),
            ("dd MMM yyyy", "5 Jan 2026", "2026-01-05T00:00:00.000+0000"),
            (
                "EEE, d MMMM yy",
                "Mon, 5 January 26",
                "2026-01-05T00:00:00.000+0000",
            ),
            ("epoch_ms", "1767604364000", "2026-01-05T09:12:44.000+0000"),
            ("epoch_s", "1767604364", "2026-01-05T09:12:44.000+0000"),
        ];
        for (pattern, value, want) in cases {
            assert_eq!(read(pattern, value).as_deref(), Ok(want), "{pattern}");
        }
    }

    #[test]
    fn a_mismatch_and_an_unsupported_letter_say_so() {
        assert_eq!(
            read("yyyy-MM-dd", "2026/01/05").unwrap_err(),
            "\"2026/01/05\" does not match the date format"
        );
        assert!(read("yyyy-MM-dd", "2026-13-05").is_err());
        // Out of range as an ISO date-time is, whatever the pattern's field widths.
        for bad in [
            "2026-01-32 00:00:00",
            "2026-01-05 24:00:00",
            "2026-01-05 23:60:00",
        ] {
            assert!(read("yyyy-MM-dd HH:mm:ss", bad).is_err(), "{bad}");
        }
        assert!(read("y-MM-dd", "10000-01-05").is_err());
        assert_eq!(
            read("yyyy-MM-dd HH:mm:ss", "2026-02-30 23:59:60").as_deref(),
            Ok("2026-03-03T00:00:00.000+0000"),
            "a day past the month's end rolls over, as clock::parse_time does"
        );
        assert!(read("yyyy-ww", "2026-01")
            .unwrap_err()
            .contains("letter 'w'"));
    }
}
