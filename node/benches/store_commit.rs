//! The block writer's cost: committing full blocks of transfers to a `RocksStore`, as each
//! validator does for every block (one synced batch: the block, its hash, its certificate, its
//! outcomes, two history entries per transfer; and every hundredth block the accounts changed
//! since the last state checkpoint, and the transaction index entries of the blocks since, as
//! one ingested table file).
//!
//! Under load the block writers were about a fifth of the machine (four validators, each
//! writing every block); this measures one writer alone, without the network or consensus, so
//! store settings can be compared with less noise. The machine's pace still drifts by 10-20%
//! within minutes: compare two settings in runs taken in turn. 500 blocks, so that flushes and
//! compactions fall inside the timed window in proportion (with 300, a smaller `txs` memtable
//! looked 15% cheaper only because its compactions fell outside the window).
//!
//! `cargo bench --workspace --bench store_commit` (the workspace's feature set, so it reuses
//! the build of the tests and binaries). Prints, for each of several fresh stores, the wall
//! time and the process's CPU time (the writer and RocksDB's flush and compaction threads)
//! per block, and the medians. The node's allocator (mimalloc), as in `vellum-node`.

use std::time::Instant;

mod common;

use common::{ACCOUNTS, BLOCK_TXS, median, process_cpu_ms};
use vellum_node::store::suite::chain::{Committed, TestChain};
use vellum_node::store::{RocksStore, Store};
use vellum_protocol::{Account, Address};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHAIN: &str = "store-bench";
/// Enough blocks for the `txs`, `history` and `blocks` memtables to fill, flush and compact.
const BLOCKS: usize = 500;
const RUNS: usize = 3;

/// `BLOCKS` full blocks of transfers: block `b` has accounts `2000 b .. 2000 b + 1999` (mod
/// 4,000) each send to the next account, as the bench's load does; each with the accounts it
/// changed, as the block writer receives it.
fn chain(test_chain: &TestChain) -> Vec<(Committed, Vec<(Address, Account)>)> {
    let mut blocks = Vec::with_capacity(BLOCKS);
    common::for_each_height(test_chain, CHAIN, BLOCKS, |h| {
        let changed = h.after.changed_accounts(&h.before);
        let committed = Committed {
            block: h.block,
            receipts: h.receipts,
            certificate: h.certificate,
            state: h.after,
        };
        blocks.push((committed, changed));
    });
    blocks
}

fn main() {
    let test_chain = TestChain::new(CHAIN, ACCOUNTS as u16);
    let blocks = chain(&test_chain);
    println!(
        "{BLOCKS} blocks of {BLOCK_TXS} transfers among {ACCOUNTS} accounts, {RUNS} fresh stores"
    );
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for run in 1..=RUNS {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        store
            .init_genesis(&test_chain.identity, &test_chain.state)
            .unwrap();
        let (cpu0, start) = (process_cpu_ms(), Instant::now());
        for (committed, changed) in &blocks {
            store
                .commit_block(&committed.commit().with_changed(changed))
                .unwrap();
        }
        let wall = start.elapsed().as_secs_f64() * 1e6 / BLOCKS as f64;
        let cpu = (process_cpu_ms() - cpu0) * 1e3 / BLOCKS as f64;
        println!("run {run}: {wall:8.0} µs wall, {cpu:8.0} µs CPU per block");
        walls.push(wall);
        cpus.push(cpu);
        drop(store);
    }
    println!(
        "median: {:.0} µs wall, {:.0} µs CPU per block ({:.2} µs CPU per transaction)",
        median(walls),
        median(cpus.clone()),
        median(cpus) / BLOCK_TXS as f64
    );
}
