//! Test data for the network: keys, transactions, votes, proposals, blocks and certificates.

use vellum_protocol::address::Address;
use vellum_protocol::amount::Amount;
use vellum_protocol::block::{Block, Header, tx_root};
use vellum_protocol::certificate::CommitCertificate;
use vellum_protocol::crypto::{Hash, Keypair};
use vellum_protocol::transaction::{Operation, SignedTransaction, Transaction};
use vellum_protocol::validator::{Validator, ValidatorSet};
use vellum_protocol::vote::{Proposal, SignedProposal, SignedVote, Vote, VoteKind};

pub const CHAIN_ID: &str = "vellum-test";

/// The consensus key of validator `i`.
pub fn validator_key(i: u8) -> Keypair {
    Keypair::from_seed(&[i + 1; 32])
}

/// A set of validators `0..n`, each with power 1.
pub fn validator_set(n: u8) -> ValidatorSet {
    let list = (0..n).map(|i| Validator {
        key: validator_key(i).public(),
        power: 1,
    });
    ValidatorSet::new(list.collect()).expect("a valid set")
}

/// A transfer from a per-`nonce` sender, signed.
pub fn tx(nonce: u64) -> SignedTransaction {
    let key = Keypair::from_seed(&[200; 32]);
    Transaction {
        chain_id: CHAIN_ID.to_owned(),
        sender: key.public(),
        nonce,
        expiry_ms: 1_000_000,
        op: Operation::Transfer {
            to: Address([7; 20]),
            amount: Amount(nonce as u128 + 1),
            memo: "rent".to_owned(),
        },
    }
    .sign(&key)
}

/// A prevote by validator `i` for `block` at `height`.
pub fn vote(i: u8, height: u64, block: Option<Hash>) -> SignedVote {
    let key = validator_key(i);
    Vote {
        kind: VoteKind::Prevote,
        height,
        round: 0,
        block,
        validator: key.public(),
    }
    .sign(CHAIN_ID, &key)
}

/// A block at `height` with `n_txs` transactions, proposed by validator 0.
pub fn block(height: u64, n_txs: u64) -> Block {
    let txs: Vec<SignedTransaction> = (0..n_txs).map(tx).collect();
    Block {
        header: Header {
            chain_id: CHAIN_ID.to_owned(),
            height,
            time_ms: 1000 + height,
            prev_hash: Hash([height as u8; 32]),
            tx_root: tx_root(&txs),
            state_root: Hash([9; 32]),
            proposer: validator_key(0).public(),
            last_commit_hash: Hash::ZERO,
            validators_hash: validator_set(3).hash(),
        },
        last_commit: None,
        txs,
    }
}

/// Validator 0's signed proposal of `block`.
pub fn proposal(block: &Block) -> SignedProposal {
    let key = validator_key(0);
    Proposal {
        height: block.height(),
        round: 0,
        block: block.hash(),
        pol_round: None,
        proposer: key.public(),
    }
    .sign(CHAIN_ID, &key)
}

/// Precommits of validators 0..3 for `block`.
pub fn certificate(block: &Block) -> CommitCertificate {
    let votes: Vec<SignedVote> = (0..3)
        .map(|i| {
            let key = validator_key(i);
            Vote {
                kind: VoteKind::Precommit,
                height: block.height(),
                round: 0,
                block: Some(block.hash()),
                validator: key.public(),
            }
            .sign(CHAIN_ID, &key)
        })
        .collect();
    CommitCertificate::from_precommits(block.height(), 0, block.hash(), &votes)
}
