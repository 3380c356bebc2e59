//! The conformance suite on RocksDB, and what only a directory on disk can show: the lock, the
//! storage format check.

use super::RocksStore;
use crate::store::StoreError;
use crate::store::layout::{Column, ColumnStore, WriteSet, meta};

crate::store_suite!({
    let dir = tempfile::tempdir().unwrap();
    move || RocksStore::open(dir.path()).unwrap()
});

#[test]
fn a_directory_in_use_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let first = RocksStore::open(dir.path()).unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert_eq!(
        err,
        StoreError::Locked {
            path: dir.path().to_path_buf()
        }
    );
    assert!(err.to_string().contains("another vellum-node is using"));
    drop(first);
    RocksStore::open(dir.path()).unwrap();
}

#[test]
fn a_directory_in_another_storage_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    let mut w = WriteSet::default();
    w.put(Column::Meta, meta::FORMAT, 99u32.to_be_bytes().to_vec());
    store.write(w, true).unwrap();
    drop(store);
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert_eq!(
        err,
        StoreError::UnsupportedFormat {
            expected: crate::store::layout::FORMAT,
            found: 99
        }
    );
}

#[test]
fn a_key_written_twice_in_one_batch_keeps_its_last_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    let mut w = WriteSet::default();
    // Out of key order, so the batch is sorted before it is written.
    w.put(Column::History, b"z".to_vec(), b"1".to_vec());
    w.put(Column::History, b"a".to_vec(), b"1".to_vec());
    w.put(Column::History, b"z".to_vec(), b"2".to_vec());
    w.put(Column::History, b"a".to_vec(), b"2".to_vec());
    w.delete(Column::History, b"a".to_vec());
    w.put(Column::Txs, b"a".to_vec(), b"other column".to_vec());
    store.write(w, true).unwrap();
    assert_eq!(
        store.get(Column::History, b"z").unwrap(),
        Some(b"2".to_vec())
    );
    assert_eq!(store.get(Column::History, b"a").unwrap(), None);
    assert_eq!(
        store.get(Column::Txs, b"a").unwrap(),
        Some(b"other column".to_vec())
    );
}

#[test]
fn a_safety_state_kept_in_the_wal_column_moves_into_its_files() {
    use vellum_consensus::{SafetyState, SignedPosition, Step};
    use vellum_protocol::Encode;

    use crate::store::Store;
    use crate::store::layout::{SAFETY_KEY, encode_safety, pending_key};
    use crate::store::suite::chain::TestChain;

    let mut chain = TestChain::new("rocks-move-safety", 4);
    let genesis = chain.state.clone();
    let pending = chain.mixed_block();
    let safety = SafetyState {
        last_signed: Some(SignedPosition {
            height: 2,
            round: 1,
            step: Step::Precommit,
            block: None,
        }),
        locked: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    store.init_genesis(&chain.identity, &genesis).unwrap();
    // What an older node left: the state and a pending block in `wal`, no safety files.
    let mut w = WriteSet::default();
    w.put(Column::Wal, SAFETY_KEY, encode_safety(&safety));
    let mut value = pending.block.to_bytes();
    value.extend(pending.certificate.to_bytes());
    w.put(Column::Wal, pending_key(1), value);
    store.write(w, true).unwrap();
    drop(store);
    for name in ["safety-a", "safety-b"] {
        std::fs::remove_file(dir.path().join(name)).unwrap();
    }

    let store = RocksStore::open(dir.path()).unwrap();
    assert_eq!(store.load_safety().unwrap(), Some(safety));
    let found = store.pending_blocks(0).unwrap();
    assert_eq!(
        found,
        vec![(pending.block.clone(), pending.certificate.clone())]
    );
    assert_eq!(store.get(Column::Wal, SAFETY_KEY).unwrap(), None);
    assert_eq!(store.get(Column::Wal, &pending_key(1)).unwrap(), None);
    drop(store);
    assert_eq!(
        RocksStore::open(dir.path()).unwrap().load_safety().unwrap(),
        Some(safety)
    );
}

#[test]
fn each_column_has_the_options_its_keys_need() {
    let dir = tempfile::tempdir().unwrap();
    drop(RocksStore::open(dir.path()).unwrap());
    let options = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("OPTIONS-")
        })
        .max()
        .expect("RocksDB writes an OPTIONS file");
    let text = std::fs::read_to_string(options).unwrap();
    // Each section starts with its kind and column family; read the settings up to the next.
    let part = |kind: &str, name: &str| -> String {
        let start = text
            .find(&format!("[{kind} \"{name}\"]"))
            .unwrap_or_else(|| panic!("no {kind} for {name}"));
        let rest = &text[start + 1..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
    };
    let section = |name: &str| part("CFOptions", name);
    let table = |name: &str| part("TableOptions/BlockBasedTable", name);
    for name in ["history", "state"] {
        assert!(
            section(name)
                .contains("memtable_insert_with_hint_prefix_extractor=rocksdb.CappedPrefix.20"),
            "{name}"
        );
    }
    for name in ["blocks", "txs"] {
        assert!(
            section(name).contains("memtable_insert_with_hint_prefix_extractor=nullptr"),
            "{name}"
        );
    }
    // Columns looked up by hash answer misses from bloom filters, in memory and on disk.
    for name in ["txs", "block_hashes"] {
        assert!(
            section(name).contains("memtable_whole_key_filtering=true"),
            "{name}"
        );
        assert!(
            table(name).contains("filter_policy=bloomfilter"),
            "{name}: {}",
            table(name)
        );
    }
    assert!(section("history").contains("memtable_whole_key_filtering=false"));
    assert!(table("history").contains("filter_policy=nullptr"));
    // Memtables of 32 MiB (RocksDB's default is 64 MiB) in every column.
    for name in [
        "blocks",
        "block_hashes",
        "txs",
        "history",
        "state",
        "meta",
        "wal",
    ] {
        assert!(
            section(name).contains("write_buffer_size=33554432"),
            "{name}"
        );
    }
}

/// The nice value of each of this process's threads whose name starts with `prefix`.
fn nice_of_threads(prefix: &str) -> Vec<i64> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let Ok(name) = std::fs::read_to_string(dir.join("comm")) else {
            continue; // the thread ended
        };
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        if !name.starts_with(prefix) {
            continue;
        }
        // After "pid (comm) ", field 19 of stat(5) is the nice value: the 17th from here.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        found.push(fields[16].parse().unwrap());
    }
    found
}

#[test]
fn flushes_and_compactions_run_at_the_lowest_cpu_priority() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    for round in 0u8..2 {
        let mut w = WriteSet::default();
        for i in 0u8..=255 {
            w.put(Column::History, vec![i, round], vec![round; 100]);
        }
        store.write(w, true).unwrap();
        // A thread takes its pool's priority when it next runs a job: a flush for the high
        // pool, the compaction of the two table files for the low one.
        store.db.flush_cf(store.cf(Column::History)).unwrap();
    }
    store
        .db
        .compact_range_cf(store.cf(Column::History), None::<&[u8]>, None::<&[u8]>);
    for pool in ["rocksdb:high", "rocksdb:low"] {
        let nice = nice_of_threads(pool);
        assert!(nice.contains(&19), "{pool} threads' nice values: {nice:?}");
    }
}

/// A format 1 directory held every block's `txs` entries and no outcomes: format 2 reads it
/// as it is, and marks it so that an earlier node refuses it.
#[test]
fn a_format_1_directory_is_upgraded_and_keeps_every_transaction() {
    use crate::store::Store;
    use crate::store::layout::{FORMAT, height_key, txs_value};
    use crate::store::suite::chain::TestChain;

    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    let mut chain = TestChain::new("format-1", 4);
    store.init_genesis(&chain.identity, &chain.state).unwrap();
    let mut blocks: Vec<_> = (0..3).map(|_| chain.mixed_block()).collect();
    let mut w = WriteSet::default();
    for c in &blocks {
        store.commit_block(&c.commit()).unwrap();
        let height = c.block.height();
        for r in &c.receipts {
            w.put(Column::Txs, r.tx_hash.0, txs_value(height, r));
        }
        w.delete(Column::Outcomes, height_key(height));
    }
    w.put(Column::Meta, meta::FORMAT, 1u32.to_be_bytes().to_vec());
    store.write(w, true).unwrap();
    drop(store);

    let store = RocksStore::open(dir.path()).unwrap();
    let format = store.get(Column::Meta, meta::FORMAT).unwrap().unwrap();
    assert_eq!(format, FORMAT.to_be_bytes());
    blocks.push(chain.mixed_block());
    store.commit_block(&blocks[3].commit()).unwrap();
    drop(store);
    let store = RocksStore::open(dir.path()).unwrap();
    for c in &blocks {
        for (tx, r) in c.block.txs.iter().zip(&c.receipts) {
            let record = store.tx(&r.tx_hash).unwrap().expect("a committed tx");
            assert_eq!(
                (record.height, &record.tx, &record.receipt),
                (c.block.height(), tx, r)
            );
        }
    }
}
