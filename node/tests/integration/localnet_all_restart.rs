//! Kill every validator at once, again and again, while transactions keep arriving (a power cut
//! in the one room that holds them all): each time all four restart from their stores and
//! safety files, in the height they were voting in, and the chain goes on; after the last
//! outage only three come back at first, and go on alone. At the end every node holds the same
//! block at every height, every accepted transaction is committed exactly once, and every
//! account agrees. Real processes on free 127.0.0.1 ports, bounded in time,
//! cleaned up however the test ends.

use std::time::{Duration, Instant};

use crate::common::load::{self, Load};
use crate::common::{Localnet, eventually, height};
use vellum_genesis::init::InitOptions;

/// Times every validator is killed.
const OUTAGES: u64 = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_validator_killed_at_once_under_load_restarts_and_goes_on() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut options = InitOptions::new(4, "");
    options.accounts = load::accounts();
    let mut ln = Localnet::start(options, deadline).await;
    let to = ln.net.issuer.address;
    let load = Load::start(ln.clients.clone(), ln.net.chain_id.clone(), to);

    for outage in 0..OUTAGES {
        // The chain grows a few heights first.
        let before = height(&ln.clients[0]).await.unwrap();
        eventually(
            &format!("the chain grows (outage {outage})"),
            deadline,
            || async { (height(&ln.clients[0]).await? >= before + 3).then_some(()) },
        )
        .await;
        // A different moment of the commit cycle each time; one after the other, as fast as
        // the test can, so that none sees the others go.
        tokio::time::sleep(Duration::from_millis(23 * (outage % 7) + 3)).await;
        for i in 0..4 {
            ln.kill(i);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        for i in 0..4 {
            ln.restart(i);
        }
        for i in 0..4 {
            ln.wait_rpc(i, deadline).await;
        }
    }
    // One more, after which one machine does not come back for a while: the three others,
    // exactly a quorum, must go on alone (each resumes its round and sends its own votes
    // again; none may wait for the fourth's). Then it returns and catches up.
    for i in 0..4 {
        ln.kill(i);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..3 {
        ln.restart(i);
    }
    for i in 0..3 {
        ln.wait_rpc(i, deadline).await;
    }
    let after = height(&ln.clients[0]).await.unwrap();
    eventually(
        "three of four go on after the last outage",
        deadline,
        || async { (height(&ln.clients[0]).await? >= after + 3).then_some(()) },
    )
    .await;
    ln.restart(3);
    ln.wait_rpc(3, deadline).await;
    let accepted = load.stop().await;
    eprintln!(
        "{} transactions accepted during {} outages",
        accepted.len(),
        OUTAGES + 1
    );
    assert!(
        accepted.len() >= 100,
        "too little load to mean anything: {} transactions",
        accepted.len()
    );
    load::assert_exactly_once(&ln, &accepted, 0, deadline).await;
    let mut restored = 0;
    for i in 0..4 {
        let log = std::fs::read_to_string(ln.log(i)).unwrap();
        assert!(!log.contains("panicked"), "node{i} panicked");
        restored += log.matches("restored the body of the locked block").count();
    }
    // How often a restart found its node locked (by chance: it depends on the moment).
    eprintln!("{restored} restarts restored a locked block's body");
}
