//! The proposer's side of the ledger rule: building a valid block from candidate transactions,
//! and the admission check a mempool runs before it keeps a transaction.
//!
//! Rule: a candidate that would make the block invalid (oversized, repeated, wrong chain, long
//! memo, bad signature, wrong nonce, expired) is left out; one that only fails to execute is
//! kept, gets a `Rejected` receipt and consumes its nonce, exactly as [`super::apply_block`]
//! will replay it.

use std::collections::HashSet;

use crate::block::{Block, Header, MAX_BLOCK_TXS, merkle_root};
use crate::certificate::CommitCertificate;
use crate::crypto::{Hash, PublicKey};
use crate::encoding::Encode;
use crate::receipt::{Receipt, RejectReason};
use crate::state::{Account, Keyed, LedgerState};
use crate::transaction::{MAX_TX_BYTES, SignedTransaction};

use super::SignatureCheck;
use super::execute::{admit, check_form, check_nonce, execute, precheck};

/// What the proposer decides besides the transactions.
#[derive(Debug, Clone)]
pub struct BlockContext {
    /// Must be after the last block's time.
    pub time_ms: u64,
    /// Must be in the current validator set.
    pub proposer: PublicKey,
    /// The certificate of the last block; `None` only for the first block.
    pub last_commit: Option<CommitCertificate>,
}

/// Builds the block after `state` from `candidates`, taken in order, with at most `max_txs`
/// transactions; returns it with the state after it and its receipts.
///
/// Candidates should come in nonce order per sender (a candidate whose nonce is ahead is
/// retried once the earlier ones are in, but only among the candidates read). The context is
/// the caller's: a time not after the last block, a proposer outside the set or a wrong
/// certificate give a block that [`super::apply_block`] refuses.
pub fn build_block(
    state: &LedgerState,
    candidates: impl IntoIterator<Item = SignedTransaction>,
    ctx: BlockContext,
    max_txs: usize,
    sigs: &dyn SignatureCheck,
) -> (Block, LedgerState, Vec<Receipt>) {
    let max_txs = max_txs.min(MAX_BLOCK_TXS);
    let mut draft = Draft {
        next: state.clone(),
        height: state.height() + 1,
        time_ms: ctx.time_ms,
        txs: Vec::new(),
        hashes: Vec::new(),
        receipts: Vec::new(),
        seen: HashSet::new(),
    };
    let mut ahead: Vec<(SignedTransaction, Hash)> = Vec::new();
    let mut candidates = candidates.into_iter();

    // Verify signatures a chunk at a time, so that no more are checked than can fit.
    while draft.txs.len() < max_txs {
        let room = max_txs - draft.txs.len();
        let mut chunk = Vec::with_capacity(room);
        let mut chunk_hashes = Vec::with_capacity(room);
        let mut chunk_seen = HashSet::with_capacity(room);
        for stx in candidates.by_ref().take(room) {
            let bytes = stx.to_bytes();
            let hash = Hash::of(&[&bytes]);
            if bytes.len() > MAX_TX_BYTES
                || draft.seen.contains(&hash)
                || !chunk_seen.insert(hash)
                || check_form(&stx.tx, state.chain_id()).is_err()
            {
                continue;
            }
            chunk.push(stx);
            chunk_hashes.push(hash);
        }
        if chunk.is_empty() {
            break;
        }
        let verified = sigs.verified_hashed(&chunk, &chunk_hashes);
        for (i, (stx, hash)) in chunk.into_iter().zip(chunk_hashes).enumerate() {
            if !verified.get(i).copied().unwrap_or(false) || draft.txs.len() >= max_txs {
                continue;
            }
            match draft.admissible(&stx) {
                Ok(sender) => draft.take(stx, hash, sender),
                Err(RejectReason::NonceTooHigh { .. }) => ahead.push((stx, hash)),
                Err(_) => {}
            }
        }
        // Retry the candidates that were ahead of their sender's nonce until none fits.
        let mut progress = true;
        while progress && !ahead.is_empty() && draft.txs.len() < max_txs {
            progress = false;
            for (stx, hash) in std::mem::take(&mut ahead) {
                if draft.txs.len() >= max_txs {
                    break;
                }
                match draft.admissible(&stx) {
                    Ok(sender) => {
                        draft.take(stx, hash, sender);
                        progress = true;
                    }
                    Err(RejectReason::NonceTooHigh { .. }) => ahead.push((stx, hash)),
                    Err(_) => {}
                }
            }
        }
    }

    let Draft {
        mut next,
        height,
        txs,
        hashes,
        receipts,
        ..
    } = draft;
    next.finish_block(height, ctx.time_ms);
    let header = Header {
        chain_id: state.chain_id().to_owned(),
        height,
        time_ms: ctx.time_ms,
        prev_hash: state.last_block_hash(),
        tx_root: merkle_root(&hashes),
        state_root: next.state_root(),
        proposer: ctx.proposer,
        last_commit_hash: ctx
            .last_commit
            .as_ref()
            .map_or(Hash::ZERO, CommitCertificate::hash),
        validators_hash: state.validators().hash(),
    };
    let block = Block {
        header,
        last_commit: ctx.last_commit,
        txs,
    };
    next.fields_mut().last_block_hash = block.hash();
    (block, next, receipts)
}

/// A block being filled: the state after the transactions taken so far.
struct Draft {
    next: LedgerState,
    height: u64,
    time_ms: u64,
    txs: Vec<SignedTransaction>,
    hashes: Vec<Hash>,
    receipts: Vec<Receipt>,
    seen: HashSet<Hash>,
}

impl Draft {
    /// The sender and its account if `stx` (its signature already checked) is admissible now.
    fn admissible(&self, stx: &SignedTransaction) -> Result<(Keyed, Account), RejectReason> {
        admit(&self.next, stx, self.time_ms, true)
    }

    /// Executes an admissible transaction and adds it to the block.
    fn take(&mut self, stx: SignedTransaction, hash: Hash, sender: (Keyed, Account)) {
        let outcome = execute(&mut self.next, sender, &stx.tx, self.height);
        self.receipts.push(Receipt {
            tx_hash: hash,
            index: self.txs.len() as u32,
            outcome,
        });
        self.seen.insert(hash);
        self.txs.push(stx);
        self.hashes.push(hash);
    }
}

/// The admission check of a mempool: would `stx` be admissible on top of `state` at `now_ms`,
/// after `pending_nonce - account nonce` transactions of its sender already waiting
/// (`None`: none)? The signature is not checked here: verify it with a [`SignatureCheck`], in
/// batches. Execution failures that can be foreseen now (frozen sender, missing role, zero or
/// unaffordable amount, self-transfer, bad validator key) are refused too, so that a user's
/// nonce is not spent on them.
pub fn check_tx(
    state: &LedgerState,
    stx: &SignedTransaction,
    now_ms: u64,
    pending_nonce: Option<u64>,
) -> Result<(), RejectReason> {
    let size = stx.to_bytes().len();
    if size > MAX_TX_BYTES {
        return Err(RejectReason::Oversized {
            size: size as u64,
            max: MAX_TX_BYTES as u64,
        });
    }
    let tx = &stx.tx;
    check_form(tx, state.chain_id())?;
    let sender = tx.sender_address();
    let account = state.account(&sender);
    if tx.nonce < account.nonce {
        return Err(RejectReason::NonceTooLow {
            expected: account.nonce,
            got: tx.nonce,
        });
    }
    check_nonce(
        pending_nonce.unwrap_or(account.nonce).max(account.nonce),
        tx.nonce,
    )?;
    if now_ms > tx.expiry_ms {
        return Err(RejectReason::Expired);
    }
    precheck(state, &sender, &account, &tx.op)
}
