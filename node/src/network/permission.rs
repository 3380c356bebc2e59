//! The permissioned network's gate: a connection to or from a peer that is neither a validator
//! nor a configured observer is denied as soon as the handshake reveals its identity.
//!
//! The allowed set is shared (`Arc<RwLock<..>>`) so it follows validator-set changes; peers that
//! are connected when they lose their place are disconnected by the swarm task's periodic check.
//! Each refusal is counted in [`NetworkStats::refused_peers`] and reported as an event.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll, Waker};

use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm, dummy,
};
use libp2p::{Multiaddr, PeerId};

use super::NetworkStats;

/// The peers allowed to connect: validators' node ids and observers.
pub type AllowedPeers = Arc<RwLock<HashSet<PeerId>>>;

/// Why a connection was denied.
#[derive(Debug, thiserror::Error)]
#[error("peer {0} is neither a validator nor a configured observer")]
pub struct NotAllowed(pub PeerId);

/// Denies connections of peers outside the allowed set; emits each refused peer.
#[derive(Debug)]
pub struct Permission {
    allowed: AllowedPeers,
    stats: Arc<NetworkStats>,
    refused: VecDeque<PeerId>,
    waker: Option<Waker>,
}

impl Permission {
    pub fn new(allowed: AllowedPeers, stats: Arc<NetworkStats>) -> Self {
        Self {
            allowed,
            stats,
            refused: VecDeque::new(),
            waker: None,
        }
    }

    /// Whether `peer` may be connected now.
    pub fn is_allowed(&self, peer: &PeerId) -> bool {
        self.allowed
            .read()
            .expect("allowed peers lock")
            .contains(peer)
    }

    fn admit(&mut self, peer: PeerId) -> Result<THandler<Self>, ConnectionDenied> {
        if self.is_allowed(&peer) {
            return Ok(dummy::ConnectionHandler);
        }
        self.stats
            .refused_peers
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.refused.push_back(peer);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        Err(ConnectionDenied::new(NotAllowed(peer)))
    }
}

impl NetworkBehaviour for Permission {
    type ConnectionHandler = dummy::ConnectionHandler;
    /// A peer that was refused.
    type ToSwarm = PeerId;

    fn handle_established_inbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _local_addr: &Multiaddr,
        _remote_addr: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit(peer)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _addr: &Multiaddr,
        _role_override: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit(peer)
    }

    fn on_swarm_event(&mut self, _event: FromSwarm) {}

    fn on_connection_handler_event(
        &mut self,
        _peer_id: PeerId,
        _connection_id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        let never: Infallible = event;
        match never {}
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<PeerId, THandlerInEvent<Self>>> {
        match self.refused.pop_front() {
            Some(peer) => Poll::Ready(ToSwarm::GenerateEvent(peer)),
            None => {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
