//! The transaction index of the blocks above the state checkpoint, kept in memory and written
//! to `txs` at each checkpoint, sorted, as one table file.
//!
//! Every committed transaction has an entry in `txs`: its hash, then height ‖ receipt. Written
//! with its block, each such entry was a memtable insert at a random place (a hash has no
//! neighbour to start from), the block writer's costliest key: without them the writer did
//! about half the work (`cargo bench --workspace --bench store_commit`, docs/PERFORMANCE.md,
//! seventeenth session). Now a block's batch holds its outcomes instead (`outcomes`, one key
//! per block: what the entries say beyond the block itself), its entries wait here, and at the
//! next state checkpoint ([`super::CHECKPOINT_BLOCKS`]) every waiting entry goes into `txs` at
//! once ([`ColumnStore::ingest_sorted`]: for RocksDB a table file ingested whole, with no
//! log, memtable or flush).
//!
//! Rules:
//! - `txs` holds the entries of every block up to the state checkpoint, and this index those
//!   of the blocks above it, up to the latest. A store of format 1 held them all in `txs`, so
//!   a block without outcomes has its entries there.
//! - The entries go into `txs` before the checkpoint's batch is written, so a crash between
//!   the two loses none. `txs` may then hold entries of a block above the latest: a reader
//!   takes an entry above the latest block for none ([`Store::tx`]), and the same block, once
//!   written, brings the same entries.
//! - After a restart the index is rebuilt from `blocks` and `outcomes` on first use.
//! - A block's entries join the index once its batch is durable, and leave it once the
//!   checkpoint that wrote them to `txs` is: a reader sees an entry in one place or both.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use vellum_protocol::block::MAX_BLOCK_TXS;
use vellum_protocol::encoding::{Reader, Writer};
use vellum_protocol::{Decode, Encode, Hash, Outcome, Receipt};

use super::checkpoint::checkpoint_fields;
use super::layout::{Column, ColumnStore, Entry, corrupt, height_key, txs_value};
use super::{Store, StoreError};

/// Each waiting transaction's height and receipt, by hash.
type Index = HashMap<Hash, (u64, Receipt)>;

/// The waiting entries of `txs`; `None` until first used after the store opens.
#[derive(Debug, Default)]
pub struct RecentTxs {
    index: RwLock<Option<Index>>,
}

impl RecentTxs {
    /// The height and receipt of the transaction `hash`, if a block above the checkpoint holds
    /// it.
    pub fn get(
        &self,
        store: &impl ColumnStore,
        hash: &Hash,
    ) -> Result<Option<(u64, Receipt)>, StoreError> {
        Ok(self
            .loaded(store)?
            .as_ref()
            .and_then(|i| i.get(hash).cloned()))
    }

    /// How many entries wait.
    pub fn len(&self, store: &impl ColumnStore) -> Result<usize, StoreError> {
        Ok(self.loaded(store)?.as_ref().map_or(0, Index::len))
    }

    /// Every waiting entry and those of `receipts` (the block at `height`, not yet written),
    /// as `txs` keys and values sorted by key.
    pub fn entries_with(
        &self,
        store: &impl ColumnStore,
        height: u64,
        receipts: &[Receipt],
    ) -> Result<Vec<Entry>, StoreError> {
        let guard = self.loaded(store)?;
        let waiting = guard.as_ref().into_iter().flatten();
        let mut entries: Vec<(Hash, Vec<u8>)> = waiting
            .map(|(hash, (height, receipt))| (*hash, txs_value(*height, receipt)))
            .chain(receipts.iter().map(|r| (r.tx_hash, txs_value(height, r))))
            .collect();
        entries.sort_unstable_by_key(|(hash, _)| *hash);
        entries.dedup_by(|a, b| a.0 == b.0);
        Ok(entries
            .into_iter()
            .map(|(h, v)| (h.0.to_vec(), v))
            .collect())
    }

    /// The block at `height`, with `receipts`, is durable.
    pub fn add(&self, height: u64, receipts: &[Receipt]) {
        if let Some(index) = self.write().as_mut() {
            index.extend(receipts.iter().map(|r| (r.tx_hash, (height, r.clone()))));
        }
    }

    /// A checkpoint that wrote every waiting entry to `txs` is durable.
    pub fn clear(&self) {
        if let Some(index) = self.write().as_mut() {
            index.clear();
        }
    }

    /// Forgets the index: the next use rebuilds it from the store.
    pub fn reset(&self) {
        *self.write() = None;
    }

    fn write(&self) -> RwLockWriteGuard<'_, Option<Index>> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The index, rebuilt from the store first if it is not held.
    fn loaded(
        &self,
        store: &impl ColumnStore,
    ) -> Result<RwLockReadGuard<'_, Option<Index>>, StoreError> {
        {
            let guard = self.index.read().unwrap_or_else(PoisonError::into_inner);
            if guard.is_some() {
                return Ok(guard);
            }
        }
        {
            let mut guard = self.write();
            if guard.is_none() {
                *guard = Some(rebuild(store)?);
            }
        }
        Ok(self.index.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The entries of the blocks above the state checkpoint, from their outcomes.
fn rebuild(store: &impl ColumnStore) -> Result<Index, StoreError> {
    let mut index = Index::new();
    if store.chain()?.is_none() {
        return Ok(index); // no genesis yet
    }
    let checkpoint = checkpoint_fields(store)?.height;
    let latest = store.latest_height()?;
    for height in checkpoint + 1..=latest {
        let Some(bytes) = store.get(Column::Outcomes, &height_key(height))? else {
            continue; // written in format 1, with its entries in `txs`
        };
        let outcomes = decode_outcomes(&bytes)?;
        let block = store
            .block(height)?
            .ok_or_else(|| corrupt("blocks", format!("block {height} is missing")))?;
        if outcomes.len() != block.txs.len() {
            let detail = format!(
                "{} outcomes for the {} transactions of block {height}",
                outcomes.len(),
                block.txs.len()
            );
            return Err(corrupt("outcomes", detail));
        }
        for (i, (tx, outcome)) in block.txs.iter().zip(outcomes).enumerate() {
            let receipt = Receipt {
                tx_hash: tx.hash(),
                index: i as u32,
                outcome,
            };
            index.insert(receipt.tx_hash, (height, receipt));
        }
    }
    Ok(index)
}

/// A block's outcomes, in transaction order: `u32` count ‖ each outcome (0 committed, or 1 ‖
/// the reject reason), as in a receipt.
pub fn encode_outcomes(receipts: &[Receipt]) -> Vec<u8> {
    let mut w = Writer::with_capacity(4 + receipts.len());
    w.list(receipts, |w, receipt| receipt.outcome.encode(w));
    w.into_bytes()
}

/// The outcomes [`encode_outcomes`] wrote.
pub fn decode_outcomes(bytes: &[u8]) -> Result<Vec<Outcome>, StoreError> {
    let mut r = Reader::new(bytes);
    r.list("outcomes", MAX_BLOCK_TXS, 1, Outcome::decode)
        .and_then(|outcomes| r.finish().map(|()| outcomes))
        .map_err(|e| corrupt("outcomes", e))
}

#[cfg(test)]
mod tests {
    use vellum_protocol::RejectReason;

    use super::*;

    #[test]
    fn outcomes_round_trip_and_junk_is_refused() {
        let receipt = |index, outcome| Receipt {
            tx_hash: Hash([index as u8; 32]),
            index,
            outcome,
        };
        let receipts = [
            receipt(0, Outcome::Committed),
            receipt(1, Outcome::Rejected(RejectReason::ZeroAmount)),
            receipt(2, Outcome::Committed),
        ];
        let bytes = encode_outcomes(&receipts);
        let outcomes = decode_outcomes(&bytes).unwrap();
        let expected: Vec<Outcome> = receipts.iter().map(|r| r.outcome.clone()).collect();
        assert_eq!(outcomes, expected);
        assert!(decode_outcomes(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_outcomes(&[bytes.as_slice(), &[0]].concat()).is_err());
        assert!(decode_outcomes(&[0, 0, 0, 1, 7]).is_err());
        assert_eq!(decode_outcomes(&encode_outcomes(&[])).unwrap(), vec![]);
    }
}
