//! The RPC backend of the running node: reads from the store and the committed state,
//! submissions and pending checks through the driver task's command channel.
//!
//! Every method blocks (a store read, a round trip to the driver task): the RPC server calls
//! them on tokio's blocking pool. Where a transaction may commit between two reads, the store
//! is read again last, so a committed transaction is never reported `unknown`.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{MutexGuard, PoisonError, RwLockReadGuard};

use tokio::sync::broadcast;
use vellum_protocol::rpc::{
    AccountEvent, AccountView, BlockId, BlockView, ChainStatus, HistoryEntry, HistoryPage,
    SubmitError, SubmitResult, TxInfo, TxStatus, ValidatorView,
};
use vellum_protocol::{Address, Hash, LedgerState, RejectReason, SignedTransaction};

use super::shared::{Command, Evicted, SharedHandle};
use super::views;
use crate::mempool::AdmissionError;
use crate::rpc::backend::{BackendError, RpcBackend};
use crate::store::{self, HistoryCursor, StoreError};

/// The node as the RPC server sees it.
#[derive(Debug, Clone)]
pub struct NodeBackend {
    shared: SharedHandle,
}

impl NodeBackend {
    pub fn new(shared: SharedHandle) -> NodeBackend {
        NodeBackend { shared }
    }

    fn state(&self) -> RwLockReadGuard<'_, LedgerState> {
        self.shared
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn evicted(&self) -> MutexGuard<'_, Evicted> {
        self.shared
            .evicted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The status of a committed transaction, `None` when the store does not hold it.
    fn committed(&self, hash: &Hash) -> Result<Option<TxInfo>, BackendError> {
        let store = &self.shared.store;
        let Some(record) = store.tx(hash).map_err(unavailable)? else {
            return Ok(None);
        };
        let block = store
            .block(record.height)
            .map_err(unavailable)?
            .ok_or_else(|| {
                BackendError::Unavailable(format!(
                    "transaction {hash} is stored at height {} but that block is missing",
                    record.height
                ))
            })?;
        Ok(Some(views::record_info(&record, block.hash())))
    }

    /// The final status of a transaction the mempool dropped, if it did.
    fn dropped(&self, hash: &Hash) -> Option<TxStatus> {
        self.evicted().get(hash).map(views::removal_status)
    }

    /// Where a transaction the driver refused already is: committed (in the store), dropped
    /// by the mempool, or committed here but not durable yet (pending, until the store shows
    /// it). The same signed transaction sent again is one transaction: refused as a replay of
    /// itself, it is answered with its status, not an error.
    ///
    /// Only a refusal for its nonce or its expiry can mean the transaction was committed (the
    /// committed state has used its nonce; the expiry is checked first), so only those look
    /// in the store and ask the driver: under overload most refusals are for a full pool or a
    /// nonce too far ahead, and each such look cost two store reads and a round trip to the
    /// driver's task (docs/PERFORMANCE.md, ninth session).
    fn known_after(&self, hash: &Hash, refusal: &AdmissionError) -> Option<TxStatus> {
        let may_be_committed = matches!(
            refusal,
            AdmissionError::Rejected(RejectReason::NonceTooLow { .. } | RejectReason::Expired)
        );
        if !may_be_committed {
            return self.dropped(hash);
        }
        let stored = || self.committed(hash).ok().flatten().map(|info| info.status);
        if let Some(status) = stored().or_else(|| self.dropped(hash)) {
            return Some(status);
        }
        match self.is_pending(*hash) {
            Ok(true) => Some(TxStatus::Pending),
            // Durable since the first look: the store answers.
            _ => stored(),
        }
    }

    fn is_pending(&self, hash: Hash) -> Result<bool, BackendError> {
        self.shared
            .ask(|tx| Command::IsPending(hash, tx))
            .ok_or_else(driver_gone)
    }

    fn cursor(text: &str) -> Result<HistoryCursor, BackendError> {
        text.parse::<HistoryCursor>().map_err(unavailable)
    }
}

/// A store error as the RPC reports it.
fn unavailable(e: StoreError) -> BackendError {
    match e {
        StoreError::BadCursor(cursor) => BackendError::BadCursor(cursor),
        other => BackendError::Unavailable(other.to_string()),
    }
}

fn driver_gone() -> BackendError {
    BackendError::Unavailable("the node is stopping: its driver task does not answer".into())
}

impl RpcBackend for NodeBackend {
    fn status(&self) -> Result<ChainStatus, BackendError> {
        let store = &self.shared.store;
        let height = store.latest_height().map_err(unavailable)?;
        let (latest_block_hash, latest_block_time_ms) = if height == 0 {
            let state = self.state();
            (state.last_block_hash(), state.last_time_ms())
        } else {
            let block = store.block(height).map_err(unavailable)?.ok_or_else(|| {
                BackendError::Unavailable(format!("the latest block {height} is missing"))
            })?;
            (block.hash(), block.header.time_ms)
        };
        let lag = self.shared.sync_lag.load(Ordering::Relaxed);
        let peers = self.shared.network.connected.load(Ordering::Relaxed);
        Ok(ChainStatus {
            chain_id: self.shared.chain_id.clone(),
            height,
            latest_block_hash,
            latest_block_time_ms,
            validators: u32::try_from(self.state().validators().validators().len())
                .unwrap_or(u32::MAX),
            decimals: self.shared.decimals,
            genesis_hash: self.shared.genesis_hash,
            syncing: lag > 0,
            peers: u32::try_from(peers).unwrap_or(u32::MAX),
        })
    }

    fn block(&self, id: BlockId, full_txs: bool) -> Result<Option<BlockView>, BackendError> {
        let store = &self.shared.store;
        let block = match id {
            BlockId::Height(height) => store.block(height),
            BlockId::Hash(hash) => store.block_by_hash(&hash),
        }
        .map_err(unavailable)?;
        let Some(block) = block else {
            return Ok(None);
        };
        let certificate = store.certificate(block.height()).map_err(unavailable)?;
        Ok(Some(views::block_view(
            &block,
            certificate.as_ref(),
            full_txs,
        )))
    }

    fn validators(&self) -> Result<Vec<ValidatorView>, BackendError> {
        let state = self.state();
        Ok(state
            .validators()
            .validators()
            .iter()
            .map(ValidatorView::from)
            .collect())
    }

    fn refusing(&self) -> Option<SubmitError> {
        let full = self
            .shared
            .full
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        full.clone().map(SubmitError::from)
    }

    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<SubmitResult, SubmitError>> {
        if txs.is_empty() {
            // Every one of the call's transactions was refused before it got here.
            return Vec::new();
        }
        // Hashed here, on the RPC's thread, only to look up the refused ones below.
        let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
        let Some(admitted) = self.shared.ask(|tx| Command::Submit(txs, tx)) else {
            return hashes
                .iter()
                .map(|_| {
                    Err(SubmitError::Unavailable(
                        "its driver task does not answer".into(),
                    ))
                })
                .collect();
        };
        hashes
            .into_iter()
            .zip(admitted)
            .map(|(hash, admitted)| match admitted {
                Ok(hash) => Ok(SubmitResult {
                    hash,
                    status: TxStatus::Pending,
                }),
                // Committed or dropped meanwhile: it is known, answer where it is.
                Err(refusal) => match self.known_after(&hash, &refusal) {
                    Some(status) => Ok(SubmitResult { hash, status }),
                    None => Err(SubmitError::from(refusal)),
                },
            })
            .collect()
    }

    fn tx_status(&self, hash: &Hash) -> Result<TxInfo, BackendError> {
        if let Some(info) = self.committed(hash)? {
            return Ok(info);
        }
        let status = if self.is_pending(*hash)? {
            TxStatus::Pending
        } else if let Some(info) = self.committed(hash)? {
            // It committed between the two reads.
            return Ok(info);
        } else {
            self.dropped(hash).unwrap_or(TxStatus::Unknown)
        };
        Ok(TxInfo {
            hash: *hash,
            status,
            tx: None,
        })
    }

    fn account(&self, address: &Address) -> Result<AccountView, BackendError> {
        let account = self.state().account(address);
        let address = *address;
        let pending_nonce = self
            .shared
            .ask(|tx| Command::PendingNonce(address, tx))
            .ok_or_else(driver_gone)?;
        Ok(AccountView {
            address,
            balance: account.balance,
            nonce: account.nonce,
            pending_nonce,
            frozen: account.frozen,
        })
    }

    fn history(
        &self,
        address: &Address,
        before: Option<&str>,
        limit: u32,
    ) -> Result<HistoryPage, BackendError> {
        let before = before.map(Self::cursor).transpose()?;
        if limit == 0 {
            return Ok(HistoryPage {
                entries: Vec::new(),
                next_cursor: None,
            });
        }
        let page = self
            .shared
            .store
            .account_history(address, before.as_ref(), limit as usize)
            .map_err(unavailable)?;
        Ok(views::history_page(&page))
    }

    /// Walks the store's pages newest first down to `after`, keeping the oldest `limit`
    /// entries above it: memory stays within one page plus `limit`.
    fn history_after(
        &self,
        address: &Address,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, BackendError> {
        let after = after.map(Self::cursor).transpose()?;
        let limit = limit as usize;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let above = |e: &store::HistoryEntry| {
            after.is_none_or(|a| (e.height, e.index) > (a.height, a.index))
        };
        let mut oldest: VecDeque<store::HistoryEntry> = VecDeque::with_capacity(limit);
        let mut before: Option<HistoryCursor> = None;
        loop {
            let page = self
                .shared
                .store
                .account_history(address, before.as_ref(), store::MAX_HISTORY_PAGE)
                .map_err(unavailable)?;
            let mut reached = false;
            for entry in page.entries {
                if !above(&entry) {
                    reached = true;
                    break;
                }
                if oldest.len() == limit {
                    oldest.pop_front();
                }
                oldest.push_back(entry);
            }
            match page.next {
                Some(next) if !reached => before = Some(next),
                _ => break,
            }
        }
        Ok(oldest.iter().rev().map(views::history_entry).collect())
    }

    fn block_events(&self) -> broadcast::Receiver<BlockView> {
        self.shared.blocks.subscribe()
    }

    fn account_events(&self) -> broadcast::Receiver<AccountEvent> {
        self.shared.accounts.subscribe()
    }

    fn tx_events(&self) -> broadcast::Receiver<TxInfo> {
        self.shared.txs.subscribe()
    }
}
