//! The libp2p behaviour of a validator: the permission gate, gossipsub for consensus messages
//! and transactions, and request-response for block sync.
//!
//! Gossipsub is tuned for a small, fully known set: messages are unsigned (ours carry their own
//! signatures) and identified by a hash of their content, nothing is forwarded before the
//! application validated it, configured peers are explicit (always sent to, redialed), and the
//! mesh bounds cover the whole set.

use std::time::Duration;

use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{Swarm, SwarmBuilder, noise, tcp, yamux};
use vellum_protocol::crypto::Hash;

use super::permission::Permission;
use super::sync::{SYNC_PROTOCOL, SyncCodec};
use super::wire::{MAX_BATCH_BYTES, MAX_CONSENSUS_BYTES};

/// Gossipsub's own framing around our payload (topic, protobuf fields).
const GOSSIP_OVERHEAD: usize = 16 * 1024;
/// Connections stay open this long without traffic; validators talk far more often.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long a sync request may take before it fails.
pub const SYNC_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The gossip topics of a chain.
#[derive(Debug, Clone)]
pub struct Topics {
    pub consensus: IdentTopic,
    pub txs: IdentTopic,
    /// Nothing is published here: a node subscribes while it lacks a connection to some
    /// allowed peer, which tells its peers to forward what they receive (see `EventLoop`).
    pub relay_wanted: IdentTopic,
}

impl Topics {
    pub fn new(chain_id: &str) -> Self {
        Self {
            consensus: IdentTopic::new(format!("vellum/{chain_id}/consensus/1")),
            txs: IdentTopic::new(format!("vellum/{chain_id}/txs/1")),
            relay_wanted: IdentTopic::new(format!("vellum/{chain_id}/relay-wanted/1")),
        }
    }
}

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// First, so a refused peer never reaches the other behaviours.
    pub permission: Permission,
    pub gossipsub: gossipsub::Behaviour,
    pub sync: request_response::Behaviour<SyncCodec>,
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Behaviour")
            .field("permission", &self.permission)
            .finish_non_exhaustive()
    }
}

/// Gossipsub settings for a set of `validators` validators.
pub fn gossip_config(topics: &Topics, validators: usize) -> Result<gossipsub::Config, String> {
    let n = validators.max(4);
    gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| {
            MessageId::from(Hash::of(&[m.topic.as_str().as_bytes(), &m.data]).0.to_vec())
        })
        .heartbeat_interval(Duration::from_millis(200))
        .check_explicit_peers_ticks(5)
        .prune_backoff(Duration::from_secs(5))
        .mesh_n_low(n - 1)
        .mesh_n(n)
        .mesh_n_high(2 * n)
        .mesh_outbound_min(1)
        .max_transmit_size(MAX_CONSENSUS_BYTES + GOSSIP_OVERHEAD)
        .max_transmit_size_for_topic(MAX_BATCH_BYTES + GOSSIP_OVERHEAD, topics.txs.hash())
        .duplicate_cache_time(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())
}

impl Behaviour {
    pub fn new(permission: Permission, topics: &Topics, validators: usize) -> Result<Self, String> {
        let config = gossip_config(topics, validators)?;
        let mut gossipsub = gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, config)?;
        for topic in [&topics.consensus, &topics.txs] {
            gossipsub.subscribe(topic).map_err(|e| e.to_string())?;
        }
        let sync_config =
            request_response::Config::default().with_request_timeout(SYNC_REQUEST_TIMEOUT);
        let sync =
            request_response::Behaviour::new([(SYNC_PROTOCOL, ProtocolSupport::Full)], sync_config);
        Ok(Self {
            permission,
            gossipsub,
            sync,
        })
    }
}

/// The swarm: TCP without Nagle's delay (votes are small and urgent), Noise, Yamux.
pub fn build_swarm(keypair: Keypair, behaviour: Behaviour) -> Result<Swarm<Behaviour>, String> {
    let tcp_config = tcp::Config::default().nodelay(true);
    Ok(SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp_config, noise::Config::new, yamux::Config::default)
        .map_err(|e| e.to_string())?
        .with_behaviour(|_| behaviour)
        .map_err(|never| -> String { match never {} })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build())
}
