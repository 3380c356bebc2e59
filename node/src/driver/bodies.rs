//! Block bodies the driver holds for the heights it works on, the hashes of their
//! transactions when the network computed them already, and the state after each one it has
//! validated.

use std::collections::HashMap;
use std::sync::Arc;

use vellum_protocol::{Block, Hash, LedgerState, Receipt, TxHashes};

#[derive(Debug)]
struct Body {
    block: Arc<Block>,
    /// `TxHashes::of(&block.txs)`, when it came with the block.
    tx_hashes: Option<Arc<TxHashes>>,
    valid: Option<(LedgerState, Vec<Receipt>)>,
}

/// Bodies by block hash, for the current and the next height.
#[derive(Debug, Default)]
pub struct Bodies {
    by_hash: HashMap<Hash, Body>,
}

impl Bodies {
    /// Holds a body whose validity is not known yet; `tx_hashes`, if given, must be
    /// `TxHashes::of(&block.txs)`. The first body held under a hash stays.
    pub fn insert(&mut self, block: Arc<Block>, tx_hashes: Option<TxHashes>) {
        self.by_hash.entry(block.hash()).or_insert(Body {
            block,
            tx_hashes: tx_hashes.map(Arc::new),
            valid: None,
        });
    }
    /// Holds a body with the state after it and its receipts.
    pub fn insert_valid(&mut self, block: Arc<Block>, after: LedgerState, receipts: Vec<Receipt>) {
        let hash = block.hash();
        self.by_hash.insert(
            hash,
            Body {
                block,
                tx_hashes: None,
                valid: Some((after, receipts)),
            },
        );
    }
    pub fn get(&self, hash: &Hash) -> Option<Arc<Block>> {
        self.by_hash.get(hash).map(|b| b.block.clone())
    }
    /// The body and its transactions' hashes, if they came with it.
    pub fn get_hashed(&self, hash: &Hash) -> Option<(Arc<Block>, Option<Arc<TxHashes>>)> {
        self.by_hash
            .get(hash)
            .map(|b| (b.block.clone(), b.tx_hashes.clone()))
    }
    /// The hashes of the body's transactions, in block order, when they are known: they came
    /// with it, or it was validated (receipt `i` is transaction `i`'s).
    pub fn tx_hash_list(&self, hash: &Hash) -> Option<Vec<Hash>> {
        let body = self.by_hash.get(hash)?;
        match (&body.tx_hashes, &body.valid) {
            (Some(hashes), _) => Some(hashes.as_slice().to_vec()),
            (None, Some((_, receipts))) => Some(receipts.iter().map(|r| r.tx_hash).collect()),
            (None, None) => None,
        }
    }
    pub fn is_valid(&self, hash: &Hash) -> bool {
        self.by_hash.get(hash).is_some_and(|b| b.valid.is_some())
    }
    /// Removes a validated body and returns it with its state and receipts.
    pub fn take_valid(&mut self, hash: &Hash) -> Option<(Arc<Block>, LedgerState, Vec<Receipt>)> {
        let body = self.by_hash.remove(hash)?;
        let (after, receipts) = body.valid?;
        Some((body.block, after, receipts))
    }
    /// Forgets everything at or below `height`, and the validity of the rest (it was judged
    /// against a state that is gone).
    pub fn retain_above(&mut self, height: u64) {
        self.by_hash.retain(|_, b| b.block.height() > height);
        for b in self.by_hash.values_mut() {
            b.valid = None;
        }
    }
}
