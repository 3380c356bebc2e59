//! `vellum-node`: runs a validator (or observer) node from its home directory.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;
use vellum_node::home::{NodeHome, Overrides};

/// mimalloc: the node allocates and frees many small buffers per transaction (decoded
/// transactions, gossip batches, store writes); glibc's malloc spent ~9% of a node's CPU there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Vellum node: permissioned BFT consensus, storage and JSON-RPC.
#[derive(Debug, Parser)]
#[command(name = "vellum-node", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the node whose home directory (config.toml, genesis.json, keys/) is DIR.
    ///
    /// Create homes with `vellum-genesis init --validators 4 --out DIR`; each DIR/nodeI is one.
    Start {
        /// The node's home directory.
        #[arg(long, value_name = "DIR")]
        home: PathBuf,
        /// Serve JSON-RPC here instead of config.toml's rpc.listen.
        #[arg(long, value_name = "ADDR")]
        rpc_listen: Option<SocketAddr>,
        /// Serve metrics here instead of config.toml's metrics.listen.
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
        /// Listen for peers here (a multiaddr) instead of config.toml's p2p.listen.
        #[arg(long, value_name = "MULTIADDR")]
        p2p_listen: Option<String>,
        /// Log format.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(unix)]
    if let Err(e) = vellum_node::huge_pages::turn_off_by_restarting(std::env::args_os().skip(1)) {
        eprintln!(
            "vellum-node: cannot restart with transparent huge pages off ({e}); running with them"
        );
    }
    let Command::Start {
        home,
        rpc_listen,
        metrics_listen,
        p2p_listen,
        log_format,
    } = cli.command;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stdout().is_terminal())
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    let overrides = Overrides {
        rpc_listen,
        metrics_listen,
        p2p_listen,
    };
    let home = match NodeHome::load(&home, &overrides) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("vellum-node: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vellum-node: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(vellum_node::service::run::run(home, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vellum-node: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("can install a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
