//! The HTTP client: one [`Client`] per tenant and command.
//!
//! Every call goes through [`Client::execute`]: it fetches or reuses the access token, sends the
//! request with Zuora's headers, and retries 429 (waiting at least `Retry-After`), 500, 502, 503,
//! 504, timeouts and connection failures with exponential backoff and full jitter (a random wait
//! in 0..=min(cap, base·2^n)), bounded by a number of attempts and a total time. Other 4xx are
//! never retried; a 401 is retried once after fetching a new token. An import without a
//! `globalId` is not idempotent, so it is retried only when the request surely did not arrive
//! (connect failures, 429, 503).

use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::auth::{Credentials, Secret, Token};
use super::error::{ApiMessage, RequestInfo, ZuoraError};
use super::types::{DebugRequest, RunRequest, RunStarted, RunStatus, SummaryQuery, Upload};
use crate::progress::{Event, Progress, Sink};

/// Largest response body read (exports of big meters included).
const MAX_BODY: u64 = 512 * 1024 * 1024;

/// Retry bounds.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Backoff base (Zuora's sample: 1 s).
    pub base_delay: Duration,
    /// Backoff cap (Zuora's sample: 60 s).
    pub max_delay: Duration,
    /// Give up when the next wait would end after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

/// How to reach one tenant.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL (checked by [`super::check_base_url`]).
    pub base_url: String,
    /// The OAuth client.
    pub credentials: Credentials,
    /// `Zuora-Entity-Ids`, for multi-entity tenants.
    pub entity_ids: Option<String>,
    /// `Zuora-Org-Ids`, for multi-org tenants.
    pub org_ids: Option<String>,
    /// `Zuora-Track-Id` sent with every request of this command.
    pub track_id: String,
    /// Per-request timeout (connect, send, answer).
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retry bounds.
    pub retry: RetryPolicy,
    /// Log each request, answer and retry (never bodies, headers or secrets) to the client's log
    /// ([`Client::from_env`] sets one; [`Client::new`] has none, so it logs nothing).
    pub verbose: bool,
}

/// A tenant's address and the call settings: everything but the OAuth client, which
/// [`Client::from_env`] reads from the environment.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL (checked by [`super::check_base_url`]).
    pub base_url: String,
    /// `Zuora-Entity-Ids`, for multi-entity tenants.
    pub entity_ids: Option<String>,
    /// `Zuora-Org-Ids`, for multi-org tenants.
    pub org_ids: Option<String>,
    /// Per-request timeout (connect, send, answer).
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retry bounds.
    pub retry: RetryPolicy,
    /// Where each request, answer and retry is logged (never bodies, headers or secrets);
    /// `None` logs nothing.
    pub log: Option<Sink>,
}

/// Why [`Client::from_env`] made no client.
#[derive(Debug, thiserror::Error)]
pub enum FromEnvError {
    /// One of the two variables is unset or blank.
    #[error("no credentials: set {id_var} and {secret_var}")]
    NoCredentials {
        /// The variable of the client id.
        id_var: String,
        /// The variable of the client secret.
        secret_var: String,
    },
    /// The endpoint is refused (a base URL that is not `https://`).
    #[error(transparent)]
    Zuora(#[from] ZuoraError),
}

/// Whether a request may be sent again after it may have arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Idempotency {
    /// Safe to repeat (reads, imports with a globalId, runs with a uniqueKey).
    Safe,
    /// Repeat only when it surely did not arrive.
    Unsafe,
}

enum Body {
    Json(Vec<u8>),
    Form(Vec<u8>),
    Multipart { boundary: String, bytes: Vec<u8> },
}

struct Call {
    method: &'static str,
    path: String,
    body: Body,
    auth: bool,
    idempotency: Idempotency,
}

/// An answer.
struct Answer {
    status: u16,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

enum Failure {
    Timeout,
    /// Connect-phase: the request surely did not arrive.
    Connect(String),
    /// The request may have arrived.
    Other(String),
    /// Not worth retrying (TLS, protocol).
    Fatal(String),
}

/// A client of one tenant.
pub struct Client {
    cfg: ClientConfig,
    agent: ureq::Agent,
    token: Mutex<Option<Token>>,
    log: Sink,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("cfg", &self.cfg).finish()
    }
}

impl Client {
    /// A client; fails on a base URL that is not `https://` (or loopback `http://`).
    pub fn new(mut cfg: ClientConfig) -> Result<Client, ZuoraError> {
        cfg.base_url = super::check_base_url(&cfg.base_url)?;
        let loopback = cfg.base_url.starts_with("http://");
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(cfg.connect_timeout))
            .timeout_global(Some(cfg.request_timeout))
            .max_redirects(0)
            .user_agent(format!("meterctl/{}", env!("CARGO_PKG_VERSION")));
        if loopback {
            builder = builder.proxy(None);
        }
        let agent = builder.build().new_agent();
        Ok(Client {
            cfg,
            agent,
            token: Mutex::new(None),
            log: Sink::silent(),
        })
    }

    /// A client of `endpoint` whose OAuth client comes from the environment variables `id_var`
    /// and `secret_var` (trimmed; blank counts as unset), never from a file, with a new
    /// `Zuora-Track-Id`.
    pub fn from_env(
        endpoint: Endpoint,
        id_var: &str,
        secret_var: &str,
    ) -> Result<Client, FromEnvError> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (Some(id), Some(secret)) = (get(id_var), get(secret_var)) else {
            return Err(FromEnvError::NoCredentials {
                id_var: id_var.to_string(),
                secret_var: secret_var.to_string(),
            });
        };
        let mut client = Client::new(ClientConfig {
            base_url: endpoint.base_url,
            credentials: Credentials {
                client_id: id.trim().to_string(),
                client_secret: Secret::new(secret.trim()),
            },
            entity_ids: endpoint.entity_ids,
            org_ids: endpoint.org_ids,
            track_id: super::new_track_id(),
            request_timeout: endpoint.request_timeout,
            connect_timeout: endpoint.connect_timeout,
            retry: endpoint.retry,
            verbose: endpoint.log.is_some(),
        })?;
        if let Some(log) = endpoint.log {
            client.log = log;
        }
        Ok(client)
    }

    /// The configuration in force.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.cfg.base_url
    }

    /// The `Zuora-Track-Id` of this command.
    pub fn track_id(&self) -> &str {
        &self.cfg.track_id
    }

    fn log(&self, line: &str) {
        if self.cfg.verbose {
            self.log.event(Event::Detail(&self.redact(line)));
        }
    }

    /// Replaces the secret and the current token in text that came from elsewhere.
    fn redact(&self, s: &str) -> String {
        let mut out = s.to_string();
        let secret = self.cfg.credentials.client_secret.expose();
        if !secret.is_empty() {
            out = out.replace(secret, "***");
        }
        if let Some(t) = self.token.lock().ok().and_then(|t| t.clone()) {
            if !t.value.expose().is_empty() {
                out = out.replace(t.value.expose(), "***");
            }
        }
        out
    }

    fn info(&self, call: &Call, request_id: Option<String>) -> RequestInfo {
        RequestInfo {
            method: call.method.to_string(),
            url: format!("{}{}", self.cfg.base_url, call.path),
            track_id: self.cfg.track_id.clone(),
            request_id,
        }
    }

    // ----- typed calls -----

    /// `GET /meters/export/{meterId}`: the definition, as Zuora exports it.
    pub fn export(&self, meter_id: &str) -> Result<Value, ZuoraError> {
        let call = Call {
            method: "GET",
            path: format!("/meters/export/{}", seg(meter_id)),
            body: Body::Json(Vec::new()),
            auth: true,
            idempotency: Idempotency::Safe,
        };
        self.bare(&call)
    }

    /// `POST /meters/import`: `file` is the definition JSON (export format, no `globalId`
    /// field); `global_id` goes in its own part. Returns the response's `data`.
    pub fn import(
        &self,
        file_name: &str,
        definition_json: &[u8],
        global_id: Option<&str>,
    ) -> Result<Value, ZuoraError> {
        let mut parts = vec![MultipartPart {
            name: "file",
            filename: Some(file_name),
            content_type: Some("application/json"),
            data: definition_json,
        }];
        if let Some(g) = global_id {
            parts.push(MultipartPart {
                name: "globalId",
                filename: None,
                content_type: None,
                data: g.as_bytes(),
            });
        }
        let boundary = format!("meterctl-{:024x}", fastrand::u128(..) >> 32);
        let call = Call {
            method: "POST",
            path: "/meters/import".into(),
            body: Body::Multipart {
                bytes: encode_multipart(&boundary, &parts),
                boundary,
            },
            auth: true,
            idempotency: if global_id.is_some() {
                Idempotency::Safe
            } else {
                Idempotency::Unsafe
            },
        };
        self.data(&call)
    }

    /// `POST /meters/run/{meterId}/{version}`. A retry after a timeout or a dropped connection
    /// reuses the key; Zuora's duplicate-key 400 then means the run is already started, and is
    /// reported as `already_started`, not as an error.
    pub fn run(
        &self,
        meter_id: &str,
        version: &str,
        req: &RunRequest,
    ) -> Result<RunStarted, ZuoraError> {
        let call = Call {
            method: "POST",
            path: format!("/meters/run/{}/{}", seg(meter_id), seg(version)),
            body: Body::Json(serde_json::to_vec(req).expect("run requests serialize")),
            auth: true,
            idempotency: Idempotency::Safe,
        };
        match self.execute(&call) {
            Ok(answer) => Ok(RunStarted {
                unique_key: req.unique_key.clone(),
                already_started: false,
                data: serde_json::from_slice::<Value>(&answer.body)
                    .ok()
                    .and_then(|v| v.get("data").cloned()),
            }),
            Err(e) if e.is_duplicate_unique_key() => {
                self.log(&format!(
                    "uniqueKey {} was used before: the run is already started",
                    req.unique_key
                ));
                Ok(RunStarted {
                    unique_key: req.unique_key.clone(),
                    already_started: true,
                    data: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /meters/debug/{meterId}/{version}`: the session object (bare, no envelope).
    pub fn debug(
        &self,
        meter_id: &str,
        version: &str,
        req: &DebugRequest,
    ) -> Result<Value, ZuoraError> {
        let call = Call {
            method: "POST",
            path: format!("/meters/debug/{}/{}", seg(meter_id), seg(version)),
            body: Body::Json(serde_json::to_vec(req).expect("debug requests serialize")),
            auth: true,
            idempotency: Idempotency::Safe,
        };
        self.bare(&call)
    }

    /// `GET /meters/{meterId}/{version}/runStatus`.
    pub fn run_status(&self, meter_id: &str, version: &str) -> Result<RunStatus, ZuoraError> {
        let call = Call {
            method: "GET",
            path: format!("/meters/{}/{}/runStatus", seg(meter_id), seg(version)),
            body: Body::Json(Vec::new()),
            auth: true,
            idempotency: Idempotency::Safe,
        };
        self.data(&call).map(|data| RunStatus { data })
    }

    /// `POST /meters/stop/{meterId}/{version}?forceStop=...` (no body): stops every running NORMAL
    /// run of the version. Zuora answers `{success: true}`; batch runs are canceled at once, a
    /// streaming meter stops gracefully (STOPPING, then PAUSED) unless forced. Sent again only
    /// when it surely did not arrive: a repeated stop is refused (70003043 or 70002122).
    pub fn stop(&self, meter_id: &str, version: &str, force: bool) -> Result<Value, ZuoraError> {
        let call = Call {
            method: "POST",
            path: format!(
                "/meters/stop/{}/{}?forceStop={force}",
                seg(meter_id),
                seg(version)
            ),
            body: Body::Json(Vec::new()),
            auth: true,
            idempotency: Idempotency::Unsafe,
        };
        self.json(&call)
    }

    /// `POST /meters/{meterId}/summary`: the response's `data`.
    pub fn summary(&self, meter_id: &str, query: &SummaryQuery) -> Result<Value, ZuoraError> {
        let call = Call {
            method: "POST",
            path: format!("/meters/{}/summary", seg(meter_id)),
            body: Body::Json(serde_json::to_vec(query).expect("queries serialize")),
            auth: true,
            idempotency: Idempotency::Safe,
        };
        self.data(&call)
    }

    /// `POST /meters/files`: the file object (bare), whose `id` runs and tests refer to.
    pub fn upload_file(&self, upload: &Upload) -> Result<Value, ZuoraError> {
        let has_header = upload.has_header.map(|b| b.to_string());
        let mut parts = vec![MultipartPart {
            name: "file",
            filename: Some(&upload.name),
            content_type: Some("application/octet-stream"),
            data: &upload.bytes,
        }];
        if let Some(h) = &has_header {
            parts.push(MultipartPart {
                name: "hasHeader",
                filename: None,
                content_type: None,
                data: h.as_bytes(),
            });
        }
        let boundary = format!("meterctl-{:024x}", fastrand::u128(..) >> 32);
        let call = Call {
            method: "POST",
            path: "/meters/files".into(),
            body: Body::Multipart {
                bytes: encode_multipart(&boundary, &parts),
                boundary,
            },
            auth: true,
            idempotency: Idempotency::Safe,
        };
        self.bare(&call)
    }

    // ----- plumbing -----

    /// A body documented as bare (export, debug, upload); should Zuora wrap it in the usual
    /// `{success, data}` envelope after all, the `data` is taken.
    fn bare(&self, call: &Call) -> Result<Value, ZuoraError> {
        let mut v = self.json(call)?;
        let wrapped = v.get("success") == Some(&Value::Bool(true))
            && v.get("data").is_some_and(Value::is_object);
        Ok(if wrapped { v["data"].take() } else { v })
    }

    /// The answer's JSON body.
    fn json(&self, call: &Call) -> Result<Value, ZuoraError> {
        let answer = self.execute(call)?;
        serde_json::from_slice(&answer.body).map_err(|e| ZuoraError::InvalidResponse {
            req: self.info(call, answer.request_id.clone()),
            status: answer.status,
            detail: format!("the body is not JSON: {e}"),
        })
    }

    /// The `data` of an enveloped answer.
    fn data(&self, call: &Call) -> Result<Value, ZuoraError> {
        let mut v = self.json(call)?;
        match v.get_mut("data") {
            Some(d) => Ok(d.take()),
            None => Ok(Value::Null),
        }
    }

    /// A valid access token, fetched when there is none or it is about to expire.
    fn access_token(&self, force: bool) -> Result<String, ZuoraError> {
        let now = Instant::now();
        {
            let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
            if force {
                *cached = None;
            }
            if let Some(t) = cached.as_ref().filter(|t| t.fresh(now)) {
                return Ok(t.value.expose().to_string());
            }
        }
        let form = format!(
            "client_id={}&client_secret={}&grant_type=client_credentials",
            form_encode(&self.cfg.credentials.client_id),
            form_encode(self.cfg.credentials.client_secret.expose())
        );
        let call = Call {
            method: "POST",
            path: "/oauth/token".into(),
            body: Body::Form(form.into_bytes()),
            auth: false,
            idempotency: Idempotency::Safe,
        };
        let answer = match self.execute(&call) {
            Ok(a) => a,
            Err(ZuoraError::Api {
                req,
                status,
                errors,
                ..
            }) if (400..500).contains(&status) && status != 429 => {
                return Err(ZuoraError::Auth {
                    req,
                    status,
                    errors,
                })
            }
            Err(e) => return Err(e),
        };
        let v: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        let Some(token) = v["access_token"].as_str().filter(|t| !t.is_empty()) else {
            return Err(ZuoraError::InvalidResponse {
                req: self.info(&call, answer.request_id),
                status: answer.status,
                detail: "no access_token in the token response".into(),
            });
        };
        let expires_in = Duration::from_secs(
            v["expires_in"]
                .as_u64()
                .or_else(|| v["expires_in"].as_str()?.trim().parse().ok())
                .unwrap_or(3600),
        );
        let token = Token::new(token.to_string(), expires_in, Instant::now());
        let value = token.value.expose().to_string();
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
        self.log(&format!(
            "fetched an access token (expires in {}s)",
            expires_in.as_secs()
        ));
        Ok(value)
    }

    /// Sends a call with authentication and retries; returns a 2xx answer whose envelope (if
    /// any) does not say `success: false`.
    fn execute(&self, call: &Call) -> Result<Answer, ZuoraError> {
        let policy = self.cfg.retry;
        let start = Instant::now();
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = if call.auth {
                Some(self.access_token(false)?)
            } else {
                None
            };
            let sent = Instant::now();
            let outcome = self.send_once(call, token.as_deref());
            let (err, retry_after) = match outcome {
                Ok(a) => {
                    self.log(&format!(
                        "{} {}{} -> {} in {}ms{}",
                        call.method,
                        self.cfg.base_url,
                        call.path,
                        a.status,
                        sent.elapsed().as_millis(),
                        a.request_id
                            .as_deref()
                            .map(|r| format!(" (Zuora-Request-Id: {r})"))
                            .unwrap_or_default()
                    ));
                    if (200..300).contains(&a.status) {
                        let Some(errors) = envelope_failure(&a.body) else {
                            return Ok(a);
                        };
                        let err = ZuoraError::Api {
                            req: self.info(call, a.request_id.clone()),
                            status: a.status,
                            errors: self.redact_all(errors),
                            attempts: attempt,
                        };
                        // v1 `reasons` codes ending in 50 (lock), 61 (temporary), 70
                        // (concurrency) or 99 (external) are worth another try.
                        if !v1_retryable(&a.body) {
                            return Err(err);
                        }
                        (err, a.retry_after)
                    } else {
                        if a.status == 401 && call.auth && !refreshed {
                            refreshed = true;
                            attempt -= 1;
                            self.log("the access token was refused (401): fetching a new one");
                            *self.token.lock().unwrap_or_else(|p| p.into_inner()) = None;
                            continue;
                        }
                        let retryable = match call.idempotency {
                            Idempotency::Safe => matches!(a.status, 429 | 500 | 502 | 503 | 504),
                            Idempotency::Unsafe => matches!(a.status, 429 | 503),
                        };
                        let err = ZuoraError::Api {
                            req: self.info(call, a.request_id.clone()),
                            status: a.status,
                            errors: self.redact_all(parse_errors(&a.body)),
                            attempts: attempt,
                        };
                        if !retryable {
                            return Err(err);
                        }
                        (err, a.retry_after)
                    }
                }
                Err(f) => {
                    let req = self.info(call, None);
                    let (err, retryable) = match f {
                        Failure::Timeout => (
                            ZuoraError::Timeout {
                                req,
                                attempts: attempt,
                                timeout: self.cfg.request_timeout,
                            },
                            call.idempotency == Idempotency::Safe,
                        ),
                        Failure::Connect(d) => (
                            ZuoraError::Transport {
                                req,
                                attempts: attempt,
                                detail: self.redact(&d),
                            },
                            true,
                        ),
                        Failure::Other(d) => (
                            ZuoraError::Transport {
                                req,
                                attempts: attempt,
                                detail: self.redact(&d),
                            },
                            call.idempotency == Idempotency::Safe,
                        ),
                        Failure::Fatal(d) => (
                            ZuoraError::Transport {
                                req,
                                attempts: attempt,
                                detail: self.redact(&d),
                            },
                            false,
                        ),
                    };
                    self.log(&format!(
                        "{} {}{} failed: {}",
                        call.method, self.cfg.base_url, call.path, err
                    ));
                    if !retryable {
                        return Err(err);
                    }
                    (err, None)
                }
            };
            let delay = self.backoff(attempt, retry_after);
            if attempt >= policy.max_attempts || start.elapsed() + delay > policy.max_elapsed {
                return Err(err);
            }
            self.log(&format!(
                "retrying in {} (attempt {} of {})",
                crate::duration::format(delay),
                attempt + 1,
                policy.max_attempts
            ));
            std::thread::sleep(delay);
        }
    }

    fn redact_all(&self, errors: Vec<ApiMessage>) -> Vec<ApiMessage> {
        errors
            .into_iter()
            .map(|e| ApiMessage {
                code: e.code,
                message: self.redact(&e.message),
            })
            .collect()
    }

    /// Full jitter: a random wait in 0..=min(cap, base·2^(attempt-1)), at least `Retry-After`.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let p = self.cfg.retry;
        let exp = p
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(p.max_delay);
        let jitter = Duration::from_millis(fastrand::u64(..=exp.as_millis() as u64));
        jitter.max(retry_after.unwrap_or(Duration::ZERO))
    }

    fn send_once(&self, call: &Call, token: Option<&str>) -> Result<Answer, Failure> {
        let url = format!("{}{}", self.cfg.base_url, call.path);
        let result = match call.method {
            "GET" => {
                let req = self.headers(self.agent.get(&url), token, "application/json");
                req.call()
            }
            _ => {
                let (ct, bytes): (String, &[u8]) = match &call.body {
                    Body::Json(b) => ("application/json".into(), b),
                    Body::Form(b) => ("application/x-www-form-urlencoded".into(), b),
                    Body::Multipart { boundary, bytes } => {
                        (format!("multipart/form-data; boundary={boundary}"), bytes)
                    }
                };
                let req = self.headers(self.agent.post(&url), token, &ct);
                req.send(bytes)
            }
        };
        let mut resp = result.map_err(classify)?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let request_id = header("zuora-request-id");
        let retry_after = header("retry-after")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(3600.0)));
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        resp.body_mut()
            .with_config()
            .limit(MAX_BODY)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::TimedOut {
                    Failure::Timeout
                } else {
                    Failure::Other(format!("reading the answer failed: {e}"))
                }
            })?;
        Ok(Answer {
            status,
            request_id,
            retry_after,
            body,
        })
    }

    fn headers<B>(
        &self,
        mut req: ureq::RequestBuilder<B>,
        token: Option<&str>,
        content_type: &str,
    ) -> ureq::RequestBuilder<B> {
        req = req
            .header("Content-Type", content_type)
            .header("Accept", "application/json")
            .header("Zuora-Track-Id", &self.cfg.track_id);
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        if let Some(e) = &self.cfg.entity_ids {
            req = req.header("Zuora-Entity-Ids", e);
        }
        if let Some(o) = &self.cfg.org_ids {
            req = req.header("Zuora-Org-Ids", o);
        }
        req
    }
}

fn classify(e: ureq::Error) -> Failure {
    use ureq::Error as E;
    match e {
        E::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            Failure::Connect("connecting timed out".into())
        }
        E::Timeout(_) => Failure::Timeout,
        E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
        E::ConnectionFailed => Failure::Connect("connection failed".into()),
        E::HostNotFound => Failure::Connect("host not found".into()),
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            Failure::Connect(format!("connection refused ({io})"))
        }
        E::Io(io) => Failure::Other(io.to_string()),
        E::Protocol(p) => Failure::Other(format!("the connection broke: {p}")),
        E::BodyStalled => Failure::Other("the answer stalled".into()),
        E::TooManyRedirects | E::RedirectFailed => {
            Failure::Fatal("Zuora answered with a redirect; check the base URL".into())
        }
        other => Failure::Fatal(other.to_string()),
    }
}

/// The errors of a body whose envelope says `success: false`.
fn envelope_failure(body: &[u8]) -> Option<Vec<ApiMessage>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    (v.get("success") == Some(&Value::Bool(false))).then(|| parse_errors(body))
}

/// Whether a `success: false` body uses the v1 `reasons` shape with a retryable category (the
/// last two digits of the code: 50 lock, 61 temporary, 70 concurrency, 99 external).
fn v1_retryable(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let codes: Vec<u64> = v["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| match &r["code"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .collect();
    !codes.is_empty() && codes.iter().all(|c| matches!(c % 100, 50 | 61 | 70 | 99))
}

/// Zuora's error list from a body, whichever shape it has: `errors[{code, message}]` (run 400 and
/// 401), `error{code, message}` (401 and 404 of most operations), `reasons[{code, message}]`
/// (500, and the v1 shape with integer codes), `{message}` (upload 401) or OAuth's
/// `{error, error_description}`. Unknown shapes give their text.
pub fn parse_errors(body: &[u8]) -> Vec<ApiMessage> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![ApiMessage {
                code: None,
                message: text.chars().take(300).collect(),
            }]
        };
    };
    let mut out = Vec::new();
    // `{success: false, data, error: {code, message}}`: 401 and 404 of most Meters operations.
    if v["error"].is_object() {
        out.push(api_message(&v["error"]));
    }
    for key in ["errors", "reasons"] {
        out.extend(v[key].as_array().into_iter().flatten().map(api_message));
    }
    if out.is_empty() {
        if let Some(m) = v["message"]
            .as_str()
            .or_else(|| v["error_description"].as_str())
        {
            out.push(ApiMessage {
                code: v["error"].as_str().map(str::to_string),
                message: m.to_string(),
            });
        }
    }
    out
}

/// One `{code, message}` object; a code may be a string or a number, a message may be absent.
fn api_message(e: &Value) -> ApiMessage {
    let code = match &e["code"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let message = match &e["message"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    ApiMessage { code, message }
}

struct MultipartPart<'a> {
    name: &'a str,
    filename: Option<&'a str>,
    content_type: Option<&'a str>,
    data: &'a [u8],
}

fn encode_multipart(boundary: &str, parts: &[MultipartPart<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disp = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.filename {
            disp.push_str(&format!(
                "; filename=\"{}\"",
                f.replace(['"', '\r', '\n'], "_")
            ));
        }
        out.extend_from_slice(disp.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// Percent-encodes one path segment (meter ids are opaque strings).
fn seg(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn form_encode(s: &str) -> String {
    seg(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shapes_all_parse() {
        let m =
            parse_errors(br#"{"success":false,"errors":[{"code":"70002103","message":"nope"}]}"#);
        assert_eq!(m[0].code.as_deref(), Some("70002103"));
        let v1 =
            parse_errors(br#"{"success":false,"reasons":[{"code":53100020,"message":"bad"}]}"#);
        assert_eq!(
            (v1[0].code.as_deref(), v1[0].message.as_str()),
            (Some("53100020"), "bad")
        );
        let e = parse_errors(
            br#"{"success":false,"data":null,"error":{"code":"70002006","message":"UNAUTHORIZED"}}"#,
        );
        assert_eq!(
            (e[0].code.as_deref(), e[0].message.as_str()),
            (Some("70002006"), "UNAUTHORIZED")
        );
        let r = parse_errors(br#"{"reasons":[{"code":"70002194","message":"boom"}]}"#);
        assert_eq!(r[0].code.as_deref(), Some("70002194"));
        let o = parse_errors(br#"{"error":"invalid_client","error_description":"no"}"#);
        assert_eq!(
            (o[0].code.as_deref(), o[0].message.as_str()),
            (Some("invalid_client"), "no")
        );
        let up = parse_errors(br#"{"message":"Authentication error"}"#);
        assert_eq!(up[0].message, "Authentication error");
        assert_eq!(
            parse_errors(b"<html>oops</html>")[0].message,
            "<html>oops</html>"
        );
        assert!(envelope_failure(br#"{"success":false,"errors":[]}"#).is_some());
        assert!(envelope_failure(br#"{"success":true}"#).is_none());
        assert!(envelope_failure(br#"{"id":1}"#).is_none());
        assert!(v1_retryable(
            br#"{"success":false,"reasons":[{"code":53100050,"message":"locked"}]}"#
        ));
        assert!(v1_retryable(
            br#"{"success":false,"reasons":[{"code":"53100061","message":"x"}]}"#
        ));
        assert!(!v1_retryable(
            br#"{"success":false,"reasons":[{"code":53100020,"message":"bad"}]}"#
        ));
        assert!(!v1_retryable(
            br#"{"success":false,"errors":[{"code":"70002150","message":"x"}]}"#
        ));
    }

    #[test]
    fn multipart_encoding_is_what_the_sandbox_parses() {
        let parts = [
            MultipartPart {
                name: "file",
                filename: Some("m.json"),
                content_type: Some("application/json"),
                data: b"{}",
            },
            MultipartPart {
                name: "globalId",
                filename: None,
                content_type: None,
                data: b"g",
            },
        ];
        let body = encode_multipart("B", &parts);
        let parsed =
            crate::sandbox::http::parse_multipart("multipart/form-data; boundary=B", &body)
                .unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].data, b"g");
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
    }
}
