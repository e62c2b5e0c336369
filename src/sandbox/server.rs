//! The sandbox's HTTP server: hyper 1 (HTTP/1.1 only, one request per connection, as before) on
//! a tokio runtime of its own, so that no client can take the server down:
//!
//! - **Bounded connections.** At most [`max_connections`] at once (derived from the open-file
//!   limit, so accepting never runs out of file descriptors). When full, the oldest connection
//!   that has not sent a request head yet is closed to make room, so idle connections cannot
//!   lock anyone out.
//! - **Bounded requests.** Headers: [`MAX_HEADER_BYTES`](super::http::MAX_HEADER_BYTES) and 100
//!   fields (hyper answers 431). Bodies: [`super::body`]'s limits, after decompression (413 in
//!   Zuora's envelope), with at most a few large bodies in memory at once.
//! - **Timeouts.** The request head within [`HEADER_TIMEOUT`] (hyper closes the connection), the
//!   body with no pause longer than the idle timeout and within [`BODY_TIMEOUT`] (408), the answer written within [`WRITE_TIMEOUT`].
//! - **No lock while parsing.** The body is read, gunzipped and (multipart) parsed here, before
//!   the handler runs on a blocking thread and takes the state lock; handlers never hold the
//!   runtime's few worker threads.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};

use super::api::{self, Handled};
use super::body::{Body, BodyError, Slots, MAX_BODY_BYTES};
use super::faults::Fault;
use super::http::MAX_HEADER_BYTES;
use super::http::{boundary, parse_form, parse_parts, percent_decode, Request, Response};
use super::{log, Shared};

/// A client must send its whole request head within this long after connecting.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A client must send its whole body within this long after its head (a generous cap: a slow
/// but steady upload is fine; a stalled one is cut by the idle timeout,
/// [`super::ServerConfig::body_idle_timeout`]).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(600);
/// An answer must be written within this long.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The most connections served at once, whatever the open-file limit allows.
pub const MAX_CONNECTIONS: usize = 4096;
/// File descriptors kept free for everything else (the state folder, the runtime).
const RESERVED_FDS: usize = 64;
/// Threads that run handlers (they queue on the state lock anyway).
const HANDLER_THREADS: usize = 16;

/// How many connections are served at once: the open-file limit less a reserve, at most
/// [`MAX_CONNECTIONS`].
pub fn max_connections() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            let soft = usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX);
            return soft.saturating_sub(RESERVED_FDS).clamp(16, MAX_CONNECTIONS);
        }
    }
    1024
}

/// A connection's phase: waiting for its request head (evictable), serving it, or evicted.
const WAITING: u8 = 0;
const SERVING: u8 = 1;
const EVICTED: u8 = 2;

/// One live connection, as its supervisor and the eviction see it.
struct Conn {
    phase: AtomicU8,
    /// Close it now (evicted, or an injected dropped connection).
    kill: Notify,
    /// Its answer is ready; the write timeout starts.
    answered: Notify,
}

/// The live connections, oldest first.
#[derive(Default)]
struct Conns {
    next: AtomicU64,
    live: Mutex<BTreeMap<u64, Arc<Conn>>>,
}

impl Conns {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            phase: AtomicU8::new(WAITING),
            kill: Notify::new(),
            answered: Notify::new(),
        });
        self.lock().insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the oldest connection still waiting for its request head; false if none is.
    fn evict_oldest_waiting(&self) -> bool {
        let live = self.lock();
        for conn in live.values() {
            let evicted = conn
                .phase
                .compare_exchange(WAITING, EVICTED, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
            if evicted {
                conn.kill.notify_one();
                return true;
            }
        }
        false
    }
}

/// Builds the runtime and serves `listener` on a background thread until `stop` is notified.
pub fn spawn(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: Arc<Notify>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(HANDLER_THREADS)
        .thread_name("sandbox")
        .build()?;
    listener.set_nonblocking(true)?;
    let listener = {
        let _in_runtime = runtime.enter();
        TcpListener::from_std(listener)?
    };
    std::thread::Builder::new()
        .name("sandbox-accept".into())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, shared, stop));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: Arc<Notify>) {
    let conns = Arc::new(Conns::default());
    let capacity = Arc::new(Semaphore::new(max_connections()));
    let slots = Slots::default();
    let mut h1 = http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(false)
        .title_case_headers(true)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(2 * MAX_HEADER_BYTES);
    let h1 = Arc::new(h1);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.notified() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors (or a connection reset before it was accepted): make
                // room and breathe rather than spin.
                conns.evict_oldest_waiting();
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let permit = match capacity.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                conns.evict_oldest_waiting();
                tokio::select! {
                    p = capacity.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => return,
                    },
                    _ = stop.notified() => return,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, conn) = conns.add();
        let (shared, conns, h1, slots) = (shared.clone(), conns.clone(), h1.clone(), slots.clone());
        tokio::spawn(async move {
            let svc = {
                let conn = conn.clone();
                service_fn(move |req| {
                    serve(shared.clone(), conn.clone(), slots.clone(), req).map(Ok::<_, Infallible>)
                })
            };
            let served = h1.serve_connection(TokioIo::new(stream), svc);
            let written = async {
                conn.answered.notified().await;
                tokio::time::sleep(WRITE_TIMEOUT).await;
            };
            tokio::select! {
                _ = served => {}
                _ = conn.kill.notified() => {}
                _ = written => {}
            }
            conns.remove(id);
            drop(permit);
        });
    }
}

/// Serves one request: reads its body (outside any lock), then answers it, or drops the
/// connection (a client that went away, an injected fault).
async fn serve(
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    slots: Slots,
    incoming: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let serving = conn
        .phase
        .compare_exchange(WAITING, SERVING, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if !serving {
        // Evicted just as its head arrived: the connection is being closed.
        return std::future::pending().await;
    }
    let (head, frames) = incoming.into_parts();
    let mut req = request_head(&head);
    let idle = shared.config.body_idle_timeout;
    let read = tokio::time::timeout(BODY_TIMEOUT, read_body(&mut req, frames, &slots, idle)).await;
    // Holds the body's large-body slot until the request is answered.
    let mut _body = None;
    let answer = match read {
        Err(_) => Some(api::error(
            408,
            api::BAD_BODY,
            format!(
                "the request body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            ),
        )),
        Ok(Err(BodyError::Closed(_))) => None,
        Ok(Err(e @ BodyError::Idle(_))) => Some(api::error(408, api::BAD_BODY, e.to_string())),
        Ok(Err(BodyError::TooLarge)) => Some(api::error(413, api::BAD_BODY, "request too large")),
        Ok(Err(e @ BodyError::BadGzip(_))) => Some(api::error(400, api::BAD_BODY, e.to_string())),
        Ok(Ok(body)) => {
            _body = Some(body);
            let (answer, back) = respond(&shared, req, started).await;
            req = back;
            answer
        }
    };
    let Some(resp) = answer else {
        conn.kill.notify_one();
        return std::future::pending().await;
    };
    conn.answered.notify_one();
    let gzip = req
        .header("accept-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("gzip"));
    log(
        &shared,
        &req.method,
        &req.path,
        &resp.status.to_string(),
        started,
    );
    to_hyper(resp.gzipped(gzip))
}

/// The request line and headers: the path percent-decoded per segment, the query decoded.
fn request_head(head: &hyper::http::request::Parts) -> Request {
    let path = head
        .uri
        .path()
        .split('/')
        .map(percent_decode)
        .collect::<Vec<_>>()
        .join("/");
    let headers = head
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    Request {
        method: head.method.as_str().to_string(),
        path,
        query: parse_form(head.uri.query().unwrap_or_default().as_bytes()),
        headers,
        body: Vec::new(),
        parts: None,
    }
}

/// Reads the body into `req`: parsed as multipart parts for the two multipart endpoints, whole
/// otherwise. Returns the spent body, which holds its large-body slot.
async fn read_body(
    req: &mut Request,
    frames: Incoming,
    slots: &Slots,
    idle: Duration,
) -> Result<Body<Incoming>, BodyError> {
    let declared = req
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(BodyError::TooLarge);
    }
    let gzip = req
        .header("content-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let mut body = Body::new(frames, gzip, MAX_BODY_BYTES, slots, idle);
    let multipart_endpoint =
        req.method == "POST" && matches!(req.segments().as_slice(), ["meters", "import" | "files"]);
    let read = if multipart_endpoint && req.is_multipart() {
        let ct = req.header("content-type").unwrap_or_default();
        let parts = match boundary(ct) {
            Ok(b) => parse_parts(body.stream(), b).await,
            Err(e) => Err(e),
        };
        req.parts = Some(parts);
        body.failure.take().map_or(Ok(()), Err)
    } else {
        let hint = if gzip {
            0
        } else {
            declared.unwrap_or(0) as usize
        };
        body.collect(hint).await.map(|b| req.body = b)
    };
    match read {
        // The rest (a multipart epilogue, or what follows a malformed part or a refused gzip
        // stream) is read too, so that the client gets its answer.
        Ok(()) | Err(BodyError::TooLarge | BodyError::BadGzip(_)) => {
            let drained = body.drain().await;
            read.and(drained).map(|()| body)
        }
        Err(e) => Err(e),
    }
}

/// Answers a request whose body was read: the configured latency, the fault dice, then the
/// handler on a blocking thread (it takes the state lock). `None` drops the connection.
async fn respond(
    shared: &Arc<Shared>,
    req: Request,
    started: Instant,
) -> (Option<Response>, Request) {
    let cfg = &shared.config;
    if !cfg.latency.is_zero() {
        tokio::time::sleep(cfg.latency).await;
    }
    let injected = match shared.faults.roll() {
        Some(Fault::Drop) => {
            log(
                shared,
                &req.method,
                &req.path,
                "dropped (injected)",
                started,
            );
            return (None, req);
        }
        Some(Fault::TooManyRequests) => Some(
            api::error(429, "70002005", "RATE_LIMITED: injected fault")
                .with_header("Retry-After", "1"),
        ),
        Some(Fault::Internal) => Some(api::error(
            500,
            api::INJECTED_FAULT,
            "internal error (injected fault)",
        )),
        Some(Fault::Unavailable) => Some(api::error(
            503,
            api::INJECTED_FAULT,
            "service unavailable (injected fault)",
        )),
        None => None,
    };
    let (mut resp, delay, req) = match injected {
        Some(r) => (r, None, req),
        None => {
            let handler_shared = shared.clone();
            let mut req = req;
            let (path, method) = (req.path.clone(), req.method.clone());
            let handled = tokio::task::spawn_blocking(move || {
                let handled = api::handle(&handler_shared, &mut req);
                (handled, req)
            })
            .await;
            match handled {
                Ok((Handled::Now(r), req)) => (r, None, req),
                Ok((Handled::After(r, d), req)) => (r, Some(d), req),
                Err(_) => {
                    let r = api::error(500, api::INJECTED_FAULT, "internal error in the sandbox");
                    let req = Request {
                        method,
                        path,
                        ..Request::default()
                    };
                    (r, None, req)
                }
            }
        }
    };
    let request_id = format!("{:032x}", fastrand::u128(..));
    resp.headers.push(("Zuora-Request-Id".into(), request_id));
    if let Some(track) = req.header("zuora-track-id") {
        resp.headers
            .push(("Zuora-Track-Id".into(), track.to_string()));
    }
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    (Some(resp), req)
}

/// The hyper response (headers hyper refuses, such as ones with control characters, are left out).
fn to_hyper(resp: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(resp.body)));
    *out.status_mut() = hyper::StatusCode::from_u16(resp.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in resp.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::try_from(k),
            hyper::header::HeaderValue::try_from(v),
        ) {
            out.headers_mut().append(k, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_closes_the_oldest_connection_still_waiting_for_its_head() {
        let conns = Conns::default();
        let (_, oldest) = conns.add();
        let (_, second) = conns.add();
        let (_, newest) = conns.add();
        // The oldest is serving a request: it is skipped.
        oldest.phase.store(SERVING, Ordering::SeqCst);
        assert!(conns.evict_oldest_waiting());
        assert_eq!(second.phase.load(Ordering::SeqCst), EVICTED);
        assert_eq!(oldest.phase.load(Ordering::SeqCst), SERVING);
        assert_eq!(newest.phase.load(Ordering::SeqCst), WAITING);
        assert!(conns.evict_oldest_waiting());
        assert_eq!(newest.phase.load(Ordering::SeqCst), EVICTED);
        // Nothing left waiting: nothing to evict.
        assert!(!conns.evict_oldest_waiting());
    }

    #[test]
    fn the_connection_cap_leaves_descriptors_free() {
        let cap = max_connections();
        assert!((16..=MAX_CONNECTIONS).contains(&cap), "{cap}");
    }
}
