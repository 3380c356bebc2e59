//! Carrying out the driver's effects: gossip, timers, the heartbeat, sync requests and what a
//! commit tells the rest of the node.
//!
//! The node task carries out a turn's effects at the end of the turn, after the admission of
//! the transactions the turn gathered ([`super::admission`]), in the order the driver returned
//! them. Carrying out the consensus effects before the admission, so that a vote would not
//! wait for its signature batch, changed nothing measurable at 13,000 tx/s offered and cost
//! about a millisecond of median latency at 2,000 (docs/PERFORMANCE.md, seventeenth session).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::mpsc;
use vellum_consensus::Timeout;
use vellum_protocol::validator::ValidatorSet;
use vellum_protocol::{Block, CommitCertificate, Hash, TxHashes};

use super::announce;
use super::proposed::ProposedBlocks;
use super::shared::Shared;
use crate::driver::{Driver, Effect};
use crate::metrics::Metrics;
use crate::network::NetworkHandle;

/// What the node task keeps between turns to carry out effects: its timers, the heartbeat's
/// deadline and whether a sync request is under way, with the handles effects reach. The node
/// task reads the heartbeat's deadline (`wake_at`) when it chooses how long to sleep.
pub struct Host {
    net: NetworkHandle,
    shared: Arc<Shared>,
    metrics: Arc<Metrics>,
    /// The validator set the network checks gossip against.
    validators: Arc<RwLock<ValidatorSet>>,
    /// Where a sync request's blocks go.
    sync_results: mpsc::Sender<Vec<(Block, CommitCertificate)>>,
    /// Compact proposals' blocks this node holds, served to peers by hash.
    proposed: Arc<ProposedBlocks>,
    /// Where a compact proposal's block fetched from a peer goes.
    fetched: Option<mpsc::Sender<(Block, TxHashes)>>,
    /// Timeouts by time, then by insertion.
    timers: BinaryHeap<Reverse<(u64, u64, TimerKey)>>,
    seq: u64,
    /// The heartbeat's next deadline, when the driver asked to be woken.
    pub wake_at: Option<u64>,
    /// A sync request is under way (one at a time).
    syncing: bool,
}

impl Host {
    pub fn new(
        net: NetworkHandle,
        shared: Arc<Shared>,
        metrics: Arc<Metrics>,
        validators: Arc<RwLock<ValidatorSet>>,
        sync_results: mpsc::Sender<Vec<(Block, CommitCertificate)>>,
    ) -> Host {
        Host {
            net,
            shared,
            metrics,
            validators,
            sync_results,
            proposed: Arc::default(),
            fetched: None,
            timers: BinaryHeap::new(),
            seq: 0,
            wake_at: None,
            syncing: false,
        }
    }

    /// Keeps compact proposals' blocks in `proposed` (which the network serves), and sends
    /// the blocks fetched for peers' compact proposals to `fetched`.
    pub fn with_proposals(
        mut self,
        proposed: Arc<ProposedBlocks>,
        fetched: mpsc::Sender<(Block, TxHashes)>,
    ) -> Host {
        self.proposed = proposed;
        self.fetched = Some(fetched);
        self
    }

    /// The earliest timeout scheduled.
    pub fn next_timeout_ms(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Hands the driver every timeout due at `now_ms`, and the heartbeat if it is due.
    pub fn fire_due(&mut self, driver: &mut Driver, now_ms: u64, effects: &mut Vec<Effect>) {
        while let Some(Reverse((at, _, key))) = self.timers.peek().copied() {
            if at > now_ms {
                break;
            }
            self.timers.pop();
            driver.on_timeout(key.timeout(), now_ms, effects);
        }
        if self.wake_at.is_some_and(|at| at <= now_ms) {
            self.wake_at = None;
            driver.on_heartbeat(now_ms, effects);
        }
    }

    /// Carries out `effects` in the order the driver returned them.
    pub async fn carry_out(&mut self, effects: Vec<Effect>, driver: &Driver) {
        for effect in effects {
            match effect {
                Effect::Broadcast(msg) => {
                    if let Err(e) = self.net.broadcast_consensus(msg).await {
                        tracing::warn!(error = %e, "cannot gossip a consensus message");
                    }
                }
                Effect::WakeAt { at_ms } => self.wake_at = Some(at_ms),
                Effect::ScheduleTimeout { timeout, at_ms } => {
                    self.seq += 1;
                    self.timers
                        .push(Reverse((at_ms, self.seq, TimerKey::from(timeout))));
                }
                Effect::Committed(c) => {
                    let height = c.block.height();
                    *self.validators.write().expect("not poisoned") =
                        driver.state().validators().clone();
                    self.metrics.height.store(height, Ordering::Relaxed);
                    self.metrics
                        .observe_commit(c.latency_ms, c.block.txs.len() as u64);
                    self.shared.sync_lag.store(0, Ordering::Relaxed);
                    tracing::info!(
                        height,
                        txs = c.block.txs.len(),
                        latency_ms = c.latency_ms,
                        "committed"
                    );
                }
                Effect::Evicted(list) => announce::evicted(&self.shared, &list),
                Effect::Serve(block) => self.proposed.offer(block),
                Effect::FetchBlock { hash, height } => {
                    self.metrics
                        .proposal_blocks_fetched
                        .fetch_add(1, Ordering::Relaxed);
                    if let Some(fetched) = &self.fetched {
                        spawn_fetch(self.net.clone(), hash, height, fetched.clone());
                    }
                }
                Effect::Sync { from_height } => self.sync(from_height),
                Effect::Evidence(e) => {
                    tracing::warn!(offender = %e.offender(), "equivocation evidence")
                }
            }
        }
    }

    /// Asks the peers for blocks from `from_height`, unless a request is under way.
    pub fn sync(&mut self, from_height: u64) {
        if !self.syncing {
            self.syncing = true;
            spawn_sync(self.net.clone(), from_height, self.sync_results.clone());
        }
    }

    /// The sync request under way has been answered.
    pub fn sync_answered(&mut self) {
        self.syncing = false;
    }

    /// Asks for blocks from `from_height` now, even while a request is under way (the next
    /// batch of a catch-up, asked for before the last one is applied).
    pub fn prefetch(&mut self, from_height: u64) {
        self.syncing = true;
        spawn_sync(self.net.clone(), from_height, self.sync_results.clone());
    }
}

/// Most blocks asked of a peer in one sync request.
const SYNC_BATCH: u32 = 64;

/// Fetches blocks from the first peer that has them and hands them to the node task (an empty
/// list when none has any).
fn spawn_sync(
    net: NetworkHandle,
    from_height: u64,
    results: mpsc::Sender<Vec<(Block, CommitCertificate)>>,
) {
    tokio::spawn(async move {
        let peers = net.peers().await.unwrap_or_default();
        for peer in peers {
            match net.request_blocks(peer, from_height, SYNC_BATCH).await {
                Ok(blocks) if !blocks.is_empty() => {
                    let _ = results.send(blocks).await;
                    return;
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(%peer, error = %e, "sync request failed"),
            }
        }
        let _ = results.send(Vec::new()).await;
    });
}

/// How long one peer may take to answer for a proposal's block.
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks the peers in turn for block `hash`, a compact proposal's that the pool could not fill,
/// and hands the first whole, matching answer to the node task with its transactions' hashes.
fn spawn_fetch(
    net: NetworkHandle,
    hash: Hash,
    height: u64,
    fetched: mpsc::Sender<(Block, TxHashes)>,
) {
    tokio::spawn(async move {
        for peer in net.gossip_peers().await.unwrap_or_default() {
            let answer = tokio::time::timeout(FETCH_TIMEOUT, net.request_block(peer, hash)).await;
            let block = match answer {
                Ok(Ok(Some(block))) if block.hash() == hash => block,
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "proposal block request failed");
                    continue;
                }
                Err(_) => continue,
            };
            match TxHashes::of(&block.txs) {
                Ok(tx_hashes) if tx_hashes.root() == block.header.tx_root => {
                    let _ = fetched.send((block, tx_hashes)).await;
                    return;
                }
                _ => {
                    tracing::warn!(%peer, height, "a peer sent a block that its header does not match")
                }
            }
        }
        tracing::debug!(height, block = %hash, "no peer sent the proposed block");
    });
}

/// A timeout in the timer heap (ordered by time, then by insertion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TimerKey {
    height: u64,
    round: u32,
    step: u8,
}

impl From<Timeout> for TimerKey {
    fn from(t: Timeout) -> Self {
        TimerKey {
            height: t.height,
            round: t.round,
            step: t.step as u8,
        }
    }
}

impl TimerKey {
    fn timeout(self) -> Timeout {
        let step = match self.step {
            0 => vellum_consensus::Step::Propose,
            1 => vellum_consensus::Step::Prevote,
            _ => vellum_consensus::Step::Precommit,
        };
        Timeout {
            height: self.height,
            round: self.round,
            step,
        }
    }
}
