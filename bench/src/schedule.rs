//! The open-loop schedule: which transactions each tick offers, by wall clock.
//!
//! Rule: tick `k` is due `k * interval` after the start and carries the transactions numbered
//! from `floor(rate * k * interval)` up to `floor(rate * (k + 1) * interval)`, so the first `k`
//! ticks always carry exactly `floor(rate * k * interval)`: the rate holds over any stretch,
//! with no drift and no rounding debt, even when one tick's share is fractional (200 tx/s in
//! 10 ms ticks is 2 per tick; 150 tx/s alternates 1 and 2).
//!
//! The sender never waits for an answer before the next tick: a tick that is due is sent.

use std::ops::Range;
use std::time::Duration;

/// `rate` transactions per second in ticks of `interval`, for `ticks` ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    rate: u64,
    interval: Duration,
    ticks: u64,
}

impl Schedule {
    /// The ticks that cover `length` (the last one may end after it).
    pub fn new(rate: u64, interval: Duration, length: Duration) -> Schedule {
        let interval_us = interval.as_micros().max(1);
        let ticks = length.as_micros().div_ceil(interval_us);
        Schedule {
            rate,
            interval,
            ticks: u64::try_from(ticks).unwrap_or(u64::MAX),
        }
    }

    pub fn rate(&self) -> u64 {
        self.rate
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// When tick `k` is due, after the start.
    pub fn due(&self, k: u64) -> Duration {
        self.interval * u32::try_from(k).unwrap_or(u32::MAX)
    }

    /// Transactions in the first `k` ticks.
    pub fn before(&self, k: u64) -> u64 {
        let micros = u128::from(k) * self.interval.as_micros();
        u64::try_from(u128::from(self.rate) * micros / 1_000_000).unwrap_or(u64::MAX)
    }

    /// The numbers of the transactions tick `k` carries.
    pub fn tick(&self, k: u64) -> Range<u64> {
        self.before(k)..self.before(k + 1)
    }

    /// Every transaction of the schedule.
    pub fn total(&self) -> u64 {
        self.before(self.ticks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_whole_share_per_tick_is_the_same_every_tick() {
        let s = Schedule::new(2000, ms(10), Duration::from_secs(1));
        assert_eq!(s.ticks(), 100);
        assert!((0..100).all(|k| s.tick(k).count() == 20));
        assert_eq!(s.total(), 2000);
    }

    #[test]
    fn a_fractional_share_alternates_and_keeps_the_rate_exactly() {
        let s = Schedule::new(150, ms(10), Duration::from_secs(2));
        let counts: Vec<usize> = (0..4).map(|k| s.tick(k).count()).collect();
        assert_eq!(counts, vec![1, 2, 1, 2]);
        assert_eq!(s.total(), 300);
        // Any prefix of ticks carries floor(rate * elapsed).
        for k in 0..s.ticks() {
            assert_eq!(s.before(k), 150 * k / 100);
        }
    }

    #[test]
    fn ticks_are_contiguous_and_due_by_wall_clock() {
        let s = Schedule::new(333, ms(7), ms(500));
        assert_eq!(s.ticks(), 72, "500 ms in 7 ms ticks rounds up");
        for k in 0..s.ticks() {
            assert_eq!(s.tick(k).end, s.tick(k + 1).start);
        }
        assert_eq!(s.due(3), ms(21));
    }

    #[test]
    fn a_rate_below_one_per_tick_sends_empty_ticks_between() {
        let s = Schedule::new(10, ms(10), Duration::from_secs(1));
        let nonempty = (0..s.ticks()).filter(|k| s.tick(*k).count() > 0).count();
        assert_eq!((nonempty, s.total()), (10, 10));
    }
}
