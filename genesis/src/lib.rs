//! Creates an N-validator network: keys, genesis.json and each node's config.toml; validates genesis files.
//!
//! The genesis format and its rules are `vellum_protocol::genesis`; this crate writes and reads
//! the files around it. The node depends on this library to read its `config.toml`, its key
//! files and its genesis file, so what `init` writes and what a node reads are one code path.
//! The library is light on purpose (no async runtime, no network beyond checking that ports are
//! free).
//!
//! # Layout
//! - [`init`]: `init_network`, the whole of `vellum-genesis init` as a function.
//! - [`check`]: reading a genesis file, its faults, and the one-line summary of a valid one.
//! - [`config`]: `NodeConfig`, the schema of a node's `config.toml`, with defaults and checks.
//! - [`keys`]: key files (ed25519 seeds as JSON, mode 0600), written and read back with checks.
//! - [`ports`]: choosing distinct free TCP ports for the nodes' listeners.
//! - [`multiaddr`]: the `/ip4/HOST/tcp/PORT/p2p/PEER_ID` addresses a config holds.
//! - `main.rs`: the command line (clap), nothing else.
//!
//! Errors are `thiserror` enums, except in [`init`], which is the command's own logic and returns
//! `anyhow` errors with the context a user acts on.

pub mod check;
pub mod config;
pub mod init;
pub mod keys;
pub mod multiaddr;
pub mod ports;

pub use check::{GenesisFileError, GenesisSummary, check_genesis, read_genesis_file};
pub use config::{ConfigError, ConfigFault, NodeConfig};
pub use init::{InitOptions, NetworkSummary, init_network};
pub use keys::{KeyFile, KeyFileError, read_key_file, read_node_key_file};
