//! The JSON-RPC server: HTTP and WebSocket on one port, batches, CORS, size and rate limits.
//!
//! [`start_rpc`] binds the port, builds the [`RpcModule`] from [`VellumRpc`] (which includes
//! `rpc.discover`) and serves it until the returned handle is stopped or dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::RpcModule;
use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use vellum_protocol::rpc::VellumApiServer;

use super::api::VellumRpc;
use super::backend::RpcBackend;
use super::rate_limit::{RateLimit, TokenBucket};

/// The server's bounds, from the node's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcLimits {
    /// Largest request body (a batch counts whole), in bytes.
    pub max_request_bytes: u32,
    /// Largest response body, in bytes.
    pub max_response_bytes: u32,
    /// Most open connections (HTTP and WebSocket together).
    pub max_connections: u32,
    /// Most subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: u32,
    /// Most calls per second over all connections (a batch entry counts as one call).
    pub requests_per_second: u32,
    /// Entries one JSON-RPC batch may hold.
    pub max_batch_len: u32,
    /// Origins a browser page may call from; `*` allows any.
    pub cors_origins: Vec<String>,
}

impl Default for RpcLimits {
    fn default() -> Self {
        RpcLimits {
            max_request_bytes: 4 * 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            max_connections: 256,
            max_subscriptions_per_connection: 64,
            requests_per_second: 20_000,
            max_batch_len: 1000,
            cors_origins: vec!["*".to_string()],
        }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcServerError {
    #[error(
        "port {addr} is in use: {source}; stop the process that holds it or set another RPC \
         listen address"
    )]
    PortInUse {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot listen for JSON-RPC on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running server. Dropping it does not stop the server; call [`RpcServerHandle::stop`].
#[derive(Debug, Clone)]
pub struct RpcServerHandle {
    local_addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServerHandle {
    /// The address it listens on (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections and waits until the server has stopped.
    pub async fn stop(self) {
        let _already_stopped = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// The module the server registers: every method of the API, `rpc.discover` included.
pub fn rpc_module(backend: Arc<dyn RpcBackend>) -> RpcModule<VellumRpc> {
    VellumRpc::new(backend).into_rpc()
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let origins: Vec<String> = origins.to_vec();
        AllowOrigin::predicate(move |origin, _| {
            origins.iter().any(|o| o.as_bytes() == origin.as_bytes())
        })
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods(Any)
        .allow_headers(Any)
}

/// Starts serving the API of `backend` on `listen` (HTTP and WebSocket on the same port).
pub async fn start_rpc(
    listen: SocketAddr,
    backend: Arc<dyn RpcBackend>,
    limits: RpcLimits,
) -> Result<RpcServerHandle, RpcServerError> {
    let config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        .max_connections(limits.max_connections)
        .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch_len))
        .build();
    let bucket = Arc::new(TokenBucket::new(limits.requests_per_second.max(1)));
    let rpc_middleware =
        RpcServiceBuilder::new().layer_fn(move |service| RateLimit::new(service, bucket.clone()));
    let http_middleware = tower::ServiceBuilder::new().layer(cors_layer(&limits.cors_origins));
    let server = Server::builder()
        .set_config(config)
        .set_http_middleware(http_middleware)
        .set_rpc_middleware(rpc_middleware)
        .build(listen)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => RpcServerError::PortInUse {
                addr: listen,
                source,
            },
            _ => RpcServerError::Bind {
                addr: listen,
                source,
            },
        })?;
    let local_addr = server.local_addr().map_err(|source| RpcServerError::Bind {
        addr: listen,
        source,
    })?;
    let handle = server.start(rpc_module(backend));
    tracing::info!(addr = %local_addr, "JSON-RPC server listening (HTTP and WebSocket)");
    Ok(RpcServerHandle { local_addr, handle })
}
