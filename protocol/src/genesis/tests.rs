//! Tests of the genesis format and its validation.

use super::*;
use crate::crypto::Keypair;

fn example() -> String {
    let v0 = Keypair::from_seed(&[1; 32]).public();
    let v1 = Keypair::from_seed(&[2; 32]).public();
    let issuer = Address::from_public_key(&Keypair::from_seed(&[3; 32]).public());
    let alice = Address::from_public_key(&Keypair::from_seed(&[4; 32]).public());
    format!(
        r#"{{
  "chain_id": "vellum-devnet",
  "genesis_time_ms": 1700000000000,
  "decimals": 2,
  "validators": [
    {{ "name": "node0", "key": "{v0}", "power": 1, "p2p_address": "/ip4/127.0.0.1/tcp/26656" }},
    {{ "name": "node1", "key": "{v1}", "power": 1 }}
  ],
  "issuers": ["{issuer}"],
  "admins": ["{issuer}"],
  "accounts": [{{ "address": "{alice}", "balance": "100000" }}]
}}"#
    )
}

#[test]
fn a_valid_genesis_parses_with_default_consensus_params() {
    let g = Genesis::from_json(&example()).unwrap();
    assert_eq!(g.validate(), vec![]);
    assert_eq!(g.consensus, ConsensusParams::default());
    assert_eq!(g.consensus.timeout_propose_ms, 300);
    assert_eq!(g.consensus.max_block_txs, 2_000);
    let state = LedgerState::from_genesis(&g).unwrap();
    assert_eq!(state.total_supply(), Amount(100_000));
    assert_eq!(state.height(), 0);
    assert_eq!(state.last_time_ms(), 1_700_000_000_000);
    assert_eq!(state.last_block_hash(), Hash::ZERO);
    assert!(state.last_validators().is_none());
    assert_eq!(state.validators().len(), 2);
    // It survives a round trip through its own JSON.
    let again = Genesis::from_json(&g.to_json_pretty()).unwrap();
    assert_eq!(again, g);
}

#[test]
fn a_parse_error_names_the_line_and_column() {
    let text = example().replace("\"decimals\": 2", "\"decimals\": \"two\"");
    let GenesisError::Parse { line, column, .. } = Genesis::from_json(&text).unwrap_err();
    assert_eq!(line, 4);
    assert!(column > 0);
}

#[test]
fn an_unknown_field_is_refused() {
    let text = example().replace("\"decimals\": 2", "\"decimals\": 2, \"decimal\": 3");
    let err = Genesis::from_json(&text).unwrap_err().to_string();
    assert!(err.contains("unknown field"), "{err}");
    let text = example().replace("\"power\": 1 }", "\"power\": 1, \"weight\": 1 }");
    assert!(Genesis::from_json(&text).is_err());
}

#[test]
fn validate_reports_every_fault_at_once() {
    let mut g = Genesis::from_json(&example()).unwrap();
    g.chain_id = "Bad Chain!".into();
    g.decimals = 40;
    g.validators[1].key = g.validators[0].key;
    g.validators[1].name = "node0".into();
    g.validators[0].power = 0;
    g.validators.push(GenesisValidator {
        name: " ".into(),
        key: PublicKey([0; 32]),
        power: 1,
        node_id: None,
        p2p_address: None,
    });
    g.issuers.clear();
    g.admins.push(g.admins[0]);
    g.accounts.push(g.accounts[0].clone());
    g.accounts[0].balance = Amount(u128::MAX);
    g.consensus.timeout_prevote_ms = 0;
    g.consensus.timeout_propose_ms = 9_000;
    g.consensus.max_block_txs = 0;
    let faults = g.validate();
    let has = |f: fn(&GenesisFault) -> bool| faults.iter().any(f);
    assert!(has(|f| matches!(
        f,
        GenesisFault::ChainIdBadChar { ch: 'B' }
    )));
    assert!(has(|f| matches!(
        f,
        GenesisFault::ChainIdBadChar { ch: ' ' }
    )));
    assert!(has(|f| matches!(f, GenesisFault::DecimalsTooLarge { .. })));
    assert!(has(|f| matches!(
        f,
        GenesisFault::DuplicateValidatorKey {
            index: 1,
            first: 0,
            ..
        }
    )));
    assert!(has(|f| matches!(
        f,
        GenesisFault::DuplicateValidatorName { index: 1, .. }
    )));
    assert!(has(|f| matches!(
        f,
        GenesisFault::ZeroPower { index: 0, .. }
    )));
    assert!(has(|f| matches!(
        f,
        GenesisFault::EmptyValidatorName { index: 2 }
    )));
    assert!(has(|f| matches!(
        f,
        GenesisFault::BadValidatorKey { index: 2, .. }
    )));
    assert!(has(|f| matches!(f, GenesisFault::NoIssuer)));
    assert!(has(|f| matches!(f, GenesisFault::DuplicateAdmin { .. })));
    assert!(has(|f| matches!(
        f,
        GenesisFault::DuplicateAccount { index: 1, .. }
    )));
    assert!(has(|f| matches!(f, GenesisFault::SupplyOverflow)));
    assert!(has(|f| matches!(
        f,
        GenesisFault::ZeroTimeout {
            name: "timeout_prevote_ms"
        }
    )));
    assert!(has(|f| matches!(
        f,
        GenesisFault::TimeoutMaxBelowBase {
            name: "timeout_propose_ms",
            ..
        }
    )));
    assert!(has(|f| matches!(f, GenesisFault::MaxBlockTxs { value: 0 })));
    assert_eq!(faults.len(), 17, "{faults:#?}");
    assert!(faults.iter().all(|f| !f.to_string().is_empty()));
    assert_eq!(LedgerState::from_genesis(&g).unwrap_err(), faults);
}

#[test]
fn chain_id_length_and_emptiness_are_checked() {
    let mut g = Genesis::from_json(&example()).unwrap();
    g.chain_id = String::new();
    assert_eq!(g.validate(), vec![GenesisFault::ChainIdEmpty]);
    g.chain_id = "a".repeat(65);
    assert_eq!(g.validate(), vec![GenesisFault::ChainIdTooLong { len: 65 }]);
    g.chain_id = "ok-chain_1.2".into();
    assert_eq!(g.validate(), vec![]);
    g.validators.clear();
    assert_eq!(g.validate(), vec![GenesisFault::NoValidators]);
}

#[test]
fn the_genesis_hash_tells_chains_apart() {
    let g = Genesis::from_json(&example()).unwrap();
    let h = g.hash().unwrap();
    assert_eq!(h, g.clone().hash().unwrap());
    let mut other = g.clone();
    other.chain_id = "vellum-testnet".into();
    assert_ne!(other.hash().unwrap(), h);
    let mut richer = g.clone();
    richer.accounts[0].balance = Amount(1);
    assert_ne!(richer.hash().unwrap(), h);
    let state = LedgerState::from_genesis(&g).unwrap();
    assert_eq!(
        h,
        Hash::of(&[
            b"VELLUM/GENESIS/v1\0",
            &state.state_root().0,
            &[0, 0, 0, 13],
            b"vellum-devnet"
        ])
    );
}
