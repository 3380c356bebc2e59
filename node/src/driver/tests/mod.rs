//! The driver against in-memory stores, with messages routed in process and virtual time.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use vellum_consensus::{CoreConfig, Step, Timeout, TimeoutConfig};
use vellum_protocol::genesis::{ConsensusParams, Genesis, GenesisAccount, GenesisValidator};
use vellum_protocol::{
    Address, Amount, Block, Hash, Keypair, LedgerState, Operation, SignedProposal, Transaction,
    TxHashes, VoteKind,
};

use super::{ConsensusMessage, Driver, DriverConfig, Effect, PROPOSE_MS_PER_1000_TXS};
use crate::mempool::{Mempool, MempoolConfig};
use crate::network::BlockOutline;
use crate::store::{ChainIdentity, MemoryStore, Store};

mod restart;
mod writer;

const CHAIN: &str = "driver-test";

struct Net {
    keys: Vec<Keypair>,
    user: Keypair,
    stores: Vec<Arc<MemoryStore>>,
    drivers: Vec<Driver>,
    now: u64,
    timers: BTreeMap<(u64, usize, u64), (usize, Timeout)>,
    queue: VecDeque<(usize, ConsensusMessage)>,
    seq: u64,
    /// The blocks of compact proposals served (by their proposers, and by the validators that
    /// filled them), which a validator lacking transactions fetches.
    proposed: HashMap<Hash, Arc<Block>>,
}

fn genesis(keys: &[Keypair], user: &Keypair) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: 1_000,
        decimals: 2,
        validators: keys
            .iter()
            .enumerate()
            .map(|(i, k)| GenesisValidator {
                name: format!("node{i}"),
                key: k.public(),
                power: 1,
                node_id: None,
                p2p_address: None,
            })
            .collect(),
        issuers: vec![Address::from_public_key(&user.public())],
        admins: vec![Address::from_public_key(&user.public())],
        accounts: vec![GenesisAccount {
            address: Address::from_public_key(&user.public()),
            balance: Amount(1_000_000),
        }],
        consensus: ConsensusParams::default(),
    }
}

fn config() -> DriverConfig {
    let timeouts = TimeoutConfig {
        propose_ms: 100,
        prevote_ms: 50,
        precommit_ms: 50,
        delta_ms: 50,
        max_ms: 1_000,
    };
    DriverConfig {
        core: CoreConfig::new(CHAIN, timeouts),
        max_block_txs: 1_000,
        heartbeat_ms: 0,
    }
}

impl Net {
    fn new(n: usize) -> Net {
        let keys: Vec<Keypair> = (0..n)
            .map(|i| Keypair::from_seed(&[i as u8 + 1; 32]))
            .collect();
        let user = Keypair::from_seed(&[99; 32]);
        let g = genesis(&keys, &user);
        let state = LedgerState::from_genesis(&g).unwrap();
        let chain = ChainIdentity {
            chain_id: CHAIN.into(),
            genesis_hash: g.hash().unwrap(),
        };
        let stores: Vec<Arc<MemoryStore>> = (0..n)
            .map(|_| {
                let s = Arc::new(MemoryStore::new());
                s.init_genesis(&chain, &state).unwrap();
                s
            })
            .collect();
        let drivers = (0..n)
            .map(|i| Self::open(&stores[i], &keys[i], 2_000))
            .collect();
        Net {
            keys,
            user,
            stores,
            drivers,
            now: 2_000,
            timers: BTreeMap::new(),
            queue: VecDeque::new(),
            seq: 0,
            proposed: HashMap::new(),
        }
    }

    fn open(store: &Arc<MemoryStore>, key: &Keypair, now: u64) -> Driver {
        let store: Arc<dyn Store> = store.clone();
        Driver::open(
            config(),
            store,
            key.clone(),
            Mempool::new(MempoolConfig::default()),
            now,
        )
        .unwrap()
    }

    fn transfer(&self, nonce: u64, amount: u128) -> vellum_protocol::SignedTransaction {
        Transaction {
            chain_id: CHAIN.into(),
            sender: self.user.public(),
            nonce,
            expiry_ms: u64::MAX,
            op: Operation::Transfer {
                to: Address::from_public_key(&self.keys[0].public()),
                amount: Amount(amount),
                memo: "rent".into(),
            },
        }
        .sign(&self.user)
    }

    fn apply(&mut self, from: usize, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Broadcast(msg) => {
                    for to in 0..self.drivers.len() {
                        if to != from {
                            self.queue.push_back((to, msg.clone()));
                        }
                    }
                }
                Effect::ScheduleTimeout { timeout, at_ms } => {
                    self.seq += 1;
                    self.timers.insert((at_ms, from, self.seq), (from, timeout));
                }
                Effect::Serve(block) => {
                    self.proposed.insert(block.hash(), block);
                }
                // The proposer serves its block at once (the network asks it by hash).
                Effect::FetchBlock { hash, .. } => {
                    if let Some(block) = self.proposed.get(&hash) {
                        let block = Block::clone(block);
                        let tx_hashes = TxHashes::of(&block.txs).expect("a proposer's block");
                        let mut more = Vec::new();
                        self.drivers[from].on_fetched_block(block, tx_hashes, self.now, &mut more);
                        self.apply(from, more);
                    }
                }
                _ => {}
            }
        }
    }

    /// Hands `msg` to driver `to` as the network does: a proposal with its block's
    /// transaction hashes (`network::validate` computes them when it checks the `tx_root`),
    /// and as the node task does after it, a compact proposal the pool could not fill is
    /// filled or fetched ([`Driver::fill_waiting`]).
    fn deliver_checked(&mut self, to: usize, msg: ConsensusMessage) {
        let mut effects = Vec::new();
        match msg {
            ConsensusMessage::CompactProposal {
                proposal,
                outline,
                tx_hashes,
            } => {
                let tx_hashes = TxHashes::listed(tx_hashes).expect("distinct hashes");
                self.drivers[to].on_checked_compact(
                    proposal,
                    outline,
                    tx_hashes,
                    self.now,
                    &mut effects,
                );
            }
            ConsensusMessage::Proposal { proposal, block } => {
                let tx_hashes = TxHashes::of(&block.txs).expect("a proposer's block is valid");
                self.drivers[to].on_checked_proposal(
                    proposal,
                    block,
                    tx_hashes,
                    self.now,
                    &mut effects,
                );
            }
            vote => self.drivers[to].on_message(vote, self.now, &mut effects),
        }
        if self.drivers[to].awaits_transactions() {
            self.drivers[to].fill_waiting(self.now, false, &mut effects);
        }
        self.apply(to, effects);
    }

    /// Delivers messages (as the network does, [`Net::deliver_checked`]), then fires timers in
    /// time order, until `done` or 60 s pass.
    fn run_until(&mut self, done: impl Fn(&Net) -> bool) {
        let deadline = self.now + 60_000;
        while !done(self) {
            if let Some((to, msg)) = self.queue.pop_front() {
                self.deliver_checked(to, msg);
                continue;
            }
            let Some((&key, &(node, timeout))) = self.timers.iter().next() else {
                break;
            };
            self.timers.remove(&key);
            assert!(
                key.0 <= deadline,
                "no progress within a minute of virtual time"
            );
            self.now = self.now.max(key.0);
            let mut effects = Vec::new();
            self.drivers[node].on_timeout(timeout, self.now, &mut effects);
            self.apply(node, effects);
        }
    }

    /// [`Net::run_until`], losing every message `lost` picks.
    fn run_losing(
        &mut self,
        lost: impl Fn(&ConsensusMessage) -> bool,
        done: impl Fn(&Net) -> bool,
    ) {
        let deadline = self.now + 60_000;
        while !done(self) {
            assert!(self.now < deadline, "no progress");
            if let Some((to, msg)) = self.queue.pop_front() {
                if !lost(&msg) {
                    let mut effects = Vec::new();
                    self.drivers[to].on_message(msg, self.now, &mut effects);
                    self.apply(to, effects);
                }
                continue;
            }
            let Some((&key, &(node, timeout))) = self.timers.iter().next() else {
                break;
            };
            self.timers.remove(&key);
            self.now = self.now.max(key.0);
            let mut effects = Vec::new();
            self.drivers[node].on_timeout(timeout, self.now, &mut effects);
            self.apply(node, effects);
        }
    }

    /// [`Net::run_until`] while driver `deaf` hears nothing: the messages for it are returned
    /// instead, in the order they were sent, and its timers are left alone.
    fn run_deaf(&mut self, deaf: usize, done: impl Fn(&Net) -> bool) -> Vec<ConsensusMessage> {
        let mut held = Vec::new();
        let deadline = self.now + 60_000;
        while !done(self) {
            assert!(self.now < deadline, "no progress");
            if let Some((to, msg)) = self.queue.pop_front() {
                if to == deaf {
                    held.push(msg);
                    continue;
                }
                let mut effects = Vec::new();
                self.drivers[to].on_message(msg, self.now, &mut effects);
                self.apply(to, effects);
                continue;
            }
            let next = self.timers.iter().find(|(_, (node, _))| *node != deaf);
            let Some((&key, &(node, timeout))) = next else {
                break;
            };
            self.timers.remove(&key);
            self.now = self.now.max(key.0);
            let mut effects = Vec::new();
            self.drivers[node].on_timeout(timeout, self.now, &mut effects);
            self.apply(node, effects);
        }
        held
    }

    fn submit(&mut self, to: usize, tx: vellum_protocol::SignedTransaction) {
        let mut effects = Vec::new();
        let results = self.drivers[to].submit(vec![tx], self.now, &mut effects);
        assert!(results[0].is_ok(), "{:?}", results[0]);
        self.apply(to, effects);
    }
}

#[test]
fn a_lone_validator_commits_a_submitted_transfer_at_once() {
    let mut net = Net::new(1);
    let tx = net.transfer(0, 250);
    net.submit(0, tx.clone());
    assert_eq!(net.drivers[0].state().height(), 1);
    let record = net.stores[0]
        .tx(&tx.hash())
        .unwrap()
        .expect("the transfer is stored");
    assert_eq!((record.height, record.index), (1, 0));
    assert!(net.drivers[0].mempool().is_empty());
}

/// When the driver's propose timeout for round 0 of `height` is set among `effects`.
fn propose_timeout_at(effects: &[Effect], height: u64) -> Option<u64> {
    effects.iter().find_map(|e| match e {
        Effect::ScheduleTimeout { timeout, at_ms }
            if timeout.height == height && timeout.round == 0 && timeout.step == Step::Propose =>
        {
            Some(*at_ms)
        }
        _ => None,
    })
}

#[test]
fn the_propose_timeout_allows_for_the_size_of_the_last_block() {
    let mut net = Net::new(1);
    let txs: Vec<_> = (0..50).map(|n| net.transfer(n, 1)).collect();
    let mut effects = Vec::new();
    let results = net.drivers[0].submit(txs, net.now, &mut effects);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(propose_timeout_at(&effects, 1), Some(net.now + 100));
    assert_eq!(net.stores[0].block(1).unwrap().unwrap().txs.len(), 50);

    let mut effects = Vec::new();
    let next = net.transfer(50, 1);
    let results = net.drivers[0].submit(vec![next], net.now, &mut effects);
    assert!(results[0].is_ok());
    assert_eq!(
        propose_timeout_at(&effects, 2),
        Some(net.now + 100 + 50 * PROPOSE_MS_PER_1000_TXS / 1_000),
        "100 ms of the genesis, and 5 for the last block's 50 transactions"
    );
    assert_eq!(net.drivers[0].state().height(), 2);
}

#[test]
fn an_idle_network_makes_no_blocks() {
    let mut net = Net::new(4);
    let mut effects = Vec::new();
    net.drivers[0].on_tick(100_000, &mut effects);
    assert!(effects.is_empty());
    assert_eq!(net.stores[0].latest_height().unwrap(), 0);
}

#[test]
fn four_validators_commit_a_transfer_submitted_to_one() {
    let mut net = Net::new(4);
    let tx = net.transfer(0, 250);
    // Gossip would bring the transaction to the others; the proposer may be any of them.
    for i in 0..4 {
        net.submit(i, tx.clone());
    }
    net.run_until(|n| n.drivers.iter().all(|d| d.state().height() >= 1));
    let hashes: Vec<_> = net
        .stores
        .iter()
        .map(|s| s.block(1).unwrap().unwrap().hash())
        .collect();
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "the nodes disagree on block 1"
    );
    for s in &net.stores {
        assert!(s.tx(&tx.hash()).unwrap().is_some());
        assert!(s.certificate(1).unwrap().is_some());
    }
}

/// The prevote among `effects`: `Some(block)` for a block, `None` for nil.
fn prevote_in(effects: &[Effect]) -> Option<Option<vellum_protocol::Hash>> {
    effects.iter().find_map(|e| match e {
        Effect::Broadcast(ConsensusMessage::Vote(v)) if v.vote.kind == VoteKind::Prevote => {
            Some(v.vote.block)
        }
        _ => None,
    })
}

#[test]
fn a_checked_proposal_is_validated_with_the_hashes_it_came_with() {
    let mut net = Net::new(4);
    let tx = net.transfer(0, 250);
    for i in 0..4 {
        net.submit(i, tx.clone());
    }
    let (proposal, outline, _) = compact_in(&net);
    let block = Box::new(outline.fill(vec![tx.clone()]));
    let proposer = proposer_of(&net, &proposal);
    let receivers: Vec<usize> = (0..4).filter(|&i| i != proposer).collect();
    let hash = proposal.proposal.block;
    let prevote = |net: &mut Net, to: usize, tx_hashes: TxHashes| {
        let mut effects = Vec::new();
        let b = block.clone();
        net.drivers[to].on_checked_proposal(proposal, b, tx_hashes, net.now, &mut effects);
        prevote_in(&effects).expect("a prevote at once")
    };
    // Hashes that are not the block's (here: of no transaction) make the block invalid there:
    // the driver uses the hashes it is given rather than hashing the transactions again.
    assert_eq!(
        prevote(&mut net, receivers[0], TxHashes::of(&[]).unwrap()),
        None
    );
    let own = TxHashes::of(&block.txs).unwrap();
    assert_eq!(prevote(&mut net, receivers[1], own), Some(hash));
}

/// The compact proposal of a block, its outline and its transactions' hashes, from the queue.
fn compact_in(net: &Net) -> (SignedProposal, Box<BlockOutline>, Vec<Hash>) {
    net.queue
        .iter()
        .find_map(|(_, m)| match m {
            ConsensusMessage::CompactProposal {
                proposal,
                outline,
                tx_hashes,
            } => Some((*proposal, outline.clone(), tx_hashes.clone())),
            _ => None,
        })
        .expect("the proposer sent a compact proposal")
}

/// The index of the validator that signed `proposal`.
fn proposer_of(net: &Net, proposal: &SignedProposal) -> usize {
    (0..net.keys.len())
        .find(|&i| net.keys[i].public() == proposal.proposal.proposer)
        .expect("a validator of the net")
}

#[test]
fn a_proposal_is_sent_compact_and_filled_from_a_validators_pool() {
    let mut net = Net::new(4);
    let tx = net.transfer(0, 250);
    for i in 0..4 {
        net.submit(i, tx.clone());
    }
    let (proposal, _, tx_hashes) = compact_in(&net);
    assert_eq!(tx_hashes, vec![tx.hash()]);
    assert!(
        !net.queue
            .iter()
            .any(|(_, m)| matches!(m, ConsensusMessage::Proposal { .. })),
        "no full proposal"
    );
    let proposer = proposer_of(&net, &proposal);
    assert!(
        net.proposed.contains_key(&proposal.proposal.block),
        "kept to be served"
    );
    let to = (proposer + 1) % 4;
    let msg = net
        .queue
        .iter()
        .find(|(t, m)| *t == to && matches!(m, ConsensusMessage::CompactProposal { .. }))
        .unwrap()
        .1
        .clone();
    let ConsensusMessage::CompactProposal { outline, .. } = msg else {
        unreachable!()
    };
    let mut effects = Vec::new();
    let listed = TxHashes::listed(tx_hashes).unwrap();
    net.drivers[to].on_checked_compact(proposal, outline, listed, net.now, &mut effects);
    assert_eq!(prevote_in(&effects), Some(Some(proposal.proposal.block)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Serve(b) if b.hash() == proposal.proposal.block)),
        "a validator that filled the block serves it too"
    );
    assert!(!net.drivers[to].awaits_transactions());
    net.run_until(|n| n.drivers.iter().all(|d| d.state().height() == 1));
}

#[test]
fn a_validator_lacking_a_transaction_waits_for_its_admission_then_fetches_the_block() {
    // Height 1's proposer (the same in every net of these keys) and one other validator get
    // the transaction; `lacking` and `late` do not.
    let proposer = {
        let mut probe = Net::new(4);
        let tx = probe.transfer(0, 250);
        for i in 0..4 {
            probe.submit(i, tx.clone());
        }
        let (proposal, _, _) = compact_in(&probe);
        proposer_of(&probe, &proposal)
    };
    let (lacking, late) = ((proposer + 1) % 4, (proposer + 2) % 4);
    let mut net = Net::new(4);
    let tx = net.transfer(0, 250);
    net.submit(proposer, tx.clone());
    net.submit((proposer + 3) % 4, tx.clone());
    let (proposal, outline, tx_hashes) = compact_in(&net);
    let hash = proposal.proposal.block;
    let listed = || TxHashes::listed(tx_hashes.clone()).unwrap();
    let driver = &mut net.drivers[lacking];
    assert!(driver.mempool().get(&tx.hash()).is_none());
    let mut effects = Vec::new();
    driver.on_checked_compact(proposal, outline.clone(), listed(), net.now, &mut effects);
    assert_eq!(
        prevote_in(&effects),
        None,
        "no vote before the block is whole"
    );
    assert!(driver.awaits_transactions());
    // Network events still queued may bring the transaction: it waits for them a little.
    let mut effects = Vec::new();
    driver.fill_waiting(net.now + 5, true, &mut effects);
    assert!(effects.is_empty());
    assert!(driver.awaits_transactions());
    // Nothing came with the next admission: the block is asked of the peers.
    let mut effects = Vec::new();
    driver.fill_waiting(net.now, false, &mut effects);
    assert!(matches!(
        effects.as_slice(),
        [Effect::FetchBlock { hash: h, height: 1 }] if *h == hash
    ));
    assert!(!driver.awaits_transactions(), "asked once");
    let block = outline.fill(vec![tx.clone()]);
    let tx_hashes = TxHashes::of(&block.txs).unwrap();
    let mut effects = Vec::new();
    driver.on_fetched_block(block, tx_hashes, net.now, &mut effects);
    assert_eq!(prevote_in(&effects), Some(Some(hash)));

    // Another, whose admission brings the transaction, fills the block from its pool.
    let driver = &mut net.drivers[late];
    let mut effects = Vec::new();
    driver.on_checked_compact(proposal, outline, listed(), net.now, &mut effects);
    assert!(driver.awaits_transactions());
    let results = driver.submit(vec![tx.clone()], net.now, &mut effects);
    assert!(results[0].is_ok());
    let mut effects = Vec::new();
    driver.fill_waiting(net.now, false, &mut effects);
    assert_eq!(prevote_in(&effects), Some(Some(hash)));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::FetchBlock { .. }))
    );
}

#[test]
fn a_restarted_driver_resumes_from_its_store() {
    let mut net = Net::new(1);
    net.submit(0, net.transfer(0, 10));
    net.submit(0, net.transfer(1, 10));
    let before = net.drivers[0].state().state_root();
    let height = net.drivers[0].state().height();
    let reopened = Net::open(&net.stores[0], &net.keys[0], 10_000);
    assert_eq!(reopened.state().height(), height);
    assert_eq!(reopened.state().state_root(), before);
}

#[test]
fn a_transaction_after_a_gap_alone_makes_no_block() {
    let mut net = Net::new(1);
    let mut effects = Vec::new();
    let gapped = net.transfer(1, 10);
    let results = net.drivers[0].submit(vec![gapped], net.now, &mut effects);
    assert!(results[0].is_ok());
    assert!(effects.is_empty(), "a gapped transaction started a height");
    assert_eq!(net.drivers[0].state().height(), 0);
    // Its predecessor fills the gap: one block takes both.
    net.submit(0, net.transfer(0, 10));
    assert_eq!(net.drivers[0].state().height(), 1);
    assert!(net.drivers[0].mempool().is_empty());
}

#[test]
fn with_a_heartbeat_a_commit_asks_to_be_woken_for_the_next_empty_block() {
    let mut net = Net::new(1);
    let store: Arc<dyn Store> = net.stores[0].clone();
    let mut driver_config = config();
    driver_config.heartbeat_ms = 5;
    net.drivers[0] = Driver::open(
        driver_config,
        store,
        net.keys[0].clone(),
        Mempool::new(MempoolConfig::default()),
        net.now,
    )
    .unwrap();
    let mut effects = Vec::new();
    net.drivers[0].on_heartbeat(net.now + 5, &mut effects);
    assert_eq!(
        net.drivers[0].state().height(),
        1,
        "the heartbeat made a block"
    );
    let wake = effects.iter().find_map(|e| match e {
        Effect::WakeAt { at_ms } => Some(*at_ms),
        _ => None,
    });
    assert_eq!(wake, Some(net.now + 10), "5 ms after the commit");
    let mut effects = Vec::new();
    net.drivers[0].on_heartbeat(net.now + 9, &mut effects);
    assert_eq!(net.drivers[0].state().height(), 1, "too early");
    net.drivers[0].on_heartbeat(net.now + 10, &mut effects);
    assert_eq!(net.drivers[0].state().height(), 2);
}

/// A validator still finishing height 1 gets the proposal and votes of height 2 first (the
/// others committed earlier): it keeps them and takes part in height 2 once it commits 1,
/// instead of dropping them and waiting for timeouts.
#[test]
fn messages_for_the_height_after_the_next_are_kept_until_it_starts() {
    let mut net = Net::new(4);
    let first = net.transfer(0, 250);
    for i in 0..4 {
        net.submit(i, first.clone());
    }
    // Node 3 hears nothing until the others are done with height 1 and have voted on 2.
    let others_at = |h: u64| move |n: &Net| n.drivers[..3].iter().all(|d| d.state().height() >= h);
    let mut held = net.run_deaf(3, others_at(1));
    // Gossip brings node 3 the transaction (it is deaf to consensus only): its pool fills the
    // compact proposal of height 2.
    let second = net.transfer(1, 250);
    for i in 0..4 {
        net.submit(i, second.clone());
    }
    held.extend(net.run_deaf(3, others_at(2)));
    assert!(held.iter().any(|m| super::height_of(m) == 2));
    // Height-2 messages first (held back as if they overtook), then height 1's.
    held.sort_by_key(|m| std::cmp::Reverse(super::height_of(m)));
    let mut effects = Vec::new();
    for msg in held {
        net.drivers[3].on_message(msg, net.now, &mut effects);
    }
    assert_eq!(
        net.drivers[3].state().height(),
        2,
        "node 3 committed height 2 from the messages it kept"
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Sync { .. })),
        "no sync needed"
    );
}

/// Each message reaches a node once (fully connected validators do not relay): a validator
/// two heights behind keeps what arrives for both heights ahead, asks for the block it lacks,
/// and once sync brings that block it commits the next two heights from what it kept, level
/// with the others, instead of staying a height behind (the old rule kept only one height).
#[test]
fn a_validator_two_heights_behind_keeps_both_and_catches_up_after_sync() {
    let mut net = Net::new(4);
    let others_at = |h: u64| move |n: &Net| n.drivers[..3].iter().all(|d| d.state().height() >= h);
    let mut held = Vec::new();
    for nonce in 0..3 {
        let tx = net.transfer(nonce, 10);
        for i in 0..3 {
            net.submit(i, tx.clone());
        }
        held.extend(net.run_deaf(3, others_at(nonce + 1)));
    }
    // The messages of height 1 were lost; those of heights 2 and 3 reach node 3.
    let mut effects = Vec::new();
    for msg in held.into_iter().filter(|m| super::height_of(m) >= 2) {
        net.drivers[3].on_message(msg, net.now, &mut effects);
    }
    assert_eq!(net.drivers[3].state().height(), 0);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Sync { from_height: 1 })),
        "a message two heights ahead asks for the missing block"
    );
    let first = &net.stores[0];
    let block = (
        first.block(1).unwrap().unwrap(),
        first.certificate(1).unwrap().unwrap(),
    );
    let mut effects = Vec::new();
    net.drivers[3].on_synced(vec![block], net.now, &mut effects);
    // Node 3's pool never got the transactions: the compact proposals it kept wait, then
    // their blocks are fetched from the proposers (as the node task has it do after each
    // admission), and height 3's kept messages are handed over once height 2 commits.
    assert!(net.drivers[3].awaits_transactions());
    let mut fetched = Vec::new();
    net.apply(3, effects);
    while net.drivers[3].awaits_transactions() {
        let mut effects = Vec::new();
        net.drivers[3].fill_waiting(net.now, false, &mut effects);
        fetched.extend(effects.iter().filter_map(|e| match e {
            Effect::FetchBlock { height, .. } => Some(*height),
            _ => None,
        }));
        net.apply(3, effects);
    }
    assert_eq!(fetched, vec![2, 3]);
    assert_eq!(
        net.drivers[3].state().height(),
        3,
        "heights 2 and 3 committed from the messages kept"
    );
}

/// Driver 1 of four takes, in one turn, one transfer per nonce of `nonces`, each gossiped by a
/// peer in its own batch; returns whether any event was left in the queue.
fn take_peer_batches(net: &mut Net, nonces: std::ops::Range<u64>, catching_up: bool) -> bool {
    use crate::network::NetworkEvent;
    use crate::service::intake::take_events;

    let (events, mut queue) = tokio::sync::mpsc::channel(16);
    let mut batches = nonces.map(|nonce| NetworkEvent::Transactions(vec![net.transfer(nonce, 10)]));
    let first = batches.next().expect("at least one batch");
    for batch in batches {
        events.try_send(batch).unwrap();
    }
    let mut effects = Vec::new();
    let now = net.now;
    let gossiped = take_events(
        Some(first),
        &mut queue,
        catching_up,
        0,
        &mut net.drivers[1],
        || now,
        &mut effects,
    );
    net.drivers[1].submit(gossiped, now, &mut effects);
    queue.try_recv().is_ok()
}

#[test]
fn peer_batches_waiting_together_are_admitted_with_one_signature_batch() {
    let mut net = Net::new(4);
    let left = take_peer_batches(&mut net, 0..4, false);
    let cache = net.drivers[1].mempool().signature_cache().stats();
    assert_eq!((cache.checked, cache.batches), (4, 1));
    assert_eq!(net.drivers[1].mempool().len(), 4);
    assert!(!left, "every waiting event was taken");
}

#[tokio::test]
async fn submissions_and_peer_batches_waiting_together_share_one_signature_batch() {
    use std::sync::atomic::AtomicU64;
    use std::sync::{Mutex, RwLock};

    use tokio::sync::{broadcast, mpsc, oneshot};

    use crate::network::{NetworkEvent, NetworkHandle, NetworkStats};
    use crate::service::admission::{Gathered, admit, take_commands, under_load};
    use crate::service::intake::take_events;
    use crate::service::shared::{Command, Evicted, Shared};

    let mut net = Net::new(4);
    let (commands, mut command_queue) = mpsc::channel(16);
    let shared = Shared {
        store: net.stores[1].clone(),
        chain_id: CHAIN.into(),
        genesis_hash: vellum_protocol::Hash::ZERO,
        decimals: 2,
        state: RwLock::new(net.drivers[1].state().clone()),
        evicted: Mutex::new(Evicted::default()),
        commands: commands.clone(),
        blocks: broadcast::channel(16).0,
        accounts: broadcast::channel(16).0,
        txs: broadcast::channel(16).0,
        network: Arc::new(NetworkStats::default()),
        sync_lag: AtomicU64::new(0),
        full: std::sync::Mutex::new(None),
    };
    let (handle, _sent) = NetworkHandle::detached();
    // Two RPC calls and two peers' batches wait when the node task wakes for a peer's batch.
    let mut replies = Vec::new();
    for nonce in [0, 1] {
        let (reply, answer) = oneshot::channel();
        let submit = Command::Submit(vec![net.transfer(nonce, 10)], reply);
        commands.try_send(submit).unwrap();
        replies.push(answer);
    }
    let (events, mut event_queue) = mpsc::channel(16);
    events
        .try_send(NetworkEvent::Transactions(vec![net.transfer(3, 10)]))
        .unwrap();
    let first = NetworkEvent::Transactions(vec![net.transfer(2, 10)]);
    let now = net.now;
    let mut effects = Vec::new();
    let driver = &mut net.drivers[1];
    let gossiped = take_events(
        Some(first),
        &mut event_queue,
        false,
        0,
        driver,
        || now,
        &mut effects,
    );
    let mut gathered = Gathered::default();
    take_commands(
        None,
        &mut command_queue,
        gossiped,
        &mut gathered,
        driver,
        now,
    );
    assert_eq!(gathered.len(), 4);
    assert!(gathered.is_due(now, under_load(driver)), "no load: at once");
    admit(gathered, driver, &shared, &handle, now, &mut effects).await;
    let cache = driver.mempool().signature_cache().stats();
    assert_eq!((cache.checked, cache.batches), (4, 1));
    assert_eq!(driver.mempool().len(), 4);
    for (nonce, answer) in replies.into_iter().enumerate() {
        let results = answer.await.unwrap();
        let hash = net.transfer(nonce as u64, 10).hash();
        assert_eq!(results, vec![Ok(hash)], "each caller gets its own answers");
    }
}

#[test]
fn synced_blocks_are_committed_without_consensus_for_their_heights() {
    let mut net = Net::new(4);
    for nonce in 0..5 {
        let tx = net.transfer(nonce, 10);
        for i in 0..4 {
            net.submit(i, tx.clone());
        }
        net.run_until(|n| n.drivers.iter().all(|d| d.state().height() > nonce));
    }
    let height = net.drivers[0].state().height();
    assert!(height >= 5);
    // A validator whose store was lost starts again from genesis and is handed the chain.
    let fresh = Arc::new(MemoryStore::new());
    let first = &net.stores[0];
    let chain = first.chain().unwrap().unwrap();
    let genesis_state = LedgerState::from_genesis(&genesis(&net.keys, &net.user)).unwrap();
    fresh.init_genesis(&chain, &genesis_state).unwrap();
    let mut behind = Net::open(&fresh, &net.keys[3], net.now);
    let blocks: Vec<_> = (1..=height)
        .map(|h| {
            let block = first.block(h).unwrap().unwrap();
            let cert = first.certificate(h).unwrap().unwrap();
            (block, cert)
        })
        .collect();
    let mut effects = Vec::new();
    behind.on_synced(blocks, net.now, &mut effects);
    assert_eq!(behind.state().height(), height);
    assert_eq!(
        behind.state().state_root(),
        net.drivers[0].state().state_root()
    );
    for h in 1..=height {
        assert_eq!(fresh.block(h).unwrap(), first.block(h).unwrap());
    }
    let committed = effects
        .iter()
        .filter(|e| matches!(e, Effect::Committed(_)))
        .count();
    assert_eq!(committed as u64, height);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Broadcast(_))),
        "nothing is proposed or voted for heights a certificate decided"
    );
    // A stale timeout of a height committed from sync does nothing.
    let mut later = Vec::new();
    let stale = Timeout {
        height: 1,
        round: 0,
        step: vellum_consensus::Step::Propose,
    };
    behind.on_timeout(stale, net.now + 10_000, &mut later);
    assert!(later.is_empty());
}

#[test]
fn a_node_catching_up_leaves_peers_transactions_to_them() {
    let mut net = Net::new(4);
    let left = take_peer_batches(&mut net, 0..2, true);
    assert!(net.drivers[1].mempool().is_empty());
    assert_eq!(
        net.drivers[1].mempool().signature_cache().stats().checked,
        0
    );
    assert!(!left, "the batches were taken, not left queued");
}
