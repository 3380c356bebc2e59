//! Prometheus metrics and the health endpoints, served on the metrics port.
//!
//! `GET /metrics` is the Prometheus text format; `GET /health` answers 200 while the process
//! runs (liveness); `GET /ready` answers 200 only when the node is synced and has enough peers
//! (readiness), else 503 with the reason. The server is a few lines of HTTP/1.1 over tokio: it
//! only ever answers these three GETs.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Upper bounds (milliseconds) of the commit latency histogram's buckets.
const LATENCY_BUCKETS_MS: [u64; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000];

/// The node's counters and gauges, updated by the driver and the network.
#[derive(Debug, Default)]
pub struct Metrics {
    pub height: AtomicU64,
    pub round: AtomicU64,
    pub txs_committed: AtomicU64,
    pub mempool_txs: AtomicU64,
    pub mempool_bytes: AtomicU64,
    pub peers: AtomicU64,
    pub refused_peers: AtomicU64,
    /// 1 while this node forwards gossip (some node lacks a connection), else 0.
    pub gossip_forwarding: AtomicU64,
    /// Heights the best known peer is ahead of this node.
    pub sync_lag: AtomicU64,
    /// Peers needed for readiness.
    pub min_peers: AtomicU64,
    /// Transaction signatures verified, and answered from the verified-signature cache.
    pub signatures_verified: AtomicU64,
    pub signature_cache_hits: AtomicU64,
    /// Calls to the batch verifier: verified / batches is the mean batch size.
    pub signature_batches: AtomicU64,
    /// Compact proposals whose block was fetched from a peer (the pool lacked transactions).
    pub proposal_blocks_fetched: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS_MS.len()],
    latency_count: AtomicU64,
    latency_sum_ms: AtomicU64,
}

impl Metrics {
    pub fn new(min_peers: u64) -> Arc<Metrics> {
        let m = Metrics::default();
        m.min_peers.store(min_peers, Ordering::Relaxed);
        Arc::new(m)
    }

    /// Records one commit that took `latency_ms` from the start of its height.
    pub fn observe_commit(&self, latency_ms: u64, txs: u64) {
        for (i, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
            if latency_ms <= *bound {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ms.fetch_add(latency_ms, Ordering::Relaxed);
        self.txs_committed.fetch_add(txs, Ordering::Relaxed);
    }

    /// Why the node is not ready, or `None` when it is.
    pub fn not_ready(&self) -> Option<String> {
        let lag = self.sync_lag.load(Ordering::Relaxed);
        if lag > 1 {
            return Some(format!("syncing: {lag} heights behind"));
        }
        let (peers, min) = (
            self.peers.load(Ordering::Relaxed),
            self.min_peers.load(Ordering::Relaxed),
        );
        if peers < min {
            return Some(format!("{peers} peers connected, {min} needed"));
        }
        None
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: &AtomicU64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
        };
        gauge(
            &mut out,
            "vellum_height",
            "Height of the latest committed block.",
            "gauge",
            &self.height,
        );
        gauge(
            &mut out,
            "vellum_round",
            "Consensus round at the current height.",
            "gauge",
            &self.round,
        );
        gauge(
            &mut out,
            "vellum_txs_committed_total",
            "Transactions committed.",
            "counter",
            &self.txs_committed,
        );
        gauge(
            &mut out,
            "vellum_mempool_txs",
            "Transactions waiting in the mempool.",
            "gauge",
            &self.mempool_txs,
        );
        gauge(
            &mut out,
            "vellum_mempool_bytes",
            "Bytes of transactions in the mempool.",
            "gauge",
            &self.mempool_bytes,
        );
        gauge(
            &mut out,
            "vellum_peers",
            "Connected peers.",
            "gauge",
            &self.peers,
        );
        gauge(
            &mut out,
            "vellum_refused_peers_total",
            "Connections refused: not a validator or observer.",
            "counter",
            &self.refused_peers,
        );
        gauge(
            &mut out,
            "vellum_gossip_forwarding",
            "1 while this node forwards the gossip it receives: it, or a peer, lacks a connection to an allowed peer.",
            "gauge",
            &self.gossip_forwarding,
        );
        gauge(
            &mut out,
            "vellum_sync_lag",
            "Heights behind the best known peer.",
            "gauge",
            &self.sync_lag,
        );
        gauge(
            &mut out,
            "vellum_signatures_verified_total",
            "Transaction signatures verified (each transaction once when nothing is done twice).",
            "counter",
            &self.signatures_verified,
        );
        gauge(
            &mut out,
            "vellum_signature_cache_hits_total",
            "Transactions in blocks whose signature was already verified at admission.",
            "counter",
            &self.signature_cache_hits,
        );
        gauge(
            &mut out,
            "vellum_signature_batches_total",
            "Batch verifications of transaction signatures (verified / batches: the mean batch).",
            "counter",
            &self.signature_batches,
        );
        gauge(
            &mut out,
            "vellum_proposal_blocks_fetched_total",
            "Compact proposals whose block was fetched from a peer: the pool lacked some of its transactions.",
            "counter",
            &self.proposal_blocks_fetched,
        );
        let name = "vellum_commit_latency_ms";
        let _ = writeln!(
            out,
            "# HELP {name} Time from the start of a height to its commit."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (i, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
            let v = self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {v}");
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.latency_sum_ms.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "{name}_count {count}");
        out
    }
}

/// Binds `addr` and serves the endpoints until the task is dropped.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let n = match conn.read(&mut buf).await {
                    Ok(n) => n,
                    Err(_) => return,
                };
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (status, body) = route(path, &metrics);
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(local)
}

fn route(path: &str, metrics: &Metrics) -> (&'static str, String) {
    match path {
        "/metrics" => ("200 OK", metrics.render()),
        "/health" => ("200 OK", "ok\n".into()),
        "/ready" => match metrics.not_ready() {
            None => ("200 OK", "ready\n".into()),
            Some(why) => ("503 Service Unavailable", format!("not ready: {why}\n")),
        },
        _ => (
            "404 Not Found",
            "the endpoints are /metrics, /health and /ready\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_every_metric_and_a_cumulative_histogram() {
        let m = Metrics::new(2);
        m.observe_commit(7, 3);
        m.observe_commit(300, 2);
        let text = m.render();
        for name in [
            "vellum_height",
            "vellum_round",
            "vellum_peers",
            "vellum_refused_peers_total",
            "vellum_gossip_forwarding",
            "vellum_mempool_txs",
            "vellum_mempool_bytes",
            "vellum_sync_lag",
            "vellum_proposal_blocks_fetched_total",
        ] {
            assert!(text.contains(&format!("\n{name} ")), "{name} missing");
        }
        assert!(text.contains("vellum_txs_committed_total 5"));
        assert!(text.contains("vellum_commit_latency_ms_bucket{le=\"10\"} 1"));
        assert!(text.contains("vellum_commit_latency_ms_bucket{le=\"500\"} 2"));
        assert!(text.contains("vellum_commit_latency_ms_count 2"));
    }

    #[test]
    fn readiness_needs_peers_and_sync() {
        let m = Metrics::new(2);
        assert!(m.not_ready().unwrap().contains("0 peers"));
        m.peers.store(3, Ordering::Relaxed);
        assert_eq!(m.not_ready(), None);
        m.sync_lag.store(40, Ordering::Relaxed);
        assert!(m.not_ready().unwrap().contains("syncing"));
    }

    #[tokio::test]
    async fn the_endpoints_answer_over_http() {
        let m = Metrics::new(0);
        let addr = serve("127.0.0.1:0".parse().unwrap(), m).await.unwrap();
        for (path, want) in [
            ("/health", "200 OK"),
            ("/ready", "200 OK"),
            ("/metrics", "vellum_height"),
            ("/x", "404"),
        ] {
            let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
            conn.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut resp = String::new();
            conn.read_to_string(&mut resp).await.unwrap();
            assert!(resp.contains(want), "{path}: {resp}");
        }
    }
}
