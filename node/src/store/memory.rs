//! The in-memory store: one `BTreeMap` per column behind a mutex, with the same layout and
//! semantics as RocksDB (tests, tools, and a node that keeps nothing). Clones share the data,
//! so a clone stands for "the same store, reopened".

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::StoreError;
use super::checkpoint::Unsaved;
use super::layout::{Column, ColumnStore, Entry, Visitor, Write, WriteSet};
use super::recent::RecentTxs;

type Table = BTreeMap<Vec<u8>, Vec<u8>>;

/// A [`super::Store`] that lives in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    tables: Arc<Mutex<[Table; Column::ALL.len()]>>,
    writer: Arc<Mutex<Unsaved>>,
    recent: Arc<RecentTxs>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn tables(&self) -> MutexGuard<'_, [Table; Column::ALL.len()]> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ColumnStore for MemoryStore {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tables()[column.index()].get(key).cloned())
    }

    fn write(&self, writes: WriteSet, _sync: bool) -> Result<(), StoreError> {
        // One lock for the whole batch: readers see all of it or none of it.
        let mut tables = self.tables();
        for write in writes.writes {
            match write {
                Write::Put(column, key, value) => {
                    tables[column.index()].insert(key, value);
                }
                Write::Delete(column, key) => {
                    tables[column.index()].remove(&key);
                }
            }
        }
        Ok(())
    }

    fn scan_back(
        &self,
        column: Column,
        prefix: &[u8],
        below: &[u8],
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let tables = self.tables();
        Ok(tables[column.index()]
            .range::<[u8], _>((Bound::Unbounded, Bound::Excluded(below)))
            .rev()
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn for_each(&self, column: Column, f: &mut Visitor<'_>) -> Result<(), StoreError> {
        let tables = self.tables();
        for (k, v) in &tables[column.index()] {
            f(k, v)?;
        }
        Ok(())
    }

    fn writer_lock(&self) -> &Mutex<Unsaved> {
        &self.writer
    }

    fn recent_txs(&self) -> &RecentTxs {
        &self.recent
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    crate::store_suite!({
        let store = MemoryStore::new();
        move || store.clone()
    });
}
