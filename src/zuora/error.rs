//! Everything that can go wrong talking to Zuora, as typed errors whose messages quote Zuora's
//! code and text, name the request (method and URL), carry the `Zuora-Request-Id` (and our
//! `Zuora-Track-Id`) to quote to Zuora support, and say what to do. No variant holds a secret or a
//! token: the client builds them from URLs without credentials and redacts server text.

use std::fmt::Write as _;
use std::time::Duration;

/// One `{code, message}` of a Zuora error body (`errors[]`, or the v1 `reasons[]` shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiMessage {
    /// Zuora's code (a string in the Meters shape, an integer in the v1 shape), when given.
    pub code: Option<String>,
    /// Zuora's text.
    pub message: String,
}

/// Where a request went and what identifies it for support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// `GET`, `POST`.
    pub method: String,
    /// Full URL (never with credentials).
    pub url: String,
    /// Our `Zuora-Track-Id` for this command.
    pub track_id: String,
    /// Zuora's `Zuora-Request-Id` of the (last) response, when there was one.
    pub request_id: Option<String>,
}

impl RequestInfo {
    fn ids(&self) -> String {
        let mut s = format!("Zuora-Track-Id: {}", self.track_id);
        if let Some(r) = &self.request_id {
            let _ = write!(s, ", Zuora-Request-Id: {r}");
        }
        s
    }
}

/// A failed Zuora call.
#[derive(Debug, thiserror::Error)]
pub enum ZuoraError {
    /// The base URL cannot be used.
    #[error("invalid Zuora URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL, credentials removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback.
    #[error("refusing to call {url} over plain http://: the client secret and tokens would travel unencrypted. Use https:// (plain http:// is allowed only for loopback addresses such as 127.0.0.1, ::1 or localhost, where `meterctl sandbox serve` runs)")]
    InsecureUrl {
        /// The URL.
        url: String,
    },
    /// The credentials were refused (`/oauth/token` said no).
    #[error("{}", describe_auth(.req, *.status, .errors))]
    Auth {
        /// The token request.
        req: RequestInfo,
        /// HTTP status.
        status: u16,
        /// What Zuora said.
        errors: Vec<ApiMessage>,
    },
    /// Zuora answered with an error (or with `success: false`).
    #[error("{}", describe_api(.req, *.status, .errors, *.attempts))]
    Api {
        /// The request.
        req: RequestInfo,
        /// HTTP status (200 when the body said `success: false`).
        status: u16,
        /// What Zuora said.
        errors: Vec<ApiMessage>,
        /// How many attempts were made.
        attempts: u32,
    },
    /// No HTTP answer: connection refused or dropped, DNS, TLS.
    #[error("{} {}: could not get an answer from Zuora after {attempts} attempt(s): {detail}. Check the URL, your network and proxy settings (HTTPS_PROXY, NO_PROXY) ({})", .req.method, .req.url, .req.ids())]
    Transport {
        /// The request.
        req: RequestInfo,
        /// How many attempts were made.
        attempts: u32,
        /// The transport's own words.
        detail: String,
    },
    /// No answer in time.
    #[error("{} {}: no answer within {} after {attempts} attempt(s). Zuora may be slow or unreachable: raise --request-timeout or try again later ({})", .req.method, .req.url, crate::zuora::fmt_duration(*.timeout), .req.ids())]
    Timeout {
        /// The request.
        req: RequestInfo,
        /// How many attempts were made.
        attempts: u32,
        /// The per-request timeout.
        timeout: Duration,
    },
    /// An answer meterctl cannot read.
    #[error("{} {}: unexpected answer (HTTP {status}): {detail} ({})", .req.method, .req.url, .req.ids())]
    InvalidResponse {
        /// The request.
        req: RequestInfo,
        /// HTTP status.
        status: u16,
        /// What is wrong with it.
        detail: String,
    },
}

impl ZuoraError {
    /// Whether Zuora itself refused the request for a reason about the request (meter not found,
    /// invalid definition, run refused): a finding (exit 1), not a failure to run (exit 2).
    pub fn is_refusal(&self) -> bool {
        match self {
            ZuoraError::Api { status, .. } => {
                *status == 200
                    || ((400..500).contains(status) && ![401, 403, 407, 408, 429].contains(status))
            }
            _ => false,
        }
    }

    /// Whether this is Zuora's answer to a run whose `uniqueKey` was used before: the run was
    /// already started (HTTP 400 whose message says the key is a duplicate; the code is not
    /// documented, so the text decides).
    pub fn is_duplicate_unique_key(&self) -> bool {
        let ZuoraError::Api {
            status: 400,
            errors,
            ..
        } = self
        else {
            return false;
        };
        // Reads the REMOTE server's own message (Zuora gives no documented code for this), never
        // one of ours.
        errors.iter().any(|e| {
            let m = e.message.to_ascii_lowercase();
            (m.contains("duplicate") || m.contains("already exists") || m.contains("already used"))
                && (m.contains("uniquekey") || m.contains("unique key") || m.contains("unique_key"))
        })
    }

    /// Whether the credentials were refused (the token request, or a call answered 401/403):
    /// every further call would fail alike, so commands stop and exit 2 once.
    pub fn is_auth(&self) -> bool {
        matches!(self, ZuoraError::Auth { .. }) || matches!(self.status(), Some(401 | 403))
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ZuoraError::Auth { status, .. }
            | ZuoraError::Api { status, .. }
            | ZuoraError::InvalidResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Zuora's codes and messages, `code: message; ...`, when it answered with any.
    pub fn quoted(&self) -> Option<String> {
        match self {
            ZuoraError::Auth { errors, .. } | ZuoraError::Api { errors, .. }
                if !errors.is_empty() =>
            {
                Some(quote(errors))
            }
            _ => None,
        }
    }

    /// Zuora's `{code, message}` items, when it answered with any.
    pub fn messages(&self) -> &[ApiMessage] {
        match self {
            ZuoraError::Auth { errors, .. } | ZuoraError::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// Zuora's error codes, when there are any.
    pub fn codes(&self) -> Vec<&str> {
        match self {
            ZuoraError::Auth { errors, .. } | ZuoraError::Api { errors, .. } => {
                errors.iter().filter_map(|e| e.code.as_deref()).collect()
            }
            _ => Vec::new(),
        }
    }
}

fn quote(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return "no error details in the answer".into();
    }
    errors
        .iter()
        .map(|e| match &e.code {
            Some(c) => format!("{c}: {}", e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_auth(req: &RequestInfo, status: u16, errors: &[ApiMessage]) -> String {
    format!(
        "authentication failed: {} {} answered HTTP {status}: {}. Check the client id and secret (ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET, or the variables the environment names in meterctl.yaml as client_id_env and client_secret_env): they must be an OAuth client of the tenant at this URL ({})",
        req.method,
        req.url,
        quote(errors),
        req.ids()
    )
}

fn describe_api(req: &RequestInfo, status: u16, errors: &[ApiMessage], attempts: u32) -> String {
    let mut s = format!("{} {} ", req.method, req.url);
    if status == 200 {
        s.push_str("answered HTTP 200 but success: false");
    } else {
        let _ = write!(s, "answered HTTP {status}");
    }
    if attempts > 1 {
        let _ = write!(s, " (after {attempts} attempts)");
    }
    let _ = write!(s, ": {}", quote(errors));
    if let Some(h) = hint(status, errors) {
        let _ = write!(s, ". {h}");
    }
    let _ = write!(s, " ({})", req.ids());
    s
}

/// What to do about an error, from its codes, texts and status.
fn hint(status: u16, errors: &[ApiMessage]) -> Option<&'static str> {
    let has = |c: &str| errors.iter().any(|e| e.code.as_deref() == Some(c));
    let code_in = |lo: u32, hi: u32| {
        errors.iter().any(|e| {
            e.code
                .as_deref()
                .and_then(|c| c.parse::<u32>().ok())
                .is_some_and(|c| (lo..=hi).contains(&c))
        })
    };
    // Reads the REMOTE server's own text (Zuora's `errors[].message`), never one of ours.
    let text = |t: &str| {
        errors
            .iter()
            .any(|e| e.message.to_ascii_lowercase().contains(t))
    };
    Some(if has("70002122") {
        "Nothing to stop: this meter version is not running (`meterctl meter status` shows how its last run ended)"
    } else if has("70003043") {
        "A stop of this version is already in progress: wait for it to end (`meterctl meter status`)"
    } else if has("70002104") {
        "Check the version: Zuora currently supports only 0.0.1"
    } else if has("70002103") || status == 404 {
        "Check the meter id: ids differ per tenant (the id is in the meter's URL in the Zuora UI, and `meter import` prints it)"
    } else if has("70002004") {
        "Mediation is not enabled on this tenant; ask Zuora support"
    } else if has("70002001") || has("70002003") {
        "This client covers several entities: choose one with --entity-ids (ZUORA_ENTITY_IDS)"
    } else if has("70002011") {
        "Write times like 2025-11-17T23:59:59+0000"
    } else if has("70002005") || status == 429 {
        "Zuora's rate limit was hit: wait, or allow more retry time with --max-retry-time"
    } else if text("maximum running meter count") {
        "At most 5 meters can run at once per tenant: wait for a run to finish (meterctl meter status)"
    } else if has("70002105") {
        "The meter is running already: wait for it (meterctl meter status) before starting another run"
    } else if has("70002106") || has("70002108") || has("70002110") || code_in(70002217, 70002260) {
        "Fix the definition (meterctl validate checks it locally) and import it again"
    } else if status == 401 {
        "The access token was refused even after a refresh: check that the OAuth client may use Mediation"
    } else if status == 403 {
        "The API user lacks a permission: View Meters, Run Meters, or Configure Meters and Events"
    } else if status >= 500 {
        "Zuora had a problem: try again later, and quote the ids below to Zuora support if it persists"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RequestInfo {
        RequestInfo {
            method: "POST".into(),
            url: "https://rest.test.zuora.com/meters/import".into(),
            track_id: "meterctl-1".into(),
            request_id: Some("abc".into()),
        }
    }

    fn api(status: u16, code: &str, message: &str) -> ZuoraError {
        ZuoraError::Api {
            req: req(),
            status,
            errors: vec![ApiMessage {
                code: Some(code.into()),
                message: message.into(),
            }],
            attempts: 1,
        }
    }

    #[test]
    fn api_error_quotes_code_text_ids_and_hint() {
        let e = api(
            400,
            "70002217",
            "IMPORT_METER_MISSING_NAME: the meter has no name",
        );
        let s = e.to_string();
        assert!(s.starts_with("POST https://rest.test.zuora.com/meters/import answered HTTP 400: 70002217: IMPORT_METER_MISSING_NAME"), "{s}");
        assert!(s.contains("Fix the definition"), "{s}");
        assert!(
            s.contains("Zuora-Track-Id: meterctl-1, Zuora-Request-Id: abc"),
            "{s}"
        );
        assert!(e.is_refusal());
        assert!(!api(503, "x", "y").is_refusal());
        assert!(!api(401, "x", "y").is_refusal());
    }

    #[test]
    fn duplicate_unique_key_is_recognised_by_text() {
        assert!(api(
            400,
            "70002193",
            "Duplicate uniqueKey: a run with uniqueKey 'k' already exists"
        )
        .is_duplicate_unique_key());
        assert!(api(400, "1", "unique key k already exists").is_duplicate_unique_key());
        assert!(!api(400, "1", "maximum running meter count exceeded").is_duplicate_unique_key());
        assert!(!api(500, "1", "duplicate uniqueKey").is_duplicate_unique_key());
    }
}
