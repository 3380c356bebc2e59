//! The figures of a run, computed after it from the book and the block arrivals.
//!
//! Definitions (all instants are this program's monotonic clock):
//! - the steady window is `[start + warmup, start + warmup + duration)`;
//! - offered tx/s: transactions whose batch was sent in the window, over its length;
//! - finalized tx/s: planned transactions whose block arrived in the window, over its length;
//! - latency of a transaction: its block's arrival minus its batch's send instant, for those
//!   sent in the window (whenever they committed, drain included);
//! - lost: accepted, never committed, and no refused transaction of the same account before it
//!   (such a refusal leaves a nonce gap that strands the later ones: counted as stranded).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use vellum_protocol::Hash;

use crate::accounts::slot;
use crate::book::{Answer, Records};
use crate::observe::Arrival;
use crate::report::{BlocksView, Counts, ObserverView};
use crate::stats::Summary;

/// The measured stretch of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Instant,
    pub to: Instant,
}

impl Window {
    pub fn contains(&self, t: Instant) -> bool {
        t >= self.from && t < self.to
    }

    pub fn secs(&self) -> f64 {
        self.to.saturating_duration_since(self.from).as_secs_f64()
    }

    fn per_second(&self, n: usize) -> f64 {
        if self.secs() > 0.0 {
            n as f64 / self.secs()
        } else {
            0.0
        }
    }
}

/// What became of every planned transaction (see the module comment for lost and stranded).
pub fn counts(r: &Records, accounts: usize) -> Counts {
    let mut c = Counts {
        planned: r.sent.len() as u64,
        refused_by_reason: r.refused_by_reason(),
        foreign: r.foreign,
        resent: r.resent,
        ..Counts::default()
    };
    let mut refused_account = vec![false; accounts];
    for (j, (answer, committed)) in r.answer.iter().zip(&r.committed).enumerate() {
        let sender = slot(j as u64, accounts).sender;
        c.sent += u64::from(r.sent[j].is_some());
        c.committed += u64::from(committed.is_some());
        match answer {
            Answer::Accepted => {
                c.accepted += 1;
                if committed.is_none() {
                    if refused_account[sender] {
                        c.stranded += 1;
                    } else {
                        c.lost += 1;
                    }
                }
            }
            Answer::Refused(_) => {
                c.refused += 1;
                refused_account[sender] = true;
                c.committed_after_refusal += u64::from(committed.is_some());
            }
            Answer::None => {}
        }
    }
    c
}

/// Transactions sent in the window, per second.
pub fn offered_tps(r: &Records, w: Window) -> f64 {
    w.per_second(r.sent.iter().flatten().filter(|t| w.contains(**t)).count())
}

/// Planned transactions whose block arrived in the window, per second.
pub fn finalized_tps(r: &Records, w: Window) -> f64 {
    w.per_second(
        r.committed
            .iter()
            .flatten()
            .filter(|c| w.contains(c.at))
            .count(),
    )
}

/// Submit-to-final latency of the transactions sent in the window that committed.
pub fn latencies(r: &Records, w: Window) -> Vec<Duration> {
    r.sent
        .iter()
        .zip(&r.committed)
        .filter_map(|(sent, committed)| {
            let sent = (*sent).filter(|t| w.contains(*t))?;
            Some(committed.as_ref()?.at.saturating_duration_since(sent))
        })
        .collect()
}

/// Time between consecutive arrivals, both in the window.
pub fn intervals(blocks: &[Arrival], w: Window) -> Vec<Duration> {
    let inside: Vec<&Arrival> = blocks.iter().filter(|b| w.contains(b.at)).collect();
    inside
        .windows(2)
        .map(|p| p[1].at.saturating_duration_since(p[0].at))
        .collect()
}

/// Time between consecutive blocks in the window by their own timestamps.
pub fn block_time_intervals(blocks: &[Arrival], w: Window) -> Vec<Duration> {
    let inside: Vec<&Arrival> = blocks.iter().filter(|b| w.contains(b.at)).collect();
    inside
        .windows(2)
        .map(|p| Duration::from_millis(p[1].time_ms.saturating_sub(p[0].time_ms)))
        .collect()
}

/// The blocks that arrived in the window.
pub fn blocks(blocks: &[Arrival], w: Window) -> BlocksView {
    let inside: Vec<&Arrival> = blocks.iter().filter(|b| w.contains(b.at)).collect();
    let txs: u64 = inside.iter().map(|b| u64::from(b.txs)).sum();
    BlocksView {
        in_window: inside.len(),
        per_second: w.per_second(inside.len()),
        mean_txs: if inside.is_empty() {
            0.0
        } else {
            txs as f64 / inside.len() as f64
        },
        max_txs: inside.iter().map(|b| b.txs).max().unwrap_or(0),
        later_rounds: inside.iter().filter(|b| b.round > 0).count(),
        interval: Summary::of(intervals(blocks, w)),
    }
}

/// Each node's view against node0's (`views[0]`): hashes that differ at the same height, and
/// how long after the first arrival anywhere each block arrived there.
pub fn compare(names: &[String], views: &[Vec<Arrival>]) -> Vec<ObserverView> {
    let mut first: HashMap<u64, Instant> = HashMap::new();
    for b in views.iter().flatten() {
        first
            .entry(b.height)
            .and_modify(|t| *t = (*t).min(b.at))
            .or_insert(b.at);
    }
    let reference: BTreeMap<u64, Hash> = views
        .first()
        .map(|v| v.iter().map(|b| (b.height, b.hash)).collect())
        .unwrap_or_default();
    names
        .iter()
        .zip(views)
        .map(|(name, view)| ObserverView {
            name: name.clone(),
            blocks: view.len(),
            mismatched: view
                .iter()
                .filter(|b| reference.get(&b.height).is_some_and(|h| *h != b.hash))
                .count(),
            lag: Summary::of(
                view.iter()
                    .map(|b| b.at.saturating_duration_since(first[&b.height]))
                    .collect(),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests;
