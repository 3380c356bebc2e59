//! How fast the chain takes transactions out of the pool, and when a refused client should try
//! again.
//!
//! A full pool's refusal says when to come back (`retry_after_ms`): the time the chain takes to
//! commit a quarter of what is pending, at the rate it committed over the last few seconds.
//! Clients that follow it come back when there is room, spread over that time, instead of
//! sending the same refused transactions again and again; under overload those repeats were
//! most of what a node read (docs/PERFORMANCE.md, ninth session).

use std::collections::VecDeque;

/// The span over which the commit rate is measured.
pub const RATE_WINDOW_MS: u64 = 5_000;
/// The shortest wait a refusal asks for: below it a client would only find the pool full again.
pub const MIN_RETRY_MS: u64 = 100;
/// The longest wait a refusal asks for, also the answer when nothing committed in the window.
pub const MAX_RETRY_MS: u64 = 10_000;
/// The share of the pending transactions the chain should commit before a client comes back.
const DRAIN_SHARE: u64 = 4;

/// The blocks committed over the last [`RATE_WINDOW_MS`] and their transactions: the chain's
/// commit rate.
#[derive(Debug, Default)]
pub struct DrainRate {
    /// `(time_ms, transactions)` of each commit in the window, oldest first.
    commits: VecDeque<(u64, u64)>,
    /// The sum of the window's transactions.
    in_window: u64,
    /// The time of the first commit seen: the window is shorter until it is old enough.
    since_ms: Option<u64>,
}

impl DrainRate {
    /// Counts a block of `txs` transactions committed at `now_ms`.
    pub fn record(&mut self, now_ms: u64, txs: usize) {
        self.since_ms.get_or_insert(now_ms);
        self.forget_before(now_ms);
        self.commits.push_back((now_ms, txs as u64));
        self.in_window += txs as u64;
    }

    /// Transactions committed per second over the window ending at `now_ms`.
    pub fn per_second(&self, now_ms: u64) -> f64 {
        let Some(since) = self.since_ms else {
            return 0.0;
        };
        let start = now_ms.saturating_sub(RATE_WINDOW_MS);
        let stale: u64 = self
            .commits
            .iter()
            .take_while(|(t, _)| *t <= start)
            .map(|(_, n)| n)
            .sum();
        let counted = self.in_window - stale;
        // At least one second, so that a first block alone does not read as a huge rate.
        let span = now_ms.saturating_sub(since).clamp(1_000, RATE_WINDOW_MS);
        counted as f64 * 1_000.0 / span as f64
    }

    /// How long a client refused by a full pool of `pending` transactions should wait before
    /// it sends again: the time to commit a quarter of them at the current rate, within
    /// [`MIN_RETRY_MS`] and [`MAX_RETRY_MS`].
    pub fn retry_after_ms(&self, now_ms: u64, pending: usize) -> u64 {
        let rate = self.per_second(now_ms);
        if rate <= 0.0 {
            return MAX_RETRY_MS;
        }
        let wait = (pending as u64 / DRAIN_SHARE) as f64 * 1_000.0 / rate;
        (wait.ceil() as u64).clamp(MIN_RETRY_MS, MAX_RETRY_MS)
    }

    fn forget_before(&mut self, now_ms: u64) {
        let start = now_ms.saturating_sub(RATE_WINDOW_MS);
        while let Some(&(t, n)) = self.commits.front() {
            if t > start {
                break;
            }
            self.commits.pop_front();
            self.in_window -= n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_what_committed_in_the_window() {
        let mut rate = DrainRate::default();
        assert_eq!(rate.per_second(0), 0.0);
        // 1,000 transactions every 100 ms for 10 s: 10,000 per second.
        for i in 0..100 {
            rate.record(10_000 + i * 100, 1_000);
        }
        let now = 10_000 + 99 * 100;
        assert!(
            (rate.per_second(now) - 10_000.0).abs() < 1.0,
            "{}",
            rate.per_second(now)
        );
        // Nothing commits for 2.5 s: half the window is empty.
        assert!((rate.per_second(now + 2_500) - 5_000.0).abs() < 1.0);
        assert_eq!(rate.per_second(now + RATE_WINDOW_MS), 0.0);
    }

    #[test]
    fn a_young_window_counts_from_the_first_commit_and_at_least_a_second() {
        let mut rate = DrainRate::default();
        rate.record(50_000, 2_000);
        assert_eq!(rate.per_second(50_000), 2_000.0);
        rate.record(52_000, 2_000);
        assert_eq!(rate.per_second(52_000), 2_000.0);
    }

    #[test]
    fn the_wait_is_a_quarter_of_the_pool_at_the_rate_within_bounds() {
        let mut rate = DrainRate::default();
        assert_eq!(
            rate.retry_after_ms(0, 100_000),
            MAX_RETRY_MS,
            "nothing committed yet"
        );
        for i in 0..50 {
            rate.record(i * 100, 1_000);
        }
        let now = 49 * 100;
        // 10,000 per second; a quarter of 100,000 takes 2.5 s.
        assert_eq!(rate.retry_after_ms(now, 100_000), 2_500);
        assert_eq!(rate.retry_after_ms(now, 10), MIN_RETRY_MS);
        assert_eq!(rate.retry_after_ms(now, 10_000_000), MAX_RETRY_MS);
        assert_eq!(
            rate.retry_after_ms(now + RATE_WINDOW_MS, 100_000),
            MAX_RETRY_MS
        );
    }

    #[test]
    fn old_commits_leave_the_window() {
        let mut rate = DrainRate::default();
        for i in 0..1_000 {
            rate.record(i * 100, 10);
        }
        assert_eq!(rate.commits.len(), 50);
        assert_eq!(rate.in_window, 500);
    }
}
