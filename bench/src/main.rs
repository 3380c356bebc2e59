//! `vellum-bench`: the command line and the signals; the measurements are in the library.
//!
//! A signal (Ctrl-C, SIGTERM, SIGHUP) drops the running measurement, and with it the localnet,
//! whose drop kills and reaps every node process before the program exits.

use std::process::ExitCode;

use clap::Parser;
use vellum_bench::cli::Cli;

/// mimalloc, as in the node: the load generator shares the machine with the nodes it
/// measures, and glibc's malloc, realloc and free were about a sixth of its CPU at 14,000
/// tx/s (docs/PERFORMANCE.md, twentieth session).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let settings = match Cli::parse().resolve() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vellum-bench: {e:#}");
            return ExitCode::from(2);
        }
    };
    // One thread: the bench's tasks are small (a batch sent, an answer booked, a block's
    // hashes read), and on a machine the nodes keep busy, waking a second worker for each of
    // them cost more than the work (about a sixth of the bench's CPU at 12,000 tx/s,
    // docs/PERFORMANCE.md, twentieth session). Signing runs on the blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vellum-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        tokio::select! {
            result = vellum_bench::run(settings) => match result {
                Ok(report) => report.verdict.exit_code,
                Err(e) => {
                    eprintln!("vellum-bench: {e:#}");
                    1
                }
            },
            signal = shutdown_signal() => {
                eprintln!("vellum-bench: {signal}: stopping the nodes");
                130
            }
        }
    });
    // Pre-signing threads of an interrupted run are not waited for.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Completes with the signal's name on Ctrl-C, SIGTERM or SIGHUP.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return "interrupted";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term.recv() => "terminated (SIGTERM)",
        _ = hup.recv() => "hung up (SIGHUP)",
    }
}
