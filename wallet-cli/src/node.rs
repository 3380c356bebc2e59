//! The connection to a node: the typed `VellumApiClient` over HTTP for calls, and over
//! WebSocket (same address, `ws://`) for the transaction-status subscription.
//!
//! Rule for errors: a JSON-RPC error the node sends is a refusal (exit 1) carrying the node's
//! code, message and `data`; a connection that fails, times out or answers with something that
//! is not a Vellum node's JSON is "cannot reach the node" (exit 3).

use std::time::Duration;

use jsonrpsee::core::ClientError;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use vellum_protocol::rpc::error::{TX_BUSY, retry_after_ms_of};

use crate::exit::WalletError;
use crate::output::note;

/// The node used when neither `--rpc` nor `$VELLUM_RPC` is given: the localnet's first node.
pub const DEFAULT_RPC: &str = "http://127.0.0.1:26651";
/// How long one call may take before the node counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long opening the WebSocket may take before the wallet falls back to polling.
const WS_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A node's RPC endpoint.
#[derive(Debug)]
pub struct Node {
    url: String,
    http: HttpClient,
}

impl Node {
    /// A client of the node at `url` (`http://` or `https://`). Nothing is sent yet.
    pub fn new(url: &str) -> Result<Node, WalletError> {
        let bad = |why: &str| WalletError::Usage(format!("--rpc {url:?}: {why}"));
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(bad("an RPC URL starts with http:// or https://"));
        }
        let http = HttpClientBuilder::default()
            .request_timeout(REQUEST_TIMEOUT)
            .build(url)
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Node {
            url: url.to_string(),
            http,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP client; it implements `VellumApiClient`.
    pub fn api(&self) -> &HttpClient {
        &self.http
    }

    /// The WebSocket address of the same node.
    pub fn ws_url(&self) -> String {
        match self.url.split_once("://") {
            Some(("https", rest)) => format!("wss://{rest}"),
            Some((_, rest)) => format!("ws://{rest}"),
            None => self.url.clone(),
        }
    }

    /// Opens a WebSocket client (for subscriptions).
    pub async fn ws(&self) -> Result<WsClient, WalletError> {
        WsClientBuilder::default()
            .connection_timeout(WS_CONNECT_TIMEOUT)
            .request_timeout(REQUEST_TIMEOUT)
            .build(self.ws_url())
            .await
            .map_err(|e| self.error(e))
    }

    /// The wallet's error for a failed call to this node.
    pub fn error(&self, e: ClientError) -> WalletError {
        rpc_error(&self.url, e)
    }
}

/// Maps a client error to a refusal (the node answered) or to "unreachable".
pub fn rpc_error(url: &str, e: ClientError) -> WalletError {
    match e {
        ClientError::Call(obj) => WalletError::Node {
            code: obj.code(),
            message: obj.message().to_string(),
            data: obj.data().and_then(|d| serde_json::from_str(d.get()).ok()),
        },
        ClientError::RequestTimeout => {
            WalletError::Unreachable(format!("the node at {url} did not answer in time"))
        }
        ClientError::ParseError(e) => {
            WalletError::Unreachable(format!("the answer from {url} is not a Vellum node's: {e}"))
        }
        ClientError::Transport(e) => WalletError::Unreachable(format!(
            "cannot reach the node at {url}: {}; is it running? (choose another with --rpc URL \
             or VELLUM_RPC)",
            chain(e.as_ref())
        )),
        other => {
            WalletError::Unreachable(format!("lost the connection to the node at {url}: {other}"))
        }
    }
}

/// The message of an error and of each of its sources, e.g. "connect: Connection refused".
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// The wait the node asked for before the same transaction is sent again: a full mempool's
/// refusal ([`TX_BUSY`] with `data.retry_after_ms`, docs/RPC.md). `None` for every other
/// error, including a busy refusal that does not say.
pub fn asked_wait(e: &WalletError) -> Option<Duration> {
    let WalletError::Node {
        code: TX_BUSY,
        data: Some(data),
        ..
    } = e
    else {
        return None;
    };
    retry_after_ms_of(data).map(Duration::from_millis)
}

/// Waits `wait`, the time a full mempool asked for, saying so on stderr.
pub async fn wait_as_asked(wait: Duration) {
    note(&format!(
        "the node's mempool is full; sending again in {:.1} s as it asks",
        wait.as_secs_f64()
    ));
    tokio::time::sleep(wait).await;
}

/// True when the error says the node could not be reached (as opposed to a refusal).
pub fn is_transport(e: &WalletError) -> bool {
    matches!(e, WalletError::Unreachable(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::{EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE};
    use jsonrpsee::types::ErrorObjectOwned;

    #[test]
    fn node_errors_are_refusals_with_the_node_message_and_reason() {
        let obj = ErrorObjectOwned::owned(
            -32015,
            "the balance is 1000, the transaction needs 5000",
            Some(serde_json::json!({"code": 20, "name": "insufficient_funds"})),
        );
        let e = rpc_error("http://n", ClientError::Call(obj));
        assert_eq!(e.exit_code(), EXIT_REFUSED);
        assert!(e.to_string().contains("the balance is 1000"), "{e}");
        match e {
            WalletError::Node { code, data, .. } => {
                assert_eq!(code, -32015);
                assert_eq!(data.unwrap()["name"], "insufficient_funds");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_a_busy_refusal_that_says_when_asks_for_a_wait() {
        let refusal = |code: i32, data: serde_json::Value| {
            rpc_error(
                "http://n",
                ClientError::Call(ErrorObjectOwned::owned(code, "no", Some(data))),
            )
        };
        let full = serde_json::json!({"code": 100, "name": "mempool_full", "retry_after_ms": 2500});
        assert_eq!(
            asked_wait(&refusal(TX_BUSY, full.clone())),
            Some(Duration::from_millis(2500))
        );
        let limit = serde_json::json!({"code": 101, "name": "account_limit"});
        assert_eq!(asked_wait(&refusal(TX_BUSY, limit)), None);
        assert_eq!(asked_wait(&refusal(-32015, full)), None);
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            asked_wait(&rpc_error("http://n", ClientError::Transport(Box::new(io)))),
            None
        );
    }

    #[test]
    fn transport_failures_and_timeouts_are_unreachable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = rpc_error("http://n", ClientError::Transport(Box::new(io)));
        assert_eq!(e.exit_code(), EXIT_UNREACHABLE);
        assert!(
            e.to_string().contains("cannot reach the node at http://n"),
            "{e}"
        );
        let e = rpc_error("http://n", ClientError::RequestTimeout);
        assert_eq!(e.exit_code(), EXIT_UNREACHABLE);
    }

    #[test]
    fn urls_are_checked_and_the_websocket_is_the_same_address() {
        assert_eq!(
            Node::new("127.0.0.1:1").unwrap_err().exit_code(),
            EXIT_USAGE
        );
        let n = Node::new("http://127.0.0.1:26651").unwrap();
        assert_eq!(n.ws_url(), "ws://127.0.0.1:26651");
        let n = Node::new("https://node.example:443/rpc").unwrap();
        assert_eq!(n.ws_url(), "wss://node.example:443/rpc");
    }
}
