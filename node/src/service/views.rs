//! Pure conversions from the node's data (blocks, receipts, store records, mempool removals) to
//! the RPC's JSON shapes, and the events announced after each commit (`service::announce`).
//!
//! Rule: what a subscriber receives is exactly what a later read returns. `account_events`
//! gives one [`AccountEvent`] per history entry the store writes for the block, in the store's
//! order and with the store's cursor, and `tx_events` one [`TxInfo`] per transaction with the status
//! `tx_status` will answer from the store.

use vellum_protocol::rpc::{
    AccountEvent, BlockView, HistoryEntry, HistoryPage, HistoryRole, TxInfo, TxStatus, TxView,
};
use vellum_protocol::{Block, CommitCertificate, Hash, Outcome, Receipt, SignedTransaction};

use crate::mempool::Removal;
use crate::store::{self, HistoryCursor, OpKind, Role, TxRecord};

/// The view of a committed block; `full_txs` includes its transactions.
pub fn block_view(
    block: &Block,
    certificate: Option<&CommitCertificate>,
    full_txs: bool,
) -> BlockView {
    BlockView::new(block, certificate, full_txs)
}

/// The view of a signed transaction, with its hash and sender address.
pub fn tx_view(stx: &SignedTransaction) -> TxView {
    TxView::from(stx)
}

/// The cursor string of the entry at `(height, index)`, as the store encodes it: passed back
/// as `before` it pages strictly older entries.
pub fn cursor(height: u64, index: u32) -> String {
    HistoryCursor { height, index }.to_string()
}

/// The operation's name as clients see it (`Operation::name`).
pub fn kind_name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::Transfer => "transfer",
        OpKind::Mint => "mint",
        OpKind::Burn => "burn",
        OpKind::Freeze => "freeze",
        OpKind::Unfreeze => "unfreeze",
        OpKind::AddValidator => "add_validator",
        OpKind::RemoveValidator => "remove_validator",
    }
}

/// The RPC role of a store role.
pub fn history_role(role: Role) -> HistoryRole {
    match role {
        Role::Sender => HistoryRole::Sender,
        Role::Recipient => HistoryRole::Recipient,
        Role::Subject => HistoryRole::Subject,
    }
}

/// One stored history entry as the RPC shows it, with its cursor.
pub fn history_entry(entry: &store::HistoryEntry) -> HistoryEntry {
    HistoryEntry {
        cursor: cursor(entry.height, entry.index),
        height: entry.height,
        index: entry.index,
        tx_hash: entry.tx_hash,
        kind: kind_name(entry.kind).to_string(),
        role: history_role(entry.role),
        counterparty: entry.counterparty,
        amount: entry.amount,
        reject_code: entry.reject_code,
        time_ms: entry.time_ms,
    }
}

/// One stored history page (newest first) as the RPC shows it.
pub fn history_page(page: &store::HistoryPage) -> HistoryPage {
    HistoryPage {
        entries: page.entries.iter().map(history_entry).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }
}

/// The final status a receipt gives its transaction in block `height` with hash `block_hash`.
pub fn receipt_status(receipt: &Receipt, height: u64, block_hash: Hash) -> TxStatus {
    match &receipt.outcome {
        Outcome::Committed => TxStatus::Committed {
            height,
            index: receipt.index,
            block_hash,
        },
        Outcome::Rejected(reason) => TxStatus::rejected(reason, Some(height)),
    }
}

/// The status and transaction of a stored record; `block_hash` is the hash of its block.
pub fn record_info(record: &TxRecord, block_hash: Hash) -> TxInfo {
    TxInfo {
        hash: record.receipt.tx_hash,
        status: receipt_status(&record.receipt, record.height, block_hash),
        tx: Some(tx_view(&record.tx)),
    }
}

/// The final status of a transaction that left the mempool without being included: `expired`
/// when its expiry passed, `rejected` (with no height) otherwise.
pub fn removal_status(removal: &Removal) -> TxStatus {
    match removal {
        Removal::Expired => TxStatus::Expired,
        other => TxStatus::Rejected {
            code: other.code(),
            reason: other.name().to_string(),
            message: other.to_string(),
            height: None,
        },
    }
}

/// The events of one history entry each that the store writes for `block`, in its order.
pub fn account_events(block: &Block, receipts: &[Receipt]) -> Vec<AccountEvent> {
    store::entries_of(block, receipts, block.header.time_ms)
        .into_iter()
        .map(|(address, entry)| AccountEvent {
            address,
            entry: history_entry(&entry),
        })
        .collect()
}

/// The status of each transaction of `block`, as `tx_status` answers it from the store.
pub fn tx_events(block: &Block, receipts: &[Receipt]) -> Vec<TxInfo> {
    let (height, hash) = (block.height(), block.hash());
    block
        .txs
        .iter()
        .zip(receipts)
        .map(|(stx, receipt)| TxInfo {
            hash: receipt.tx_hash,
            status: receipt_status(receipt, height, hash),
            tx: Some(tx_view(stx)),
        })
        .collect()
}
