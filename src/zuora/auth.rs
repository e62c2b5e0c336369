//! OAuth 2.0 client credentials: the secret, and the access token cache.
//!
//! The secret and tokens live in [`Secret`], whose `Debug` prints `***`, so no log line or error
//! can show them by accident. A token is reused until shortly before `expires_in` runs out (300 s
//! before for Zuora's hour-long tokens, a tenth of the lifetime for short ones) and dropped at
//! once when Zuora answers 401 (the client then fetches a new one and retries once).

use std::time::{Duration, Instant};

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// An OAuth client of one tenant.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
}

/// A cached access token.
#[derive(Debug, Clone)]
pub struct Token {
    /// The bearer value.
    pub value: Secret,
    /// When to fetch a new one.
    pub refresh_at: Instant,
}

impl Token {
    /// A token fetched at `now` that Zuora says lives `expires_in`.
    pub fn new(value: String, expires_in: Duration, now: Instant) -> Token {
        let margin = (expires_in / 10).min(Duration::from_secs(300));
        Token {
            value: Secret(value),
            refresh_at: now + expires_in.saturating_sub(margin),
        }
    }

    /// Whether it is still good to use at `now`.
    pub fn fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print_and_tokens_refresh_early() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        let c = Credentials {
            client_id: "id".into(),
            client_secret: s,
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let now = Instant::now();
        let t = Token::new("tok".into(), Duration::from_secs(3599), now);
        assert!(t.fresh(now + Duration::from_secs(3000)));
        assert!(!t.fresh(now + Duration::from_secs(3300)));
        let short = Token::new("tok".into(), Duration::from_secs(2), now);
        assert!(short.fresh(now + Duration::from_millis(1700)));
        assert!(!short.fresh(now + Duration::from_millis(1900)));
        assert!(!format!("{t:?}").contains("tok\""));
    }
}
