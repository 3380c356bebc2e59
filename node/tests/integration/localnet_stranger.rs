//! A node whose keys are not in genesis (a stranger with the network's genesis file and the
//! validators' addresses) is refused by every validator and counted in their metric: it gets
//! no peers, its blocks stay behind, and a transaction submitted to it never reaches the
//! network, although the same transaction submitted to a validator commits. Real processes on
//! free 127.0.0.1 ports, bounded in time.

use std::time::{Duration, Instant};

use crate::common::{Localnet, client, committed, eventually, height, signed, start};
use vellum_genesis::config::{CONFIG_FILE, NodeConfig};
use vellum_genesis::init::{GENESIS_FILE, InitOptions, init_network};
use vellum_genesis::keys::read_key_file;
use vellum_protocol::rpc::{TxStatus, VellumApiClient};
use vellum_protocol::{Amount, Encode, Operation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_keys_outside_genesis_is_refused_and_relays_nothing() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut ln = Localnet::start(InitOptions::new(4, ""), deadline).await;

    // The stranger: its own fresh keys (another `init`), this network's genesis and peers.
    let other = init_network(&InitOptions::new(1, ln.dir.path().join("other"))).unwrap();
    let home = &other.nodes[0].home;
    std::fs::copy(&ln.net.genesis_file, home.join(GENESIS_FILE)).unwrap();
    let mut config = NodeConfig::load(&home.join(CONFIG_FILE)).unwrap();
    config.p2p.peers = ln.net.nodes.iter().map(|n| n.p2p_address.clone()).collect();
    std::fs::write(home.join(CONFIG_FILE), config.to_toml()).unwrap();
    ln.nodes
        .0
        .push(Some(start(home, &ln.dir.path().join("stranger.log"))));
    let stranger = client(&other.nodes[0].rpc_url);
    eventually("the stranger's RPC", deadline, || height(&stranger)).await;

    // Every validator refuses it (it dials all four) and counts it.
    for i in 0..4 {
        eventually(
            &format!("node{i} refusing the stranger"),
            deadline,
            || async { (ln.metric(i, "vellum_refused_peers_total")? >= 1.0).then_some(()) },
        )
        .await;
    }

    // A transaction submitted to the stranger goes nowhere; the network commits another.
    let demo = read_key_file(&ln.net.demo.key_file).unwrap();
    let pay = |amount, memo: &str| Operation::Transfer {
        to: ln.net.issuer.address,
        amount: Amount(amount),
        memo: memo.into(),
    };
    let via_stranger = signed(&ln.net.chain_id, &demo, 0, pay(7, "via stranger"));
    // Taken into its own pool or refused: either way it must not spread.
    let _ = stranger
        .tx_submit(hex::encode(via_stranger.to_bytes()))
        .await;
    let issuer = read_key_file(&ln.net.issuer.key_file).unwrap();
    let mint = signed(
        &ln.net.chain_id,
        &issuer,
        0,
        Operation::Mint {
            to: ln.net.demo.address,
            amount: Amount(1),
        },
    );
    ln.clients[0]
        .tx_submit(hex::encode(mint.to_bytes()))
        .await
        .unwrap();
    for c in &ln.clients {
        eventually("the mint on every validator", deadline, || {
            committed(c, mint.hash())
        })
        .await;
    }
    for (i, c) in ln.clients.iter().enumerate() {
        let status = c.tx_get(via_stranger.hash()).await.unwrap().status;
        assert_eq!(
            status,
            TxStatus::Unknown,
            "node{i} got the stranger's transaction"
        );
    }
    let seen = stranger.chain_status().await.unwrap();
    assert_eq!(seen.peers, 0, "the stranger has peers");
    assert_eq!(seen.height, 0, "the stranger got blocks");

    // The same transaction submitted to a validator is fine.
    ln.clients[1]
        .tx_submit(hex::encode(via_stranger.to_bytes()))
        .await
        .unwrap();
    eventually("the transfer through a validator", deadline, || {
        committed(&ln.clients[2], via_stranger.hash())
    })
    .await;
}
