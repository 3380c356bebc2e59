//! The three subscriptions, each resumable without gaps or repeats.
//!
//! Rule: subscribe to the live channel first, then replay from the store what the client has
//! not seen (blocks from a height, history entries after a cursor), then forward live items,
//! skipping any at or before the last one sent. A live channel that lagged, or a block that
//! arrives ahead of the next expected height, is filled in from the store, so a slow client
//! still sees every item once and in order.

use std::sync::Arc;

use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::{PendingSubscriptionSink, SubscriptionSink};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use vellum_protocol::rpc::{AccountEvent, BlockId, TxInfo};
use vellum_protocol::{Address, Hash};

use super::api::backend_error;
use super::backend::{BackendError, RpcBackend};

/// Blocks read from the store per blocking call while catching up.
const REPLAY_CHUNK: u32 = 64;

/// Sends one item; `Err` when the client has gone.
async fn send<T: Serialize>(sink: &SubscriptionSink, item: &T) -> SubscriptionResult {
    let raw = serde_json::value::to_raw_value(item)?;
    sink.send(raw).await?;
    Ok(())
}

async fn read<T, F>(backend: &Arc<dyn RpcBackend>, f: F) -> Result<T, BackendError>
where
    T: Send + 'static,
    F: FnOnce(&dyn RpcBackend) -> Result<T, BackendError> + Send + 'static,
{
    let backend = backend.clone();
    tokio::task::spawn_blocking(move || f(backend.as_ref()))
        .await
        .map_err(|e| BackendError::Unavailable(format!("a store read failed: {e}")))?
}

/// Sends the stored blocks from `*next` up to (not including) `until`, or until the store has
/// no more; advances `*next` past each block sent.
async fn catch_up_blocks(
    backend: &Arc<dyn RpcBackend>,
    sink: &SubscriptionSink,
    next: &mut u64,
    until: Option<u64>,
) -> SubscriptionResult {
    loop {
        let from = *next;
        let to = until.map_or(from + u64::from(REPLAY_CHUNK), |u| {
            u.min(from + u64::from(REPLAY_CHUNK))
        });
        if from >= to {
            return Ok(());
        }
        let blocks = read(backend, move |b| {
            let mut out = Vec::new();
            for h in from..to {
                match b.block(BlockId::Height(h), false)? {
                    Some(block) => out.push(block),
                    None => break,
                }
            }
            Ok(out)
        })
        .await?;
        let complete = blocks.len() as u64 == to - from;
        for block in &blocks {
            send(sink, block).await?;
            *next = block.height + 1;
        }
        if !complete {
            return Ok(());
        }
    }
}

/// `chain_subscribeBlocks`: every block from `from_height` (or the next one) on.
pub(super) async fn blocks(
    backend: Arc<dyn RpcBackend>,
    pending: PendingSubscriptionSink,
    from_height: Option<u64>,
) -> SubscriptionResult {
    let mut live = backend.block_events();
    let mut next = match from_height {
        Some(h) => h.max(1),
        None => match read(&backend, |b| b.status()).await {
            Ok(status) => status.height + 1,
            Err(e) => {
                pending.reject(backend_error(e)).await;
                return Ok(());
            }
        },
    };
    let sink = pending.accept().await?;
    catch_up_blocks(&backend, &sink, &mut next, None).await?;
    loop {
        let event = tokio::select! {
            _ = sink.closed() => return Ok(()),
            event = live.recv() => event,
        };
        match event {
            Ok(block) if block.height < next => {}
            Ok(block) => {
                catch_up_blocks(&backend, &sink, &mut next, Some(block.height)).await?;
                if block.height >= next {
                    send(&sink, &block).await?;
                    next = block.height + 1;
                }
            }
            Err(RecvError::Lagged(_)) => catch_up_blocks(&backend, &sink, &mut next, None).await?,
            Err(RecvError::Closed) => return Ok(()),
        }
    }
}

/// Where an account subscription stands: the last entry sent.
struct AccountPosition {
    cursor: Option<String>,
    at: Option<(u64, u32)>,
}

/// Sends the stored entries after the last one sent.
async fn catch_up_account(
    backend: &Arc<dyn RpcBackend>,
    sink: &SubscriptionSink,
    address: Address,
    pos: &mut AccountPosition,
) -> SubscriptionResult {
    loop {
        let after = pos.cursor.clone();
        let entries = read(backend, move |b| {
            b.history_after(&address, after.as_deref(), REPLAY_CHUNK)
        })
        .await?;
        let more = entries.len() as u32 == REPLAY_CHUNK;
        for entry in entries {
            if pos.at.is_some_and(|at| entry.position() <= at) {
                continue;
            }
            pos.at = Some(entry.position());
            pos.cursor = Some(entry.cursor.clone());
            let event = AccountEvent { address, entry };
            send(sink, &event).await?;
        }
        if !more {
            return Ok(());
        }
    }
}

/// `account_subscribe`: the account's history entries after `cursor` (or from now) on.
pub(super) async fn account(
    backend: Arc<dyn RpcBackend>,
    pending: PendingSubscriptionSink,
    address: Address,
    cursor: Option<String>,
) -> SubscriptionResult {
    let mut live = backend.account_events();
    let start = match cursor {
        Some(c) => Ok(AccountPosition {
            cursor: Some(c),
            at: None,
        }),
        None => read(&backend, move |b| b.history(&address, None, 1))
            .await
            .map(|page| AccountPosition {
                at: page.entries.first().map(|e| e.position()),
                cursor: page.entries.into_iter().next().map(|e| e.cursor),
            }),
    };
    let mut pos = match start {
        Ok(pos) => pos,
        Err(e) => {
            pending.reject(backend_error(e)).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    catch_up_account(&backend, &sink, address, &mut pos).await?;
    loop {
        let event = tokio::select! {
            _ = sink.closed() => return Ok(()),
            event = live.recv() => event,
        };
        match event {
            Ok(event) if event.address != address => {}
            Ok(event) if pos.at.is_some_and(|at| event.entry.position() <= at) => {}
            Ok(event) => {
                pos.at = Some(event.entry.position());
                pos.cursor = Some(event.entry.cursor.clone());
                send(&sink, &event).await?;
            }
            Err(RecvError::Lagged(_)) => {
                catch_up_account(&backend, &sink, address, &mut pos).await?;
            }
            Err(RecvError::Closed) => return Ok(()),
        }
    }
}

/// `tx_subscribeStatus`: the status now, then each change until it is final.
pub(super) async fn tx_status(
    backend: Arc<dyn RpcBackend>,
    pending: PendingSubscriptionSink,
    hash: Hash,
) -> SubscriptionResult {
    let mut live = backend.tx_events();
    let now = match read(&backend, move |b| b.tx_status(&hash)).await {
        Ok(now) => now,
        Err(e) => {
            pending.reject(backend_error(e)).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    let mut last: TxInfo = now;
    send(&sink, &last).await?;
    while !last.status.is_final() {
        let event = tokio::select! {
            _ = sink.closed() => return Ok(()),
            event = live.recv() => event,
        };
        let info = match event {
            Ok(info) if info.hash != hash => continue,
            Ok(info) => info,
            Err(RecvError::Lagged(_)) => read(&backend, move |b| b.tx_status(&hash)).await?,
            Err(RecvError::Closed) => return Ok(()),
        };
        if info.status != last.status {
            send(&sink, &info).await?;
            last = info;
        }
    }
    Ok(())
}
