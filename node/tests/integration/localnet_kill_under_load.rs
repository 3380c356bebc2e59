//! Kill a validator mid-commit, again and again, while transactions keep arriving: each time it
//! reopens its store, syncs the blocks it missed while the chain keeps growing, and rejoins; at
//! the end every node holds the same block at every height, every accepted transaction is
//! committed exactly once, at the same place on every node, and every account agrees. Real
//! processes on free 127.0.0.1 ports, bounded in time, cleaned up however the test ends.

use std::time::{Duration, Instant};

use crate::common::load::{self, Load};
use crate::common::{Localnet, eventually, height};
use vellum_genesis::init::InitOptions;

/// Times the validator is killed.
const KILLS: u64 = 20;
/// The validator that is killed; the load goes to the others.
const VICTIM: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_twenty_times_under_load_loses_and_repeats_nothing() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut options = InitOptions::new(4, "");
    options.accounts = load::accounts();
    let mut ln = Localnet::start(options, deadline).await;
    let to = ln.net.issuer.address;
    let load = Load::start(ln.clients[..VICTIM].to_vec(), ln.net.chain_id.clone(), to);

    for kill in 0..KILLS {
        // Let it rejoin: up to the height the others had when it came back.
        let target = height(&ln.clients[0]).await.unwrap();
        eventually(
            &format!("node{VICTIM} synced (kill {kill})"),
            deadline,
            || async { (height(&ln.clients[VICTIM]).await? >= target).then_some(()) },
        )
        .await;
        // A different moment of the commit cycle each time.
        tokio::time::sleep(Duration::from_millis(37 * (kill % 11) + 5)).await;
        ln.kill(VICTIM);
        tokio::time::sleep(Duration::from_millis(100)).await;
        ln.restart(VICTIM);
        ln.wait_rpc(VICTIM, deadline).await;
    }
    let accepted = load.stop().await;
    eprintln!(
        "{} transactions accepted during {KILLS} kills",
        accepted.len()
    );
    assert!(
        accepted.len() >= 200,
        "too little load to mean anything: {} transactions",
        accepted.len()
    );
    load::assert_exactly_once(&ln, &accepted, VICTIM, deadline).await;
    let log = std::fs::read_to_string(ln.log(VICTIM)).unwrap();
    assert!(!log.contains("panicked"), "node{VICTIM} panicked");
}
