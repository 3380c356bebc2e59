//! The JSON-RPC server: the API of `vellum_protocol::rpc` served over HTTP and WebSocket on one
//! port, with batches, CORS, size and rate limits, and resumable subscriptions.
//!
//! # Layout
//! - [`backend`]: [`RpcBackend`], what the server needs from the node (the driver implements
//!   it), and the mapping of mempool refusals to RPC errors.
//! - [`api`]: [`VellumRpc`], the `VellumApiServer` implementation over a backend.
//! - [`subscriptions`]: blocks, account events and transaction status, resumable from a cursor.
//! - [`rate_limit`]: the token bucket middleware.
//! - [`server`]: [`start_rpc`], [`RpcLimits`] and the server handle.

pub mod api;
pub mod backend;
pub mod rate_limit;
pub mod server;
mod subscriptions;

#[cfg(test)]
mod tests;

pub use self::api::VellumRpc;
pub use self::backend::{BackendError, RpcBackend};
pub use self::server::{RpcLimits, RpcServerError, RpcServerHandle, rpc_module, start_rpc};
