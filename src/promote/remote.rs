//! Connections to an environment's tenant, split by what they may do.
//!
//! A [`Reader`] can only export; a [`Writer`] can only import. `plan`, `pull`, `render` and
//! `apply --dry-run` build readers only, so they cannot write by mistake (the UX conventions'
//! safety rule). Credentials come from the environment variables the config names, never from
//! the config itself.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::PromoteError;
use serde_json::Value;

use crate::config::Environment;
use crate::progress::Sink;
use crate::zuora::{Client, Endpoint, FromEnvError, RetryPolicy, ZuoraError};

/// Network settings shared by every promotion command.
#[derive(Debug, Clone)]
pub struct Net {
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Attempts per request.
    pub max_attempts: u32,
    /// Total retry time per request.
    pub max_retry_time: Duration,
    /// Backoff base.
    pub retry_delay: Duration,
    /// Where requests are logged (`--verbose`); `None` logs nothing.
    pub log: Option<Sink>,
    /// Spaces calls to the tenant out (shared by every reader and writer built from this).
    pub limiter: Option<Arc<Limiter>>,
}

/// A per-tenant pace: at most `per_minute` calls in any minute, evenly spaced, across threads.
#[derive(Debug)]
pub struct Limiter {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Limiter {
    /// A limiter allowing `per_minute` calls a minute.
    pub fn per_minute(per_minute: u32) -> Limiter {
        Limiter {
            interval: Duration::from_secs(60) / per_minute.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this call's slot.
    pub fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

fn pace(limiter: &Option<Arc<Limiter>>) {
    if let Some(l) = limiter {
        l.acquire();
    }
}

fn client(env_name: &str, env: &Environment, net: &Net) -> Result<Client, PromoteError> {
    let endpoint = Endpoint {
        base_url: env.url.clone(),
        entity_ids: (!env.entity_ids.is_empty()).then(|| env.entity_ids.join(",")),
        org_ids: None,
        request_timeout: net.request_timeout,
        connect_timeout: net.connect_timeout,
        retry: RetryPolicy {
            max_attempts: net.max_attempts,
            base_delay: net.retry_delay,
            max_delay: Duration::from_secs(60),
            max_elapsed: net.max_retry_time,
        },
        log: net.log.clone(),
    };
    match Client::from_env(endpoint, &env.client_id_env, &env.client_secret_env) {
        Ok(c) => Ok(c),
        Err(FromEnvError::NoCredentials { .. }) => Err(PromoteError::NoCredentials {
            env: env_name.to_string(),
            id_var: env.client_id_env.clone(),
            secret_var: env.client_secret_env.clone(),
        }),
        Err(FromEnvError::Zuora(e)) => Err(e.into()),
    }
}

/// Read-only access to a tenant.
pub struct Reader {
    client: Client,
    limiter: Option<Arc<Limiter>>,
}

impl Reader {
    /// Connects (no request is made yet).
    pub fn connect(env_name: &str, env: &Environment, net: &Net) -> Result<Reader, PromoteError> {
        Ok(Reader {
            client: client(env_name, env, net)?,
            limiter: net.limiter.clone(),
        })
    }

    /// The tenant's definition of a meter.
    pub fn export(&self, meter_id: &str) -> Result<Value, ZuoraError> {
        pace(&self.limiter);
        self.client.export(meter_id)
    }
}

/// Write access to a tenant (imports only).
pub struct Writer {
    client: Client,
    limiter: Option<Arc<Limiter>>,
}

impl Writer {
    /// Connects (no request is made yet).
    pub fn connect(env_name: &str, env: &Environment, net: &Net) -> Result<Writer, PromoteError> {
        Ok(Writer {
            client: client(env_name, env, net)?,
            limiter: net.limiter.clone(),
        })
    }

    /// Imports a definition (JSON, no `globalId` field) under its globalId: creates or updates.
    pub fn import(
        &self,
        file_name: &str,
        body: &[u8],
        global_id: &str,
    ) -> Result<Value, ZuoraError> {
        pace(&self.limiter);
        self.client.import(file_name, body, Some(global_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_spaces_calls_across_threads() {
        let l = Limiter::per_minute(60_000); // one per millisecond
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..10).for_each(|_| l.acquire()));
            }
        });
        assert!(
            start.elapsed() >= Duration::from_millis(39),
            "{:?}",
            start.elapsed()
        );
    }
}
