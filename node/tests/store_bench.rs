//! The cost of committing a 1000-transaction block to RocksDB (one synced `WriteBatch`).
//! A measurement, not a check: run it with
//! `cargo test --release -p vellum-node --test store_bench -- --ignored --nocapture`.
#![cfg(feature = "rocksdb")]

use std::time::Instant;

use vellum_node::store::suite::chain::TestChain;
use vellum_node::store::{RocksStore, Store};

#[test]
#[ignore = "a measurement, not a check"]
fn commit_of_a_1000_tx_block_slow_bench() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    let mut chain = TestChain::new("bench", 500);
    store.init_genesis(&chain.identity, &chain.state).unwrap();
    let mut times = Vec::new();
    for _ in 0..21 {
        let c = chain.next_block(chain.transfers(1000));
        let start = Instant::now();
        store.commit_block(&c.commit()).unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "commit_block, 1000 transfers, synced: median {:?}, min {:?}, max {:?} over {} blocks",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        times.len()
    );
}
