//! The load of one run: pre-signed transfers ([`sign`]) grouped into the batches each tick of
//! the [`Schedule`] sends, one `tx_submitBatch` per node per tick, and the open-loop
//! [`send`]er that offers them on time.

pub mod send;
pub mod sign;

use vellum_protocol::rpc::types::MAX_SUBMIT_BATCH;

use crate::accounts::{node_of, slot};
use crate::schedule::Schedule;

/// One `tx_submitBatch` call: the transactions' hex and their numbers in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Index of the node (in the localnet) it goes to.
    pub node: usize,
    pub txs: Vec<String>,
    pub indices: Vec<u32>,
}

/// Every batch of a run, by tick.
#[derive(Debug)]
pub struct Plan {
    pub schedule: Schedule,
    pub ticks: Vec<Vec<Batch>>,
}

impl Plan {
    /// Groups `hex` (the signed load in send order, as long as the schedule's total) into
    /// batches: within a tick, each transaction goes to its sender's node among `nodes`.
    pub fn new(schedule: Schedule, hex: Vec<String>, accounts: usize, nodes: &[usize]) -> Plan {
        assert_eq!(
            hex.len() as u64,
            schedule.total(),
            "one signed transaction per slot"
        );
        let mut hex = hex.into_iter();
        let mut ticks = Vec::with_capacity(schedule.ticks() as usize);
        for k in 0..schedule.ticks() {
            let mut per_node: Vec<Batch> = nodes
                .iter()
                .map(|&node| Batch {
                    node,
                    txs: Vec::new(),
                    indices: Vec::new(),
                })
                .collect();
            for j in schedule.tick(k) {
                let n = node_of(slot(j, accounts).sender, nodes.len());
                let text = hex.next().expect("counted above");
                per_node[n].txs.push(text);
                per_node[n].indices.push(j as u32);
            }
            ticks.push(split(per_node));
        }
        Plan { schedule, ticks }
    }

    /// Batches in the whole plan.
    pub fn batches(&self) -> usize {
        self.ticks.iter().map(Vec::len).sum()
    }
}

/// Drops empty batches and splits any above the node's batch limit.
fn split(batches: Vec<Batch>) -> Vec<Batch> {
    let mut out = Vec::new();
    for b in batches {
        if b.txs.len() <= MAX_SUBMIT_BATCH {
            if !b.txs.is_empty() {
                out.push(b);
            }
            continue;
        }
        for (txs, indices) in b
            .txs
            .chunks(MAX_SUBMIT_BATCH)
            .zip(b.indices.chunks(MAX_SUBMIT_BATCH))
        {
            out.push(Batch {
                node: b.node,
                txs: txs.to_vec(),
                indices: indices.to_vec(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_tick_sends_one_batch_per_node_with_each_account_on_its_node() {
        let schedule = Schedule::new(400, Duration::from_millis(10), Duration::from_millis(50));
        let hex: Vec<String> = (0..schedule.total()).map(|j| j.to_string()).collect();
        let plan = Plan::new(schedule, hex, 8, &[0, 1]);
        assert_eq!(plan.ticks.len(), 5);
        for tick in &plan.ticks {
            assert_eq!(tick.len(), 2);
            for b in tick {
                assert_eq!(b.txs.len(), 2);
                for (text, &j) in b.txs.iter().zip(&b.indices) {
                    assert_eq!(text, &j.to_string());
                    assert_eq!(node_of(slot(u64::from(j), 8).sender, 2), b.node);
                }
            }
        }
    }

    #[test]
    fn batches_above_the_node_limit_are_split_and_empty_ones_dropped() {
        let schedule = Schedule::new(
            250_000,
            Duration::from_millis(10),
            Duration::from_millis(10),
        );
        let hex: Vec<String> = (0..schedule.total()).map(|j| j.to_string()).collect();
        let plan = Plan::new(schedule, hex, 5, &[3]);
        let sizes: Vec<usize> = plan.ticks[0].iter().map(|b| b.txs.len()).collect();
        assert_eq!(sizes, vec![1000, 1000, 500]);
        let quiet = Schedule::new(1, Duration::from_millis(10), Duration::from_millis(50));
        let plan = Plan::new(quiet, Vec::new(), 5, &[0, 1]);
        assert_eq!(plan.batches(), 0);
    }
}
