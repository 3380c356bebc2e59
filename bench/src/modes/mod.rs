//! The three measurements, one file each, and what they share: a localnet made from the
//! settings, the pre-signed load, the observers, the drain, and each process's usage over a
//! window.

pub mod catchup;
pub mod consensus;
pub mod throughput;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use tokio::task::JoinHandle;

use crate::accounts::Accounts;
use crate::book::TxBook;
use crate::cli::Settings;
use crate::figures;
use crate::load::sign::{SignedLoad, sign_all};
use crate::localnet::{CHAIN_ID, Localnet, LocalnetOptions};
use crate::observe::Observer;
use crate::procfs::{self, CpuSample, MachineSample, MachineUsage, Usage};
use crate::progress;

/// A localnet for `settings` with `accounts` funded.
pub fn localnet(settings: &Settings, accounts: Option<&Accounts>) -> Result<Localnet> {
    Localnet::create(LocalnetOptions {
        validators: settings.validators,
        accounts: accounts.map(Accounts::genesis).unwrap_or_default(),
        heartbeat_ms: settings.heartbeat_ms,
        max_block_txs: settings.max_block_txs,
        mempool_max_txs: settings.mempool_max_txs,
        node_bin: settings.node_bin.clone(),
        rpc_requests_per_second: settings.rpc_requests_per_second,
        node_log: settings.node_log.clone(),
        keep_dir: settings.keep_dir,
        pid_file: settings.pid_file.clone(),
    })
}

/// Signs `count` transactions off the runtime's thread, so that a signal is still handled; they
/// expire `valid_for` from now.
pub async fn presign(
    accounts: Arc<Accounts>,
    count: u64,
    valid_for: Duration,
    threads: usize,
) -> Result<SignedLoad> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let expiry_ms = now_ms + valid_for.as_millis() as u64;
    progress!("signing {count} transactions on {threads} threads");
    let began = Instant::now();
    let load = tokio::task::spawn_blocking(move || {
        sign_all(&accounts, CHAIN_ID, count, expiry_ms, threads)
    })
    .await
    .context("the signing threads failed")?;
    let secs = began.elapsed().as_secs_f64();
    progress!(
        "signed in {secs:.1} s ({:.0} signatures/s)",
        count as f64 / secs.max(1e-9)
    );
    Ok(load)
}

/// Starts node0's observer (booking into `book`), and with `all` one on every other node.
pub async fn observers(
    net: &Localnet,
    all: bool,
    book: Option<Arc<TxBook>>,
) -> Result<Vec<Observer>> {
    let mut out = vec![Observer::start(net.ws_url(0), None, book).await?];
    if all {
        for i in 1..net.len() {
            out.push(Observer::start(net.ws_url(i), None, None).await?);
        }
    }
    Ok(out)
}

/// Waits until every accepted transaction has committed (those stranded behind a refused
/// nonce never will, and are not waited for), or `limit` after `from`; checks on the way that
/// the nodes and node0's observer are still there.
pub async fn drain(
    net: &mut Localnet,
    book: &TxBook,
    accounts: usize,
    observer: &Observer,
    from: Instant,
    limit: Duration,
) -> Result<()> {
    let outstanding = || book.with(|r| figures::counts(r, accounts).lost);
    let pending = outstanding();
    if pending > 0 {
        progress!("draining: {pending} accepted transactions not committed yet");
    }
    let deadline = from + limit;
    while outstanding() > 0 && Instant::now() < deadline {
        net.check_alive()?;
        observer.check()?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// CPU samples of the nodes, of this program and of the machine, taken together.
#[derive(Debug, Clone)]
pub struct Samples {
    nodes: Vec<Option<CpuSample>>,
    bench: Option<CpuSample>,
    machine: Option<MachineSample>,
}

/// What the processes and the machine used over a window.
#[derive(Debug, Clone, Default)]
pub struct WindowUsage {
    pub nodes: Vec<Usage>,
    pub bench: Usage,
    pub machine: Option<MachineUsage>,
}

/// The processes whose usage is measured: the running nodes and this program.
#[derive(Debug, Clone)]
pub struct Processes {
    names: Vec<String>,
    pids: Vec<Option<u32>>,
}

impl Processes {
    pub fn of(net: &Localnet) -> Processes {
        Processes {
            names: (0..net.len()).map(|i| net.name(i).to_string()).collect(),
            pids: (0..net.len()).map(|i| net.pid(i)).collect(),
        }
    }

    /// Samples every process's CPU time now.
    pub fn begin(&self) -> Samples {
        Samples {
            nodes: self
                .pids
                .iter()
                .map(|p| p.and_then(procfs::sample))
                .collect(),
            bench: procfs::sample_self(),
            machine: procfs::sample_machine(),
        }
    }

    /// CPU since `start` and peak memory now, for every node and for this program, and the
    /// machine's CPU since `start`.
    pub fn end(&self, start: Samples) -> WindowUsage {
        let hz = procfs::ticks_per_second();
        let now = self.begin();
        let cpu = |a: Option<CpuSample>, b: Option<CpuSample>| procfs::cpu_percent(a?, b?, hz);
        let nodes = self
            .names
            .iter()
            .zip(&self.pids)
            .zip(start.nodes.into_iter().zip(now.nodes))
            .map(|((name, pid), (a, b))| Usage {
                name: name.clone(),
                pid: *pid,
                cpu_percent: cpu(a, b),
                peak_rss_mib: pid.and_then(procfs::peak_rss_mib),
            })
            .collect();
        let me = std::process::id();
        let bench = Usage {
            name: "bench".into(),
            pid: Some(me),
            cpu_percent: cpu(start.bench, now.bench),
            peak_rss_mib: procfs::peak_rss_mib(me),
        };
        let machine = start
            .machine
            .zip(now.machine)
            .and_then(|(a, b)| procfs::machine_usage(a, b));
        WindowUsage {
            nodes,
            bench,
            machine,
        }
    }

    /// [`Processes::begin`] at `from` and [`Processes::end`] at `to`, sleeping until each, in
    /// a task of its own.
    pub fn measure(self, from: Instant, to: Instant) -> JoinHandle<WindowUsage> {
        tokio::spawn(async move {
            tokio::time::sleep_until(from.into()).await;
            let start = self.begin();
            tokio::time::sleep_until(to.into()).await;
            self.end(start)
        })
    }
}
