//! RocksDB's background work (memtable flushes, compactions) yields the CPU to the node.
//!
//! A flush turns a full memtable into a table file: about 0.3-0.5 s of CPU for a 64 MiB
//! `history` memtable at 8,000 tx/s (memtables are 32 MiB now, see `column_options.rs`), on a
//! thread of its own. When it ran at the priority of the node's own threads it took its share
//! of the cores exactly when they were needed for the next heights, and on a machine that
//! hosts several validators (the localnet, the bench) every node writes the same bytes, so all
//! of them flush in the same second: on 2026-12-05 four flushes of `history` started within
//! 30 ms of each other and commits stalled for 0.4-0.5 s.
//!
//! Nothing waits for a flush or a compaction to finish: a block is durable once its batch is
//! in the write-ahead log. So both thread pools run at the lowest CPU priority (nice 19) and
//! fill the time the node leaves idle. Should they fall behind under a sustained overload,
//! RocksDB slows the writer once two memtables of a column are full, and the writer then
//! leaves them the CPU: back-pressure, not loss.

use rocksdb::Env;

/// The environment the store opens with: RocksDB's process-wide default, its flush (high) and
/// compaction (low) pools at the lowest CPU priority.
pub fn background_env() -> Result<Env, rocksdb::Error> {
    let mut env = Env::new()?;
    env.lower_high_priority_thread_pool_cpu_priority();
    env.lower_thread_pool_cpu_priority();
    Ok(env)
}
