//! A block explorer for a Vellum node: serves an embedded web page that reads the node's JSON-RPC and WebSocket API from the browser.
//!
//! The binary only serves files: the page (`web/`, plain HTML, CSS and ES modules, embedded at
//! compile time so the binary works alone and offline) and `/config.json`, which tells the page
//! the node's RPC URL. The browser then talks to the node directly: HTTP for calls, WebSocket
//! for subscriptions. The node must allow the page's origin (CORS `*` does).
//!
//! # Layout
//! - [`rpc_url`]: the `--rpc` URL, checked once at start-up, and its WebSocket twin.
//! - [`assets`]: the embedded files of `web/` and their content types.
//! - [`routes`]: what each request path answers (pure: no IO), including `/config.json`.
//! - [`http`]: a small HTTP/1.1 server over tokio that reads a request head and writes the
//!   answer of [`routes`].
//! - `main.rs`: the command line (clap), binding the port with errors a user can act on.
//! - `web/`: the page itself; `web/js/app.js` is where it starts.

pub mod assets;
pub mod http;
pub mod routes;
pub mod rpc_url;

pub use routes::{Response, Site};
pub use rpc_url::{RpcUrl, RpcUrlError};
