//! What the running node's tasks share: the store, the committed state, the live event
//! channels, the command channel into the driver task, and whether the mempool is full (the
//! RPC then refuses submissions without sending them on).
//!
//! The driver task is the only writer. It updates `state` and sends on the event channels only
//! after the block is in the store, so a reader that subscribes first and reads second misses
//! nothing (the rule `rpc::backend` relies on).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{broadcast, mpsc, oneshot};
use vellum_protocol::rpc::{AccountEvent, BlockView, TxInfo};
use vellum_protocol::{Address, Hash, LedgerState, SignedTransaction};

use crate::mempool::{AdmissionError, Removal};
use crate::network::NetworkStats;
use crate::store::Store;

/// Requests from other tasks to the driver task, which owns the mempool.
#[derive(Debug)]
pub enum Command {
    /// Admit transactions (and gossip the admitted ones); one answer per transaction.
    Submit(
        Vec<SignedTransaction>,
        oneshot::Sender<Vec<Result<Hash, AdmissionError>>>,
    ),
    /// Whether a transaction is not final yet (in the mempool, or in a block not durable yet).
    IsPending(Hash, oneshot::Sender<bool>),
    /// The next nonce after the sender's transactions that are not final yet, if any.
    PendingNonce(Address, oneshot::Sender<Option<u64>>),
}

/// How many evicted transactions the node remembers, for `tx_get`.
pub const EVICTED_MEMORY: usize = 100_000;

/// Transactions that left the mempool without being committed, newest kept.
#[derive(Debug, Default)]
pub struct Evicted {
    by_hash: HashMap<Hash, Removal>,
    order: VecDeque<Hash>,
}

impl Evicted {
    pub fn record(&mut self, hash: Hash, why: Removal) {
        if self.by_hash.insert(hash, why).is_none() {
            self.order.push_back(hash);
            if self.order.len() > EVICTED_MEMORY
                && let Some(old) = self.order.pop_front()
            {
                self.by_hash.remove(&old);
            }
        }
    }
    pub fn get(&self, hash: &Hash) -> Option<&Removal> {
        self.by_hash.get(hash)
    }
}

/// The node's shared view.
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub chain_id: String,
    pub genesis_hash: Hash,
    pub decimals: u8,
    /// The state after the latest committed block.
    pub state: RwLock<LedgerState>,
    pub evicted: Mutex<Evicted>,
    pub commands: mpsc::Sender<Command>,
    pub blocks: broadcast::Sender<BlockView>,
    pub accounts: broadcast::Sender<AccountEvent>,
    pub txs: broadcast::Sender<TxInfo>,
    pub network: Arc<NetworkStats>,
    /// Heights the best known peer is ahead (0 when synced).
    pub sync_lag: std::sync::atomic::AtomicU64,
    /// The refusal of a full mempool while it is full, as the driver task saw it after its
    /// last turn: the RPC then refuses submissions without reading them (`RpcBackend::refusing`).
    pub full: Mutex<Option<AdmissionError>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Sends `command` to the driver task and waits for the answer from a blocking context
    /// (the RPC server runs backend calls on tokio's blocking pool).
    pub fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.commands.blocking_send(make(tx)).ok()?;
        rx.blocking_recv().ok()
    }
}

/// A shared handle.
pub type SharedHandle = Arc<Shared>;
