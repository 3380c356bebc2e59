//! Measures a fresh release localnet: finalized tx/s, submit-to-final latency, lost and refused transactions, consensus cadence and catch-up speed.
//!
//! Every run creates its own network with `vellum_genesis::init::init_network` in a temporary
//! directory, starts `vellum-node` processes, pre-signs the whole load, offers it open-loop by
//! wall clock through `tx_submitBatch`, and watches the blocks arrive on a
//! `chain_subscribeBlocks` subscription. The processes are stopped however the run ends.
//!
//! # Layout
//! - [`cli`]: the flags, their defaults per mode, and the settings they resolve to.
//! - [`localnet`]: the network's files and node processes (spawn, kill, kill on drop).
//! - [`accounts`]: deterministic funded accounts; who sends which nonce to which node.
//! - [`schedule`]: the open-loop schedule (how many transactions each tick offers).
//! - [`load`]: pre-signing on several threads, the batches of each tick, the sender.
//! - [`book`]: per transaction: sent when, answered how, committed when.
//! - [`observe`]: the block subscription and the arrival instant of each block.
//! - [`figures`]: the run's figures from the book and the arrivals, and their definitions.
//! - [`stats`]: percentiles; [`procfs`]: CPU and peak memory from `/proc`.
//! - [`report`]: the JSON report, the table, and the verdict behind the exit status.
//! - [`modes`]: one file per measurement: throughput, consensus, catch-up.
//! - `main.rs`: the command line and the signals, nothing else.

pub mod accounts;
pub mod book;
pub mod cli;
pub mod figures;
pub mod load;
pub mod localnet;
pub mod modes;
pub mod observe;
pub mod procfs;
pub mod report;
pub mod schedule;
pub mod stats;

use anyhow::Result;

use cli::{Mode, Settings};
use report::{Machine, Report, Verdict};

/// Progress for people, on stderr (stdout carries the table or the JSON).
#[macro_export]
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("vellum-bench: {}", format!($($arg)*)) };
}

/// Runs the measurement `settings` asks for, writes the JSON report and prints the table (or
/// the JSON with `--json`); the report's verdict gives the exit status.
pub async fn run(settings: Settings) -> Result<Report> {
    let machine = Machine::now();
    let mut throughput = Vec::new();
    let (mut consensus, mut catchup) = (None, None);
    match settings.mode {
        Mode::Throughput => {
            for (i, &rate) in settings.rates.iter().enumerate() {
                if settings.rates.len() > 1 {
                    progress!(
                        "sweep step {} of {}: {rate} tx/s",
                        i + 1,
                        settings.rates.len()
                    );
                }
                throughput.push(modes::throughput::run(&settings, rate).await?);
            }
        }
        Mode::Consensus => consensus = Some(modes::consensus::run(&settings).await?),
        Mode::Catchup => catchup = Some(modes::catchup::run(&settings).await?),
    }
    let mut counts: Vec<&report::Counts> = throughput.iter().map(|r| &r.counts).collect();
    counts.extend(catchup.as_ref().map(|c| &c.counts));
    let verdict = Verdict::judge(&counts, settings.strict, settings.smoke);
    let report = Report {
        tool: "vellum-bench",
        version: env!("CARGO_PKG_VERSION"),
        mode: settings.mode,
        machine,
        settings,
        throughput,
        consensus,
        catchup,
        verdict,
    };
    report.write(&report.settings.out)?;
    if report.settings.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::table::render(&report));
        progress!("report written to {}", report.settings.out.display());
    }
    Ok(report)
}
