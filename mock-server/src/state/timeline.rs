//! Time-driven state: resources whose state moves on the virtual clock (a cluster going
//! `PENDING` → `RUNNING`, a library `INSTALLING` → `INSTALLED`, a job run through its life cycle,
//! a schedule firing).
//!
//! No task or timer exists per resource. Each resource keeps a [`Timeline`]: its current state and
//! the transitions scheduled for it, each at an instant of the emulator clock. Each family keeps
//! an [`Agenda`] of which of its resources have a transition due, and when. Before any handler
//! reads the state, the dispatcher calls `State::settle(now)`, which asks each family to apply the
//! transitions that are due by `now`, in time order, and nothing else; a read therefore always
//! sees the state as it is at the clock's time, however far the clock has jumped.
//!
//! Writing a time-driven resource:
//! 1. Put a `Timeline<YourState>` in the resource and an `Agenda<YourId>` in the family's state.
//! 2. When something starts (a create, a start, a run-now), `timeline.plan(now, [(delay, state),
//!    ...])` and `agenda.wake(id, timeline.next_due())`.
//! 3. In the family's `settle(now)`, for each `id` in `agenda.due(now)`: `timeline.settle(now,
//!    |at, from, to| ...)` applies the transitions with their own timestamps (record events at
//!    `at`, not at `now`); reschedule with `agenda.wake` if the callback planned more.
//! 4. Add the family to `State::settle` (families that depend on others come after them).
//!
//! Tests can move the clock (`/__mock/clock`, `Emulator::clock()`), or run the clock on tokio's
//! time ([`crate::ClockMode::Tokio`]) under `#[tokio::test(start_paused = true)]`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde::{Deserialize, Serialize};

/// A resource's state on the clock: where it is now and where it is scheduled to go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Timeline<S> {
    current: S,
    /// When `current` was entered (epoch ms).
    since_ms: i64,
    /// Transitions still to come, in time order.
    pending: VecDeque<Transition<S>>,
}

/// One scheduled move to `to` at `at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Transition<S> {
    pub at_ms: i64,
    pub to: S,
}

impl<S: Clone> Timeline<S> {
    /// A timeline in `initial` since `now_ms`, with nothing scheduled.
    pub(crate) fn new(initial: S, now_ms: i64) -> Self {
        Self {
            current: initial,
            since_ms: now_ms,
            pending: VecDeque::new(),
        }
    }

    /// The state as of the last settle.
    pub(crate) fn current(&self) -> &S {
        &self.current
    }

    /// When the current state was entered.
    pub(crate) fn since_ms(&self) -> i64 {
        self.since_ms
    }

    /// The transitions still to come.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &Transition<S>> {
        self.pending.iter()
    }

    /// When the next transition is due, if any.
    pub(crate) fn next_due(&self) -> Option<i64> {
        self.pending.front().map(|t| t.at_ms)
    }

    /// Replace whatever was scheduled with `steps`: each `(delay_ms, state)` happens `delay_ms`
    /// after the previous step (the first after `now_ms`). Negative delays count as 0.
    pub(crate) fn plan(&mut self, now_ms: i64, steps: impl IntoIterator<Item = (i64, S)>) {
        self.pending.clear();
        self.then(now_ms, steps);
    }

    /// Append `steps` after what is already scheduled (the first `delay_ms` after the last
    /// scheduled transition, or after `now_ms` when nothing is).
    pub(crate) fn then(&mut self, now_ms: i64, steps: impl IntoIterator<Item = (i64, S)>) {
        let mut at = self.pending.back().map_or(now_ms, |t| t.at_ms.max(now_ms));
        for (delay, to) in steps {
            at = at.saturating_add(delay.max(0));
            self.pending.push_back(Transition { at_ms: at, to });
        }
    }

    /// Move to `to` now, cancelling whatever was scheduled.
    pub(crate) fn set(&mut self, now_ms: i64, to: S) {
        self.pending.clear();
        self.current = to;
        self.since_ms = now_ms;
    }

    /// Apply, in order, every transition due at or before `now_ms`. `on_step(at_ms, from, to)`
    /// sees each one with its own time; it may return more steps to schedule right after it
    /// (`(delay_ms, state)` as in [`Timeline::plan`], replacing what was pending), which are
    /// applied in the same call if they too are due. Returns how many transitions were applied.
    pub(crate) fn settle(
        &mut self,
        now_ms: i64,
        mut on_step: impl FnMut(i64, &S, &S) -> Option<Vec<(i64, S)>>,
    ) -> usize {
        let mut applied = 0;
        while let Some(next) = self.pending.front() {
            if next.at_ms > now_ms {
                break;
            }
            let Some(Transition { at_ms, to }) = self.pending.pop_front() else {
                break;
            };
            let from = std::mem::replace(&mut self.current, to);
            self.since_ms = at_ms;
            applied += 1;
            if let Some(more) = on_step(at_ms, &from, &self.current) {
                self.plan(at_ms, more);
            }
        }
        applied
    }
}

/// Which resources of a family have a transition due, and when: a min-heap, so settling visits
/// only the resources that are due, not every resource.
///
/// Entries can go stale (a resource re-planned or deleted): [`Agenda::due`] returns each key
/// whose recorded time has passed, and the family checks the resource's own
/// [`Timeline::next_due`]; a stale key costs one lookup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Agenda<K: Ord> {
    heap: BinaryHeap<Reverse<(i64, K)>>,
}

impl<K: Ord> Default for Agenda<K> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
        }
    }
}

impl<K: Ord + Clone> Agenda<K> {
    /// Remember that `key` has a transition due at `at_ms` (nothing for `None`).
    pub(crate) fn wake(&mut self, key: K, at_ms: Option<i64>) {
        if let Some(at) = at_ms {
            self.heap.push(Reverse((at, key)));
        }
    }

    /// The earliest recorded due time.
    pub(crate) fn next_due(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Remove and return the keys due at or before `now_ms`, earliest first, each once.
    pub(crate) fn due(&mut self, now_ms: i64) -> Vec<K> {
        let mut out: Vec<K> = Vec::new();
        while let Some(Reverse((at, _))) = self.heap.peek() {
            if *at > now_ms {
                break;
            }
            if let Some(Reverse((_, key))) = self.heap.pop() {
                if !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        out
    }
}

/// A minimal time-driven family for tests of the facility end to end (through the router, the
/// settle hook and the clock): probes that go `"A"` → `"B"` → `"C"` on a plan.
#[cfg(test)]
pub(crate) mod probe {
    use std::collections::BTreeMap;

    use super::{Agenda, Timeline};

    #[derive(Debug, Clone, Default)]
    pub(crate) struct Probes {
        pub items: BTreeMap<u64, Timeline<&'static str>>,
        pub agenda: Agenda<u64>,
        pub next_id: u64,
        /// Every applied transition: (id, at_ms, from, to).
        pub log: Vec<(u64, i64, &'static str, &'static str)>,
    }

    impl Probes {
        /// A probe in `"A"` that moves to `"B"` after `first_ms` and to `"C"` `second_ms` later.
        pub(crate) fn start(&mut self, now_ms: i64, first_ms: i64, second_ms: i64) -> u64 {
            self.next_id += 1;
            let id = self.next_id;
            let mut t = Timeline::new("A", now_ms);
            t.plan(now_ms, [(first_ms, "B"), (second_ms, "C")]);
            self.agenda.wake(id, t.next_due());
            self.items.insert(id, t);
            id
        }

        pub(crate) fn settle(&mut self, now_ms: i64) {
            for id in self.agenda.due(now_ms) {
                let Some(t) = self.items.get_mut(&id) else {
                    continue;
                };
                let log = &mut self.log;
                t.settle(now_ms, |at, from, to| {
                    log.push((id, at, from, to));
                    None
                });
                self.agenda.wake(id, t.next_due());
            }
        }

        pub(crate) fn next_due(&self) -> Option<i64> {
            self.agenda.next_due()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_apply_in_order_with_their_own_times() {
        let mut t = Timeline::new("PENDING", 1_000);
        t.plan(1_000, [(5_000, "RUNNING"), (0, "READY")]);
        assert_eq!(t.next_due(), Some(6_000));
        let mut seen = Vec::new();
        assert_eq!(
            t.settle(5_999, |at, f, to| {
                seen.push((at, *f, *to));
                None
            }),
            0
        );
        assert_eq!(*t.current(), "PENDING");
        assert_eq!(
            t.settle(100_000, |at, f, to| {
                seen.push((at, *f, *to));
                None
            }),
            2
        );
        assert_eq!(
            seen,
            vec![(6_000, "PENDING", "RUNNING"), (6_000, "RUNNING", "READY")]
        );
        assert_eq!(
            (*t.current(), t.since_ms(), t.next_due()),
            ("READY", 6_000, None)
        );
    }

    #[test]
    fn a_step_can_plan_what_follows_and_set_cancels() {
        let mut t = Timeline::new(0u32, 0);
        t.plan(0, [(10, 1)]);
        // Each step schedules the next one 10 ms later, up to 5.
        let n = t.settle(1_000, |_, _, to| (*to < 5).then(|| vec![(10, to + 1)]));
        assert_eq!((n, *t.current(), t.since_ms()), (5, 5, 50));
        t.then(60, [(5, 6)]);
        assert_eq!(t.next_due(), Some(65));
        t.set(61, 9);
        assert_eq!((*t.current(), t.next_due()), (9, None));
    }

    #[test]
    fn agenda_returns_due_keys_once_earliest_first() {
        let mut a = Agenda::default();
        a.wake("late", Some(30));
        a.wake("early", Some(10));
        a.wake("early", Some(20));
        a.wake("never", None);
        assert_eq!(a.next_due(), Some(10));
        assert_eq!(a.due(5), Vec::<&str>::new());
        assert_eq!(a.due(25), vec!["early"]);
        assert_eq!(a.due(100), vec!["late"]);
        assert_eq!(a.next_due(), None);
    }
}
