//! Announcing commits and evictions to RPC clients, off the node task.
//!
//! A committed block becomes a block view, one event per history entry and one status per
//! transaction: formatting addresses, amounts and hashes for every transaction of the block.
//! Done in the node task, that work came before the next height's proposal went out. The node
//! task now updates the state the RPC reads (one pointer), hands each commit and each eviction
//! to this task in order, and goes on; this task builds and sends the events. Events nobody
//! subscribed to are not built.

use std::sync::Arc;

use tokio::sync::mpsc;
use vellum_protocol::Hash;
use vellum_protocol::rpc::TxInfo;

use super::shared::Shared;
use super::views;
use crate::driver::CommittedBlock;
use crate::mempool::Removal;

/// What the node task hands over, in the order it happened.
#[derive(Debug)]
pub enum Announcement {
    /// A block was committed and stored (and the RPC's state updated).
    Committed(Arc<CommittedBlock>),
    /// Transactions left the mempool without being committed.
    Evicted(Vec<(Hash, Removal)>),
}

/// Starts the task; it ends when every sender is dropped.
pub fn spawn(shared: Arc<Shared>) -> mpsc::UnboundedSender<Announcement> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(a) = rx.recv().await {
            announce(&shared, a);
        }
    });
    tx
}

/// Sends the events of one announcement to the subscribers there are.
pub fn announce(shared: &Shared, announcement: Announcement) {
    match announcement {
        Announcement::Committed(block) => {
            if shared.blocks.receiver_count() > 0 {
                let view = views::block_view(&block.block, Some(&block.certificate), false);
                let _ = shared.blocks.send(view);
            }
            if shared.accounts.receiver_count() > 0 {
                for event in views::account_events(&block.block, &block.receipts) {
                    let _ = shared.accounts.send(event);
                }
            }
            if shared.txs.receiver_count() > 0 {
                for info in views::tx_events(&block.block, &block.receipts) {
                    let _ = shared.txs.send(info);
                }
            }
        }
        Announcement::Evicted(list) => {
            let mut evicted = shared.evicted.lock().expect("not poisoned");
            for (hash, why) in list {
                if shared.txs.receiver_count() > 0 {
                    let _ = shared.txs.send(TxInfo {
                        hash,
                        status: views::removal_status(&why),
                        tx: None,
                    });
                }
                evicted.record(hash, why);
            }
        }
    }
}
