//! Wall-clock helpers: milliseconds since the epoch, ISO 8601 rendering, and a lenient parser for
//! the time formats Zuora's summary samples use (`2025-10-01T0000+0000`,
//! `2025-11-17T23:59:59+0000`) as well as RFC 3339 (`2025-11-17T23:59:59Z`) and plain dates.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-01-31T12:00:00.000+0000`, Zuora's usual rendering.
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let s = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        ms.rem_euclid(1000)
    )
}

/// Parses a date or date-time into epoch milliseconds; `None` when it is not one.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    let mut rest = &s[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    // Time: HH:MM[:SS[.fff]] or HHMM[SS].
    let digits_and_colons = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (time, zone) = rest.split_at(digits_and_colons);
    let (time, frac) = time.split_once('.').unwrap_or((time, ""));
    let compact: String = time.chars().filter(|c| *c != ':').collect();
    if !(compact.len() == 4 || compact.len() == 6) {
        return None;
    }
    let h: i64 = compact[0..2].parse().ok()?;
    let mi: i64 = compact[2..4].parse().ok()?;
    let sec: i64 = if compact.len() == 6 {
        compact[4..6].parse().ok()?
    } else {
        0
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + sec) * 1000;
    if !frac.is_empty() {
        let f: String = frac.chars().chain("000".chars()).take(3).collect();
        ms += f.parse::<i64>().ok()?;
    }
    let offset_min = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = match z.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            sign * (digits[0..2].parse::<i64>().ok()? * 60 + digits[2..4].parse::<i64>().ok()?)
        }
    };
    Some(ms - offset_min * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zuora_samples_and_rfc3339() {
        let a = parse_time("2025-10-01T0000+0000").unwrap();
        assert_eq!(format_ms(a), "2025-10-01T00:00:00.000+0000");
        let b = parse_time("2025-11-17T23:59:59+0000").unwrap();
        assert_eq!(parse_time("2025-11-17T23:59:59Z"), Some(b));
        assert_eq!(parse_time("2025-11-18T01:59:59+02:00"), Some(b));
        assert_eq!(parse_time("2025-11-17"), Some(b - b % 86_400_000));
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2025-13-01"), None);
    }
}
