//! Reaping: the transactions a proposer puts in the next block, and whether there are any
//! (a height is started only for a block that would hold one).
//!
//! Rule: arrival order across senders; per sender only the run of consecutive nonces that
//! starts at its committed nonce, so a transaction after a gap waits. A transaction that
//! arrived before its predecessor follows the predecessor at once. The run of a sender stops
//! at a transaction that has expired or does not fit in the bytes left.
//!
//! The walk follows arrival order and stops when the block is full, so its cost is the
//! selected transactions plus those passed over before them (gapped, stale or blocked), not
//! the pool.

use std::collections::HashMap;

use vellum_protocol::{Address, LedgerState, SignedTransaction};

use super::Mempool;

/// Where a sender's run stands during a walk.
#[derive(Clone, Copy)]
enum Run {
    /// The nonce the sender's next selected transaction must carry.
    Next(u64),
    /// Stopped: an expired transaction or one too large ends the run.
    Stopped,
}

impl Mempool {
    /// Whether the block after `state` would hold a transaction: some sender's committed nonce
    /// has a transaction waiting. Transactions after a gap alone make no block (an empty block
    /// would change nothing for them). One look at each sender's committed nonce (kept in its
    /// queue, see `committed_account`), stopping at the first ready one: under overload the
    /// pool fills with transactions stuck behind gaps (their predecessors refused), and a walk
    /// over transactions looked up the sender of each of them on every call, most of the
    /// machine at 11,000 tx/s offered (docs/PERFORMANCE.md).
    pub fn has_ready(&self, state: &LedgerState) -> bool {
        self.accounts.iter().any(|(sender, queue)| {
            let nonce = self.committed_account(state, sender).nonce;
            queue.get(nonce).is_some()
        })
    }

    /// The transactions for the block after `state`: at most `max_txs` of them and
    /// `max_bytes` encoded bytes. A transaction is left out as expired when its expiry is not
    /// after the last block's time, since the next block's time is later; the proposer's
    /// `build_block` drops any that expire before the time it picks (or use
    /// [`Mempool::reap_at`]).
    pub fn reap(
        &self,
        state: &LedgerState,
        max_txs: usize,
        max_bytes: usize,
    ) -> Vec<SignedTransaction> {
        self.reap_at(
            state,
            state.last_time_ms().saturating_add(1),
            max_txs,
            max_bytes,
        )
    }

    /// As [`Mempool::reap`], for a block at `block_time_ms`: transactions with
    /// `expiry_ms < block_time_ms` are left out.
    pub fn reap_at(
        &self,
        state: &LedgerState,
        block_time_ms: u64,
        max_txs: usize,
        max_bytes: usize,
    ) -> Vec<SignedTransaction> {
        let mut selected = Vec::with_capacity(max_txs.min(self.len()));
        let mut bytes = 0usize;
        let mut runs: HashMap<Address, Run> = HashMap::new();
        for (&seq, entry) in &self.by_seq {
            if selected.len() >= max_txs {
                break;
            }
            let run = runs
                .entry(entry.sender)
                .or_insert_with(|| Run::Next(self.committed_account(state, &entry.sender).nonce));
            let Run::Next(next) = *run else { continue };
            if entry.tx.tx.nonce != next {
                continue; // after a gap (or stale): its predecessor takes it along
            }
            let queue = &self.accounts[&entry.sender];
            let mut current = entry;
            *run = loop {
                if current.tx.tx.expiry_ms < block_time_ms || bytes + current.size > max_bytes {
                    break Run::Stopped;
                }
                selected.push(current.tx.clone());
                bytes += current.size;
                let Some(after) = current.tx.tx.nonce.checked_add(1) else {
                    break Run::Stopped;
                };
                // A successor that arrived earlier was passed over; take it now. One that
                // arrives later is met by the walk in its turn.
                match queue.get(after) {
                    Some(slot) if slot.seq < seq && selected.len() < max_txs => {
                        current = &self.by_seq[&slot.seq];
                    }
                    _ => break Run::Next(after),
                }
            };
        }
        selected
    }
}
