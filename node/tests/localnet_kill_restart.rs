//! SIGKILL one of four validators: the other three keep committing. Restart it: it syncs, and
//! every node holds the same block hash at every height. Real processes on free 127.0.0.1
//! ports, bounded in time, killed when the test ends however it ends.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Nodes, client, eventually, start};
use jsonrpsee::http_client::HttpClient;
use vellum_genesis::init::{InitOptions, init_network};
use vellum_genesis::keys::read_key_file;
use vellum_protocol::rpc::{BlockId, TxStatus, VellumApiClient};
use vellum_protocol::{Amount, Encode, Hash, Keypair, Operation, Transaction};

fn transfer(chain_id: &str, key: &Keypair, nonce: u64, to: vellum_protocol::Address) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let tx = Transaction {
        chain_id: chain_id.into(),
        sender: key.public(),
        nonce,
        expiry_ms: now + 60_000,
        op: Operation::Transfer {
            to,
            amount: Amount(100),
            memo: format!("n{nonce}"),
        },
    }
    .sign(key);
    hex::encode(tx.to_bytes())
}

async fn committed(c: &HttpClient, hash: Hash) -> Option<u64> {
    match c.tx_get(hash).await.ok()?.status {
        TxStatus::Committed { height, .. } => Some(height),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_validator_restarts_and_syncs_while_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let net = init_network(&InitOptions::new(4, dir.path().to_path_buf())).unwrap();
    let log = |i: usize| dir.path().join(format!("node{i}.log"));
    let mut nodes = Nodes(
        net.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| Some(start(&n.home, &log(i))))
            .collect(),
    );
    let clients: Vec<HttpClient> = net.nodes.iter().map(|n| client(&n.rpc_url)).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    for c in &clients {
        eventually("every node's RPC", deadline, || async {
            c.chain_status().await.ok()
        })
        .await;
    }
    let demo = read_key_file(&net.demo.key_file).unwrap();
    let to = net.issuer.address;

    let first = clients[0]
        .tx_submit(transfer(&net.chain_id, &demo, 0, to))
        .await
        .unwrap()
        .hash;
    for c in &clients {
        eventually("the first transfer on every node", deadline, || {
            committed(c, first)
        })
        .await;
    }

    // SIGKILL node3; the other three keep committing.
    let mut killed = nodes.0[3].take().unwrap();
    killed.kill().unwrap();
    killed.wait().unwrap();
    let mut last = first;
    for nonce in 1..=3 {
        last = clients[0]
            .tx_submit(transfer(&net.chain_id, &demo, nonce, to))
            .await
            .unwrap()
            .hash;
        for c in &clients[..3] {
            eventually("commits without node3", deadline, || committed(c, last)).await;
        }
    }

    // Restart it; one more transfer makes the others move on, and node3 catches up.
    nodes.0[3] = Some(start(&net.nodes[3].home, &log(3)));
    eventually("node3's RPC again", deadline, || async {
        clients[3].chain_status().await.ok()
    })
    .await;
    let after = clients[0]
        .tx_submit(transfer(&net.chain_id, &demo, 4, to))
        .await
        .unwrap()
        .hash;
    let top = eventually("the last transfer on node0", deadline, || {
        committed(&clients[0], after)
    })
    .await;
    eventually("node3 synced", deadline, || committed(&clients[3], after)).await;
    let _ = last;

    for height in 1..=top {
        let mut hashes = Vec::new();
        for c in &clients {
            let block = eventually("a block on every node", deadline, || async {
                c.chain_get_block(BlockId::Height(height), None)
                    .await
                    .ok()
                    .flatten()
            })
            .await;
            hashes.push(block.hash);
        }
        assert!(
            hashes.windows(2).all(|w| w[0] == w[1]),
            "nodes differ at height {height}"
        );
    }
}
