//! Two of four validators stopped: the remaining two are short of a quorum, so no block commits
//! and nothing forks; bring one back and commits resume, with every running node holding the
//! same block at every height. Real processes on free 127.0.0.1 ports, bounded in time.

use std::time::{Duration, Instant};

use crate::common::{Localnet, eventually, height, transfer};
use vellum_genesis::init::InitOptions;
use vellum_genesis::keys::read_key_file;
use vellum_protocol::rpc::{TxStatus, VellumApiClient};

/// How long the two survivors are watched for a commit that must not come.
const STALL: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_four_down_commit_nothing_and_one_back_resumes() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut ln = Localnet::start(InitOptions::new(4, ""), deadline).await;
    let demo = read_key_file(&ln.net.demo.key_file).unwrap();
    let (chain, to) = (ln.net.chain_id.clone(), ln.net.issuer.address);

    let first = ln.submit(0, transfer(&chain, &demo, 0, to)).await;
    ln.committed_on(&[0, 1, 2, 3], first, deadline).await;

    ln.kill(2);
    ln.kill(3);
    let before = [
        height(&ln.clients[0]).await.unwrap(),
        height(&ln.clients[1]).await.unwrap(),
    ];
    let stuck = ln.submit(1, transfer(&chain, &demo, 1, to)).await;
    eventually(
        "the waiting transfer gossiped to node0",
        deadline,
        || async {
            let status = ln.clients[0].tx_get(stuck).await.ok()?.status;
            (status == TxStatus::Pending).then_some(())
        },
    )
    .await;
    let watch_until = Instant::now() + STALL;
    while Instant::now() < watch_until {
        for (i, c) in ln.clients[..2].iter().enumerate() {
            assert_eq!(
                height(c).await.unwrap(),
                before[i],
                "node{i} committed a block with two of four validators down"
            );
            let status = c.tx_get(stuck).await.unwrap().status;
            assert_eq!(status, TxStatus::Pending, "node{i}: {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ln.assert_same_blocks(&[0, 1], before[0].min(before[1]), deadline)
        .await;

    // One back: three of four is a quorum again, and the waiting transfer commits.
    ln.restart(2);
    let top = ln.committed_on(&[0, 1, 2], stuck, deadline).await;
    ln.assert_same_blocks(&[0, 1, 2], top, deadline).await;
}
