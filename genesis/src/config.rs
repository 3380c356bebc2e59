//! A node's `config.toml`: the one schema `vellum-genesis` writes and `vellum-node` reads.
//!
//! Every field has a default, so a file names only what differs; an unknown field is an error
//! (a misspelt option must not be silently ignored). Parse with [`NodeConfig::from_toml`], which
//! names the line and column of a mistake, then check with [`NodeConfig::validate`], which lists
//! every fault at once; [`NodeConfig::load`] does both. Relative paths are relative to the
//! node's home directory (the directory holding `config.toml`). docs/GENESIS.md describes
//! every field.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use libp2p_identity::PeerId;
use serde::{Deserialize, Serialize};

use crate::multiaddr::{MultiaddrHost, TcpMultiaddr};

/// The file name of a node's configuration in its home directory.
pub const CONFIG_FILE: &str = "config.toml";

const HEADER: &str = "# Vellum node configuration (written by vellum-genesis)\n\
    # Every field is described in docs/GENESIS.md; relative paths are relative to this directory.\n\n";

/// The whole `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// A name for logs and metrics; by convention the validator's name in genesis.
    pub moniker: String,
    /// Must equal the genesis chain id; the node refuses to start otherwise.
    pub chain_id: String,
    pub genesis_file: PathBuf,
    /// Blocks, state and the consensus write-ahead log.
    pub data_dir: PathBuf,
    pub consensus_key_file: PathBuf,
    pub node_key_file: PathBuf,
    pub p2p: P2pConfig,
    pub rpc: RpcConfig,
    pub metrics: MetricsConfig,
    pub mempool: MempoolConfig,
    pub consensus: ConsensusConfig,
}

/// `[p2p]`: the libp2p listener and who may connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConfig {
    /// A multiaddr, `/ip4/HOST/tcp/PORT`.
    pub listen: String,
    /// Peers to dial and keep dialing, each `/ip4/HOST/tcp/PORT/p2p/PEER_ID`.
    pub peers: Vec<String>,
    /// Peer ids, besides the validators', allowed to connect (e.g. a non-voting node).
    pub observers: Vec<String>,
}

/// `[rpc]`: the JSON-RPC server (HTTP and WebSocket on one port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    pub listen: SocketAddr,
    /// Origins browsers may call from; `"*"` for any.
    pub cors_origins: Vec<String>,
    pub max_request_bytes: u32,
    pub max_connections: u32,
    /// Requests per second per connection.
    pub requests_per_second: u32,
}

/// `[metrics]`: the Prometheus endpoint and the health checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub listen: SocketAddr,
}

/// `[mempool]`: bounds on waiting transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    pub max_txs: usize,
    pub max_bytes: usize,
    pub max_per_account: usize,
}

/// `[consensus]`: the node's local consensus settings (the shared timeouts are in genesis).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// 0: propose only when transactions wait (no empty blocks); otherwise also propose an
    /// empty block after this many milliseconds without one.
    pub heartbeat_ms: u64,
}

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            moniker: "node0".into(),
            chain_id: "vellum-localnet".into(),
            genesis_file: "genesis.json".into(),
            data_dir: "data".into(),
            consensus_key_file: "keys/consensus.json".into(),
            node_key_file: "keys/node.json".into(),
            p2p: P2pConfig::default(),
            rpc: RpcConfig::default(),
            metrics: MetricsConfig::default(),
            mempool: MempoolConfig::default(),
            consensus: ConsensusConfig::default(),
        }
    }
}

impl Default for P2pConfig {
    fn default() -> Self {
        P2pConfig {
            listen: "/ip4/127.0.0.1/tcp/26656".into(),
            peers: Vec::new(),
            observers: Vec::new(),
        }
    }
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            listen: SocketAddr::new(LOCALHOST, 26657),
            cors_origins: vec!["*".into()],
            max_request_bytes: 1 << 20,
            max_connections: 256,
            requests_per_second: 1000,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: SocketAddr::new(LOCALHOST, 26658),
        }
    }
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 100_000,
            max_bytes: 64 << 20,
            max_per_account: 64,
        }
    }
}

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}, line {line} column {column}: {message}")]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin} has {} fault(s):\n{}", .faults.len(), numbered(.faults))]
    Invalid {
        origin: String,
        faults: Vec<ConfigFault>,
    },
}

/// One thing wrong in a parsed config, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFault {
    #[error("{field} is empty; set it (see docs/GENESIS.md)")]
    Empty { field: &'static str },
    #[error(
        "p2p.listen {value:?} is not a TCP multiaddr ({reason}); write it like \"/ip4/127.0.0.1/tcp/26656\""
    )]
    BadListen { value: String, reason: String },
    #[error("p2p.listen {value:?} names a peer id; a listen address has none, remove /p2p/...")]
    ListenWithPeerId { value: String },
    #[error(
        "p2p.peers[{index}] {value:?} is not a peer address ({reason}); write it like \"/ip4/10.0.0.2/tcp/26656/p2p/12D3KooW...\""
    )]
    BadPeer {
        index: usize,
        value: String,
        reason: String,
    },
    #[error("p2p.peers[{index}] repeats the peer id of p2p.peers[{first}]; list each peer once")]
    DuplicatePeer { index: usize, first: usize },
    #[error(
        "p2p.observers[{index}] {value:?} is not a libp2p peer id; write the observer's peer_id from its keys/node.json (like \"12D3KooW...\")"
    )]
    BadObserver { index: usize, value: String },
    #[error("{first} and {second} both use port {port}; give each listener its own port")]
    SharedPort {
        first: &'static str,
        second: &'static str,
        port: u16,
    },
    #[error(
        "rpc.cors_origins[{index}] {value:?} is not an origin; use \"*\" or one like \"https://wallet.example\""
    )]
    BadCorsOrigin { index: usize, value: String },
    #[error("{field} is 0; it must be at least 1")]
    Zero { field: &'static str },
    #[error(
        "mempool.max_per_account ({per_account}) is above mempool.max_txs ({max_txs}); lower it"
    )]
    PerAccountAboveTotal { per_account: usize, max_txs: usize },
}

fn numbered(faults: &[ConfigFault]) -> String {
    let lines: Vec<String> = faults
        .iter()
        .enumerate()
        .map(|(i, f)| format!("  {}. {f}", i + 1))
        .collect();
    lines.join("\n")
}

impl NodeConfig {
    /// Parses TOML text; a syntax error, a wrong type or an unknown field names its line.
    pub fn from_toml(text: &str) -> Result<NodeConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = line_and_column(text, e.span().map_or(0, |s| s.start));
            ConfigError::Parse {
                origin: CONFIG_FILE.into(),
                line,
                column,
                message: e.message().trim_end().to_string(),
            }
        })
    }

    /// Reads, parses and validates the file at `path`.
    pub fn load(path: &Path) -> Result<NodeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let config = NodeConfig::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse {
                line,
                column,
                message,
                ..
            } => ConfigError::Parse {
                origin: origin.clone(),
                line,
                column,
                message,
            },
            other => other,
        })?;
        let faults = config.validate();
        if !faults.is_empty() {
            return Err(ConfigError::Invalid { origin, faults });
        }
        Ok(config)
    }

    /// The text of this config as `vellum-genesis` writes it.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("a node config always serializes");
        format!("{HEADER}{body}")
    }

    /// `path` as the node opens it: relative paths are taken from `home`.
    pub fn resolve(home: &Path, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            home.join(path)
        }
    }

    /// Every fault of this config, in file order; empty when it is usable.
    pub fn validate(&self) -> Vec<ConfigFault> {
        let mut faults = Vec::new();
        let required = [
            ("moniker", self.moniker.trim().is_empty()),
            ("chain_id", self.chain_id.is_empty()),
            ("genesis_file", self.genesis_file.as_os_str().is_empty()),
            ("data_dir", self.data_dir.as_os_str().is_empty()),
            (
                "consensus_key_file",
                self.consensus_key_file.as_os_str().is_empty(),
            ),
            ("node_key_file", self.node_key_file.as_os_str().is_empty()),
        ];
        for (field, empty) in required {
            if empty {
                faults.push(ConfigFault::Empty { field });
            }
        }
        let p2p_listen = self.check_p2p(&mut faults);
        self.check_ports(p2p_listen, &mut faults);
        self.check_rpc(&mut faults);
        self.check_mempool(&mut faults);
        faults
    }

    fn check_p2p(&self, faults: &mut Vec<ConfigFault>) -> Option<TcpMultiaddr> {
        let listen = match self.p2p.listen.parse::<TcpMultiaddr>() {
            Ok(addr) if addr.peer_id.is_some() => {
                faults.push(ConfigFault::ListenWithPeerId {
                    value: self.p2p.listen.clone(),
                });
                None
            }
            Ok(addr) => Some(addr),
            Err(reason) => {
                faults.push(ConfigFault::BadListen {
                    value: self.p2p.listen.clone(),
                    reason,
                });
                None
            }
        };
        let mut seen: BTreeMap<PeerId, usize> = BTreeMap::new();
        for (index, value) in self.p2p.peers.iter().enumerate() {
            let bad = |reason: &str| ConfigFault::BadPeer {
                index,
                value: value.clone(),
                reason: reason.to_string(),
            };
            match value.parse::<TcpMultiaddr>() {
                Err(reason) => faults.push(bad(&reason)),
                Ok(TcpMultiaddr { peer_id: None, .. }) => {
                    faults.push(bad("it has no /p2p/PEER_ID at the end"))
                }
                Ok(TcpMultiaddr { port: 0, .. }) => faults.push(bad("port 0 cannot be dialed")),
                Ok(TcpMultiaddr {
                    peer_id: Some(peer),
                    ..
                }) => {
                    if let Some(&first) = seen.get(&peer) {
                        faults.push(ConfigFault::DuplicatePeer { index, first });
                    } else {
                        seen.insert(peer, index);
                    }
                }
            }
        }
        for (index, value) in self.p2p.observers.iter().enumerate() {
            if value.parse::<PeerId>().is_err() {
                faults.push(ConfigFault::BadObserver {
                    index,
                    value: value.clone(),
                });
            }
        }
        listen
    }

    /// Two listeners on one machine cannot share a port (port 0 asks the OS for a free one).
    fn check_ports(&self, p2p: Option<TcpMultiaddr>, faults: &mut Vec<ConfigFault>) {
        let mut listeners = vec![
            ("rpc.listen", self.rpc.listen.ip(), self.rpc.listen.port()),
            (
                "metrics.listen",
                self.metrics.listen.ip(),
                self.metrics.listen.port(),
            ),
        ];
        if let Some(TcpMultiaddr {
            host: MultiaddrHost::Ip(ip),
            port,
            ..
        }) = p2p
        {
            listeners.insert(0, ("p2p.listen", ip, port));
        }
        for (i, (first, ip_a, port)) in listeners.iter().enumerate() {
            for (second, ip_b, other) in &listeners[i + 1..] {
                let overlap = ip_a == ip_b || ip_a.is_unspecified() || ip_b.is_unspecified();
                if *port != 0 && port == other && overlap {
                    faults.push(ConfigFault::SharedPort {
                        first,
                        second,
                        port: *port,
                    });
                }
            }
        }
    }

    fn check_rpc(&self, faults: &mut Vec<ConfigFault>) {
        for (index, value) in self.rpc.cors_origins.iter().enumerate() {
            // An origin is a scheme and a host, with no path, not even "/".
            let origin = (value.starts_with("http://") || value.starts_with("https://"))
                && !value.ends_with('/');
            if value != "*" && !origin {
                faults.push(ConfigFault::BadCorsOrigin {
                    index,
                    value: value.clone(),
                });
            }
        }
        for (field, value) in [
            ("rpc.max_request_bytes", self.rpc.max_request_bytes),
            ("rpc.max_connections", self.rpc.max_connections),
            ("rpc.requests_per_second", self.rpc.requests_per_second),
        ] {
            if value == 0 {
                faults.push(ConfigFault::Zero { field });
            }
        }
    }

    fn check_mempool(&self, faults: &mut Vec<ConfigFault>) {
        let m = &self.mempool;
        for (field, value) in [
            ("mempool.max_txs", m.max_txs),
            ("mempool.max_bytes", m.max_bytes),
            ("mempool.max_per_account", m.max_per_account),
        ] {
            if value == 0 {
                faults.push(ConfigFault::Zero { field });
            }
        }
        if m.max_per_account > m.max_txs {
            faults.push(ConfigFault::PerAccountAboveTotal {
                per_account: m.max_per_account,
                max_txs: m.max_txs,
            });
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests;
