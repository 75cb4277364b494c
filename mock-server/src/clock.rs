//! The emulator's virtual clock.
//!
//! Every timestamp the emulator hands out (`creation_time`, `expiry_time`, journal times) and
//! every expiry check reads this clock, so a test can move time instead of sleeping.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// A clock in epoch milliseconds: real time by default; can be frozen, advanced and set.
///
/// While running, the clock is the system time plus an offset (changed by [`advance`] and
/// [`set_ms`]). While frozen, it stands still at a fixed value until advanced, set or unfrozen;
/// unfreezing continues from the frozen value.
///
/// [`advance`]: Clock::advance
/// [`set_ms`]: Clock::set_ms
#[derive(Debug, Default)]
pub struct Clock {
    inner: Mutex<ClockState>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ClockState {
    /// `Some(t)`: frozen at `t`.
    frozen_at: Option<i64>,
    /// Added to the system time while running.
    offset_ms: i64,
}

fn system_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Clock {
    /// A running clock at real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current time in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        let s = *self.inner.lock();
        s.frozen_at
            .unwrap_or_else(|| system_ms().saturating_add(s.offset_ms))
    }

    /// True while the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.inner.lock().frozen_at.is_some()
    }

    /// Stop the clock at the current time (no effect if already frozen).
    pub fn freeze(&self) {
        let mut s = self.inner.lock();
        if s.frozen_at.is_none() {
            s.frozen_at = Some(system_ms().saturating_add(s.offset_ms));
        }
    }

    /// Let the clock run again, continuing from the frozen time (no effect if running).
    pub fn unfreeze(&self) {
        let mut s = self.inner.lock();
        if let Some(t) = s.frozen_at.take() {
            s.offset_ms = t.saturating_sub(system_ms());
        }
    }

    /// Move the clock forward by `by` (frozen or not).
    pub fn advance(&self, by: Duration) {
        self.shift_ms(duration_ms(by));
    }

    /// Move the clock by `delta_ms` milliseconds (negative moves it back).
    pub(crate) fn shift_ms(&self, delta_ms: i64) {
        let mut s = self.inner.lock();
        match s.frozen_at.as_mut() {
            Some(t) => *t = t.saturating_add(delta_ms),
            None => s.offset_ms = s.offset_ms.saturating_add(delta_ms),
        }
    }

    /// Set the current time to `now_ms` epoch milliseconds (frozen or not).
    pub fn set_ms(&self, now_ms: i64) {
        let mut s = self.inner.lock();
        match s.frozen_at.as_mut() {
            Some(t) => *t = now_ms,
            None => s.offset_ms = now_ms.saturating_sub(system_ms()),
        }
    }

    /// Back to real time, running.
    pub(crate) fn reset(&self) {
        *self.inner.lock() = ClockState::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::new();
        c.freeze();
        let t = c.now_ms();
        assert_eq!(c.now_ms(), t);
        c.advance(Duration::from_secs(10));
        assert_eq!(c.now_ms(), t + 10_000);
        c.set_ms(5);
        assert_eq!(c.now_ms(), 5);
        assert!(c.is_frozen());
        c.unfreeze();
        assert!(!c.is_frozen());
        let after = c.now_ms();
        assert!((5..5 + 60_000).contains(&after), "{after}");
    }

    #[test]
    fn running_clock_keeps_offsets() {
        let c = Clock::new();
        let real = system_ms();
        c.advance(Duration::from_secs(3600));
        assert!(c.now_ms() >= real + 3_600_000);
        c.set_ms(1_000);
        assert!(c.now_ms() < 100_000);
        c.reset();
        assert!(c.now_ms() >= real);
    }
}
