//! The validator node: libp2p networking, the consensus driver, mempool, RocksDB storage, block sync, JSON-RPC and metrics.
//!
//! # Layout
//! - [`store`]: the `Store` trait (one atomic batch per committed block), with RocksDB and
//!   in-memory implementations run through one test suite.
//! - [`driver`]: the consensus driver, host of the pure core: persists before signing,
//!   builds and validates blocks, commits atomically, re-checks the mempool.
//! - [`home`]: the node's home directory, loaded and checked at start-up.
//! - [`metrics`]: Prometheus metrics, `/health` and `/ready`.
//! - [`rpc`]: the JSON-RPC server (HTTP and WebSocket on one port) over an `RpcBackend`.
//! - [`network`]: the permissioned libp2p network: gossip of consensus messages and
//!   transaction batches, validated before forwarding, and block sync.
//! - [`mempool`]: admission checks, bounds, per-account nonce sequences, expiry, re-check after
//!   commit, and the verified-signature cache.

pub mod driver;
pub mod home;
#[cfg(unix)]
pub mod huge_pages;
pub mod mempool;
pub mod metrics;
pub mod network;
pub mod rpc;
pub mod service;
pub mod store;
