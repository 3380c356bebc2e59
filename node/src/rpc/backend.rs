//! What the RPC server needs from the node: reads, submission, and the live event channels.
//!
//! The node's driver implements [`RpcBackend`] over its store, mempool and ledger state; the
//! tests implement it in memory. Methods are synchronous and short (a store read, a mempool
//! admission); the server runs them off the async workers, all but `refusing`, which only
//! reads a flag.
//!
//! Rule for the event channels: every committed block, every new history entry of an account
//! and every change of a transaction's status is sent on its channel *after* it is readable
//! through the methods, so that a subscriber that subscribes first and reads second misses
//! nothing.

use tokio::sync::broadcast;
use vellum_protocol::rpc::{
    AccountEvent, AccountView, BlockId, BlockView, ChainStatus, HistoryEntry, HistoryPage,
    PoolRefusal, SubmitError, SubmitResult, TxInfo, ValidatorView,
};
use vellum_protocol::{Address, Hash, SignedTransaction};

use crate::mempool::AdmissionError;

/// Why the backend could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// A history cursor this node did not hand out.
    #[error("the cursor {0:?} is not one this node gave out; start without a cursor")]
    BadCursor(String),
    /// The node is starting, or a store read failed.
    #[error("{0}")]
    Unavailable(String),
}

/// The node as the RPC server sees it.
pub trait RpcBackend: Send + Sync + 'static {
    /// The chain's status now.
    fn status(&self) -> Result<ChainStatus, BackendError>;

    /// A committed block; `full_txs` includes its transactions. `None` when there is none.
    fn block(&self, id: BlockId, full_txs: bool) -> Result<Option<BlockView>, BackendError>;

    /// The validators of the next height.
    fn validators(&self) -> Result<Vec<ValidatorView>, BackendError>;

    /// Admits transactions to the mempool (and gossips them): one answer per transaction, in
    /// order. A transaction already known answers `Ok` with its hash and current status.
    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<SubmitResult, SubmitError>>;

    /// The refusal every submission gets now, before it is even read, if there is one: the
    /// mempool is full. A full pool refuses every transaction anyway; answering at once spares
    /// the decoding and a round trip to the node's task for each, which under overload, with
    /// clients that send refused transactions again, is most of what a node does.
    fn refusing(&self) -> Option<SubmitError> {
        None
    }

    /// A transaction's status; `unknown` when the node never saw it.
    fn tx_status(&self, hash: &Hash) -> Result<TxInfo, BackendError>;

    /// An account as of the latest committed block, with its pending nonce.
    fn account(&self, address: &Address) -> Result<AccountView, BackendError>;

    /// Up to `limit` history entries of `address`, newest first, older than `before`.
    fn history(
        &self,
        address: &Address,
        before: Option<&str>,
        limit: u32,
    ) -> Result<HistoryPage, BackendError>;

    /// Up to `limit` history entries of `address` newer than `after` (from its first entry
    /// when `None`), oldest first.
    fn history_after(
        &self,
        address: &Address,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, BackendError>;

    /// Every block as it commits.
    fn block_events(&self) -> broadcast::Receiver<BlockView>;

    /// Every new history entry of every account, as blocks commit.
    fn account_events(&self) -> broadcast::Receiver<AccountEvent>;

    /// Every change of a transaction's status.
    fn tx_events(&self) -> broadcast::Receiver<TxInfo>;
}

impl From<AdmissionError> for SubmitError {
    fn from(e: AdmissionError) -> Self {
        let message = e.to_string();
        match e {
            AdmissionError::Rejected(reason) => SubmitError::Rejected(reason),
            AdmissionError::Full { retry_after_ms, .. } => SubmitError::Pool {
                refusal: PoolRefusal::Full,
                message,
                retry_after_ms,
            },
            AdmissionError::AccountLimit { .. } => SubmitError::Pool {
                refusal: PoolRefusal::AccountLimit,
                message,
                retry_after_ms: None,
            },
            AdmissionError::ConflictingNonce { .. } => SubmitError::Pool {
                refusal: PoolRefusal::ConflictingNonce,
                message,
                retry_after_ms: None,
            },
        }
    }
}
