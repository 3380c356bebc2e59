//! Waiting until a submitted transaction is final: committed, rejected or expired.
//!
//! The wallet follows the `tx_subscribeStatus` WebSocket subscription, whose first item is the
//! current status. If the WebSocket cannot be opened or closes early, it polls `tx_get` over
//! HTTP instead. A node that says `unknown` (it restarted and lost its pool) is given the same
//! signed bytes again, which is safe: the same transaction is never executed twice; if its
//! pool is full, again after each wait it asks for, until the deadline. A wait
//! that times out has learnt nothing, so it is reported as "cannot reach", never as a failure.

use std::time::Duration;

use tokio::time::{Instant, sleep_until, timeout_at};
use vellum_protocol::rpc::{TxInfo, TxStatus, VellumApiClient};

use crate::exit::WalletError;
use crate::node::{Node, asked_wait, is_transport, wait_as_asked};
use crate::outbox::OutboxEntry;
use crate::output::note;

const POLL_EVERY: Duration = Duration::from_millis(250);

/// Waits until `entry`'s transaction is final or `deadline` passes.
pub async fn wait_final(
    node: &Node,
    entry: &OutboxEntry,
    deadline: Instant,
) -> Result<TxInfo, WalletError> {
    match follow_subscription(node, entry, deadline).await {
        Ok(Some(info)) => return Ok(info),
        Ok(None) => note("the status subscription ended before a final status; polling tx_get"),
        Err(e) if is_transport(&e) => {
            note(&format!(
                "the WebSocket subscription is unavailable ({e}); polling tx_get instead"
            ));
        }
        Err(e) => return Err(e),
    }
    poll(node, entry, deadline).await
}

/// `Ok(None)` when the subscription ended before a final status.
async fn follow_subscription(
    node: &Node,
    entry: &OutboxEntry,
    deadline: Instant,
) -> Result<Option<TxInfo>, WalletError> {
    let ws = timeout_at(deadline, node.ws())
        .await
        .map_err(|_| timed_out(entry))??;
    let mut sub = timeout_at(deadline, ws.tx_subscribe_status(entry.hash))
        .await
        .map_err(|_| timed_out(entry))?
        .map_err(|e| node.error(e))?;
    loop {
        match timeout_at(deadline, sub.next()).await {
            Err(_) => return Err(timed_out(entry)),
            Ok(None) | Ok(Some(Err(_))) => return Ok(None),
            Ok(Some(Ok(info))) => {
                if info.status.is_final() {
                    return Ok(Some(info));
                }
                if info.status == TxStatus::Unknown {
                    resubmit(node, entry, deadline).await?;
                }
            }
        }
    }
}

async fn poll(node: &Node, entry: &OutboxEntry, deadline: Instant) -> Result<TxInfo, WalletError> {
    let mut last_error = None;
    while Instant::now() < deadline {
        match node.api().tx_get(entry.hash).await {
            Ok(info) if info.status.is_final() => return Ok(info),
            Ok(info) if info.status == TxStatus::Unknown => resubmit(node, entry, deadline).await?,
            Ok(_) => {}
            // A node that restarts is waited for until the deadline.
            Err(e) => last_error = Some(node.error(e)),
        }
        sleep_until((Instant::now() + POLL_EVERY).min(deadline)).await;
    }
    Err(match last_error {
        Some(e) if is_transport(&e) => WalletError::Unreachable(format!(
            "{e}; transaction {} has no final status yet: check it later with \
             `vellum-wallet tx {}`",
            entry.hash, entry.hash
        )),
        _ => timed_out(entry),
    })
}

/// Submits the same signed bytes again, after each wait a full mempool asks for that ends
/// before `deadline`. A refusal ends the wait; a transport error does not.
async fn resubmit(node: &Node, entry: &OutboxEntry, deadline: Instant) -> Result<(), WalletError> {
    loop {
        match node.api().tx_submit(entry.tx_hex.clone()).await {
            Ok(_) => return Ok(()),
            Err(e) => match node.error(e) {
                e if is_transport(&e) => return Ok(()),
                refusal => match asked_wait(&refusal) {
                    Some(wait) if Instant::now() + wait < deadline => wait_as_asked(wait).await,
                    _ => return Err(refusal),
                },
            },
        }
    }
}

fn timed_out(entry: &OutboxEntry) -> WalletError {
    WalletError::Unreachable(format!(
        "transaction {} is not final yet and the wait is over; it may still commit before it \
         expires: check it with `vellum-wallet tx {}`",
        entry.hash, entry.hash
    ))
}
