//! The permissioned validator network over libp2p: TCP, Noise and Yamux; gossip of consensus
//! messages and transaction batches, validated before they are forwarded; block sync by
//! request and response.
//!
//! [`Network::start`] spawns one tokio task that owns the swarm. The rest of the node talks to
//! it through a cloneable [`NetworkHandle`] and receives [`NetworkEvent`]s on a channel.
//!
//! # Layout
//! - [`wire`]: the messages and their byte limits, in the canonical encoding; [`outline`]: the
//!   block without its transactions that a compact proposal carries.
//! - [`validate`]: what a gossip message must pass before it is delivered or forwarded.
//! - [`permission`]: refuses peers that are neither validators nor configured observers.
//! - [`sync`]: the block-sync protocol and the [`BlockSource`] it answers from.
//! - `behaviour`: the composed libp2p behaviour and its gossipsub settings.
//! - `event_loop`: the swarm task.

mod behaviour;
mod event_loop;
pub mod outline;
pub mod permission;
pub mod sync;
pub mod validate;
pub mod wire;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, RwLock};

use libp2p::{Multiaddr, PeerId, identity::Keypair};
use tokio::sync::{mpsc, oneshot};
use vellum_protocol::block::Block;
use vellum_protocol::certificate::CommitCertificate;
use vellum_protocol::crypto::Hash;
use vellum_protocol::transaction::SignedTransaction;
use vellum_protocol::validator::ValidatorSet;

pub use outline::BlockOutline;
pub use permission::AllowedPeers;
pub use sync::BlockSource;
pub use wire::{ConsensusMessage, SyncRequest, SyncResponse, TxBatch};

/// Events delivered to the node; their channel holds this many before new ones are dropped.
pub const EVENT_CHANNEL: usize = 4096;

/// What the network needs to start.
#[derive(Clone)]
pub struct NetworkConfig {
    /// The node's identity (`Keypair::ed25519_from_bytes` of its 32-byte node key).
    pub keypair: Keypair,
    pub listen: Multiaddr,
    /// Peers to stay connected to, each with its `/p2p/<peer id>`; redialed while disconnected.
    pub peers: Vec<Multiaddr>,
    /// Validators' node ids and observers; everyone else is refused.
    pub allowed: AllowedPeers,
    pub chain_id: String,
    /// The current validator set, for checking consensus messages.
    pub validators: Arc<RwLock<ValidatorSet>>,
    pub block_source: Arc<dyn BlockSource>,
}

impl std::fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("peer_id", &self.keypair.public().to_peer_id())
            .field("listen", &self.listen)
            .field("peers", &self.peers)
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// What the network tells the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkEvent {
    /// A consensus message from a peer that passed `validate::consensus`; a proposal comes
    /// with its block's transaction hashes, so the node need not hash them again.
    Consensus(validate::Checked),
    /// A decoded batch of transactions from a peer; signatures not yet verified.
    Transactions(Vec<SignedTransaction>),
    PeerConnected(PeerId),
    PeerDisconnected(PeerId),
    /// A peer that is neither a validator nor an observer tried to connect and was refused.
    PeerRefused(PeerId),
}

/// Counters for metrics, shared with the swarm task.
#[derive(Debug, Default)]
pub struct NetworkStats {
    pub refused_peers: AtomicU64,
    pub connected: AtomicUsize,
    /// Gossip messages that failed validation.
    pub rejected_messages: AtomicU64,
    /// Events dropped because the node did not keep up.
    pub dropped_events: AtomicU64,
    /// Whether this node forwards the gossip it receives (a peer, or this node, lacks a
    /// connection to some allowed peer).
    pub forwarding: AtomicBool,
}

/// Why a network operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("invalid network configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("the network task has stopped")]
    Stopped,
    #[error("sync request to {peer} failed: {reason}")]
    Request { peer: PeerId, reason: String },
    #[error("peer {0} answered with the wrong kind of response")]
    UnexpectedResponse(PeerId),
}

/// A request from a handle to the swarm task.
#[derive(Debug)]
enum Command {
    PublishConsensus(Vec<u8>),
    PublishTxs(Vec<u8>),
    Sync {
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, NetworkError>>,
    },
    Peers(oneshot::Sender<Vec<PeerId>>),
    GossipPeers(oneshot::Sender<Vec<PeerId>>),
}

/// The node's side of the network; cheap to clone.
#[derive(Debug, Clone)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
    listen_addrs: Vec<Multiaddr>,
    stats: Arc<NetworkStats>,
}

/// Starts the network.
#[derive(Debug)]
pub struct Network;

impl Network {
    /// Listens, dials the configured peers and spawns the swarm task; returns once listening.
    pub async fn start(
        config: NetworkConfig,
    ) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>), NetworkError> {
        event_loop::start(config).await
    }
}

impl NetworkHandle {
    /// A handle to no swarm, for tests: what it is asked to send waits in the returned value
    /// (which must be kept for the sends to succeed).
    #[cfg(test)]
    pub(crate) fn detached() -> (NetworkHandle, Box<dyn std::any::Any + Send>) {
        let (commands, sent) = mpsc::channel::<Command>(1024);
        let handle = NetworkHandle {
            commands,
            local_peer_id: PeerId::random(),
            listen_addrs: Vec::new(),
            stats: Arc::default(),
        };
        (handle, Box::new(sent))
    }

    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The addresses the node listens on, with its `/p2p/` id, for others to dial.
    pub fn listen_addrs(&self) -> &[Multiaddr] {
        &self.listen_addrs
    }

    pub fn stats(&self) -> Arc<NetworkStats> {
        self.stats.clone()
    }

    /// Gossips a consensus message. If no peer is subscribed yet it is held until one is.
    pub async fn broadcast_consensus(&self, msg: ConsensusMessage) -> Result<(), NetworkError> {
        use vellum_protocol::encoding::Encode;
        self.send(Command::PublishConsensus(msg.to_bytes())).await
    }

    /// Gossips transactions, as few batches as the batch limits allow.
    pub async fn broadcast_txs(&self, txs: Vec<SignedTransaction>) -> Result<(), NetworkError> {
        use vellum_protocol::encoding::Encode;
        for batch in TxBatch::split(txs) {
            self.send(Command::PublishTxs(batch.to_bytes())).await?;
        }
        Ok(())
    }

    /// Asks `peer` for committed blocks with their certificates from `from_height` on.
    pub async fn request_blocks(
        &self,
        peer: PeerId,
        from_height: u64,
        max: u32,
    ) -> Result<Vec<(Block, CommitCertificate)>, NetworkError> {
        match self
            .sync(peer, SyncRequest::Blocks { from_height, max })
            .await?
        {
            SyncResponse::Blocks(blocks) => Ok(blocks),
            SyncResponse::Block(_) => Err(NetworkError::UnexpectedResponse(peer)),
        }
    }

    /// Asks `peer` for one block by hash, such as a proposal's block that did not arrive.
    pub async fn request_block(
        &self,
        peer: PeerId,
        hash: Hash,
    ) -> Result<Option<Block>, NetworkError> {
        match self.sync(peer, SyncRequest::Block { hash }).await? {
            SyncResponse::Block(block) => Ok(block.map(|b| *b)),
            SyncResponse::Blocks(_) => Err(NetworkError::UnexpectedResponse(peer)),
        }
    }

    /// The peers connected now.
    pub async fn peers(&self) -> Result<Vec<PeerId>, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Peers(reply)).await?;
        answer.await.map_err(|_| NetworkError::Stopped)
    }

    /// The peers subscribed to both gossip topics now.
    pub async fn gossip_peers(&self) -> Result<Vec<PeerId>, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::GossipPeers(reply)).await?;
        answer.await.map_err(|_| NetworkError::Stopped)
    }

    async fn sync(&self, peer: PeerId, request: SyncRequest) -> Result<SyncResponse, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Sync {
            peer,
            request,
            reply,
        })
        .await?;
        answer.await.map_err(|_| NetworkError::Stopped)?
    }

    async fn send(&self, command: Command) -> Result<(), NetworkError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| NetworkError::Stopped)
    }
}
