//! A fresh localnet for one measurement: `init_network` in a temporary directory, node
//! processes started from the `vellum-node` binary, and every process killed and reaped when
//! the [`Localnet`] is dropped, however the run ends (an error, a panic, or a signal, which
//! drops the run). The running nodes' process ids and the directory are also written to the
//! optional pid file, for a wrapper to clean up after a SIGKILL of this program.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use vellum_genesis::config::NodeConfig;
use vellum_genesis::init::{InitOptions, NetworkSummary, init_network};
use vellum_protocol::genesis::GenesisAccount;
use vellum_protocol::rpc::VellumApiClient;

/// The chain id of every bench network.
pub const CHAIN_ID: &str = "vellum-bench";

/// How a localnet is made.
#[derive(Debug, Clone)]
pub struct LocalnetOptions {
    pub validators: usize,
    pub accounts: Vec<GenesisAccount>,
    pub heartbeat_ms: u64,
    /// The genesis's `max_block_txs`; `None`: the genesis default.
    pub max_block_txs: Option<usize>,
    /// Each node's `mempool.max_txs`; `None`: the config default.
    pub mempool_max_txs: Option<usize>,
    pub node_bin: PathBuf,
    pub rpc_requests_per_second: u32,
    pub node_log: String,
    pub keep_dir: bool,
    pub pid_file: Option<PathBuf>,
}

/// A network and its node processes.
#[derive(Debug)]
pub struct Localnet {
    pub net: NetworkSummary,
    children: Vec<Option<Child>>,
    clients: Vec<HttpClient>,
    options: LocalnetOptions,
    // Last: removed after the processes are killed.
    dir: Option<tempfile::TempDir>,
}

impl Localnet {
    /// Creates the network's files (genesis with `accounts` funded, each node's config with
    /// the bench's RPC rate limit); starts nothing.
    pub fn create(options: LocalnetOptions) -> Result<Localnet> {
        let dir = tempfile::Builder::new()
            .prefix("vellum-bench-")
            .tempdir()
            .context("cannot create a temporary directory for the network")?;
        let mut init = InitOptions::new(options.validators, dir.path().join("net"));
        init.chain_id = CHAIN_ID.into();
        init.accounts = options.accounts.clone();
        init.heartbeat_ms = options.heartbeat_ms;
        if let Some(max) = options.max_block_txs {
            init.consensus.max_block_txs = max;
        }
        let net = init_network(&init).context("cannot create the network")?;
        for node in &net.nodes {
            let mut config = NodeConfig::load(&node.config_file)?;
            config.rpc.requests_per_second = options.rpc_requests_per_second;
            if let Some(max) = options.mempool_max_txs {
                config.mempool.max_txs = max;
                config.mempool.max_per_account = config.mempool.max_per_account.min(max);
            }
            std::fs::write(&node.config_file, config.to_toml())
                .with_context(|| format!("cannot write {}", node.config_file.display()))?;
        }
        let clients = net
            .nodes
            .iter()
            .map(|n| {
                HttpClientBuilder::default()
                    .request_timeout(Duration::from_secs(30))
                    .max_request_size(16 << 20)
                    .build(&n.rpc_url)
                    .with_context(|| format!("cannot make an RPC client for {}", n.rpc_url))
            })
            .collect::<Result<_>>()?;
        Ok(Localnet {
            children: net.nodes.iter().map(|_| None).collect(),
            net,
            clients,
            options,
            dir: Some(dir),
        })
    }

    pub fn len(&self) -> usize {
        self.net.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.net.nodes.is_empty()
    }

    pub fn client(&self, i: usize) -> &HttpClient {
        &self.clients[i]
    }

    pub fn clients(&self) -> &[HttpClient] {
        &self.clients
    }

    pub fn name(&self, i: usize) -> &str {
        &self.net.nodes[i].name
    }

    /// The WebSocket URL of node `i` (the same port as HTTP).
    pub fn ws_url(&self, i: usize) -> String {
        self.net.nodes[i].rpc_url.replacen("http://", "ws://", 1)
    }

    /// Node `i`'s process id, while it runs.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.children[i].as_ref().map(Child::id)
    }

    fn dir(&self) -> &Path {
        self.dir.as_ref().expect("present until drop").path()
    }

    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir().join(format!("{}.log", self.name(i)))
    }

    /// Starts every node.
    pub fn start_all(&mut self) -> Result<()> {
        (0..self.len()).try_for_each(|i| self.start(i))
    }

    /// Starts node `i`, its output appended to its log.
    pub fn start(&mut self, i: usize) -> Result<()> {
        if self.children[i].is_some() {
            bail!("{} is already running", self.name(i));
        }
        let log_path = self.log_path(i);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("cannot open {}", log_path.display()))?;
        let child = Command::new(&self.options.node_bin)
            .arg("start")
            .arg("--home")
            .arg(&self.net.nodes[i].home)
            .env("RUST_LOG", &self.options.node_log)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot run {}", self.options.node_bin.display()))?;
        self.children[i] = Some(child);
        self.write_pid_file();
        Ok(())
    }

    /// Kills node `i` (SIGKILL) and reaps it.
    pub fn stop(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.write_pid_file();
    }

    /// An error naming the first node that should run but has exited, with its log's end.
    pub fn check_alive(&mut self) -> Result<()> {
        for i in 0..self.len() {
            let exited = match self.children[i].as_mut() {
                Some(child) => child.try_wait()?,
                None => None,
            };
            if let Some(status) = exited {
                self.children[i] = None;
                bail!(
                    "{} exited ({status}); the end of its log:\n{}",
                    self.name(i),
                    self.log_tail(i, 15)
                );
            }
        }
        Ok(())
    }

    /// The last `n` lines of node `i`'s log.
    pub fn log_tail(&self, i: usize, n: usize) -> String {
        let text = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return format!(
                "(empty: {} printed nothing)",
                self.options.node_bin.display()
            );
        }
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits until every node in `which` answers `chain_status` and sees `min_peers` peers.
    pub async fn wait_ready(
        &mut self,
        which: &[usize],
        min_peers: u32,
        limit: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + limit;
        for &i in which {
            loop {
                self.check_alive()?;
                let answer =
                    tokio::time::timeout(Duration::from_secs(1), self.clients[i].chain_status());
                let status = answer.await.ok().and_then(Result::ok);
                if status.as_ref().is_some_and(|s| s.peers >= min_peers) {
                    break;
                }
                if Instant::now() >= deadline {
                    let seen = status.map_or("no RPC answer".to_string(), |s| {
                        format!("{} of {min_peers} peers", s.peers)
                    });
                    bail!(
                        "{} was not ready within {:.0} s ({seen}); the end of its log:\n{}",
                        self.name(i),
                        limit.as_secs_f64(),
                        self.log_tail(i, 15)
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// One running node's process id per line, then `dir PATH`, the network directory, unless
    /// it is to be kept.
    fn write_pid_file(&self) {
        let Some(path) = &self.options.pid_file else {
            return;
        };
        let mut text: String = self
            .children
            .iter()
            .flatten()
            .map(|c| format!("{}\n", c.id()))
            .collect();
        if let Some(dir) = self.dir.as_ref().filter(|_| !self.options.keep_dir) {
            text.push_str(&format!("dir {}\n", dir.path().display()));
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!(
                "vellum-bench: cannot write the pid file {}: {e}",
                path.display()
            );
        }
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        for child in self.children.iter_mut() {
            if let Some(mut c) = child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        self.write_pid_file();
        if self.options.keep_dir
            && let Some(dir) = self.dir.take()
        {
            eprintln!(
                "vellum-bench: the network's homes and logs are kept in {}",
                dir.keep().display()
            );
        }
    }
}
