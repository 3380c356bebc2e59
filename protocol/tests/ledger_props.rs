//! Property tests of the ledger rule's invariants and of the canonical encoding.
//!
//! Invariants (DESIGN.md): total supply changes only by Mint and Burn; no balance goes negative
//! or wraps; a nonce is used once; a frozen account sends nothing. Also: the proposer's
//! `build_block` always gives a block `apply_block` accepts with the same state root; the state
//! root does not depend on insertion order; every encoding round-trips and refuses every strict
//! prefix and any trailing byte. Keys are derived from fixed seeds.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use vellum_protocol::genesis::{ConsensusParams, Genesis, GenesisAccount, GenesisValidator};
use vellum_protocol::ledger::{BlockContext, BlockError, VerifyAll, apply_block, build_block};
use vellum_protocol::merkle::{SparseMerkleTree, TrieValue};
use vellum_protocol::state::{Account, LedgerState};
use vellum_protocol::{
    Address, Amount, Block, CommitCertificate, CommitSignature, Decode, Encode, Hash, Header,
    Keypair, Operation, Outcome, PublicKey, Receipt, RejectReason, Signature, SignedTransaction,
    SignedVote, Transaction, Vote, VoteKind,
};

const CHAIN: &str = "prop-chain";

fn key(tag: u8, i: usize) -> Keypair {
    let mut seed = [tag; 32];
    seed[0] = i as u8;
    Keypair::from_seed(&seed)
}

fn addr(k: &Keypair) -> Address {
    Address::from_public_key(&k.public())
}

/// Users 0..4, then the issuer (4) and the admin (5); validator keys 0..4, the first in genesis.
struct World {
    actors: Vec<Keypair>,
    validators: Vec<Keypair>,
}

impl World {
    fn new() -> World {
        let mut actors: Vec<Keypair> = (0..4).map(|i| key(2, i)).collect();
        actors.push(key(3, 0));
        actors.push(key(4, 0));
        World {
            actors,
            validators: (0..4).map(|i| key(1, i)).collect(),
        }
    }

    fn genesis(&self) -> LedgerState {
        let g = Genesis {
            chain_id: CHAIN.into(),
            genesis_time_ms: 1_000,
            decimals: 2,
            validators: vec![GenesisValidator {
                name: "v0".into(),
                key: self.validators[0].public(),
                power: 1,
                node_id: None,
                p2p_address: None,
            }],
            issuers: vec![addr(&self.actors[4])],
            admins: vec![addr(&self.actors[5])],
            accounts: self.actors[..4]
                .iter()
                .map(|k| GenesisAccount {
                    address: addr(k),
                    balance: Amount(1000),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        LedgerState::from_genesis(&g).unwrap()
    }

    fn certificate(&self, after: &LedgerState, block: &Block) -> CommitCertificate {
        let votes: Vec<SignedVote> = after
            .last_validators()
            .unwrap()
            .validators()
            .iter()
            .map(|v| {
                let signer = self.validators.iter().find(|k| k.public() == v.key);
                Vote {
                    kind: VoteKind::Precommit,
                    height: block.height(),
                    round: 0,
                    block: Some(block.hash()),
                    validator: v.key,
                }
                .sign(CHAIN, signer.unwrap())
            })
            .collect();
        CommitCertificate::from_precommits(block.height(), 0, block.hash(), &votes)
    }
}

/// One candidate transaction, described by small numbers.
#[derive(Debug, Clone)]
struct Spec {
    kind: u8,
    from: usize,
    to: usize,
    amount: u128,
    /// 0 bad signature, 1 nonce ahead, 2 nonce behind, 3 expired, 4 wrong chain, else none.
    fault: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    // Mostly transfers, mostly from the account whose role the operation needs.
    let kind = prop_oneof![5 => Just(0u8), 2 => Just(1u8), 1 => 2u8..7];
    (kind, 0usize..6, 0u8..10, 0usize..6, 0u128..1500, 0u8..30).prop_map(
        |(kind, user, natural, to, amount, fault)| {
            let from = match (natural < 8, kind) {
                (false, _) => user,
                (true, 0) => user % 4,
                (true, 1 | 2) => 4,
                (true, _) => 5,
            };
            Spec {
                kind,
                from,
                to,
                amount,
                fault,
            }
        },
    )
}

fn op(world: &World, s: &Spec) -> Operation {
    let to = addr(&world.actors[s.to]);
    let validator = world.validators[s.to % 4].public();
    match s.kind {
        0 => Operation::Transfer {
            to,
            amount: Amount(s.amount),
            memo: String::new(),
        },
        1 => Operation::Mint {
            to,
            amount: Amount(s.amount),
        },
        2 => Operation::Burn {
            amount: Amount(s.amount),
        },
        3 => Operation::Freeze { account: to },
        4 => Operation::Unfreeze { account: to },
        5 => Operation::AddValidator {
            key: validator,
            power: (s.amount % 3) as u64,
        },
        _ => Operation::RemoveValidator { key: validator },
    }
}

/// Turns specs into signed candidates for the block after `state`.
fn candidates(world: &World, state: &LedgerState, specs: &[Spec]) -> Vec<SignedTransaction> {
    let mut next_nonce: BTreeMap<usize, u64> = BTreeMap::new();
    specs
        .iter()
        .map(|s| {
            let k = &world.actors[s.from];
            let nonce = next_nonce
                .entry(s.from)
                .or_insert_with(|| state.account(&addr(k)).nonce);
            let mut tx = Transaction {
                chain_id: CHAIN.into(),
                sender: k.public(),
                nonce: *nonce,
                expiry_ms: u64::MAX - 1,
                op: op(world, s),
            };
            match s.fault {
                1 => tx.nonce += 1,
                2 => tx.nonce = tx.nonce.wrapping_sub(1),
                3 => tx.expiry_ms = state.last_time_ms(),
                4 => tx.chain_id = "other".into(),
                0 => {}
                _ => *nonce += 1,
            }
            let mut stx = tx.sign(k);
            if s.fault == 0 {
                stx.signature.0[0] ^= 1;
            }
            stx
        })
        .collect()
}

/// Balances and nonces as the receipts say they must be.
#[derive(Default)]
struct Model {
    balances: BTreeMap<Address, u128>,
    nonces: BTreeMap<Address, u64>,
}

impl Model {
    fn of(state: &LedgerState) -> Model {
        let mut m = Model::default();
        for (a, acct) in state.accounts() {
            m.balances.insert(a, acct.balance.0);
            m.nonces.insert(a, acct.nonce);
        }
        m
    }

    /// Replays one receipt, checking that funds failures were real and nothing wraps.
    fn replay(&mut self, tx: &SignedTransaction, r: &Receipt) -> u128 {
        let sender = tx.tx.sender_address();
        let nonce = self.nonces.entry(sender).or_default();
        assert_eq!(tx.tx.nonce, *nonce, "a nonce is used once, in order");
        *nonce += 1;
        let balance = |m: &Model, a: &Address| m.balances.get(a).copied().unwrap_or(0);
        match (&r.outcome, &tx.tx.op) {
            (Outcome::Rejected(RejectReason::InsufficientFunds { balance: b, needed }), _) => {
                assert_eq!(b.0, balance(self, &sender));
                assert!(b.0 < needed.0);
                0
            }
            (Outcome::Rejected(reason), _) => {
                assert!(!reason.invalidates_block());
                0
            }
            (Outcome::Committed, Operation::Transfer { to, amount, .. }) => {
                let from = balance(self, &sender).checked_sub(amount.0).unwrap();
                self.balances.insert(sender, from);
                let credited = balance(self, to).checked_add(amount.0).unwrap();
                self.balances.insert(*to, credited);
                0
            }
            (Outcome::Committed, Operation::Mint { to, amount }) => {
                let credited = balance(self, to).checked_add(amount.0).unwrap();
                self.balances.insert(*to, credited);
                amount.0
            }
            (Outcome::Committed, Operation::Burn { amount }) => {
                let debited = balance(self, &sender).checked_sub(amount.0).unwrap();
                self.balances.insert(sender, debited);
                0u128.wrapping_sub(amount.0)
            }
            (Outcome::Committed, _) => 0,
        }
    }
}

/// Builds and applies one block; checks the invariants; returns the block.
fn step(
    world: &World,
    state: &mut LedgerState,
    cert: &mut Option<CommitCertificate>,
    specs: &[Spec],
) -> Block {
    let ctx = BlockContext {
        time_ms: state.last_time_ms() + 1000,
        proposer: state.validators().validators()[0].key,
        last_commit: cert.clone(),
    };
    let cands = candidates(world, state, specs);
    let (block, built, receipts) = build_block(state, cands, ctx, 16, &VerifyAll);
    let (applied, replayed) = apply_block(state, &block, &VerifyAll)
        .unwrap_or_else(|e| panic!("a built block must apply: {e}"));
    assert_eq!(applied.state_root(), built.state_root());
    assert_eq!(block.header.state_root, applied.state_root());
    assert_eq!(replayed, receipts);

    let mut model = Model::of(state);
    let mut minted: u128 = 0;
    for (tx, r) in block.txs.iter().zip(&receipts) {
        minted = minted.wrapping_add(model.replay(tx, r));
    }
    let actual: BTreeMap<Address, u128> =
        applied.accounts().map(|(a, x)| (a, x.balance.0)).collect();
    model.balances.retain(|_, b| *b != 0);
    let actual_nonzero: BTreeMap<Address, u128> = actual
        .iter()
        .filter(|(_, b)| **b != 0)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(
        model.balances, actual_nonzero,
        "balances follow the receipts exactly"
    );
    let sum: u128 = actual.values().sum();
    assert_eq!(
        sum,
        applied.total_supply().0,
        "the balances add up to the supply"
    );
    assert_eq!(
        applied.total_supply().0,
        state.total_supply().0.wrapping_add(minted),
        "only mint and burn change the supply"
    );

    // A frozen account sends nothing: unless unfrozen in this block, it ends with no less.
    let unfrozen: BTreeSet<Address> = block
        .txs
        .iter()
        .zip(&receipts)
        .filter_map(|(tx, r)| match (&tx.tx.op, r.is_committed()) {
            (Operation::Unfreeze { account }, true) => Some(*account),
            _ => None,
        })
        .collect();
    for (a, before) in state.accounts() {
        if before.frozen && !unfrozen.contains(&a) {
            assert!(
                applied.account(&a).balance >= before.balance,
                "frozen {a} lost funds"
            );
        }
    }

    *cert = Some(world.certificate(&applied, &block));
    *state = applied;
    block
}

fn chain_specs() -> impl Strategy<Value = Vec<Vec<Spec>>> {
    prop::collection::vec(prop::collection::vec(spec(), 0..10), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Supply, balances, nonces and freezing hold over random block sequences, and every built
    /// block applies with the same root.
    #[test]
    fn invariants_hold_over_random_chains(blocks in chain_specs()) {
        let world = World::new();
        let mut state = world.genesis();
        let mut cert = None;
        for specs in &blocks {
            step(&world, &mut state, &mut cert, specs);
        }
    }

    /// Replaying any included transaction in a later block invalidates that block, and a
    /// block cannot be executed twice.
    #[test]
    fn a_nonce_is_used_once(blocks in chain_specs(), pick in any::<prop::sample::Index>()) {
        let world = World::new();
        let mut state = world.genesis();
        let mut cert = None;
        let mut included = Vec::new();
        let mut last = None;
        for specs in &blocks {
            let block = step(&world, &mut state, &mut cert, specs);
            included.extend(block.txs.iter().cloned());
            last = Some(block);
        }
        prop_assert!(apply_block(&state, last.as_ref().unwrap(), &VerifyAll).is_err());
        if !included.is_empty() {
            let replay = pick.get(&included).clone();
            let ctx = BlockContext {
                time_ms: state.last_time_ms() + 1000,
                proposer: state.validators().validators()[0].key,
                last_commit: cert.clone(),
            };
            let (mut block, _, receipts) = build_block(&state, vec![replay.clone()], ctx.clone(), 16, &VerifyAll);
            prop_assert!(receipts.is_empty(), "the builder refuses a replay");
            block.txs = vec![replay];
            block.header.tx_root = vellum_protocol::block::tx_root(&block.txs);
            let err = apply_block(&state, &block, &VerifyAll).unwrap_err();
            let is_replay = matches!(
                err,
                BlockError::InvalidTx { index: 0, reason: RejectReason::NonceTooLow { .. } }
            );
            prop_assert!(is_replay, "{}", err);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Leaf(Account);

impl TrieValue for Leaf {
    fn value_hash(&self) -> Hash {
        self.0.hash()
    }
}

fn account() -> impl Strategy<Value = Account> {
    (any::<u128>(), any::<u64>(), any::<bool>()).prop_map(|(b, nonce, frozen)| Account {
        balance: Amount(b),
        nonce,
        frozen,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The root is a function of the final key/value set, whatever the order of inserts and
    /// removals that led to it.
    #[test]
    fn the_state_root_does_not_depend_on_insertion_order(
        entries in prop::collection::btree_map(any::<[u8; 32]>(), account(), 0..40),
        extra in prop::collection::vec(any::<[u8; 32]>(), 0..10),
        seed in any::<u64>(),
    ) {
        let mut forward = SparseMerkleTree::new();
        for k in &extra {
            forward.insert(Hash(*k), Leaf(Account::default()));
        }
        for (k, v) in &entries {
            forward.insert(Hash(*k), Leaf(*v));
        }
        for k in &extra {
            if !entries.contains_key(k) {
                forward.remove(&Hash(*k));
            }
        }
        // A deterministic shuffle of the same entries.
        let mut shuffled: Vec<_> = entries.iter().collect();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut backward = SparseMerkleTree::new();
        for (k, v) in shuffled {
            backward.insert(Hash(*k), Leaf(*v));
        }
        prop_assert_eq!(forward.root(), backward.root());
        prop_assert_eq!(forward.len(), entries.len());
        for (k, v) in &entries {
            let proof = forward.proof(&Hash(*k));
            prop_assert!(proof.verify(&forward.root(), &Hash(*k), Some(&v.hash())));
        }
    }
}

fn bytes32() -> impl Strategy<Value = [u8; 32]> + Clone {
    any::<[u8; 32]>()
}

fn signature() -> impl Strategy<Value = Signature> {
    prop::collection::vec(any::<u8>(), 64).prop_map(|v| Signature(v.try_into().unwrap()))
}

fn operation() -> impl Strategy<Value = Operation> {
    let to = prop::array::uniform20(any::<u8>()).prop_map(Address);
    let amount = any::<u128>().prop_map(Amount);
    let pk = bytes32().prop_map(PublicKey);
    prop_oneof![
        (to.clone(), amount.clone(), "\\PC{0,40}")
            .prop_map(|(to, amount, memo)| Operation::Transfer { to, amount, memo }),
        (to.clone(), amount.clone()).prop_map(|(to, amount)| Operation::Mint { to, amount }),
        amount.prop_map(|amount| Operation::Burn { amount }),
        to.clone().prop_map(|account| Operation::Freeze { account }),
        to.prop_map(|account| Operation::Unfreeze { account }),
        (pk.clone(), any::<u64>()).prop_map(|(key, power)| Operation::AddValidator { key, power }),
        pk.prop_map(|key| Operation::RemoveValidator { key }),
    ]
}

fn signed_tx() -> impl Strategy<Value = SignedTransaction> {
    (
        "[a-z0-9.-]{0,64}",
        bytes32(),
        any::<u64>(),
        any::<u64>(),
        operation(),
        signature(),
    )
        .prop_map(
            |(chain_id, sender, nonce, expiry_ms, op, signature)| SignedTransaction {
                tx: Transaction {
                    chain_id,
                    sender: PublicKey(sender),
                    nonce,
                    expiry_ms,
                    op,
                },
                signature,
            },
        )
}

fn vote() -> impl Strategy<Value = SignedVote> {
    (
        any::<bool>(),
        any::<u64>(),
        any::<u32>(),
        prop::option::of(bytes32()),
        bytes32(),
        signature(),
    )
        .prop_map(
            |(pre, height, round, block, validator, signature)| SignedVote {
                vote: Vote {
                    kind: if pre {
                        VoteKind::Prevote
                    } else {
                        VoteKind::Precommit
                    },
                    height,
                    round,
                    block: block.map(Hash),
                    validator: PublicKey(validator),
                },
                signature,
            },
        )
}

fn certificate() -> impl Strategy<Value = CommitCertificate> {
    let sig = (bytes32(), signature()).prop_map(|(k, signature)| CommitSignature {
        validator: PublicKey(k),
        signature,
    });
    (
        any::<u64>(),
        any::<u32>(),
        bytes32(),
        prop::collection::vec(sig, 0..4),
    )
        .prop_map(|(height, round, block, signatures)| CommitCertificate {
            height,
            round,
            block: Hash(block),
            signatures,
        })
}

fn block() -> impl Strategy<Value = Block> {
    let header = (
        "[a-z0-9]{0,64}",
        any::<u64>(),
        any::<u64>(),
        prop::array::uniform6(bytes32()),
    )
        .prop_map(|(chain_id, height, time_ms, h)| Header {
            chain_id,
            height,
            time_ms,
            prev_hash: Hash(h[0]),
            tx_root: Hash(h[1]),
            state_root: Hash(h[2]),
            proposer: PublicKey(h[3]),
            last_commit_hash: Hash(h[4]),
            validators_hash: Hash(h[5]),
        });
    (
        header,
        prop::option::of(certificate()),
        prop::collection::vec(signed_tx(), 0..3),
    )
        .prop_map(|(header, last_commit, txs)| Block {
            header,
            last_commit,
            txs,
        })
}

/// Round trip, every strict prefix refused, a trailing byte refused.
fn check_encoding<T: Encode + Decode + PartialEq + std::fmt::Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    let bytes = value.to_bytes();
    prop_assert_eq!(&T::decode_exact(&bytes).unwrap(), value);
    for n in 0..bytes.len() {
        prop_assert!(
            T::decode_exact(&bytes[..n]).is_err(),
            "prefix of {} bytes accepted",
            n
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    prop_assert!(T::decode_exact(&longer).is_err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn transactions_encode_canonically(tx in signed_tx()) {
        check_encoding(&tx)?;
    }

    /// The size hint never undershoots a transaction's encoding by more than the widest
    /// operation, and is exact for transfers (so encoding one allocates once).
    #[test]
    fn a_transactions_size_hint_fits_its_encoding(tx in signed_tx()) {
        let len = tx.to_bytes().len();
        if matches!(tx.tx.op, Operation::Transfer { .. }) {
            prop_assert_eq!(tx.size_hint(), len);
        } else {
            prop_assert!(tx.size_hint() >= len);
        }
    }

    #[test]
    fn blocks_encode_canonically(b in block()) {
        check_encoding(&b)?;
    }

    #[test]
    fn votes_encode_canonically(v in vote()) {
        check_encoding(&v)?;
    }

    #[test]
    fn certificates_encode_canonically(c in certificate()) {
        check_encoding(&c)?;
    }

    #[test]
    fn accounts_encode_canonically(a in account()) {
        check_encoding(&a)?;
    }
}
