//! The ledger's data types, canonical encoding, signing rules, state commitment and the pure ledger rule.
//!
//! # Layout
//! - [`encoding`]: the one canonical byte encoding, with bounded decoding.
//! - [`crypto`]: SHA-256 hashes, ed25519 keys, domain-separated signatures, batch verification.
//! - [`address`], [`amount`]: account addresses with a checksum; amounts in minor units.
//! - [`transaction`], [`block`], [`vote`], [`certificate`], [`validator`]: what is signed,
//!   ordered and voted on.
//! - [`merkle`], [`state`]: the accounts trie (a compressed sparse Merkle tree), the ledger
//!   state and its state root, and balance proofs.
//! - [`receipt`]: what became of each transaction, and the reason codes of failures.
//! - [`ledger`]: the ledger rule, `apply_block`, and the proposer's `build_block`.
//! - [`genesis`]: the genesis file, its validation, and the state at height 0.
//! - `rpc` (feature `rpc`): the JSON-RPC API trait, its DTOs, error codes and OpenRPC document.
//!
//! This crate does no IO, reads no clock and uses no randomness: time and keys come in as
//! arguments.

pub mod address;
pub mod amount;
pub mod block;
pub mod certificate;
pub mod crypto;
pub mod encoding;
pub mod genesis;
pub mod ledger;
pub mod merkle;
pub mod receipt;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod state;
pub mod transaction;
pub mod validator;
pub mod vote;

pub use address::Address;
pub use amount::Amount;
pub use block::{Block, Header};
pub use certificate::{CommitCertificate, CommitSignature};
pub use crypto::{CheckedKey, Domain, Hash, Keypair, PublicKey, Signature};
pub use encoding::{Decode, DecodeError, Encode};
pub use genesis::{Genesis, GenesisFault};
pub use ledger::{
    BlockContext, BlockError, SignatureCheck, TxHashes, VerifyAll, apply_block, apply_hashed_block,
    build_block,
};
pub use receipt::{Outcome, Receipt, RejectReason};
pub use state::{Account, AccountProof, LedgerState};
pub use transaction::{Operation, SignedTransaction, Transaction};
pub use validator::{Validator, ValidatorSet};
pub use vote::{Proposal, SignedProposal, SignedVote, Vote, VoteKind};
