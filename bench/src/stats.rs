//! Percentiles and the summary of a sample of durations.
//!
//! Rule: the nearest-rank percentile. For `n` sorted values, the `p`-th percentile is the value
//! of rank `ceil(p / 100 * n)` (1-based, at least 1): always a value that was observed, never
//! an interpolation, and p100 is the maximum.

use std::time::Duration;

use serde::Serialize;

/// The `p`-th percentile (0 < p <= 100) of `sorted` (ascending), or `None` when empty.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // The tolerance keeps float error (99.9 / 100 * 2000 = 1998.0000000000002) from adding
    // a rank.
    let rank = ((p / 100.0) * n as f64 - 1e-9).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// A sample of durations, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl Summary {
    /// Summarizes `sample` (any order).
    pub fn of(mut sample: Vec<Duration>) -> Summary {
        sample.sort_unstable();
        let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1000.0);
        let total: Duration = sample.iter().sum();
        Summary {
            count: sample.len(),
            mean_ms: (!sample.is_empty())
                .then(|| total.as_secs_f64() * 1000.0 / sample.len() as f64),
            p50_ms: ms(percentile(&sample, 50.0)),
            p90_ms: ms(percentile(&sample, 90.0)),
            p99_ms: ms(percentile(&sample, 99.0)),
            p999_ms: ms(percentile(&sample, 99.9)),
            max_ms: ms(sample.last().copied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_observed_values() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.9), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.001), Some(1));
    }

    #[test]
    fn small_samples_and_empty_ones() {
        assert_eq!(percentile(&[7], 99.9), Some(7));
        assert_eq!(percentile(&[1, 2], 50.0), Some(1));
        assert_eq!(percentile::<u32>(&[], 50.0), None);
        assert_eq!(Summary::of(Vec::new()).p50_ms, None);
    }

    #[test]
    fn p999_needs_a_thousand_values_to_differ_from_the_max() {
        let v: Vec<u32> = (1..=2000).collect();
        assert_eq!(percentile(&v, 99.9), Some(1998));
    }

    #[test]
    fn a_summary_is_in_milliseconds_whatever_the_order() {
        let sample = [30, 10, 20].map(Duration::from_millis).to_vec();
        let s = Summary::of(sample);
        assert_eq!((s.count, s.p50_ms, s.max_ms), (3, Some(20.0), Some(30.0)));
        assert!((s.mean_ms.unwrap() - 20.0).abs() < 1e-9);
    }
}
