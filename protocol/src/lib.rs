//! The ledger's data types, canonical encoding, signing rules, state commitment and the pure ledger rule.
//!
//! # Layout
//! - [`encoding`]: the one canonical byte encoding, with bounded decoding.
//! - [`crypto`]: SHA-256 hashes, ed25519 keys, domain-separated signatures, batch verification.
//! - [`address`], [`amount`]: account addresses with a checksum; amounts in minor units.
//! - [`transaction`], [`block`], [`vote`], [`certificate`], [`validator`]: what is signed,
//!   ordered and voted on.
//!
//! This crate does no IO, reads no clock and uses no randomness: time and keys come in as
//! arguments.

pub mod address;
pub mod amount;
pub mod block;
pub mod certificate;
pub mod crypto;
pub mod encoding;
pub mod transaction;
pub mod validator;
pub mod vote;

pub use address::Address;
pub use amount::Amount;
pub use block::{Block, Header};
pub use certificate::{CommitCertificate, CommitSignature};
pub use crypto::{Domain, Hash, Keypair, PublicKey, Signature};
pub use encoding::{Decode, DecodeError, Encode};
pub use transaction::{Operation, SignedTransaction, Transaction};
pub use validator::{Validator, ValidatorSet};
pub use vote::{Proposal, SignedProposal, SignedVote, Vote, VoteKind};
