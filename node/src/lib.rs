//! The validator node: libp2p networking, the consensus driver, mempool, RocksDB storage, block sync, JSON-RPC and metrics.
//!
//! # Layout
//! - [`store`]: the `Store` trait (one atomic batch per committed block), with RocksDB and
//!   in-memory implementations run through one test suite.
//! - [`mempool`]: admission checks, bounds, per-account nonce sequences, expiry, re-check after
//!   commit, and the verified-signature cache.

pub mod mempool;
pub mod store;
