//! [`VellumApiServer`] over an [`RpcBackend`]: parameter checks, hex decoding, error mapping.
//!
//! Backend calls are synchronous (store reads, mempool admission with signature checks), so
//! each runs on tokio's blocking pool and never stalls the connections' workers; only
//! `refusing`, a look at a flag the node task keeps, is asked on the worker itself.

use std::sync::Arc;

use jsonrpsee::PendingSubscriptionSink;
use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use jsonrpsee::types::ErrorObjectOwned;
use vellum_protocol::rpc::error::{invalid_params, unavailable};
use vellum_protocol::rpc::types::{DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE, MAX_SUBMIT_BATCH};
use vellum_protocol::rpc::{
    AccountView, BlockId, BlockView, ChainStatus, HistoryPage, SubmitError, SubmitOutcome,
    SubmitResult, TxInfo, ValidatorView, VellumApiServer, decode_signed_tx_hex, openrpc,
};
use vellum_protocol::{Address, Hash};

use super::backend::{BackendError, RpcBackend};
use super::subscriptions;

/// The API served by one node.
#[derive(Clone)]
pub struct VellumRpc {
    backend: Arc<dyn RpcBackend>,
}

impl std::fmt::Debug for VellumRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VellumRpc").finish_non_exhaustive()
    }
}

impl VellumRpc {
    pub fn new(backend: Arc<dyn RpcBackend>) -> VellumRpc {
        VellumRpc { backend }
    }

    /// Runs `f` on the backend off the async workers.
    async fn blocking<T, F>(&self, f: F) -> RpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn RpcBackend) -> Result<T, BackendError> + Send + 'static,
    {
        let backend = self.backend.clone();
        tokio::task::spawn_blocking(move || f(backend.as_ref()))
            .await
            .map_err(|e| unavailable(format!("the request's task failed: {e}")))?
            .map_err(backend_error)
    }
}

/// The JSON-RPC error of a backend failure.
pub(super) fn backend_error(e: BackendError) -> ErrorObjectOwned {
    match e {
        BackendError::BadCursor(_) => invalid_params(e),
        BackendError::Unavailable(what) => unavailable(what),
    }
}

/// Decodes every hex text and submits those that decode, in one backend call; the answers
/// come back in the order of `texts`. While the backend refuses every submission (a full
/// mempool), each gets that refusal without being read.
async fn submit_all(rpc: &VellumRpc, texts: Vec<String>) -> RpcResult<Vec<SubmitOutcomeOf>> {
    if let Some(refusal) = rpc.backend.refusing() {
        return Ok(texts.iter().map(|_| Err(refusal.clone())).collect());
    }
    let mut txs = Vec::with_capacity(texts.len());
    let decoded: Vec<Result<(), SubmitError>> = texts
        .iter()
        .map(|t| decode_signed_tx_hex(t).map(|tx| txs.push(tx)))
        .collect();
    let mut answers = rpc.blocking(move |b| Ok(b.submit(txs))).await?.into_iter();
    Ok(decoded
        .into_iter()
        .map(|d| match d {
            Ok(()) => answers.next().unwrap_or_else(|| {
                Err(SubmitError::Unavailable(
                    "the mempool gave fewer answers than transactions".into(),
                ))
            }),
            Err(e) => Err(e),
        })
        .collect())
}

type SubmitOutcomeOf = Result<SubmitResult, SubmitError>;

#[async_trait]
impl VellumApiServer for VellumRpc {
    async fn chain_status(&self) -> RpcResult<ChainStatus> {
        self.blocking(|b| b.status()).await
    }

    async fn chain_get_block(
        &self,
        id: BlockId,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockView>> {
        let full = full_txs.unwrap_or(false);
        self.blocking(move |b| b.block(id, full)).await
    }

    async fn chain_get_validators(&self) -> RpcResult<Vec<ValidatorView>> {
        self.blocking(|b| b.validators()).await
    }

    async fn tx_submit(&self, tx_hex: String) -> RpcResult<SubmitResult> {
        let answer = submit_all(self, vec![tx_hex]).await?.pop();
        let answer = answer.unwrap_or_else(|| Err(SubmitError::Unavailable("no answer".into())));
        answer.map_err(ErrorObjectOwned::from)
    }

    async fn tx_submit_batch(&self, txs_hex: Vec<String>) -> RpcResult<Vec<SubmitOutcome>> {
        if txs_hex.len() > MAX_SUBMIT_BATCH {
            return Err(invalid_params(format!(
                "{} transactions in one batch; the limit is {MAX_SUBMIT_BATCH}: split it",
                txs_hex.len()
            )));
        }
        Ok(submit_all(self, txs_hex)
            .await?
            .into_iter()
            .map(|a| match a {
                Ok(result) => SubmitOutcome::Accepted(result),
                Err(e) => SubmitOutcome::Refused { error: e.to_view() },
            })
            .collect())
    }

    async fn tx_get(&self, hash: Hash) -> RpcResult<TxInfo> {
        self.blocking(move |b| b.tx_status(&hash)).await
    }

    async fn account_get(&self, address: Address) -> RpcResult<AccountView> {
        self.blocking(move |b| b.account(&address)).await
    }

    async fn account_get_history(
        &self,
        address: Address,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> RpcResult<HistoryPage> {
        let limit = limit.unwrap_or(DEFAULT_HISTORY_PAGE);
        if limit == 0 || limit > MAX_HISTORY_PAGE {
            return Err(invalid_params(format!(
                "limit {limit} is out of range; ask for 1 to {MAX_HISTORY_PAGE} entries"
            )));
        }
        self.blocking(move |b| b.history(&address, cursor.as_deref(), limit))
            .await
    }

    async fn chain_subscribe_blocks(
        &self,
        pending: PendingSubscriptionSink,
        from_height: Option<u64>,
    ) -> SubscriptionResult {
        subscriptions::blocks(self.backend.clone(), pending, from_height).await
    }

    async fn account_subscribe(
        &self,
        pending: PendingSubscriptionSink,
        address: Address,
        cursor: Option<String>,
    ) -> SubscriptionResult {
        subscriptions::account(self.backend.clone(), pending, address, cursor).await
    }

    async fn tx_subscribe_status(
        &self,
        pending: PendingSubscriptionSink,
        hash: Hash,
    ) -> SubscriptionResult {
        subscriptions::tx_status(self.backend.clone(), pending, hash).await
    }

    async fn rpc_discover(&self) -> RpcResult<serde_json::Value> {
        Ok(openrpc::document())
    }
}
