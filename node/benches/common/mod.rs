//! What the node's benches share: full blocks of transfers among the test chain's users, and
//! a chain of them built height by height; a signature check that answers from nothing (as
//! the node's cache does for transactions it verified on admission); the process's CPU time
//! and a median.

// Each bench is its own crate and uses only part of this.
#![allow(dead_code)]

use vellum_node::store::suite::chain::{TestChain, address};
use vellum_protocol::{
    Amount, Block, BlockContext, CommitCertificate, LedgerState, Operation, Receipt, Signature,
    SignatureCheck, SignedTransaction, SignedVote, Transaction, build_block,
};

pub const ACCOUNTS: usize = 4_000;
pub const BLOCK_TXS: usize = 2_000;

/// Every signature taken as verified: the node verifies each transaction once, on admission,
/// and a block's precommits as they arrive, so applying a block looks them up and no more.
pub struct Unchecked;

impl SignatureCheck for Unchecked {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        vec![true; txs.len()]
    }
    fn known_precommit(&self, _vote: &SignedVote) -> bool {
        true
    }
}

/// Block `b`'s transfers: accounts `2000 b .. 2000 b + 1999` (mod 4,000) each send 1 to the
/// next account, as the bench's load does, each with a distinct (unverified) signature.
pub fn transfers(chain: &TestChain, chain_id: &str, b: usize) -> Vec<SignedTransaction> {
    let users = &chain.users;
    (0..BLOCK_TXS)
        .map(|i| {
            let from = (b * BLOCK_TXS + i) % ACCOUNTS;
            let to = (from + 1) % ACCOUNTS;
            let mut signature = [0u8; 64];
            signature[..8].copy_from_slice(&((b * BLOCK_TXS + i) as u64).to_be_bytes());
            SignedTransaction {
                tx: Transaction {
                    chain_id: chain_id.into(),
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
        .collect()
}

/// One height of a chain of full blocks: the state before it, the proposer's candidates, the
/// block built from them with its receipts, the state after it and its certificate.
pub struct Height {
    pub before: LedgerState,
    pub candidates: Vec<SignedTransaction>,
    pub ctx: BlockContext,
    pub block: Block,
    pub receipts: Vec<Receipt>,
    pub after: LedgerState,
    pub certificate: CommitCertificate,
}

/// Builds `blocks` heights of [`transfers`] on `chain`'s genesis (proposers in turn, 100 ms
/// apart, each block certified by the validators), handing each to `f` as it is made.
pub fn for_each_height(
    chain: &TestChain,
    chain_id: &str,
    blocks: usize,
    mut f: impl FnMut(Height),
) {
    let validators = &chain.validators;
    let mut state = chain.state.clone();
    let mut last_commit = None;
    for b in 0..blocks {
        let candidates = transfers(chain, chain_id, b);
        let ctx = BlockContext {
            time_ms: state.last_time_ms() + 100,
            proposer: validators[b % validators.len()].public(),
            last_commit: last_commit.clone(),
        };
        let (block, after, receipts) = build_block(
            &state,
            candidates.clone(),
            ctx.clone(),
            BLOCK_TXS,
            &Unchecked,
        );
        assert_eq!(block.txs.len(), BLOCK_TXS, "every transfer is valid");
        let voters = after.last_validators().expect("a block was applied");
        let certificate = chain.certify(&block, voters);
        last_commit = Some(certificate.clone());
        f(Height {
            before: std::mem::replace(&mut state, after.clone()),
            candidates,
            ctx,
            block,
            receipts,
            after,
            certificate,
        });
    }
}

/// This process's CPU time (user and system, every thread) in milliseconds.
pub fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // The fields after the command name, which ends with the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0 // USER_HZ is 100 on Linux
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
