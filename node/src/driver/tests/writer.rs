//! The block writer's thread under the driver: blocks stored in order and announced once
//! durable, a failed write stopping the driver, blocks saved with the safety state surviving a
//! crash, and a committed transaction reading as pending until its block is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use vellum_protocol::Address;

use super::{Net, config};
use crate::driver::{BlockWriter, Driver, Effect};
use crate::mempool::{Mempool, MempoolConfig};
use crate::store::{MemoryStore, Store};

/// A lone validator whose blocks go through a writer thread; `after` records each announced
/// height with the height its store held at that moment.
fn with_writer_thread(net: &mut Net) -> Arc<std::sync::Mutex<Vec<(u64, u64)>>> {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store: Arc<dyn Store> = net.stores[0].clone();
    let (record, reader) = (Arc::clone(&seen), Arc::clone(&store));
    let writer = BlockWriter::spawn(
        store,
        0,
        Box::new(move |c| {
            let stored = reader.latest_height().unwrap();
            record.lock().unwrap().push((c.block.height(), stored));
        }),
    );
    let driver = Net::open(&net.stores[0], &net.keys[0], net.now).with_writer(writer);
    net.drivers[0] = driver;
    seen
}

#[test]
fn the_writer_thread_stores_in_order_and_nothing_is_signed_above_an_unrecoverable_block() {
    let mut net = Net::new(1);
    let seen = with_writer_thread(&mut net);
    for nonce in 0..3 {
        net.submit(0, net.transfer(nonce, 10));
        let height = net.drivers[0].state().height();
        assert_eq!(height, nonce + 1);
        // This height was signed: the block below is stored, or saved with the safety state.
        let pending = net.stores[0].pending_blocks(0).unwrap();
        let stored = net.stores[0].latest_height().unwrap();
        assert!(stored >= height - 1 || pending.iter().any(|(b, _)| b.height() == height - 1));
    }
    // Dropping the driver drops its writer, which writes what is queued first.
    net.drivers.clear();
    assert_eq!(net.stores[0].latest_height().unwrap(), 3);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(h, _)| *h).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(
        seen.iter().all(|(h, stored)| stored >= h),
        "announced before durable: {seen:?}"
    );
}

#[test]
fn a_block_the_writer_cannot_store_stops_the_driver() {
    let mut net = Net::new(1);
    let mut committed = Vec::new();
    for nonce in 0..2 {
        let mut effects = Vec::new();
        let tx = net.transfer(nonce, 10);
        net.drivers[0].submit(vec![tx], net.now, &mut effects);
        committed.extend(effects.into_iter().filter_map(|e| match e {
            Effect::Committed(c) => Some(c),
            _ => None,
        }));
    }
    assert_eq!(committed.len(), 2);
    // A fresh store of the same chain, at height 0: block 2 does not follow its tip.
    let fresh = Net::new(1);
    let store: Arc<dyn Store> = fresh.stores[0].clone();
    let mut writer = BlockWriter::spawn(store, 0, Box::new(|_| {}));
    writer.submit(Arc::clone(&committed[1]));
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        writer.wait_durable(2);
    }));
    let message = stopped.expect_err("the writer must stop");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("cannot store committed block 2"),
        "{message}"
    );
    assert_eq!(fresh.stores[0].latest_height().unwrap(), 0);
}

/// A memory store whose block writes (those made on the writer thread) wait until opened.
struct GatedStore {
    inner: MemoryStore,
    open: AtomicBool,
    /// Then the writer thread's writes fail (the node "dies" before they land).
    fail: AtomicBool,
}

impl crate::store::ColumnStore for GatedStore {
    fn get(
        &self,
        column: crate::store::Column,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, crate::store::StoreError> {
        self.inner.get(column, key)
    }
    fn write(
        &self,
        writes: crate::store::WriteSet,
        sync: bool,
    ) -> Result<(), crate::store::StoreError> {
        if std::thread::current().name() == Some("block-writer") {
            while !self.open.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            if self.fail.load(Ordering::SeqCst) {
                return Err(crate::store::StoreError::Io("the node died".into()));
            }
        }
        self.inner.write(writes, sync)
    }
    fn scan_back(
        &self,
        column: crate::store::Column,
        prefix: &[u8],
        below: &[u8],
        limit: usize,
    ) -> Result<Vec<crate::store::Entry>, crate::store::StoreError> {
        self.inner.scan_back(column, prefix, below, limit)
    }
    fn for_each(
        &self,
        column: crate::store::Column,
        f: &mut crate::store::Visitor<'_>,
    ) -> Result<(), crate::store::StoreError> {
        self.inner.for_each(column, f)
    }
    fn writer_lock(&self) -> &std::sync::Mutex<crate::store::Unsaved> {
        self.inner.writer_lock()
    }
    fn recent_txs(&self) -> &crate::store::RecentTxs {
        self.inner.recent_txs()
    }
}

/// A driver for `net`'s lone validator over a [`GatedStore`] copy of its store, with a writer
/// thread whose writes wait at the gate.
fn gated_driver(net: &Net) -> (Arc<GatedStore>, Driver) {
    let gated = Arc::new(GatedStore {
        inner: (*net.stores[0]).clone(),
        open: AtomicBool::new(false),
        fail: AtomicBool::new(false),
    });
    let store: Arc<dyn Store> = gated.clone();
    let driver = Driver::open(
        config(),
        store.clone(),
        net.keys[0].clone(),
        Mempool::new(MempoolConfig::default()),
        net.now,
    )
    .unwrap()
    .with_writer(BlockWriter::spawn(store, 0, Box::new(|_| {})));
    (gated, driver)
}

#[test]
fn a_block_saved_with_the_safety_state_is_committed_after_a_crash() {
    let net = Net::new(1);
    let (gated, mut driver) = gated_driver(&net);
    // Blocks 1 and 2 are decided at once (a lone validator); their writes wait at the gate,
    // and height 2 is signed without waiting: block 1 goes with its safety state.
    let mut effects = Vec::new();
    driver.submit(vec![net.transfer(0, 10)], net.now, &mut effects);
    driver.submit(vec![net.transfer(1, 10)], net.now, &mut effects);
    assert_eq!(driver.state().height(), 2);
    let pending = gated.inner.pending_blocks(0).unwrap();
    assert_eq!(
        pending.iter().map(|(b, _)| b.height()).collect::<Vec<_>>(),
        vec![1]
    );
    // The node dies before the writer stores anything.
    gated.fail.store(true, Ordering::SeqCst);
    gated.open.store(true, Ordering::SeqCst);
    drop(driver);
    assert_eq!(gated.inner.latest_height().unwrap(), 0);
    // Restarted, it commits block 1 first; block 2 (no signature above it) comes from peers.
    let inner = Arc::new(gated.inner.clone());
    let reopened = Net::open(&inner, &net.keys[0], net.now);
    assert_eq!(reopened.state().height(), 1);
    assert_eq!(inner.latest_height().unwrap(), 1);
    assert!(inner.pending_blocks(0).unwrap().is_empty());
}

/// Between a commit and its block's write, the transaction has left the mempool and is not in
/// the store: it must still read as pending (and its sender's nonce as used), or a client
/// would hear "unknown" and send it again, only to be refused as a replay.
#[test]
fn a_committed_transaction_not_yet_durable_is_pending_with_its_nonce_used() {
    let net = Net::new(1);
    let (gated, mut driver) = gated_driver(&net);
    // Declared after the driver, so dropped first: a failed assertion opens the gate and the
    // writer's thread can end, instead of the test hanging.
    struct OpenOnDrop<'a>(&'a GatedStore);
    impl Drop for OpenOnDrop<'_> {
        fn drop(&mut self) {
            self.0.open.store(true, Ordering::SeqCst);
        }
    }
    let _gate = OpenOnDrop(&gated);
    let tx = net.transfer(0, 10);
    let sender = Address::from_public_key(&net.user.public());
    let mut effects = Vec::new();
    driver.submit(vec![tx.clone()], net.now, &mut effects);
    assert_eq!(driver.state().height(), 1);
    assert!(!driver.mempool().contains(&tx.hash()));
    assert!(
        driver.is_pending(&tx.hash()),
        "committed, not durable: pending"
    );
    assert_eq!(driver.pending_nonce(&sender), Some(1));
    // Once the block is durable, the store answers instead.
    gated.open.store(true, Ordering::SeqCst);
    driver.writer.wait_durable(1);
    assert!(!driver.is_pending(&tx.hash()));
    assert_eq!(driver.pending_nonce(&sender), None);
    assert!(gated.inner.tx(&tx.hash()).unwrap().is_some());
}
