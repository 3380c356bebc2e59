//! The RocksDB store: one column family per [`Column`], one `WriteBatch` per write set, synced
//! when asked (every block once written), so a node killed at any moment reopens with each
//! block either wholly present or absent. Sorted entries in bulk (a checkpoint's `txs`
//! entries) are written as one table file and ingested whole. The safety state lives beside
//! it in files of its own ([`SafetyFile`]); a directory that kept it in the `wal` column has
//! it moved there on open.
//!
//! RocksDB locks its directory (the `LOCK` file): a second process, or a second open in this
//! one, gets [`StoreError::Locked`] instead of a corrupted directory; the safety files are
//! opened only after that lock is held.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, IngestExternalFileOptions,
    IteratorMode, Options, SstFileWriter, WriteBatch, WriteOptions,
};

use super::checkpoint::Unsaved;
use super::columns;
use super::layout::{self, Column, ColumnStore, Entry, Visitor, Write, WriteSet, corrupt};
use super::recent::RecentTxs;
use super::safety_file::SafetyFile;
use super::{Store, StoreError};

/// A [`super::Store`] in a RocksDB directory.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
    writer: Mutex<Unsaved>,
    recent: RecentTxs,
    /// The safety record's own files in the same directory.
    safety: SafetyFile,
}

impl fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.path)
            .finish()
    }
}

fn io(e: rocksdb::Error) -> StoreError {
    StoreError::Io(e.into_string())
}

impl RocksStore {
    /// Opens the store in `path`, creating the directory and its column families if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<RocksStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_error = |detail: String| StoreError::Open {
            path: path.clone(),
            detail,
        };
        std::fs::create_dir_all(&path).map_err(|e| open_error(e.to_string()))?;
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.set_compression_type(DBCompressionType::Lz4);
        let env = background::background_env().map_err(|e| open_error(e.into_string()))?;
        options.set_env(&env);
        let mut families = Vec::with_capacity(Column::ALL.len());
        for column in Column::ALL {
            let options =
                column_options::column_options(column).map_err(|e| open_error(e.into_string()))?;
            families.push(ColumnFamilyDescriptor::new(column.name(), options));
        }
        let db = DB::open_cf_descriptors(&options, &path, families).map_err(|e| {
            let message = e.into_string();
            // "While lock file: DIR/LOCK: Resource temporarily unavailable", or "lock hold by
            // current process" when this process has it open already.
            if message.contains("/LOCK") || message.contains("lock hold") {
                StoreError::Locked { path: path.clone() }
            } else {
                open_error(message)
            }
        })?;
        let safety = SafetyFile::open(&path)?;
        let store = RocksStore {
            db,
            path,
            writer: Mutex::default(),
            recent: RecentTxs::default(),
            safety,
        };
        store.chain()?; // refuses a directory in another storage format
        columns::upgrade_format(&store)?;
        store.move_legacy_safety()?;
        Ok(store)
    }

    /// Moves a safety state that earlier versions kept in the `wal` column (the state under
    /// `safety`, decided blocks under `pending‖height`) into the safety files, then deletes it
    /// from `wal`.
    fn move_legacy_safety(&self) -> Result<(), StoreError> {
        if self.safety.has_record() {
            return Ok(());
        }
        let Some(bytes) = self.get(Column::Wal, layout::SAFETY_KEY)? else {
            return Ok(());
        };
        let safety = layout::decode_safety(&bytes)?;
        let mut pending = Vec::new();
        let mut stale = WriteSet::default();
        self.for_each(Column::Wal, &mut |key, value| {
            if layout::pending_height(key).is_some() {
                let mut r = vellum_protocol::encoding::Reader::new(value);
                let found = layout::decode_pending(&mut r).and_then(|p| r.finish().map(|()| p));
                pending.push(found.map_err(|e| corrupt("pending block", e))?);
            }
            stale.delete(Column::Wal, key.to_vec());
            Ok(())
        })?;
        let refs: Vec<_> = pending.iter().map(|(b, c)| (b, c)).collect();
        self.safety.save(&layout::encode_safety_record(
            &safety,
            &Default::default(),
            None,
            &refs,
        ))?;
        tracing::info!(
            pending_blocks = pending.len(),
            "moved the safety state from the store's wal column into its own files"
        );
        self.write(stale, true)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cf(&self, column: Column) -> &ColumnFamily {
        self.db
            .cf_handle(column.name())
            .expect("every column family is created when the store opens")
    }
}

impl ColumnStore for RocksStore {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.db.get_cf(self.cf(column), key).map_err(io)
    }

    fn write(&self, mut writes: WriteSet, sync: bool) -> Result<(), StoreError> {
        // Each column's memtable is a skip list that starts its search from where the last
        // insert went: keys in ascending order are found near it instead of from the top. The
        // sort is stable, so a key written twice keeps its last value.
        writes.writes.sort_by(|a, b| a.target().cmp(&b.target()));
        let mut batch = WriteBatch::default();
        for write in &writes.writes {
            match write {
                Write::Put(column, key, value) => batch.put_cf(self.cf(*column), key, value),
                Write::Delete(column, key) => batch.delete_cf(self.cf(*column), key),
            }
        }
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        self.db.write_opt(batch, &options).map_err(io)
    }

    fn load_safety_record(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.safety.load()
    }

    fn save_safety_record(&self, record: Vec<u8>) -> Result<(), StoreError> {
        self.safety.save(&record)
    }

    fn scan_back(
        &self,
        column: Column,
        prefix: &[u8],
        below: &[u8],
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut it = self.db.raw_iterator_cf(self.cf(column));
        it.seek_for_prev(below);
        if it.key() == Some(below) {
            it.prev();
        }
        let mut out = Vec::new();
        while out.len() < limit {
            match (it.key(), it.value()) {
                (Some(k), Some(v)) if k.starts_with(prefix) => out.push((k.to_vec(), v.to_vec())),
                _ => break,
            }
            it.prev();
        }
        it.status().map_err(io)?;
        Ok(out)
    }

    fn for_each(&self, column: Column, f: &mut Visitor<'_>) -> Result<(), StoreError> {
        for entry in self.db.iterator_cf(self.cf(column), IteratorMode::Start) {
            let (k, v) = entry.map_err(io)?;
            f(&k, &v)?;
        }
        Ok(())
    }

    fn writer_lock(&self) -> &Mutex<Unsaved> {
        &self.writer
    }

    fn recent_txs(&self) -> &RecentTxs {
        &self.recent
    }

    /// One table file, written beside the store with the column's options and ingested whole
    /// (moved into the store, synced): no log, memtable or flush.
    fn ingest_sorted(&self, column: Column, entries: Vec<Entry>) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let file = self.path.join(format!("ingest-{}.sst", column.name()));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::Io(format!("{}: {e}", file.display()))),
        }
        let options = column_options::column_options(column).map_err(io)?;
        let mut table = SstFileWriter::create(&options);
        table.open(&file).map_err(io)?;
        for (key, value) in &entries {
            table.put(key, value).map_err(io)?;
        }
        table.finish().map_err(io)?;
        let mut ingest = IngestExternalFileOptions::default();
        ingest.set_move_files(true);
        self.db
            .ingest_external_file_cf_opts(self.cf(column), &ingest, vec![&file])
            .map_err(io)
    }
}

mod background;
mod column_options;
#[cfg(test)]
mod tests;
