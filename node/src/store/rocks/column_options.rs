//! Each column family's options, chosen for how its keys are written and looked up.
//!
//! Writes. Every committed transaction writes keys that land at random places of large
//! memtables: its hash in `txs` (until format 2, below), its sender's and recipient's
//! history entries (address first), and, at each state checkpoint, the accounts changed in
//! `state` (address). In RocksDB's skip list memtable (64 MiB when this was measured), each
//! such insert searches from the top of the list and misses the cache at nearly every level:
//! at 7,000 tx/s the block writers' skip list searches were a tenth of the machine (perf,
//! 2026-12-05), more than anything but signature verification.
//!
//! `history` and `state` therefore remember, per address, where the last insert went
//! (`memtable_insert_with_hint_prefix_extractor`, the first 20 bytes): an address's next
//! history entry goes right after its last one, and its account's new version beside the
//! previous one, so the search starts there instead of at the top. Reads and the memtable's
//! order are unchanged.
//!
//! `txs` is written at state checkpoints as one ingested table file (`store/recent.rs`), so
//! its memtable takes no inserts but a format 1 store's. Before, it kept the plain skip list:
//! a hash has no neighbour to start from. Writing each
//! block's hashes in ascending order under one hint for the whole column took its skip list
//! searches from 4.1% of the machine to 3.0% at 12,000 offered, yet lost most interleaved
//! runs at 15,000 (docs/PERFORMANCE.md, fourteenth session), so it was not kept. A hash
//! memtable (`HashLinkList`) made its inserts cheap, but only defers the cost: a flush (or any
//! ordered read) first copies such a memtable into a sorted list, key by key, which a 30 s
//! bench never reaches. Over 60 s at 10,000 tx/s it ran worse than the skip list in both
//! pairs tried (commit gaps of 2.4 and 4.1 s, 640 MiB peak RSS; docs/PERFORMANCE.md).
//!
//! Lookups. `txs` and `block_hashes` are read by hash, often for a key that is not there (a
//! `tx_get` of a pending transaction; a submission refused for its nonce, which may be a
//! committed one sent again): both have bloom filters, in the memtable and in each table
//! file, so such a miss costs no search.
//!
//! Size. Every column's memtable is 32 MiB, half RocksDB's default, to bound each node's
//! memory ([`WRITE_BUFFER_BYTES`]).

use rocksdb::{BlockBasedOptions, DBCompressionType, Options};

use crate::store::layout::Column;

/// Each column's memtable size, half RocksDB's default. Two columns fill a memtable under
/// load (`blocks`, `history`; `txs` did too before format 2), each holding up to two (one
/// filling, one flushing), and every validator of a machine holds its own: with 64 MiB each
/// node's peak RSS at 10,000 tx/s was 344-370 MiB, with 32 MiB 280-333 MiB at the same
/// throughput (docs/PERFORMANCE.md, eighth session).
const WRITE_BUFFER_BYTES: usize = 32 << 20;

/// The options of `column`'s column family.
pub fn column_options(column: Column) -> Result<Options, rocksdb::Error> {
    let mut cf = match column {
        // The address, at the start of both keys.
        Column::History | Column::State => Options::default().get_options_from_string(
            "memtable_insert_with_hint_prefix_extractor=rocksdb.CappedPrefix.20",
        )?,
        // Looked up by hash, often for a key that is not there (until the ninth session every
        // submitted transaction was first looked for among the committed). Bloom filters, in
        // the memtable and in each table file, answer most such misses without a search: the
        // memtable's skip list searches on the RPC threads were 1.5% of the machine at 7,000
        // tx/s and 3.1% at 11,000 offered, and without a filter a miss also reads an index
        // block of every table file.
        Column::Txs | Column::BlockHashes => {
            let mut cf = Options::default();
            cf.set_memtable_prefix_bloom_ratio(0.02);
            cf.set_memtable_whole_key_filtering(true);
            let mut table = BlockBasedOptions::default();
            table.set_bloom_filter(10.0, false);
            cf.set_block_based_table_factory(&table);
            cf
        }
        _ => Options::default(),
    };
    cf.set_compression_type(DBCompressionType::Lz4);
    cf.set_write_buffer_size(WRITE_BUFFER_BYTES);
    Ok(cf)
}
