//! Subscriptions over WebSocket: each resumes from its cursor with no gap and no repeat.

use std::time::Duration;

use jsonrpsee::core::client::Subscription;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use serde::de::DeserializeOwned;
use vellum_protocol::rpc::{TxStatus, VellumApiClient};

use super::fake_node::{addr, transfer};
use super::{RpcLimits, RpcServerHandle, hex_of, serve};

async fn ws_client(handle: &RpcServerHandle) -> WsClient {
    WsClientBuilder::default()
        .build(format!("ws://{}", handle.local_addr()))
        .await
        .expect("a WebSocket client")
}

async fn next<T: DeserializeOwned + std::fmt::Debug>(sub: &mut Subscription<T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("an item within 5 s")
        .expect("the subscription is open")
        .expect("a well-formed item")
}

async fn nothing_more<T: DeserializeOwned + std::fmt::Debug>(sub: &mut Subscription<T>) {
    let extra = tokio::time::timeout(Duration::from_millis(200), sub.next()).await;
    assert!(extra.is_err(), "an unexpected item: {extra:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_subscription_resumes_from_a_height_without_gaps_or_repeats() {
    let (node, handle) = serve(RpcLimits::default()).await;
    for _ in 0..3 {
        node.commit_block();
    }
    let client = ws_client(&handle).await;
    let mut sub = client.chain_subscribe_blocks(None).await.unwrap();
    node.commit_block();
    assert_eq!(
        next(&mut sub).await.height,
        4,
        "from the next block when no height"
    );
    drop(sub);
    drop(client);

    // The client went away after block 4; blocks 5 and 6 commit while it is gone.
    node.commit_block();
    node.commit_block();
    let client = ws_client(&handle).await;
    let mut sub = client.chain_subscribe_blocks(Some(5)).await.unwrap();
    node.commit_block();
    let heights = [
        next(&mut sub).await,
        next(&mut sub).await,
        next(&mut sub).await,
    ]
    .map(|b| b.height);
    assert_eq!(heights, [5, 6, 7]);
    nothing_more(&mut sub).await;
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_subscription_resumes_after_a_cursor() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let client = ws_client(&handle).await;
    let bob = addr(&node.bob);
    let mut sub = client.account_subscribe(bob, None).await.unwrap();
    client
        .tx_submit(hex_of(&transfer(&node.alice, &node.bob, 10, 0)))
        .await
        .unwrap();
    node.commit_block();
    let first = next(&mut sub).await;
    assert_eq!((first.address, first.entry.height), (bob, 1));
    drop(sub);

    // Two more transfers to bob while nobody listens, then one after resuming.
    for nonce in 1..3 {
        client
            .tx_submit(hex_of(&transfer(&node.alice, &node.bob, 10, nonce)))
            .await
            .unwrap();
        node.commit_block();
    }
    let mut sub = client
        .account_subscribe(bob, Some(first.entry.cursor))
        .await
        .unwrap();
    client
        .tx_submit(hex_of(&transfer(&node.alice, &node.bob, 10, 3)))
        .await
        .unwrap();
    node.commit_block();
    let heights = [
        next(&mut sub).await,
        next(&mut sub).await,
        next(&mut sub).await,
    ]
    .map(|e| e.entry.height);
    assert_eq!(heights, [2, 3, 4]);
    nothing_more(&mut sub).await;
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_subscription_sends_the_current_status_then_the_final_one() {
    let (node, handle) = serve(RpcLimits::default()).await;
    let client = ws_client(&handle).await;
    let tx = transfer(&node.alice, &node.bob, 10, 0);
    let mut unknown = client.tx_subscribe_status(tx.hash()).await.unwrap();
    assert_eq!(next(&mut unknown).await.status, TxStatus::Unknown);

    client.tx_submit(hex_of(&tx)).await.unwrap();
    let mut sub = client.tx_subscribe_status(tx.hash()).await.unwrap();
    assert_eq!(next(&mut sub).await.status, TxStatus::Pending);
    node.commit_block();
    let last = next(&mut sub).await;
    assert!(matches!(
        last.status,
        TxStatus::Committed {
            height: 1,
            index: 0,
            ..
        }
    ));
    assert_eq!(next(&mut unknown).await.status, TxStatus::Pending);
    assert!(matches!(
        next(&mut unknown).await.status,
        TxStatus::Committed { .. }
    ));
    handle.stop().await;
}
