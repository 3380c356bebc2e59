//! Announcing commits and evictions to RPC clients.
//!
//! A committed block becomes a block view, one event per history entry and one status per
//! transaction: formatting addresses, amounts and hashes for every transaction of the block.
//! That work is not the node task's: the block writer's thread does it, for each block once it
//! is durable (`driver::BlockWriter`), after updating the state the RPC reads, so a client told
//! of a commit reads the balances after it and finds the block in the store. Events nobody
//! subscribed to are not built.

use vellum_protocol::Hash;
use vellum_protocol::rpc::TxInfo;

use super::shared::Shared;
use super::views;
use crate::driver::CommittedBlock;
use crate::mempool::Removal;

/// A durable block: the RPC's state moves to the state after it, then its events are sent,
/// then those of the transactions its commit evicted.
pub fn committed(shared: &Shared, block: &CommittedBlock) {
    *shared.state.write().expect("not poisoned") = block.state.clone();
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
    evicted(shared, &block.evicted);
}

/// Transactions that left the mempool without being committed: recorded for `tx_status`, and
/// sent to subscribers.
pub fn evicted(shared: &Shared, list: &[(Hash, Removal)]) {
    if list.is_empty() {
        return;
    }
    let mut evicted = shared.evicted.lock().expect("not poisoned");
    for (hash, why) in list {
        if shared.txs.receiver_count() > 0 {
            let _ = shared.txs.send(TxInfo {
                hash: *hash,
                status: views::removal_status(why),
                tx: None,
            });
        }
        evicted.record(*hash, why.clone());
    }
}
