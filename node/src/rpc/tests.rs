//! Tests of the RPC server over real sockets on 127.0.0.1, against an in-memory node: every
//! method through the typed client, refusals and their codes, batches, CORS, limits, resumable
//! subscriptions, and the OpenRPC document against the registered methods.

mod fake_node;
mod raw_http;
mod subscriptions;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::core::ClientError;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use serde_json::json;
use vellum_protocol::encoding::Encode;
use vellum_protocol::rpc::error::{
    INVALID_PARAMS, RATE_LIMITED, TX_BAD_SIGNATURE, TX_BUSY, TX_EXPIRED, TX_FUNDS, TX_INVALID,
    TX_NONCE, TX_NOT_PERMITTED, TX_WRONG_CHAIN,
};
use vellum_protocol::rpc::{BlockId, SubmitOutcome, TxStatus, VellumApiClient, openrpc};
use vellum_protocol::transaction::MAX_TX_BYTES;
use vellum_protocol::{Amount, Operation, SignedTransaction, Transaction};

use self::fake_node::{CHAIN, FakeNode, NOW, addr, signed, transfer};
use super::{RpcLimits, RpcServerError, RpcServerHandle, rpc_module, start_rpc};
use crate::mempool::MempoolConfig;

fn hex_of(tx: &SignedTransaction) -> String {
    hex::encode(tx.to_bytes())
}

async fn serve(limits: RpcLimits) -> (Arc<FakeNode>, RpcServerHandle) {
    serve_node(FakeNode::new(), limits).await
}

async fn serve_node(node: FakeNode, limits: RpcLimits) -> (Arc<FakeNode>, RpcServerHandle) {
    let node = Arc::new(node);
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let handle = start_rpc(listen, node.clone(), limits)
        .await
        .expect("start");
    (node, handle)
}

fn http_client(handle: &RpcServerHandle) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://{}", handle.local_addr()))
        .expect("a client")
}

/// The JSON-RPC code and the reason name in `data`, of a call error.
fn code_and_reason(e: ClientError) -> (i32, Option<String>) {
    match e {
        ClientError::Call(obj) => {
            let data: Option<serde_json::Value> = obj
                .data()
                .map(|d| serde_json::from_str(d.get()).expect("json data"));
            let name = data.and_then(|d| d["name"].as_str().map(str::to_string));
            (obj.code(), name)
        }
        other => panic!("expected a call error, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_over_http_through_the_typed_client() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let client = http_client(&handle);

    let status = client.chain_status().await.unwrap();
    assert_eq!((status.chain_id.as_str(), status.height), (CHAIN, 0));
    assert_eq!((status.validators, status.decimals), (1, 2));
    let validators = client.chain_get_validators().await.unwrap();
    assert_eq!(validators[0].key, node.validator.public());

    let tx = transfer(&node.alice, &node.bob, 250, 0);
    let submitted = client.tx_submit(hex_of(&tx)).await.unwrap();
    assert_eq!(
        (submitted.hash, &submitted.status),
        (tx.hash(), &TxStatus::Pending)
    );
    let again = client.tx_submit(hex_of(&tx)).await.unwrap();
    assert_eq!(
        again, submitted,
        "the same transaction twice is one transaction"
    );
    let alice = client.account_get(addr(&node.alice)).await.unwrap();
    assert_eq!(
        (alice.balance, alice.nonce, alice.pending_nonce),
        (Amount(1000), 0, Some(1))
    );

    let height = node.commit_block();
    let info = client.tx_get(tx.hash()).await.unwrap();
    let TxStatus::Committed {
        height: h,
        index,
        block_hash,
    } = info.status
    else {
        panic!("expected committed, got {:?}", info.status);
    };
    assert_eq!((h, index), (height, 0));
    assert_eq!(info.tx.expect("the transaction").nonce, 0);
    let resubmitted = client.tx_submit(hex_of(&tx)).await.unwrap();
    assert!(matches!(resubmitted.status, TxStatus::Committed { .. }));

    let by_height = client
        .chain_get_block(BlockId::Height(height), Some(true))
        .await
        .unwrap();
    let by_hash = client
        .chain_get_block(BlockId::Hash(block_hash), None)
        .await
        .unwrap();
    let (by_height, by_hash) = (by_height.expect("a block"), by_hash.expect("a block"));
    assert_eq!(by_height.hash, block_hash);
    assert_eq!(by_hash.tx_hashes, vec![tx.hash()]);
    assert_eq!(by_height.txs.expect("full transactions").len(), 1);
    assert!(by_hash.txs.is_none());
    assert_eq!(
        by_hash.commit.expect("a certificate").signers,
        vec![node.validator.public()]
    );
    assert!(
        client
            .chain_get_block(BlockId::Height(99), None)
            .await
            .unwrap()
            .is_none()
    );

    let bob = client.account_get(addr(&node.bob)).await.unwrap();
    assert_eq!((bob.balance, bob.pending_nonce), (Amount(1250), None));
    let unknown = client.tx_get(vellum_protocol::Hash([7; 32])).await.unwrap();
    assert_eq!(unknown.status, TxStatus::Unknown);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_newest_first_by_cursor() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let client = http_client(&handle);
    for nonce in 0..5 {
        client
            .tx_submit(hex_of(&transfer(&node.alice, &node.bob, 1, nonce)))
            .await
            .unwrap();
        node.commit_block();
    }
    let alice = addr(&node.alice);
    let first = client
        .account_get_history(alice, None, Some(2))
        .await
        .unwrap();
    let heights: Vec<u64> = first.entries.iter().map(|e| e.height).collect();
    assert_eq!(heights, vec![5, 4]);
    let second = client
        .account_get_history(alice, first.next_cursor, Some(2))
        .await
        .unwrap();
    let third = client
        .account_get_history(alice, second.next_cursor, Some(2))
        .await
        .unwrap();
    let heights: Vec<u64> = [second.entries, third.entries]
        .concat()
        .iter()
        .map(|e| e.height)
        .collect();
    assert_eq!(heights, vec![3, 2, 1]);
    assert_eq!(third.next_cursor, None);
    let e = client
        .account_get_history(alice, None, Some(0))
        .await
        .unwrap_err();
    assert_eq!(code_and_reason(e).0, INVALID_PARAMS);
    let e = client
        .account_get_history(alice, Some("nope".into()), None)
        .await
        .unwrap_err();
    assert_eq!(code_and_reason(e).0, INVALID_PARAMS);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_has_its_code_and_reason() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let client = http_client(&handle);
    // A committed transfer (nonce 0) and a committed freeze of bob, to refuse against.
    client
        .tx_submit(hex_of(&transfer(&node.alice, &node.bob, 1, 0)))
        .await
        .unwrap();
    let freeze = signed(
        &node.admin,
        0,
        Operation::Freeze {
            account: addr(&node.bob),
        },
    );
    client.tx_submit(hex_of(&freeze)).await.unwrap();
    node.commit_block();

    let mut bad_sig = transfer(&node.alice, &node.bob, 1, 1);
    bad_sig.signature.0[5] ^= 1;
    let mut wrong_chain = transfer(&node.alice, &node.bob, 1, 1).tx;
    wrong_chain.chain_id = "other-chain".into();
    let mut expired = transfer(&node.alice, &node.bob, 1, 1).tx;
    expired.expiry_ms = NOW - 1;
    let sign = |t: Transaction| hex_of(&t.sign(&node.alice));
    let cases: Vec<(&str, String, i32, &str)> = vec![
        (
            "bad signature",
            hex_of(&bad_sig),
            TX_BAD_SIGNATURE,
            "bad_signature",
        ),
        (
            "wrong chain id",
            sign(wrong_chain),
            TX_WRONG_CHAIN,
            "wrong_chain_id",
        ),
        (
            // Another transaction with a used nonce; the same one again is idempotent.
            "replayed nonce",
            hex_of(&transfer(&node.alice, &node.bob, 2, 0)),
            TX_NONCE,
            "nonce_too_low",
        ),
        (
            "nonce too far ahead",
            hex_of(&transfer(&node.alice, &node.bob, 1, 1 << 40)),
            TX_NONCE,
            "nonce_too_high",
        ),
        (
            "insufficient funds",
            hex_of(&transfer(&node.alice, &node.bob, 5000, 1)),
            TX_FUNDS,
            "insufficient_funds",
        ),
        (
            "frozen sender",
            hex_of(&transfer(&node.bob, &node.alice, 1, 0)),
            TX_NOT_PERMITTED,
            "sender_frozen",
        ),
        ("expired", sign(expired), TX_EXPIRED, "expired"),
        (
            "oversized",
            "00".repeat(MAX_TX_BYTES + 1),
            TX_INVALID,
            "oversized",
        ),
        ("malformed hex", "0xzz".into(), INVALID_PARAMS, "malformed"),
        (
            "undecodable bytes",
            "00ff".into(),
            INVALID_PARAMS,
            "malformed",
        ),
    ];
    for (what, text, code, reason) in cases {
        let e = client.tx_submit(text).await.expect_err(what);
        assert_eq!(
            code_and_reason(e),
            (code, Some(reason.to_string())),
            "{what}"
        );
    }
    let outcomes = client
        .tx_submit_batch(vec![
            hex_of(&transfer(&node.alice, &node.bob, 1, 1)),
            "zz".into(),
        ])
        .await
        .unwrap();
    assert!(matches!(&outcomes[0], SubmitOutcome::Accepted(r) if r.status == TxStatus::Pending));
    assert!(
        matches!(&outcomes[1], SubmitOutcome::Refused { error } if error.code == INVALID_PARAMS)
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_raw_http_answers_each_call_and_unknown_methods_are_named() {
    let (_node, handle) = serve(RpcLimits::default()).await;
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "chain_status", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "chain_getValidators" },
        { "jsonrpc": "2.0", "id": 3, "method": "chain_noSuchMethod", "params": [] },
        { "jsonrpc": "2.0", "id": 4, "method": "account_get", "params": ["vl1notanaddress"] },
    ]);
    let resp = raw_http::post(handle.local_addr(), &batch.to_string(), &[]).await;
    assert_eq!(resp.status, 200);
    let answers = resp.json();
    let answers = answers.as_array().expect("a batch answer");
    let by_id = |id: u64| {
        answers
            .iter()
            .find(|a| a["id"] == id)
            .expect("an answer per id")
    };
    assert_eq!(by_id(1)["result"]["chain_id"], CHAIN);
    assert!(by_id(2)["result"].is_array());
    assert_eq!(by_id(3)["error"]["code"], -32601);
    assert_eq!(by_id(4)["error"]["code"], INVALID_PARAMS);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_the_configured_origin_only() {
    let limits = RpcLimits {
        cors_origins: vec!["https://explorer.example".into()],
        ..RpcLimits::default()
    };
    let (_node, handle) = serve(limits).await;
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "chain_status" }).to_string();
    let allowed = [("Origin", "https://explorer.example")];
    let resp = raw_http::post(handle.local_addr(), &call, &allowed).await;
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some("https://explorer.example")
    );
    let other = [("Origin", "https://evil.example")];
    let resp = raw_http::post(handle.local_addr(), &call, &other).await;
    assert_eq!(resp.header("access-control-allow-origin"), None);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_request_is_refused() {
    let limits = RpcLimits {
        max_request_bytes: 4096,
        ..RpcLimits::default()
    };
    let (_node, handle) = serve(limits).await;
    let big = json!({ "jsonrpc": "2.0", "id": 1, "method": "tx_submit",
        "params": ["00".repeat(4096)] });
    let resp = raw_http::post(handle.local_addr(), &big.to_string(), &[]).await;
    assert_eq!(resp.status, 413, "{}", resp.body);
    handle.stop().await;
}

/// While the pool is full, every submission is refused as `mempool_full` without being read
/// (text that is not a transaction at all gets the same answer), and once a block has made
/// room the same transaction is admitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_refuses_a_batch_without_reading_it() {
    let config = MempoolConfig {
        max_txs: 1,
        ..MempoolConfig::default()
    };
    let (node, handle) = serve_node(FakeNode::with_mempool(config), RpcLimits::default()).await;
    let client = http_client(&handle);
    let first = transfer(&node.alice, &node.bob, 1, 0);
    client.tx_submit(hex_of(&first)).await.unwrap();
    let second = transfer(&node.bob, &node.alice, 1, 0);
    let outcomes = client
        .tx_submit_batch(vec![hex_of(&second), "not hex".into()])
        .await
        .unwrap();
    for outcome in &outcomes {
        let SubmitOutcome::Refused { error } = outcome else {
            panic!("admitted into a full pool: {outcome:?}");
        };
        assert_eq!(error.code, TX_BUSY);
        let data = error.data.as_ref().unwrap();
        assert_eq!(data["name"], "mempool_full");
        // Nothing has committed yet: the longest wait.
        assert_eq!(data["retry_after_ms"], 10_000);
        assert_eq!(
            error.message,
            "the mempool is full (1 transactions); retry in 10.0 s"
        );
    }
    let single = client.tx_submit(hex_of(&second)).await.unwrap_err();
    assert_eq!(
        code_and_reason(single),
        (TX_BUSY, Some("mempool_full".into()))
    );
    node.commit_block();
    let admitted = client.tx_submit(hex_of(&second)).await.unwrap();
    assert_eq!(admitted.hash, second.hash());
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_rate_limit_are_refused() {
    let limits = RpcLimits {
        requests_per_second: 3,
        ..RpcLimits::default()
    };
    let (_node, handle) = serve(limits).await;
    let client = http_client(&handle);
    let mut refused = 0;
    for _ in 0..6 {
        if let Err(e) = client.chain_status().await {
            assert_eq!(code_and_reason(e).0, RATE_LIMITED);
            refused += 1;
        }
    }
    assert!(
        refused >= 2,
        "only {refused} of 6 calls refused at 3 per second"
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_named_in_the_error() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let taken = handle.local_addr();
    let err = start_rpc(taken, node, RpcLimits::default())
        .await
        .unwrap_err();
    assert!(matches!(err, RpcServerError::PortInUse { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("port {taken} is in use: ")),
        "{err}"
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openrpc_describes_exactly_the_registered_methods() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let registered: BTreeSet<String> = rpc_module(node)
        .method_names()
        .map(str::to_string)
        .collect();
    let document = http_client(&handle).rpc_discover().await.unwrap();
    let described: BTreeSet<String> = document["methods"]
        .as_array()
        .expect("a method list")
        .iter()
        .map(|m| m["name"].as_str().expect("a name").to_string())
        .collect();
    let missing: Vec<_> = registered.difference(&described).collect();
    let extra: Vec<_> = described.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "registered but not in rpc.discover: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in rpc.discover but not registered: {extra:?}"
    );
    assert_eq!(
        openrpc::method_names().count(),
        described.len(),
        "a method described twice"
    );
    for m in document["methods"].as_array().expect("methods") {
        assert!(m["result"]["schema"].is_object(), "{}", m["name"]);
        assert_eq!(
            m["examples"].as_array().map(Vec::len),
            Some(1),
            "{}",
            m["name"]
        );
    }
    handle.stop().await;
}
