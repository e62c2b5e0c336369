//! Java `SimpleDateFormat` patterns, the way Zuora reads `dateFormat`, `eventTimeFormat` and an
//! event definition's `timeFormat`: the pattern letters of `java.text.SimpleDateFormat`, quoted
//! literal text (`'T'`, `''` for a quote), any other character as a literal, plus Zuora's two
//! tokens `epoch_ms` and `epoch_s`. Parsing is what Java does when it compiles a pattern, so a
//! pattern this module accepts is one Zuora accepts, and the errors say why one is refused.

use std::fmt;

/// The pattern letters `SimpleDateFormat` knows.
pub const PATTERN_LETTERS: &str = "GyYMLwWDdFEuaHkKhmsSzZX";

/// Zuora's tokens for Unix timestamps (milliseconds, seconds) instead of a pattern.
pub const EPOCH_TOKENS: &[&str] = &["epoch_ms", "epoch_s"];

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A run of one pattern letter, e.g. `yyyy` → (`y`, 4).
    Field(char, usize),
    /// Literal text (quoted or not).
    Literal(String),
}

/// A compiled date pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePattern {
    /// `epoch_ms`: milliseconds since 1970-01-01T00:00:00Z.
    EpochMillis,
    /// `epoch_s`: seconds since 1970-01-01T00:00:00Z.
    EpochSeconds,
    /// A `SimpleDateFormat` pattern.
    Pattern(Vec<Piece>),
}

/// Why a pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// The pattern is empty (or only spaces).
    Empty,
    /// An ASCII letter that is not a pattern letter, outside quotes (Java: "Illegal pattern character").
    IllegalLetter {
        /// The letter.
        letter: char,
        /// Its character offset in the pattern.
        offset: usize,
    },
    /// A `'` opens literal text that never closes (Java: "Unterminated quote").
    UnterminatedQuote {
        /// Character offset of the opening quote.
        offset: usize,
    },
    /// The pattern has no date or time field at all (only literal text).
    NoField,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Empty => f.write_str("the pattern is empty"),
            PatternError::IllegalLetter { letter, offset } => write!(
                f,
                "illegal pattern character '{letter}' at position {}; quote literal text ('T'), or use one of the letters {PATTERN_LETTERS}",
                offset + 1
            ),
            PatternError::UnterminatedQuote { offset } => write!(
                f,
                "unterminated quote at position {}; close the literal text with ' (write '' for a quote)",
                offset + 1
            ),
            PatternError::NoField => f.write_str(
                "the pattern has no date or time letter (y, M, d, H, m, s, ...); literal text alone reads no date",
            ),
        }
    }
}

impl std::error::Error for PatternError {}

/// Compiles a pattern as Zuora reads it.
pub fn parse(pattern: &str) -> Result<DatePattern, PatternError> {
    match pattern {
        "epoch_ms" => return Ok(DatePattern::EpochMillis),
        "epoch_s" => return Ok(DatePattern::EpochSeconds),
        _ => {}
    }
    if pattern.trim().is_empty() {
        return Err(PatternError::Empty);
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                literal.push('\'');
                i += 2;
                continue;
            }
            let open = i;
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(PatternError::UnterminatedQuote { offset: open }),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        literal.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        literal.push(ch);
                        i += 1;
                    }
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !PATTERN_LETTERS.contains(c) {
                return Err(PatternError::IllegalLetter {
                    letter: c,
                    offset: i,
                });
            }
            if !literal.is_empty() {
                pieces.push(Piece::Literal(std::mem::take(&mut literal)));
            }
            let start = i;
            while chars.get(i) == Some(&c) {
                i += 1;
            }
            pieces.push(Piece::Field(c, i - start));
        } else {
            literal.push(c);
            i += 1;
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    if !pieces.iter().any(|p| matches!(p, Piece::Field(..))) {
        return Err(PatternError::NoField);
    }
    Ok(DatePattern::Pattern(pieces))
}

/// Whether Zuora accepts the pattern.
pub fn is_valid(pattern: &str) -> bool {
    check(pattern).is_ok()
}

/// Checks a pattern the way [`parse`] does, without building it (no allocation): validation runs
/// this on every date pattern of every file, and only needs the verdict and the reason.
pub fn check(pattern: &str) -> Result<(), PatternError> {
    if EPOCH_TOKENS.contains(&pattern) {
        return Ok(());
    }
    if pattern.trim().is_empty() {
        return Err(PatternError::Empty);
    }
    let mut chars = pattern.chars().enumerate().peekable();
    let mut field = false;
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.next_if(|(_, n)| *n == '\'').is_some() {
                continue; // '' is a quote
            }
            loop {
                match chars.next() {
                    None => return Err(PatternError::UnterminatedQuote { offset: i }),
                    Some((_, '\'')) => {
                        if chars.next_if(|(_, n)| *n == '\'').is_none() {
                            break;
                        }
                    }
                    Some(_) => {}
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !PATTERN_LETTERS.contains(c) {
                return Err(PatternError::IllegalLetter {
                    letter: c,
                    offset: i,
                });
            }
            field = true;
        }
    }
    if field {
        Ok(())
    } else {
        Err(PatternError::NoField)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_patterns_zuora_documents() {
        for p in [
            "yyyy-MM-dd'T'HH:mm:ss",
            "yyyy-MM-dd'T'HH:mm:ssZ",
            "yyyy-MM-dd'T'HH:mm:ss'Z'",
            "yyyy-MM-dd HH:mm:ss",
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "EEE, d MMM yyyy HH:mm:ss Z",
            "h:mm a",
            "yyyy.MM.dd G 'at' HH:mm:ss z",
            "hh 'o''clock' a, zzzz",
            "YYYY-'W'ww-u",
            "epoch_ms",
            "epoch_s",
            "dd/MM/yyyy",
        ] {
            assert!(parse(p).is_ok(), "{p}: {:?}", parse(p));
        }
    }

    #[test]
    fn compiles_fields_and_literals() {
        assert_eq!(
            parse("yyyy-MM'T'").unwrap(),
            DatePattern::Pattern(vec![
                Piece::Field('y', 4),
                Piece::Literal("-".into()),
                Piece::Field('M', 2),
                Piece::Literal("T".into()),
            ])
        );
        assert_eq!(parse("epoch_ms").unwrap(), DatePattern::EpochMillis);
    }

    #[test]
    fn check_agrees_with_parse() {
        for p in [
            "yyyy-MM-dd'T'HH:mm:ss",
            "hh 'o''clock' a, zzzz",
            "''yyyy",
            "'it''s' yyyy",
            "yyyy-MM-ddTHH:mm:ss",
            "yyyy-MM-dd'T HH",
            "'a''",
            "",
            "  ",
            "'just text'",
            "epoch_ms",
            "epoch_us",
            "-:/",
            "ééé yyyy",
        ] {
            assert_eq!(check(p), parse(p).map(|_| ()), "{p:?}");
        }
    }

    #[test]
    fn refuses_what_java_refuses() {
        assert_eq!(
            parse("yyyy-MM-ddTHH:mm:ss"),
            Err(PatternError::IllegalLetter {
                letter: 'T',
                offset: 10
            })
        );
        assert_eq!(
            parse("yyyy-MM-dd'T HH"),
            Err(PatternError::UnterminatedQuote { offset: 10 })
        );
        assert_eq!(parse(""), Err(PatternError::Empty));
        assert_eq!(parse("'just text'"), Err(PatternError::NoField));
        assert!(parse("epoch_us").is_err());
        assert!(parse("iso8601").is_err());
        assert!(
            parse("YYYY-MM-DD hh:mm:ss").is_ok(),
            "legal letters, odd meaning"
        );
        let e = parse("yyyy-MM-ddTHH").unwrap_err().to_string();
        assert!(
            e.contains("illegal pattern character 'T' at position 11"),
            "{e}"
        );
    }
}
