//! The consensus driver: the node's host of the pure core.
//!
//! It executes the core's outputs in order, as the simulator's host does: a `PersistSafety`
//! (with the core's recovery and the locked block's body) is written, synced, to the store's
//! safety record before the broadcast that follows it; blocks are built from the mempool and validated with the ledger rule, reusing the mempool's
//! verified-signature cache and the precommits verified on arrival so no signature is checked
//! twice; a commit moves the state and re-checks the mempool, and hands the block to the
//! [`BlockWriter`], which stores it (on its own thread in a running node) and announces it.
//!
//! The driver is synchronous and owns no IO but the store's safety writes and its writer: it
//! returns [`Effect`]s (messages to gossip, timers to set, commits made) for the async shell
//! to carry out. A height is
//! started lazily — when transactions wait, when a peer's message for it arrives, or when the
//! optional heartbeat elapses — so an idle network makes no empty blocks.
//!
//! The propose timeout allows for the size of the block awaited: it is extended by
//! [`PROPOSE_MS_PER_1000_TXS`] for every 1,000 transactions of the last block. A full block
//! takes its proposer tens of milliseconds to build and its validators as long again to
//! receive and validate on a loaded machine; with the genesis's 300 ms counted from the round's
//! start, validators prevoted nil just before a full block arrived, and the height went to a
//! second round (docs/PERFORMANCE.md, ninth session). Timeouts bound waits for a proposer that
//! is down; they play no part in safety, so validators need not agree on them.

mod bodies;
mod compact;
mod precommits;
#[cfg(test)]
mod tests;
mod writer;

use std::collections::VecDeque;
use std::sync::Arc;

use vellum_consensus::{
    Core, CoreConfig, Evidence, Input, Output, Recovery, SafetyState, Step, Timeout,
};
use vellum_protocol::ledger::{BlockContext, apply_block, apply_hashed_block, build_block};
use vellum_protocol::{
    Account, Address, Block, CommitCertificate, Hash, Keypair, LedgerState, Receipt,
    SignedProposal, TxHashes,
};

use crate::mempool::{AdmissionError, Mempool, Removal};
use crate::network::BlockOutline;
pub use crate::network::ConsensusMessage;
use crate::store::{Store, StoreError};
use bodies::Bodies;
use compact::{Unfilled, Waiting};
use precommits::{Checks, KnownPrecommits};
pub use writer::{After, BlockWriter};

/// What the driver asks the async shell to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Broadcast(ConsensusMessage),
    ScheduleTimeout {
        timeout: Timeout,
        at_ms: u64,
    },
    /// A block was committed and handed to the block writer (which announces it once it is
    /// durable).
    Committed(Arc<CommittedBlock>),
    /// Transactions expired in the mempool.
    Evicted(Vec<(Hash, Removal)>),
    /// Peers are ahead: fetch blocks from `from_height`.
    Sync {
        from_height: u64,
    },
    Evidence(Evidence),
    /// A compact proposal's block is not in the pool: ask peers for block `hash` (of height
    /// `height`) and hand it to [`Driver::on_fetched_block`].
    FetchBlock {
        hash: Hash,
        height: u64,
    },
    /// A block proposed in compact form, by this node or by a peer (this node filled it from
    /// its pool): validators whose pools lack some of its transactions ask for it by hash, so
    /// it is served until committed. Served by any validator that holds it, it can still be
    /// had if its proposer stops.
    Serve(Arc<Block>),
    /// Call [`Driver::on_heartbeat`] at `at_ms` (the heartbeat's next deadline).
    WakeAt {
        at_ms: u64,
    },
}

/// A committed block with everything it brings: what the block writer stores and what is
/// announced to subscribers.
#[derive(Debug, Clone)]
pub struct CommittedBlock {
    pub block: Arc<Block>,
    pub certificate: CommitCertificate,
    pub receipts: Vec<Receipt>,
    /// The ledger state after the block.
    pub state: LedgerState,
    /// Transactions the commit removed from the mempool (their nonce is used, or they can no
    /// longer pay): announced after the block.
    pub evicted: Vec<(Hash, Removal)>,
    /// Milliseconds from the start of the height to its commit (on this node's clock).
    pub latency_ms: u64,
    /// The accounts the block changed, as they are in `state`.
    pub changed: Vec<(Address, Account)>,
}

/// Why the driver cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the store holds no chain yet: initialize it from genesis first")]
    NoGenesis,
}

/// Driver settings.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    pub core: CoreConfig,
    /// Most transactions per block.
    pub max_block_txs: usize,
    /// Make an empty block after this long without one (0: never).
    pub heartbeat_ms: u64,
}

/// The consensus driver.
pub struct Driver {
    config: DriverConfig,
    store: Arc<dyn Store>,
    writer: BlockWriter,
    core: Core,
    key: Keypair,
    state: LedgerState,
    mempool: Mempool,
    bodies: Bodies,
    /// Precommits verified on arrival: the next block's `last_commit` is not verified twice.
    precommits: KnownPrecommits,
    last_certificate: Option<CommitCertificate>,
    /// The height the core is running, if started.
    started: Option<u64>,
    started_at_ms: u64,
    last_commit_ms: u64,
    /// Transactions in the last block committed: the size the next block is expected to have.
    last_block_txs: usize,
    /// Messages for heights after the next (at most [`FUTURE_HEIGHTS`] ahead), kept until this
    /// node reaches them: peers that committed first already propose and vote there.
    future: Vec<ConsensusMessage>,
    /// When the oldest kept future message arrived (cleared on commit).
    future_since_ms: Option<u64>,
    /// Compact proposals whose blocks the pool cannot fill yet. The core has not seen them:
    /// it decides only a proposal it has and judged valid, so while one waits the peers'
    /// votes for it are tallied, and the decision comes once the block is whole.
    waiting: Waiting,
}

/// Most messages kept for heights after the next.
const MAX_FUTURE_MESSAGES: usize = 4096;
/// How many heights past the next one messages are kept for. Each message reaches a fully
/// connected node once (nobody relays): one that arrives while this node is still a height or
/// two behind, catching up by sync, is the only copy it will get, and dropping it would leave
/// the node a height behind again when sync brings it level (found in the consensus bench: one
/// validator stayed a height behind for seconds, and every height it proposed timed out).
const FUTURE_HEIGHTS: u64 = 4;
/// A node that still holds messages for the height after the next this long after the first
/// arrived has missed the commit: it asks its peers for blocks.
const FUTURE_SYNC_AFTER_MS: u64 = 250;
/// Milliseconds a propose timeout is extended by for every 1,000 transactions of the last
/// block: 200 ms for a block at the genesis default's cap of 2,000.
pub const PROPOSE_MS_PER_1000_TXS: u64 = 100;

/// Whether `safety` holds a signature at `height`.
fn signed_at(safety: &SafetyState, height: u64) -> bool {
    safety.last_signed.is_some_and(|s| s.height == height)
}

fn height_of(msg: &ConsensusMessage) -> u64 {
    match msg {
        ConsensusMessage::Proposal { proposal, .. }
        | ConsensusMessage::CompactProposal { proposal, .. } => proposal.proposal.height,
        ConsensusMessage::Vote(v) => v.vote.height,
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("height", &self.state.height())
            .field("started", &self.started)
            .field("mempool", &self.mempool.len())
            .finish()
    }
}

impl Driver {
    /// A driver that resumes from what `store` holds (the state, the latest certificate and
    /// the safety state).
    pub fn open(
        config: DriverConfig,
        store: Arc<dyn Store>,
        key: Keypair,
        mempool: Mempool,
        now_ms: u64,
    ) -> Result<Driver, DriverError> {
        let state = store.load_state()?.ok_or(DriverError::NoGenesis)?;
        let record = store.safety_record()?;
        let safety = record.as_ref().map(|r| r.safety).unwrap_or_default();
        let state = writer::commit_pending(&*store, state)?;
        let last_certificate = match state.height() {
            0 => None,
            h => store.certificate(h)?,
        };
        // Signed at the next height before it stopped: the core resumes there with its own votes
        // and its lock's proof, and the block it is locked on is the one it proposes when its
        // turn comes.
        let next = state.height() + 1;
        let mut bodies = Bodies::default();
        let mut core = Core::new(config.core.clone(), Some(key.clone()), safety);
        if let Some(record) = record.filter(|_| signed_at(&safety, next)) {
            if let (Some((_, hash)), Some(block)) = (safety.locked, record.locked_block)
                && block.height() == next
                && block.hash() == hash
            {
                tracing::info!(height = next, block = %hash, "restored the body of the locked block");
                bodies.insert(Arc::new(block), None);
            }
            core.recover(record.recovery);
        }
        let writer = BlockWriter::inline(store.clone(), state.height());
        Ok(Driver {
            config,
            store,
            writer,
            core,
            key,
            state,
            mempool,
            bodies,
            precommits: KnownPrecommits::default(),
            last_certificate,
            started: None,
            started_at_ms: now_ms,
            last_commit_ms: now_ms,
            last_block_txs: 0,
            future: Vec::new(),
            future_since_ms: None,
            waiting: Waiting::default(),
        })
    }

    /// Blocks go to `writer` from now on (a driver opens with one that writes in line); it
    /// must start from the height this driver's store holds.
    pub fn with_writer(mut self, writer: BlockWriter) -> Driver {
        self.writer = writer;
        self
    }

    /// The committed ledger state.
    pub fn state(&self) -> &LedgerState {
        &self.state
    }
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }
    /// The most transactions a block this node proposes may hold.
    pub fn max_block_txs(&self) -> usize {
        self.config.max_block_txs
    }

    /// Whether a transaction is not final yet: it waits in the mempool, or its block is
    /// committed here but not durable (the RPC's state and store do not show it yet, so a
    /// client must hear "pending", not "unknown", or it would send it again).
    pub fn is_pending(&mut self, hash: &Hash) -> bool {
        self.mempool.contains(hash)
            || self
                .writer
                .not_durable_up_to(u64::MAX)
                .iter()
                .any(|c| c.receipts.iter().any(|r| r.tx_hash == *hash))
    }

    /// The sender's next nonce when it is ahead of what the RPC's state shows: past the
    /// transactions waiting in the mempool, or past those in blocks not durable yet.
    pub fn pending_nonce(&mut self, sender: &Address) -> Option<u64> {
        self.mempool.pending_nonce(sender).or_else(|| {
            let not_durable = self.writer.not_durable_up_to(u64::MAX);
            let touched = not_durable.iter().any(|c| {
                c.block
                    .txs
                    .iter()
                    .any(|tx| tx.tx.sender_address() == *sender)
            });
            touched.then(|| self.state.account(sender).nonce)
        })
    }
    /// When this node last committed a block (or started), on its clock.
    pub fn last_commit_ms(&self) -> u64 {
        self.last_commit_ms
    }

    /// What a propose timeout is extended by: [`PROPOSE_MS_PER_1000_TXS`] for every 1,000
    /// transactions of the last block.
    fn propose_allowance_ms(&self) -> u64 {
        self.last_block_txs as u64 * PROPOSE_MS_PER_1000_TXS / 1_000
    }

    /// The core's current round (0 when idle).
    pub fn round(&self) -> u32 {
        self.core.round()
    }

    /// Admits transactions (from RPC or gossip) and starts the next height if they are the
    /// first to wait.
    pub fn submit(
        &mut self,
        txs: Vec<vellum_protocol::SignedTransaction>,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) -> Vec<Result<Hash, AdmissionError>> {
        let results = self.mempool.insert_batch(txs, &self.state, now_ms);
        // A height under way takes them along when it ends (`after_commit`).
        let idle = self.started != Some(self.state.height() + 1);
        if idle && self.mempool.has_ready(&self.state) {
            self.start_next_height(now_ms, effects);
        }
        results
    }

    /// A consensus message from a peer, whose signature the caller has verified for this chain
    /// (the network does, before it delivers or forwards a message): the core does not verify
    /// it again.
    pub fn on_message(&mut self, msg: ConsensusMessage, now_ms: u64, effects: &mut Vec<Effect>) {
        self.on_consensus(msg, None, now_ms, effects);
    }

    /// A proposal as the network checked it (`network::validate`): signed by a validator for
    /// this chain, for this block, and `tx_hashes` are the block's transactions' hashes, whose
    /// root is its header's `tx_root`. Validating the block uses them instead of hashing every
    /// transaction again. A proposal for a later height keeps only its block.
    pub fn on_checked_proposal(
        &mut self,
        proposal: SignedProposal,
        block: Box<Block>,
        tx_hashes: TxHashes,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) {
        let msg = ConsensusMessage::Proposal { proposal, block };
        self.on_consensus(msg, Some(tx_hashes), now_ms, effects);
    }

    /// A compact proposal as the network checked it (`network::validate`): signed by a
    /// validator for this chain, for the block `outline` names, and `tx_hashes` are distinct
    /// with the header's `tx_root` as their root. The block is filled from the pool; if the
    /// pool lacks some of its transactions the proposal waits (see [`Driver::awaits_transactions`]).
    pub fn on_checked_compact(
        &mut self,
        proposal: SignedProposal,
        outline: Box<BlockOutline>,
        tx_hashes: TxHashes,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) {
        let msg = ConsensusMessage::CompactProposal {
            proposal,
            outline,
            tx_hashes: tx_hashes.as_slice().to_vec(),
        };
        self.on_consensus(msg, Some(tx_hashes), now_ms, effects);
    }

    /// Whether a compact proposal waits for transactions the node has gathered and not yet
    /// admitted: the caller admits them now, then calls [`Driver::fill_waiting`].
    pub fn awaits_transactions(&self) -> bool {
        self.waiting.awaits_pool()
    }

    /// After an admission: each compact proposal that waited for it is filled from the pool
    /// and handed to the core, or, still lacking transactions, its block is asked of the peers
    /// ([`Effect::FetchBlock`]). While `more_coming` (network events wait to be taken, which
    /// may hold the missing transactions), a proposal waits up to [`compact::FETCH_AFTER_MS`]
    /// for them before its block is fetched.
    pub fn fill_waiting(&mut self, now_ms: u64, more_coming: bool, effects: &mut Vec<Effect>) {
        for mut unfilled in self.waiting.take_unfetched() {
            match compact::fill(&unfilled.outline, &unfilled.tx_hashes, &self.mempool) {
                Some(block) => {
                    let Unfilled {
                        proposal,
                        tx_hashes,
                        ..
                    } = unfilled;
                    self.proposal_filled(proposal, block, tx_hashes, now_ms, effects);
                }
                None if more_coming
                    && now_ms.saturating_sub(unfilled.since_ms) < compact::FETCH_AFTER_MS =>
                {
                    self.waiting.hold(unfilled);
                }
                None => {
                    tracing::debug!(
                        height = unfilled.outline.height(),
                        block = %unfilled.hash(),
                        "a compact proposal's transactions are not in the pool; fetching its block"
                    );
                    effects.push(Effect::FetchBlock {
                        hash: unfilled.hash(),
                        height: unfilled.outline.height(),
                    });
                    unfilled.fetching = true;
                    self.waiting.hold(unfilled);
                }
            }
        }
    }

    /// A block a peer sent for a compact proposal's: `tx_hashes` must be
    /// `TxHashes::of(&block.txs)`, with the header's `tx_root` as their root (the fetch
    /// checks both). A block no held proposal names is ignored.
    pub fn on_fetched_block(
        &mut self,
        block: Block,
        tx_hashes: TxHashes,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) {
        if let Some(unfilled) = self.waiting.take(&block.hash()) {
            self.proposal_filled(unfilled.proposal, block, tx_hashes, now_ms, effects);
        }
    }

    /// A compact proposal's block is whole: the core hears of the proposal now, if it is
    /// still for the height under way.
    fn proposal_filled(
        &mut self,
        proposal: SignedProposal,
        block: Block,
        tx_hashes: TxHashes,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) {
        if proposal.proposal.height != self.state.height() + 1 {
            return;
        }
        self.keep_filled(block, tx_hashes, effects);
        self.feed(now_ms, Input::VerifiedProposal(proposal), effects);
    }

    /// Keeps a compact proposal's block, now whole, for the core to validate, and serves it
    /// to peers whose pools lack some of its transactions.
    fn keep_filled(&mut self, block: Block, tx_hashes: TxHashes, effects: &mut Vec<Effect>) {
        let block = Arc::new(block);
        effects.push(Effect::Serve(Arc::clone(&block)));
        self.bodies.insert(block, Some(tx_hashes));
    }

    fn on_consensus(
        &mut self,
        msg: ConsensusMessage,
        tx_hashes: Option<TxHashes>,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) {
        let next = self.state.height() + 1;
        let height = height_of(&msg);
        if height > next + FUTURE_HEIGHTS {
            effects.push(Effect::Sync { from_height: next });
            return;
        }
        if height > next {
            if self.future.len() < MAX_FUTURE_MESSAGES {
                self.future.push(msg);
            }
            // Two heights ahead: a block is missing here, so ask for it now. One ahead: the
            // commit of the next height may still come; ask only if it is long overdue.
            let since = *self.future_since_ms.get_or_insert(now_ms);
            if height > next + 1 || now_ms.saturating_sub(since) >= FUTURE_SYNC_AFTER_MS {
                effects.push(Effect::Sync { from_height: next });
                self.future_since_ms = Some(now_ms);
            }
            return;
        }
        if height < next {
            return;
        }
        // Someone works on the next height: join in.
        self.start_next_height(now_ms, effects);
        let input = match msg {
            ConsensusMessage::Proposal { proposal, block } => {
                tracing::debug!(
                    height,
                    round = proposal.proposal.round,
                    txs = block.txs.len(),
                    "proposal received"
                );
                if block.hash() == proposal.proposal.block {
                    self.bodies.insert(Arc::new(*block), tx_hashes);
                }
                Input::VerifiedProposal(proposal)
            }
            ConsensusMessage::CompactProposal {
                proposal,
                outline,
                tx_hashes: listed,
            } => {
                let hash = proposal.proposal.block;
                // Checked by the network already, unless it waited here for its height.
                let tx_hashes = match tx_hashes {
                    Some(h) => h,
                    None => match TxHashes::listed(listed) {
                        Ok(h) if h.root() == outline.header.tx_root => h,
                        _ => return,
                    },
                };
                if outline.hash() != hash {
                    return;
                }
                tracing::debug!(
                    height,
                    round = proposal.proposal.round,
                    txs = tx_hashes.len(),
                    "compact proposal received"
                );
                if self.bodies.get(&hash).is_none() {
                    match compact::fill(&outline, &tx_hashes, &self.mempool) {
                        Some(block) => self.keep_filled(block, tx_hashes, effects),
                        None => {
                            self.waiting.hold(Unfilled {
                                proposal,
                                outline,
                                tx_hashes,
                                fetching: false,
                                since_ms: now_ms,
                            });
                            return;
                        }
                    }
                }
                Input::VerifiedProposal(proposal)
            }
            // The network verified its signature before delivering it (`network::validate`).
            ConsensusMessage::Vote(v) => {
                self.precommits.record(&v);
                Input::VerifiedVote(v)
            }
        };
        self.feed(now_ms, input, effects);
    }

    /// A timer set by [`Effect::ScheduleTimeout`] fired.
    pub fn on_timeout(&mut self, timeout: Timeout, now_ms: u64, effects: &mut Vec<Effect>) {
        // A height this node committed from sync is over, though the core was never told.
        if timeout.height <= self.state.height() {
            return;
        }
        tracing::debug!(height = timeout.height, round = timeout.round, step = ?timeout.step, "timeout");
        self.feed(now_ms, Input::Timeout(timeout), effects);
    }

    /// Called periodically: starts a height for the heartbeat, or one this node signed at
    /// before a restart (peers may wait there for it), and evicts expired transactions.
    pub fn on_tick(&mut self, now_ms: u64, effects: &mut Vec<Effect>) {
        let next = self.state.height() + 1;
        if self.started.is_none()
            && self
                .core
                .safety_state()
                .is_some_and(|s| signed_at(&s, next))
        {
            self.start_next_height(now_ms, effects);
        }
        let expired = self.mempool.evict_expired(now_ms);
        if !expired.is_empty() {
            effects.push(Effect::Evicted(
                expired.into_iter().map(|h| (h, Removal::Expired)).collect(),
            ));
        }
        self.on_heartbeat(now_ms, effects);
    }

    /// Starts the next height when the heartbeat has elapsed since the last commit. Called at
    /// the deadline [`Effect::WakeAt`] names after each commit, and on every tick.
    pub fn on_heartbeat(&mut self, now_ms: u64, effects: &mut Vec<Effect>) {
        let heartbeat = self.config.heartbeat_ms;
        if heartbeat > 0 && now_ms >= self.last_commit_ms + heartbeat {
            self.start_next_height(now_ms, effects);
        }
    }

    /// Blocks with certificates fetched from a peer, in height order. Each is applied and
    /// committed without running consensus for its height (a certificate already decided it):
    /// no proposal is built, no vote signed or broadcast, no safety state written for a height
    /// that is over. Consensus starts once, after the last one.
    pub fn on_synced(
        &mut self,
        blocks: Vec<(Block, CommitCertificate)>,
        now_ms: u64,
        effects: &mut Vec<Effect>,
    ) {
        let mut committed = false;
        for (block, cert) in blocks {
            if block.height() != self.state.height() + 1 || block.hash() != cert.block {
                continue;
            }
            if cert
                .verify(
                    self.state.chain_id(),
                    block.height(),
                    cert.block,
                    self.state.validators(),
                )
                .is_err()
            {
                tracing::warn!(
                    height = block.height(),
                    "a synced certificate does not verify"
                );
                break;
            }
            self.precommits.record_certificate(&cert);
            let height = block.height();
            self.bodies.insert(Arc::new(block), None);
            if !self.validate(cert.block) {
                tracing::warn!(height, "a synced block breaks the ledger rule");
                break;
            }
            let hash = cert.block;
            if !self.apply_decided(now_ms, height, hash, cert, effects) {
                break;
            }
            committed = true;
        }
        if committed {
            self.after_commit(now_ms, effects);
            self.hand_over_future(now_ms, effects);
        }
    }

    fn start_next_height(&mut self, now_ms: u64, effects: &mut Vec<Effect>) {
        let next = self.state.height() + 1;
        if self.started == Some(next) {
            return;
        }
        self.started = Some(next);
        self.started_at_ms = now_ms;
        tracing::debug!(height = next, "height started");
        let input = Input::StartHeight {
            height: next,
            validators: self.state.validators().clone(),
        };
        self.feed(now_ms, input, effects);
    }

    fn feed(&mut self, now_ms: u64, input: Input, effects: &mut Vec<Effect>) {
        let mut inputs = VecDeque::from([input]);
        while let Some(input) = inputs.pop_front() {
            for output in self.core.step(now_ms, input) {
                self.execute(now_ms, output, &mut inputs, effects);
            }
        }
        self.hand_over_future(now_ms, effects);
    }

    /// After a commit the kept messages may be current: hands them over (those still ahead are
    /// kept again, older ones dropped).
    fn hand_over_future(&mut self, now_ms: u64, effects: &mut Vec<Effect>) {
        let next = self.state.height() + 1;
        if self.future.iter().any(|m| height_of(m) <= next) {
            for msg in std::mem::take(&mut self.future) {
                self.on_message(msg, now_ms, effects);
            }
        }
    }

    fn execute(
        &mut self,
        now_ms: u64,
        output: Output,
        inputs: &mut VecDeque<Input>,
        effects: &mut Vec<Effect>,
    ) {
        match output {
            Output::PersistSafety { state, recovery } => self.persist_safety(&state, &recovery),
            Output::BroadcastProposal(p) => match self.bodies.get(&p.proposal.block) {
                Some(block) => {
                    let tx_hashes = self.bodies.tx_hash_list(&p.proposal.block);
                    tracing::debug!(
                        height = p.proposal.height,
                        round = p.proposal.round,
                        compact = tx_hashes.is_some(),
                        "proposal sent"
                    );
                    // Compact when the transactions' hashes are at hand (always, for a block
                    // this node built or filled); a body restored after a restart goes whole.
                    let msg = match tx_hashes {
                        Some(tx_hashes) => {
                            effects.push(Effect::Serve(Arc::clone(&block)));
                            ConsensusMessage::CompactProposal {
                                proposal: p,
                                outline: Box::new(BlockOutline::of(&block)),
                                tx_hashes,
                            }
                        }
                        None => ConsensusMessage::Proposal {
                            proposal: p,
                            block: Box::new((*block).clone()),
                        },
                    };
                    effects.push(Effect::Broadcast(msg));
                }
                None => {
                    tracing::error!(block = %p.proposal.block, "proposed a block it does not hold")
                }
            },
            Output::BroadcastVote(v) => {
                tracing::debug!(
                    height = v.vote.height,
                    round = v.vote.round,
                    kind = ?v.vote.kind,
                    nil = v.vote.block.is_none(),
                    "vote sent"
                );
                self.precommits.record(&v);
                effects.push(Effect::Broadcast(ConsensusMessage::Vote(v)));
            }
            Output::ScheduleTimeout { timeout, at_ms } => {
                let at_ms = match timeout.step {
                    Step::Propose => at_ms.saturating_add(self.propose_allowance_ms()),
                    Step::Prevote | Step::Precommit => at_ms,
                };
                effects.push(Effect::ScheduleTimeout { timeout, at_ms });
            }
            Output::RequestBlock { height, round } => {
                let started = std::time::Instant::now();
                let block = match self.locked_to_propose() {
                    Some(locked) => {
                        tracing::info!(height, round, block = %locked, "proposing the locked block again");
                        locked
                    }
                    None => self.build(now_ms),
                };
                tracing::debug!(
                    height,
                    round,
                    micros = started.elapsed().as_micros() as u64,
                    "block built"
                );
                inputs.push_back(Input::BlockToPropose {
                    height,
                    round,
                    block,
                });
            }
            Output::ValidateBlock { height, block, .. } => {
                if self.bodies.get(&block).is_some() {
                    let started = std::time::Instant::now();
                    let valid = self.validate(block);
                    tracing::debug!(
                        height,
                        valid,
                        micros = started.elapsed().as_micros() as u64,
                        "block validated"
                    );
                    inputs.push_back(Input::BlockValidated {
                        height,
                        block,
                        valid,
                    });
                }
            }
            Output::Commit {
                height,
                block,
                certificate,
                ..
            } => {
                if self.apply_decided(now_ms, height, block, certificate, effects) {
                    self.after_commit(now_ms, effects);
                }
            }
            Output::Evidence(e) => {
                tracing::warn!(offender = %e.offender(), "equivocation");
                effects.push(Effect::Evidence(e));
            }
            Output::Behind { .. } => {
                effects.push(Effect::Sync {
                    from_height: self.state.height() + 1,
                });
            }
        }
    }

    /// The safety state must be durable before the signed message leaves; if it cannot be
    /// written the node must not go on signing. A signature at height `h + 1` needs block `h`
    /// recoverable after a crash (see [`BlockWriter`]): blocks up to `h` the writer has not
    /// made durable yet are saved with it (a restarted driver commits them first), so the
    /// signer never waits for the writer.
    fn persist_safety(&mut self, state: &SafetyState, recovery: &Recovery) {
        let started = std::time::Instant::now();
        let below = state.last_signed.map_or(0, |s| s.height.saturating_sub(1));
        let not_durable = self.writer.not_durable_up_to(below);
        let pending: Vec<(&Block, &CommitCertificate)> = not_durable
            .iter()
            .map(|c| (&*c.block, &c.certificate))
            .collect();
        // The lock's body goes with it: if every validator that precommitted it restarted, the
        // ones locked could vote for no other block and nobody else would hold this one.
        let locked = state.locked.and_then(|(_, hash)| self.bodies.get(&hash));
        if let Err(e) = self
            .store
            .save_safety_with(state, recovery, locked.as_deref(), &pending)
        {
            tracing::error!(error = %e, "cannot persist the consensus safety state; stopping");
            panic!("cannot persist the consensus safety state: {e}");
        }
        tracing::debug!(
            pending_blocks = pending.len(),
            locked_block = locked.is_some(),
            micros = started.elapsed().as_micros() as u64,
            "safety state persisted"
        );
    }

    /// The block the core is locked on, when this node holds it and it is valid. The core asks
    /// for a block while locked only after a restart from a record without the lock's proof
    /// (an earlier version's; otherwise it proposes its valid value, which is never older than
    /// the lock): proposing the locked block, the other validators locked on it can vote for it
    /// (paper line 23), where a new block would leave them voting nil forever had they all lost
    /// its body.
    fn locked_to_propose(&mut self) -> Option<Hash> {
        let (_, hash) = self.core.locked()?;
        self.validate(hash).then_some(hash)
    }

    fn build(&mut self, now_ms: u64) -> Hash {
        let time_ms = now_ms.max(self.state.last_time_ms() + 1);
        let candidates =
            self.mempool
                .reap_at(&self.state, time_ms, self.config.max_block_txs, usize::MAX);
        let ctx = BlockContext {
            time_ms,
            proposer: self.key.public(),
            last_commit: self.last_certificate.clone(),
        };
        let cache = self.mempool.signature_cache();
        let (block, after, receipts) = build_block(
            &self.state,
            candidates,
            ctx,
            self.config.max_block_txs,
            &*cache,
        );
        let hash = block.hash();
        self.bodies.insert_valid(Arc::new(block), after, receipts);
        hash
    }

    fn validate(&mut self, hash: Hash) -> bool {
        if self.bodies.is_valid(&hash) {
            return true;
        }
        let Some((block, tx_hashes)) = self.bodies.get_hashed(&hash) else {
            return false;
        };
        let cache = self.mempool.signature_cache();
        let checks = Checks {
            txs: &*cache,
            precommits: &self.precommits,
        };
        let applied = match &tx_hashes {
            Some(hashes) => apply_hashed_block(&self.state, &block, hashes, &checks),
            None => apply_block(&self.state, &block, &checks),
        };
        match applied {
            Ok((after, receipts)) => {
                self.bodies.insert_valid(block, after, receipts);
                true
            }
            Err(e) => {
                tracing::warn!(block = %hash, error = %e, "a proposed block breaks the ledger rule");
                false
            }
        }
    }

    /// Applies a decided block, hands it to the block writer and tells the node about it;
    /// false (nothing changed) if the block cannot be applied.
    fn apply_decided(
        &mut self,
        now_ms: u64,
        height: u64,
        hash: Hash,
        certificate: CommitCertificate,
        effects: &mut Vec<Effect>,
    ) -> bool {
        if !self.validate(hash) {
            tracing::error!(height, block = %hash, "consensus decided a block this node cannot apply");
            return false;
        }
        let (block, after, receipts) = self.bodies.take_valid(&hash).expect("validated above");
        // Receipt i is transaction i's (apply_block made it): no need to hash them again.
        let included: Vec<Hash> = receipts.iter().map(|r| r.tx_hash).collect();
        let changed = after.changed_accounts(&self.state);
        self.state = after;
        self.last_certificate = Some(certificate.clone());
        self.bodies.retain_above(height);
        self.waiting.retain_above(height);
        self.precommits.retain_from(height);
        self.last_block_txs = block.txs.len();
        let evicted = self
            .mempool
            .on_commit(&included, &changed, &self.state, now_ms);
        let committed = Arc::new(CommittedBlock {
            block,
            certificate,
            receipts,
            state: self.state.clone(),
            evicted,
            latency_ms: now_ms.saturating_sub(self.started_at_ms),
            changed,
        });
        self.writer.submit(Arc::clone(&committed));
        effects.push(Effect::Committed(committed));
        self.last_commit_ms = now_ms;
        self.started = None;
        self.future_since_ms = None;
        true
    }

    /// After a commit: the next height starts at once if transactions wait, else at the
    /// heartbeat.
    fn after_commit(&mut self, now_ms: u64, effects: &mut Vec<Effect>) {
        if self.mempool.has_ready(&self.state) {
            self.start_next_height(now_ms, effects);
        } else if self.config.heartbeat_ms > 0 {
            effects.push(Effect::WakeAt {
                at_ms: now_ms + self.config.heartbeat_ms,
            });
        }
    }
}
