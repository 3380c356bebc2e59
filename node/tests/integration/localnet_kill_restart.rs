//! SIGKILL one of four validators: the other three keep committing. Restart it: it syncs, and
//! every node holds the same block hash at every height. Real processes on free 127.0.0.1
//! ports, bounded in time, killed when the test ends however it ends.

use std::time::{Duration, Instant};

use crate::common::{Localnet, transfer};
use vellum_genesis::init::InitOptions;
use vellum_genesis::keys::read_key_file;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_validator_restarts_and_syncs_while_the_others_go_on() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut ln = Localnet::start(InitOptions::new(4, ""), deadline).await;
    let demo = read_key_file(&ln.net.demo.key_file).unwrap();
    let (chain, to) = (ln.net.chain_id.clone(), ln.net.issuer.address);

    let first = ln.submit(0, transfer(&chain, &demo, 0, to)).await;
    ln.committed_on(&[0, 1, 2, 3], first, deadline).await;

    // SIGKILL node3; the other three keep committing.
    ln.kill(3);
    for nonce in 1..=3 {
        let hash = ln.submit(0, transfer(&chain, &demo, nonce, to)).await;
        ln.committed_on(&[0, 1, 2], hash, deadline).await;
    }

    // Restart it; one more transfer makes the others move on, and node3 catches up.
    ln.restart(3);
    ln.wait_rpc(3, deadline).await;
    let after = ln.submit(0, transfer(&chain, &demo, 4, to)).await;
    let top = ln.committed_on(&[0, 3], after, deadline).await;
    ln.assert_same_blocks(&[0, 1, 2, 3], top, deadline).await;
}
