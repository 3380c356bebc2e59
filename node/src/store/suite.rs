//! The conformance suite every [`Store`] passes, run against each implementation by
//! [`crate::store_suite!`].
//!
//! Each check takes `open`, which opens the same store each time it is called (a fresh,
//! empty one on the first call); a check drops one handle before it opens the next, so a
//! RocksDB directory can be reopened as a restarting node would.

pub mod chain;

use vellum_consensus::{LockProof, Recovery, SafetyState, SignedPosition, Step};
use vellum_protocol::state::snapshot::StateFields;
use vellum_protocol::{Address, Amount, Hash, Keypair, Operation, Vote, VoteKind};

use self::chain::{Committed, TestChain, address};
use super::history::entries_of;
use super::layout::{Column, ColumnStore, decode, meta};
use super::{
    CHECKPOINT_BLOCKS, ChainIdentity, HistoryCursor, HistoryEntry, MAX_HISTORY_PAGE, Store,
    StoreError,
};

/// Generates one `#[test]` per check for the store that `$open_fresh` makes: an expression
/// giving a fresh `impl Fn() -> impl Store` that reopens one store each time it is called.
#[macro_export]
macro_rules! store_suite {
    ($open_fresh:expr) => {
        $crate::store_suite!(@tests $open_fresh;
            a_fresh_store_is_empty,
            every_getter_returns_what_was_committed,
            history_pages_walk_every_entry_once_newest_first,
            the_safety_state_round_trips_and_the_last_save_wins,
            a_store_made_for_another_chain_is_refused,
            a_refused_commit_writes_nothing,
            a_reopened_store_continues_the_chain,
            pending_and_locked_blocks_ride_with_the_safety_state,
            the_state_reloads_from_its_checkpoint_and_the_blocks_since,
            an_index_entry_above_the_latest_block_is_no_transaction,
        );
    };
    (@tests $open_fresh:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let open = $open_fresh;
                $crate::store::suite::$name(&open);
            }
        )*
    };
}

/// Commits `n` mixed blocks on a fresh store for `chain`, returning what was committed.
fn grow<S: Store>(store: &S, chain: &mut TestChain, n: usize) -> Vec<Committed> {
    let genesis = chain.state.clone();
    store.init_genesis(&chain.identity, &genesis).unwrap();
    (0..n).map(|_| commit_one(store, chain)).collect()
}

fn commit_one<S: Store>(store: &S, chain: &mut TestChain) -> Committed {
    let c = chain.mixed_block();
    store.commit_block(&c.commit()).unwrap();
    c
}

/// Checks that `store` holds exactly `blocks` (heights 1..) and the state after the last.
fn assert_holds<S: Store>(store: &S, blocks: &[Committed]) {
    assert_eq!(store.latest_height().unwrap(), blocks.len() as u64);
    for (i, c) in blocks.iter().enumerate() {
        let h = c.block.height();
        assert_eq!(store.block(h).unwrap().as_ref(), Some(&c.block));
        assert_eq!(
            store.block_by_hash(&c.block.hash()).unwrap().as_ref(),
            Some(&c.block)
        );
        // The certificate of a block is the one the next block carries, once there is one.
        let expected = blocks.get(i + 1).and_then(|n| n.block.last_commit.clone());
        let expected = expected.unwrap_or_else(|| c.certificate.clone());
        assert_eq!(store.certificate(h).unwrap(), Some(expected));
        for (tx, receipt) in c.block.txs.iter().zip(&c.receipts) {
            let record = store.tx(&receipt.tx_hash).unwrap().expect("a committed tx");
            assert_eq!((record.height, record.index), (h, receipt.index));
            assert_eq!((&record.tx, &record.receipt), (tx, receipt));
        }
    }
    let next = blocks.len() as u64 + 1;
    assert_eq!(store.block(next).unwrap(), None);
    assert_eq!(store.certificate(next).unwrap(), None);
    assert_eq!(store.block_by_hash(&Hash([7; 32])).unwrap(), None);
    assert_eq!(store.tx(&Hash([7; 32])).unwrap(), None);
    if let Some(last) = blocks.last() {
        let state = store.load_state().unwrap().expect("a state");
        assert_eq!(state.state_root(), last.state.state_root());
        assert_eq!(state.last_block_hash(), last.state.last_block_hash());
        assert_eq!(state.fields(), last.state.fields());
        assert!(state.accounts().eq(last.state.accounts()));
    }
}

pub fn a_fresh_store_is_empty<S: Store>(open: &dyn Fn() -> S) {
    let store = open();
    assert_eq!(store.chain().unwrap(), None);
    assert_eq!(store.latest_height().unwrap(), 0);
    assert!(store.load_state().unwrap().is_none());
    assert_eq!(store.load_safety().unwrap(), None);
    assert_eq!(store.block(1).unwrap(), None);
    let page = store.account_history(&Address([1; 20]), None, 10).unwrap();
    assert!(page.entries.is_empty() && page.next.is_none());
    let mut chain = TestChain::new("suite-fresh", 4);
    let c = chain.next_block(chain.transfers(2));
    assert_eq!(store.commit_block(&c.commit()), Err(StoreError::NoGenesis));
}

pub fn every_getter_returns_what_was_committed<S: Store>(open: &dyn Fn() -> S) {
    let store = open();
    let mut chain = TestChain::new("suite-getters", 4);
    store.init_genesis(&chain.identity, &chain.state).unwrap();
    let genesis = store.load_state().unwrap().expect("the genesis state");
    assert_eq!(genesis.state_root(), chain.state.state_root());
    assert_eq!(store.chain().unwrap(), Some(chain.identity.clone()));
    let blocks: Vec<_> = (0..5).map(|_| commit_one(&store, &mut chain)).collect();
    assert_holds(&store, &blocks);
    let newcomer = store
        .load_state()
        .unwrap()
        .unwrap()
        .account(&Address([0xab; 20]));
    assert!(newcomer.frozen && newcomer.balance.0 == 25);
}

/// Every entry of `who`, newest first, as the blocks give them.
fn expected_history(blocks: &[Committed], who: &Address) -> Vec<HistoryEntry> {
    let mut all: Vec<HistoryEntry> = blocks
        .iter()
        .flat_map(|c| entries_of(&c.block, &c.receipts, c.block.header.time_ms))
        .filter(|(a, _)| a == who)
        .map(|(_, e)| e)
        .collect();
    all.reverse();
    all
}

pub fn history_pages_walk_every_entry_once_newest_first<S: Store>(open: &dyn Fn() -> S) {
    let store = open();
    let mut chain = TestChain::new("suite-history", 4);
    let blocks = grow(&store, &mut chain, 4);
    for who in [
        address(&chain.users[0]),
        address(&chain.admin),
        Address([0xab; 20]),
    ] {
        let expected = expected_history(&blocks, &who);
        assert!(!expected.is_empty());
        for limit in [1, 3, expected.len(), expected.len() + 5] {
            let (mut walked, mut cursor) = (Vec::new(), None::<HistoryCursor>);
            loop {
                let page = store.account_history(&who, cursor.as_ref(), limit).unwrap();
                assert!(page.entries.len() <= limit && !page.entries.is_empty());
                walked.extend(page.entries);
                // Clients hold the cursor as a string.
                match page.next {
                    Some(next) => cursor = Some(next.to_string().parse().unwrap()),
                    None => break,
                }
            }
            assert_eq!(walked, expected, "limit {limit}");
        }
    }
    // The sender's entry of a rejected transfer carries its reason code.
    let u1 = store
        .account_history(&address(&chain.users[1]), None, 10)
        .unwrap();
    assert!(u1.entries.iter().any(|e| e.reject_code == Some(20)));
    // A limit of 0 is read as 1, a huge one as the page maximum.
    let who = address(&chain.users[0]);
    assert_eq!(
        store.account_history(&who, None, 0).unwrap().entries.len(),
        1
    );
    let all = store.account_history(&who, None, usize::MAX).unwrap();
    assert!(all.entries.len() <= MAX_HISTORY_PAGE && all.next.is_none());
    let nobody = store
        .account_history(&Address([0x77; 20]), None, 10)
        .unwrap();
    assert!(nobody.entries.is_empty() && nobody.next.is_none());
}

pub fn the_safety_state_round_trips_and_the_last_save_wins<S: Store>(open: &dyn Fn() -> S) {
    let states = [
        SafetyState::default(),
        SafetyState {
            last_signed: Some(SignedPosition {
                height: 7,
                round: 2,
                step: Step::Prevote,
                block: None,
            }),
            locked: None,
        },
        SafetyState {
            last_signed: Some(SignedPosition {
                height: 7,
                round: 3,
                step: Step::Precommit,
                block: Some(Hash([9; 32])),
            }),
            locked: Some((3, Hash([9; 32]))),
        },
    ];
    for s in states {
        let store = open();
        store.save_safety(&s).unwrap();
        assert_eq!(store.load_safety().unwrap(), Some(s));
        drop(store);
        assert_eq!(open().load_safety().unwrap(), Some(s));
    }
}

pub fn a_store_made_for_another_chain_is_refused<S: Store>(open: &dyn Fn() -> S) {
    let mut chain = TestChain::new("suite-chain-a", 4);
    grow(&open(), &mut chain, 1);
    let store = open();
    let genesis = TestChain::new("suite-chain-a", 4).state;
    // The same chain again is accepted and changes nothing.
    store.init_genesis(&chain.identity, &genesis).unwrap();
    assert_eq!(store.latest_height().unwrap(), 1);
    let other = TestChain::new("suite-chain-b", 4);
    let same_name = ChainIdentity {
        genesis_hash: Hash([1; 32]),
        ..chain.identity.clone()
    };
    for wrong in [other.identity.clone(), same_name] {
        let err = store.init_genesis(&wrong, &other.state).unwrap_err();
        let expected = StoreError::WrongChain {
            expected: wrong.clone(),
            found: chain.identity.clone(),
        };
        assert_eq!(err, expected);
        let message = err.to_string();
        assert!(message.contains("suite-chain-a") && message.contains("another data dir"));
    }
    assert_eq!(store.chain().unwrap(), Some(chain.identity.clone()));
}

pub fn a_refused_commit_writes_nothing<S: Store>(open: &dyn Fn() -> S) {
    let store = open();
    let mut chain = TestChain::new("suite-refused", 4);
    let blocks = grow(&store, &mut chain, 2);
    let good = chain.mixed_block();
    let mut skipped = TestChain::new("suite-refused", 4);
    let far = {
        skipped.resume(good.state.clone(), Some(good.certificate.clone()));
        skipped.next_block(skipped.transfers(3))
    };
    let stale = &blocks[1];
    let mut wrong_cert = good.clone();
    wrong_cert.certificate = stale.certificate.clone();
    let mut wrong_state = good.clone();
    wrong_state.state = stale.state.clone();
    let mut wrong_receipts = good.clone();
    wrong_receipts.receipts.swap(0, 1);
    let mut short_receipts = good.clone();
    short_receipts.receipts.pop();
    for bad in [
        &far,
        stale,
        &wrong_cert,
        &wrong_state,
        &wrong_receipts,
        &short_receipts,
    ] {
        let err = store.commit_block(&bad.commit()).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotNextHeight { .. } | StoreError::InvalidCommit { .. }
            ),
            "{err}"
        );
        assert_holds(&store, &blocks);
        for r in &good.receipts {
            assert_eq!(store.tx(&r.tx_hash).unwrap(), None);
        }
    }
    store.commit_block(&good.commit()).unwrap();
    assert_holds(&store, &[blocks, vec![good]].concat());
}

pub fn a_reopened_store_continues_the_chain<S: Store>(open: &dyn Fn() -> S) {
    let mut chain = TestChain::new("suite-reopen", 5);
    let mut blocks = grow(&open(), &mut chain, 3);
    // A restarted node knows only what the store gives back.
    let store = open();
    assert_holds(&store, &blocks);
    let state = store.load_state().unwrap().unwrap();
    let tip_certificate = store.certificate(3).unwrap();
    let mut resumed = TestChain::new("suite-reopen", 5);
    resumed.resume(state, tip_certificate);
    for _ in 0..3 {
        blocks.push(commit_one(&store, &mut resumed));
    }
    drop(store);
    assert_holds(&open(), &blocks);
    assert_eq!(resumed.state.height(), 6);
}

pub fn pending_and_locked_blocks_ride_with_the_safety_state<S: Store>(open: &dyn Fn() -> S) {
    let mut chain = TestChain::new("suite-pending", 5);
    let store = open();
    store
        .init_genesis(&chain.identity, &chain.state.clone())
        .unwrap();
    let first = chain.mixed_block();
    let second = chain.mixed_block();
    let locked = chain.mixed_block();
    let safety = SafetyState::default();
    let recovery = recovery_locked_on(locked.block.hash());
    let pending = [
        (&first.block, &first.certificate),
        (&second.block, &second.certificate),
    ];
    store
        .save_safety_with(&safety, &recovery, Some(&locked.block), &pending)
        .unwrap();
    drop(store);
    let store = open();
    let record = store.safety_record().unwrap().unwrap();
    assert_eq!(record.locked_block, Some(locked.block.clone()));
    assert_eq!(record.recovery, recovery);
    let found = store.pending_blocks(0).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(
        (&found[0].0, &found[0].1),
        (&first.block, &first.certificate)
    );
    assert_eq!(found[1].0.height(), 2);
    assert_eq!(store.pending_blocks(1).unwrap().len(), 1);
    // Committed, a block is pending no more.
    store.commit_block(&first.commit()).unwrap();
    assert_eq!(store.pending_blocks(0).unwrap().len(), 1);
    // Forgetting up to a height keeps the state and the blocks above it.
    store.forget_pending(1).unwrap();
    assert_eq!(
        store.pending_blocks(0).unwrap(),
        vec![(second.block.clone(), second.certificate.clone())]
    );
    assert_eq!(store.load_safety().unwrap(), Some(safety));
    store.forget_pending(2).unwrap();
    assert!(store.pending_blocks(0).unwrap().is_empty());
    assert_eq!(store.load_safety().unwrap(), Some(safety));
    // The locked block's body and the recovery stay until a save leaves them out.
    let record = store.safety_record().unwrap().unwrap();
    assert_eq!(record.locked_block, Some(locked.block));
    assert_eq!(record.recovery, recovery);
    store.save_safety(&safety).unwrap();
    let record = store.safety_record().unwrap().unwrap();
    assert_eq!(
        (record.locked_block, record.recovery),
        (None, Recovery::default())
    );
}

/// The height of the state that `state_fields` and the `state` column hold.
fn checkpoint_height(store: &impl ColumnStore) -> u64 {
    let bytes = store
        .get(Column::Meta, meta::STATE_FIELDS)
        .unwrap()
        .unwrap();
    decode::<StateFields>("state fields", &bytes)
        .unwrap()
        .height
}

pub fn the_state_reloads_from_its_checkpoint_and_the_blocks_since<S: ColumnStore>(
    open: &dyn Fn() -> S,
) {
    let last = 2 * CHECKPOINT_BLOCKS + 10;
    let mut chain = TestChain::new("suite-checkpoint", last as u16 + 2);
    // Block h moves 1 from user h to user h + 1: most accounts change in two blocks only.
    let next = |store: &S, chain: &mut TestChain| {
        let h = chain.state.height() as usize + 1;
        let to = address(&chain.users[h + 1]);
        let op = Operation::Transfer {
            to,
            amount: Amount(1),
            memo: String::new(),
        };
        let before = chain.state.clone();
        let c = chain.next_block(vec![chain.tx(&chain.users[h], 0, op)]);
        // Every other block with the accounts it changed, as the driver commits: the
        // checkpoints must not depend on which the store was given.
        let changed = c.state.changed_accounts(&before);
        let commit = c.commit();
        let commit = if h.is_multiple_of(2) {
            commit.with_changed(&changed)
        } else {
            commit
        };
        store.commit_block(&commit).unwrap();
        c
    };
    let store = open();
    store.init_genesis(&chain.identity, &chain.state).unwrap();
    let mut blocks = Vec::new();
    let restart = CHECKPOINT_BLOCKS + CHECKPOINT_BLOCKS / 3;
    while (blocks.len() as u64) < restart {
        blocks.push(next(&store, &mut chain));
    }
    assert_eq!(checkpoint_height(&store), CHECKPOINT_BLOCKS);
    assert_holds(&store, &blocks);
    // `txs` holds the entries up to the checkpoint; those above it wait in memory.
    let in_txs = |store: &S, c: &Committed| {
        let hash = c.receipts[0].tx_hash;
        store.get(Column::Txs, &hash.0).unwrap().is_some()
    };
    assert!(in_txs(&store, &blocks[0]));
    assert!(in_txs(&store, &blocks[CHECKPOINT_BLOCKS as usize - 1]));
    assert!(!in_txs(&store, &blocks[CHECKPOINT_BLOCKS as usize]));
    drop(store);
    // A restarted writer knows nothing of the accounts changed since the checkpoint, nor of
    // the transactions waiting for `txs`; the next checkpoint must still save them (the
    // blocks above it say which, and their outcomes).
    let store = open();
    store.writer_lock().lock().unwrap().reset();
    store.recent_txs().reset();
    while (blocks.len() as u64) < last {
        blocks.push(next(&store, &mut chain));
    }
    assert_eq!(checkpoint_height(&store), 2 * CHECKPOINT_BLOCKS);
    assert!(in_txs(&store, &blocks[CHECKPOINT_BLOCKS as usize]));
    drop(store);
    let store = open();
    store.recent_txs().reset();
    assert_holds(&store, &blocks);
    // A block the replay needs is part of the state: without it the store refuses to start.
    let mut gone = super::WriteSet::with_capacity(1);
    gone.delete(Column::Blocks, super::layout::height_key(last - 1));
    store.write(gone, true).unwrap();
    let err = store.load_state().unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("block {} is missing", last - 1)),
        "{err}"
    );
}

/// A checkpoint writes the waiting entries to `txs` before its batch; if the node dies in
/// between, `txs` holds entries of a block above the latest, which are not transactions yet.
pub fn an_index_entry_above_the_latest_block_is_no_transaction<S: ColumnStore>(
    open: &dyn Fn() -> S,
) {
    let mut chain = TestChain::new("suite-ahead", 4);
    let store = open();
    let blocks = grow(&store, &mut chain, 2);
    let ahead = chain.mixed_block();
    let entries = ahead
        .receipts
        .iter()
        .map(|r| (r.tx_hash.0.to_vec(), super::layout::txs_value(3, r)))
        .collect::<std::collections::BTreeMap<_, _>>();
    store
        .ingest_sorted(Column::Txs, entries.into_iter().collect())
        .unwrap();
    drop(store);
    let store = open();
    store.recent_txs().reset();
    assert_holds(&store, &blocks);
    for r in &ahead.receipts {
        assert_eq!(store.tx(&r.tx_hash).unwrap(), None);
    }
    store.commit_block(&ahead.commit()).unwrap();
    assert_holds(&store, &[blocks, vec![ahead]].concat());
}

/// A safety state that signed at `(height, 0, step)` for a block named after the height.
pub fn signed_state(height: u64, step: Step) -> SafetyState {
    SafetyState {
        last_signed: Some(SignedPosition {
            height,
            round: 0,
            step,
            block: Some(Hash([height as u8; 32])),
        }),
        locked: None,
    }
}

/// A recovery with one own vote and a proof of lock on `block` of three prevotes.
pub fn recovery_locked_on(block: Hash) -> Recovery {
    let keys: Vec<Keypair> = (1..=3u8).map(|i| Keypair::from_seed(&[i; 32])).collect();
    let vote = |k: &Keypair, kind| {
        Vote {
            kind,
            height: 3,
            round: 1,
            block: Some(block),
            validator: k.public(),
        }
        .sign("suite-pending", k)
    };
    Recovery {
        own_votes: vec![vote(&keys[0], VoteKind::Precommit)],
        lock_proof: Some(LockProof {
            round: 1,
            block,
            prevotes: keys.iter().map(|k| vote(k, VoteKind::Prevote)).collect(),
        }),
    }
}
