//! The node's storage: committed blocks with their certificates and receipts, the indexes the
//! RPC reads (block by hash, transaction by hash, per-account history), the ledger state after
//! the last block, and the consensus write-ahead log (the validator's [`SafetyState`]).
//!
//! Rule: a committed block is written as ONE atomic, synced batch ([`Store::commit_block`]):
//! after a crash the store holds either everything that block brought or none of it, and the
//! state it reloads is always the state after its latest block. The one exception is the
//! block's `txs` entries: its batch holds its outcomes instead, and the entries are written
//! at the next state checkpoint, rebuilt from the outcomes until then (`recent.rs`). The
//! safety state is written synced too, before the vote it covers leaves the process, as one
//! record with the core's recovery (its own last votes and its lock's proof), the body of the
//! block it is locked on and the decided blocks not yet durable ([`SafetyRecord`]):
//! `RocksStore` keeps it in two small files of its own ([`SafetyFile`]), so a signature does
//! not wait behind a block's batch; [`MemoryStore`] keeps it in the `wal` column.
//!
//! [`Store`] is implemented once (in `columns.rs`) over ordered key-value columns
//! ([`ColumnStore`]); [`MemoryStore`] (tests, tools) and `RocksStore` (feature `rocksdb`) only
//! provide the columns, and [`suite`] runs the same checks against both.
//!
//! # On-disk layout
//!
//! Every value is the canonical encoding of `vellum_protocol::encoding` (integers big-endian,
//! `u32`-prefixed lists, 0/1 option tags). Integers in keys are big-endian, so key order is
//! height order. One column family per column:
//!
//! | column | key | value |
//! | --- | --- | --- |
//! | `blocks` | height `u64` | `Block` |
//! | `block_hashes` | block hash (32) | height `u64` |
//! | `certificates` | height `u64` | `CommitCertificate` that committed the block (replaced by the one the next block carries as `last_commit`, the canonical one) |
//! | `txs` | tx hash (32) | height `u64` ‖ `Receipt` (the receipt holds the index); complete up to the state checkpoint, the entries of the blocks above it are kept in memory (`recent.rs`) |
//! | `outcomes` | height `u64` | the block's outcomes in transaction order: `u32` count ‖ each (0, or 1 ‖ `RejectReason`) |
//! | `history` | address (20) ‖ height `u64` ‖ index `u32` | [`HistoryEntry`] |
//! | `state` | address (20) | `Account` as of the state checkpoint (default accounts are deleted) |
//! | `meta` | ASCII name | `format` `u32`; `chain_id` string; `genesis_hash` (32); `latest_height` `u64`; `latest_hash` (32); `state_fields` `StateFields` of the state checkpoint |
//! | `wal` | `safety_record` | the safety record (`MemoryStore`): the `SafetyState` (`u32`-prefixed: version `u8` = 1, option of (height `u64`, round `u32`, step `u8`, option block hash), option of (round `u32`, block hash)) ‖ `u32` count ‖ that many `Block` ‖ `CommitCertificate` (decided blocks the block writer had not made durable) ‖ option of `Block` (the body of the locked block; absent in earlier records) |
//! | `wal` | `safety`, `pending` ‖ height `u64` | earlier versions' safety state and pending blocks: `RocksStore` moves them into its safety files on open |
//!
//! `RocksStore` keeps the safety record in `safety-a` and `safety-b` in the same directory
//! (slots in `safety_file.rs`).
//!
//! The `state` column and `state_fields` hold the state after a checkpoint block, written
//! with every [`CHECKPOINT_BLOCKS`]th block (sooner when many accounts changed); the state
//! after the latest block is that checkpoint with the blocks since applied again (see
//! `checkpoint.rs`). A store written before checkpoints holds its checkpoint at its latest
//! block, which is one too.
//!
//! A history cursor is the 24 hex digits of height `u64` ‖ index `u32` of the last entry a
//! page returned; the next page starts strictly below it.

mod checkpoint;
mod columns;
mod history;
mod layout;
mod memory;
mod recent;
#[cfg(feature = "rocksdb")]
mod rocks;
mod safety_file;
pub mod suite;

use std::fmt;
use std::path::PathBuf;

use vellum_consensus::{Recovery, SafetyState};
use vellum_protocol::{
    Account, Address, Block, CommitCertificate, Hash, LedgerState, Receipt, SignedTransaction,
};

pub use self::checkpoint::{CHECKPOINT_BLOCKS, Unsaved};
pub use self::history::{HistoryCursor, HistoryEntry, HistoryPage, OpKind, Role, entries_of};
pub use self::layout::SafetyRecord;
pub use self::layout::{Column, ColumnStore, Entry, Visitor, Write, WriteSet};
pub use self::memory::MemoryStore;
pub use self::recent::RecentTxs;
#[cfg(feature = "rocksdb")]
pub use self::rocks::RocksStore;
pub use self::safety_file::SafetyFile;

/// Most history entries one page returns; a larger limit is cut to this.
pub const MAX_HISTORY_PAGE: usize = 1000;

/// Which chain a store holds: refused when the node is configured for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainIdentity {
    pub chain_id: String,
    /// `Genesis::hash`: two genesis files that share a chain id still differ here.
    pub genesis_hash: Hash,
}

impl fmt::Display for ChainIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "chain {:?} (genesis {})",
            self.chain_id, self.genesis_hash
        )
    }
}

/// Everything one committed block brings, written as one atomic batch.
#[derive(Debug, Clone, Copy)]
pub struct BlockCommit<'a> {
    pub block: &'a Block,
    /// One per transaction, in block order (from `apply_block` or `build_block`).
    pub receipts: &'a [Receipt],
    /// The certificate that committed `block` (the next block will carry one as `last_commit`).
    pub certificate: &'a CommitCertificate,
    /// The ledger state after `block`.
    pub state: &'a LedgerState,
    /// Block time, for the history entries (the header's `time_ms`).
    pub time_ms: u64,
    /// The accounts `block` changed, when the caller knows them (the driver does:
    /// `LedgerState::changed_accounts`); else the store takes every account the block names
    /// (`touched_accounts`), which costs a hash of each sender's key.
    pub changed: Option<&'a [(Address, Account)]>,
}

impl<'a> BlockCommit<'a> {
    /// The commit of `block`, with its receipts, certificate and the state after it.
    pub fn new(
        block: &'a Block,
        receipts: &'a [Receipt],
        certificate: &'a CommitCertificate,
        state: &'a LedgerState,
    ) -> Self {
        BlockCommit {
            block,
            receipts,
            certificate,
            state,
            time_ms: block.header.time_ms,
            changed: None,
        }
    }

    /// The same commit, with the accounts the block changed.
    pub fn with_changed(self, changed: &'a [(Address, Account)]) -> Self {
        BlockCommit {
            changed: Some(changed),
            ..self
        }
    }
}

/// A committed transaction, where it is, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    pub height: u64,
    pub index: u32,
    pub tx: SignedTransaction,
    pub receipt: Receipt,
}

/// The node's storage. Every method may be called from any thread; commits are serialized.
pub trait Store: Send + Sync {
    /// Makes a fresh store hold `chain` at height 0 with `genesis_state`; on a store made for
    /// the same chain it does nothing, on one made for another it is [`StoreError::WrongChain`].
    fn init_genesis(
        &self,
        chain: &ChainIdentity,
        genesis_state: &LedgerState,
    ) -> Result<(), StoreError>;
    /// The chain this store holds; `None` before [`Store::init_genesis`].
    fn chain(&self) -> Result<Option<ChainIdentity>, StoreError>;
    /// Writes one committed block and everything it brings, atomically and durably. The block
    /// must be the next one after [`Store::latest_height`] and build on the latest hash.
    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<(), StoreError>;

    /// Height of the latest committed block; 0 at genesis (and on a fresh store).
    fn latest_height(&self) -> Result<u64, StoreError>;
    fn block(&self, height: u64) -> Result<Option<Block>, StoreError>;
    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StoreError>;
    /// The certificate that proves block `height` final.
    fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, StoreError>;
    fn tx(&self, hash: &Hash) -> Result<Option<TxRecord>, StoreError>;
    /// `address`'s entries, newest first, strictly older than `before` (from the start when
    /// `None`), at most `limit` (cut to 1..=[`MAX_HISTORY_PAGE`]); the page's `next` cursor is
    /// `Some` while older entries remain.
    fn account_history(
        &self,
        address: &vellum_protocol::Address,
        before: Option<&HistoryCursor>,
        limit: usize,
    ) -> Result<HistoryPage, StoreError>;
    /// The state after the latest block: the state checkpoint with the blocks since applied
    /// again, each checked against its state root; `None` on a fresh store.
    fn load_state(&self) -> Result<Option<LedgerState>, StoreError>;

    /// Persists the consensus safety state, synced: durable when this returns.
    fn save_safety(&self, safety: &SafetyState) -> Result<(), StoreError>;
    /// [`Store::save_safety`] together with the core's recovery, the body of the block the
    /// state is locked on and decided blocks not yet committed to the store (each with its
    /// certificate), in one synced write ([`Store::safety_record`]): a node that restarts
    /// commits the pending blocks first ([`Store::pending_blocks`]). A committed block is
    /// pending no more.
    fn save_safety_with(
        &self,
        safety: &SafetyState,
        recovery: &Recovery,
        locked_block: Option<&Block>,
        pending: &[(&Block, &CommitCertificate)],
    ) -> Result<(), StoreError>;
    /// Everything last saved with the safety state; `None` if nothing ever was.
    fn safety_record(&self) -> Result<Option<SafetyRecord>, StoreError>;
    /// Decided blocks saved with the safety state above `height`, in height order.
    fn pending_blocks(&self, height: u64) -> Result<Vec<(Block, CommitCertificate)>, StoreError>;
    /// Removes pending copies of blocks up to `height` (already stored).
    fn forget_pending(&self, height: u64) -> Result<(), StoreError>;
    /// The last saved safety state; `None` if none was ever saved.
    fn load_safety(&self) -> Result<Option<SafetyState>, StoreError>;
}

/// Why the store could not do what was asked; each message says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory belongs to {found}; this node is configured for {expected}: \
         use another data directory, or the genesis file that made this one"
    )]
    WrongChain {
        expected: ChainIdentity,
        found: ChainIdentity,
    },
    #[error("the store holds no chain yet: initialise it with the genesis before committing")]
    NoGenesis,
    #[error("the genesis state is at height {0}; a genesis state is at height 0")]
    GenesisNotAtZero(u64),
    #[error("block {got} cannot be committed: the next height is {expected}")]
    NotNextHeight { expected: u64, got: u64 },
    #[error("block {height} cannot be committed: {problem}")]
    InvalidCommit { height: u64, problem: String },
    #[error("another vellum-node is using {path}: stop it, or give this node another data dir")]
    Locked { path: PathBuf },
    #[error("cannot open the data directory {path}: {detail}")]
    Open { path: PathBuf, detail: String },
    #[error(
        "the data directory was written in storage format {found}; this node reads format \
         {expected}: use a matching vellum-node version or resync into an empty directory"
    )]
    UnsupportedFormat { expected: u32, found: u32 },
    #[error(
        "stored {what} is corrupt ({detail}): restore the data directory from a backup or \
         resync into an empty one"
    )]
    Corrupt { what: &'static str, detail: String },
    #[error("invalid history cursor {0:?}: pass back a cursor exactly as a page returned it")]
    BadCursor(String),
    #[error("storage IO failed: {0}")]
    Io(String),
}
