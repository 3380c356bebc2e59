//! State checkpoints: the `state` column and `state_fields` hold the ledger state as of a
//! checkpoint, not as of every block.
//!
//! Writing every touched account with every block was two of the five keys a transfer brought
//! (besides its `txs` key and two history entries), and the block writer looked each of them
//! up in the accounts trie again. The blocks themselves are the log of every change: the
//! store now writes the accounts changed since the last checkpoint once every
//! [`CHECKPOINT_BLOCKS`] blocks (sooner when more than
//! [`MAX_UNSAVED_ACCOUNTS`] have changed), each in the same atomic batch as its block, and
//! [`replay`] rebuilds the state after the latest block from the checkpoint and the blocks
//! since when the node starts.
//!
//! Rules:
//! - `state_fields` and the `state` column always describe one state, the checkpoint: the
//!   state after block `state_fields.height` (0 = genesis), never above the latest block.
//! - A checkpoint at height `h` writes every account changed by blocks after the previous
//!   checkpoint, as it is after block `h`: [`Unsaved`] remembers them, and a writer that does
//!   not know them (the first commit after the store opens) reads them back from the blocks
//!   above the checkpoint first. A superset does no harm, so a batch that fails keeps them.
//! - Replayed blocks are this store's own: each was applied, its signatures verified, and
//!   certified before it was written, so [`AlreadyApplied`] answers for their signatures;
//!   every replayed block must still give the state root its header names.

use std::collections::BTreeSet;

use vellum_protocol::state::snapshot::{StateFields, touched_accounts};
use vellum_protocol::{
    Account, Address, Block, Encode, Hash, LedgerState, SignatureCheck, SignedTransaction,
    SignedVote, apply_block,
};

use super::layout::{Column, ColumnStore, WriteSet, corrupt, decode, meta};
use super::{Store, StoreError};

/// Blocks between two checkpoints, at most: a restart replays up to this many blocks.
pub const CHECKPOINT_BLOCKS: u64 = 100;
/// Changed accounts that make a checkpoint due before [`CHECKPOINT_BLOCKS`] (a bound on the
/// writer's memory and on one batch).
pub const MAX_UNSAVED_ACCOUNTS: usize = 100_000;
/// Transactions waiting for `txs` ([`super::RecentTxs`]) that make a checkpoint due before
/// [`CHECKPOINT_BLOCKS`]: a bound on that index's memory (about 150 bytes each) and on the
/// table file a checkpoint writes.
pub const MAX_UNSAVED_TXS: usize = 200_000;

/// What the writer remembers between commits: the height of the checkpoint and the accounts
/// changed since. Held under the store's writer lock.
#[derive(Debug, Default)]
pub struct Unsaved {
    /// `None` until the first commit after the store opens reads it back.
    known: Option<Since>,
}

#[derive(Debug)]
struct Since {
    checkpoint: u64,
    accounts: BTreeSet<Address>,
}

impl Unsaved {
    /// Forgets what it knew: the next commit reads it back from the store.
    pub fn reset(&mut self) {
        self.known = None;
    }

    /// Adds `accounts`, those the block at `height` (following the store's latest block)
    /// changed or may have changed, and puts the accounts changed since the checkpoint into
    /// `writes` as they are in `state` if a checkpoint is due at `height` (`waiting_txs`
    /// transactions since the checkpoint count too). Call [`Unsaved::written`] once `writes`
    /// is durable.
    pub fn record(
        &mut self,
        store: &impl ColumnStore,
        height: u64,
        accounts: BTreeSet<Address>,
        waiting_txs: usize,
        state: &LedgerState,
        writes: &mut WriteSet,
    ) -> Result<bool, StoreError> {
        if self.known.is_none() {
            self.known = Some(read_back(store, height - 1)?);
        }
        let since = self.known.as_mut().expect("read back above");
        since.accounts.extend(accounts);
        let due = height - since.checkpoint >= CHECKPOINT_BLOCKS
            || since.accounts.len() >= MAX_UNSAVED_ACCOUNTS
            || waiting_txs >= MAX_UNSAVED_TXS;
        if due {
            put_state(writes, state, since.accounts.iter().copied());
        }
        Ok(due)
    }

    /// The batch with a checkpoint at `height` is durable.
    pub fn written(&mut self, height: u64) {
        self.known = Some(Since {
            checkpoint: height,
            accounts: BTreeSet::new(),
        });
    }
}

/// Puts the state fields and the accounts in `addresses` as they are in `state`: the
/// checkpoint at `state.height()`.
pub fn put_state(
    writes: &mut WriteSet,
    state: &LedgerState,
    addresses: impl IntoIterator<Item = Address>,
) {
    writes.put(Column::Meta, meta::STATE_FIELDS, state.fields().to_bytes());
    for address in addresses {
        let account = state.account(&address);
        if account.is_default() {
            writes.delete(Column::State, address.0);
        } else {
            writes.put(Column::State, address.0, account.to_bytes());
        }
    }
}

/// The stored checkpoint's fields.
pub fn checkpoint_fields(store: &impl ColumnStore) -> Result<StateFields, StoreError> {
    let bytes = store
        .get(Column::Meta, meta::STATE_FIELDS)?
        .ok_or_else(|| corrupt("state", "the state fields are missing"))?;
    decode("state fields", &bytes)
}

/// Block `height`, which the store must hold.
fn stored_block(store: &impl ColumnStore, height: u64) -> Result<Block, StoreError> {
    store
        .block(height)?
        .ok_or_else(|| corrupt("blocks", format!("block {height} is missing")))
}

/// The checkpoint's height and the accounts changed by the blocks above it, up to `latest`.
fn read_back(store: &impl ColumnStore, latest: u64) -> Result<Since, StoreError> {
    let checkpoint = checkpoint_fields(store)?.height;
    let mut accounts = BTreeSet::new();
    for height in checkpoint + 1..=latest {
        accounts.extend(touched_accounts(&stored_block(store, height)?));
    }
    Ok(Since {
        checkpoint,
        accounts,
    })
}

/// The state after block `latest` (whose hash is `latest_hash`): the checkpoint, checked
/// against its block's state root, with every block since applied again.
pub fn replay(
    store: &impl ColumnStore,
    (latest, latest_hash): (u64, Hash),
) -> Result<LedgerState, StoreError> {
    let fields = checkpoint_fields(store)?;
    let mut accounts = Vec::new();
    store.for_each(Column::State, &mut |key, value| {
        let address: [u8; 20] = key
            .try_into()
            .map_err(|_| corrupt("account key", "length"))?;
        accounts.push((Address(address), decode::<Account>("account", value)?));
        Ok(())
    })?;
    let mut state = LedgerState::from_parts(fields, accounts);
    let checkpoint = state.height();
    if checkpoint > latest {
        let detail = format!("the state is at height {checkpoint}, the chain at {latest}");
        return Err(corrupt("state", detail));
    }
    if checkpoint > 0 {
        let block = stored_block(store, checkpoint)?;
        if block.header.state_root != state.state_root() || block.hash() != state.last_block_hash()
        {
            let detail = format!("the checkpoint differs from block {checkpoint}");
            return Err(corrupt("state", detail));
        }
    }
    for height in checkpoint + 1..=latest {
        let block = stored_block(store, height)?;
        state = apply_block(&state, &block, &AlreadyApplied)
            .map_err(|e| corrupt("blocks", format!("block {height} does not replay: {e}")))?
            .0;
    }
    if state.last_block_hash() != latest_hash {
        let detail = format!("the state replayed to height {latest} is not the latest block's");
        return Err(corrupt("state", detail));
    }
    Ok(state)
}

/// The signatures of blocks this store wrote: verified before they were.
struct AlreadyApplied;

impl SignatureCheck for AlreadyApplied {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        vec![true; txs.len()]
    }
    fn known_precommit(&self, _vote: &SignedVote) -> bool {
        true
    }
}
