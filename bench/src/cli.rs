//! The command line: every flag with its default, and [`Cli::resolve`], which fills the
//! defaults of the chosen mode and checks the combination once, before anything starts.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use serde::Serialize;
use vellum_protocol::validator::MAX_VALIDATORS;

/// What a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Transfers offered open-loop at --rate (or each rate of --sweep): finalized tx/s,
    /// submit-to-final latency, refused and lost transactions, CPU and memory per node.
    Throughput,
    /// No transactions: empty blocks back to back (heartbeat --heartbeat-ms, default 1):
    /// heights per second and the time between commits.
    Consensus,
    /// Stop the last validator, load the others until --behind transactions have committed,
    /// restart it and measure how fast it catches up, against the chain's growth.
    Catchup,
}

const EXIT_CODES: &str = "\
Exit status:
  0  the run completed: nothing lost (and, with --strict, nothing refused); --smoke also
     needs committed transactions
  1  the run could not be done (a node did not start, a connection failed, ...)
  2  the command line is wrong
  3  transactions were lost (accepted by a node, never committed by the end of the drain)
  4  --strict and some transactions were refused
  5  --smoke committed nothing
  130 interrupted (Ctrl-C, SIGTERM or SIGHUP); every node was stopped

Every run starts a fresh network of release vellum-node processes in a temporary directory
(kept with --keep-dir) and stops them however it ends. Figures from a machine shared with other
work are not comparable with figures from an idle one.";

/// `vellum-bench`: benchmarks a fresh Vellum localnet.
#[derive(Debug, Parser)]
#[command(
    name = "vellum-bench",
    version,
    about = "Benchmarks a fresh Vellum localnet: finalized tx/s, latency, lost and refused \
             transactions, consensus cadence, catch-up speed.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::Throughput)]
    pub mode: Mode,

    /// A quick functional check for scripts/test.sh: 4 validators, 200 tx/s for 4 s after a
    /// 1 s warm-up, 400 accounts; fails unless something committed and nothing was lost.
    /// Flags given explicitly still apply.
    #[arg(long)]
    pub smoke: bool,

    /// Validators of the localnet [default: 4].
    #[arg(long, value_name = "N")]
    pub validators: Option<usize>,

    /// Transactions per second offered, open-loop by wall clock [default: 2000; --smoke: 200].
    #[arg(long, value_name = "TX_PER_S")]
    pub rate: Option<u64>,

    /// Several rates, one fresh network each, e.g. `1000,2000,5000` (throughput mode only;
    /// replaces --rate).
    #[arg(long, value_name = "R1,R2,...", value_delimiter = ',')]
    pub sweep: Vec<u64>,

    /// Seconds of the steady window that is measured, after the warm-up [default: 60;
    /// --smoke: 4].
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Seconds of load before the steady window, not measured [default: 5; --smoke: 1].
    #[arg(long, value_name = "SECS")]
    pub warmup: Option<f64>,

    /// Most seconds to wait, after the last batch, for every accepted transaction to commit;
    /// those still missing then are lost [default: 30].
    #[arg(long, value_name = "SECS")]
    pub drain: Option<f64>,

    /// Funded sending accounts (deterministic keys), each pinned to one node; enough of them
    /// keeps each account's pending transactions under the node's per-account limit (64)
    /// [default: 4000; --smoke: 400].
    #[arg(long, value_name = "N")]
    pub accounts: Option<u32>,

    /// Milliseconds of load per batch: every tick sends one tx_submitBatch per node.
    #[arg(long, value_name = "MS", default_value_t = 10)]
    pub batch_ms: u64,

    /// Threads that pre-sign the load before the clock starts [default: the machine's cores].
    #[arg(long, value_name = "N")]
    pub signers: Option<usize>,

    /// Subscribe to every node's blocks, not only node0's: each node's blocks are checked
    /// against node0's and its lag behind the first arrival is reported.
    #[arg(long)]
    pub observe_all: bool,

    /// Catch-up mode: committed transactions the stopped validator falls behind by.
    #[arg(long, value_name = "TXS", default_value_t = 100_000)]
    pub behind: u64,

    /// Catch-up mode: most seconds the restarted validator may take to reach the head.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub catchup_timeout: f64,

    /// Each node's consensus.heartbeat_ms: an empty block this long after the last commit
    /// (0: no empty blocks) [default: consensus mode 1, otherwise 0].
    #[arg(long, value_name = "MS")]
    pub heartbeat_ms: Option<u64>,

    /// The most transactions a proposer puts in one block (the genesis's `max_block_txs`)
    /// [default: the genesis default, 2,000; at most 20,000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=20_000))]
    pub max_block_txs: Option<u64>,

    /// Each node's rpc.requests_per_second; high by default so that the RPC rate limit (1000
    /// per node in a fresh config) is not what is measured.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub rpc_requests_per_second: u32,

    /// Each node's mempool.max_txs, the most pending transactions [default: the config
    /// default, 100,000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub mempool_max_txs: Option<u64>,

    /// Send a transaction refused for a reason that may pass later (mempool_full,
    /// account_limit, nonce_too_high, a rate limit or a transport error) again, as a wallet
    /// does, until it is accepted or the offering ends: after the wait the node's refusal
    /// asks for (retry_after_ms), else after --resend-ms, doubling the pause with each try up
    /// to 4 s. Without it each transaction is sent once, and a refusal strands its sender's
    /// later ones.
    #[arg(long)]
    pub resend: bool,

    /// The first pause before a refused transaction is sent again (with --resend).
    #[arg(long, value_name = "MS", default_value_t = 250, requires = "resend")]
    pub resend_ms: u64,

    /// Fail (exit 4) when any transaction was refused.
    #[arg(long)]
    pub strict: bool,

    /// Where to write the JSON report [default: bench-report.json; --smoke:
    /// vellum-bench-smoke.json in the temporary directory, so that tests leave no file behind].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,

    /// The vellum-node binary to run [default: vellum-node next to this program].
    #[arg(long, value_name = "PATH")]
    pub node_bin: Option<PathBuf>,

    /// Most seconds for every node to answer RPC and connect to its peers.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub start_timeout: f64,

    /// RUST_LOG of the nodes (their logs go to the network directory).
    #[arg(long, value_name = "FILTER", default_value = "info")]
    pub node_log: String,

    /// Keep the network directory (homes, logs) and print where it is.
    #[arg(long)]
    pub keep_dir: bool,

    /// Keep this file up to date with the running nodes' process ids, one per line, and
    /// `dir PATH`, the network directory, so that a wrapper script can stop the nodes and
    /// remove the directory even if this program is killed with SIGKILL.
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
}

/// The settings of a run, every default filled in and checked.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub mode: Mode,
    pub smoke: bool,
    pub validators: usize,
    /// One rate per measured network (the sweep, or `--rate` alone).
    pub rates: Vec<u64>,
    #[serde(serialize_with = "as_seconds")]
    pub duration: Duration,
    #[serde(serialize_with = "as_seconds")]
    pub warmup: Duration,
    #[serde(serialize_with = "as_seconds")]
    pub drain: Duration,
    pub accounts: u32,
    #[serde(serialize_with = "as_seconds")]
    pub batch_interval: Duration,
    pub signers: usize,
    pub observe_all: bool,
    pub behind: u64,
    #[serde(serialize_with = "as_seconds")]
    pub catchup_timeout: Duration,
    pub heartbeat_ms: u64,
    pub max_block_txs: Option<usize>,
    pub mempool_max_txs: Option<usize>,
    /// Send retryable refusals again after this pause (`--resend`).
    #[serde(serialize_with = "as_optional_seconds")]
    pub resend: Option<Duration>,
    pub rpc_requests_per_second: u32,
    pub strict: bool,
    pub out: PathBuf,
    pub json: bool,
    pub node_bin: PathBuf,
    #[serde(serialize_with = "as_seconds")]
    pub start_timeout: Duration,
    pub node_log: String,
    pub keep_dir: bool,
    pub pid_file: Option<PathBuf>,
}

/// Durations in the JSON report are seconds, a plain number.
fn as_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// An optional duration: seconds, or null.
fn as_optional_seconds<S: serde::Serializer>(
    d: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => as_seconds(d, s),
        None => s.serialize_none(),
    }
}

fn seconds(flag: &str, value: f64, min: f64) -> Result<Duration> {
    if !value.is_finite() || value < min {
        bail!("{flag} {value}: give a number of seconds of at least {min}");
    }
    Ok(Duration::from_secs_f64(value))
}

impl Cli {
    /// The settings this command line asks for, or what is wrong with it.
    pub fn resolve(self) -> Result<Settings> {
        let smoke = self.smoke;
        if smoke && self.mode != Mode::Throughput {
            bail!("--smoke is a throughput run; leave out --mode or use --mode throughput");
        }
        if !self.sweep.is_empty() && self.mode != Mode::Throughput {
            bail!("--sweep applies to --mode throughput only");
        }
        if !self.sweep.is_empty() && self.rate.is_some() {
            bail!("give either --rate or --sweep, not both");
        }
        let validators = self.validators.unwrap_or(4);
        if validators == 0 || validators > MAX_VALIDATORS {
            bail!("--validators {validators}: give 1 to {MAX_VALIDATORS}");
        }
        if self.mode == Mode::Catchup && validators < 4 {
            bail!(
                "--mode catchup stops one of {validators} validators, which leaves no quorum; \
                 use --validators 4 or more"
            );
        }
        let rates = if self.sweep.is_empty() {
            vec![self.rate.unwrap_or(if smoke { 200 } else { 2000 })]
        } else {
            self.sweep.clone()
        };
        if let Some(bad) = rates.iter().find(|r| **r == 0 || **r > 1_000_000) {
            bail!("rate {bad}: give 1 to 1000000 transactions per second");
        }
        let accounts = self.accounts.unwrap_or(if smoke { 400 } else { 4000 });
        let load_nodes = if self.mode == Mode::Catchup {
            validators - 1
        } else {
            validators
        };
        if (accounts as usize) < load_nodes.max(2) {
            bail!(
                "--accounts {accounts}: give at least {} (two, and one per node that takes load)",
                load_nodes.max(2)
            );
        }
        if self.batch_ms == 0 || self.batch_ms > 1000 {
            bail!("--batch-ms {}: give 1 to 1000 milliseconds", self.batch_ms);
        }
        if self.mode == Mode::Catchup && self.behind == 0 {
            bail!("--behind 0: the stopped validator must fall behind by at least 1 transaction");
        }
        let default_signers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let signers = self.signers.unwrap_or(default_signers);
        if signers == 0 || signers > 256 {
            bail!("--signers {signers}: give 1 to 256 threads");
        }
        if self.rpc_requests_per_second == 0 {
            bail!("--rpc-requests-per-second 0: give at least 1");
        }
        let node_bin = match self.node_bin {
            Some(path) => path,
            None => std::env::current_exe()
                .context("cannot find this program's own path; pass --node-bin")?
                .with_file_name("vellum-node"),
        };
        if !node_bin.is_file() {
            bail!(
                "there is no vellum-node at {}; build it (cargo build --release -p vellum-node) \
                 or pass --node-bin PATH",
                node_bin.display()
            );
        }
        let heartbeat_ms = self
            .heartbeat_ms
            .unwrap_or(if self.mode == Mode::Consensus { 1 } else { 0 });
        Ok(Settings {
            mode: self.mode,
            smoke,
            validators,
            rates,
            duration: seconds(
                "--duration",
                self.duration.unwrap_or(if smoke { 4.0 } else { 60.0 }),
                0.1,
            )?,
            warmup: seconds(
                "--warmup",
                self.warmup.unwrap_or(if smoke { 1.0 } else { 5.0 }),
                0.0,
            )?,
            drain: seconds("--drain", self.drain.unwrap_or(30.0), 0.0)?,
            accounts,
            batch_interval: Duration::from_millis(self.batch_ms),
            signers,
            observe_all: self.observe_all,
            behind: self.behind,
            catchup_timeout: seconds("--catchup-timeout", self.catchup_timeout, 1.0)?,
            heartbeat_ms,
            max_block_txs: self.max_block_txs.map(|n| n as usize),
            mempool_max_txs: self.mempool_max_txs.map(|n| n as usize),
            resend: self
                .resend
                .then(|| Duration::from_millis(self.resend_ms.max(1))),
            rpc_requests_per_second: self.rpc_requests_per_second,
            strict: self.strict,
            out: self.out.unwrap_or_else(|| {
                if smoke {
                    std::env::temp_dir().join("vellum-bench-smoke.json")
                } else {
                    PathBuf::from("bench-report.json")
                }
            }),
            json: self.json,
            node_bin,
            start_timeout: seconds("--start-timeout", self.start_timeout, 1.0)?,
            node_log: self.node_log,
            keep_dir: self.keep_dir,
            pid_file: self.pid_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings> {
        let exe = std::env::current_exe().unwrap();
        let mut argv = vec!["vellum-bench", "--node-bin", exe.to_str().unwrap()];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)?.resolve()
    }

    #[test]
    fn smoke_fills_small_defaults_and_explicit_flags_win() {
        let s = parse(&["--smoke", "--rate", "300"]).unwrap();
        assert_eq!(
            (s.rates, s.accounts, s.duration, s.validators),
            (vec![300], 400, Duration::from_secs(4), 4)
        );
        assert!(
            s.out.starts_with(std::env::temp_dir()),
            "a test leaves no report behind"
        );
    }

    #[test]
    fn consensus_mode_defaults_to_a_one_millisecond_heartbeat() {
        assert_eq!(parse(&["--mode", "consensus"]).unwrap().heartbeat_ms, 1);
        assert_eq!(parse(&[]).unwrap().heartbeat_ms, 0);
    }

    #[test]
    fn the_block_size_and_the_pool_bound_are_the_defaults_unless_given_within_limits() {
        assert_eq!(parse(&[]).unwrap().max_block_txs, None);
        let s = parse(&["--max-block-txs", "500"]).unwrap();
        assert_eq!(s.max_block_txs, Some(500));
        assert!(parse(&["--max-block-txs", "0"]).is_err());
        assert!(parse(&["--max-block-txs", "20001"]).is_err());
        assert_eq!(parse(&[]).unwrap().mempool_max_txs, None);
        let s = parse(&["--mempool-max-txs", "20000"]).unwrap();
        assert_eq!(s.mempool_max_txs, Some(20_000));
        assert!(parse(&["--mempool-max-txs", "0"]).is_err());
    }

    #[test]
    fn resending_is_off_unless_asked_and_its_pause_needs_it() {
        assert_eq!(parse(&[]).unwrap().resend, None);
        let s = parse(&["--resend"]).unwrap();
        assert_eq!(s.resend, Some(Duration::from_millis(250)));
        let s = parse(&["--resend", "--resend-ms", "100"]).unwrap();
        assert_eq!(s.resend, Some(Duration::from_millis(100)));
        assert!(parse(&["--resend-ms", "100"]).is_err());
    }

    #[test]
    fn a_sweep_is_a_list_of_rates_and_excludes_rate() {
        assert_eq!(
            parse(&["--sweep", "1000,2000,5000"]).unwrap().rates,
            vec![1000, 2000, 5000]
        );
        assert!(parse(&["--sweep", "1000", "--rate", "5"]).is_err());
        assert!(parse(&["--sweep", "1000", "--mode", "consensus"]).is_err());
    }

    #[test]
    fn catchup_needs_a_quorum_without_the_stopped_validator() {
        assert!(parse(&["--mode", "catchup", "--validators", "3"]).is_err());
        assert!(parse(&["--mode", "catchup"]).is_ok());
    }

    #[test]
    fn a_missing_node_binary_says_how_to_get_one() {
        let err = Cli::try_parse_from(["vellum-bench", "--node-bin", "/nonexistent/vellum-node"])
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("cargo build --release -p vellum-node")
        );
    }
}
