//! Compact proposals: a proposal sends its block's outline and transaction hashes
//! ([`BlockOutline`]), and each validator fills the block from its own pool.
//!
//! A validator whose pool lacks some of the transactions holds the proposal here, unseen by
//! the core, until the turn's gathered transactions are admitted (they often hold the
//! missing ones: gossip brings them just before the proposal), and while more network events
//! are queued for at most [`FETCH_AFTER_MS`]; then it asks a peer for the whole block by hash
//! ([`super::Effect::FetchBlock`]). The core hears of the proposal once the block is whole:
//! it decides only a proposal it has and judged valid, so the peers' votes are tallied
//! meanwhile and the decision follows the block. If the block is never whole, the round's
//! propose timeout ends the wait, as for a proposal that was lost.

use vellum_protocol::{Block, Hash, SignedProposal, TxHashes};

use crate::mempool::Mempool;
use crate::network::BlockOutline;

/// Most proposals held at once (the proposals of a few rounds).
const MAX_UNFILLED: usize = 8;
/// Longest a proposal waits for network events still queued (which may bring its missing
/// transactions) before its block is fetched.
pub const FETCH_AFTER_MS: u64 = 20;

/// A compact proposal whose block is not whole yet.
#[derive(Debug)]
pub struct Unfilled {
    pub proposal: SignedProposal,
    pub outline: Box<BlockOutline>,
    pub tx_hashes: TxHashes,
    /// Asked of the peers already: the pool had the transactions neither on arrival nor after
    /// the next admission.
    pub fetching: bool,
    /// When it arrived.
    pub since_ms: u64,
}

/// The compact proposals held, by block.
#[derive(Debug, Default)]
pub struct Waiting {
    held: Vec<Unfilled>,
}

impl Waiting {
    /// Holds a proposal, unless one of the same block is held or the room is taken.
    pub fn hold(&mut self, unfilled: Unfilled) {
        let hash = unfilled.proposal.proposal.block;
        if self.held.len() < MAX_UNFILLED && !self.held.iter().any(|u| u.hash() == hash) {
            self.held.push(unfilled);
        }
    }

    /// Whether a held proposal waits for the next admission.
    pub fn awaits_pool(&self) -> bool {
        self.held.iter().any(|u| !u.fetching)
    }

    /// The proposals that wait for the next admission.
    pub fn take_unfetched(&mut self) -> Vec<Unfilled> {
        let (unfetched, fetching) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|u| !u.fetching);
        self.held = fetching;
        unfetched
    }

    /// The proposal of block `hash`, no longer held.
    pub fn take(&mut self, hash: &Hash) -> Option<Unfilled> {
        let at = self.held.iter().position(|u| u.hash() == *hash)?;
        Some(self.held.swap_remove(at))
    }

    /// Forgets every proposal at or below `height`.
    pub fn retain_above(&mut self, height: u64) {
        self.held.retain(|u| u.outline.height() > height);
    }
}

impl Unfilled {
    pub fn hash(&self) -> Hash {
        self.proposal.proposal.block
    }
}

/// The block `outline` names, with each of `tx_hashes`' transactions from `pool`; `None` when
/// the pool lacks one.
pub fn fill(outline: &BlockOutline, tx_hashes: &TxHashes, pool: &Mempool) -> Option<Block> {
    let txs = tx_hashes
        .as_slice()
        .iter()
        .map(|h| pool.get(h).cloned())
        .collect::<Option<Vec<_>>>()?;
    Some(outline.fill(txs))
}
