//! Reading a request body within the sandbox's limits: at most [`MAX_BODY_BYTES`] as sent and
//! again after gzip decompression (so a small gzip bomb is refused at the limit, never inflated
//! whole), decompressed as it streams in, 32 KB at a time.
//!
//! Memory stays bounded however many clients send at once: a body may grow past
//! [`SMALL_BODY_BYTES`] only while it holds one of [`LARGE_BODY_SLOTS`] slots, so at most that
//! many large bodies are in memory together; the others wait for a slot (their senders are held
//! back by TCP) within the request timeout.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use super::http::MAX_BODY_BYTES;

/// A body may grow this large without a large-body slot.
pub const SMALL_BODY_BYTES: usize = 256 * 1024;
/// How many bodies larger than [`SMALL_BODY_BYTES`] may be read (and handled) at once.
pub const LARGE_BODY_SLOTS: usize = 3;
/// Compressed input fed to the decompressor per step (so one step inflates at most ~32 KB).
const INFLATE_STEP: usize = 1024;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`], as sent or decompressed: answer 413.
    TooLarge,
    /// `Content-Encoding: gzip` with a body that is not gzip: answer 400.
    BadGzip(String),
    /// The client stopped sending or went away: nothing to answer.
    Closed(String),
    /// No body data arrived for the idle timeout: answer 408.
    Idle(std::time::Duration),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge => write!(f, "request too large"),
            BodyError::BadGzip(e) => write!(f, "bad gzip body: {e}"),
            BodyError::Closed(e) => write!(f, "the client stopped sending: {e}"),
            BodyError::Idle(d) => write!(f, "no body data arrived for {} s", d.as_secs()),
        }
    }
}

impl std::error::Error for BodyError {}

/// The large-body slots every request shares.
#[derive(Debug, Clone)]
pub struct Slots(Arc<Semaphore>);

impl Default for Slots {
    fn default() -> Self {
        Slots(Arc::new(Semaphore::new(LARGE_BODY_SLOTS)))
    }
}

/// A body as it streams in: frames from the connection, gunzipped when asked, counted against
/// the limits. Keep it (and so its slot) until the request is handled.
pub struct Body<B> {
    /// The longest wait for the next frame.
    idle: std::time::Duration,
    frames: B,
    gunzip: Option<flate2::write::GzDecoder<Vec<u8>>>,
    pending: Bytes,
    sent: usize,
    total: usize,
    max: usize,
    slots: Slots,
    slot: Option<OwnedSemaphorePermit>,
    /// The first error the body met (what a multipart parse that failed on it was told).
    pub failure: Option<BodyError>,
}

impl<B> Body<B>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: fmt::Display,
{
    /// Reads `frames`, gunzipping them when `gzip`, refusing more than `max` bytes.
    pub fn new(
        frames: B,
        gzip: bool,
        max: usize,
        slots: &Slots,
        idle: std::time::Duration,
    ) -> Self {
        Body {
            idle,
            frames,
            gunzip: gzip.then(|| flate2::write::GzDecoder::new(Vec::new())),
            pending: Bytes::new(),
            sent: 0,
            total: 0,
            max,
            slots: slots.clone(),
            slot: None,
            failure: None,
        }
    }

    /// The next frame as sent, or [`BodyError::Idle`] when none arrives within the idle timeout:
    /// a slow but steady upload is fine, a stalled one is not.
    async fn next_frame(
        &mut self,
    ) -> Result<Option<Result<hyper::body::Frame<Bytes>, B::Error>>, BodyError> {
        tokio::time::timeout(self.idle, self.frames.frame())
            .await
            .map_err(|_| BodyError::Idle(self.idle))
    }

    /// The next piece of the (decompressed) body; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        let next = self.next_inner().await;
        if let Err(e) = &next {
            self.failure.get_or_insert_with(|| e.clone());
        }
        next
    }

    async fn next_inner(&mut self) -> Result<Option<Bytes>, BodyError> {
        loop {
            if let Some(dec) = &mut self.gunzip {
                if !self.pending.is_empty() {
                    let step = self.pending.len().min(INFLATE_STEP);
                    let used = dec
                        .write(&self.pending[..step])
                        .map_err(|e| BodyError::BadGzip(e.to_string()))?;
                    if used == 0 {
                        // Past the end of the gzip member: ignored, as a gzip reader does.
                        self.pending.clear();
                    } else {
                        self.pending.advance(used);
                    }
                    let out = std::mem::take(dec.get_mut());
                    if out.is_empty() {
                        continue;
                    }
                    return self.count(out.into()).await.map(Some);
                }
            }
            let Some(frame) = self.next_frame().await? else {
                return match self.gunzip.take() {
                    Some(dec) => {
                        let rest = dec
                            .finish()
                            .map_err(|e| BodyError::BadGzip(e.to_string()))?;
                        if rest.is_empty() {
                            Ok(None)
                        } else {
                            self.count(rest.into()).await.map(Some)
                        }
                    }
                    None => Ok(None),
                };
            };
            let frame = frame.map_err(|e| BodyError::Closed(e.to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers
            };
            self.sent += data.len();
            if self.sent > self.max {
                return Err(BodyError::TooLarge);
            }
            if self.gunzip.is_some() {
                self.pending = data;
            } else if !data.is_empty() {
                return self.count(data).await.map(Some);
            }
        }
    }

    /// Counts a piece against the limit, taking a large-body slot when the body outgrows a
    /// small one, and yielding so that inflating a bomb never starves other connections.
    async fn count(&mut self, piece: Bytes) -> Result<Bytes, BodyError> {
        self.total += piece.len();
        if self.total > self.max {
            return Err(BodyError::TooLarge);
        }
        if self.total > SMALL_BODY_BYTES && self.slot.is_none() {
            let permit = self.slots.0.clone().acquire_owned().await;
            self.slot = Some(permit.map_err(|e| BodyError::Closed(e.to_string()))?);
        }
        tokio::task::coop::consume_budget().await;
        Ok(piece)
    }

    /// The whole body.
    pub async fn collect(&mut self, size_hint: usize) -> Result<Vec<u8>, BodyError> {
        let mut out = Vec::with_capacity(size_hint.min(SMALL_BODY_BYTES));
        while let Some(piece) = self.next_chunk().await? {
            out.extend_from_slice(&piece);
        }
        Ok(out)
    }

    /// Reads the rest of the body as sent (not decompressed) and drops it, up to the limit, so
    /// that a client still sending reads its answer rather than a reset connection.
    pub async fn drain(&mut self) -> Result<(), BodyError> {
        self.gunzip = None;
        self.pending = Bytes::new();
        while let Some(frame) = self.next_frame().await? {
            let frame = frame.map_err(|e| BodyError::Closed(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                self.sent += data.len();
                if self.sent > self.max {
                    return Err(BodyError::TooLarge);
                }
            }
        }
        Ok(())
    }

    /// The body as a stream of pieces (for a multipart parser); errors are kept in `failure`.
    pub fn stream(
        &mut self,
    ) -> impl futures_util::Stream<Item = Result<Bytes, BodyError>> + Send + '_
    where
        B: Send,
    {
        futures_util::stream::unfold(self, |body| async move {
            match body.next_chunk().await {
                Ok(Some(piece)) => Some((Ok(piece), body)),
                Ok(None) => None,
                Err(e) => Some((Err(e), body)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: std::time::Duration = std::time::Duration::from_secs(30);
    use http_body_util::{Full, StreamBody};
    use hyper::body::Frame;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read(raw: Vec<u8>, gzip: bool, max: usize) -> Result<Vec<u8>, BodyError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut body = Body::new(
                Full::new(Bytes::from(raw)),
                gzip,
                max,
                &Slots::default(),
                IDLE,
            );
            body.collect(0).await
        })
    }

    #[test]
    fn plain_and_gzipped_bodies() {
        assert_eq!(read(b"abc".to_vec(), false, 10).unwrap(), b"abc");
        assert_eq!(read(b"abc".to_vec(), false, 2), Err(BodyError::TooLarge));
        let text = "hello ".repeat(1000);
        assert_eq!(
            read(gz(text.as_bytes()), true, 10_000).unwrap(),
            text.as_bytes()
        );
        // Trailing bytes after the gzip member are ignored, as a gzip reader does.
        let mut trailing = gz(b"x");
        trailing.extend_from_slice(b"junk");
        assert_eq!(read(trailing, true, 100).unwrap(), b"x");
        for bad in [b"not gzip".to_vec(), Vec::new(), gz(b"abc")[..10].to_vec()] {
            assert!(
                matches!(read(bad, true, 100), Err(BodyError::BadGzip(_))),
                "accepted"
            );
        }
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        // 8 MB of zeros in ~8 KB: refused at 1 MB, never inflated whole.
        let bomb = gz(&vec![0u8; 8 << 20]);
        assert!(bomb.len() < 16 * 1024, "{}", bomb.len());
        assert_eq!(read(bomb, true, 1 << 20), Err(BodyError::TooLarge));
    }

    #[test]
    fn large_bodies_wait_for_a_slot() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let slots = Slots::default();
            let big = || Full::new(Bytes::from(vec![1u8; SMALL_BODY_BYTES + 1]));
            let mut held = Vec::new();
            for _ in 0..LARGE_BODY_SLOTS {
                let mut b = Body::new(big(), false, usize::MAX, &slots, IDLE);
                b.collect(0).await.unwrap();
                held.push(b);
            }
            let mut waiting = Body::new(big(), false, usize::MAX, &slots, IDLE);
            let timed_out =
                tokio::time::timeout(std::time::Duration::from_millis(50), waiting.collect(0))
                    .await
                    .is_err();
            assert!(timed_out, "a fourth large body did not wait");
            // A small body never waits.
            let mut small = Body::new(Full::new(Bytes::from_static(b"x")), false, 10, &slots, IDLE);
            assert_eq!(small.collect(0).await.unwrap(), b"x");
            held.pop();
            let mut next = Body::new(big(), false, usize::MAX, &slots, IDLE);
            assert_eq!(next.collect(0).await.unwrap().len(), SMALL_BODY_BYTES + 1);
        });
    }

    #[test]
    fn a_multipart_stream_reports_the_body_limit() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let chunks = (0..10).map(|_| {
                Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(
                    b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n0123456789",
                )))
            });
            let mut body = Body::new(
                StreamBody::new(futures_util::stream::iter(chunks)),
                false,
                100,
                &Slots::default(),
                IDLE,
            );
            let parsed = super::super::http::parse_parts(body.stream(), "B".into()).await;
            assert!(parsed.is_err());
            assert_eq!(body.failure, Some(BodyError::TooLarge));
        });
    }
}
