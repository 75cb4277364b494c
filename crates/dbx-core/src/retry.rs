//! Retry policy: which failures are retried, how long to wait, and when to give up.
//!
//! The rules, applied by [`crate::Client`] to every call:
//! * 429 and 503 answers (and the codes `REQUEST_LIMIT_EXCEEDED`, `TEMPORARILY_UNAVAILABLE`) are
//!   retried for every method: the server did not do the work. `Retry-After` (seconds or an HTTP
//!   date) is honoured.
//! * A connection that could not be established is retried for every method: nothing was sent.
//! * Timeouts, 504 answers and connections that broke after the request was sent are retried only
//!   for requests that are safe to repeat: GET/HEAD, and calls marked idempotent.
//! * Exponential backoff with full jitter, capped; an overall deadline; a maximum attempt count.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// How a client retries. Set per client in [`crate::ConfigBuilder::retry`], and per call.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff; doubles on every further attempt.
    pub initial_backoff: Duration,
    /// No single wait exceeds this (a longer `Retry-After` is still honoured up to the deadline).
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub deadline: Duration,
    /// Randomise waits (full jitter). Off only in tests that need exact timing.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            deadline: Duration::from_secs(300),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `attempt + 1`, after `attempt` (1-based) attempts have failed.
    /// A server-given `retry_after` wins over the computed backoff.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra;
        }
        let exp = attempt.saturating_sub(1).min(20);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        if self.jitter && !base.is_zero() {
            // Full jitter between half and the whole of the base, so waits never collapse to 0.
            let half = base / 2;
            let extra = rand::random::<f64>() * half.as_secs_f64();
            half + Duration::from_secs_f64(extra)
        } else {
            base
        }
    }
}

/// Parse `Retry-After` as delta-seconds or an HTTP date. Unparseable values are ignored.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().expect("hv"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        let future = SystemTime::now() + Duration::from_secs(30);
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(future).parse().expect("hv"),
        );
        let d = parse_retry_after(&h).expect("date parsed");
        assert!(
            d > Duration::from_secs(27) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("hv"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().expect("hv"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn backoff_is_exponential_and_capped() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            jitter: false,
            ..RetryPolicy::default()
        };
        let waits: Vec<_> = (1..=5).map(|a| p.backoff(a, None).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 700, 700]);
        assert_eq!(
            p.backoff(3, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        let j = RetryPolicy { jitter: true, ..p };
        for a in 1..6 {
            let w = j.backoff(a, None);
            let base = p.backoff(a, None);
            assert!(w >= base / 2 && w <= base, "{w:?} vs {base:?}");
        }
    }
}
