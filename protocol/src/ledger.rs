//! The ledger rule: a pure function from (state, block) to (new state, receipts).
//!
//! Rule (specified in `docs/LEDGER.md`): a block is valid when its header follows the state
//! (chain id, next height, previous hash, later time, current validator set, a proposer from
//! it), it carries the certificate of the previous block (none at height 1), its transactions
//! are distinct, within limits and match `tx_root`, every transaction is admissible (chain id,
//! memo, signature, next nonce, not expired), and executing them in order gives `state_root`.
//! A transaction that is admissible but fails to execute stays in the block with a `Rejected`
//! receipt and consumes its nonce; nothing else changes. Validator changes decided in block `h`
//! vote from height `h + VALIDATOR_CHANGE_DELAY`.

mod builder;
mod execute;
#[cfg(test)]
mod tests;
mod tx_hashes;

pub use self::builder::{BlockContext, build_block, check_tx};
pub use self::execute::is_strong_key;
pub use self::tx_hashes::TxHashes;
use crate::block::{Block, Header};
use crate::certificate::CertificateError;
use crate::crypto::{self, Domain, Hash, PublicKey, SignedItem};
use crate::receipt::{Receipt, RejectReason};
use crate::state::LedgerState;
use crate::transaction::SignedTransaction;
use crate::vote::SignedVote;

/// A validator change included in block `h` changes the set that votes on `h + 2`: the set for
/// `h + 1` is already fixed when block `h` is proposed, since its hash is in block `h + 1`'s
/// header and the next proposer is chosen from it.
pub const VALIDATOR_CHANGE_DELAY: u64 = 2;

/// Says which transactions carry a valid signature, under the one rule of
/// [`crypto::verify`]. A node may answer from a cache of transactions it verified already.
pub trait SignatureCheck {
    /// One answer per transaction, in order.
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool>;
    /// As [`SignatureCheck::verified`], given each transaction's hash (which a cache keyed by
    /// hash then need not compute again). `hashes[i]` must be `txs[i].hash()`.
    fn verified_hashed(&self, txs: &[SignedTransaction], hashes: &[Hash]) -> Vec<bool> {
        debug_assert_eq!(txs.len(), hashes.len());
        self.verified(txs)
    }
    /// Whether this precommit's signature was verified before (the host checked the vote when
    /// it arrived): a block's `last_commit` then does not verify it again. `false` by default.
    fn known_precommit(&self, _vote: &SignedVote) -> bool {
        false
    }
}

/// Verifies every signature, in one batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyAll;

impl SignatureCheck for VerifyAll {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        let bodies: Vec<Vec<u8>> = txs.iter().map(SignedTransaction::signing_body).collect();
        let items: Vec<SignedItem<'_>> = txs
            .iter()
            .zip(&bodies)
            .map(|(t, body)| SignedItem {
                key: &t.tx.sender,
                domain: Domain::Transaction,
                body,
                signature: &t.signature,
            })
            .collect();
        crypto::verify_batch(&items)
    }
}

/// Why a block is invalid for a state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("the block is for chain {got:?}; this ledger is chain {expected:?}")]
    WrongChainId { expected: String, got: String },
    #[error("the block is at height {got}; the next height is {expected}")]
    WrongHeight { expected: u64, got: u64 },
    #[error("the block builds on {got}; the last block is {expected}")]
    WrongPrevHash { expected: Hash, got: Hash },
    #[error("the block time {got} ms is not after the last block time {last} ms")]
    TimeNotAfterLast { last: u64, got: u64 },
    #[error("the header names validator set {got}; the set for this height is {expected}")]
    WrongValidatorsHash { expected: Hash, got: Hash },
    #[error("the proposer {0} is not a validator at this height")]
    UnknownProposer(PublicKey),
    #[error("the block carries a last commit, but the first block has none")]
    UnexpectedLastCommit,
    #[error("the block carries no commit certificate for the previous block")]
    MissingLastCommit,
    #[error("the header's last commit hash is {got}; the certificate hashes to {expected}")]
    WrongLastCommitHash { expected: Hash, got: Hash },
    #[error("the certificate of the previous block does not verify: {0}")]
    BadLastCommit(CertificateError),
    #[error("the block has {count} transactions; the limit is {max}")]
    TooManyTxs { count: usize, max: usize },
    #[error("transaction {index} ({hash}) appears earlier in the block too")]
    DuplicateTx { index: usize, hash: Hash },
    #[error("{hashes} transaction hashes were given for a block of {txs} transactions")]
    HashesNotOfBlock { hashes: usize, txs: usize },
    #[error("the header's tx root is {got}; the transactions give {expected}")]
    WrongTxRoot { expected: Hash, got: Hash },
    #[error("the header's state root is {got}; executing the block gives {expected}")]
    WrongStateRoot { expected: Hash, got: Hash },
    #[error("transaction {index} makes the block invalid: {reason}")]
    InvalidTx { index: usize, reason: RejectReason },
}

/// Checks the header fields that follow from the state alone.
fn check_header(state: &LedgerState, h: &Header) -> Result<(), BlockError> {
    if h.chain_id != state.chain_id() {
        return Err(BlockError::WrongChainId {
            expected: state.chain_id().to_owned(),
            got: h.chain_id.clone(),
        });
    }
    if h.height != state.height() + 1 {
        return Err(BlockError::WrongHeight {
            expected: state.height() + 1,
            got: h.height,
        });
    }
    if h.prev_hash != state.last_block_hash() {
        return Err(BlockError::WrongPrevHash {
            expected: state.last_block_hash(),
            got: h.prev_hash,
        });
    }
    if h.time_ms <= state.last_time_ms() {
        return Err(BlockError::TimeNotAfterLast {
            last: state.last_time_ms(),
            got: h.time_ms,
        });
    }
    let validators_hash = state.validators().hash();
    if h.validators_hash != validators_hash {
        return Err(BlockError::WrongValidatorsHash {
            expected: validators_hash,
            got: h.validators_hash,
        });
    }
    if state.validators().get(&h.proposer).is_none() {
        return Err(BlockError::UnknownProposer(h.proposer));
    }
    Ok(())
}

/// Checks that the block carries the certificate that committed the previous block.
fn check_last_commit(
    state: &LedgerState,
    block: &Block,
    sigs: &dyn SignatureCheck,
) -> Result<(), BlockError> {
    let header = &block.header;
    let Some(cert) = &block.last_commit else {
        if header.height > 1 {
            return Err(BlockError::MissingLastCommit);
        }
        if header.last_commit_hash != Hash::ZERO {
            return Err(BlockError::WrongLastCommitHash {
                expected: Hash::ZERO,
                got: header.last_commit_hash,
            });
        }
        return Ok(());
    };
    let Some(last_validators) = state.last_validators().filter(|_| header.height > 1) else {
        return Err(BlockError::UnexpectedLastCommit);
    };
    let cert_hash = cert.hash();
    if header.last_commit_hash != cert_hash {
        return Err(BlockError::WrongLastCommitHash {
            expected: cert_hash,
            got: header.last_commit_hash,
        });
    }
    cert.verify_known(
        state.chain_id(),
        header.height - 1,
        state.last_block_hash(),
        last_validators,
        |vote| sigs.known_precommit(vote),
    )
    .map_err(BlockError::BadLastCommit)
}

/// Applies `block` to `state`: the state after it and one receipt per transaction, or why the
/// block is invalid. `state` is never changed.
pub fn apply_block(
    state: &LedgerState,
    block: &Block,
    sigs: &dyn SignatureCheck,
) -> Result<(LedgerState, Vec<Receipt>), BlockError> {
    check_header(state, &block.header)?;
    // Cheap checks first: signatures are the expensive part.
    let hashes = TxHashes::of(&block.txs)?;
    apply_checked_header(state, block, &hashes, sigs)
}

/// [`apply_block`] for a block whose transactions were hashed already: `hashes` must be
/// `TxHashes::of(&block.txs)` (the node hashes a proposal's transactions once, when it checks
/// the proposal's `tx_root` on arrival). Hashes of as many other transactions, with the same
/// root, would be a second preimage of SHA-256; a list of another length is refused.
pub fn apply_hashed_block(
    state: &LedgerState,
    block: &Block,
    hashes: &TxHashes,
    sigs: &dyn SignatureCheck,
) -> Result<(LedgerState, Vec<Receipt>), BlockError> {
    check_header(state, &block.header)?;
    if hashes.len() != block.txs.len() {
        return Err(BlockError::HashesNotOfBlock {
            hashes: hashes.len(),
            txs: block.txs.len(),
        });
    }
    apply_checked_header(state, block, hashes, sigs)
}

/// The rest of the rule, after the header's own checks.
fn apply_checked_header(
    state: &LedgerState,
    block: &Block,
    hashes: &TxHashes,
    sigs: &dyn SignatureCheck,
) -> Result<(LedgerState, Vec<Receipt>), BlockError> {
    let header = &block.header;
    let tx_root = hashes.root();
    if header.tx_root != tx_root {
        return Err(BlockError::WrongTxRoot {
            expected: tx_root,
            got: header.tx_root,
        });
    }
    check_last_commit(state, block, sigs)?;
    let hashes = hashes.as_slice();
    let verified = sigs.verified_hashed(&block.txs, hashes);

    let mut next = state.clone();
    let mut receipts = Vec::with_capacity(block.txs.len());
    for (index, (tx, hash)) in block.txs.iter().zip(hashes).enumerate() {
        let signature_ok = verified.get(index).copied().unwrap_or(false);
        let sender = execute::admit(&next, tx, header.time_ms, signature_ok)
            .map_err(|reason| BlockError::InvalidTx { index, reason })?;
        let outcome = execute::execute(&mut next, sender, &tx.tx, header.height);
        receipts.push(Receipt {
            tx_hash: *hash,
            index: index as u32,
            outcome,
        });
    }
    next.finish_block(header.height, header.time_ms);
    let state_root = next.state_root();
    if header.state_root != state_root {
        return Err(BlockError::WrongStateRoot {
            expected: state_root,
            got: header.state_root,
        });
    }
    next.fields_mut().last_block_hash = block.hash();
    Ok((next, receipts))
}
