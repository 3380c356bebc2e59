//! SIGKILL one of four validators: the other three keep committing. Restart it: it syncs, and
//! every node holds the same block hash at every height. Real processes on free 127.0.0.1
//! ports, bounded in time, killed when the test ends however it ends.

mod common;

use std::time::{Duration, Instant};

use common::{Localnet, committed, eventually, transfer};
use vellum_genesis::init::InitOptions;
use vellum_genesis::keys::read_key_file;
use vellum_protocol::rpc::VellumApiClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_validator_restarts_and_syncs_while_the_others_go_on() {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut ln = Localnet::start(InitOptions::new(4, ""), deadline).await;
    let demo = read_key_file(&ln.net.demo.key_file).unwrap();
    let (chain, to) = (ln.net.chain_id.clone(), ln.net.issuer.address);

    let first = ln.clients[0]
        .tx_submit(transfer(&chain, &demo, 0, to))
        .await
        .unwrap()
        .hash;
    for c in &ln.clients {
        eventually("the first transfer on every node", deadline, || {
            committed(c, first)
        })
        .await;
    }

    // SIGKILL node3; the other three keep committing.
    ln.kill(3);
    for nonce in 1..=3 {
        let hash = ln.clients[0]
            .tx_submit(transfer(&chain, &demo, nonce, to))
            .await
            .unwrap()
            .hash;
        for c in &ln.clients[..3] {
            eventually("commits without node3", deadline, || committed(c, hash)).await;
        }
    }

    // Restart it; one more transfer makes the others move on, and node3 catches up.
    ln.restart(3);
    ln.wait_rpc(3, deadline).await;
    let after = ln.clients[0]
        .tx_submit(transfer(&chain, &demo, 4, to))
        .await
        .unwrap()
        .hash;
    let top = eventually("the last transfer on node0", deadline, || {
        committed(&ln.clients[0], after)
    })
    .await;
    eventually("node3 synced", deadline, || {
        committed(&ln.clients[3], after)
    })
    .await;
    ln.assert_same_blocks(&[0, 1, 2, 3], top, deadline).await;
}
