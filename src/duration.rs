//! Durations as users write them on flags: a number and a unit (`500ms`, `30s`, `2m`, `1h`), so a
//! value never means seconds to one reader and milliseconds to another.

use std::time::Duration;

/// Parses `500ms`, `30s`, `1.5s`, `2m`, `1h`; a bare number is refused.
pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{s:?} has no unit: write it like 500ms, 30s, 2m or 1h"))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: write it like 500ms, 30s, 2m or 1h"))?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n * 1e3,
        "m" | "min" => n * 60e3,
        "h" => n * 3600e3,
        u => {
            return Err(format!(
                "unknown unit {u:?} in {s:?}: use ms, s, m or h (500ms, 30s, 2m, 1h)"
            ))
        }
    };
    if !ms.is_finite() || !(0.0..=1e12).contains(&ms) {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(Duration::from_micros((ms * 1e3).round() as u64))
}

/// Renders a duration with the largest unit that keeps it exact enough: `1h`, `2m`, `30s`,
/// `1.5s`, `500ms`.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms >= 1000 {
        let s = d.as_secs_f64();
        let t = format!("{s:.1}");
        format!("{}s", t.trim_end_matches(".0"))
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse("30").unwrap_err().contains("no unit"));
        assert!(parse("3d").is_err());
        assert_eq!(format(Duration::from_secs(3600)), "1h");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format(Duration::from_millis(200)), "200ms");
        assert_eq!(format(Duration::from_secs(60)), "1m");
    }
}
