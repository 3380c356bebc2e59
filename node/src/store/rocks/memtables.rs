//! Each column family's options, chosen for where its keys land in the memtable.
//!
//! Every committed transaction writes keys that land at random places of large memtables: its
//! hash in `txs`, its sender's and recipient's history entries (address first), and their
//! accounts in `state` (address). In RocksDB's default memtable, a skip list of 64 MiB, each
//! such insert searches from the top of the list and misses the cache at nearly every level:
//! at 7,000 tx/s the block writers' skip list searches were a tenth of the machine (perf,
//! 2026-12-05), more than anything but signature verification. So:
//!
//! - `history` and `state` keep their skip lists (they are read in order) but remember, per
//!   address, where the last insert went (`memtable_insert_with_hint_prefix_extractor`, the
//!   first 20 bytes): an address's next entry goes right after its last one (history), or
//!   beside its previous version (state), so the search starts there.
//! - `txs` and `block_hashes`, read only by exact key, use a hash table of short lists
//!   (`HashLinkList`, the whole key as the prefix): an insert is one bucket away. Reads by key
//!   work as before; iterating them in order (never done by the node) would copy the memtable.
//!
//! Neither changes what is stored or read: only the in-memory write path.

use rocksdb::{DBCompressionType, MemtableFactory, Options, SliceTransform};

use crate::store::StoreError;
use crate::store::layout::Column;

/// Buckets of `txs`' hash memtable: about one per key a 64 MiB memtable holds (4 MiB of
/// bucket array).
const TX_BUCKETS: usize = 1 << 19;

/// Buckets of `block_hashes`' hash memtable: one key per block.
const BLOCK_BUCKETS: usize = 1 << 12;

/// The options of `column`'s column family.
pub fn column_options(column: Column) -> Result<Options, StoreError> {
    let mut cf = match column {
        // The address, at the start of both keys.
        Column::History | Column::State => Options::default()
            .get_options_from_string(
                "memtable_insert_with_hint_prefix_extractor=rocksdb.CappedPrefix.20",
            )
            .map_err(|e| StoreError::Io(e.into_string()))?,
        _ => Options::default(),
    };
    cf.set_compression_type(DBCompressionType::Lz4);
    let buckets = match column {
        Column::Txs => Some(TX_BUCKETS),
        Column::BlockHashes => Some(BLOCK_BUCKETS),
        _ => None,
    };
    if let Some(bucket_count) = buckets {
        cf.set_prefix_extractor(SliceTransform::create_noop());
        cf.set_memtable_factory(MemtableFactory::HashLinkList { bucket_count });
    }
    Ok(cf)
}
