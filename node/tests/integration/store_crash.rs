//! A node killed (SIGKILL) while it commits blocks reopens its RocksDB store with every block
//! either wholly present or absent: the state reloads and matches the latest block's state
//! root, every index agrees, and the chain continues from there.
//!
//! The test runs itself as the child process that commits: with `VELLUM_STORE_CRASH_DIR` set,
//! `child_commits_until_killed` commits blocks of a deterministic chain into that directory
//! until it is killed; the parent kills it at staggered moments and checks what is left.
#![cfg(feature = "rocksdb")]

use std::process::{Command, Stdio};
use std::time::Duration;

use vellum_node::store::suite::chain::{Committed, TestChain};
use vellum_node::store::{RocksStore, Store};

const DIR_VAR: &str = "VELLUM_STORE_CRASH_DIR";
const CHAIN: &str = "crash-test";
const TXS_PER_BLOCK: usize = 300;
/// The child's test, by its full name in this binary.
const CHILD_TEST: &str = "store_crash::child_commits_until_killed";

/// Resumes the deterministic chain from what `store` holds.
fn resume(store: &RocksStore) -> TestChain {
    let mut chain = TestChain::new(CHAIN, 50);
    store.init_genesis(&chain.identity, &chain.state).unwrap();
    let state = store.load_state().unwrap().expect("initialised");
    let tip = store.latest_height().unwrap();
    let certificate = store.certificate(tip).unwrap();
    chain.resume(state, certificate);
    chain
}

fn next(chain: &mut TestChain) -> Committed {
    chain.next_block(chain.transfers(TXS_PER_BLOCK))
}

#[test]
fn child_commits_until_killed() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return; // only meaningful as the child of the crash test
    };
    let store = RocksStore::open(&dir).unwrap();
    let mut chain = resume(&store);
    loop {
        let c = next(&mut chain);
        store.commit_block(&c.commit()).unwrap();
    }
}

#[test]
fn a_store_killed_mid_commit_reopens_consistent_and_continues() {
    let _alone = crate::common::one_at_a_time_blocking();
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut heights = Vec::new();
    for delay_ms in [150u64, 420, 777, 1_333] {
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture"])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();

        let store = RocksStore::open(dir.path()).unwrap();
        let tip = store.latest_height().unwrap();
        let state = store.load_state().unwrap().expect("initialised");
        assert_eq!(state.height(), tip);
        // Replaying the deterministic chain gives exactly the blocks stored, and nothing past
        // the tip was written.
        let mut replay = TestChain::new(CHAIN, 50);
        for h in 1..=tip + 1 {
            let c = next(&mut replay);
            let stored = store.block(h).unwrap();
            if h <= tip {
                assert_eq!(stored.as_ref(), Some(&c.block), "block {h}");
                let last = c.receipts.last().unwrap();
                assert_eq!(store.tx(&last.tx_hash).unwrap().unwrap().height, h);
            } else {
                assert_eq!(stored, None);
                assert_eq!(store.certificate(h).unwrap(), None);
                for r in &c.receipts {
                    assert_eq!(store.tx(&r.tx_hash).unwrap(), None);
                }
            }
        }
        if tip > 0 {
            let header = store.block(tip).unwrap().unwrap().header;
            assert_eq!(state.state_root(), header.state_root);
        }
        heights.push(tip);
    }
    assert!(heights.windows(2).all(|w| w[0] <= w[1]), "{heights:?}");
    assert!(
        heights.last() > Some(&0),
        "the child never committed: {heights:?}"
    );

    // After the last kill, the chain continues where the store left off.
    let store = RocksStore::open(dir.path()).unwrap();
    let mut chain = resume(&store);
    let c = next(&mut chain);
    store.commit_block(&c.commit()).unwrap();
    assert_eq!(
        store.latest_height().unwrap(),
        heights[heights.len() - 1] + 1
    );
}
