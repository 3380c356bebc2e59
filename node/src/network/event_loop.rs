//! The swarm task: owns the libp2p swarm, runs the handles' commands, validates gossip before it
//! is delivered or forwarded (forwarded only while some node lacks a connection: the
//! relay-wanted topic, see `EventLoop::forwards`), answers sync requests, and keeps the
//! configured peers connected.
//!
//! The task ends when every [`NetworkHandle`] is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use libp2p::futures::StreamExt;
use libp2p::gossipsub::{self, MessageAcceptance, TopicHash};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId, Swarm};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::behaviour::{Behaviour, BehaviourEvent, Topics, build_swarm};
use super::permission::Permission;
use super::{
    Command, EVENT_CHANNEL, NetworkConfig, NetworkError, NetworkEvent, NetworkHandle, NetworkStats,
    SyncResponse, sync, validate, wire,
};

/// How often configured peers are redialed and permissions re-checked.
const TICK: Duration = Duration::from_millis(250);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Messages published while no peer is subscribed are held this long, at most this many.
const HOLD_FOR: Duration = Duration::from_secs(30);
const MAX_HELD: usize = 256;

/// A configured peer and when to dial it next.
#[derive(Debug)]
struct Redial {
    peer: PeerId,
    addr: Multiaddr,
    backoff: Duration,
    next: Instant,
}

type SyncReply = oneshot::Sender<Result<SyncResponse, NetworkError>>;

struct EventLoop {
    swarm: Swarm<Behaviour>,
    topics: Topics,
    config: NetworkConfig,
    stats: Arc<NetworkStats>,
    events: mpsc::Sender<NetworkEvent>,
    commands: mpsc::Receiver<Command>,
    redials: Vec<Redial>,
    pending_sync: HashMap<OutboundRequestId, SyncReply>,
    held: Vec<(TopicHash, Vec<u8>, Instant)>,
    /// The next consensus publication's envelope number: starts at the clock's nanoseconds so
    /// that a restarted node does not reuse its earlier numbers.
    next_publication: u64,
    /// Subscribed to the relay-wanted topic: this node lacks a connection to an allowed peer.
    wants_relay: bool,
}

fn config_error(e: impl std::fmt::Display) -> NetworkError {
    NetworkError::Config(e.to_string())
}

pub(super) async fn start(
    config: NetworkConfig,
) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>), NetworkError> {
    let stats = Arc::new(NetworkStats::default());
    let topics = Topics::new(&config.chain_id);
    let set_size = config.validators.read().expect("validator set lock").len();
    let permission = Permission::new(config.allowed.clone(), stats.clone());
    let behaviour = Behaviour::new(permission, &topics, set_size).map_err(config_error)?;
    let mut swarm = build_swarm(config.keypair.clone(), behaviour).map_err(config_error)?;

    let listen_error = |reason: String| NetworkError::Listen {
        addr: config.listen.clone(),
        reason,
    };
    swarm
        .listen_on(config.listen.clone())
        .map_err(|e| listen_error(e.to_string()))?;
    let local = *swarm.local_peer_id();
    let bound = loop {
        match swarm.select_next_some().await {
            SwarmEvent::NewListenAddr { address, .. } => break address.with_p2p(local),
            SwarmEvent::ListenerClosed { reason: Err(e), .. }
            | SwarmEvent::ListenerError { error: e, .. } => {
                return Err(listen_error(e.to_string()));
            }
            _ => {}
        }
    };
    let bound = bound.map_err(|_| listen_error("address already carries a peer id".into()))?;
    tracing::info!(peer = %local, addr = %bound, "network listening");

    let mut redials = Vec::new();
    for addr in &config.peers {
        let Some(Protocol::P2p(peer)) = addr.iter().last() else {
            return Err(config_error(format!(
                "peer address {addr} has no /p2p/<peer id>"
            )));
        };
        swarm.add_peer_address(peer, addr.clone());
        swarm.behaviour_mut().gossipsub.add_explicit_peer(&peer);
        let next = Instant::now();
        redials.push(Redial {
            peer,
            addr: addr.clone(),
            backoff: FIRST_BACKOFF,
            next,
        });
    }

    let (command_tx, commands) = mpsc::channel(256);
    let (events, event_rx) = mpsc::channel(EVENT_CHANNEL);
    let handle = NetworkHandle {
        commands: command_tx,
        local_peer_id: local,
        listen_addrs: vec![bound],
        stats,
    };
    let event_loop = EventLoop {
        swarm,
        topics,
        config,
        stats: handle.stats.clone(),
        events,
        commands,
        redials,
        pending_sync: HashMap::new(),
        held: Vec::new(),
        next_publication: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
        wants_relay: false,
    };
    tokio::spawn(event_loop.run());
    Ok((handle, event_rx))
}

impl EventLoop {
    async fn run(mut self) {
        self.update_relay_wanted();
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                _ = tick.tick() => self.on_tick(),
            }
        }
        tracing::debug!(peer = %self.swarm.local_peer_id(), "network task stopped");
    }

    fn emit(&self, event: NetworkEvent) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
            self.stats.dropped_events.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(?event, "network event dropped: the node is not keeping up");
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::PublishConsensus(data) => {
                let sealed = wire::seal(self.next_publication, &data);
                self.next_publication = self.next_publication.wrapping_add(1);
                self.publish(self.topics.consensus.hash(), sealed)
            }
            Command::PublishTxs(data) => self.publish(self.topics.txs.hash(), data),
            Command::Sync {
                peer,
                request,
                reply,
            } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending_sync.insert(id, reply);
            }
            Command::Peers(reply) => {
                let _ = reply.send(self.swarm.connected_peers().copied().collect());
            }
            Command::GossipPeers(reply) => {
                let txs = self.subscribers(&self.topics.txs.hash());
                let mut both = self.subscribers(&self.topics.consensus.hash());
                both.retain(|p| txs.contains(p));
                let _ = reply.send(both);
            }
        }
    }

    fn subscribers(&self, topic: &TopicHash) -> Vec<PeerId> {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        gossipsub
            .all_peers()
            .filter(|(_, topics)| topics.contains(&topic))
            .map(|(p, _)| *p)
            .collect()
    }

    /// Publishes now, or holds the message until a peer subscribes to its topic.
    fn publish(&mut self, topic: TopicHash, data: Vec<u8>) {
        if self.subscribers(&topic).is_empty() {
            tracing::debug!(%topic, "no peer subscribed yet; holding the message");
            if self.held.len() == MAX_HELD {
                self.held.remove(0);
            }
            self.held.push((topic, data, Instant::now()));
            return;
        }
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topic.clone(), data)
        {
            Ok(_) => {}
            Err(gossipsub::PublishError::Duplicate) => {
                tracing::debug!(%topic, "message already gossiped recently");
            }
            Err(e) => tracing::warn!(%topic, error = %e, "gossip publish failed"),
        }
    }

    fn on_tick(&mut self) {
        self.update_relay_wanted();
        let forwarding = self.forwards();
        self.stats.forwarding.store(forwarding, Ordering::Relaxed);
        let now = Instant::now();
        for redial in &mut self.redials {
            if self.swarm.is_connected(&redial.peer) || redial.next > now {
                continue;
            }
            let opts = DialOpts::peer_id(redial.peer)
                .addresses(vec![redial.addr.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(peer = %redial.peer, error = %e, "dial not started");
            }
            redial.next = now + redial.backoff;
            redial.backoff = (redial.backoff * 2).min(MAX_BACKOFF);
        }
        let permission = &self.swarm.behaviour().permission;
        let revoked: Vec<PeerId> = self
            .swarm
            .connected_peers()
            .filter(|p| !permission.is_allowed(p))
            .copied()
            .collect();
        for peer in revoked {
            tracing::info!(%peer, "peer no longer allowed; disconnecting");
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        self.held
            .retain(|(_, _, at)| now.duration_since(*at) < HOLD_FOR);
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Permission(peer)) => {
                tracing::info!(%peer, "refused a peer that is not a validator or an observer");
                self.emit(NetworkEvent::PeerRefused(peer));
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                if let Some(redial) = self.redials.iter_mut().find(|r| r.peer == peer_id) {
                    redial.backoff = FIRST_BACKOFF;
                }
                if num_established.get() == 1 {
                    self.stats.connected.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(peer = %peer_id, "peer connected");
                    self.emit(NetworkEvent::PeerConnected(peer_id));
                    self.update_relay_wanted();
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                cause,
                ..
            } => {
                self.stats.connected.fetch_sub(1, Ordering::Relaxed);
                tracing::debug!(peer = %peer_id, ?cause, "peer disconnected");
                self.emit(NetworkEvent::PeerDisconnected(peer_id));
                self.update_relay_wanted();
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, %error, "outgoing connection failed");
            }
            SwarmEvent::IncomingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, %error, "incoming connection failed");
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let delivered = self.validate(&message.topic, &message.data);
                let acceptance = match &delivered {
                    Ok(Some(_)) if self.forwards() => MessageAcceptance::Accept,
                    // Valid, delivered, not forwarded: every peer got it from its publisher.
                    Ok(Some(_)) => MessageAcceptance::Ignore,
                    Ok(None) => MessageAcceptance::Ignore,
                    Err(reason) => {
                        self.stats.rejected_messages.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(peer = %propagation_source, %reason, "gossip rejected");
                        MessageAcceptance::Reject
                    }
                };
                let gossipsub = &mut self.swarm.behaviour_mut().gossipsub;
                gossipsub.report_message_validation_result(
                    &message_id,
                    &propagation_source,
                    acceptance,
                );
                if let Ok(Some(event)) = delivered {
                    self.emit(event);
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                tracing::debug!(peer = %peer_id, %topic, "peer subscribed");
                let (ready, waiting) = std::mem::take(&mut self.held)
                    .into_iter()
                    .partition::<Vec<_>, _>(|(t, _, _)| *t == topic);
                self.held = waiting;
                for (topic, data, _) in ready {
                    self.publish(topic, data);
                }
            }
            _ => {}
        }
    }

    /// Whether valid gossip (consensus messages and transaction batches) is forwarded.
    ///
    /// Every node publishes to every peer it is connected to. While every node is connected to
    /// every allowed peer, forwarding would deliver each message to each node twice more: with
    /// four validators, two thirds of the consensus messages a node handled, and a third of
    /// its transaction bandwidth (both measured; see docs/PERFORMANCE.md). A node that lacks a
    /// connection to an allowed peer subscribes to the relay-wanted topic, and its peers then
    /// forward: along a shortest path from a publisher to it, every node after the first hop
    /// lacks a link to the publisher and so asks for relaying too, so what is published
    /// reaches every node that some path reaches.
    fn forwards(&self) -> bool {
        let wanted = self.topics.relay_wanted.hash();
        self.wants_relay
            || self
                .swarm
                .behaviour()
                .gossipsub
                .all_peers()
                .any(|(_, topics)| topics.contains(&&wanted))
    }

    /// Subscribes to the relay-wanted topic while this node lacks a connection to an allowed
    /// peer, and leaves it once connected to all of them.
    fn update_relay_wanted(&mut self) {
        let missing = {
            let allowed = self.config.allowed.read().expect("allowed peers lock");
            let local = self.swarm.local_peer_id();
            allowed
                .iter()
                .any(|p| p != local && !self.swarm.is_connected(p))
        };
        if missing == self.wants_relay {
            return;
        }
        let gossipsub = &mut self.swarm.behaviour_mut().gossipsub;
        if missing {
            if let Err(e) = gossipsub.subscribe(&self.topics.relay_wanted) {
                tracing::warn!(error = %e, "cannot subscribe to the relay-wanted topic");
                return;
            }
        } else {
            gossipsub.unsubscribe(&self.topics.relay_wanted);
        }
        self.wants_relay = missing;
        tracing::debug!(missing, "relay-wanted subscription changed");
    }

    /// The event a gossip message becomes, `None` for a topic we do not handle.
    fn validate(
        &self,
        topic: &TopicHash,
        data: &[u8],
    ) -> Result<Option<NetworkEvent>, validate::Invalid> {
        if *topic == self.topics.consensus.hash() {
            let validators = self.config.validators.read().expect("validator set lock");
            let inner = wire::open(data).map_err(validate::Invalid::from)?;
            let checked = validate::consensus(inner, &self.config.chain_id, &validators)?;
            Ok(Some(NetworkEvent::Consensus(checked)))
        } else if *topic == self.topics.txs.hash() {
            Ok(Some(NetworkEvent::Transactions(
                validate::tx_batch(data)?.0,
            )))
        } else {
            Ok(None)
        }
    }

    fn on_sync(&mut self, event: request_response::Event<super::SyncRequest, SyncResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let response = sync::answer(self.config.block_source.as_ref(), request);
                if self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response)
                    .is_err()
                {
                    tracing::debug!(%peer, "sync requester went away before the response");
                }
            }
            Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(reply) = self.pending_sync.remove(&request_id) {
                    let _ = reply.send(Ok(response));
                }
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(reply) = self.pending_sync.remove(&request_id) {
                    let reason = error.to_string();
                    let _ = reply.send(Err(NetworkError::Request { peer, reason }));
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "sync request from a peer failed");
            }
            Event::ResponseSent { .. } => {}
        }
    }
}
