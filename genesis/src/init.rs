//! Creating a network: keys, `genesis.json` and each validator's home directory.
//!
//! `init_network` does everything `vellum-genesis init` does, so tests and the localnet script
//! create networks the same way. Nothing is written until the genesis has passed the same
//! checks a node makes (`LedgerState::from_genesis`), and `genesis.json` is written last, so an
//! interrupted run leaves no genesis behind and can simply be run again.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vellum_protocol::genesis::{ConsensusParams, GenesisAccount, GenesisValidator};
use vellum_protocol::validator::MAX_VALIDATORS;
use vellum_protocol::{Address, Amount, Genesis, Keypair, PublicKey};

use crate::check::check_genesis;
use crate::config::{CONFIG_FILE, NodeConfig};
use crate::keys::{KeyFile, create_private_dir, peer_id_from_seed, random_seed, write_key_file};
use crate::multiaddr::TcpMultiaddr;
use crate::ports::{NodePorts, pick_free_ports, ports_from_base};

/// The genesis file's name, in the network directory and in each node's home.
pub const GENESIS_FILE: &str = "genesis.json";

/// The demo account's opening balance, in display units.
pub const DEMO_BALANCE: &str = "1000000";

/// What `init` creates.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Number of validators, named `node0` to `node{N-1}`.
    pub validators: usize,
    /// The network directory.
    pub out: PathBuf,
    pub chain_id: String,
    /// The address every node listens on and dials the others at.
    pub host: IpAddr,
    /// `None`: free ports chosen by the OS; `Some(P)`: node i uses P+3i, P+3i+1, P+3i+2.
    pub base_port: Option<u16>,
    pub decimals: u8,
    /// Opening balances besides the demo account's.
    pub accounts: Vec<GenesisAccount>,
    /// Overwrite an existing `genesis.json` and the keys beside it.
    pub force: bool,
    /// `None`: now.
    pub genesis_time_ms: Option<u64>,
    /// Each node's `consensus.heartbeat_ms`: 0 makes no empty blocks.
    pub heartbeat_ms: u64,
    /// The genesis file's consensus parameters (timeouts, block size).
    pub consensus: ConsensusParams,
}

impl InitOptions {
    /// The defaults of `vellum-genesis init`: a localnet on 127.0.0.1 with free ports.
    pub fn new(validators: usize, out: impl Into<PathBuf>) -> InitOptions {
        InitOptions {
            validators,
            out: out.into(),
            chain_id: "vellum-localnet".into(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: None,
            decimals: 2,
            accounts: Vec::new(),
            force: false,
            genesis_time_ms: None,
            heartbeat_ms: 0,
            consensus: ConsensusParams::default(),
        }
    }
}

/// What was created, for people (`Display`-like output in the CLI) and scripts (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct NetworkSummary {
    pub chain_id: String,
    pub genesis_hash: String,
    pub genesis_file: PathBuf,
    pub decimals: u8,
    /// In minor units.
    pub total_supply: Amount,
    pub nodes: Vec<NodeSummary>,
    pub issuer: AccountSummary,
    pub admin: AccountSummary,
    pub demo: AccountSummary,
}

/// One validator node as created.
#[derive(Debug, Clone, Serialize)]
pub struct NodeSummary {
    pub name: String,
    /// The node's home directory: pass it to the node.
    pub home: PathBuf,
    pub config_file: PathBuf,
    pub consensus_key: PublicKey,
    pub peer_id: String,
    /// The full dial address, `/ip4/HOST/tcp/PORT/p2p/PEER_ID`.
    pub p2p_address: String,
    pub ports: NodePorts,
    pub rpc_url: String,
    pub metrics_url: String,
}

/// An account whose key `init` generated.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSummary {
    pub address: Address,
    pub key_file: PathBuf,
    /// Opening balance in minor units.
    pub balance: Amount,
}

/// Parses a `--account ADDR=AMOUNT` argument; the amount is in display units (`12.34`).
pub fn parse_opening_balance(text: &str, decimals: u8) -> Result<GenesisAccount> {
    let (address, amount) = text.split_once('=').with_context(|| {
        format!("--account {text:?}: write it as ADDRESS=AMOUNT, e.g. vl1...=250.00")
    })?;
    let address: Address = address
        .trim()
        .parse()
        .with_context(|| format!("--account {text:?}: {address:?} is not a vl1... address"))?;
    let balance = Amount::parse_display(amount, decimals).with_context(|| {
        format!("--account {text:?}: {amount:?} is not an amount with {decimals} decimals")
    })?;
    Ok(GenesisAccount { address, balance })
}

/// One validator's generated keys and ports.
struct PlannedNode {
    name: String,
    consensus_seed: [u8; 32],
    node_seed: [u8; 32],
    ports: NodePorts,
    p2p_address: String,
}

/// Creates the network described by `options` (see the module comment).
pub fn init_network(options: &InitOptions) -> Result<NetworkSummary> {
    let n = options.validators;
    if n == 0 || n > MAX_VALIDATORS {
        bail!(
            "--validators {n}: a network has 1 to {MAX_VALIDATORS} validators (4 tolerates one faulty node)"
        );
    }
    let out = &options.out;
    let genesis_path = out.join(GENESIS_FILE);
    if genesis_path.exists() && !options.force {
        bail!(
            "{} already exists; choose another --out directory, or pass --force to replace it and every key beside it",
            genesis_path.display()
        );
    }
    let ports = match options.base_port {
        Some(base) => ports_from_base(options.host, base, n)?,
        None => pick_free_ports(options.host, n)?,
    };
    let nodes = plan_nodes(options.host, ports)?;
    let issuer = random_seed()?;
    let admin = random_seed()?;
    let demo = random_seed()?;
    let demo_balance = Amount::parse_display(DEMO_BALANCE, options.decimals)
        .with_context(|| format!("--decimals {} is too large", options.decimals))?;
    let mut accounts = options.accounts.clone();
    accounts.push(GenesisAccount {
        address: address_of(&demo),
        balance: demo_balance,
    });
    let genesis = Genesis {
        chain_id: options.chain_id.clone(),
        genesis_time_ms: options.genesis_time_ms.unwrap_or_else(now_ms),
        decimals: options.decimals,
        validators: nodes
            .iter()
            .map(|node| GenesisValidator {
                name: node.name.clone(),
                key: Keypair::from_seed(&node.consensus_seed).public(),
                power: 1,
                node_id: Some(peer_id_from_seed(&node.node_seed).to_string()),
                p2p_address: Some(node.p2p_address.clone()),
            })
            .collect(),
        issuers: vec![address_of(&issuer)],
        admins: vec![address_of(&admin)],
        accounts,
        consensus: options.consensus.clone(),
    };
    let checked = check_genesis(&genesis).map_err(|faults| {
        let list: Vec<String> = faults.iter().map(|f| format!("  - {f}")).collect();
        anyhow::anyhow!("the genesis would be invalid:\n{}", list.join("\n"))
    })?;
    let genesis_json = format!("{}\n", genesis.to_json_pretty());

    create_private_dir(&out.join("keys"))?;
    let mut summaries = Vec::with_capacity(n);
    for node in &nodes {
        summaries.push(write_node_home(options, node, &nodes, &genesis_json)?);
    }
    let account = |seed: &[u8; 32], name: &str, balance: Amount| -> Result<AccountSummary> {
        let key_file = out.join("keys").join(format!("{name}.json"));
        write_key_file(&key_file, &KeyFile::account(seed))?;
        Ok(AccountSummary {
            address: address_of(seed),
            key_file,
            balance,
        })
    };
    let issuer = account(&issuer, "issuer", Amount::ZERO)?;
    let admin = account(&admin, "admin", Amount::ZERO)?;
    let demo = account(&demo, "demo", demo_balance)?;
    write_file(&genesis_path, &genesis_json)?;
    Ok(NetworkSummary {
        chain_id: genesis.chain_id,
        genesis_hash: checked.genesis_hash.to_hex(),
        genesis_file: genesis_path,
        decimals: genesis.decimals,
        total_supply: checked.total_supply,
        nodes: summaries,
        issuer,
        admin,
        demo,
    })
}

fn plan_nodes(host: IpAddr, ports: Vec<NodePorts>) -> Result<Vec<PlannedNode>> {
    ports
        .into_iter()
        .enumerate()
        .map(|(i, ports)| {
            let node_seed = random_seed()?;
            let peer = peer_id_from_seed(&node_seed);
            Ok(PlannedNode {
                name: format!("node{i}"),
                consensus_seed: random_seed()?,
                node_seed,
                ports,
                p2p_address: TcpMultiaddr::new(host, ports.p2p, Some(peer)).to_string(),
            })
        })
        .collect()
}

/// Writes `DIR/nodeI/`: keys, config.toml and a copy of genesis.json.
fn write_node_home(
    options: &InitOptions,
    node: &PlannedNode,
    all: &[PlannedNode],
    genesis_json: &str,
) -> Result<NodeSummary> {
    let home = options.out.join(&node.name);
    let config = NodeConfig {
        moniker: node.name.clone(),
        chain_id: options.chain_id.clone(),
        p2p: crate::config::P2pConfig {
            listen: TcpMultiaddr::new(options.host, node.ports.p2p, None).to_string(),
            peers: all
                .iter()
                .filter(|other| other.name != node.name)
                .map(|other| other.p2p_address.clone())
                .collect(),
            observers: Vec::new(),
        },
        rpc: crate::config::RpcConfig {
            listen: SocketAddr::new(options.host, node.ports.rpc),
            ..Default::default()
        },
        metrics: crate::config::MetricsConfig {
            listen: SocketAddr::new(options.host, node.ports.metrics),
        },
        consensus: crate::config::ConsensusConfig {
            heartbeat_ms: options.heartbeat_ms,
        },
        ..NodeConfig::default()
    };
    let faults = config.validate();
    if !faults.is_empty() {
        bail!(
            "internal error: the config written for {} is invalid: {faults:?}",
            node.name
        );
    }
    create_private_dir(&home.join("keys"))?;
    let consensus_key = NodeConfig::resolve(&home, &config.consensus_key_file);
    write_key_file(&consensus_key, &KeyFile::consensus(&node.consensus_seed))?;
    let node_key = NodeConfig::resolve(&home, &config.node_key_file);
    write_key_file(&node_key, &KeyFile::node(&node.node_seed))?;
    let config_file = home.join(CONFIG_FILE);
    write_file(&config_file, &config.to_toml())?;
    write_file(
        &NodeConfig::resolve(&home, &config.genesis_file),
        genesis_json,
    )?;
    Ok(NodeSummary {
        name: node.name.clone(),
        home,
        config_file,
        consensus_key: Keypair::from_seed(&node.consensus_seed).public(),
        peer_id: peer_id_from_seed(&node.node_seed).to_string(),
        p2p_address: node.p2p_address.clone(),
        ports: node.ports,
        rpc_url: format!("http://{}", config.rpc.listen),
        metrics_url: format!("http://{}/metrics", config.metrics.listen),
    })
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn address_of(seed: &[u8; 32]) -> Address {
    Address::from_public_key(&Keypair::from_seed(seed).public())
}

fn now_ms() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    u64::try_from(since_epoch.as_millis()).expect("milliseconds since 1970 fit a u64")
}

#[cfg(test)]
mod tests;
