//! The results of a run: the figures of each mode, the verdict that decides the exit status,
//! the JSON report written to `--out`, and (in [`table`]) the table printed for people.

pub mod table;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::{Mode, Settings};
use crate::procfs::{MachineUsage, Usage};
use crate::stats::Summary;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub mode: Mode,
    pub machine: Machine,
    pub settings: Settings,
    pub throughput: Vec<ThroughputRun>,
    pub consensus: Option<ConsensusRun>,
    pub catchup: Option<CatchupRun>,
    pub verdict: Verdict,
}

/// What the tool can tell about the machine. Whether other work shared it is not known to the
/// tool: the load average at the start is a hint.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub load_average_at_start: Option<[f64; 3]>,
}

impl Machine {
    pub fn now() -> Machine {
        let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|t| {
            let v: Vec<f64> = t
                .split_whitespace()
                .take(3)
                .filter_map(|x| x.parse().ok())
                .collect();
            (v.len() == 3).then(|| [v[0], v[1], v[2]])
        });
        Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            load_average_at_start: load,
        }
    }
}

/// One open-loop run at one rate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ThroughputRun {
    /// Offered rate asked for, tx/s.
    pub rate: u64,
    pub validators: usize,
    pub accounts: u32,
    /// Latency at which an account would reach the node's pending limit at this rate.
    pub latency_headroom_s: f64,
    /// The steady window measured, seconds (after the warm-up).
    pub window_s: f64,
    /// Transactions sent during the window, per second.
    pub offered_tps: f64,
    /// Planned transactions whose block arrived during the window, per second.
    pub finalized_tps: f64,
    pub counts: Counts,
    /// Submit-to-final latency of the transactions sent in the window that committed.
    pub latency: Summary,
    /// `tx_submitBatch` round trips, every batch of the run.
    pub rpc_round_trip: Summary,
    pub sender: SenderView,
    pub blocks: BlocksView,
    /// Seconds from the last batch to the last accepted transaction's commit; `None` when
    /// the drain ended with accepted transactions still missing.
    pub drain_s: Option<f64>,
    /// CPU over the window and peak memory of each node.
    pub nodes: Vec<Usage>,
    /// The bench program itself, over the same window.
    pub bench: Usage,
    /// The whole machine over the same window.
    pub machine: Option<MachineUsage>,
    /// With `--observe-all`: every node's view of the same blocks.
    pub observers: Vec<ObserverView>,
}

/// What became of the planned transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub planned: u64,
    pub sent: u64,
    pub accepted: u64,
    /// Planned transactions seen in a block.
    pub committed: u64,
    pub refused: u64,
    pub refused_by_reason: BTreeMap<String, u64>,
    /// Accepted, never committed by the end of the drain, with no refused transaction of the
    /// same account before it: the node lost them.
    pub lost: u64,
    /// Accepted, never committed, behind a refused nonce of the same account: they wait for
    /// a nonce that never comes; a consequence of the refusals, not a loss.
    pub stranded: u64,
    /// Committed although their batch was answered with an error (a timeout, for instance).
    pub committed_after_refusal: u64,
    /// Transactions in the observed blocks that the bench did not send.
    pub foreign: u64,
    /// Sends after a transaction's first (`--resend`).
    pub resent: u64,
}

/// How the open-loop sender kept its schedule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SenderView {
    pub batches: u64,
    pub max_in_flight: usize,
    /// Ticks sent more than 5 ms after they were due.
    pub late_ticks: usize,
    pub lateness: Summary,
    pub stopped_early: bool,
}

/// The blocks whose arrival fell in the window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlocksView {
    pub in_window: usize,
    pub per_second: f64,
    pub mean_txs: f64,
    pub max_txs: u32,
    /// Heights decided after round 0 (a round failed: a proposal or votes came too late).
    pub later_rounds: usize,
    /// Time between consecutive arrivals.
    pub interval: Summary,
}

/// One node's subscription, compared with node0's.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObserverView {
    pub name: String,
    pub blocks: usize,
    /// Heights where this node's block hash differs from node0's (must be 0).
    pub mismatched: usize,
    /// How much later than the first node each block arrived here.
    pub lag: Summary,
}

/// Empty blocks back to back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConsensusRun {
    pub validators: usize,
    pub heartbeat_ms: u64,
    pub window_s: f64,
    pub heights: usize,
    pub heights_per_s: f64,
    /// Time between consecutive commits, from arrival instants on node0's subscription.
    pub commit_interval: Summary,
    /// The same from the blocks' own timestamps (the proposers' clocks, 1 ms resolution).
    pub block_time_interval: Summary,
    pub nodes: Vec<Usage>,
    pub bench: Usage,
    pub machine: Option<MachineUsage>,
}

/// A stopped validator catching up under load.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CatchupRun {
    pub rate: u64,
    pub behind_target: u64,
    pub stopped_node: String,
    /// The chain while the node was down (after the warm-up): heights and tx per second.
    pub chain_heights_per_s: f64,
    pub chain_tps: f64,
    /// Height of the stopped node, and of the chain when it was restarted.
    pub stopped_at_height: u64,
    pub restarted_at_chain_height: u64,
    /// Seconds from its restart to its first RPC answer.
    pub restart_to_rpc_s: Option<f64>,
    /// From its first RPC answer to the chain's head (or the timeout).
    pub caught_up: bool,
    pub catchup_s: f64,
    pub from_height: u64,
    pub to_height: u64,
    pub catchup_heights_per_s: f64,
    pub catchup_tps: f64,
    /// The chain's own growth during the catch-up.
    pub chain_during_catchup_heights_per_s: f64,
    pub chain_during_catchup_tps: f64,
    /// Catch-up speed over the chain's growth before the restart (above 1: it gains).
    pub ratio_heights: Option<f64>,
    pub ratio_tps: Option<f64>,
    pub counts: Counts,
    /// CPU over the catch-up and peak memory.
    pub nodes: Vec<Usage>,
    pub machine: Option<MachineUsage>,
    /// The restarted node's height at each poll.
    pub polls: Vec<HeightPoll>,
}

/// One `chain_status` answer of the restarted node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HeightPoll {
    pub after_restart_s: f64,
    pub height: u64,
}

/// What decides the exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub committed: u64,
    pub refused: u64,
    pub lost: u64,
    /// What failed, for people; empty when the run passed.
    pub problems: Vec<String>,
    pub exit_code: u8,
}

impl Verdict {
    /// Judges the counts of every run: lost transactions always fail (3); refused ones fail
    /// under `--strict` (4); a smoke run must commit something (5).
    pub fn judge(counts: &[&Counts], strict: bool, smoke: bool) -> Verdict {
        let sum = |f: fn(&Counts) -> u64| counts.iter().map(|c| f(c)).sum::<u64>();
        let (committed, refused, lost) =
            (sum(|c| c.committed), sum(|c| c.refused), sum(|c| c.lost));
        let mut problems = Vec::new();
        let mut exit_code = 0;
        if smoke && committed == 0 {
            problems.push("nothing committed".to_string());
            exit_code = 5;
        }
        if strict && refused > 0 {
            problems.push(format!("{refused} transactions refused (--strict)"));
            exit_code = 4;
        }
        if lost > 0 {
            problems.push(format!("{lost} accepted transactions never committed"));
            exit_code = 3;
        }
        Verdict {
            committed,
            refused,
            lost,
            problems,
            exit_code,
        }
    }
}

impl Report {
    /// Writes the report as pretty JSON to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a report always serializes");
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("cannot write the report to {}", path.display()))
    }
}

#[cfg(test)]
mod tests;
