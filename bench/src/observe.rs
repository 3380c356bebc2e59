//! Watching the chain: a `chain_subscribeBlocks` subscription over WebSocket that records the
//! instant each block arrives with its height, hash and transaction count, and books its
//! transactions as committed. If the connection drops it subscribes again from the next height
//! (the node replays what was missed), so no block is missed or counted twice.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vellum_protocol::Hash;
use vellum_protocol::rpc::{BlockView, VellumApiClient};

use crate::book::TxBook;

/// One block as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub at: Instant,
    pub height: u64,
    pub hash: Hash,
    pub txs: u32,
    /// The proposer's timestamp.
    pub time_ms: u64,
    /// The round its certificate was made in (0: decided in the first round).
    pub round: u32,
}

/// Reconnections allowed before the observer gives up.
const MAX_RECONNECTS: u32 = 5;

/// A running subscription to one node's blocks.
#[derive(Debug)]
pub struct Observer {
    blocks: Arc<Mutex<Vec<Arrival>>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<()>>,
}

impl Observer {
    /// Subscribes to the blocks of the node at `ws_url` from `from_height` (from the next block
    /// when `None`); returns once the subscription is in place. Each block's transactions are
    /// booked in `book` when given.
    pub async fn start(
        ws_url: String,
        from_height: Option<u64>,
        book: Option<Arc<TxBook>>,
    ) -> Result<Observer> {
        let client = connect(&ws_url).await?;
        let subscription = client
            .chain_subscribe_blocks(from_height)
            .await
            .with_context(|| format!("cannot subscribe to the blocks of {ws_url}"))?;
        let blocks = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = watch::channel(false);
        let watch = Watch {
            url: ws_url,
            client,
            blocks: blocks.clone(),
            book,
            stopped,
        };
        let task = tokio::spawn(watch.run(subscription));
        Ok(Observer { blocks, stop, task })
    }

    /// The blocks seen so far.
    pub fn snapshot(&self) -> Vec<Arrival> {
        self.blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The height of the latest block seen.
    pub fn latest_height(&self) -> Option<u64> {
        let blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        blocks.last().map(|b| b.height)
    }

    /// An error if the subscription has failed for good.
    pub fn check(&self) -> Result<()> {
        if self.task.is_finished() {
            bail!("the block subscription ended early");
        }
        Ok(())
    }

    /// Stops watching; returns every block seen, or why the subscription failed.
    pub async fn finish(self) -> Result<Vec<Arrival>> {
        let _ = self.stop.send(true);
        self.task.await.context("the observer task failed")??;
        Ok(std::mem::take(
            &mut *self.blocks.lock().unwrap_or_else(|e| e.into_inner()),
        ))
    }
}

async fn connect(url: &str) -> Result<WsClient> {
    WsClientBuilder::default()
        .connection_timeout(Duration::from_secs(10))
        .request_timeout(Duration::from_secs(30))
        .max_buffer_capacity_per_subscription(65_536)
        .max_response_size(64 << 20)
        .build(url)
        .await
        .with_context(|| format!("cannot open a WebSocket to {url}"))
}

/// The observer's task.
struct Watch {
    url: String,
    /// Kept open: the subscription lives as long as its client.
    client: WsClient,
    blocks: Arc<Mutex<Vec<Arrival>>>,
    book: Option<Arc<TxBook>>,
    stopped: watch::Receiver<bool>,
}

impl Watch {
    async fn run(
        mut self,
        mut subscription: jsonrpsee::core::client::Subscription<BlockView>,
    ) -> Result<()> {
        let mut reconnects = 0;
        loop {
            tokio::select! {
                item = subscription.next() => match item {
                    Some(Ok(block)) => self.record(block),
                    Some(Err(e)) => bail!("a block from {} did not parse: {e}", self.url),
                    None => {
                        reconnects += 1;
                        if reconnects > MAX_RECONNECTS {
                            bail!("the block subscription to {} dropped {MAX_RECONNECTS} times", self.url);
                        }
                        let next = self.latest().map(|h| h + 1);
                        self.client = connect(&self.url).await?;
                        subscription = self.client.chain_subscribe_blocks(next).await?;
                    }
                },
                _ = self.stopped.changed() => return Ok(()),
            }
        }
    }

    fn latest(&self) -> Option<u64> {
        let blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        blocks.last().map(|b| b.height)
    }

    fn record(&self, block: BlockView) {
        let at = Instant::now();
        if self.latest().is_some_and(|h| block.height <= h) {
            return;
        }
        if let Some(book) = &self.book {
            book.committed(&block.tx_hashes, at, block.height);
        }
        let arrival = Arrival {
            at,
            height: block.height,
            hash: block.hash,
            txs: block.tx_hashes.len() as u32,
            time_ms: block.time_ms,
            round: block.commit.as_ref().map_or(0, |c| c.round),
        };
        self.blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(arrival);
    }
}
