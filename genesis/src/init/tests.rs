use std::collections::BTreeSet;

use vellum_protocol::LedgerState;

use super::*;
use crate::check::read_genesis_file;
use crate::keys::{read_key_file, read_node_key_file};

fn localnet(dir: &Path, validators: usize) -> InitOptions {
    InitOptions::new(validators, dir.join("net"))
}

#[test]
fn a_four_node_network_is_consistent_across_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let extra = Address::from_public_key(&Keypair::from_seed(&[4; 32]).public());
    let mut options = localnet(dir.path(), 4);
    options.accounts = vec![parse_opening_balance(&format!("{extra}=250.5"), 2).unwrap()];
    options.heartbeat_ms = 1_000;
    options.consensus.max_block_txs = 750;
    let summary = init_network(&options).unwrap();

    let genesis = read_genesis_file(&summary.genesis_file).unwrap();
    assert_eq!(genesis.consensus.max_block_txs, 750);
    let state = LedgerState::from_genesis(&genesis).unwrap();
    assert_eq!(genesis.validators.len(), 4);
    assert_eq!(state.account(&extra).balance, Amount(25_050));
    assert_eq!(
        state.account(&summary.demo.address).balance,
        Amount(100_000_000)
    );
    assert_eq!(state.total_supply(), summary.total_supply);
    assert!(state.is_issuer(&summary.issuer.address));
    assert!(state.is_admin(&summary.admin.address));
    assert_eq!(genesis.hash().unwrap().to_hex(), summary.genesis_hash);

    let mut ports = BTreeSet::new();
    for (node, validator) in summary.nodes.iter().zip(&genesis.validators) {
        let config = NodeConfig::load(&node.config_file).unwrap();
        assert_eq!(config.moniker, validator.name);
        assert_eq!(config.chain_id, genesis.chain_id);
        assert_eq!(config.consensus.heartbeat_ms, 1_000);
        let copy = read_genesis_file(&node.home.join(GENESIS_FILE)).unwrap();
        assert_eq!(copy, genesis);
        let consensus = read_key_file(&node.home.join(&config.consensus_key_file)).unwrap();
        assert_eq!(consensus.public(), validator.key);
        let network = read_node_key_file(&node.home.join(&config.node_key_file)).unwrap();
        assert_eq!(
            Some(network.public().to_peer_id().to_string()),
            validator.node_id
        );
        assert_eq!(Some(&node.p2p_address), validator.p2p_address.as_ref());
        let others: Vec<&String> = genesis
            .validators
            .iter()
            .filter(|v| v.name != validator.name)
            .filter_map(|v| v.p2p_address.as_ref())
            .collect();
        assert_eq!(config.p2p.peers.iter().collect::<Vec<_>>(), others);
        for port in [node.ports.p2p, node.ports.rpc, node.ports.metrics] {
            assert!(ports.insert(port), "port {port} used twice");
        }
    }
    for account in [&summary.issuer, &summary.admin, &summary.demo] {
        let key = read_key_file(&account.key_file).unwrap();
        assert_eq!(Address::from_public_key(&key.public()), account.address);
    }
}

#[test]
fn an_existing_genesis_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = localnet(dir.path(), 1);
    let first = init_network(&options).unwrap();
    let err = init_network(&options).unwrap_err().to_string();
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    let kept = read_genesis_file(&first.genesis_file).unwrap();
    assert_eq!(kept.hash().unwrap().to_hex(), first.genesis_hash);
    options.force = true;
    let second = init_network(&options).unwrap();
    assert_ne!(
        second.genesis_hash, first.genesis_hash,
        "new keys, new chain"
    );
}

#[test]
fn an_invalid_genesis_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = localnet(dir.path(), 2);
    options.chain_id = "Vellum Net".into();
    let account = parse_opening_balance(
        &format!(
            "{}=1",
            Address::from_public_key(&Keypair::from_seed(&[4; 32]).public())
        ),
        2,
    )
    .unwrap();
    options.accounts = vec![account.clone(), account];
    let err = format!("{:#}", init_network(&options).unwrap_err());
    assert!(err.contains("chain_id contains"), "{err}");
    assert!(err.contains("repeats the address"), "{err}");
    assert!(!options.out.exists(), "nothing written");
}

#[test]
fn a_network_needs_one_to_the_maximum_validators() {
    let dir = tempfile::tempdir().unwrap();
    for n in [0, MAX_VALIDATORS + 1] {
        let err = init_network(&localnet(dir.path(), n))
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 to 256 validators"), "{err}");
    }
}

#[test]
fn opening_balances_are_read_in_display_units() {
    let address = Address::from_public_key(&Keypair::from_seed(&[4; 32]).public());
    let account = parse_opening_balance(&format!("{address}=12.34"), 2).unwrap();
    assert_eq!((account.address, account.balance), (address, Amount(1234)));
    for (text, reason) in [
        (format!("{address}"), "ADDRESS=AMOUNT"),
        (format!("{address}=1.234"), "2 decimals"),
        ("vl1oops=1".to_string(), "not a vl1... address"),
    ] {
        let err = format!("{:#}", parse_opening_balance(&text, 2).unwrap_err());
        assert!(err.contains(reason), "{text}: {err}");
    }
}
