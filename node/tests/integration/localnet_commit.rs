//! Four real `vellum-node` processes from `vellum-genesis init` on 127.0.0.1: a transfer
//! submitted to one node is committed and visible through `tx_get` and `account_get` on all
//! four, and each node runs with transparent huge pages off. Free ports are chosen at run
//! time, time is bounded, and the processes are killed when the test ends, however it ends.

use std::time::{Duration, Instant};

use crate::common::{Localnet, eventually, signed};
use vellum_genesis::init::InitOptions;
use vellum_genesis::keys::read_key_file;
use vellum_protocol::rpc::{TxStatus, VellumApiClient};
use vellum_protocol::{Address, Amount, Encode, Operation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_submitted_to_one_of_four_validators_is_committed_on_all() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let ln = Localnet::start(InitOptions::new(4, ""), deadline).await;
    let demo = read_key_file(&ln.net.demo.key_file).unwrap();
    let to = ln.net.issuer.address;
    let op = Operation::Transfer {
        to,
        amount: Amount(1_234),
        memo: "first".into(),
    };
    let tx = signed(&ln.net.chain_id, &demo, 0, op);
    let submitted = ln.clients[0]
        .tx_submit(hex::encode(tx.to_bytes()))
        .await
        .unwrap();
    assert_eq!(submitted.hash, tx.hash());

    for (i, c) in ln.clients.iter().enumerate() {
        let info = eventually(
            &format!("the transfer committed on node{i}"),
            deadline,
            || async {
                let info = c.tx_get(tx.hash()).await.ok()?;
                matches!(info.status, TxStatus::Committed { .. }).then_some(info)
            },
        )
        .await;
        let TxStatus::Committed { height, .. } = info.status else {
            unreachable!()
        };
        assert!(height >= 1);
        let account = c.account_get(to).await.unwrap();
        assert_eq!(
            account.balance,
            Amount(1_234),
            "node{i} shows the wrong balance"
        );
        let sender = c
            .account_get(Address::from_public_key(&demo.public()))
            .await
            .unwrap();
        assert_eq!(sender.nonce, 1);
    }

    // Each node restarted itself once, with transparent huge pages off (`huge_pages`).
    for (i, child) in ln.nodes.0.iter().enumerate() {
        let pid = child.as_ref().expect("running").id();
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        assert!(
            environ
                .split(|b| *b == 0)
                .any(|v| v == b"MIMALLOC_ALLOW_THP=0"),
            "node{i} runs without MIMALLOC_ALLOW_THP=0"
        );
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        // Kernels before 6.x do not report it.
        if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
            assert!(line.ends_with('0'), "node{i}: {line}");
        }
    }
}
