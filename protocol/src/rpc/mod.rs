//! The node's JSON-RPC API, declared once: the server implements [`VellumApiServer`], and
//! wallets and tools get the typed [`VellumApiClient`] from the same trait.
//!
//! # Layout
//! - [`types`]: the JSON shapes (DTOs) of every parameter and result.
//! - [`error`]: the JSON-RPC error codes and how each refusal maps to one.
//! - [`openrpc`]: the OpenRPC document that `rpc.discover` serves.
//!
//! Method names are fixed so clients can rely on them; `docs/RPC.md` shows each with an
//! example. Subscriptions resume from a cursor (a height, a history cursor) so that a client
//! that reconnects misses nothing and sees nothing twice.

pub mod error;
pub mod openrpc;
mod schemas;
pub mod types;

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;

use crate::{Address, Hash};

pub use self::error::{PoolRefusal, SubmitError, decode_signed_tx_hex};
pub use self::types::{
    AccountEvent, AccountView, BlockId, BlockView, ChainStatus, CommitView, ErrorView,
    HistoryEntry, HistoryPage, HistoryRole, SubmitOutcome, SubmitResult, TxInfo, TxStatus, TxView,
    ValidatorView,
};

/// The Vellum node's JSON-RPC API.
#[rpc(server, client)]
pub trait VellumApi {
    /// The chain as this node sees it: height, latest block, validators, sync state.
    #[method(name = "chain_status")]
    async fn chain_status(&self) -> RpcResult<ChainStatus>;

    /// A committed block by height or hash; `full_txs` includes the transactions. `null` when
    /// there is no such block yet.
    #[method(name = "chain_getBlock")]
    async fn chain_get_block(
        &self,
        id: BlockId,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockView>>;

    /// The validators of the next height, with their voting power.
    #[method(name = "chain_getValidators")]
    async fn chain_get_validators(&self) -> RpcResult<Vec<ValidatorView>>;

    /// Submits one signed transaction, as hex of its canonical encoding. Answers with its hash
    /// and status; the same transaction submitted again answers the same hash.
    #[method(name = "tx_submit")]
    async fn tx_submit(&self, tx_hex: String) -> RpcResult<SubmitResult>;

    /// Submits many signed transactions at once; one answer per transaction, in order.
    #[method(name = "tx_submitBatch")]
    async fn tx_submit_batch(&self, txs_hex: Vec<String>) -> RpcResult<Vec<SubmitOutcome>>;

    /// A transaction's status (pending, committed, rejected, expired or unknown) and the
    /// transaction itself when the node knows it.
    #[method(name = "tx_get")]
    async fn tx_get(&self, hash: Hash) -> RpcResult<TxInfo>;

    /// An account's balance, nonce and frozen flag, as of the latest committed block.
    #[method(name = "account_get")]
    async fn account_get(&self, address: Address) -> RpcResult<AccountView>;

    /// An account's history, newest first, one page at a time: pass `next_cursor` back as
    /// `cursor` for the next (older) page.
    #[method(name = "account_getHistory")]
    async fn account_get_history(
        &self,
        address: Address,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> RpcResult<HistoryPage>;

    /// Every committed block from `from_height` on (the blocks already committed first), or
    /// from the next block when `from_height` is absent.
    #[subscription(
        name = "chain_subscribeBlocks" => "chain_block",
        unsubscribe = "chain_unsubscribeBlocks",
        item = BlockView
    )]
    async fn chain_subscribe_blocks(&self, from_height: Option<u64>) -> SubscriptionResult;

    /// Every new history entry of `address` after `cursor` (the entries already committed
    /// first), or from now on when `cursor` is absent.
    #[subscription(
        name = "account_subscribe" => "account_event",
        unsubscribe = "account_unsubscribe",
        item = AccountEvent
    )]
    async fn account_subscribe(
        &self,
        address: Address,
        cursor: Option<String>,
    ) -> SubscriptionResult;

    /// A transaction's current status, then every change until it is final (committed,
    /// rejected or expired); the subscription ends after the final status.
    #[subscription(
        name = "tx_subscribeStatus" => "tx_status",
        unsubscribe = "tx_unsubscribeStatus",
        item = TxInfo
    )]
    async fn tx_subscribe_status(&self, hash: Hash) -> SubscriptionResult;

    /// The OpenRPC document of this API.
    #[method(name = "rpc.discover")]
    async fn rpc_discover(&self) -> RpcResult<serde_json::Value>;
}
