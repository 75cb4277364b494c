//! Polling waiters for the API's state machines (clusters, runs, ...).
//!
//! [`poll_until`] calls a probe until it reports [`Poll::Ready`], sleeping between probes with
//! exponential backoff, and gives up with [`crate::Error::WaitTimeout`] at the caller's
//! deadline. What "ready" means, and whether a ready state is a success (RUNNING) or a failure
//! (TERMINATED with a reason), is the probe's typed value: a failed end state is an outcome the
//! caller sees, never a silent success.
//!
//! ```
//! # async fn demo() -> dbx_core::Result<()> {
//! use std::time::Duration;
//! use dbx_core::wait::{poll_until, Poll, PollPolicy};
//! let mut n = 0;
//! let policy = PollPolicy::new(Duration::from_secs(5)).interval(Duration::from_millis(1));
//! let tries = poll_until(&policy, || {
//!     n += 1;
//!     let n = n;
//!     async move { Ok(if n < 3 { Poll::Pending(format!("try {n}")) } else { Poll::Ready(n) }) }
//! })
//! .await?;
//! assert_eq!(tries, 3);
//! # Ok(()) }
//! ```

use std::future::Future;
use std::time::Duration;

use crate::{Error, Result};

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll<T> {
    /// The wait is over, with this outcome.
    Ready(T),
    /// Not yet; the current state in words (used in the timeout error).
    Pending(String),
}

/// How to poll: first interval, growth factor, cap, and the overall deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct PollPolicy {
    /// Wait before the second probe.
    pub interval: Duration,
    /// Each wait is the previous one times this (≥ 1).
    pub backoff: f64,
    /// No wait exceeds this.
    pub max_interval: Duration,
    /// Give up once this much time has passed.
    pub deadline: Duration,
}

impl PollPolicy {
    /// Poll for at most `deadline`, starting at 1 s intervals growing 1.5× up to 10 s.
    pub fn new(deadline: Duration) -> Self {
        Self {
            interval: Duration::from_secs(1),
            backoff: 1.5,
            max_interval: Duration::from_secs(10),
            deadline,
        }
    }

    /// Set the first interval.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Set the growth factor (values below 1 are treated as 1).
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = factor;
        self
    }

    /// Set the longest wait between probes.
    pub fn max_interval(mut self, max: Duration) -> Self {
        self.max_interval = max;
        self
    }
}

impl Default for PollPolicy {
    /// Twenty minutes: the time a cluster may take to start.
    fn default() -> Self {
        Self::new(Duration::from_secs(20 * 60))
    }
}

/// Probe until ready or the deadline passes. A probe error ends the wait with that error.
pub async fn poll_until<T, F, Fut>(policy: &PollPolicy, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let started = tokio::time::Instant::now();
    let mut interval = policy.interval;
    let factor = if policy.backoff.is_finite() && policy.backoff >= 1.0 {
        policy.backoff
    } else {
        1.0
    };
    loop {
        let status = match probe().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(status) => status,
        };
        let elapsed = started.elapsed();
        if elapsed.saturating_add(interval) > policy.deadline {
            return Err(Error::WaitTimeout {
                elapsed,
                last_status: status,
            });
        }
        tracing::debug!(%status, wait_ms = interval.as_millis() as u64, "waiting");
        tokio::time::sleep(interval).await;
        interval = interval.mul_f64(factor).min(policy.max_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn backs_off_and_times_out_with_last_status() {
        let policy = PollPolicy::new(Duration::from_secs(10))
            .interval(Duration::from_secs(1))
            .backoff(2.0)
            .max_interval(Duration::from_secs(3));
        let mut probes = Vec::new();
        let start = tokio::time::Instant::now();
        let err = poll_until(&policy, || {
            probes.push(start.elapsed().as_secs());
            async { Ok::<_, Error>(Poll::<()>::Pending("PENDING".into())) }
        })
        .await
        .expect_err("must time out");
        // Waits 1, 2, 3, 3 → probes at 0, 1, 3, 6, 9; the next wait would pass 10 s.
        assert_eq!(probes, vec![0, 1, 3, 6, 9]);
        match err {
            Error::WaitTimeout {
                last_status,
                elapsed,
            } => {
                assert_eq!(last_status, "PENDING");
                assert_eq!(elapsed, Duration::from_secs(9));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ready_outcome_and_probe_errors_are_returned() {
        let policy = PollPolicy::new(Duration::from_secs(60));
        let mut n = 0;
        let v = poll_until(&policy, || {
            n += 1;
            let n = n;
            async move {
                Ok::<_, Error>(if n == 4 {
                    Poll::Ready("TERMINATED: boom")
                } else {
                    Poll::Pending("RUNNING".into())
                })
            }
        })
        .await
        .expect("ready");
        assert_eq!(v, "TERMINATED: boom");
        let err = poll_until::<(), _, _>(&policy, || async { Err(Error::Config("x".into())) })
            .await
            .expect_err("probe error");
        assert!(matches!(err, Error::Config(_)));
    }
}
