//! `vellum-genesis`: the command line over the `vellum_genesis` library (clap only; the work is
//! in `init::init_network` and `check`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use vellum_genesis::check::{check_genesis, read_genesis_file};
use vellum_genesis::init::{InitOptions, NetworkSummary, init_network, parse_opening_balance};

/// Create the keys, genesis.json and node configs of a Vellum network, or check a genesis file.
#[derive(Debug, Parser)]
#[command(name = "vellum-genesis", version, after_help = EXAMPLES)]
struct Cli {
    /// Print one JSON document on stdout instead of text (also on failure).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  vellum-genesis init --validators 4 --out ./localnet
  vellum-genesis init --validators 4 --out ./localnet --base-port 26656 --force
  vellum-genesis validate ./localnet/genesis.json

Exit status: 0 on success, 1 on any error or genesis fault, 2 on a usage error.
The file formats are described in docs/GENESIS.md.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new network in a directory: keys, genesis.json, and a home directory per node.
    ///
    /// Writes OUT/genesis.json, OUT/keys/{issuer,admin,demo}.json (account keys), and for each
    /// validator OUT/nodeI/ holding config.toml, genesis.json and keys/{consensus,node}.json.
    /// Key files are readable by you only. Keep OUT/keys and every nodeI/keys secret.
    Init(InitArgs),
    /// Check a genesis file: print every fault with what to change, or a one-line summary.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
struct InitArgs {
    /// Number of validators (1 to 256). 4 tolerates one faulty validator, 7 two (n = 3f + 1).
    #[arg(long, value_name = "N")]
    validators: usize,
    /// The network directory to create (it may exist; its genesis.json may not, unless --force).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The chain id: 1 to 64 characters from a-z, 0-9, '-', '_' and '.' (e.g. vellum-devnet)
    #[arg(long, value_name = "ID", default_value = "vellum-localnet")]
    chain_id: String,
    /// The IP address every node listens on and the others dial it at.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Use fixed ports: node i gets P+3i (p2p), P+3i+1 (rpc), P+3i+2 (metrics); all must be
    /// free. Without it, free ports are chosen for you.
    #[arg(long, value_name = "P")]
    base_port: Option<u16>,
    /// Decimals of the currency: with 2, an amount of "12.34" is 1234 minor units.
    #[arg(long, value_name = "D", default_value_t = 2)]
    decimals: u8,
    /// An opening balance, in display units (e.g. vl1...=2500.00). Repeat for more accounts. A
    /// demo account with 1000000 is always added, its key in OUT/keys/demo.json.
    #[arg(long = "account", value_name = "ADDR=AMOUNT")]
    accounts: Vec<String>,
    /// Replace an existing OUT/genesis.json and all keys in OUT (the old network is lost).
    #[arg(long)]
    force: bool,
    /// Make each node propose an empty block after this many milliseconds without one (a
    /// live chain for demos and monitoring); 0, the default, makes blocks only for transactions.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    heartbeat_ms: u64,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// The genesis file, e.g. ./localnet/genesis.json.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Init(args) => init(args, cli.json),
        Command::Validate(args) => validate(&args.file, cli.json),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            if cli.json {
                print_json(&json!({ "ok": false, "error": format!("{error:#}") }));
            } else {
                eprintln!("error: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn init(args: &InitArgs, json: bool) -> Result<ExitCode> {
    let accounts = args
        .accounts
        .iter()
        .map(|text| parse_opening_balance(text, args.decimals))
        .collect::<Result<Vec<_>>>()?;
    let options = InitOptions {
        validators: args.validators,
        out: args.out.clone(),
        chain_id: args.chain_id.clone(),
        host: args.host,
        base_port: args.base_port,
        decimals: args.decimals,
        accounts,
        force: args.force,
        genesis_time_ms: None,
        heartbeat_ms: args.heartbeat_ms,
        consensus: Default::default(),
    };
    let summary = init_network(&options)?;
    if json {
        print_json(&serde_json::to_value(&summary)?);
    } else {
        print_network(&summary, &args.out);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_network(s: &NetworkSummary, out: &Path) {
    let amount = |a: vellum_protocol::Amount| a.display(s.decimals);
    println!(
        "Created chain {} with {} validator(s) in {}",
        s.chain_id,
        s.nodes.len(),
        out.display()
    );
    println!(
        "  genesis   {} (hash {})",
        s.genesis_file.display(),
        s.genesis_hash
    );
    for node in &s.nodes {
        println!(
            "  {:<8}  rpc {}  p2p {}  home {}",
            node.name,
            node.rpc_url,
            node.ports.p2p,
            node.home.display()
        );
    }
    for (role, account) in [
        ("issuer", &s.issuer),
        ("admin", &s.admin),
        ("demo", &s.demo),
    ] {
        println!(
            "  {role:<8}  {}  balance {}  key {}",
            account.address,
            amount(account.balance),
            account.key_file.display()
        );
    }
    println!(
        "Each nodeI/ directory is a node's home (config.toml, genesis.json, keys/). The keys \
         are secret and readable by you only: {}/keys and every nodeI/keys.",
        out.display()
    );
}

fn validate(file: &Path, json: bool) -> Result<ExitCode> {
    let genesis = read_genesis_file(file)?;
    match check_genesis(&genesis) {
        Ok(summary) => {
            if json {
                print_json(&json!({ "ok": true, "file": file, "summary": summary }));
            } else {
                println!("OK {}: {}", file.display(), summary.one_line());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(faults) => {
            if json {
                let faults: Vec<Value> = faults
                    .iter()
                    .map(|f| {
                        let mut v = serde_json::to_value(f).expect("a fault serializes");
                        v["message"] = Value::String(f.to_string());
                        v
                    })
                    .collect();
                print_json(&json!({ "ok": false, "file": file, "faults": faults }));
            } else {
                println!(
                    "{}: {} fault(s); change these and run validate again:",
                    file.display(),
                    faults.len()
                );
                for (i, fault) in faults.iter().enumerate() {
                    println!("  {}. {fault}", i + 1);
                }
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    );
}
