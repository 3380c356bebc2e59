//! Nodes on 127.0.0.1 talking over real TCP: gossip delivery and validation, permissioning,
//! and block sync. Every wait is bounded; nothing is published before peers are subscribed
//! unless the test is about exactly that.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::mpsc;
use tokio::time::timeout;
use vellum_protocol::block::Block;
use vellum_protocol::certificate::CommitCertificate;
use vellum_protocol::crypto::Hash;

use super::fixtures::{CHAIN_ID, block, certificate, proposal, tx, validator_set, vote};
use super::*;

const LIMIT: Duration = Duration::from_secs(5);

/// Committed blocks held in memory.
struct MemorySource(Vec<(Block, CommitCertificate)>);

impl BlockSource for MemorySource {
    fn blocks_from(&self, from_height: u64, max: u32) -> Vec<(Block, CommitCertificate)> {
        let from = self.0.iter().filter(|(b, _)| b.height() >= from_height);
        from.take(max as usize).cloned().collect()
    }
    fn block(&self, hash: &Hash) -> Option<Block> {
        self.0
            .iter()
            .map(|(b, _)| b)
            .find(|b| b.hash() == *hash)
            .cloned()
    }
}

struct TestNode {
    handle: NetworkHandle,
    events: mpsc::Receiver<NetworkEvent>,
}

fn node_key(i: u8) -> Keypair {
    Keypair::ed25519_from_bytes([i + 100; 32]).expect("32 bytes")
}

fn peer_id(i: u8) -> PeerId {
    node_key(i).public().to_peer_id()
}

/// Nodes 0, 1 and 2 are the validators' nodes.
fn validators_nodes() -> AllowedPeers {
    Arc::new(RwLock::new((0..3).map(peer_id).collect::<HashSet<_>>()))
}

async fn start(
    i: u8,
    peers: &[&TestNode],
    allowed: AllowedPeers,
    blocks: MemorySource,
) -> TestNode {
    let config = NetworkConfig {
        keypair: node_key(i),
        listen: "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"),
        peers: peers.iter().map(|n| n.addr()).collect(),
        allowed,
        chain_id: CHAIN_ID.to_owned(),
        validators: Arc::new(RwLock::new(validator_set(3))),
        block_source: Arc::new(blocks),
    };
    let (handle, events) = Network::start(config).await.expect("network starts");
    TestNode { handle, events }
}

impl TestNode {
    fn addr(&self) -> Multiaddr {
        self.handle.listen_addrs()[0].clone()
    }

    /// The next event that `pick` accepts, skipping the others.
    async fn next<T>(&mut self, mut pick: impl FnMut(NetworkEvent) -> Option<T>) -> T {
        let wait = async {
            loop {
                let event = self.events.recv().await.expect("network running");
                if let Some(found) = pick(event) {
                    return found;
                }
            }
        };
        timeout(LIMIT, wait).await.expect("event within the limit")
    }

    async fn next_consensus(&mut self) -> ConsensusMessage {
        self.next(|e| match e {
            NetworkEvent::Consensus(checked) => Some(checked.into_message()),
            _ => None,
        })
        .await
    }

    async fn next_txs(&mut self) -> Vec<SignedTransaction> {
        self.next(|e| match e {
            NetworkEvent::Transactions(batch) => Some(batch),
            _ => None,
        })
        .await
    }

    /// Waits until `n` peers are subscribed to both topics.
    async fn wait_for_gossip_peers(&self, n: usize) {
        eventually(|| async { self.handle.gossip_peers().await.expect("running").len() >= n })
            .await;
    }
}

async fn eventually<F: Future<Output = bool>>(mut condition: impl FnMut() -> F) {
    let poll = async {
        while !condition().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    timeout(LIMIT, poll)
        .await
        .expect("condition met within the limit");
}

/// Nodes 0 - 1 - 2 in a line (0 and 2 know only node 1), subscribed, with `allowed` peers.
async fn line(allowed: impl Fn() -> AllowedPeers) -> [TestNode; 3] {
    let a = start(0, &[], allowed(), MemorySource(vec![])).await;
    let b = start(1, &[&a], allowed(), MemorySource(vec![])).await;
    let c = start(2, &[&b], allowed(), MemorySource(vec![])).await;
    a.wait_for_gossip_peers(1).await;
    b.wait_for_gossip_peers(2).await;
    c.wait_for_gossip_peers(1).await;
    [a, b, c]
}

/// Three validator nodes, fully connected and subscribed.
async fn three_nodes() -> [TestNode; 3] {
    let a = start(0, &[], validators_nodes(), MemorySource(vec![])).await;
    let b = start(1, &[&a], validators_nodes(), MemorySource(vec![])).await;
    let c = start(2, &[&a, &b], validators_nodes(), MemorySource(vec![])).await;
    for node in [&a, &b, &c] {
        node.wait_for_gossip_peers(2).await;
    }
    [a, b, c]
}

#[tokio::test]
async fn a_vote_and_a_proposal_reach_both_other_validators() {
    let [a, mut b, mut c] = three_nodes().await;
    let the_block = block(3, 5);
    let messages = [
        ConsensusMessage::Vote(vote(0, 3, Some(the_block.hash()))),
        ConsensusMessage::Proposal {
            proposal: proposal(&the_block),
            block: Box::new(the_block),
        },
    ];
    for msg in &messages {
        a.handle.broadcast_consensus(msg.clone()).await.unwrap();
        assert_eq!(&b.next_consensus().await, msg);
        assert_eq!(&c.next_consensus().await, msg);
    }
}

/// A vote re-sent on a timeout is byte for byte the vote sent before; gossip must carry it
/// again, or a peer that missed the first copy never gets it.
#[tokio::test]
async fn the_same_vote_sent_twice_is_delivered_twice() {
    let [a, mut b, _c] = three_nodes().await;
    let msg = ConsensusMessage::Vote(vote(0, 4, None));
    for _ in 0..2 {
        a.handle.broadcast_consensus(msg.clone()).await.unwrap();
        assert_eq!(b.next_consensus().await, msg);
    }
}

#[tokio::test]
async fn a_batch_of_a_thousand_transactions_arrives_as_one_message() {
    let [mut a, b, mut c] = three_nodes().await;
    let txs: Vec<_> = (0..1000).map(tx).collect();
    b.handle.broadcast_txs(txs.clone()).await.unwrap();
    for node in [&mut a, &mut c] {
        assert_eq!(node.next_txs().await, txs);
    }
}

/// While nodes lack a connection to an allowed peer their peers forward transactions, so a
/// node reached only through another still gets them. Here node 3 is allowed but absent and the nodes
/// form a line 0 - 1 - 2: node 2 gets node 0's batch through node 1.
#[tokio::test]
async fn transactions_are_forwarded_while_a_peer_is_missing() {
    let four = || Arc::new(RwLock::new((0..4).map(peer_id).collect::<HashSet<_>>()));
    let [a, _b, mut c] = line(four).await;
    let txs: Vec<_> = (0..3).map(tx).collect();
    a.handle.broadcast_txs(txs.clone()).await.unwrap();
    assert_eq!(c.next_txs().await, txs);
}

/// Nodes 0, 1 and 2 are all allowed, but 0 and 2 know only node 1: node 1 is connected to
/// every allowed peer, and forwards only because the other two ask for it (each lacks a link).
#[tokio::test]
async fn a_fully_connected_node_forwards_for_a_peer_that_lacks_a_link() {
    let [a, b, mut c] = line(validators_nodes).await;
    eventually(|| async { b.handle.stats().forwarding.load(Ordering::Relaxed) }).await;
    let msg = ConsensusMessage::Vote(vote(0, 6, None));
    a.handle.broadcast_consensus(msg.clone()).await.unwrap();
    assert_eq!(c.next_consensus().await, msg);
    let txs: Vec<_> = (0..3).map(tx).collect();
    a.handle.broadcast_txs(txs.clone()).await.unwrap();
    assert_eq!(c.next_txs().await, txs);
}

/// With every node connected to every other, nobody asks for relaying and nobody forwards:
/// each message reaches each peer once, from its publisher.
#[tokio::test]
async fn fully_connected_nodes_do_not_forward() {
    let [a, mut b, c] = three_nodes().await;
    let msg = ConsensusMessage::Vote(vote(0, 7, None));
    a.handle.broadcast_consensus(msg.clone()).await.unwrap();
    assert_eq!(b.next_consensus().await, msg);
    // The stats follow each node's subscriptions within a tick.
    tokio::time::sleep(Duration::from_millis(600)).await;
    for node in [&a, &b, &c] {
        assert!(!node.handle.stats().forwarding.load(Ordering::Relaxed));
    }
}

#[tokio::test]
async fn a_vote_with_a_bad_signature_or_from_a_stranger_is_not_delivered() {
    let [a, mut b, mut c] = three_nodes().await;
    let mut forged = vote(1, 7, None);
    forged.vote.round = 1;
    let stranger = vote(9, 7, None);
    let good = ConsensusMessage::Vote(vote(0, 7, None));
    for msg in [
        ConsensusMessage::Vote(forged),
        ConsensusMessage::Vote(stranger),
        good.clone(),
    ] {
        a.handle.broadcast_consensus(msg).await.unwrap();
    }
    // Messages from one peer arrive in order, so the good one being first proves the others
    // were dropped.
    assert_eq!(b.next_consensus().await, good);
    assert_eq!(c.next_consensus().await, good);
    assert_eq!(
        b.handle.stats().rejected_messages.load(Ordering::Relaxed),
        2
    );
}

#[tokio::test]
async fn a_peer_that_is_not_allowed_is_refused_and_counted() {
    let mut a = start(0, &[], validators_nodes(), MemorySource(vec![])).await;
    let everyone = Arc::new(RwLock::new((0..4).map(peer_id).collect::<HashSet<_>>()));
    let outsider = start(3, &[&a], everyone, MemorySource(vec![])).await;
    let refused = a
        .next(|e| match e {
            NetworkEvent::PeerRefused(p) => Some(p),
            NetworkEvent::PeerConnected(p) => panic!("{p} was let in"),
            _ => None,
        })
        .await;
    assert_eq!(refused, outsider.handle.local_peer_id());
    assert!(a.handle.stats().refused_peers.load(Ordering::Relaxed) >= 1);
    assert!(a.handle.peers().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_message_published_before_anyone_listens_is_held_until_a_peer_subscribes() {
    let a = start(0, &[], validators_nodes(), MemorySource(vec![])).await;
    let msg = ConsensusMessage::Vote(vote(0, 2, None));
    a.handle.broadcast_consensus(msg.clone()).await.unwrap();
    let mut b = start(1, &[&a], validators_nodes(), MemorySource(vec![])).await;
    assert_eq!(b.next_consensus().await, msg);
}

#[tokio::test]
async fn sync_requests_return_what_the_peers_block_source_holds() {
    let chain: Vec<_> = (1..=5)
        .map(|h| {
            let b = block(h, 2);
            let cert = certificate(&b);
            (b, cert)
        })
        .collect();
    let a = start(0, &[], validators_nodes(), MemorySource(chain.clone())).await;
    let mut b = start(1, &[&a], validators_nodes(), MemorySource(vec![])).await;
    let a_id = a.handle.local_peer_id();
    b.next(|e| (e == NetworkEvent::PeerConnected(a_id)).then_some(()))
        .await;

    let got = timeout(LIMIT, b.handle.request_blocks(a_id, 2, 3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, chain[1..4].to_vec());
    let hash = chain[4].0.hash();
    let one = timeout(LIMIT, b.handle.request_block(a_id, hash))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one, Some(chain[4].0.clone()));
    let none = timeout(LIMIT, b.handle.request_block(a_id, Hash([1; 32])))
        .await
        .unwrap();
    assert_eq!(none.unwrap(), None);
}
