//! The Zuora Mediation client: everything meterctl sends to Zuora goes through [`Client`].
//!
//! It authenticates with OAuth client credentials ([`auth`]), sends Zuora's headers
//! (`Zuora-Track-Id` per command, `Zuora-Entity-Ids`/`Zuora-Org-Ids` when configured,
//! `Accept-Encoding: gzip`), retries what is safe to retry with exponential backoff and full
//! jitter, and maps every failure to a [`ZuoraError`] that quotes Zuora and never shows a secret.
//! It refuses plain `http://` except to loopback addresses. Typed calls: export, import, run
//! (idempotent through `uniqueKey`), debug, runStatus, stop, summary and file upload; run statuses are
//! read with Zuora's table ([`types::RUN_STATUSES`]).

pub mod auth;
pub mod client;
pub mod error;
pub mod runs;
pub mod types;

pub use auth::{Credentials, Secret};
pub use client::{Client, ClientConfig, Endpoint, FromEnvError, RetryPolicy};
pub use error::{ApiMessage, ZuoraError};

use std::time::Duration;

pub(crate) fn fmt_duration(d: Duration) -> String {
    crate::duration::format(d)
}

/// Checks a base URL and returns it without a trailing slash: `https://` anywhere, `http://`
/// only for loopback hosts (127.0.0.0/8, `::1`, `localhost`); no credentials, query or fragment.
pub fn check_base_url(url: &str) -> Result<String, ZuoraError> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| ZuoraError::InvalidUrl {
            url: url.to_string(),
            reason: "expected https://HOST, e.g. https://rest.test.zuora.com".into(),
        })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        let shown = url.replacen(
            authority,
            &format!("***@{}", authority.rsplit('@').next().unwrap_or("")),
            1,
        );
        return Err(ZuoraError::InvalidUrl {
            url: shown,
            reason: "the URL must not contain credentials; set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET instead".into(),
        });
    }
    if rest.contains(['?', '#']) {
        return Err(ZuoraError::InvalidUrl {
            url: url.to_string(),
            reason: "a base URL has no query or fragment".into(),
        });
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(ZuoraError::InvalidUrl {
            url: url.to_string(),
            reason: "no host".into(),
        });
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(ZuoraError::InsecureUrl {
                url: url.to_string(),
            })
        }
        other => {
            return Err(ZuoraError::InvalidUrl {
                url: url.to_string(),
                reason: format!("unsupported scheme {other:?}; use https://"),
            })
        }
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Whether a host names the local machine.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// A `Zuora-Track-Id` for one command: `meterctl-` plus time and randomness, ≤ 64 characters,
/// none of `:` `;` `"` `'`.
pub fn new_track_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("meterctl-{ms:x}-{:08x}", fastrand::u32(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://rest.test.zuora.com/").unwrap(),
            "https://rest.test.zuora.com"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.9.9.9",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            check_base_url("http://rest.zuora.com"),
            Err(ZuoraError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_base_url("http://10.0.0.1"),
            Err(ZuoraError::InsecureUrl { .. })
        ));
        let e = check_base_url("https://user:hunter2@rest.zuora.com").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("rest.zuora.com").is_err());
        let t = new_track_id();
        assert!(t.len() <= 64 && !t.contains([':', ';', '"', '\'']), "{t}");
    }
}
