//! `meterctl sandbox`: a local server that speaks the Zuora Mediation Meters API ("LocalStack for
//! Zuora Mediation"), for tests, demos and dry runs in CI without a Zuora tenant.
//!
//! Like Zuora, one base URL serves several tenants and the OAuth client decides which. It
//! implements `/oauth/token` and the Meters endpoints the client uses (see [`api`]), keeps its
//! state in memory or in a folder (see [`state`]), and can misbehave on purpose (see [`faults`]).
//! It is plain HTTP on purpose: bind it to a loopback address (the client refuses plain HTTP
//! anywhere else). The HTTP layer is hyper on tokio, hardened against its clients (bounded
//! connections, header and body sizes, timeouts; see [`server`]); one request per connection,
//! one mutex around the state, taken only once a request has been read and parsed.

pub mod api;
mod body;
pub mod faults;
pub mod http;
pub mod server;
pub mod state;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Notify;

use self::faults::Faults;
pub use self::state::TenantSpec;
use self::state::{RunRecord, State};
use crate::progress::{Event, Progress, Sink};

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: String,
    /// Persist tenants here; `None` keeps state in memory.
    pub state_dir: Option<PathBuf>,
    /// Tenants; empty means one tenant `sandbox` with client `sandbox`/`sandbox`.
    pub tenants: Vec<TenantSpec>,
    /// Lifetime of access tokens.
    pub token_lifetime: Duration,
    /// How long a run takes from start to COMPLETED.
    pub run_duration: Duration,
    /// How long a graceful stop of a streaming meter stays STOPPING before it is PAUSED.
    pub stop_delay: Duration,
    /// Share of requests that fail on purpose (0..=1).
    pub fail_rate: f64,
    /// Seed of the fault dice.
    pub seed: u64,
    /// Delay before every answer.
    pub latency: Duration,
    /// A run with a new `uniqueKey` starts at once but answers only after this long.
    pub slow_run: Duration,
    /// Requests per minute per tenant; `None` is unlimited.
    pub rpm: Option<u32>,
    /// A request body that sends nothing for this long is answered 408 (30 s by default).
    pub body_idle_timeout: Duration,
    /// Lookup tables for every run and test (a test case's `lookups:`, by table name), given
    /// to the engine as its [`crate::simulate::Context`]; empty: none.
    pub lookups: serde_json::Map<String, Value>,
    /// Where one line per request goes (method, path, status, time; never bodies or headers),
    /// as [`Event::Detail`]; `None` logs nothing.
    pub log: Option<Sink>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:0".into(),
            state_dir: None,
            tenants: Vec::new(),
            token_lifetime: Duration::from_secs(3600),
            run_duration: Duration::from_secs(2),
            stop_delay: Duration::from_secs(1),
            fail_rate: 0.0,
            seed: 1,
            latency: Duration::ZERO,
            slow_run: Duration::ZERO,
            rpm: None,
            body_idle_timeout: Duration::from_secs(30),
            lookups: serde_json::Map::new(),
            log: None,
        }
    }
}

impl ServerConfig {
    /// The tenants in force (the default one when none is configured).
    pub fn effective_tenants(&self) -> Vec<TenantSpec> {
        if self.tenants.is_empty() {
            vec![TenantSpec {
                name: "sandbox".into(),
                client_id: "sandbox".into(),
                client_secret: "sandbox".into(),
            }]
        } else {
            self.tenants.clone()
        }
    }
}

/// What every connection shares.
pub struct Shared {
    /// The configuration.
    pub config: ServerConfig,
    /// What every run and test gives the engine (the lookup tables).
    pub context: crate::simulate::Context,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    state: Mutex<State>,
    faults: Faults,
}

impl Shared {
    /// Loads the state and sets up what the handlers share, without listening anywhere: the
    /// server builds on it, and the fuzz targets drive [`api::handle`] with it directly.
    pub fn new(config: ServerConfig, base_url: String) -> std::io::Result<Shared> {
        let state = State::open(&config.effective_tenants(), config.state_dir.as_deref())?;
        let context = crate::simulate::Context {
            lookups: config.lookups.clone(),
            ..Default::default()
        };
        Ok(Shared {
            faults: Faults::new(config.fail_rate, config.seed),
            context,
            config,
            base_url,
            state: Mutex::new(state),
        })
    }

    /// Locks the state (a panicked handler does not poison it for the others).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running sandbox. Dropping it stops it.
pub struct Server {
    shared: Arc<Shared>,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds, loads state, and serves in a background thread.
    pub fn start(config: ServerConfig) -> std::io::Result<Server> {
        let listener = TcpListener::bind(&config.addr)?;
        let addr = listener.local_addr()?;
        let base_url = match addr {
            SocketAddr::V4(a) => format!("http://{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        };
        let shared = Arc::new(Shared::new(config, base_url)?);
        let stop = Arc::new(Notify::new());
        let thread = server::spawn(listener, shared.clone(), stop.clone())?;
        Ok(Server {
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Every run and test session of a tenant, oldest first.
    pub fn runs(&self, tenant: &str) -> Vec<RunRecord> {
        self.shared
            .lock()
            .tenants
            .get(tenant)
            .map(|t| t.data.runs.clone())
            .unwrap_or_default()
    }

    /// A stored definition, by tenant and meter id.
    pub fn meter(&self, tenant: &str, id: u64) -> Option<Value> {
        self.shared
            .lock()
            .tenants
            .get(tenant)
            .and_then(|t| t.data.meters.get(&id))
            .map(|m| m.definition.clone())
    }

    /// Invalidates every access token (as if they had all expired).
    pub fn revoke_tokens(&self) {
        self.shared.lock().tokens.clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn log(shared: &Shared, method: &str, path: &str, outcome: &str, started: Instant) {
    if let Some(log) = &shared.config.log {
        log.event(Event::Detail(&format!(
            "{method} {path} {outcome} {}ms",
            started.elapsed().as_millis()
        )));
    }
}
