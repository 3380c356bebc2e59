//! The blocks of recent compact proposals, this node's own and those it filled from its pool,
//! kept to be served by hash (`SyncRequest::Block`) to a validator whose pool lacks some of
//! their transactions.
//!
//! A compact proposal carries only its transactions' hashes (`network::outline`); a peer that
//! cannot fill the block from its pool asks for it whole. The driver holds the block, out of
//! the network task's reach, so the node task hands each one here (`Effect::Serve`). Any
//! validator that filled it serves it too, so it can still be had if its proposer stops. The
//! last few are kept: once committed, a block is in the store.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use vellum_protocol::{Block, Hash};

/// Blocks kept: those of a few rounds and the heights the block writer has not stored yet.
const KEPT: usize = 8;

#[derive(Debug, Default)]
pub struct ProposedBlocks {
    recent: Mutex<VecDeque<Arc<Block>>>,
}

impl ProposedBlocks {
    /// Keeps `block`, forgetting the oldest beyond [`KEPT`].
    pub fn offer(&self, block: Arc<Block>) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let hash = block.hash();
        if recent.iter().any(|b| b.hash() == hash) {
            return;
        }
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(block);
    }

    /// A copy of the kept block `hash`, if any.
    pub fn get(&self, hash: &Hash) -> Option<Block> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .iter()
            .find(|b| b.hash() == *hash)
            .map(|b| Block::clone(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::Header;

    fn block(height: u64) -> Arc<Block> {
        Arc::new(Block {
            header: Header {
                chain_id: "c".into(),
                height,
                time_ms: height,
                prev_hash: Hash::ZERO,
                tx_root: Hash::ZERO,
                state_root: Hash::ZERO,
                proposer: vellum_protocol::Keypair::from_seed(&[1; 32]).public(),
                last_commit_hash: Hash::ZERO,
                validators_hash: Hash::ZERO,
            },
            last_commit: None,
            txs: Vec::new(),
        })
    }

    #[test]
    fn the_last_proposals_are_served_and_older_ones_forgotten() {
        let kept = ProposedBlocks::default();
        let blocks: Vec<Arc<Block>> = (1..=KEPT as u64 + 1).map(block).collect();
        for b in &blocks {
            kept.offer(Arc::clone(b));
            kept.offer(Arc::clone(b));
        }
        assert_eq!(kept.get(&blocks[0].hash()), None, "the oldest is forgotten");
        for b in &blocks[1..] {
            assert_eq!(kept.get(&b.hash()).as_ref(), Some(&**b));
        }
        assert_eq!(kept.get(&Hash([3; 32])), None);
    }
}
