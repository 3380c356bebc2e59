//! Shared by the multi-process tests: a network from `vellum-genesis init` whose `vellum-node`
//! processes are killed when the test ends however it ends, signed transactions, waits with a
//! deadline, and the checks every test repeats (the same block at every height).

#![allow(dead_code)]

pub mod load;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use vellum_genesis::init::{InitOptions, NetworkSummary, init_network};
use vellum_protocol::rpc::{BlockId, TxStatus, VellumApiClient};
use vellum_protocol::{
    Address, Amount, Encode, Hash, Keypair, Operation, SignedTransaction, Transaction,
};

/// Held by each test of the binary from its first line, so that they run one at a time (see
/// the binary's header in `main.rs`); a test that fails releases it too.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits until no other test of this binary runs; the test runs while it holds the guard.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// [`one_at_a_time`] for a test outside a runtime.
pub fn one_at_a_time_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.blocking_lock()
}

/// Kills and reaps the node processes on drop.
pub struct Nodes(pub Vec<Option<Child>>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `vellum-node start --home HOME`, its output (debug log) appended to `log`.
pub fn start(home: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log");
    Command::new(env!("CARGO_BIN_EXE_vellum-node"))
        .args(["start", "--home"])
        .arg(home)
        .env("RUST_LOG", "info,vellum_node=debug")
        // The node decides about huge pages itself (`huge_pages`), whatever the caller's
        // environment says.
        .env_remove(vellum_node::huge_pages::VARIABLE)
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("vellum-node starts")
}

pub fn client(url: &str) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(5))
        .build(url)
        .unwrap()
}

/// Polls `f` every 100 ms until it gives a value; panics naming `what` after `deadline`.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    deadline: Instant,
    mut f: impl FnMut() -> F,
) -> T {
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A transaction of `op` from `key`, expiring in a minute.
pub fn signed(chain_id: &str, key: &Keypair, nonce: u64, op: Operation) -> SignedTransaction {
    Transaction {
        chain_id: chain_id.into(),
        sender: key.public(),
        nonce,
        expiry_ms: now_ms() + 60_000,
        op,
    }
    .sign(key)
}

/// The hex of a signed transfer of 100 minor units, memo `n{nonce}`.
pub fn transfer(chain_id: &str, key: &Keypair, nonce: u64, to: Address) -> String {
    let op = Operation::Transfer {
        to,
        amount: Amount(100),
        memo: format!("n{nonce}"),
    };
    hex::encode(signed(chain_id, key, nonce, op).to_bytes())
}

/// The height that committed `hash`, per this node, once it has.
pub async fn committed(c: &HttpClient, hash: Hash) -> Option<u64> {
    match c.tx_get(hash).await.ok()?.status {
        TxStatus::Committed { height, .. } => Some(height),
        _ => None,
    }
}

/// The node's committed height, when its RPC answers.
pub async fn height(c: &HttpClient) -> Option<u64> {
    c.chain_status().await.ok().map(|s| s.height)
}

/// A network from `vellum-genesis init` in a temporary directory, and its node processes.
pub struct Localnet {
    pub net: NetworkSummary,
    pub nodes: Nodes,
    pub clients: Vec<HttpClient>,
    // Last: removed after the processes are killed.
    pub dir: tempfile::TempDir,
}

impl Drop for Localnet {
    /// A failing test keeps the network directory (homes and logs) and says where it is.
    fn drop(&mut self) {
        if std::thread::panicking() {
            for i in 0..self.net.nodes.len() {
                let m = |name| self.metric(i, name).map_or("-".into(), |v| v.to_string());
                eprintln!(
                    "node{i}: height {} round {} mempool {} peers {} sync lag {}",
                    m("vellum_height"),
                    m("vellum_round"),
                    m("vellum_mempool_txs"),
                    m("vellum_peers"),
                    m("vellum_sync_lag"),
                );
            }
            let empty = tempfile::tempdir().unwrap();
            let kept = std::mem::replace(&mut self.dir, empty).keep();
            eprintln!(
                "the network's homes and logs are kept in {}",
                kept.display()
            );
        }
    }
}

impl Localnet {
    /// `init` with `options` (its `out` is replaced by a temporary directory), every node
    /// started; returns once every node's RPC answers.
    pub async fn start(mut options: InitOptions, deadline: Instant) -> Localnet {
        let dir = tempfile::tempdir().unwrap();
        options.out = dir.path().join("net");
        let net = init_network(&options).unwrap();
        let clients = net.nodes.iter().map(|n| client(&n.rpc_url)).collect();
        let mut localnet = Localnet {
            nodes: Nodes(net.nodes.iter().map(|_| None).collect()),
            net,
            clients,
            dir,
        };
        for i in 0..localnet.net.nodes.len() {
            localnet.restart(i);
        }
        for i in 0..localnet.net.nodes.len() {
            localnet.wait_rpc(i, deadline).await;
        }
        localnet
    }

    pub fn log(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node{i}.log"))
    }

    /// SIGKILLs node `i` and reaps it.
    pub fn kill(&mut self, i: usize) {
        let mut child = self.nodes.0[i].take().expect("node running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Starts node `i` (again) on its home.
    pub fn restart(&mut self, i: usize) {
        assert!(self.nodes.0[i].is_none(), "node{i} is running");
        self.nodes.0[i] = Some(start(&self.net.nodes[i].home, &self.log(i)));
    }

    pub async fn wait_rpc(&self, i: usize, deadline: Instant) {
        eventually(&format!("node{i}'s RPC"), deadline, || {
            height(&self.clients[i])
        })
        .await;
    }

    /// Panics unless every node in `which` holds the same block at every height 1..=top.
    pub async fn assert_same_blocks(&self, which: &[usize], top: u64, deadline: Instant) {
        for h in 1..=top {
            let mut hashes = Vec::new();
            for &i in which {
                let block = eventually(&format!("block {h} on node{i}"), deadline, || async {
                    self.clients[i]
                        .chain_get_block(BlockId::Height(h), None)
                        .await
                        .ok()
                        .flatten()
                })
                .await;
                hashes.push((i, block.hash));
            }
            assert!(
                hashes.windows(2).all(|w| w[0].1 == w[1].1),
                "nodes differ at height {h}: {hashes:?}"
            );
        }
    }

    /// Submits the signed transaction `hex` to node `i`; its hash.
    pub async fn submit(&self, i: usize, hex: String) -> Hash {
        self.clients[i].tx_submit(hex).await.unwrap().hash
    }

    /// Waits until every node in `which` has committed `hash`; the height that holds it.
    pub async fn committed_on(&self, which: &[usize], hash: Hash, deadline: Instant) -> u64 {
        let mut height = 0;
        for &i in which {
            height = eventually(&format!("{hash} committed on node{i}"), deadline, || {
                committed(&self.clients[i], hash)
            })
            .await;
        }
        height
    }

    /// The value of a metric from node `i`'s `/metrics`, when it answers.
    pub fn metric(&self, i: usize, name: &str) -> Option<f64> {
        let addr = format!("127.0.0.1:{}", self.net.nodes[i].ports.metrics);
        let mut conn = TcpStream::connect(addr).ok()?;
        conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        conn.write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
            .ok()?;
        let mut text = String::new();
        conn.read_to_string(&mut text).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }
}
