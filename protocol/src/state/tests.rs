//! Tests of the state commitment and balance proofs.

use super::*;
use crate::crypto::Keypair;
use crate::genesis::{ConsensusParams, Genesis, GenesisAccount, GenesisValidator};

fn genesis(accounts: &[(u8, u128)]) -> Genesis {
    let v = Keypair::from_seed(&[1; 32]);
    Genesis {
        chain_id: "state-test".into(),
        genesis_time_ms: 5,
        decimals: 2,
        validators: vec![GenesisValidator {
            name: "v".into(),
            key: v.public(),
            power: 1,
            node_id: None,
            p2p_address: None,
        }],
        issuers: vec![Address([9; 20])],
        admins: vec![],
        accounts: accounts
            .iter()
            .map(|(a, b)| GenesisAccount {
                address: Address([*a; 20]),
                balance: Amount(*b),
            })
            .collect(),
        consensus: ConsensusParams::default(),
    }
}

#[test]
fn the_state_root_binds_the_accounts_and_the_other_fields() {
    let state = LedgerState::from_genesis(&genesis(&[(1, 10), (2, 20)])).unwrap();
    assert_eq!(
        state.state_root(),
        Hash::of(&[
            b"VELLUM/STATE/v1\0",
            &state.accounts_root().0,
            &state.fields_hash().0
        ])
    );
    let mut other = state.clone();
    other.fields_mut().last_time_ms += 1;
    assert_eq!(other.accounts_root(), state.accounts_root());
    assert_ne!(other.state_root(), state.state_root());
    let mut other = state.clone();
    other.set_account(
        Address([1; 20]),
        Account {
            balance: Amount(11),
            ..Account::default()
        },
    );
    assert_ne!(other.state_root(), state.state_root());
}

#[test]
fn the_root_does_not_depend_on_the_order_accounts_are_listed() {
    let a = LedgerState::from_genesis(&genesis(&[(1, 10), (2, 20), (3, 30)])).unwrap();
    let b = LedgerState::from_genesis(&genesis(&[(3, 30), (1, 10), (2, 20)])).unwrap();
    assert_eq!(a.state_root(), b.state_root());
}

#[test]
fn a_balance_proof_verifies_against_the_state_root() {
    let state = LedgerState::from_genesis(&genesis(&[(1, 10), (2, 20), (3, 30)])).unwrap();
    let root = state.state_root();
    let who = Address([2; 20]);
    let proof = state.proof(&who);
    let account = state.account(&who);
    assert_eq!(account.balance, Amount(20));
    assert!(proof.verify(&root, &who, Some(&account)));
    let richer = Account {
        balance: Amount(21),
        ..account
    };
    assert!(!proof.verify(&root, &who, Some(&richer)));
    assert!(!proof.verify(&root, &who, None));
    assert!(!proof.verify(&root, &Address([1; 20]), Some(&account)));

    let mut tampered = proof.clone();
    tampered.fields_hash.0[0] ^= 1;
    assert!(!tampered.verify(&root, &who, Some(&account)));
    let mut tampered = proof.clone();
    tampered.accounts.siblings[0].0[31] ^= 1;
    assert!(!tampered.verify(&root, &who, Some(&account)));

    // The proof survives JSON, as a client would receive it.
    let json = serde_json::to_string(&proof).unwrap();
    let back: AccountProof = serde_json::from_str(&json).unwrap();
    assert!(back.verify(&root, &who, Some(&account)));
}

#[test]
fn an_absent_account_is_proven_empty() {
    let state = LedgerState::from_genesis(&genesis(&[(1, 10), (2, 20), (3, 30)])).unwrap();
    let root = state.state_root();
    for b in 4..40u8 {
        let who = Address([b; 20]);
        let proof = state.proof(&who);
        assert!(proof.verify(&root, &who, None));
        assert!(proof.verify(&root, &who, Some(&Account::default())));
        let some = Account {
            balance: Amount(1),
            ..Account::default()
        };
        assert!(!proof.verify(&root, &who, Some(&some)));
    }
}

#[test]
fn a_default_account_is_not_stored() {
    let mut state = LedgerState::from_genesis(&genesis(&[(1, 10), (2, 0)])).unwrap();
    assert_eq!(state.account_count(), 1);
    let frozen = Account {
        frozen: true,
        ..Account::default()
    };
    state.set_account(Address([7; 20]), frozen);
    assert_eq!(state.account_count(), 2);
    state.set_account(Address([7; 20]), Account::default());
    assert_eq!(state.account_count(), 1);
}

#[test]
fn a_clone_shares_everything_until_it_changes() {
    let state = LedgerState::from_genesis(&genesis(&[(1, 10)])).unwrap();
    let copy = state.clone();
    assert!(Arc::ptr_eq(&state.fields, &copy.fields));
    let mut changed = copy.clone();
    changed.set_account(Address([1; 20]), Account::default());
    assert_eq!(copy.account(&Address([1; 20])).balance, Amount(10));
    assert_eq!(changed.account_count(), 0);
}

#[test]
fn pending_changes_round_trip_through_bytes() {
    let p = PendingValidatorChange {
        effective_height: 9,
        change: ValidatorChange::Add {
            key: PublicKey([4; 32]),
            power: 3,
        },
    };
    assert_eq!(
        PendingValidatorChange::decode_exact(&p.to_bytes()).unwrap(),
        p
    );
    let r = ValidatorChange::Remove {
        key: PublicKey([4; 32]),
    };
    assert_eq!(ValidatorChange::decode_exact(&r.to_bytes()).unwrap(), r);
}
