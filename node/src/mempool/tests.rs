//! Tests of the mempool: admission and its refusals, bounds, reaping, re-checks after a
//! commit, and the verified-signature cache.

use std::sync::OnceLock;

use proptest::prelude::*;
use vellum_protocol::genesis::{ConsensusParams, GenesisAccount, GenesisValidator};
use vellum_protocol::ledger::check_tx;
use vellum_protocol::transaction::MAX_TX_BYTES;
use vellum_protocol::{
    Address, Amount, BlockContext, Genesis, Keypair, LedgerState, Operation, PublicKey,
    RejectReason, SignatureCheck, SignedTransaction, Transaction, VerifyAll, apply_block,
    build_block,
};

use super::drain::{MAX_RETRY_MS, MIN_RETRY_MS};
use super::*;

const CHAIN: &str = "mempool-test";
const GENESIS_MS: u64 = 1_000_000;
const NOW: u64 = 2_000_000;

fn keypair(tag: u8, i: u8) -> Keypair {
    let mut seed = [tag; 32];
    seed[0] = i;
    Keypair::from_seed(&seed)
}

fn addr(k: &Keypair) -> Address {
    Address::from_public_key(&k.public())
}

/// One validator, eight users with 1000 each, an issuer and an admin.
struct Chain {
    validator: Keypair,
    users: Vec<Keypair>,
    issuer: Keypair,
    admin: Keypair,
    state: LedgerState,
}

impl Chain {
    fn new() -> Chain {
        Chain::with_users(8, 1000)
    }

    fn with_users(n: u8, balance: u128) -> Chain {
        let validator = keypair(1, 0);
        let users: Vec<Keypair> = (0..n).map(|i| keypair(2, i)).collect();
        let (issuer, admin) = (keypair(3, 0), keypair(4, 0));
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
            issuers: vec![addr(&issuer)],
            admins: vec![addr(&admin)],
            accounts: users
                .iter()
                .map(|k| GenesisAccount {
                    address: addr(k),
                    balance: Amount(balance),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        let state = LedgerState::from_genesis(&genesis).unwrap();
        Chain {
            validator,
            users,
            issuer,
            admin,
            state,
        }
    }

    fn user(&self, i: usize) -> Address {
        addr(&self.users[i])
    }

    /// A transfer of `amount` from user `from` to user `to`.
    fn transfer(&self, from: usize, to: usize, amount: u128, nonce: u64) -> SignedTransaction {
        let op = Operation::Transfer {
            to: self.user(to),
            amount: Amount(amount),
            memo: String::new(),
        };
        signed(&self.users[from], nonce, op)
    }

    /// Builds the next block of `txs` at `time_ms`, every one of which must execute; returns
    /// the state after it, the transactions' hashes and the accounts the block changed.
    fn commit(
        &self,
        txs: Vec<SignedTransaction>,
        time_ms: u64,
    ) -> (LedgerState, Vec<Hash>, Vec<(Address, Account)>) {
        self.commit_on(&self.state, txs, time_ms)
    }

    /// As [`Chain::commit`], for the block after `state`.
    fn commit_on(
        &self,
        state: &LedgerState,
        txs: Vec<SignedTransaction>,
        time_ms: u64,
    ) -> (LedgerState, Vec<Hash>, Vec<(Address, Account)>) {
        let ctx = BlockContext {
            time_ms,
            proposer: self.validator.public(),
            last_commit: None,
        };
        let n = txs.len();
        let (block, next, receipts) = build_block(state, txs, ctx, 1000, &VerifyAll);
        assert_eq!(receipts.len(), n, "the builder dropped a transaction");
        assert!(receipts.iter().all(|r| r.is_committed()), "{receipts:?}");
        let changed = next.changed_accounts(state);
        (
            next,
            block.txs.iter().map(SignedTransaction::hash).collect(),
            changed,
        )
    }
}

fn signed_with(k: &Keypair, nonce: u64, expiry_ms: u64, op: Operation) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN.into(),
        sender: k.public(),
        nonce,
        expiry_ms,
        op,
    }
    .sign(k)
}

fn signed(k: &Keypair, nonce: u64, op: Operation) -> SignedTransaction {
    signed_with(k, nonce, NOW + 60_000, op)
}

fn corrupt(mut tx: SignedTransaction) -> SignedTransaction {
    tx.signature.0[7] ^= 1;
    tx
}

fn pool() -> Mempool {
    Mempool::new(MempoolConfig::default())
}

fn insert_one(
    pool: &mut Mempool,
    tx: SignedTransaction,
    state: &LedgerState,
) -> Result<Hash, AdmissionError> {
    pool.insert_batch(vec![tx], state, NOW).remove(0)
}

/// One refusal case: a pool with `config` and `pending` admitted, then `tx`.
struct Case {
    what: &'static str,
    config: MempoolConfig,
    pending: Vec<SignedTransaction>,
    tx: SignedTransaction,
    code: u16,
    name: &'static str,
}

fn refusal_cases(c: &Chain, frozen: &LedgerState) -> Vec<(Case, LedgerState)> {
    let d = MempoolConfig::default;
    let transfer = |memo: usize, amount: u128| Operation::Transfer {
        to: c.user(1),
        amount: Amount(amount),
        memo: "m".repeat(memo),
    };
    let u0 = &c.users[0];
    let case = |what, config, pending, tx, code, name| Case {
        what,
        config,
        pending,
        tx,
        code,
        name,
    };
    let mut wrong_chain = signed(u0, 0, transfer(0, 1)).tx;
    wrong_chain.chain_id = "other-chain".into();
    let small = |f: fn(&mut MempoolConfig)| {
        let mut config = d();
        f(&mut config);
        config
    };
    let one = size(&c.transfer(0, 1, 1, 0));
    let cases = vec![
        case(
            "oversized",
            d(),
            vec![],
            signed(u0, 0, transfer(1100, 1)),
            2,
            "oversized",
        ),
        case(
            "wrong chain",
            d(),
            vec![],
            wrong_chain.sign(u0),
            3,
            "wrong_chain_id",
        ),
        case(
            "bad signature",
            d(),
            vec![],
            corrupt(c.transfer(0, 1, 1, 0)),
            4,
            "bad_signature",
        ),
        case(
            "nonce too high",
            d(),
            vec![],
            c.transfer(0, 1, 1, 64),
            6,
            "nonce_too_high",
        ),
        case(
            "expired",
            d(),
            vec![],
            signed_with(u0, 0, NOW - 1, transfer(0, 1)),
            7,
            "expired",
        ),
        case(
            "memo too long",
            d(),
            vec![],
            signed(u0, 0, transfer(257, 1)),
            8,
            "memo_too_long",
        ),
        case(
            "unaffordable",
            d(),
            vec![],
            c.transfer(0, 1, 1001, 0),
            20,
            "insufficient_funds",
        ),
        case(
            "unaffordable after the pending sequence",
            d(),
            vec![c.transfer(0, 1, 600, 0)],
            c.transfer(0, 1, 600, 1),
            20,
            "insufficient_funds",
        ),
        case(
            "zero amount",
            d(),
            vec![],
            c.transfer(0, 1, 0, 0),
            22,
            "zero_amount",
        ),
        case(
            "self transfer",
            d(),
            vec![],
            c.transfer(0, 0, 1, 0),
            23,
            "self_transfer",
        ),
        case(
            "mint by a user",
            d(),
            vec![],
            signed(
                u0,
                0,
                Operation::Mint {
                    to: c.user(0),
                    amount: Amount(5),
                },
            ),
            24,
            "not_issuer",
        ),
        case(
            "freeze by a user",
            d(),
            vec![],
            signed(u0, 0, Operation::Freeze { account: c.user(1) }),
            25,
            "not_admin",
        ),
        case(
            "validator with no power",
            d(),
            vec![],
            signed(
                &c.admin,
                0,
                Operation::AddValidator {
                    key: c.users[2].public(),
                    power: 0,
                },
            ),
            28,
            "invalid_validator_change",
        ),
        case(
            "weak validator key",
            d(),
            vec![],
            signed(
                &c.admin,
                0,
                Operation::AddValidator {
                    key: PublicKey([0; 32]),
                    power: 1,
                },
            ),
            28,
            "invalid_validator_change",
        ),
        case(
            "full by count",
            small(|c| c.max_txs = 1),
            vec![c.transfer(1, 2, 1, 0)],
            c.transfer(0, 1, 1, 0),
            100,
            "mempool_full",
        ),
        case(
            "full by bytes",
            MempoolConfig {
                max_bytes: 3 * one - 1,
                ..d()
            },
            vec![c.transfer(1, 2, 1, 0), c.transfer(2, 1, 1, 0)],
            c.transfer(0, 1, 1, 0),
            100,
            "mempool_full",
        ),
        case(
            "account limit",
            small(|c| c.max_per_account = 1),
            vec![c.transfer(0, 1, 1, 0)],
            c.transfer(0, 1, 1, 1),
            101,
            "account_limit",
        ),
        case(
            "conflicting nonce",
            d(),
            vec![c.transfer(0, 1, 1, 0)],
            c.transfer(0, 1, 2, 0),
            102,
            "conflicting_nonce",
        ),
    ];
    let mut out: Vec<(Case, LedgerState)> =
        cases.into_iter().map(|k| (k, c.state.clone())).collect();
    // On the state after block 1: user 0 at nonce 1, user 3 frozen.
    out.push((
        case(
            "nonce too low",
            d(),
            vec![],
            c.transfer(0, 1, 1, 0),
            5,
            "nonce_too_low",
        ),
        frozen.clone(),
    ));
    out.push((
        case(
            "frozen sender",
            d(),
            vec![],
            c.transfer(3, 1, 1, 0),
            21,
            "sender_frozen",
        ),
        frozen.clone(),
    ));
    out
}

/// The state after a block in which user 0 sent nonce 0 and the admin froze user 3.
fn after_block_one(c: &Chain) -> LedgerState {
    let freeze = signed(&c.admin, 0, Operation::Freeze { account: c.user(3) });
    c.commit(vec![c.transfer(0, 5, 1, 0), freeze], NOW).0
}

fn size(tx: &SignedTransaction) -> usize {
    tx.to_bytes().len()
}

#[test]
fn each_refusal_has_its_reason_and_code() {
    let c = Chain::new();
    let after = after_block_one(&c);
    let mut seen = std::collections::BTreeSet::new();
    for (case, state) in refusal_cases(&c, &after) {
        let mut pool = Mempool::new(case.config.clone());
        for (i, r) in pool
            .insert_batch(case.pending.clone(), &state, NOW)
            .iter()
            .enumerate()
        {
            assert!(r.is_ok(), "{}: pending {i} refused: {r:?}", case.what);
        }
        let before = pool.len();
        let err = insert_one(&mut pool, case.tx.clone(), &state).unwrap_err();
        assert_eq!(
            (err.code(), err.name()),
            (case.code, case.name),
            "{}: {err:?}",
            case.what
        );
        assert!(!err.to_string().is_empty());
        assert_eq!(pool.len(), before, "{}: the pool changed", case.what);
        assert!(!pool.contains(&case.tx.hash()));
        seen.insert(case.code);
    }
    // Every ledger reason a pool can meet, and every pool refusal.
    let expected = [
        2, 3, 4, 5, 6, 7, 8, 20, 21, 22, 23, 24, 25, 28, 100, 101, 102,
    ];
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn admission_agrees_with_the_ledgers_check_tx() {
    let c = Chain::new();
    let after = after_block_one(&c);
    for (case, state) in refusal_cases(&c, &after) {
        let pool_only = case.code >= 100 || case.code == 4 || case.code == 6;
        if pool_only || !case.pending.is_empty() {
            continue; // signature, window and pool bounds are the pool's own
        }
        let mut pool = pool();
        let Err(AdmissionError::Rejected(ours)) = insert_one(&mut pool, case.tx.clone(), &state)
        else {
            panic!("{}: not a ledger reason", case.what);
        };
        let ledger = check_tx(&state, &case.tx, NOW, Some(case.tx.tx.nonce));
        assert_eq!(ledger, Err(ours), "{}", case.what);
    }
}

#[test]
fn issuers_and_admins_are_admitted_for_their_operations() {
    let c = Chain::new();
    let mut pool = pool();
    let txs = vec![
        signed(
            &c.issuer,
            0,
            Operation::Mint {
                to: c.user(0),
                amount: Amount(5),
            },
        ),
        signed(&c.issuer, 1, Operation::Burn { amount: Amount(1) }),
        signed(&c.admin, 0, Operation::Freeze { account: c.user(1) }),
        signed(
            &c.admin,
            1,
            Operation::AddValidator {
                key: c.users[2].public(),
                power: 1,
            },
        ),
    ];
    let results = pool.insert_batch(txs, &c.state, NOW);
    // The issuer holds nothing, so its burn is refused for funds, not for its role.
    assert!(
        results[0].is_ok() && results[2].is_ok() && results[3].is_ok(),
        "{results:?}"
    );
    assert_eq!(results[1].clone().unwrap_err().name(), "insufficient_funds");
}

#[test]
fn the_full_error_says_what_is_full_and_what_to_do() {
    let c = Chain::new();
    let mut pool = Mempool::new(MempoolConfig {
        max_txs: 2,
        ..MempoolConfig::default()
    });
    let txs: Vec<_> = (0..3).map(|i| c.transfer(i, 7, 1, 0)).collect();
    let results = pool.insert_batch(txs, &c.state, NOW);
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].clone().unwrap_err();
    assert_eq!(
        err,
        AdmissionError::Full {
            limit: "transactions",
            max: 2,
            retry_after_ms: Some(MAX_RETRY_MS),
        }
    );
    assert_eq!(
        err.to_string(),
        "the mempool is full (2 transactions); retry in 10.0 s",
        "nothing has committed yet: the longest wait"
    );
    assert_eq!(pool.len(), 2);
}

#[test]
fn a_full_pool_says_when_to_retry_from_the_commit_rate() {
    let c = Chain::with_users(9, 1000);
    let mut pool = Mempool::new(MempoolConfig {
        max_txs: 8,
        ..MempoolConfig::default()
    });
    // Blocks of 4 every 100 ms for a second: 40 per second.
    for i in 0..10 {
        let (state, included, changed) = c.commit(Vec::new(), NOW + i * 100);
        let four = [included.as_slice(), &[Hash([9; 32]); 4]].concat();
        pool.on_commit(&four, &changed, &state, NOW + i * 100);
    }
    let now = NOW + 900;
    let txs: Vec<_> = (0..9).map(|i| c.transfer(i, (i + 1) % 9, 1, 0)).collect();
    let results = pool.insert_batch(txs, &c.state, now);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 8);
    // A quarter of the 8 pending, at 40 per second: 50 ms, raised to the shortest wait.
    assert_eq!(
        results[8].clone().unwrap_err(),
        AdmissionError::Full {
            limit: "transactions",
            max: 8,
            retry_after_ms: Some(MIN_RETRY_MS),
        }
    );
    assert_eq!(pool.full_error(now), results[8].clone().unwrap_err());
    // Nothing commits for 4 s: the 40 counted over 4.9 s are about 8 per second, so a
    // quarter of the pool takes about 245 ms.
    let later = pool.retry_after_ms(now + 4_000);
    assert!((244..=246).contains(&later), "{later}");
}

/// What [`Mempool::waiting`] should be, counted from scratch: each sender's pending
/// transactions outside the run of consecutive nonces from its committed nonce in `state`.
fn waiting_by_walking(pool: &Mempool, state: &LedgerState) -> usize {
    pool.accounts
        .iter()
        .map(|(sender, queue)| {
            let mut next = state.account(sender).nonce;
            let mut ready = 0;
            for (nonce, _) in queue.iter() {
                if nonce == next {
                    ready += 1;
                    next += 1;
                }
            }
            queue.len() - ready
        })
        .sum()
}

#[test]
fn transactions_behind_a_gap_take_at_most_a_quarter_of_the_pool() {
    let c = Chain::new();
    let mut pool = Mempool::new(MempoolConfig {
        max_txs: 8,
        ..MempoolConfig::default()
    });
    assert_eq!(pool.config().max_waiting(), 2);
    assert!(insert_one(&mut pool, c.transfer(0, 7, 1, 1), &c.state).is_ok());
    assert!(insert_one(&mut pool, c.transfer(1, 7, 1, 1), &c.state).is_ok());
    assert_eq!(pool.waiting(), 2);
    let refused = insert_one(&mut pool, c.transfer(2, 7, 1, 1), &c.state).unwrap_err();
    assert_eq!(
        refused,
        AdmissionError::Full {
            limit: "transactions waiting behind a nonce gap",
            max: 2,
            retry_after_ms: None,
        }
    );
    assert_eq!(refused.name(), "mempool_full");
    assert_eq!(
        refused.to_string(),
        "the mempool is full (2 transactions waiting behind a nonce gap); retry later"
    );
    // A transaction that can run is still admitted, and so are those its run reaches.
    let run: Vec<_> = (0..3).map(|n| c.transfer(2, 7, 1, n)).collect();
    assert!(
        pool.insert_batch(run, &c.state, NOW)
            .iter()
            .all(Result::is_ok)
    );
    assert_eq!(pool.waiting(), 2);
    // Sender 0's missing nonce readies its waiting one, which makes room behind a gap.
    assert!(insert_one(&mut pool, c.transfer(0, 7, 1, 0), &c.state).is_ok());
    assert_eq!(pool.waiting(), 1);
    assert!(insert_one(&mut pool, c.transfer(3, 7, 1, 5), &c.state).is_ok());
    assert_eq!(pool.waiting(), 2);
    assert_eq!(pool.waiting(), waiting_by_walking(&pool, &c.state));
    // A commit of sender 1's nonce 0 (sent elsewhere) readies its nonce 1.
    let (state, included, changed) = c.commit(vec![c.transfer(1, 6, 1, 0)], NOW + 5);
    pool.on_commit(&included, &changed, &state, NOW + 10);
    assert_eq!(pool.waiting(), 1);
    assert_eq!(pool.waiting(), waiting_by_walking(&pool, &state));
}

#[test]
fn the_byte_bound_counts_encoded_bytes() {
    let c = Chain::new();
    let txs: Vec<_> = (0..3).map(|i| c.transfer(i, 7, 1, 0)).collect();
    let two: usize = txs[..2].iter().map(size).sum();
    let mut pool = Mempool::new(MempoolConfig {
        max_bytes: two,
        ..MempoolConfig::default()
    });
    let results = pool.insert_batch(txs, &c.state, NOW);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    assert_eq!(
        results[2],
        Err(AdmissionError::Full {
            limit: "bytes",
            max: two as u64,
            retry_after_ms: Some(MAX_RETRY_MS),
        })
    );
    assert_eq!(pool.bytes(), two);
}

#[test]
fn the_per_account_limit_holds_one_sender_not_others() {
    let c = Chain::new();
    let mut pool = Mempool::new(MempoolConfig {
        max_per_account: 3,
        ..MempoolConfig::default()
    });
    let mut txs: Vec<_> = (0..4).map(|n| c.transfer(0, 1, 1, n)).collect();
    txs.push(c.transfer(1, 0, 1, 0));
    let results = pool.insert_batch(txs, &c.state, NOW);
    assert!(results[..3].iter().all(Result::is_ok));
    assert_eq!(results[3], Err(AdmissionError::AccountLimit { max: 3 }));
    assert_eq!(results[3].clone().unwrap_err().code(), 101);
    assert!(results[4].is_ok());
}

#[test]
fn a_resubmitted_transaction_answers_with_its_hash_and_is_not_verified_again() {
    let c = Chain::new();
    let mut pool = pool();
    let tx = c.transfer(0, 1, 10, 0);
    let hash = insert_one(&mut pool, tx.clone(), &c.state).unwrap();
    assert_eq!(hash, tx.hash());
    assert_eq!(insert_one(&mut pool, tx.clone(), &c.state), Ok(hash));
    let results = pool.insert_batch(vec![tx.clone(), tx.clone()], &c.state, NOW);
    assert_eq!(results, vec![Ok(hash), Ok(hash)]);
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.signature_cache().stats().checked, 1);
    assert_eq!(pool.get(&hash), Some(&tx));
}

#[test]
fn a_transaction_twice_in_one_new_batch_is_one_transaction() {
    let c = Chain::new();
    let mut pool = pool();
    let good = c.transfer(0, 1, 10, 0);
    let bad = corrupt(c.transfer(1, 0, 10, 0));
    let results = pool.insert_batch(
        vec![good.clone(), bad.clone(), good.clone(), bad],
        &c.state,
        NOW,
    );
    let bad_sig = Err(AdmissionError::Rejected(RejectReason::BadSignature));
    assert_eq!(
        results,
        vec![Ok(good.hash()), bad_sig.clone(), Ok(good.hash()), bad_sig]
    );
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.signature_cache().stats().checked, 2);
}

#[test]
fn one_batch_verification_refuses_exactly_the_bad_signatures() {
    let c = Chain::new();
    let mut pool = pool();
    let mut txs: Vec<_> = (0..8)
        .flat_map(|u| (0..3).map(move |n| (u, n)))
        .map(|(u, n)| c.transfer(u, (u + 1) % 8, 1, n))
        .collect();
    let bad = [1, 5, 6, 13, 23];
    for &i in &bad {
        txs[i] = corrupt(txs[i].clone());
    }
    let results = pool.insert_batch(txs.clone(), &c.state, NOW);
    for (i, (tx, r)) in txs.iter().zip(&results).enumerate() {
        if bad.contains(&i) {
            assert_eq!(
                r,
                &Err(AdmissionError::Rejected(RejectReason::BadSignature)),
                "{i}"
            );
            assert!(!pool.contains(&tx.hash()));
        } else {
            assert_eq!(r, &Ok(tx.hash()), "{i}");
        }
    }
    let stats = pool.signature_cache().stats();
    assert_eq!(
        (stats.batches, stats.checked),
        (1, 24),
        "one batch call for the whole batch"
    );
    assert_eq!(pool.len(), 24 - bad.len());
}

#[test]
fn a_bad_signature_does_not_take_the_nonce_of_a_good_transaction() {
    let c = Chain::new();
    let mut pool = pool();
    let forged = corrupt(c.transfer(0, 1, 999, 0));
    let real = c.transfer(0, 1, 5, 0);
    let results = pool.insert_batch(vec![forged, real.clone()], &c.state, NOW);
    assert_eq!(
        results[0],
        Err(AdmissionError::Rejected(RejectReason::BadSignature))
    );
    assert_eq!(results[1], Ok(real.hash()));
    assert_eq!(pool.pending_nonce(&c.user(0)), Some(1));
}

#[test]
fn a_conflicting_nonce_names_the_pending_transaction() {
    let c = Chain::new();
    let mut pool = pool();
    let first = insert_one(&mut pool, c.transfer(0, 1, 1, 0), &c.state).unwrap();
    let err = insert_one(&mut pool, c.transfer(0, 1, 2, 0), &c.state).unwrap_err();
    assert_eq!(
        err,
        AdmissionError::ConflictingNonce {
            nonce: 0,
            pending: first
        }
    );
}

#[test]
fn gaps_wait_in_reap_and_fill_in() {
    let c = Chain::new();
    let mut pool = pool();
    let (a1, a2) = (c.transfer(0, 1, 1, 1), c.transfer(0, 1, 1, 2));
    let b0 = c.transfer(1, 0, 1, 0);
    pool.insert_batch(vec![a2.clone(), a1.clone(), b0.clone()], &c.state, NOW);
    assert_eq!(pool.reap(&c.state, 100, 1 << 20), vec![b0.clone()]);
    assert_eq!(
        pool.pending_nonce(&c.user(0)),
        Some(0),
        "the gap at 0 comes first"
    );
    let a0 = c.transfer(0, 1, 1, 0);
    let b1 = c.transfer(1, 0, 1, 1);
    pool.insert_batch(vec![a0.clone(), b1.clone()], &c.state, NOW);
    // a0 arrived after b0, and takes a2 and a1 (which arrived before it) along in nonce order.
    let reaped = pool.reap(&c.state, 100, 1 << 20);
    assert_eq!(
        reaped,
        vec![b0.clone(), a0.clone(), a1.clone(), a2.clone(), b1.clone()]
    );
    assert_eq!(pool.pending_nonce(&c.user(0)), Some(3));
    assert_eq!(pool.reap(&c.state, 3, 1 << 20), reaped[..3].to_vec());
    let two = size(&b0) + size(&a0);
    assert_eq!(pool.reap(&c.state, 100, two + 1), reaped[..2].to_vec());
}

#[test]
fn only_a_transaction_at_its_senders_committed_nonce_makes_a_block_ready() {
    let c = Chain::new();
    let mut pool = pool();
    assert!(!pool.has_ready(&c.state), "an empty pool");
    let gapped: Vec<SignedTransaction> = (0..4).map(|i| c.transfer(i, 7, 1, 1)).collect();
    pool.insert_batch(gapped, &c.state, NOW);
    assert!(!pool.has_ready(&c.state), "only transactions after gaps");
    pool.insert_batch(vec![c.transfer(2, 7, 1, 0)], &c.state, NOW);
    assert!(pool.has_ready(&c.state), "user 2's nonce 0 arrived");
    // Committed elsewhere: user 2's pending nonce 1 is now the one its account expects.
    let (state, included, changed) = c.commit(vec![c.transfer(2, 6, 1, 0)], NOW + 5);
    pool.on_commit(&included, &changed, &state, NOW + 10);
    assert!(
        pool.has_ready(&state),
        "user 2's nonce 1 follows the committed 0"
    );
    let (state, included, changed) = c.commit(
        vec![c.transfer(2, 6, 1, 0), c.transfer(2, 6, 1, 1)],
        NOW + 5,
    );
    pool.on_commit(&included, &changed, &state, NOW + 10);
    assert!(
        !pool.has_ready(&state),
        "the others still wait for their nonce 0"
    );
}

/// A sender whose queue a block emptied, then whose account a block changed while it had
/// nothing pending, as a recipient and by a transaction this pool never held.
#[test]
fn a_sender_with_nothing_pending_is_admitted_against_its_account_after_each_block() {
    for max_txs in [100_000, 1] {
        let c = Chain::new();
        let config = MempoolConfig {
            max_txs,
            ..MempoolConfig::default()
        };
        let mut pool = Mempool::new(config);
        let spend_all = c.transfer(0, 1, 1000, 0);
        assert!(insert_one(&mut pool, spend_all.clone(), &c.state).is_ok());
        let (one, included, changed) = c.commit(vec![spend_all], NOW + 5);
        pool.on_commit(&included, &changed, &one, NOW + 10);
        assert!(!pool.accounts.contains_key(&c.user(0)), "its queue emptied");
        let broke = insert_one(&mut pool, c.transfer(0, 2, 1, 1), &one);
        let funds = RejectReason::InsufficientFunds {
            balance: Amount(0),
            needed: Amount(1),
        };
        assert_eq!(broke, Err(funds.into()), "max_txs {max_txs}");

        // User 0 receives 500 and spends nonce 1 in a block from elsewhere.
        let elsewhere = vec![c.transfer(3, 0, 500, 0), c.transfer(0, 4, 100, 1)];
        let (two, included, changed) = c.commit_on(&one, elsewhere, NOW + 20);
        pool.on_commit(&included, &changed, &two, NOW + 30);
        let stale = insert_one(&mut pool, c.transfer(0, 2, 1, 1), &two);
        let nonce = RejectReason::NonceTooLow {
            expected: 2,
            got: 1,
        };
        assert_eq!(stale, Err(nonce.into()), "max_txs {max_txs}");
        let too_much = insert_one(&mut pool, c.transfer(0, 2, 401, 2), &two);
        let funds = RejectReason::InsufficientFunds {
            balance: Amount(400),
            needed: Amount(401),
        };
        assert_eq!(too_much, Err(funds.into()), "max_txs {max_txs}");
        assert!(insert_one(&mut pool, c.transfer(0, 2, 400, 2), &two).is_ok());
        assert!(pool.has_ready(&two));
        // Asked about another state than the last commit's, the pool reads that state: user
        // 1 has 2,000 after block one, 1,000 at genesis.
        let at_genesis = insert_one(&mut pool, c.transfer(1, 2, 1500, 0), &c.state);
        let funds = RejectReason::InsufficientFunds {
            balance: Amount(1000),
            needed: Amount(1500),
        };
        assert_eq!(at_genesis, Err(funds.into()), "max_txs {max_txs}");
    }
}

#[test]
fn reap_skips_an_expired_transaction_and_what_follows_it() {
    let c = Chain::new();
    let mut pool = pool();
    let soon = signed_with(
        &c.users[0],
        0,
        GENESIS_MS + 50,
        c.transfer(0, 1, 1, 0).tx.op,
    );
    let next = c.transfer(0, 1, 1, 1);
    let other = c.transfer(1, 0, 1, 0);
    let results = pool.insert_batch(vec![soon, next, other.clone()], &c.state, GENESIS_MS);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(pool.reap(&c.state, 100, 1 << 20).len(), 3);
    assert_eq!(
        pool.reap_at(&c.state, GENESIS_MS + 51, 100, 1 << 20),
        vec![other]
    );
    assert_eq!(pool.evict_expired(GENESIS_MS + 51).len(), 1);
    assert_eq!(pool.len(), 2);
}

#[test]
fn on_commit_removes_the_included_and_evicts_the_stale_with_reasons() {
    let c = Chain::new();
    let mut pool = pool();
    let a0 = c.transfer(0, 1, 100, 0);
    let a1 = c.transfer(0, 1, 100, 1);
    let b0 = c.transfer(1, 2, 100, 0);
    let d0 = signed_with(&c.users[2], 0, NOW + 10, c.transfer(2, 1, 1, 0).tx.op);
    let e0 = c.transfer(3, 1, 100, 0);
    let b1 = c.transfer(1, 2, 500, 1);
    let pending = vec![
        a0.clone(),
        a1.clone(),
        b0.clone(),
        d0.clone(),
        e0.clone(),
        b1.clone(),
    ];
    assert!(
        pool.insert_batch(pending, &c.state, NOW)
            .iter()
            .all(Result::is_ok)
    );

    // The block: a0, another transaction with b0's nonce, and a freeze of user 3.
    let b0_elsewhere = c.transfer(1, 2, 800, 0);
    let freeze = signed(&c.admin, 0, Operation::Freeze { account: c.user(3) });
    let (state, included, changed) = c.commit(vec![a0.clone(), b0_elsewhere, freeze], NOW + 5);

    let evicted = pool.on_commit(&included, &changed, &state, NOW + 20);
    assert_eq!(
        evicted,
        vec![
            (
                b0.hash(),
                Removal::Replaced {
                    nonce: 0,
                    account_nonce: 1
                }
            ),
            (d0.hash(), Removal::Expired),
            (e0.hash(), Removal::Rejected(RejectReason::SenderFrozen)),
            (
                b1.hash(),
                Removal::Rejected(RejectReason::InsufficientFunds {
                    balance: Amount(300),
                    needed: Amount(500)
                })
            ),
        ]
    );
    let codes: Vec<u16> = evicted.iter().map(|(_, r)| r.code()).collect();
    assert_eq!(codes, vec![5, 7, 21, 20]);
    assert!(!pool.contains(&a0.hash()));
    assert!(pool.contains(&a1.hash()));
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.bytes(), size(&a1));
    assert_eq!(pool.pending_nonce(&c.user(0)), Some(2));
    assert_eq!(pool.pending_nonce(&c.user(1)), None);
    assert_eq!(
        pool.accounts[&c.user(0)].cost_below(u64::MAX),
        Some(Amount(100))
    );
    assert_eq!(pool.reap(&state, 100, 1 << 20), vec![a1]);
}

#[test]
fn the_cache_answers_for_admitted_transactions_without_verifying() {
    let c = Chain::new();
    let mut pool = pool();
    let txs: Vec<_> = (0..4).map(|u| c.transfer(u, 4, 1, 0)).collect();
    pool.insert_batch(txs.clone(), &c.state, NOW);
    let cache = pool.signature_cache();
    let before = cache.stats();
    assert_eq!(cache.verified(&txs), vec![true; 4]);
    let after = cache.stats();
    assert_eq!(
        (after.checked, after.batches),
        (before.checked, before.batches)
    );
    assert_eq!(after.hits, before.hits + 4);

    // A block of known transactions applies without verification; an unknown one is
    // verified in one batch and remembered.
    let extra = c.transfer(5, 4, 1, 0);
    let mut block_txs = txs.clone();
    block_txs.push(extra.clone());
    let ctx = BlockContext {
        time_ms: NOW,
        proposer: c.validator.public(),
        last_commit: None,
    };
    let (block, _, _) = build_block(&c.state, block_txs, ctx, 100, &VerifyAll);
    assert!(apply_block(&c.state, &block, &*cache).is_ok());
    let applied = cache.stats();
    assert_eq!(
        (applied.checked, applied.batches),
        (after.checked + 1, after.batches + 1)
    );
    assert!(cache.contains(&extra.hash()));
}

#[test]
fn the_cache_is_consulted_before_verifying() {
    let c = Chain::new();
    let forged = corrupt(c.transfer(0, 1, 1, 0));
    let cache = SignatureCache::new(10);
    assert_eq!(cache.verified(std::slice::from_ref(&forged)), vec![false]);
    assert!(
        !cache.contains(&forged.hash()),
        "a bad signature is not remembered"
    );
    // Only the cache can say yes to a forged signature: it was asked first.
    cache.record(forged.hash());
    assert_eq!(cache.verified(std::slice::from_ref(&forged)), vec![true]);
    assert_eq!(
        cache.stats(),
        CacheStats {
            hits: 1,
            checked: 1,
            batches: 1
        }
    );
}

#[test]
fn the_cache_agrees_with_single_verification_on_edge_cases() {
    let c = Chain::new();
    let good = c.transfer(0, 1, 1, 0);
    let flipped = corrupt(c.transfer(1, 0, 1, 0));
    let mut high_s = c.transfer(2, 0, 1, 0);
    high_s.signature.0[63] |= 0xf0; // S not below the group order
    let mut identity = [0u8; 32];
    identity[0] = 1; // the identity point: a weak key
    let weak_key = Transaction {
        chain_id: CHAIN.into(),
        sender: PublicKey(identity),
        nonce: 0,
        expiry_ms: NOW,
        op: Operation::Burn { amount: Amount(1) },
    };
    let weak_key = SignedTransaction {
        tx: weak_key,
        signature: vellum_protocol::Signature([0; 64]),
    };
    let txs = vec![good, flipped, high_s, weak_key];
    let single: Vec<bool> = txs.iter().map(|t| t.verify_signature().is_ok()).collect();
    assert_eq!(single, vec![true, false, false, false]);
    assert_eq!(SignatureCache::new(10).verified(&txs), single, "batch path");
    for (tx, ok) in txs.iter().zip(&single) {
        let one = std::slice::from_ref(tx);
        assert_eq!(
            SignatureCache::new(10).verified(one),
            vec![*ok],
            "single path"
        );
    }
}

#[test]
fn a_senders_key_is_decompressed_once_and_a_bad_one_never_kept() {
    let c = Chain::new();
    let cache = SignatureCache::new(100);
    let first = vec![c.transfer(0, 1, 1, 0), c.transfer(1, 0, 1, 0)];
    assert_eq!(cache.verified(&first), vec![true, true]);
    assert_eq!(cache.key_count(), 2);
    // The same senders again: their kept keys verify the new signatures, and a forged one by a
    // kept key is still refused.
    let again = vec![
        c.transfer(0, 1, 2, 1),
        corrupt(c.transfer(1, 0, 2, 1)),
        c.transfer(2, 0, 1, 0),
    ];
    assert_eq!(cache.verified(&again), vec![true, false, true]);
    assert_eq!(cache.key_count(), 3);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut weak = c.transfer(3, 0, 1, 0);
    weak.tx.sender = PublicKey(identity);
    assert_eq!(cache.verified(&[weak]), vec![false]);
    assert_eq!(cache.key_count(), 3, "a key of small order is not kept");
}

#[test]
fn given_hashes_the_cache_answers_as_without_them() {
    let c = Chain::new();
    let txs = vec![c.transfer(0, 1, 1, 0), corrupt(c.transfer(1, 0, 1, 0))];
    let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
    let cache = SignatureCache::new(10);
    assert_eq!(cache.verified_hashed(&txs, &hashes), vec![true, false]);
    assert_eq!(SignatureCache::new(10).verified(&txs), vec![true, false]);
    assert!(cache.contains(&hashes[0]) && !cache.contains(&hashes[1]));
}

#[test]
fn given_encodings_the_cache_answers_as_without_them() {
    let c = Chain::new();
    let txs = vec![
        c.transfer(0, 1, 1, 0),
        corrupt(c.transfer(1, 0, 1, 0)),
        c.transfer(2, 0, 1, 0),
    ];
    let items: Vec<(Hash, &SignedTransaction)> = txs.iter().map(|t| (t.hash(), t)).collect();
    let encoded: Vec<Vec<u8>> = txs.iter().map(|t| t.to_bytes()).collect();
    let mut slices: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    // An encoding that does not end with its transaction's signature is not used: the body is
    // encoded again from the transaction.
    slices[2] = &encoded[0];
    let cache = SignatureCache::new(10);
    assert_eq!(
        cache.verify_encoded(&items, &slices),
        vec![true, false, true]
    );
    assert_eq!(
        SignatureCache::new(10).verified(&txs),
        vec![true, false, true]
    );
    assert!(cache.contains(&items[0].0) && !cache.contains(&items[1].0));
}

#[test]
fn the_cache_forgets_the_oldest_beyond_its_capacity() {
    let cache = SignatureCache::new(2);
    let h = |i: u8| Hash([i; 32]);
    for i in 0..3 {
        cache.record(h(i));
    }
    cache.record(h(2));
    assert_eq!(cache.len(), 2);
    assert!(!cache.contains(&h(0)) && cache.contains(&h(1)) && cache.contains(&h(2)));
    let none = SignatureCache::new(0);
    none.record(h(0));
    assert!(none.is_empty());
}

#[test]
fn the_cache_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SignatureCache>();
    send_sync::<Mempool>();
    let cache = Arc::new(SignatureCache::new(100));
    let handles: Vec<_> = (0..4u8)
        .map(|t| {
            let cache = Arc::clone(&cache);
            std::thread::spawn(move || (0..10u8).for_each(|i| cache.record(Hash([t * 10 + i; 32]))))
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(cache.len(), 40);
}

#[test]
fn the_default_config_is_valid_and_a_broken_one_is_not() {
    let d = MempoolConfig::default();
    assert_eq!(
        (d.max_txs, d.max_bytes, d.max_per_account, d.nonce_window),
        (100_000, 64 << 20, 64, 64)
    );
    assert_eq!(d.validate(), Ok(()));
    assert!(
        MempoolConfig {
            max_txs: 0,
            ..d.clone()
        }
        .validate()
        .is_err()
    );
    assert!(
        MempoolConfig {
            max_bytes: 100,
            ..d
        }
        .validate()
        .is_err()
    );
}

/// Four senders' transfers of 1 with nonces 0..8, signed once for every case.
fn presigned() -> &'static (Chain, Vec<Vec<SignedTransaction>>) {
    static TXS: OnceLock<(Chain, Vec<Vec<SignedTransaction>>)> = OnceLock::new();
    TXS.get_or_init(|| {
        let c = Chain::with_users(4, 1000);
        let txs = (0..4)
            .map(|u| (0..8).map(|n| c.transfer(u, (u + 1) % 4, 1, n)).collect())
            .collect();
        (c, txs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn reap_yields_consecutive_nonces_from_the_committed_one_within_limits(
        picks in proptest::collection::vec((0usize..4, 0u64..8), 0..40),
        chunk in 1usize..8,
        max_txs in 0usize..40,
        max_bytes in 0usize..8000,
    ) {
        let (c, txs) = presigned();
        let mut pool = pool();
        let order: Vec<SignedTransaction> =
            picks.iter().map(|&(u, n)| txs[u][n as usize].clone()).collect();
        for batch in order.chunks(chunk) {
            for r in pool.insert_batch(batch.to_vec(), &c.state, NOW) {
                prop_assert!(r.is_ok());
            }
        }
        prop_assert_eq!(pool.waiting(), waiting_by_walking(&pool, &c.state));
        let reaped = pool.reap(&c.state, max_txs, max_bytes);
        prop_assert!(reaped.len() <= max_txs);
        let bytes: usize = reaped.iter().map(size).sum();
        prop_assert!(bytes <= max_bytes);
        let mut next = [0u64; 4];
        for tx in &reaped {
            let u = c.users.iter().position(|k| k.public() == tx.tx.sender).unwrap();
            prop_assert_eq!(tx.tx.nonce, next[u], "sender {} out of order", u);
            next[u] += 1;
        }
        // When no limit stopped it, every sender's whole run is taken.
        if reaped.len() < max_txs && bytes + MAX_TX_BYTES <= max_bytes {
            for (u, taken) in next.iter().enumerate() {
                prop_assert_eq!(Some(*taken), pool.pending_nonce(&c.user(u)).or(Some(0)));
            }
        }
    }
}

proptest! {
    /// After a block, the pool keeps exactly what a new pool would admit of what it held: the
    /// re-check of the changed senders alone loses nothing a re-check of all would find.
    #[test]
    fn after_a_block_the_pool_keeps_what_admission_would_keep(
        pending in proptest::collection::vec((0usize..8, 1usize..8, 1u128..700), 0..24),
        in_block in proptest::collection::vec((0usize..8, 1usize..8, 1u128..900), 0..6),
    ) {
        let c = Chain::new();
        let mut nonces = [0u64; 8];
        let txs: Vec<SignedTransaction> = pending
            .iter()
            .map(|&(from, step, amount)| {
                nonces[from] += 1;
                c.transfer(from, (from + step) % 8, amount, nonces[from] - 1)
            })
            .collect();
        let mut pool = pool();
        let admitted: Vec<SignedTransaction> = pool
            .insert_batch(txs.clone(), &c.state, NOW)
            .into_iter()
            .zip(txs)
            .filter_map(|(r, tx)| r.is_ok().then_some(tx))
            .collect();
        // Each sender at most once, with nonce 0: some replace a pending transaction.
        let mut senders = BTreeSet::new();
        let block: Vec<SignedTransaction> = in_block
            .iter()
            .filter(|(from, ..)| senders.insert(*from))
            .map(|&(from, step, amount)| c.transfer(from, (from + step) % 8, amount, 0))
            .collect();
        let (state, included, changed) = c.commit(block, NOW + 5);
        pool.on_commit(&included, &changed, &state, NOW + 10);

        let mut fresh = Mempool::new(MempoolConfig::default());
        let left: Vec<SignedTransaction> = admitted
            .into_iter()
            .filter(|tx| !included.contains(&tx.hash()))
            .collect();
        let expected: BTreeSet<Hash> = fresh
            .insert_batch(left, &state, NOW + 10)
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        let kept: BTreeSet<Hash> = pool.by_hash.keys().copied().collect();
        prop_assert_eq!(kept, expected);
        prop_assert_eq!(pool.waiting(), waiting_by_walking(&pool, &state));
        // Each queue holds its sender's account in the new state, which admission, reaping
        // and `has_ready` then use instead of looking it up.
        for (sender, queue) in &pool.accounts {
            prop_assert_eq!(*queue.account(), state.account(sender));
        }
        for (address, account) in pool.known.iter() {
            prop_assert_eq!(account, state.account(address));
        }
        prop_assert_eq!(pool.waiting(), fresh.waiting());
    }
}
