//! Every way a submitted transaction can be refused, against a real `vellum-node` process:
//! each refusal carries the right JSON-RPC code and the ledger's reason name, and changes
//! nothing (the sender's account is as before). One validator on a free 127.0.0.1 port.

use std::time::{Duration, Instant};

use crate::common::{Localnet, committed, eventually, now_ms, signed};
use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use vellum_genesis::init::InitOptions;
use vellum_genesis::keys::read_key_file;
use vellum_protocol::rpc::VellumApiClient;
use vellum_protocol::rpc::error::{
    INVALID_PARAMS, TX_BAD_SIGNATURE, TX_EXPIRED, TX_FUNDS, TX_INVALID, TX_NONCE, TX_NOT_PERMITTED,
    TX_WRONG_CHAIN,
};
use vellum_protocol::{
    Address, Amount, Encode, Keypair, Operation, SignedTransaction, Transaction,
};

/// The JSON-RPC error code and the reason name (`data.name`) of a refused call.
fn refusal<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (i32, Option<String>) {
    match result {
        Err(ClientError::Call(e)) => {
            let name = e
                .data()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d.get()).ok())
                .and_then(|d| d["name"].as_str().map(str::to_string));
            (e.code(), name)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn submit(c: &HttpClient, tx: &SignedTransaction) -> (i32, Option<String>) {
    refusal(c.tx_submit(hex::encode(tx.to_bytes())).await)
}

fn pay(to: Address, amount: u128) -> Operation {
    Operation::Transfer {
        to,
        amount: Amount(amount),
        memo: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_has_its_reason_and_changes_nothing() {
    let _alone = crate::common::one_at_a_time().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let ln = Localnet::start(InitOptions::new(1, ""), deadline).await;
    let c = &ln.clients[0];
    let chain = ln.net.chain_id.clone();
    let demo = read_key_file(&ln.net.demo.key_file).unwrap();
    let admin = read_key_file(&ln.net.admin.key_file).unwrap();
    let demo_address = ln.net.demo.address;
    let to = ln.net.issuer.address;

    // Nonce 0 commits, so nonce 0 again is a replay.
    let first = signed(&chain, &demo, 0, pay(to, 5));
    c.tx_submit(hex::encode(first.to_bytes())).await.unwrap();
    eventually("the first transfer", deadline, || {
        committed(c, first.hash())
    })
    .await;
    let before = c.account_get(demo_address).await.unwrap();

    let mut bad_signature = signed(&chain, &demo, 1, pay(to, 5));
    bad_signature.signature.0[10] ^= 1;
    let stranger = Keypair::from_seed(&[7; 32]);
    let forged = Transaction {
        sender: demo.public(),
        ..signed(&chain, &stranger, 1, pay(to, 5)).tx
    }
    .sign(&stranger);
    let expired = Transaction {
        chain_id: chain.clone(),
        sender: demo.public(),
        nonce: 1,
        expiry_ms: now_ms() - 1_000,
        op: pay(to, 5),
    }
    .sign(&demo);
    let cases: Vec<(&str, SignedTransaction, i32, &str)> = vec![
        (
            "bad signature",
            bad_signature,
            TX_BAD_SIGNATURE,
            "bad_signature",
        ),
        (
            "signed by another key",
            forged,
            TX_BAD_SIGNATURE,
            "bad_signature",
        ),
        (
            "wrong chain id",
            signed("another-chain", &demo, 1, pay(to, 5)),
            TX_WRONG_CHAIN,
            "wrong_chain_id",
        ),
        (
            "replayed nonce",
            signed(&chain, &demo, 0, pay(to, 5)),
            TX_NONCE,
            "nonce_too_low",
        ),
        (
            "nonce too far ahead",
            signed(&chain, &demo, 1_000, pay(to, 5)),
            TX_NONCE,
            "nonce_too_high",
        ),
        (
            "insufficient funds",
            signed(&chain, &demo, 1, pay(to, before.balance.0 + 1)),
            TX_FUNDS,
            "insufficient_funds",
        ),
        ("expired", expired, TX_EXPIRED, "expired"),
    ];
    for (what, tx, code, name) in &cases {
        assert_eq!(
            submit(c, tx).await,
            (*code, Some(name.to_string())),
            "{what}"
        );
    }

    // Frozen: the admin freezes the demo account; its next transfer is refused.
    let freeze = signed(
        &chain,
        &admin,
        0,
        Operation::Freeze {
            account: demo_address,
        },
    );
    c.tx_submit(hex::encode(freeze.to_bytes())).await.unwrap();
    eventually("the freeze", deadline, || committed(c, freeze.hash())).await;
    let frozen = signed(&chain, &demo, 1, pay(to, 5));
    assert_eq!(
        submit(c, &frozen).await,
        (TX_NOT_PERMITTED, Some("sender_frozen".into())),
        "frozen sender"
    );

    // What is not a transaction at all.
    let oversized = "00".repeat(2_000);
    assert_eq!(
        refusal(c.tx_submit(oversized).await),
        (TX_INVALID, Some("oversized".into())),
        "oversized"
    );
    assert_eq!(
        refusal(c.tx_submit("0xnot-hex".into()).await),
        (INVALID_PARAMS, Some("malformed".into())),
        "malformed hex"
    );
    assert_eq!(
        refusal(c.tx_submit("00ff".into()).await),
        (INVALID_PARAMS, Some("malformed".into())),
        "hex of no transaction"
    );
    let unknown: Result<serde_json::Value, _> = c.request("wallet_drain", rpc_params![]).await;
    assert_eq!(refusal(unknown), (-32601, None), "unknown method");

    // Nothing refused changed the account, and none of it is known as pending.
    let after = c.account_get(demo_address).await.unwrap();
    assert_eq!((after.balance, after.nonce), (before.balance, before.nonce));
    assert!(after.frozen);
    for (what, tx, ..) in &cases {
        let status = c.tx_get(tx.hash()).await.unwrap().status;
        assert_eq!(
            status,
            vellum_protocol::rpc::TxStatus::Unknown,
            "{what} left a trace"
        );
    }
}
