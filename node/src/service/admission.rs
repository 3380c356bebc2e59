//! Submissions from RPC, taken together: every `Submit` already waiting in the command queue
//! is admitted in one mempool call, with the transactions peers gossiped in the same turn
//! ([`super::intake`]), and the submitted ones admitted are gossiped in one batch.
//!
//! Under load, RPC calls arrive faster than the node task takes them; admitting them one call
//! at a time verifies signatures in batches of a few and publishes a gossip message per call.
//! Draining the queue first makes the batches as large as the load (up to [`MAX_COALESCED`]
//! transactions), so signature batches get their speed-up and peers decode fewer, larger
//! messages. With no load, a call is admitted alone, at once, as before.
//!
//! Rule for holding ([`Gathered`]): while the pool already holds a full block of
//! transactions, what a turn took is kept for later turns until [`HOLD_TXS`] transactions
//! or [`HOLD_MS`] have gathered. A new transaction cannot go into the next block then anyway,
//! and a turn under load took about 80: a batch of 2,000 costs about 30% less per signature
//! than one of 80 (13.4 against 19.2 µs here), and signatures are the largest part of a
//! node's work at the ceiling (docs/PERFORMANCE.md, tenth session). A proposal that holds a
//! transaction still held verifies it with the block, and its admission then finds it in the
//! signature cache. Below that load nothing waits.

use tokio::sync::{mpsc, oneshot};
use vellum_protocol::rpc::{TxInfo, TxStatus};
use vellum_protocol::{Hash, SignedTransaction};

use super::shared::{Command, Shared};
use crate::driver::{Driver, Effect};
use crate::mempool::AdmissionError;
use crate::network::NetworkHandle;

/// Most transactions admitted in one coalesced call (below the gossip batch limit).
pub const MAX_COALESCED: usize = 4_000;
/// Under load, transactions are held until this many have gathered...
pub const HOLD_TXS: usize = 2_000;
/// ...or the first of them has waited this long.
pub const HOLD_MS: u64 = 100;

type Reply = oneshot::Sender<Vec<Result<Hash, AdmissionError>>>;

/// Transactions taken from the queues and not admitted yet: RPC submissions with their
/// callers' replies, and transactions peers gossiped.
#[derive(Debug, Default)]
pub struct Gathered {
    submissions: Vec<(Vec<SignedTransaction>, Reply)>,
    gossiped: Vec<SignedTransaction>,
    count: usize,
    /// When the oldest of them was taken.
    since_ms: Option<u64>,
}

impl Gathered {
    /// Transactions gathered.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Nothing to admit and no caller to answer (a submission may hold no transaction: its
    /// caller still waits for the empty answer).
    pub fn is_empty(&self) -> bool {
        self.submissions.is_empty() && self.gossiped.is_empty()
    }

    /// When the held transactions must be admitted even if no more come.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.since_ms.map(|t| t + HOLD_MS)
    }

    /// Whether to admit what is gathered at `now_ms`: at once unless `under_load`, else once
    /// [`HOLD_TXS`] transactions gathered or the oldest waited [`HOLD_MS`].
    pub fn is_due(&self, now_ms: u64, under_load: bool) -> bool {
        !self.is_empty()
            && (!under_load
                || self.count >= HOLD_TXS
                || self.deadline_ms().is_some_and(|at| now_ms >= at))
    }

    fn add_gossiped(&mut self, txs: Vec<SignedTransaction>, now_ms: u64) {
        if !txs.is_empty() {
            self.since_ms.get_or_insert(now_ms);
            self.count += txs.len();
            self.gossiped.extend(txs);
        }
    }

    fn add_submission(&mut self, txs: Vec<SignedTransaction>, reply: Reply, now_ms: u64) {
        self.since_ms.get_or_insert(now_ms);
        self.count += txs.len();
        self.submissions.push((txs, reply));
    }
}

/// Whether the node is under load in the sense of [`Gathered`]: its pool already holds a
/// full block.
pub fn under_load(driver: &Driver) -> bool {
    driver.mempool().len() >= driver.max_block_txs()
}

/// Carries out `first` (if any) and every command already queued behind it, and adds the
/// submissions to `gathered`, with `gossiped`, the transactions peers sent in the same turn.
/// [`admit`] then takes them all in one mempool call: one signature batch.
pub fn take_commands(
    first: Option<Command>,
    commands: &mut mpsc::Receiver<Command>,
    gossiped: Vec<SignedTransaction>,
    gathered: &mut Gathered,
    driver: &mut Driver,
    now_ms: u64,
) {
    gathered.add_gossiped(gossiped, now_ms);
    let mut next = first.or_else(|| commands.try_recv().ok());
    while let Some(command) = next.take() {
        match command {
            Command::Submit(txs, reply) => gathered.add_submission(txs, reply, now_ms),
            Command::IsPending(hash, reply) => {
                let _ = reply.send(driver.is_pending(&hash));
            }
            Command::PendingNonce(address, reply) => {
                let _ = reply.send(driver.pending_nonce(&address));
            }
        }
        if gathered.len() < MAX_COALESCED {
            next = commands.try_recv().ok();
        }
    }
}

/// Admits what is gathered in one mempool call, answers each caller with its own results,
/// and gossips the submitted transactions admitted in one batch.
pub async fn admit(
    gathered: Gathered,
    driver: &mut Driver,
    shared: &Shared,
    net: &NetworkHandle,
    now_ms: u64,
    effects: &mut Vec<Effect>,
) {
    let Gathered {
        submissions,
        gossiped,
        ..
    } = gathered;
    let mut all = Vec::new();
    let mut replies = Vec::with_capacity(submissions.len());
    for (txs, reply) in submissions {
        replies.push((txs.len(), reply));
        all.extend(txs);
    }
    let submitted = all.len();
    let mut together = all.clone();
    together.extend(gossiped);
    let mut results = driver.submit(together, now_ms, effects);
    results.truncate(submitted);
    let mut admitted: Vec<SignedTransaction> = Vec::with_capacity(all.len());
    for (tx, result) in all.into_iter().zip(&results) {
        if let Ok(hash) = result {
            let info = TxInfo {
                hash: *hash,
                status: TxStatus::Pending,
                tx: None,
            };
            let _ = shared.txs.send(info);
            admitted.push(tx);
        }
    }
    let mut results = results.into_iter();
    for (len, reply) in replies {
        let _ = reply.send(results.by_ref().take(len).collect());
    }
    if admitted.is_empty() {
        return;
    }
    if let Err(e) = net.broadcast_txs(admitted).await {
        tracing::warn!(error = %e, "cannot gossip transactions");
    }
}

#[cfg(test)]
mod tests {
    use vellum_protocol::crypto::{PublicKey, Signature};
    use vellum_protocol::{Amount, Operation, Transaction};

    use super::*;

    fn txs(n: usize) -> Vec<SignedTransaction> {
        let tx = SignedTransaction {
            tx: Transaction {
                chain_id: "c".into(),
                sender: PublicKey([1; 32]),
                nonce: 0,
                expiry_ms: 1,
                op: Operation::Burn { amount: Amount(1) },
            },
            signature: Signature([0; 64]),
        };
        vec![tx; n]
    }

    #[test]
    fn without_load_what_is_gathered_is_admitted_at_once() {
        let mut gathered = Gathered::default();
        assert!(!gathered.is_due(0, false), "nothing to admit");
        gathered.add_gossiped(txs(1), 1_000);
        assert!(gathered.is_due(1_000, false));
    }

    #[test]
    fn a_submission_of_no_transaction_is_still_answered() {
        let mut gathered = Gathered::default();
        let (reply, _answer) = oneshot::channel();
        gathered.add_submission(Vec::new(), reply, 1_000);
        assert_eq!(gathered.len(), 0);
        assert!(gathered.is_due(1_000, false));
        assert!(gathered.is_due(1_000 + HOLD_MS, true));
    }

    #[test]
    fn under_load_transactions_wait_for_a_large_batch_or_the_hold_time() {
        let mut gathered = Gathered::default();
        gathered.add_gossiped(txs(10), 1_000);
        let (reply, _answer) = oneshot::channel();
        gathered.add_submission(txs(5), reply, 1_020);
        assert_eq!(gathered.len(), 15);
        assert_eq!(
            gathered.deadline_ms(),
            Some(1_000 + HOLD_MS),
            "from the oldest"
        );
        assert!(!gathered.is_due(1_000 + HOLD_MS - 1, true));
        assert!(gathered.is_due(1_000 + HOLD_MS, true));
        gathered.add_gossiped(txs(HOLD_TXS - 15), 1_030);
        assert!(gathered.is_due(1_030, true), "a full batch goes at once");
        assert_eq!(std::mem::take(&mut gathered).len(), HOLD_TXS);
        assert_eq!(gathered.deadline_ms(), None);
    }
}
