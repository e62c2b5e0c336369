//! `meterctl sandbox`: a local server that speaks the Zuora Mediation Meters API ("LocalStack for
//! Zuora Mediation"), for tests, demos and dry runs in CI without a Zuora tenant.
//!
//! Like Zuora, one base URL serves several tenants and the OAuth client decides which. It
//! implements `/oauth/token` and the Meters endpoints the client uses (see [`api`]), keeps its
//! state in memory or in a folder (see [`state`]), and can misbehave on purpose (see [`faults`]).
//! It is plain HTTP on purpose: bind it to a loopback address (the client refuses plain HTTP
//! anywhere else). One thread per connection, one request per connection, one mutex around the
//! state.

pub mod api;
pub mod clock;
pub mod faults;
pub mod http;
pub mod state;

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use self::api::Handled;
use self::faults::{Fault, Faults};
use self::http::{read_request, write_response, ReadError};
pub use self::state::TenantSpec;
use self::state::{RunRecord, State};
use crate::rng::Rng;

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct Config {
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
    /// Log one line per request to stderr (method, path, status; never bodies or headers).
    pub log: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
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
            log: false,
        }
    }
}

impl Config {
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

/// What every connection thread shares.
pub struct Shared {
    /// The configuration.
    pub config: Config,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    state: Mutex<State>,
    faults: Faults,
    /// Randomness for tokens and ids.
    pub rng: Mutex<Rng>,
}

impl Shared {
    /// Loads the state and sets up what the handlers share, without listening anywhere: the
    /// server builds on it, and the fuzz targets drive [`api::handle`] with it directly.
    pub fn new(config: Config, base_url: String) -> std::io::Result<Shared> {
        let state = State::open(&config.effective_tenants(), config.state_dir.as_deref())?;
        Ok(Shared {
            faults: Faults::new(config.fail_rate, config.seed),
            rng: Mutex::new(Rng::from_entropy()),
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
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds, loads state, and serves in a background thread.
    pub fn start(config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind(&config.addr)?;
        let addr = listener.local_addr()?;
        let base_url = match addr {
            SocketAddr::V4(a) => format!("http://{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        };
        let shared = Arc::new(Shared::new(config, base_url)?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name("sandbox-accept".into())
                .spawn(move || accept_loop(listener, shared, stop))?
        };
        Ok(Server {
            shared,
            addr,
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
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = shared.clone();
        let _ = std::thread::Builder::new()
            .name("sandbox-conn".into())
            .spawn(move || serve_connection(&shared, stream));
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream) {
    let started = Instant::now();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    let req = match read_request(&mut reader) {
        Ok(r) => r,
        Err(ReadError::Closed | ReadError::Io(_)) => return,
        Err(ReadError::Bad(msg)) => {
            let _ = write_response(&mut stream, &api::error(400, api::BAD_BODY, msg), false);
            return;
        }
        Err(ReadError::TooLarge) => {
            let r = api::error(413, api::BAD_BODY, "request too large");
            let _ = write_response(&mut stream, &r, false);
            return;
        }
    };
    let cfg = &shared.config;
    if !cfg.latency.is_zero() {
        std::thread::sleep(cfg.latency);
    }
    let (mut resp, delay) = match shared.faults.roll() {
        Some(Fault::Drop) => {
            log(
                shared,
                &req.method,
                &req.path,
                "dropped (injected)",
                started,
            );
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        Some(Fault::TooManyRequests) => (
            api::error(429, "70002005", "RATE_LIMITED: injected fault")
                .with_header("Retry-After", "1"),
            None,
        ),
        Some(Fault::Internal) => (
            api::error(500, api::INJECTED_FAULT, "internal error (injected fault)"),
            None,
        ),
        Some(Fault::Unavailable) => (
            api::error(
                503,
                api::INJECTED_FAULT,
                "service unavailable (injected fault)",
            ),
            None,
        ),
        None => match api::handle(shared, &req) {
            Handled::Now(r) => (r, None),
            Handled::After(r, d) => (r, Some(d)),
        },
    };
    let request_id = shared.rng.lock().map(|mut r| r.hex(32)).unwrap_or_default();
    resp.headers.push(("Zuora-Request-Id".into(), request_id));
    if let Some(track) = req.header("zuora-track-id") {
        resp.headers
            .push(("Zuora-Track-Id".into(), track.to_string()));
    }
    if let Some(d) = delay {
        std::thread::sleep(d);
    }
    let gzip = req
        .header("accept-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("gzip"));
    let _ = write_response(&mut stream, &resp, gzip);
    let _ = stream.flush();
    log(
        shared,
        &req.method,
        &req.path,
        &resp.status.to_string(),
        started,
    );
}

fn log(shared: &Shared, method: &str, path: &str, outcome: &str, started: Instant) {
    if shared.config.log {
        eprintln!(
            "{method} {path} {outcome} {}ms",
            started.elapsed().as_millis()
        );
    }
}
