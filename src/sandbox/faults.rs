//! Fault injection and rate limiting, for testing a client's resilience.
//!
//! `--fail-rate P` makes that share of requests fail before they are handled (so a failed request
//! never changed anything): a 429 with `Retry-After`, a 500, a 503, or a connection dropped without
//! an answer, picked by a PRNG seeded with `--seed` so a failing test can be replayed.
//! `--rpm N` limits each tenant to N requests in any 60-second window and answers 429 with
//! `Retry-After` and the `ratelimit-*` headers beyond that, as Zuora does.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// 500.
    Internal,
    /// 503.
    Unavailable,
    /// Close the connection without answering.
    Drop,
}

/// The fault dice.
#[derive(Debug)]
pub struct Faults {
    rate: f64,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// Fails `rate` (0..=1) of the requests, seeded by `seed`.
    pub fn new(rate: f64, seed: u64) -> Faults {
        Faults {
            rate: rate.clamp(0.0, 1.0),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    /// Rolls for one request.
    pub fn roll(&self) -> Option<Fault> {
        if self.rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if rng.f64() >= self.rate {
            return None;
        }
        Some(match rng.u8(..4) {
            0 => Fault::TooManyRequests,
            1 => Fault::Internal,
            2 => Fault::Unavailable,
            _ => Fault::Drop,
        })
    }
}

/// The outcome of a rate-limit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateInfo {
    /// The limit per minute.
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// Seconds until a slot frees up.
    pub reset_secs: u64,
    /// Whether this request is over the limit.
    pub exceeded: bool,
}

impl RateInfo {
    /// The `ratelimit-*` headers (and `Retry-After` when exceeded).
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            (
                "ratelimit-limit".to_string(),
                format!("{}, {};w=60", self.limit, self.limit),
            ),
            ("ratelimit-remaining".into(), self.remaining.to_string()),
            ("ratelimit-reset".into(), self.reset_secs.to_string()),
        ];
        if self.exceeded {
            h.push(("Retry-After".into(), self.reset_secs.max(1).to_string()));
        }
        h
    }
}

/// Records a request in a tenant's sliding one-minute window.
pub fn check_rate(recent: &mut VecDeque<Instant>, rpm: u32, now: Instant) -> RateInfo {
    let window = Duration::from_secs(60);
    while recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        recent.pop_front();
    }
    let reset = |recent: &VecDeque<Instant>| {
        recent.front().map_or(0, |t| {
            (window.saturating_sub(now.duration_since(*t)).as_millis() as u64).div_ceil(1000)
        })
    };
    if recent.len() as u32 >= rpm {
        return RateInfo {
            limit: rpm,
            remaining: 0,
            reset_secs: reset(recent).max(1),
            exceeded: true,
        };
    }
    recent.push_back(now);
    RateInfo {
        limit: rpm,
        remaining: rpm - recent.len() as u32,
        reset_secs: reset(recent),
        exceeded: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_rate_is_roughly_honoured_and_reproducible() {
        let f = Faults::new(0.3, 42);
        let hits = (0..1000).filter(|_| f.roll().is_some()).count();
        assert!((250..350).contains(&hits), "{hits}");
        let a: Vec<_> = (0..50).map(|_| Faults::new(0.5, 1).roll()).collect();
        assert!(a.iter().all(|x| *x == a[0]));
        // The same seed replays the same sequence of faults, kind included.
        let (x, y) = (Faults::new(0.5, 9), Faults::new(0.5, 9));
        let xs: Vec<_> = (0..200).map(|_| x.roll()).collect();
        assert_eq!(xs, (0..200).map(|_| y.roll()).collect::<Vec<_>>());
        for kind in [
            Fault::TooManyRequests,
            Fault::Internal,
            Fault::Unavailable,
            Fault::Drop,
        ] {
            assert!(xs.contains(&Some(kind)), "{kind:?} never rolled");
        }
        assert!(Faults::new(0.0, 1).roll().is_none());
    }

    #[test]
    fn window_limits_and_frees() {
        let mut q = VecDeque::new();
        let t0 = Instant::now();
        assert!(!check_rate(&mut q, 2, t0).exceeded);
        assert_eq!(check_rate(&mut q, 2, t0).remaining, 0);
        let over = check_rate(&mut q, 2, t0);
        assert!(over.exceeded);
        assert_eq!(over.reset_secs, 60);
        assert!(over
            .headers()
            .iter()
            .any(|(k, v)| k == "Retry-After" && v == "60"));
        assert!(!check_rate(&mut q, 2, t0 + Duration::from_secs(61)).exceeded);
    }
}
