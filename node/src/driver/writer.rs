//! The block writer: committed blocks reach the store on a thread of their own, so the next
//! height does not wait for the write.
//!
//! Written in line, a block's store batch (encoding, RocksDB's memtable inserts, the synced log
//! write) came between its commit and the next height's proposal or prevote: 15-19% of a
//! node's CPU under load and one fsync per height on the consensus path. The writer overlaps
//! it with the next height's start (building or validating its block).
//!
//! Rules:
//! - Blocks are written in the order they are handed over, each as the store's one atomic,
//!   synced batch; the `after` callback (the RPC's state and its subscribers'
//!   events) runs for a block once it is durable.
//! - A signature at height `h + 1` needs block `h` recoverable after a crash: were a
//!   validator's persisted safety state above a block it cannot recover, validators that all
//!   crashed with a block still queued would hold signatures above a block none of them
//!   stored, their guards would refuse to sign it again, and the chain would stop. So the
//!   driver saves every block up to `h` that the writer has not made durable
//!   ([`BlockWriter::not_durable_up_to`]) with the signature's own synced safety state
//!   (`Store::save_safety_with`), and a restarted driver commits those first
//!   ([`commit_pending`]). The signer never waits for the writer.
//! - A write that fails stops the node (as in line, the driver panics at its next use of the
//!   writer): a committed block that cannot be stored must not be built upon.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use vellum_protocol::{LedgerState, VerifyAll, apply_block};

use crate::store::{BlockCommit, Store};

use super::{CommittedBlock, DriverError};

/// Called with each block once it is durable.
pub type After = Box<dyn FnMut(&CommittedBlock) + Send>;

/// Blocks handed over and not yet written, at most (the node task waits beyond it).
const QUEUE: usize = 64;

/// Where committed blocks go.
pub struct BlockWriter {
    mode: Mode,
    progress: Arc<Progress>,
}

enum Mode {
    /// Written before `submit` returns (tests and tools).
    Inline { store: Arc<dyn Store> },
    Thread {
        jobs: Option<SyncSender<Arc<CommittedBlock>>>,
        thread: Option<JoinHandle<()>>,
        /// Blocks handed over and perhaps not written yet, oldest first.
        queued: VecDeque<Arc<CommittedBlock>>,
    },
}

/// How far writing got: the highest height durable (written and synced), or why writing
/// stopped.
struct Progress {
    state: Mutex<Heights>,
    changed: Condvar,
}

struct Heights {
    durable: u64,
    error: Option<String>,
}

impl Progress {
    fn new(height: u64) -> Arc<Progress> {
        Arc::new(Progress {
            state: Mutex::new(Heights {
                durable: height,
                error: None,
            }),
            changed: Condvar::new(),
        })
    }
    fn update(&self, f: impl FnOnce(&mut Heights)) {
        f(&mut self.state.lock().expect("not poisoned"));
        self.changed.notify_all();
    }
    /// Waits until `reached` holds or writing stopped; false if it stopped first.
    #[cfg(test)]
    fn wait(&self, reached: impl Fn(&Heights) -> bool) -> bool {
        let mut state = self.state.lock().expect("not poisoned");
        while !reached(&state) && state.error.is_none() {
            state = self.changed.wait(state).expect("not poisoned");
        }
        reached(&state)
    }
}

impl BlockWriter {
    /// Writes each block before [`BlockWriter::submit`] returns; `store` holds the chain up
    /// to `stored_height`.
    pub fn inline(store: Arc<dyn Store>, stored_height: u64) -> BlockWriter {
        BlockWriter {
            mode: Mode::Inline { store },
            progress: Progress::new(stored_height),
        }
    }

    /// Writes blocks on a thread of its own, calling `after` for each once it is durable;
    /// `store` holds the chain up to `stored_height`. Dropping the writer writes what is
    /// queued, then ends the thread.
    pub fn spawn(store: Arc<dyn Store>, stored_height: u64, after: After) -> BlockWriter {
        let progress = Progress::new(stored_height);
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let shared = Arc::clone(&progress);
        let thread = std::thread::Builder::new()
            .name("block-writer".into())
            .spawn(move || write_queue(store, queue, shared, after))
            .expect("cannot start the block writer thread");
        BlockWriter {
            mode: Mode::Thread {
                jobs: Some(jobs),
                thread: Some(thread),
                queued: VecDeque::new(),
            },
            progress,
        }
    }

    /// Hands over the next committed block.
    pub fn submit(&mut self, block: Arc<CommittedBlock>) {
        match &mut self.mode {
            Mode::Inline { store } => {
                if let Err(error) = store_block(&**store, &block) {
                    panic!("{error}");
                }
                self.progress.update(|p| p.durable = block.block.height());
            }
            Mode::Thread { jobs, queued, .. } => {
                queued.push_back(Arc::clone(&block));
                let sent = jobs.as_ref().is_some_and(|j| j.send(block).is_ok());
                if !sent {
                    self.stopped();
                }
            }
        }
    }

    /// The blocks up to `height` handed over and not durable yet (written and synced),
    /// oldest first.
    pub fn not_durable_up_to(&mut self, height: u64) -> Vec<Arc<CommittedBlock>> {
        let Mode::Thread { queued, .. } = &mut self.mode else {
            return Vec::new();
        };
        let durable = self.progress.state.lock().expect("not poisoned").durable;
        queued.retain(|c| c.block.height() > durable);
        queued
            .iter()
            .take_while(|c| c.block.height() <= height)
            .cloned()
            .collect()
    }

    /// Returns once every block up to `height` is durable.
    #[cfg(test)]
    pub fn wait_durable(&self, height: u64) {
        if !self.progress.wait(|p| p.durable >= height) {
            self.stopped();
        }
    }

    fn stopped(&self) -> ! {
        let error = self
            .progress
            .state
            .lock()
            .expect("not poisoned")
            .error
            .clone();
        let error = error.unwrap_or_else(|| "the writer thread is gone".into());
        panic!("the block writer stopped: {error}");
    }
}

impl Drop for BlockWriter {
    fn drop(&mut self) {
        if let Mode::Thread { jobs, thread, .. } = &mut self.mode {
            jobs.take();
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl std::fmt::Debug for BlockWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            Mode::Inline { .. } => "inline",
            Mode::Thread { .. } => "thread",
        };
        let durable = self
            .progress
            .state
            .lock()
            .map(|s| s.durable)
            .unwrap_or_default();
        f.debug_struct("BlockWriter")
            .field("mode", &mode)
            .field("durable", &durable)
            .finish()
    }
}

/// Commits the decided blocks a previous run saved with its safety state but had not stored
/// (it stopped first), then forgets every pending copy: the state after them.
pub fn commit_pending(
    store: &dyn Store,
    mut state: LedgerState,
) -> Result<LedgerState, DriverError> {
    for (block, cert) in store.pending_blocks(state.height())? {
        let height = block.height();
        if height != state.height() + 1 {
            break;
        }
        let proven = cert.verify(state.chain_id(), height, block.hash(), state.validators());
        let applied = apply_block(&state, &block, &VerifyAll);
        let (after, receipts) = match (proven, applied) {
            (Ok(()), Ok(applied)) => applied,
            (proven, applied) => {
                let why = format!("{:?} / {:?}", proven.err(), applied.err());
                tracing::warn!(height, %why, "a pending block does not apply; left to sync");
                break;
            }
        };
        store.commit_block(&BlockCommit::new(&block, &receipts, &cert, &after))?;
        tracing::info!(height, "committed a block saved with the safety state");
        state = after;
    }
    store.forget_pending(state.height())?;
    Ok(state)
}

/// Commits `c` to `store` (one atomic, synced batch); the error says which block failed.
fn store_block(store: &dyn Store, c: &CommittedBlock) -> Result<(), String> {
    let commit =
        BlockCommit::new(&c.block, &c.receipts, &c.certificate, &c.state).with_changed(&c.changed);
    store.commit_block(&commit).map_err(|e| {
        let height = c.block.height();
        tracing::error!(height, error = %e, "cannot store a committed block; stopping");
        format!("cannot store committed block {height}: {e}")
    })
}

fn write_queue(
    store: Arc<dyn Store>,
    queue: Receiver<Arc<CommittedBlock>>,
    progress: Arc<Progress>,
    mut after: After,
) {
    for block in queue {
        let height = block.block.height();
        let started = std::time::Instant::now();
        if let Err(error) = store_block(&*store, &block) {
            progress.update(|p| p.error = Some(error));
            return;
        }
        progress.update(|p| p.durable = height);
        tracing::debug!(
            height,
            micros = started.elapsed().as_micros() as u64,
            "block durable"
        );
        after(&block);
    }
}
