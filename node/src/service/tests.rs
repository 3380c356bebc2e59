//! The node backend over an in-memory store: blocks are built with the real ledger rule and
//! committed straight to the store (as the driver task would), and a small thread answers the
//! driver's commands from a real mempool.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use tokio::sync::{broadcast, mpsc};
use vellum_protocol::genesis::{ConsensusParams, GenesisAccount, GenesisValidator};
use vellum_protocol::rpc::{AccountEvent, BlockId, HistoryEntry, SubmitResult, TxStatus};
use vellum_protocol::{
    Address, Amount, Block, BlockContext, CommitCertificate, CommitSignature, Genesis, Hash,
    Keypair, LedgerState, Operation, Receipt, RejectReason, Signature, SignedTransaction,
    Transaction, VerifyAll, build_block,
};

use super::backend::NodeBackend;
use super::shared::{Command, Evicted, Shared};
use super::views::{self, account_events, tx_events};
use crate::mempool::{Mempool, MempoolConfig, Removal};
use crate::network::NetworkStats;
use crate::rpc::backend::{BackendError, RpcBackend};
use crate::store::{BlockCommit, ChainIdentity, MemoryStore, Store};

const CHAIN: &str = "service-test";
const GENESIS_MS: u64 = 1_000_000;
/// The mempool's clock.
const NOW: u64 = 2_000_000;

fn addr(k: &Keypair) -> Address {
    Address::from_public_key(&k.public())
}

struct Node {
    validator: Keypair,
    alice: Keypair,
    bob: Keypair,
    shared: Arc<Shared>,
    backend: NodeBackend,
    last_commit: Option<CommitCertificate>,
    driver: Arc<Mutex<FakeDriver>>,
}

/// What the fake driver holds: its mempool, and a block it committed that the store does not
/// show yet (the state after it and its transactions' hashes).
struct FakeDriver {
    mempool: Mempool,
    not_durable: Option<(LedgerState, Vec<Hash>)>,
}

/// Answers the driver's commands from `driver` until the shared view is dropped.
fn answer_commands(
    mut commands: mpsc::Receiver<Command>,
    shared: Weak<Shared>,
    driver: Arc<Mutex<FakeDriver>>,
) {
    while let Some(command) = commands.blocking_recv() {
        let mut d = driver.lock().unwrap();
        match command {
            Command::Submit(txs, answer) => {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let state = match &d.not_durable {
                    Some((after, _)) => after.clone(),
                    None => shared.state.read().unwrap().clone(),
                };
                let _ = answer.send(d.mempool.insert_batch(txs, &state, NOW));
            }
            Command::IsPending(hash, answer) => {
                let committed = d
                    .not_durable
                    .as_ref()
                    .is_some_and(|(_, h)| h.contains(&hash));
                let _ = answer.send(d.mempool.contains(&hash) || committed);
            }
            Command::PendingNonce(address, answer) => {
                let _ = answer.send(d.mempool.pending_nonce(&address));
            }
        }
    }
}

impl Node {
    /// One validator; alice and bob hold 1000 each.
    fn new() -> Node {
        let key = |tag: u8| Keypair::from_seed(&[tag; 32]);
        let (validator, alice, bob) = (key(1), key(2), key(3));
        let genesis = Genesis {
            chain_id: CHAIN.into(),
            genesis_time_ms: GENESIS_MS,
            decimals: 2,
            validators: vec![GenesisValidator {
                name: "v0".into(),
                key: validator.public(),
                power: 1,
                node_id: None,
                p2p_address: None,
            }],
            issuers: vec![addr(&key(5))],
            admins: vec![addr(&key(4))],
            accounts: [&alice, &bob]
                .iter()
                .map(|k| GenesisAccount {
                    address: addr(k),
                    balance: Amount(1000),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        let state = LedgerState::from_genesis(&genesis).unwrap();
        let genesis_hash = genesis.hash().unwrap();
        let store = Arc::new(MemoryStore::new());
        let chain = ChainIdentity {
            chain_id: CHAIN.into(),
            genesis_hash,
        };
        store.init_genesis(&chain, &state).unwrap();
        let (commands, receiver) = mpsc::channel(16);
        let shared = Arc::new(Shared {
            store,
            chain_id: CHAIN.into(),
            genesis_hash,
            decimals: 2,
            state: RwLock::new(state),
            evicted: Mutex::new(Evicted::default()),
            commands,
            blocks: broadcast::channel(1024).0,
            accounts: broadcast::channel(1024).0,
            txs: broadcast::channel(1024).0,
            network: Arc::new(NetworkStats::default()),
            sync_lag: AtomicU64::new(0),
            full: Mutex::new(None),
        });
        let weak = Arc::downgrade(&shared);
        let driver = Arc::new(Mutex::new(FakeDriver {
            mempool: Mempool::new(MempoolConfig::default()),
            not_durable: None,
        }));
        let answering = driver.clone();
        std::thread::spawn(move || answer_commands(receiver, weak, answering));
        Node {
            validator,
            alice,
            bob,
            backend: NodeBackend::new(shared.clone()),
            shared,
            last_commit: None,
            driver,
        }
    }

    fn transfer(
        &self,
        from: &Keypair,
        to: &Keypair,
        amount: u128,
        nonce: u64,
    ) -> SignedTransaction {
        Transaction {
            chain_id: CHAIN.into(),
            sender: from.public(),
            nonce,
            expiry_ms: NOW + 60_000,
            op: Operation::Transfer {
                to: addr(to),
                amount: Amount(amount),
                memo: String::new(),
            },
        }
        .sign(from)
    }

    /// Builds the next block of `txs`, takes them out of the mempool, stores the block, then
    /// updates the state, as the driver does.
    fn commit(&mut self, txs: Vec<SignedTransaction>) -> (Block, Vec<Receipt>, CommitCertificate) {
        let (block, next, receipts, certificate) = self.decide(txs);
        let included: Vec<Hash> = block.txs.iter().map(SignedTransaction::hash).collect();
        let changed = next.changed_accounts(&self.shared.state.read().unwrap());
        self.driver
            .lock()
            .unwrap()
            .mempool
            .on_commit(&included, &changed, &next, NOW);
        let commit = BlockCommit::new(&block, &receipts, &certificate, &next);
        self.shared.store.commit_block(&commit).unwrap();
        *self.shared.state.write().unwrap() = next;
        self.last_commit = Some(certificate.clone());
        (block, receipts, certificate)
    }

    /// The next block of `txs` with the state after it, its receipts and a certificate.
    fn decide(
        &self,
        txs: Vec<SignedTransaction>,
    ) -> (Block, LedgerState, Vec<Receipt>, CommitCertificate) {
        let state = self.shared.state.read().unwrap().clone();
        let ctx = BlockContext {
            time_ms: state.last_time_ms().max(GENESIS_MS) + 1000,
            proposer: self.validator.public(),
            last_commit: self.last_commit.clone(),
        };
        let (block, next, receipts) = build_block(&state, txs, ctx, 1000, &VerifyAll);
        let certificate = CommitCertificate {
            height: block.height(),
            round: 0,
            block: block.hash(),
            signatures: vec![CommitSignature {
                validator: self.validator.public(),
                signature: Signature([0; 64]),
            }],
        };
        (block, next, receipts, certificate)
    }

    /// Every history entry of `who`, newest first, paging by `page`.
    fn full_history(&self, who: &Address, page: u32) -> Vec<HistoryEntry> {
        let mut all = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let p = self.backend.history(who, before.as_deref(), page).unwrap();
            assert!(p.entries.len() <= page as usize);
            all.extend(p.entries);
            match p.next_cursor {
                Some(next) => before = Some(next),
                None => return all,
            }
        }
    }
}

#[test]
fn a_committed_transfer_reads_back_as_block_tx_account_and_status() {
    let mut node = Node::new();
    let tx = node.transfer(&node.alice, &node.bob, 250, 0);
    let (block, _, certificate) = node.commit(vec![tx.clone()]);

    let view = node
        .backend
        .block(BlockId::Height(1), true)
        .unwrap()
        .unwrap();
    assert_eq!(view, views::block_view(&block, Some(&certificate), true));
    assert_eq!(view.txs.as_ref().map(Vec::len), Some(1));
    let by_hash = node
        .backend
        .block(BlockId::Hash(block.hash()), false)
        .unwrap()
        .unwrap();
    assert_eq!((by_hash.hash, by_hash.txs), (block.hash(), None));
    assert_eq!(node.backend.block(BlockId::Height(2), false).unwrap(), None);

    let info = node.backend.tx_status(&tx.hash()).unwrap();
    let committed = TxStatus::Committed {
        height: 1,
        index: 0,
        block_hash: block.hash(),
    };
    assert_eq!(info.status, committed);
    assert_eq!(info.tx, Some(views::tx_view(&tx)));

    let alice = node.backend.account(&addr(&node.alice)).unwrap();
    let bob = node.backend.account(&addr(&node.bob)).unwrap();
    assert_eq!(
        (alice.balance, alice.nonce, alice.pending_nonce),
        (Amount(750), 1, None)
    );
    assert_eq!((bob.balance, bob.nonce), (Amount(1250), 0));

    node.shared.network.connected.store(3, Ordering::Relaxed);
    node.shared.sync_lag.store(2, Ordering::Relaxed);
    let status = node.backend.status().unwrap();
    assert_eq!((status.height, status.latest_block_hash), (1, block.hash()));
    assert_eq!(
        (status.peers, status.syncing, status.validators),
        (3, true, 1)
    );
    assert_eq!(node.backend.validators().unwrap().len(), 1);
}

#[test]
fn history_pages_newest_first_and_history_after_walks_oldest_first() {
    let mut node = Node::new();
    for nonce in 0..4 {
        let a = node.transfer(&node.alice, &node.bob, 10, nonce);
        let b = node.transfer(&node.bob, &node.alice, 5, nonce);
        node.commit(vec![a, b]);
    }
    let alice = addr(&node.alice);
    let newest_first = node.full_history(&alice, 3);
    assert_eq!(newest_first.len(), 8);
    assert!(
        newest_first
            .windows(2)
            .all(|w| w[0].position() > w[1].position())
    );
    assert_eq!(node.full_history(&alice, 100), newest_first);

    let oldest_first: Vec<HistoryEntry> = newest_first.iter().rev().cloned().collect();
    assert_eq!(
        node.backend.history_after(&alice, None, 3).unwrap(),
        oldest_first[..3]
    );
    let after = oldest_first[2].cursor.as_str();
    let rest = node
        .backend
        .history_after(&alice, Some(after), 100)
        .unwrap();
    assert_eq!(rest, oldest_first[3..]);
    let two = node.backend.history_after(&alice, Some(after), 2).unwrap();
    assert_eq!(two, oldest_first[3..5]);
    let last = oldest_first[7].cursor.as_str();
    assert!(
        node.backend
            .history_after(&alice, Some(last), 10)
            .unwrap()
            .is_empty()
    );

    for bad in ["junk", "1:0"] {
        assert_eq!(
            node.backend.history(&alice, Some(bad), 5),
            Err(BackendError::BadCursor(bad.into()))
        );
        assert!(matches!(
            node.backend.history_after(&alice, Some(bad), 5),
            Err(BackendError::BadCursor(_))
        ));
    }
}

#[test]
fn commit_events_match_the_stored_history_and_tx_status() {
    let mut node = Node::new();
    let mut events: HashMap<Address, Vec<AccountEvent>> = HashMap::new();
    for nonce in 0..3 {
        let a = node.transfer(&node.alice, &node.bob, 10, nonce);
        let self_send = node.transfer(&node.bob, &node.bob, 1, 2 * nonce);
        let overspend = node.transfer(&node.bob, &node.alice, 1_000_000, 2 * nonce + 1);
        let (block, receipts, certificate) = node.commit(vec![a, self_send, overspend]);
        let view = views::block_view(&block, Some(&certificate), false);
        let (accounts, txs) = (
            account_events(&block, &receipts),
            tx_events(&block, &receipts),
        );
        assert_eq!(
            Some(view),
            node.backend
                .block(BlockId::Height(block.height()), false)
                .unwrap()
        );
        assert_eq!(txs.len(), block.txs.len());
        for info in txs {
            assert_eq!(node.backend.tx_status(&info.hash).unwrap(), info);
        }
        for event in accounts {
            events.entry(event.address).or_default().push(event);
        }
    }
    for who in [&node.alice, &node.bob] {
        let mut stored = node.full_history(&addr(who), 4);
        stored.reverse();
        let sent: Vec<HistoryEntry> = events[&addr(who)].iter().map(|e| e.entry.clone()).collect();
        assert_eq!(sent, stored);
        assert_eq!(
            node.backend.history_after(&addr(who), None, 100).unwrap(),
            stored
        );
    }
}

#[test]
fn a_rejected_receipt_is_rejected_with_its_code_and_height() {
    let mut node = Node::new();
    let tx = node.transfer(&node.alice, &node.bob, 5_000, 0);
    let (_, receipts, _) = node.commit(vec![tx.clone()]);
    assert!(!receipts[0].is_committed());
    let status = node.backend.tx_status(&tx.hash()).unwrap().status;
    let TxStatus::Rejected {
        code,
        reason,
        height,
        ..
    } = status
    else {
        panic!("expected rejected, got {status:?}");
    };
    let expected = RejectReason::InsufficientFunds {
        balance: Amount(1000),
        needed: Amount(5000),
    };
    assert_eq!(
        (code, reason.as_str(), height),
        (expected.code(), "insufficient_funds", Some(1))
    );
    let alice = node.backend.history(&addr(&node.alice), None, 10).unwrap();
    assert_eq!(alice.entries[0].reject_code, Some(expected.code()));
}

#[test]
fn evicted_transactions_are_expired_or_rejected_and_unseen_ones_unknown() {
    let node = Node::new();
    let (expired, replaced) = (Hash([7; 32]), Hash([8; 32]));
    {
        let mut evicted = node.shared.evicted.lock().unwrap();
        evicted.record(expired, Removal::Expired);
        let why = Removal::Replaced {
            nonce: 0,
            account_nonce: 1,
        };
        evicted.record(replaced, why);
    }
    assert_eq!(
        node.backend.tx_status(&expired).unwrap().status,
        TxStatus::Expired
    );
    let status = node.backend.tx_status(&replaced).unwrap().status;
    let TxStatus::Rejected { code, height, .. } = status else {
        panic!("expected rejected, got {status:?}");
    };
    let nonce_low = RejectReason::NonceTooLow {
        expected: 1,
        got: 0,
    };
    assert_eq!((code, height), (nonce_low.code(), None));
    let unknown = node.backend.tx_status(&Hash([9; 32])).unwrap();
    assert_eq!((unknown.status, unknown.tx), (TxStatus::Unknown, None));
}

#[test]
fn a_submission_is_pending_then_committed_and_resubmitting_answers_its_status() {
    let mut node = Node::new();
    let tx = node.transfer(&node.alice, &node.bob, 100, 0);
    let first = node.backend.submit(vec![tx.clone()]);
    assert_eq!(first[0].as_ref().unwrap().status, TxStatus::Pending);
    assert_eq!(
        node.backend.tx_status(&tx.hash()).unwrap().status,
        TxStatus::Pending
    );
    assert_eq!(
        node.backend
            .account(&addr(&node.alice))
            .unwrap()
            .pending_nonce,
        Some(1)
    );
    let again = node.backend.submit(vec![tx.clone()]);
    assert_eq!(again, first);

    let (block, _, _) = node.commit(vec![tx.clone()]);
    let committed = TxStatus::Committed {
        height: 1,
        index: 0,
        block_hash: block.hash(),
    };
    let after = node.backend.submit(vec![tx.clone()]);
    assert_eq!(after[0].as_ref().unwrap().status, committed);

    let broke = node.transfer(&node.bob, &node.alice, 1_000_000, 0);
    let refused = node.backend.submit(vec![broke]);
    assert!(refused[0].is_err(), "{refused:?}");
}

/// Between its block's commit and the block's durable write, a transaction has left the
/// mempool and the store does not hold it, and the driver's state has used its nonce: sent
/// again then (a client that timed out), it must be answered as pending, not refused as a
/// replay of itself.
#[test]
fn a_transaction_sent_again_before_its_block_is_durable_is_answered_pending() {
    let mut node = Node::new();
    let tx = node.transfer(&node.alice, &node.bob, 100, 0);
    assert_eq!(
        node.backend.submit(vec![tx.clone()])[0]
            .as_ref()
            .unwrap()
            .status,
        TxStatus::Pending
    );
    let (_, after, _, _) = node.decide(vec![tx.clone()]);
    {
        let mut driver = node.driver.lock().unwrap();
        driver.mempool = Mempool::new(MempoolConfig::default());
        driver.not_durable = Some((after, vec![tx.hash()]));
    }
    let again = node.backend.submit(vec![tx.clone()]);
    assert_eq!(
        again,
        vec![Ok(SubmitResult {
            hash: tx.hash(),
            status: TxStatus::Pending
        })]
    );
    // Durable: the store answers.
    node.driver.lock().unwrap().not_durable = None;
    let (block, _, _) = node.commit(vec![tx.clone()]);
    let committed = TxStatus::Committed {
        height: 1,
        index: 0,
        block_hash: block.hash(),
    };
    assert_eq!(
        node.backend.submit(vec![tx.clone()])[0]
            .as_ref()
            .unwrap()
            .status,
        committed
    );
}

#[test]
fn announcements_reach_subscribers_as_later_reads_return_them_and_evictions_are_recorded() {
    use super::announce;
    use crate::driver::CommittedBlock;

    let mut node = Node::new();
    let committed = |node: &Node, block: Block, receipts, certificate, evicted| CommittedBlock {
        block: Arc::new(block),
        certificate,
        receipts,
        state: node.shared.state.read().unwrap().clone(),
        evicted,
        latency_ms: 0,
        changed: Vec::new(),
    };
    // Nobody subscribed: nothing is sent, and the announcement still completes.
    let first = node.transfer(&node.alice, &node.bob, 1, 0);
    let (block, receipts, certificate) = node.commit(vec![first]);
    announce::committed(
        &node.shared,
        &committed(&node, block, receipts, certificate, vec![]),
    );

    let (mut blocks, mut accounts, mut txs) = (
        node.shared.blocks.subscribe(),
        node.shared.accounts.subscribe(),
        node.shared.txs.subscribe(),
    );
    let second = node.transfer(&node.alice, &node.bob, 2, 1);
    let (block, receipts, certificate) = node.commit(vec![second.clone()]);
    let gone = Hash([7; 32]);
    let evicted = vec![(gone, Removal::Expired)];
    announce::committed(
        &node.shared,
        &committed(&node, block, receipts, certificate, evicted),
    );
    assert_eq!(
        Some(blocks.try_recv().unwrap()),
        node.backend.block(BlockId::Height(2), false).unwrap()
    );
    let info = txs.try_recv().unwrap();
    assert_eq!(info, node.backend.tx_status(&second.hash()).unwrap());
    for _ in 0..2 {
        let event = accounts.try_recv().unwrap();
        assert_eq!(event.entry, node.full_history(&event.address, 10)[0]);
    }
    assert!(accounts.try_recv().is_err() && blocks.try_recv().is_err());
    // The block's evictions follow its transactions.
    let info = txs.try_recv().unwrap();
    assert_eq!((info.hash, info.status), (gone, TxStatus::Expired));
    assert_eq!(
        node.backend.tx_status(&gone).unwrap().status,
        TxStatus::Expired
    );
}
