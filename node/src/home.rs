//! A node's home directory, loaded and checked once at start-up.
//!
//! Everything that can be wrong before the node starts is found here, with a message that says
//! what to change: a missing or broken `config.toml`, a genesis that does not validate, a chain
//! id that differs between the two, unreadable or insecure key files, and ports already in use.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use vellum_genesis::check::read_genesis_file;
use vellum_genesis::config::{CONFIG_FILE, NodeConfig};
use vellum_genesis::keys::{read_key_file, read_node_key_file};
use vellum_protocol::{Genesis, Keypair};

/// Settings given on the command line, which win over `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub rpc_listen: Option<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
    pub p2p_listen: Option<String>,
}

/// What a node needs from its home directory.
#[derive(Debug)]
pub struct NodeHome {
    pub dir: PathBuf,
    pub config: NodeConfig,
    pub genesis: Genesis,
    pub consensus_key: Keypair,
    pub node_key: libp2p_identity::Keypair,
    pub data_dir: PathBuf,
}

impl NodeHome {
    /// Reads and checks everything under `dir`, applying `overrides`.
    pub fn load(dir: &Path, overrides: &Overrides) -> Result<NodeHome> {
        let config_path = dir.join(CONFIG_FILE);
        if !config_path.exists() {
            bail!(
                "{} does not exist: a node's home holds config.toml, genesis.json and keys/; \
                 create one with `vellum-genesis init --validators 4 --out DIR`",
                config_path.display()
            );
        }
        let mut config = NodeConfig::load(&config_path)
            .with_context(|| format!("cannot use {}", config_path.display()))?;
        if let Some(a) = overrides.rpc_listen {
            config.rpc.listen = a;
        }
        if let Some(a) = overrides.metrics_listen {
            config.metrics.listen = a;
        }
        if let Some(a) = &overrides.p2p_listen {
            config.p2p.listen = a.clone();
        }
        let faults = config.validate();
        if !faults.is_empty() {
            let mut msg = format!("{} has {} fault(s):", config_path.display(), faults.len());
            for (i, f) in faults.iter().enumerate() {
                let _ = write!(msg, "\n  {}. {f}", i + 1);
            }
            bail!(msg);
        }

        let genesis_path = NodeConfig::resolve(dir, &config.genesis_file);
        let genesis = read_genesis_file(&genesis_path)?;
        let faults = genesis.validate();
        if !faults.is_empty() {
            let mut msg = format!(
                "{} does not validate ({} fault(s)); fix it or run `vellum-genesis validate {}`:",
                genesis_path.display(),
                faults.len(),
                genesis_path.display()
            );
            for (i, f) in faults.iter().enumerate() {
                let _ = write!(msg, "\n  {}. {f}", i + 1);
            }
            bail!(msg);
        }
        if genesis.chain_id != config.chain_id {
            bail!(
                "config.toml names chain {:?} but {} is for chain {:?}: they must agree",
                config.chain_id,
                genesis_path.display(),
                genesis.chain_id
            );
        }

        let consensus_path = NodeConfig::resolve(dir, &config.consensus_key_file);
        let consensus_key = read_key_file(&consensus_path).with_context(|| {
            format!("cannot use the consensus key {}", consensus_path.display())
        })?;
        let node_path = NodeConfig::resolve(dir, &config.node_key_file);
        let node_key = read_node_key_file(&node_path)
            .with_context(|| format!("cannot use the node key {}", node_path.display()))?;
        let data_dir = NodeConfig::resolve(dir, &config.data_dir);

        check_port_free(config.rpc.listen, "rpc.listen")?;
        check_port_free(config.metrics.listen, "metrics.listen")?;
        Ok(NodeHome {
            dir: dir.to_path_buf(),
            config,
            genesis,
            consensus_key,
            node_key,
            data_dir,
        })
    }

    /// Whether this node's consensus key is a genesis validator.
    pub fn is_genesis_validator(&self) -> bool {
        let key = self.consensus_key.public();
        self.genesis.validators.iter().any(|v| v.key == key)
    }
}

/// Fails with a clear message if `addr` cannot be bound.
fn check_port_free(addr: SocketAddr, setting: &str) -> Result<()> {
    match TcpListener::bind(addr) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "{addr} ({setting}) is in use by another program: stop it, or give this node \
             another port in config.toml or on the command line"
        ),
        Err(e) => bail!("cannot listen on {addr} ({setting}): {e}"),
    }
}
