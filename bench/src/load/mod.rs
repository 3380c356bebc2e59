//! The load of one run: pre-signed transfers ([`sign`]) grouped into the batches each tick of
//! the [`Schedule`] sends, one `tx_submitBatch` per node per tick, and the open-loop
//! [`send`]er that offers them on time.
//!
//! Each batch's JSON-RPC parameters are written out when the plan is made, before the clock
//! starts, like the signatures: the load generator shares the machine with the nodes it
//! measures, and serializing some 15,000 hex strings a second while sending was part of its
//! CPU (with mimalloc, this took 17% of the bench's CPU off; docs/PERFORMANCE.md, twentieth
//! session).

pub mod send;
pub mod sign;

use jsonrpsee::core::traits::ToRpcParams;
use serde_json::value::RawValue;
use vellum_protocol::rpc::types::MAX_SUBMIT_BATCH;

use crate::accounts::{node_of, slot};
use crate::schedule::Schedule;

/// One `tx_submitBatch` call: its parameters, ready to send, and the transactions' numbers in
/// the plan.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Index of the node (in the localnet) it goes to.
    pub node: usize,
    pub params: SubmitParams,
    pub indices: Vec<u32>,
}

/// The parameters of a `tx_submitBatch` call as JSON: one array of the transactions' hex.
#[derive(Debug, Clone)]
pub struct SubmitParams(Box<RawValue>);

impl SubmitParams {
    /// The parameters carrying `txs` (hex, which JSON needs no escape for).
    pub fn new<S: AsRef<str>>(txs: &[S]) -> SubmitParams {
        let len = txs.iter().map(|t| t.as_ref().len() + 3).sum::<usize>() + 4;
        let mut json = String::with_capacity(len);
        json.push_str("[[");
        for (i, tx) in txs.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push('"');
            json.push_str(tx.as_ref());
            json.push('"');
        }
        json.push_str("]]");
        SubmitParams(RawValue::from_string(json).expect("hex strings make a JSON array"))
    }

    /// The transactions' hex, in order.
    pub fn txs(&self) -> Vec<String> {
        let (txs,): (Vec<String>,) =
            serde_json::from_str(self.0.get()).expect("made by SubmitParams::new");
        txs
    }
}

impl ToRpcParams for SubmitParams {
    fn to_rpc_params(self) -> Result<Option<Box<RawValue>>, serde_json::Error> {
        Ok(Some(self.0))
    }
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
            let mut per_node: Vec<(Vec<String>, Vec<u32>)> = vec![Default::default(); nodes.len()];
            for j in schedule.tick(k) {
                let n = node_of(slot(j, accounts).sender, nodes.len());
                let text = hex.next().expect("counted above");
                per_node[n].0.push(text);
                per_node[n].1.push(j as u32);
            }
            ticks.push(split(nodes, per_node));
        }
        Plan { schedule, ticks }
    }

    /// Batches in the whole plan.
    pub fn batches(&self) -> usize {
        self.ticks.iter().map(Vec::len).sum()
    }
}

/// One batch per node of `nodes` with `per_node[i]`'s transactions (hex and numbers), empty
/// ones dropped and any above the node's batch limit split.
fn split(nodes: &[usize], per_node: Vec<(Vec<String>, Vec<u32>)>) -> Vec<Batch> {
    let mut out = Vec::new();
    for (&node, (txs, indices)) in nodes.iter().zip(per_node) {
        for (txs, indices) in txs
            .chunks(MAX_SUBMIT_BATCH)
            .zip(indices.chunks(MAX_SUBMIT_BATCH))
        {
            out.push(Batch {
                node,
                params: SubmitParams::new(txs),
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
                assert_eq!(b.params.txs().len(), 2);
                for (text, &j) in b.params.txs().iter().zip(&b.indices) {
                    assert_eq!(text, &j.to_string());
                    assert_eq!(node_of(slot(u64::from(j), 8).sender, 2), b.node);
                }
            }
        }
    }

    #[test]
    fn the_parameters_are_what_the_client_would_have_written() {
        let txs = vec!["00ab".to_string(), "ff".to_string()];
        let params = SubmitParams::new(&txs);
        let by_serde = serde_json::to_string(&(txs.clone(),)).unwrap();
        assert_eq!(params.0.get(), by_serde);
        assert_eq!(params.txs(), txs);
        assert_eq!(SubmitParams::new::<String>(&[]).0.get(), "[[]]");
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
        let sizes: Vec<usize> = plan.ticks[0].iter().map(|b| b.params.txs().len()).collect();
        assert_eq!(sizes, vec![1000, 1000, 500]);
        let quiet = Schedule::new(1, Duration::from_millis(10), Duration::from_millis(50));
        let plan = Plan::new(quiet, Vec::new(), 5, &[0, 1]);
        assert_eq!(plan.batches(), 0);
    }
}
