//! The ledger's cost per full block on a validator, without the network or the store: what
//! each of the four validators of a localnet does for every block, timed step by step.
//!
//! - `hash`: the transactions hashed and their root checked against the header's `tx_root`
//!   (the network does it when a proposal arrives);
//! - `build`: the proposer's `build_block` from the reaped transactions (admission checks,
//!   execution, the state root);
//! - `validate`: `apply_hashed_block` of the proposal (the same rule, given the hashes);
//! - `changed`: the accounts the block changed (`LedgerState::changed_accounts`), which the
//!   mempool re-checks and the block writer stores at checkpoints.
//!
//! Signatures are taken as verified, as the node's cache answers for transactions it verified
//! on admission (that cost is `cargo bench --workspace --bench verify_batch`'s). Full blocks of
//! 2,000 transfers among 4,000 accounts, as the bench's load at its ceiling.
//!
//! `cargo bench --workspace --bench block_apply`. Prints each run's median per block of each
//! step, then the median of the runs. The machine's pace drifts by 10-20% within minutes:
//! compare two builds in runs taken in turn. The node's allocator (mimalloc).

use std::time::Instant;

mod common;

use common::{ACCOUNTS, BLOCK_TXS, Height, Unchecked, median};
use vellum_node::store::suite::chain::TestChain;
use vellum_protocol::{TxHashes, apply_hashed_block, build_block};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHAIN: &str = "apply-bench";
const BLOCKS: usize = 100;
const RUNS: usize = 5;

/// The chain's heights: each one's state before, the proposer's candidates and its block.
fn chain(test_chain: &TestChain) -> Vec<Height> {
    let mut heights = Vec::with_capacity(BLOCKS);
    common::for_each_height(test_chain, CHAIN, BLOCKS, |h| heights.push(h));
    heights
}

fn micros(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e6
}

fn main() {
    let test_chain = TestChain::new(CHAIN, ACCOUNTS as u16);
    let heights = chain(&test_chain);
    println!("{BLOCKS} blocks of {BLOCK_TXS} transfers among {ACCOUNTS} accounts, {RUNS} runs");
    println!("µs per block (median of the run)   hash    build  validate  changed");
    let steps = 4;
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); steps];
    for run in 1..=RUNS {
        let mut times: Vec<Vec<f64>> = (0..steps).map(|_| Vec::with_capacity(BLOCKS)).collect();
        for h in &heights {
            let start = Instant::now();
            let hashes = TxHashes::of(&h.block.txs).expect("distinct transactions");
            assert_eq!(hashes.root(), h.block.header.tx_root);
            times[0].push(micros(start));

            let candidates = h.candidates.clone();
            let start = Instant::now();
            let built = build_block(&h.before, candidates, h.ctx.clone(), BLOCK_TXS, &Unchecked);
            times[1].push(micros(start));
            assert_eq!(built.0.hash(), h.block.hash());
            drop(built);

            let start = Instant::now();
            let (after, receipts) = apply_hashed_block(&h.before, &h.block, &hashes, &Unchecked)
                .expect("the block the proposer built is valid");
            times[2].push(micros(start));
            assert_eq!(receipts.len(), BLOCK_TXS);

            let start = Instant::now();
            let changed = after.changed_accounts(&h.before);
            times[3].push(micros(start));
            assert!(changed.len() > BLOCK_TXS, "senders and recipients changed");
        }
        let medians: Vec<f64> = times.into_iter().map(median).collect();
        println!(
            "run {run}:                          {:7.0}  {:7.0}  {:8.0}  {:7.0}",
            medians[0], medians[1], medians[2], medians[3]
        );
        for (all, m) in runs.iter_mut().zip(medians) {
            all.push(m);
        }
    }
    let m: Vec<f64> = runs.into_iter().map(median).collect();
    println!(
        "median of the runs:             {:7.0}  {:7.0}  {:8.0}  {:7.0}",
        m[0], m[1], m[2], m[3]
    );
    println!(
        "per transaction (µs):           {:7.2}  {:7.2}  {:8.2}  {:7.2}",
        m[0] / BLOCK_TXS as f64,
        m[1] / BLOCK_TXS as f64,
        m[2] / BLOCK_TXS as f64,
        m[3] / BLOCK_TXS as f64
    );
}
