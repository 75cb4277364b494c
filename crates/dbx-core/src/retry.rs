//! Retry policy: which failures are retried, how long to wait, and when to give up.
//!
//! [`classify`] is the one place the rules live; the client's retry loop and
//! [`crate::Error::is_retryable`] both ask it. The rules:
//!
//! * 429 and 503 answers, and answers whose `error_code` is `REQUEST_LIMIT_EXCEEDED` or
//!   `TEMPORARILY_UNAVAILABLE` whatever their status, are retried for every method: the server
//!   did not do the work. `Retry-After` (seconds or an HTTP date) is honoured. The exception is
//!   503 `PARTIAL_DELETE`, which means "call again to continue" (DBFS `delete`,
//!   <https://docs.databricks.com/api/workspace/dbfs/delete>): the caller's loop does that.
//! * A connection that could not be established is retried for every method: nothing was sent.
//! * The client's own timeout, a transport timeout, a connection that broke after the request
//!   was sent, and a 504 answer are retried only for calls that are safe to repeat
//!   ([`Idempotency::Idempotent`]): GET, HEAD, OPTIONS, PUT and DELETE (idempotent by HTTP's
//!   own definition of these methods) and calls marked idempotent by the API crate or the
//!   caller (see [`crate::CallOptions`]). A POST or PATCH is never sent again after it may
//!   have been processed, unless marked idempotent.
//! * Everything else (other 4xx and 5xx answers, requests that could not be built, a failed TLS
//!   handshake: a plain-HTTP server behind an `https://` URL, an untrusted certificate) is final.
//! * Exponential backoff with full jitter, capped; an overall deadline; a maximum attempt count
//!   ([`RetryPolicy`]).
//!
//! Before this function existed the rules were written out three times and disagreed: these
//! docs named only GET/HEAD as safe while the client also treated PUT/DELETE/OPTIONS as safe.
//! The client's behaviour (pinned by `crates/dbx-core/tests/retries.rs`) was kept: it matches
//! HTTP's definition of idempotent methods, and the Databricks REST API uses PUT and DELETE only
//! for calls whose repetition leaves the same state. Where this sits in the path of a call:
//! `docs/architecture.md`, step 3.
//!
//! ```
//! use dbx_core::retry::{classify, Attempt, Idempotency, RetryDecision};
//! use http::StatusCode;
//! let gateway_timeout = Attempt::Answer { status: StatusCode::GATEWAY_TIMEOUT, error_code: None };
//! assert_eq!(classify(Idempotency::NotIdempotent, &gateway_timeout), RetryDecision::Stop);
//! assert_eq!(classify(Idempotency::Idempotent, &gateway_timeout), RetryDecision::Retry);
//! ```

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use crate::transport::TransportErrorKind;

/// Whether a call is safe to send again after the server may have processed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// Repeating the call leaves the same state: retried after timeouts and broken connections.
    Idempotent,
    /// Repeating the call could do the work twice: never resent once it may have arrived.
    NotIdempotent,
}

impl Idempotency {
    /// The default of an HTTP method: GET, HEAD, OPTIONS, PUT and DELETE are idempotent (as HTTP
    /// defines them); POST, PATCH and anything else are not.
    pub fn of_method(method: &Method) -> Self {
        if matches!(
            *method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        ) {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        }
    }
}

/// What one attempt of a call ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attempt<'a> {
    /// The client's own per-attempt timeout fired.
    TimedOut,
    /// The transport could not obtain a response.
    Transport(TransportErrorKind),
    /// The server answered with a non-2xx status.
    Answer {
        /// The HTTP status.
        status: StatusCode,
        /// The answer's `error_code`, when it had one.
        error_code: Option<&'a str>,
    },
}

/// What [`classify`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Another attempt may succeed (subject to the [`RetryPolicy`]'s limits).
    Retry,
    /// The outcome is final.
    Stop,
}

/// The one retry classifier: whether a call of the given [`Idempotency`] that ended in `attempt`
/// may be tried again. The rules are listed in this module's documentation.
pub fn classify(idempotency: Idempotency, attempt: &Attempt<'_>) -> RetryDecision {
    let safe = idempotency == Idempotency::Idempotent;
    let retry = match *attempt {
        Attempt::TimedOut => safe,
        Attempt::Transport(kind) => match kind {
            TransportErrorKind::Connect => true,
            TransportErrorKind::Timeout | TransportErrorKind::Io => safe,
            _ => false,
        },
        Attempt::Answer { status, error_code } => {
            if status.is_success() || error_code == Some("PARTIAL_DELETE") {
                false
            } else {
                status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE
                    || matches!(
                        error_code,
                        Some("REQUEST_LIMIT_EXCEEDED" | "TEMPORARILY_UNAVAILABLE")
                    )
                    || (status == StatusCode::GATEWAY_TIMEOUT && safe)
            }
        }
    };
    if retry {
        RetryDecision::Retry
    } else {
        RetryDecision::Stop
    }
}

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
    fn classifier_table() {
        use Idempotency::{Idempotent as I, NotIdempotent as N};
        use RetryDecision::{Retry, Stop};
        let answer = |status: u16, error_code| Attempt::Answer {
            status: StatusCode::from_u16(status).expect("status"),
            error_code,
        };
        let cases = [
            (answer(429, None), Retry, Retry),
            (answer(503, None), Retry, Retry),
            (answer(503, Some("PARTIAL_DELETE")), Stop, Stop),
            (answer(400, Some("REQUEST_LIMIT_EXCEEDED")), Retry, Retry),
            (answer(500, Some("TEMPORARILY_UNAVAILABLE")), Retry, Retry),
            (answer(504, None), Stop, Retry),
            (answer(500, None), Stop, Stop),
            (answer(404, Some("RESOURCE_DOES_NOT_EXIST")), Stop, Stop),
            (Attempt::TimedOut, Stop, Retry),
            (
                Attempt::Transport(TransportErrorKind::Connect),
                Retry,
                Retry,
            ),
            (Attempt::Transport(TransportErrorKind::Timeout), Stop, Retry),
            (Attempt::Transport(TransportErrorKind::Io), Stop, Retry),
            (Attempt::Transport(TransportErrorKind::Request), Stop, Stop),
            (Attempt::Transport(TransportErrorKind::Tls), Stop, Stop),
        ];
        for (attempt, not_idempotent, idempotent) in cases {
            assert_eq!(
                classify(N, &attempt),
                not_idempotent,
                "{attempt:?}, not idempotent"
            );
            assert_eq!(classify(I, &attempt), idempotent, "{attempt:?}, idempotent");
        }
        assert_eq!(Idempotency::of_method(&Method::PUT), I);
        assert_eq!(Idempotency::of_method(&Method::DELETE), I);
        assert_eq!(Idempotency::of_method(&Method::POST), N);
        assert_eq!(Idempotency::of_method(&Method::PATCH), N);
    }

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
