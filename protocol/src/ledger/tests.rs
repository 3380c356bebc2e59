//! Tests of the ledger rule: execution, block validity, validator changes and the builder.

use super::*;
use crate::address::Address;
use crate::amount::Amount;
use crate::block::MAX_BLOCK_TXS;
use crate::certificate::CommitCertificate;
use crate::crypto::Keypair;
use crate::genesis::{ConsensusParams, Genesis, GenesisAccount, GenesisValidator};
use crate::receipt::{Outcome, ValidatorChangeError};
use crate::state::Account;
use crate::transaction::{Operation, Transaction};
use crate::vote::{SignedVote, Vote, VoteKind};

const CHAIN: &str = "test-chain";

fn key(tag: u8, i: u8) -> Keypair {
    let mut seed = [tag; 32];
    seed[0] = i;
    Keypair::from_seed(&seed)
}

fn addr(k: &Keypair) -> Address {
    Address::from_public_key(&k.public())
}

/// A chain of four validators, four users with 1000 each, an issuer and an admin.
struct Chain {
    keys: Vec<Keypair>,
    users: Vec<Keypair>,
    issuer: Keypair,
    admin: Keypair,
    state: LedgerState,
    last_commit: Option<CommitCertificate>,
}

impl Chain {
    fn new() -> Chain {
        let validators: Vec<Keypair> = (0..4).map(|i| key(1, i)).collect();
        let users: Vec<Keypair> = (0..4).map(|i| key(2, i)).collect();
        let issuer = key(3, 0);
        let admin = key(4, 0);
        let genesis = Genesis {
            chain_id: CHAIN.into(),
            genesis_time_ms: 1_000,
            decimals: 2,
            validators: validators
                .iter()
                .enumerate()
                .map(|(i, k)| GenesisValidator {
                    name: format!("v{i}"),
                    key: k.public(),
                    power: 1,
                    node_id: None,
                    p2p_address: None,
                })
                .collect(),
            issuers: vec![addr(&issuer)],
            admins: vec![addr(&admin)],
            accounts: users
                .iter()
                .map(|k| GenesisAccount {
                    address: addr(k),
                    balance: Amount(1000),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        let state = LedgerState::from_genesis(&genesis).unwrap();
        let mut keys = validators;
        keys.extend((0..4).map(|i| key(5, i))); // future validators
        Chain {
            keys,
            users,
            issuer,
            admin,
            state,
            last_commit: None,
        }
    }

    fn signer(&self, public: &PublicKey) -> &Keypair {
        self.keys.iter().find(|k| k.public() == *public).unwrap()
    }

    fn tx_with_nonce(&self, k: &Keypair, nonce: u64, op: Operation) -> SignedTransaction {
        Transaction {
            chain_id: CHAIN.into(),
            sender: k.public(),
            nonce,
            expiry_ms: u64::MAX - 1,
            op,
        }
        .sign(k)
    }

    fn tx(&self, k: &Keypair, op: Operation) -> SignedTransaction {
        self.tx_with_nonce(k, self.state.account(&addr(k)).nonce, op)
    }

    fn ctx(&self) -> BlockContext {
        BlockContext {
            time_ms: self.state.last_time_ms() + 1000,
            proposer: self.state.validators().validators()[0].key,
            last_commit: self.last_commit.clone(),
        }
    }

    fn build(&self, txs: Vec<SignedTransaction>) -> (Block, LedgerState, Vec<Receipt>) {
        build_block(&self.state, txs, self.ctx(), 1000, &VerifyAll)
    }

    /// A block with exactly `txs`, its header filled in as the builder would.
    fn block_of(&self, txs: Vec<SignedTransaction>) -> Block {
        let (mut block, _, receipts) = self.build(txs.clone());
        assert_eq!(
            receipts.len(),
            txs.len(),
            "the builder dropped a transaction"
        );
        block.txs = txs;
        block
    }

    /// Applies `block`, then signs its certificate with the set that voted on it.
    fn advance(&mut self, block: &Block) -> Vec<Receipt> {
        let (next, receipts) = apply_block(&self.state, block, &VerifyAll).unwrap();
        let voters = next.last_validators().unwrap().clone();
        let votes: Vec<_> = voters
            .validators()
            .iter()
            .map(|v| {
                Vote {
                    kind: VoteKind::Precommit,
                    height: block.height(),
                    round: 0,
                    block: Some(block.hash()),
                    validator: v.key,
                }
                .sign(CHAIN, self.signer(&v.key))
            })
            .collect();
        self.last_commit = Some(CommitCertificate::from_precommits(
            block.height(),
            0,
            block.hash(),
            &votes,
        ));
        self.state = next;
        receipts
    }

    /// Builds, checks and applies a block of `txs`.
    fn commit(&mut self, txs: Vec<SignedTransaction>) -> Vec<Receipt> {
        let (block, built, receipts) = self.build(txs);
        let applied = self.advance(&block);
        assert_eq!(applied, receipts);
        assert_eq!(self.state.state_root(), built.state_root());
        assert_eq!(self.state.last_block_hash(), built.last_block_hash());
        receipts
    }

    fn transfer(&self, from: usize, to: usize, amount: u128) -> SignedTransaction {
        self.tx(
            &self.users[from],
            Operation::Transfer {
                to: addr(&self.users[to]),
                amount: Amount(amount),
                memo: String::new(),
            },
        )
    }

    fn balance(&self, k: &Keypair) -> u128 {
        self.state.account(&addr(k)).balance.0
    }
}

fn rejected(r: &Receipt) -> Option<&RejectReason> {
    match &r.outcome {
        Outcome::Committed => None,
        Outcome::Rejected(reason) => Some(reason),
    }
}

#[test]
fn a_transfer_moves_funds_and_consumes_the_nonce() {
    let mut c = Chain::new();
    let receipts = c.commit(vec![c.transfer(0, 1, 300)]);
    assert!(receipts[0].is_committed());
    assert_eq!(c.balance(&c.users[0]), 700);
    assert_eq!(c.balance(&c.users[1]), 1300);
    assert_eq!(c.state.account(&addr(&c.users[0])).nonce, 1);
    assert_eq!(c.state.total_supply(), Amount(4000));
    assert_eq!(c.state.height(), 1);
}

#[test]
fn a_block_applied_with_its_hashes_gives_what_it_gives_without() {
    let c = Chain::new();
    let (block, built, receipts) = c.build(vec![c.transfer(0, 1, 300), c.transfer(2, 3, 5)]);
    let hashes = TxHashes::of(&block.txs).unwrap();
    let (hashed, hashed_receipts) =
        apply_hashed_block(&c.state, &block, &hashes, &VerifyAll).unwrap();
    let (plain, plain_receipts) = apply_block(&c.state, &block, &VerifyAll).unwrap();
    assert_eq!(hashed.state_root(), built.state_root());
    assert_eq!(hashed.state_root(), plain.state_root());
    assert_eq!(hashed_receipts, receipts);
    assert_eq!(plain_receipts, receipts);
}

#[test]
fn hashes_that_are_not_a_blocks_own_make_it_invalid() {
    let c = Chain::new();
    let (block, _, _) = c.build(vec![c.transfer(0, 1, 300), c.transfer(2, 3, 5)]);
    let (other, _, _) = c.build(vec![c.transfer(1, 0, 7), c.transfer(3, 2, 9)]);
    let fewer = TxHashes::of(&block.txs[..1]).unwrap();
    assert_eq!(
        apply_hashed_block(&c.state, &block, &fewer, &VerifyAll).unwrap_err(),
        BlockError::HashesNotOfBlock { hashes: 1, txs: 2 }
    );
    let others = TxHashes::of(&other.txs).unwrap();
    assert_eq!(
        apply_hashed_block(&c.state, &block, &others, &VerifyAll).unwrap_err(),
        BlockError::WrongTxRoot {
            expected: others.root(),
            got: block.header.tx_root
        }
    );
}

#[test]
fn a_block_changes_exactly_the_accounts_it_wrote_a_new_value_to() {
    let mut c = Chain::new();
    let before = c.state.clone();
    let mint = c.tx(
        &c.issuer,
        Operation::Mint {
            to: addr(&c.users[3]),
            amount: Amount(5),
        },
    );
    // A transfer, a rejected transfer (only its nonce moves), a mint to a user and a freeze
    // of an account that holds nothing (which creates it).
    let fresh = addr(&key(9, 0));
    let freeze = c.tx(&c.admin, Operation::Freeze { account: fresh });
    c.commit(vec![
        c.transfer(0, 1, 300),
        c.transfer(2, 1, 5000),
        mint,
        freeze,
    ]);
    let changed = c.state.changed_accounts(&before);
    let all = |s: &LedgerState| s.accounts().collect::<std::collections::BTreeMap<_, _>>();
    let (now, then) = (all(&c.state), all(&before));
    let mut expected: Vec<(Address, Account)> = now
        .iter()
        .filter(|(a, acct)| then.get(a) != Some(acct))
        .map(|(a, acct)| (*a, *acct))
        .collect();
    expected.sort_by_key(|(a, _)| *a);
    let mut got = changed.clone();
    got.sort_by_key(|(a, _)| *a);
    assert_eq!(got, expected);
    let names: Vec<Address> = got.iter().map(|(a, _)| *a).collect();
    for who in [
        addr(&c.users[0]),
        addr(&c.users[1]),
        addr(&c.users[2]),
        addr(&c.users[3]),
        addr(&c.issuer),
        addr(&c.admin),
        fresh,
    ] {
        assert!(names.contains(&who), "{who} changed");
    }
    assert!(c.state.changed_accounts(&c.state).is_empty());

    // Unfreezing the fresh account makes it the default account again: it leaves the trie,
    // and is reported as the default account.
    let before = c.state.clone();
    c.commit(vec![c.tx(&c.admin, Operation::Unfreeze { account: fresh })]);
    let changed = c.state.changed_accounts(&before);
    assert!(
        changed.contains(&(fresh, Account::default())),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 2, "the fresh account and the admin's nonce");
}

#[test]
fn an_unaffordable_transfer_is_rejected_and_consumes_the_nonce() {
    let mut c = Chain::new();
    let receipts = c.commit(vec![c.transfer(0, 1, 1001)]);
    assert_eq!(
        rejected(&receipts[0]),
        Some(&RejectReason::InsufficientFunds {
            balance: Amount(1000),
            needed: Amount(1001)
        })
    );
    assert_eq!(c.balance(&c.users[0]), 1000);
    assert_eq!(c.balance(&c.users[1]), 1000);
    assert_eq!(c.state.account(&addr(&c.users[0])).nonce, 1);
}

#[test]
fn a_frozen_account_sends_nothing_but_still_receives() {
    let mut c = Chain::new();
    let freeze = c.tx(
        &c.admin,
        Operation::Freeze {
            account: addr(&c.users[0]),
        },
    );
    c.commit(vec![freeze]);
    assert!(c.state.account(&addr(&c.users[0])).frozen);
    let receipts = c.commit(vec![c.transfer(0, 1, 10), c.transfer(2, 0, 5)]);
    assert_eq!(rejected(&receipts[0]), Some(&RejectReason::SenderFrozen));
    assert!(receipts[1].is_committed());
    assert_eq!(c.balance(&c.users[0]), 1005);
    let unfreeze = c.tx(
        &c.admin,
        Operation::Unfreeze {
            account: addr(&c.users[0]),
        },
    );
    c.commit(vec![unfreeze]);
    assert!(c.commit(vec![c.transfer(0, 1, 10)])[0].is_committed());
}

#[test]
fn mint_and_burn_are_the_only_changes_to_the_supply() {
    let mut c = Chain::new();
    let mint = c.tx(
        &c.issuer,
        Operation::Mint {
            to: addr(&c.issuer),
            amount: Amount(500),
        },
    );
    c.commit(vec![mint]);
    assert_eq!(c.state.total_supply(), Amount(4500));
    let burn = c.tx(
        &c.issuer,
        Operation::Burn {
            amount: Amount(200),
        },
    );
    c.commit(vec![burn]);
    assert_eq!(c.state.total_supply(), Amount(4300));
    assert_eq!(c.balance(&c.issuer), 300);
    let sum: u128 = c.state.accounts().map(|(_, a)| a.balance.0).sum();
    assert_eq!(sum, 4300);
}

/// Execution failures: (who signs, the operation, the reason).
#[test]
fn each_execution_failure_has_its_reason_and_keeps_the_block_valid() {
    let c = Chain::new();
    let u = &c.users[0];
    let other = addr(&c.users[1]);
    let validator = c.keys[0].public();
    let mut weak = [0u8; 32];
    weak[0] = 1; // the identity point
    let cases: Vec<(&Keypair, Operation, RejectReason)> = vec![
        (
            u,
            Operation::Transfer {
                to: other,
                amount: Amount(0),
                memo: String::new(),
            },
            RejectReason::ZeroAmount,
        ),
        (
            u,
            Operation::Transfer {
                to: addr(u),
                amount: Amount(1),
                memo: String::new(),
            },
            RejectReason::SelfTransfer,
        ),
        (
            u,
            Operation::Mint {
                to: other,
                amount: Amount(1),
            },
            RejectReason::NotIssuer,
        ),
        (
            u,
            Operation::Burn { amount: Amount(1) },
            RejectReason::NotIssuer,
        ),
        (
            &c.issuer,
            Operation::Burn { amount: Amount(1) },
            RejectReason::InsufficientFunds {
                balance: Amount(0),
                needed: Amount(1),
            },
        ),
        (
            &c.issuer,
            Operation::Mint {
                to: other,
                amount: Amount(u128::MAX),
            },
            RejectReason::SupplyOverflow,
        ),
        (
            &c.issuer,
            Operation::Mint {
                to: other,
                amount: Amount(0),
            },
            RejectReason::ZeroAmount,
        ),
        (
            u,
            Operation::Freeze { account: other },
            RejectReason::NotAdmin,
        ),
        (
            u,
            Operation::AddValidator {
                key: validator,
                power: 2,
            },
            RejectReason::NotAdmin,
        ),
        (
            &c.admin,
            Operation::AddValidator {
                key: validator,
                power: 0,
            },
            ValidatorChangeError::ZeroPower.into(),
        ),
        (
            &c.admin,
            Operation::AddValidator {
                key: PublicKey(weak),
                power: 1,
            },
            ValidatorChangeError::BadKey {
                key: PublicKey(weak),
            }
            .into(),
        ),
        (
            &c.admin,
            Operation::RemoveValidator {
                key: c.keys[7].public(),
            },
            ValidatorChangeError::UnknownValidator {
                key: c.keys[7].public(),
            }
            .into(),
        ),
        (
            &c.admin,
            Operation::AddValidator {
                key: c.keys[7].public(),
                power: crate::validator::MAX_TOTAL_POWER,
            },
            ValidatorChangeError::PowerOverflow.into(),
        ),
    ];
    for (signer, op, reason) in cases {
        let mut chain = Chain::new();
        let before = chain.state.clone();
        let receipts = chain.commit(vec![chain.tx(signer, op.clone())]);
        assert_eq!(rejected(&receipts[0]), Some(&reason), "{op:?}");
        assert!(!reason.invalidates_block());
        assert_eq!(chain.state.account(&addr(signer)).nonce, 1, "{op:?}");
        assert_eq!(chain.state.total_supply(), before.total_supply());
        assert_ne!(chain.state.accounts_root(), before.accounts_root());
        for (a, acct) in before.accounts() {
            if a != addr(signer) {
                assert_eq!(chain.state.account(&a), acct, "{op:?}");
            }
        }
        assert!(chain.state.pending_validator_changes().is_empty());
    }
}

#[test]
fn removing_every_validator_is_refused_at_the_last_one() {
    let mut c = Chain::new();
    let keys: Vec<PublicKey> = c.keys[..4].iter().map(Keypair::public).collect();
    let txs: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| c.tx_with_nonce(&c.admin, i as u64, Operation::RemoveValidator { key: *k }))
        .collect();
    let receipts = c.commit(txs);
    assert!(receipts[..3].iter().all(Receipt::is_committed));
    assert_eq!(
        rejected(&receipts[3]),
        Some(&ValidatorChangeError::LastValidator.into())
    );
}

/// Block-invalidating reasons: each makes `apply_block` fail with `InvalidTx`.
#[test]
fn each_inadmissible_transaction_invalidates_the_block() {
    let mut c = Chain::new();
    c.commit(vec![c.transfer(0, 1, 1)]);
    let op = Operation::Transfer {
        to: addr(&c.users[1]),
        amount: Amount(1),
        memo: String::new(),
    };
    let u = &c.users[0];
    let mut bad_sig = c.tx(u, op.clone());
    bad_sig.signature.0[3] ^= 1;
    let mut wrong_chain = Transaction {
        chain_id: "other".into(),
        sender: u.public(),
        nonce: 1,
        expiry_ms: u64::MAX,
        op: op.clone(),
    };
    let wrong_chain_tx = wrong_chain.clone().sign(u);
    wrong_chain.chain_id = CHAIN.into();
    wrong_chain.expiry_ms = 1;
    let expired = wrong_chain.sign(u);
    let long_memo = c.tx(
        u,
        Operation::Transfer {
            to: addr(&c.users[1]),
            amount: Amount(1),
            memo: "m".repeat(300),
        },
    );
    let cases = vec![
        (bad_sig, RejectReason::BadSignature),
        (wrong_chain_tx, RejectReason::WrongChainId),
        (
            c.tx_with_nonce(u, 0, op.clone()),
            RejectReason::NonceTooLow {
                expected: 1,
                got: 0,
            },
        ),
        (
            c.tx_with_nonce(u, 2, op.clone()),
            RejectReason::NonceTooHigh {
                expected: 1,
                got: 2,
            },
        ),
        (expired, RejectReason::Expired),
        (long_memo, RejectReason::MemoTooLong),
    ];
    for (tx, reason) in cases {
        let good = c.transfer(2, 3, 1);
        let (mut block, _, _) = c.build(vec![good.clone()]);
        block.txs = vec![good, tx];
        block.header.tx_root = crate::block::tx_root(&block.txs);
        assert_eq!(
            apply_block(&c.state, &block, &VerifyAll).unwrap_err(),
            BlockError::InvalidTx { index: 1, reason }
        );
        // The builder leaves the same transaction out.
        let (built, _, receipts) = c.build(block.txs.clone());
        assert_eq!(built.txs.len(), 1);
        assert_eq!(receipts.len(), 1);
    }
}

#[test]
fn a_replayed_block_is_refused() {
    let mut c = Chain::new();
    let (block, _, _) = c.build(vec![c.transfer(0, 1, 5)]);
    let before = c.state.clone();
    c.advance(&block);
    assert!(apply_block(&c.state, &block, &VerifyAll).is_err());
    // Nor does the first application change its input.
    assert_eq!(before.height(), 0);
    assert_eq!(before.account(&addr(&c.users[0])).balance, Amount(1000));
    assert!(apply_block(&before, &block, &VerifyAll).is_ok());
}

#[test]
fn validator_changes_vote_from_two_heights_later() {
    let mut c = Chain::new();
    let new_key = c.keys[4].public();
    let add = c.tx(
        &c.admin,
        Operation::AddValidator {
            key: new_key,
            power: 3,
        },
    );
    c.commit(vec![add]); // block 1
    assert_eq!(
        c.state.validators().len(),
        4,
        "the set for height 2 is fixed"
    );
    assert_eq!(c.state.pending_validator_changes()[0].effective_height, 3);
    c.commit(vec![]); // block 2
    assert_eq!(c.state.validators().power_of(&new_key), 3);
    assert_eq!(c.state.last_validators().unwrap().len(), 4);
    c.commit(vec![]); // block 3: voted on by the new set, checked by block 4's certificate
    c.commit(vec![]);
    assert_eq!(c.state.last_validators().unwrap().len(), 5);
    let change = c.tx(
        &c.admin,
        Operation::AddValidator {
            key: new_key,
            power: 1,
        },
    );
    c.commit(vec![change]);
    c.commit(vec![]);
    assert_eq!(c.state.validators().power_of(&new_key), 1);
}

#[test]
fn each_bad_header_is_refused_with_its_reason() {
    let mut c = Chain::new();
    c.commit(vec![c.transfer(0, 1, 1)]);
    let (good, _, _) = c.build(vec![c.transfer(1, 2, 1)]);
    assert!(apply_block(&c.state, &good, &VerifyAll).is_ok());
    type Mutation = Box<dyn Fn(&mut Block)>;
    type Check = fn(&BlockError) -> bool;
    let cases: Vec<(Mutation, Check)> = vec![
        (Box::new(|b| b.header.chain_id = "x".into()), |e| {
            matches!(e, BlockError::WrongChainId { .. })
        }),
        (Box::new(|b| b.header.height = 5), |e| {
            matches!(
                e,
                BlockError::WrongHeight {
                    expected: 2,
                    got: 5
                }
            )
        }),
        (Box::new(|b| b.header.prev_hash = Hash([1; 32])), |e| {
            matches!(e, BlockError::WrongPrevHash { .. })
        }),
        (Box::new(|b| b.header.time_ms = 2_000), |e| {
            matches!(e, BlockError::TimeNotAfterLast { .. })
        }),
        (
            Box::new(|b| b.header.validators_hash = Hash([2; 32])),
            |e| matches!(e, BlockError::WrongValidatorsHash { .. }),
        ),
        (Box::new(|b| b.header.proposer = PublicKey([3; 32])), |e| {
            matches!(e, BlockError::UnknownProposer(_))
        }),
        (Box::new(|b| b.last_commit = None), |e| {
            matches!(e, BlockError::MissingLastCommit)
        }),
        (
            Box::new(|b| b.header.last_commit_hash = Hash([4; 32])),
            |e| matches!(e, BlockError::WrongLastCommitHash { .. }),
        ),
        (
            Box::new(|b| {
                let cert = b.last_commit.as_mut().unwrap();
                cert.signatures.truncate(2);
                b.header.last_commit_hash = cert.hash();
            }),
            |e| matches!(e, BlockError::BadLastCommit(_)),
        ),
        (Box::new(|b| b.txs.push(b.txs[0].clone())), |e| {
            matches!(e, BlockError::DuplicateTx { index: 1, .. })
        }),
        (Box::new(|b| b.header.tx_root = Hash([5; 32])), |e| {
            matches!(e, BlockError::WrongTxRoot { .. })
        }),
        (Box::new(|b| b.header.state_root = Hash([6; 32])), |e| {
            matches!(e, BlockError::WrongStateRoot { .. })
        }),
        (
            Box::new(|b| b.txs = vec![b.txs[0].clone(); MAX_BLOCK_TXS + 1]),
            |e| matches!(e, BlockError::TooManyTxs { .. }),
        ),
    ];
    for (i, (mutate, expected)) in cases.iter().enumerate() {
        let mut block = good.clone();
        mutate(&mut block);
        let err = apply_block(&c.state, &block, &VerifyAll).unwrap_err();
        assert!(expected(&err), "case {i}: {err}");
    }
}

/// Claims every precommit in `known` verified; transactions are verified.
struct KnownVotes(Vec<SignedVote>);

impl SignatureCheck for KnownVotes {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        VerifyAll.verified(txs)
    }
    fn known_precommit(&self, vote: &SignedVote) -> bool {
        self.0.contains(vote)
    }
}

#[test]
fn a_last_commit_signature_is_skipped_only_when_the_host_verified_that_vote() {
    let mut c = Chain::new();
    c.commit(vec![c.transfer(0, 1, 1)]);
    let (mut block, _, _) = c.build(vec![c.transfer(1, 2, 1)]);
    let cert = block.last_commit.as_mut().unwrap();
    cert.signatures[0].signature.0[5] ^= 1;
    let forged = SignedVote {
        vote: cert.vote_of(cert.signatures[0].validator),
        signature: cert.signatures[0].signature,
    };
    block.header.last_commit_hash = cert.hash();
    assert!(matches!(
        apply_block(&c.state, &block, &VerifyAll),
        Err(BlockError::BadLastCommit(_))
    ));
    assert!(matches!(
        apply_block(&c.state, &block, &KnownVotes(vec![])),
        Err(BlockError::BadLastCommit(_))
    ));
    // Only a host that says it verified this exact vote skips it (here, wrongly: the point is
    // that the answer reaches the certificate check).
    assert!(apply_block(&c.state, &block, &KnownVotes(vec![forged])).is_ok());
}

#[test]
fn the_first_block_carries_no_last_commit() {
    let c = Chain::new();
    let (good, _, _) = c.build(vec![]);
    assert_eq!(good.header.last_commit_hash, Hash::ZERO);
    let mut with_cert = good.clone();
    with_cert.last_commit = Some(CommitCertificate::from_precommits(0, 0, Hash::ZERO, &[]));
    with_cert.header.last_commit_hash = with_cert.last_commit.as_ref().unwrap().hash();
    assert_eq!(
        apply_block(&c.state, &with_cert, &VerifyAll).unwrap_err(),
        BlockError::UnexpectedLastCommit
    );
    let mut stray_hash = good;
    stray_hash.header.last_commit_hash = Hash([1; 32]);
    assert!(matches!(
        apply_block(&c.state, &stray_hash, &VerifyAll),
        Err(BlockError::WrongLastCommitHash { .. })
    ));
}

#[test]
fn the_builder_keeps_execution_failures_and_orders_nonces() {
    let mut c = Chain::new();
    let u = &c.users[0];
    let op = |amount| Operation::Transfer {
        to: addr(&c.users[1]),
        amount: Amount(amount),
        memo: String::new(),
    };
    let second = c.tx_with_nonce(u, 1, op(10));
    let first = c.tx_with_nonce(u, 0, op(5000)); // unaffordable: kept, rejected
    let receipts = c.commit(vec![second.clone(), first.clone(), first, second]);
    assert_eq!(receipts.len(), 2);
    assert!(matches!(
        rejected(&receipts[0]),
        Some(RejectReason::InsufficientFunds { .. })
    ));
    assert!(receipts[1].is_committed());
    assert_eq!(c.balance(&c.users[1]), 1010);
}

#[test]
fn the_builder_stops_at_max_txs() {
    let c = Chain::new();
    let txs: Vec<_> = (0..4).map(|i| c.transfer(i, (i + 1) % 4, 1)).collect();
    let (block, _, receipts) = build_block(&c.state, txs, c.ctx(), 3, &VerifyAll);
    assert_eq!(block.txs.len(), 3);
    assert_eq!(receipts.len(), 3);
    assert!(apply_block(&c.state, &block, &VerifyAll).is_ok());
}

#[test]
fn a_block_with_exactly_the_given_transactions_applies() {
    let mut c = Chain::new();
    let block = c.block_of(vec![c.transfer(0, 1, 1), c.transfer(1, 2, 1)]);
    assert_eq!(c.advance(&block).len(), 2);
}

#[test]
fn check_tx_refuses_what_would_fail_or_invalidate() {
    let c = Chain::new();
    let u = &c.users[0];
    assert_eq!(check_tx(&c.state, &c.transfer(0, 1, 10), 0, None), Ok(()));
    assert_eq!(
        check_tx(&c.state, &c.transfer(0, 1, 1001), 0, None),
        Err(RejectReason::InsufficientFunds {
            balance: Amount(1000),
            needed: Amount(1001)
        })
    );
    let later = c.tx_with_nonce(u, 2, Operation::Burn { amount: Amount(1) });
    assert_eq!(
        check_tx(&c.state, &later, 0, None),
        Err(RejectReason::NonceTooHigh {
            expected: 0,
            got: 2
        })
    );
    assert_eq!(
        check_tx(&c.state, &later, 0, Some(2)),
        Err(RejectReason::NotIssuer)
    );
    assert_eq!(
        check_tx(&c.state, &c.transfer(0, 1, 1), u64::MAX, None),
        Err(RejectReason::Expired)
    );
}

#[test]
fn verify_all_agrees_with_single_verification() {
    let c = Chain::new();
    let mut txs: Vec<_> = (0..6).map(|i| c.transfer(i % 4, (i + 1) % 4, 1)).collect();
    txs[4].signature.0[10] ^= 1;
    let single: Vec<bool> = txs.iter().map(|t| t.verify_signature().is_ok()).collect();
    assert_eq!(VerifyAll.verified(&txs), single);
    assert_eq!(single.iter().filter(|ok| !**ok).count(), 1);
}
