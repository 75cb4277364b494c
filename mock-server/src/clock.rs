//! The emulator's virtual clock.
//!
//! Every timestamp the emulator hands out (`creation_time`, `expiry_time`, journal times), every
//! expiry check and every time-driven resource (see `state/timeline.rs`) reads this clock, so a
//! test can move time instead of sleeping.
//!
//! Two sources: the system time ([`ClockMode::System`], the default), or tokio's clock
//! ([`ClockMode::Tokio`]). In a test under `#[tokio::test(start_paused = true)]`, tokio's clock
//! jumps ahead whenever every task is waiting, so a client that polls a cluster every 10 s for
//! twenty virtual minutes finishes in milliseconds, deterministically, and the emulator sees the
//! same twenty minutes pass.

use std::sync::atomic::{fence, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, MutexGuard};

/// A clock in epoch milliseconds: real time by default; can be frozen, advanced and set.
///
/// While running, the clock is the system time plus an offset (changed by [`advance`] and
/// [`set_ms`]). While frozen, it stands still at a fixed value until advanced, set or unfrozen;
/// unfreezing continues from the frozen value.
///
/// [`advance`]: Clock::advance
/// [`set_ms`]: Clock::set_ms
///
/// Every request reads the clock, on whichever worker thread serves it, so reading it takes no
/// lock: the state is also published in a few atomics ([`Published`]) that a read only loads.
/// (A lock is a write to a cache line every thread shares; the two cores then pass that line
/// back and forth on every request.) Changes take the lock and publish the new state.
#[derive(Debug, Default)]
pub struct Clock {
    inner: Mutex<ClockState>,
    published: Published,
}

/// A copy of the clock's state for lock-free reads: a sequence lock over two values. A writer
/// (holding the clock's lock) makes `seq` odd, stores, and makes it even again; a reader
/// retries while `seq` is odd or changed under it. The default is a running clock on the
/// system time with no offset, as [`ClockState`]'s.
#[derive(Debug, Default)]
struct Published {
    seq: AtomicU64,
    /// [`RUNNING_SYSTEM`], [`FROZEN`] or [`OTHER`].
    kind: AtomicU8,
    /// The offset (running on system time) or the frozen time.
    value: AtomicI64,
}

/// Running on the system time: `value` is the offset.
const RUNNING_SYSTEM: u8 = 0;
/// Frozen: `value` is the time.
const FROZEN: u8 = 1;
/// Running on tokio's clock (tests): read under the lock.
const OTHER: u8 = 2;

impl Published {
    /// Publish `s` (the caller holds the clock's lock, so writers take turns).
    fn store(&self, s: &ClockState) {
        let (kind, value) = match (s.frozen_at, s.source) {
            (Some(t), _) => (FROZEN, t),
            (None, Source::System) => (RUNNING_SYSTEM, s.offset_ms),
            (None, Source::Tokio { .. }) => (OTHER, 0),
        };
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.kind.store(kind, Ordering::Relaxed);
        self.value.store(value, Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// The published kind and value, consistent with each other.
    fn load(&self) -> (u8, i64) {
        loop {
            let before = self.seq.load(Ordering::Acquire);
            let kind = self.kind.load(Ordering::Relaxed);
            let value = self.value.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            if before.is_multiple_of(2) && self.seq.load(Ordering::Relaxed) == before {
                return (kind, value);
            }
            std::hint::spin_loop();
        }
    }
}

/// The clock's lock, held by a change: the new state is published when it is released.
struct Change<'a> {
    state: MutexGuard<'a, ClockState>,
    published: &'a Published,
}

impl std::ops::Deref for Change<'_> {
    type Target = ClockState;
    fn deref(&self) -> &ClockState {
        &self.state
    }
}

impl std::ops::DerefMut for Change<'_> {
    fn deref_mut(&mut self) -> &mut ClockState {
        &mut self.state
    }
}

impl Drop for Change<'_> {
    fn drop(&mut self) {
        self.published.store(&self.state);
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct ClockState {
    /// `Some(t)`: frozen at `t`.
    frozen_at: Option<i64>,
    /// Added to the source time while running.
    offset_ms: i64,
    source: Source,
}

/// Where a running clock's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// The system time.
    #[default]
    System,
    /// Tokio's clock (`tokio::time::Instant`), which a test can pause and auto-advance. It starts
    /// at the system time of the moment the mode was chosen.
    Tokio,
}

impl ClockMode {
    /// `"system"` or `"tokio"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Tokio => "tokio",
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
enum Source {
    #[default]
    System,
    /// Epoch ms at `start`, plus tokio time elapsed since.
    Tokio {
        epoch_ms: i64,
        start: tokio::time::Instant,
    },
}

impl Source {
    fn now_ms(self) -> i64 {
        match self {
            Self::System => system_ms(),
            Self::Tokio { epoch_ms, start } => {
                epoch_ms.saturating_add(duration_ms(start.elapsed()))
            }
        }
    }
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
        match self.published.load() {
            (FROZEN, t) => t,
            (RUNNING_SYSTEM, offset) => system_ms().saturating_add(offset),
            _ => {
                let s = *self.inner.lock();
                s.frozen_at
                    .unwrap_or_else(|| s.source.now_ms().saturating_add(s.offset_ms))
            }
        }
    }

    /// True while the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.inner.lock().frozen_at.is_some()
    }

    /// Take the clock's lock to change it; the change is published when the guard drops.
    fn change(&self) -> Change<'_> {
        Change {
            state: self.inner.lock(),
            published: &self.published,
        }
    }

    /// Stop the clock at the current time (no effect if already frozen).
    pub fn freeze(&self) {
        let mut s = self.change();
        if s.frozen_at.is_none() {
            s.frozen_at = Some(s.source.now_ms().saturating_add(s.offset_ms));
        }
    }

    /// Let the clock run again, continuing from the frozen time (no effect if running).
    pub fn unfreeze(&self) {
        let mut s = self.change();
        if let Some(t) = s.frozen_at.take() {
            s.offset_ms = t.saturating_sub(s.source.now_ms());
        }
    }

    /// Move the clock forward by `by` (frozen or not).
    pub fn advance(&self, by: Duration) {
        self.shift_ms(duration_ms(by));
    }

    /// Move the clock by `delta_ms` milliseconds (negative moves it back).
    pub(crate) fn shift_ms(&self, delta_ms: i64) {
        let mut s = self.change();
        match s.frozen_at.as_mut() {
            Some(t) => *t = t.saturating_add(delta_ms),
            None => s.offset_ms = s.offset_ms.saturating_add(delta_ms),
        }
    }

    /// Set the current time to `now_ms` epoch milliseconds (frozen or not).
    pub fn set_ms(&self, now_ms: i64) {
        let mut s = self.change();
        match s.frozen_at.as_mut() {
            Some(t) => *t = now_ms,
            None => s.offset_ms = now_ms.saturating_sub(s.source.now_ms()),
        }
    }

    /// Where the running clock's time comes from.
    pub fn mode(&self) -> ClockMode {
        match self.inner.lock().source {
            Source::System => ClockMode::System,
            Source::Tokio { .. } => ClockMode::Tokio,
        }
    }

    /// Take time from `mode` from now on; the current time carries over (no jump).
    pub fn set_mode(&self, mode: ClockMode) {
        let mut s = self.change();
        let now = s
            .frozen_at
            .unwrap_or_else(|| s.source.now_ms().saturating_add(s.offset_ms));
        s.source = match mode {
            ClockMode::System => Source::System,
            ClockMode::Tokio => Source::Tokio {
                epoch_ms: system_ms(),
                start: tokio::time::Instant::now(),
            },
        };
        if s.frozen_at.is_none() {
            s.offset_ms = now.saturating_sub(s.source.now_ms());
        }
    }

    /// Back to the source's time, running (the mode is kept).
    pub(crate) fn reset(&self) {
        let mut s = self.change();
        let source = match s.source {
            Source::System => Source::System,
            Source::Tokio { .. } => Source::Tokio {
                epoch_ms: system_ms(),
                start: tokio::time::Instant::now(),
            },
        };
        *s = ClockState {
            source,
            ..ClockState::default()
        };
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

    #[tokio::test(start_paused = true)]
    async fn tokio_mode_follows_paused_time() {
        let c = Clock::new();
        c.set_mode(ClockMode::Tokio);
        assert_eq!(c.mode(), ClockMode::Tokio);
        let t0 = c.now_ms();
        let real = std::time::Instant::now();
        tokio::time::sleep(Duration::from_secs(20 * 60)).await;
        assert_eq!(c.now_ms() - t0, 20 * 60 * 1000);
        assert!(real.elapsed() < Duration::from_secs(5));
        c.advance(Duration::from_secs(1));
        assert_eq!(c.now_ms() - t0, 20 * 60 * 1000 + 1000);
        c.reset();
        assert_eq!(c.mode(), ClockMode::Tokio);
    }

    /// Lock-free reads never see half a change: while one thread freezes and unfreezes the
    /// clock (and moves it by a little), readers on other threads always get a time near the
    /// real one. A torn read (the frozen time taken as an offset, or the reverse) would be
    /// decades away.
    #[test]
    fn reads_never_see_half_a_change() {
        let c = std::sync::Arc::new(Clock::new());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (c, stop) = (c.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut reads = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let (now, real) = (c.now_ms(), system_ms());
                        assert!((now - real).abs() < 3_600_000, "{now} vs {real}");
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for i in 0..20_000 {
            c.freeze();
            c.shift_ms(if i % 2 == 0 { 1 } else { -1 });
            c.unfreeze();
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().expect("reader") > 0);
        }
        assert!(!c.is_frozen());
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
