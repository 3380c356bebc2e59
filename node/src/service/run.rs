//! The node's main task: it owns the driver and carries out its effects.
//!
//! One task owns the [`Driver`] (and so the core, the mempool and the committed state) and
//! serializes everything that touches it: network events, RPC commands, timers, sync results
//! and a 100 ms tick. Effects are carried out in the order the driver returned them; the
//! driver has already made the safety state durable before it returned a broadcast. Committed
//! blocks are stored and announced to RPC subscribers by the driver's block writer, on its own
//! thread, once durable.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use tokio::sync::{broadcast, mpsc};
use vellum_consensus::{CoreConfig, TimeoutConfig};

use vellum_protocol::{Block, CommitCertificate, Hash, LedgerState, TxHashes};

use super::admission;
use super::announce;
use super::backend::NodeBackend;
use super::effects::Host;
use super::intake;
use super::proposed::ProposedBlocks;
use super::shared::{Evicted, Shared};
use crate::driver::{BlockWriter, Driver, DriverConfig, Effect};
use crate::home::NodeHome;
use crate::mempool::{Mempool, MempoolConfig};
use crate::metrics::{self, Metrics};
use crate::network::{BlockSource, Network, NetworkConfig, NetworkHandle};
use crate::rpc::server::{RpcLimits, start_rpc};
use crate::store::{ChainIdentity, Store};

/// A sync answer of at least this many blocks has the next request sent before it is applied
/// (at the tip an answer holds one or two blocks; more mean the node is catching up).
const PREFETCH_AFTER: usize = 4;

/// Milliseconds since the Unix epoch: the node's clock, which the pure crates never read.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Serves sync requests from the store, and a block asked for by hash also from this node's
/// recent compact proposals.
struct StoreBlocks(Arc<dyn Store>, Arc<ProposedBlocks>);

impl BlockSource for StoreBlocks {
    fn blocks_from(&self, from_height: u64, max: u32) -> Vec<(Block, CommitCertificate)> {
        let mut out = Vec::new();
        for h in from_height..from_height.saturating_add(u64::from(max)) {
            match (self.0.block(h), self.0.certificate(h)) {
                (Ok(Some(b)), Ok(Some(c))) => out.push((b, c)),
                _ => break,
            }
        }
        out
    }
    fn block(&self, hash: &Hash) -> Option<Block> {
        self.1
            .get(hash)
            .or_else(|| self.0.block_by_hash(hash).ok().flatten())
    }
}

fn open_store(home: &NodeHome) -> Result<Arc<dyn Store>> {
    #[cfg(feature = "rocksdb")]
    {
        let store = crate::store::RocksStore::open(&home.data_dir).with_context(|| {
            format!("cannot open the data directory {}", home.data_dir.display())
        })?;
        Ok(Arc::new(store))
    }
    #[cfg(not(feature = "rocksdb"))]
    {
        let _ = home;
        Ok(Arc::new(crate::store::MemoryStore::new()))
    }
}

/// Runs the node until `shutdown` completes.
pub async fn run(home: NodeHome, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
    let genesis = &home.genesis;
    let genesis_state = LedgerState::from_genesis(genesis)
        .map_err(|f| anyhow::anyhow!("the genesis does not make a ledger: {f:?}"))?;
    let genesis_hash = genesis
        .hash()
        .map_err(|f| anyhow::anyhow!("the genesis has faults: {f:?}"))?;
    let chain = ChainIdentity {
        chain_id: genesis.chain_id.clone(),
        genesis_hash,
    };
    let store = open_store(&home)?;
    store.init_genesis(&chain, &genesis_state)?;

    let c = &home.config;
    let mempool = Mempool::new(MempoolConfig {
        max_txs: c.mempool.max_txs,
        max_bytes: c.mempool.max_bytes,
        max_per_account: c.mempool.max_per_account,
        nonce_window: c.mempool.max_per_account as u64,
        ..MempoolConfig::default()
    });
    let p = &genesis.consensus;
    let timeouts = TimeoutConfig {
        propose_ms: p.timeout_propose_ms,
        prevote_ms: p.timeout_prevote_ms,
        precommit_ms: p.timeout_precommit_ms,
        delta_ms: p.timeout_delta_ms,
        max_ms: p.timeout_max_ms,
    };
    let config = DriverConfig {
        core: CoreConfig::new(genesis.chain_id.clone(), timeouts),
        max_block_txs: p.max_block_txs,
        heartbeat_ms: c.consensus.heartbeat_ms,
    };
    let driver = Driver::open(
        config,
        store.clone(),
        home.consensus_key.clone(),
        mempool,
        now_ms(),
    )?;
    tracing::info!(height = driver.state().height(), chain = %genesis.chain_id, "store opened");

    let validators = Arc::new(RwLock::new(driver.state().validators().clone()));
    let proposed = Arc::new(ProposedBlocks::default());
    let allowed = crate::network::AllowedPeers::default();
    {
        let mut set = allowed.write().expect("not poisoned");
        for v in &genesis.validators {
            if let Some(id) = v.node_id.as_deref().and_then(|s| s.parse().ok()) {
                set.insert(id);
            }
        }
        for o in &c.p2p.observers {
            set.insert(
                o.parse()
                    .with_context(|| format!("observer {o:?} is not a peer id"))?,
            );
        }
    }
    let net_config = NetworkConfig {
        keypair: home.node_key.clone(),
        listen: c
            .p2p
            .listen
            .parse()
            .context("p2p.listen is not a multiaddr")?,
        peers: c
            .p2p
            .peers
            .iter()
            .map(|p| {
                p.parse()
                    .with_context(|| format!("peer {p:?} is not a multiaddr"))
            })
            .collect::<Result<_>>()?,
        allowed,
        chain_id: genesis.chain_id.clone(),
        validators: validators.clone(),
        block_source: Arc::new(StoreBlocks(store.clone(), proposed.clone())),
    };
    let (net, mut net_events) = Network::start(net_config).await?;

    let (commands, mut command_rx) = mpsc::channel(1024);
    let shared = Arc::new(Shared {
        store: store.clone(),
        chain_id: genesis.chain_id.clone(),
        genesis_hash,
        decimals: genesis.decimals,
        state: RwLock::new(driver.state().clone()),
        evicted: std::sync::Mutex::new(Evicted::default()),
        commands,
        blocks: broadcast::channel(4096).0,
        accounts: broadcast::channel(16_384).0,
        txs: broadcast::channel(16_384).0,
        network: net.stats(),
        sync_lag: Default::default(),
        full: std::sync::Mutex::new(None),
    });

    let min_peers = (genesis.validators.len() as u64 * 2)
        .div_ceil(3)
        .saturating_sub(1);
    let metrics = Metrics::new(min_peers);
    let metrics_addr = metrics::serve(c.metrics.listen, metrics.clone())
        .await
        .with_context(|| format!("cannot serve metrics on {}", c.metrics.listen))?;
    let limits = RpcLimits {
        max_request_bytes: c.rpc.max_request_bytes,
        max_connections: c.rpc.max_connections,
        requests_per_second: c.rpc.requests_per_second,
        cors_origins: c.rpc.cors_origins.clone(),
        ..RpcLimits::default()
    };
    let rpc = start_rpc(
        c.rpc.listen,
        Arc::new(NodeBackend::new(shared.clone())),
        limits,
    )
    .await?;
    tracing::info!(rpc = %rpc.local_addr(), metrics = %metrics_addr, peer_id = %net.local_peer_id(), "node started");
    if vellum_protocol::crypto::batch_decompression_in_use() {
        tracing::info!("signature batches decompress their points together (AVX-512 IFMA)");
    } else {
        tracing::info!(
            "signature batches decompress their points one at a time: this CPU lacks AVX-512 \
             IFMA, so each signature costs more CPU than on the machine of docs/PERFORMANCE.md"
        );
    }

    let announcer = Arc::clone(&shared);
    let writer = BlockWriter::spawn(
        store.clone(),
        driver.state().height(),
        Box::new(move |block| announce::committed(&announcer, block)),
    );
    let mut driver = driver.with_writer(writer);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let (sync_tx, mut sync_rx) = mpsc::channel::<Vec<(Block, CommitCertificate)>>(4);
    let (fetched_tx, mut fetched_rx) = mpsc::channel::<(Block, TxHashes)>(4);
    let mut host = Host::new(
        net.clone(),
        shared.clone(),
        metrics.clone(),
        validators,
        sync_tx,
    )
    .with_proposals(proposed, fetched_tx);
    // Whether the last sync answer said this node is far behind (see `PREFETCH_AFTER`).
    let mut catching_up = false;
    // When this node last asked its peers for blocks because it had committed nothing.
    let mut last_idle_sync_ms = 0u64;
    // Whether the mempool was full after the last turn (what `shared.full` says).
    let mut pool_full = false;
    // Transactions taken and not admitted yet (`admission::Gathered`).
    let mut gathered = admission::Gathered::default();
    tokio::pin!(shutdown);
    loop {
        let mut effects = Vec::new();
        let next_timer = [host.next_timeout_ms(), host.wake_at, gathered.deadline_ms()]
            .into_iter()
            .flatten()
            .min();
        let wait = next_timer.map_or(Duration::from_secs(3600), |at| {
            Duration::from_millis(at.saturating_sub(now_ms()))
        });
        // Either queue wakes the task; both are then drained, consensus messages first, and
        // the transactions of both admitted in one call (one signature batch).
        let (mut first_event, mut first_command) = (None, None);
        tokio::select! {
            _ = &mut shutdown => break,
            Some(event) = net_events.recv() => first_event = Some(event),
            Some(command) = command_rx.recv() => first_command = Some(command),
            Some(blocks) = sync_rx.recv() => {
                host.sync_answered();
                // Several blocks at once: this node is far behind. Ask for the next ones now,
                // so they travel while these are verified and applied; until it is level, the
                // transactions peers gossip are left to them (they are for a chain this node
                // has not reached: most of them are in the blocks it is fetching).
                catching_up = blocks.len() >= PREFETCH_AFTER;
                if catching_up
                    && let Some((last, _)) = blocks.last()
                {
                    host.prefetch(last.height() + 1);
                }
                driver.on_synced(blocks, now_ms(), &mut effects);
            }
            Some((block, tx_hashes)) = fetched_rx.recv() => {
                driver.on_fetched_block(block, tx_hashes, now_ms(), &mut effects);
            }
            _ = tokio::time::sleep(wait), if next_timer.is_some() => {
                host.fire_due(&mut driver, now_ms(), &mut effects);
            }
            _ = tick.tick() => {
                let now = now_ms();
                driver.on_tick(now, &mut effects);
                // Without commits for a while, ask the peers whether they have more: a node
                // that fell behind just before the chain went idle hears no message that would
                // tell it so (an empty answer when it is level costs one small request).
                if now.saturating_sub(driver.last_commit_ms()) >= IDLE_SYNC_MS
                    && now.saturating_sub(last_idle_sync_ms) >= IDLE_SYNC_MS
                {
                    last_idle_sync_ms = now;
                    effects.push(Effect::Sync { from_height: driver.state().height() + 1 });
                }
                publish_gauges(&metrics, &driver, &net, &shared);
            }
        }
        if first_event.is_some() || first_command.is_some() {
            let gossiped = intake::take_events(
                first_event,
                &mut net_events,
                catching_up,
                gathered.len(),
                &mut driver,
                now_ms,
                &mut effects,
            );
            admission::take_commands(
                first_command,
                &mut command_rx,
                gossiped,
                &mut gathered,
                &mut driver,
                now_ms(),
            );
        }
        let now = now_ms();
        // A compact proposal that the pool cannot fill may need what was gathered: admit it
        // now, then fill what waited (or fetch its block).
        let awaited = driver.awaits_transactions();
        if gathered.is_due(now, admission::under_load(&driver)) || (awaited && !gathered.is_empty())
        {
            let taken = std::mem::take(&mut gathered);
            admission::admit(taken, &mut driver, &shared, &net, now, &mut effects).await;
        }
        if awaited {
            driver.fill_waiting(now, !net_events.is_empty(), &mut effects);
        }
        host.carry_out(effects, &driver).await;
        // While the pool is full, each turn publishes its refusal again: its retry time
        // follows the pool and the commit rate.
        let full = driver.mempool().is_full();
        if full || pool_full {
            pool_full = full;
            let refusal = full.then(|| driver.mempool().full_error(now_ms()));
            *shared.full.lock().unwrap_or_else(PoisonError::into_inner) = refusal;
        }
    }
    tracing::info!("shutting down");
    rpc.stop().await;
    Ok(())
}

/// The gauges the tick refreshes: the round, the pool, the signature cache and the peers.
fn publish_gauges(metrics: &Metrics, driver: &Driver, net: &NetworkHandle, shared: &Shared) {
    metrics
        .round
        .store(u64::from(driver.round()), Ordering::Relaxed);
    metrics
        .mempool_txs
        .store(driver.mempool().len() as u64, Ordering::Relaxed);
    metrics
        .mempool_bytes
        .store(driver.mempool().bytes() as u64, Ordering::Relaxed);
    let cache = driver.mempool().signature_cache().stats();
    metrics
        .signatures_verified
        .store(cache.checked, Ordering::Relaxed);
    metrics
        .signature_cache_hits
        .store(cache.hits, Ordering::Relaxed);
    metrics
        .signature_batches
        .store(cache.batches, Ordering::Relaxed);
    let stats = net.stats();
    metrics.peers.store(
        stats.connected.load(Ordering::Relaxed) as u64,
        Ordering::Relaxed,
    );
    metrics.refused_peers.store(
        stats.refused_peers.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    metrics.gossip_forwarding.store(
        u64::from(stats.forwarding.load(Ordering::Relaxed)),
        Ordering::Relaxed,
    );
    metrics
        .sync_lag
        .store(shared.sync_lag.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// How long without a commit before a node asks its peers for newer blocks, and how often.
const IDLE_SYNC_MS: u64 = 1_000;
