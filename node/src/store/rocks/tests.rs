//! The conformance suite on RocksDB, and what only a directory on disk can show: the lock, the
//! storage format check, and the cost of a synced commit.

use std::time::Instant;

use super::RocksStore;
use crate::store::layout::{Column, ColumnStore, WriteSet, meta};
use crate::store::suite::chain::TestChain;
use crate::store::{Store, StoreError};

crate::store_suite!({
    let dir = tempfile::tempdir().unwrap();
    move || RocksStore::open(dir.path()).unwrap()
});

#[test]
fn a_directory_in_use_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let first = RocksStore::open(dir.path()).unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert_eq!(
        err,
        StoreError::Locked {
            path: dir.path().to_path_buf()
        }
    );
    assert!(err.to_string().contains("another vellum-node is using"));
    drop(first);
    RocksStore::open(dir.path()).unwrap();
}

#[test]
fn a_directory_in_another_storage_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    let mut w = WriteSet::default();
    w.put(Column::Meta, meta::FORMAT, 99u32.to_be_bytes().to_vec());
    store.write(w, true).unwrap();
    drop(store);
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert_eq!(
        err,
        StoreError::UnsupportedFormat {
            expected: crate::store::layout::FORMAT,
            found: 99
        }
    );
}

/// Median time of `commit_block` for a block of 1000 transfers (synced write). Run with
/// `cargo test --release -p vellum-node --lib commit_of_a_1000_tx_block -- --ignored --nocapture`.
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
