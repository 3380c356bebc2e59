//! `vellum-explorer`: the command line. Checks `--rpc`, binds `--listen` with errors a user can
//! act on, then serves the embedded page until Ctrl-C or SIGTERM.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::net::{TcpListener, TcpStream};
use tracing_subscriber::EnvFilter;
use vellum_explorer::{RpcUrl, Site, http};

/// A block explorer for a Vellum node, served as a web page.
///
/// It serves a page (embedded in this binary: no internet needed) that shows the chain live:
/// height, recent blocks and transactions, transactions per second, validators, and a page per
/// block, transaction and account, with search. The page talks to the node directly from the
/// browser: JSON-RPC over HTTP at --rpc, subscriptions over WebSocket at the same address. The
/// node must allow the page's origin in its config (rpc.cors_origins; "*" allows any).
#[derive(Debug, Parser)]
#[command(name = "vellum-explorer", version, about, long_about, after_help = EXAMPLES)]
struct Cli {
    /// The node's JSON-RPC URL, as the browser reaches it (the browser connects to it, not this
    /// program). Its WebSocket is the same address with ws:// (wss:// for https://).
    #[arg(
        long,
        value_name = "URL",
        env = "VELLUM_RPC",
        default_value = "http://127.0.0.1:26651",
        value_parser = parse_rpc
    )]
    rpc: RpcUrl,
    /// Where to serve the page: IP:PORT. Port 0 picks a free port (printed at start).
    /// 127.0.0.1 serves this machine only; 0.0.0.0 serves the network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:26649", value_parser = parse_listen)]
    listen: SocketAddr,
}

const EXAMPLES: &str = "\
Examples:
  vellum-explorer --rpc http://127.0.0.1:26651
  vellum-explorer --rpc http://10.0.0.5:26651 --listen 0.0.0.0:8080

Then open the printed URL in a browser. Pages: #/ (dashboard), #/block/HEIGHT_OR_HASH,
#/tx/HASH, #/account/vl1..., #/validators. Logs go to stderr (RUST_LOG=debug for requests).
Exit status: 0 after Ctrl-C or SIGTERM, 1 when the port cannot be bound, 2 on a usage error.";

fn parse_rpc(text: &str) -> Result<RpcUrl, String> {
    RpcUrl::parse(text).map_err(|e| e.to_string())
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        format!("'{text}' is not IP:PORT: write e.g. 127.0.0.1:26649 (port 0 picks a free one)")
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vellum-explorer: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vellum-explorer: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let listener = TcpListener::bind(cli.listen)
        .await
        .map_err(|e| bind_error(cli.listen, &e))?;
    let local = listener.local_addr()?;
    println!(
        "vellum-explorer: serving http://{local} (node RPC {})",
        cli.rpc
    );
    tracing::info!(listen = %local, rpc = %cli.rpc, ws = %cli.rpc.ws(), "explorer started");
    if !local.ip().is_loopback() && cli.rpc.is_loopback() {
        tracing::warn!(
            rpc = %cli.rpc,
            "the page is served to other machines but --rpc is a loopback address: their \
             browsers will look for the node on their own machine; pass an --rpc they can reach"
        );
    }
    tokio::spawn(probe(cli.rpc.clone()));
    let site = Arc::new(Site::new(&cli.rpc));
    tokio::select! {
        () = http::serve(listener, site) => {}
        () = shutdown_signal() => tracing::info!("stopping"),
    }
    Ok(())
}

/// An error for a port that cannot be bound, saying what to do.
fn bind_error(addr: SocketAddr, e: &std::io::Error) -> anyhow::Error {
    use std::io::ErrorKind;
    let hint = match e.kind() {
        ErrorKind::AddrInUse => format!(
            "port {} is in use by another program: stop it, or pick another port with \
             --listen {}:PORT (port 0 picks a free one)",
            addr.port(),
            addr.ip()
        ),
        ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges: use a port from 1024 up".into()
        }
        ErrorKind::AddrNotAvailable => format!(
            "this machine has no address {}: use 127.0.0.1 or 0.0.0.0",
            addr.ip()
        ),
        _ => "check the address given to --listen".into(),
    };
    anyhow::anyhow!("cannot listen on {addr}: {e}; {hint}")
}

/// Warns (once, at start) when nothing answers at the node's address: the page will then show
/// the node as unreachable until it starts, which is normal when both start together.
async fn probe(rpc: RpcUrl) {
    let target = rpc.socket_target();
    let connect = tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(&target)).await;
    match connect {
        Ok(Ok(_)) => tracing::info!(rpc = %rpc, "the node's RPC port answers"),
        Ok(Err(e)) => tracing::warn!(
            rpc = %rpc, error = %e,
            "nothing answers at the node's RPC address yet; the page shows the node as \
             unreachable until it does"
        ),
        Err(_) => tracing::warn!(rpc = %rpc, "the node's RPC address did not answer within 3 s"),
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
