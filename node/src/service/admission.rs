//! Submissions from RPC, taken together: every `Submit` already waiting in the command queue
//! is admitted in one mempool call, with the transactions peers gossiped in the same turn
//! ([`super::intake`]), and the submitted ones admitted are gossiped in one batch.
//!
//! Under load, RPC calls arrive faster than the node task takes them; admitting them one call
//! at a time verifies signatures in batches of a few and publishes a gossip message per call.
//! Draining the queue first makes the batches as large as the load (up to [`MAX_COALESCED`]
//! transactions), so signature batches get their speed-up and peers decode fewer, larger
//! messages. With no load, a call is admitted alone, at once, as before.

use tokio::sync::{mpsc, oneshot};
use vellum_protocol::rpc::{TxInfo, TxStatus};
use vellum_protocol::{Hash, SignedTransaction};

use super::shared::{Command, Shared};
use crate::driver::{Driver, Effect};
use crate::mempool::AdmissionError;
use crate::network::NetworkHandle;

/// Most transactions admitted in one coalesced call (below the gossip batch limit).
pub const MAX_COALESCED: usize = 4_000;

type Reply = oneshot::Sender<Vec<Result<Hash, AdmissionError>>>;

/// Carries out `first` (if any) and every command already queued behind it, and admits the
/// submissions in one mempool call together with `gossiped`, the transactions peers sent in the
/// same turn: one signature batch for all of them.
#[allow(clippy::too_many_arguments)]
pub async fn take_commands(
    first: Option<Command>,
    commands: &mut mpsc::Receiver<Command>,
    gossiped: Vec<SignedTransaction>,
    driver: &mut Driver,
    shared: &Shared,
    net: &NetworkHandle,
    now_ms: u64,
    effects: &mut Vec<Effect>,
) {
    let mut submissions: Vec<(Vec<SignedTransaction>, Reply)> = Vec::new();
    let mut count = 0;
    let mut next = first.or_else(|| commands.try_recv().ok());
    while let Some(command) = next.take() {
        match command {
            Command::Submit(txs, reply) => {
                count += txs.len();
                submissions.push((txs, reply));
            }
            Command::IsPending(hash, reply) => {
                let _ = reply.send(driver.is_pending(&hash));
            }
            Command::PendingNonce(address, reply) => {
                let _ = reply.send(driver.pending_nonce(&address));
            }
        }
        if count < MAX_COALESCED {
            next = commands.try_recv().ok();
        }
    }
    if !submissions.is_empty() || !gossiped.is_empty() {
        admit(submissions, gossiped, driver, shared, net, now_ms, effects).await;
    }
}

/// Admits the submissions and the gossiped transactions in one mempool call, answers each
/// caller with its own results, and gossips the submitted transactions admitted in one batch.
async fn admit(
    submissions: Vec<(Vec<SignedTransaction>, Reply)>,
    gossiped: Vec<SignedTransaction>,
    driver: &mut Driver,
    shared: &Shared,
    net: &NetworkHandle,
    now_ms: u64,
    effects: &mut Vec<Effect>,
) {
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
