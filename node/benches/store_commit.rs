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

use vellum_node::store::suite::chain::{Committed, TestChain, address};
use vellum_node::store::{RocksStore, Store};
use vellum_protocol::{
    Account, Address, Amount, BlockContext, Operation, Signature, SignatureCheck,
    SignedTransaction, Transaction, build_block,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHAIN: &str = "store-bench";
const ACCOUNTS: usize = 4_000;
const BLOCK_TXS: usize = 2_000;
/// Enough blocks for the `txs`, `history` and `blocks` memtables to fill, flush and compact.
const BLOCKS: usize = 500;
const RUNS: usize = 3;

/// The store does not look at signatures: the blocks are built as if every one verified.
struct Unchecked;

impl SignatureCheck for Unchecked {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        vec![true; txs.len()]
    }
}

/// `BLOCKS` full blocks of transfers: block `b` has accounts `2000 b .. 2000 b + 1999` (mod
/// 4,000) each send to the next account, as the bench's load does; each with the accounts it
/// changed, as the block writer receives it.
fn chain(test_chain: &TestChain) -> Vec<(Committed, Vec<(Address, Account)>)> {
    let (validators, users) = (&test_chain.validators, &test_chain.users);
    let mut state = test_chain.state.clone();
    let mut last_commit = None;
    let mut blocks = Vec::with_capacity(BLOCKS);
    for b in 0..BLOCKS {
        let txs: Vec<SignedTransaction> = (0..BLOCK_TXS)
            .map(|i| {
                let from = (b * BLOCK_TXS + i) % ACCOUNTS;
                let to = (from + 1) % ACCOUNTS;
                let mut signature = [0u8; 64];
                signature[..8].copy_from_slice(&((b * BLOCK_TXS + i) as u64).to_be_bytes());
                SignedTransaction {
                    tx: Transaction {
                        chain_id: CHAIN.into(),
                        sender: users[from].public(),
                        nonce: (b * BLOCK_TXS / ACCOUNTS) as u64,
                        expiry_ms: u64::MAX,
                        op: Operation::Transfer {
                            to: address(&users[to]),
                            amount: Amount(1),
                            memo: String::new(),
                        },
                    },
                    signature: Signature(signature),
                }
            })
            .collect();
        let ctx = BlockContext {
            time_ms: state.last_time_ms() + 100,
            proposer: validators[b % validators.len()].public(),
            last_commit: last_commit.clone(),
        };
        let (block, after, receipts) = build_block(&state, txs, ctx, BLOCK_TXS, &Unchecked);
        assert_eq!(block.txs.len(), BLOCK_TXS, "every transfer is valid");
        let voters = after.last_validators().expect("a block was applied");
        let certificate = test_chain.certify(&block, voters);
        let changed = after.changed_accounts(&state);
        last_commit = Some(certificate.clone());
        state = after.clone();
        let committed = Committed {
            block,
            receipts,
            certificate,
            state: after,
        };
        blocks.push((committed, changed));
    }
    blocks
}

/// This process's CPU time (user and system, every thread) in milliseconds.
fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // The fields after the command name, which ends with the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0 // USER_HZ is 100 on Linux
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
