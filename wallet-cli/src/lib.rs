//! A command-line wallet: BIP39/SLIP-10 keys in an encrypted keystore, and signed transfers, issuer and admin operations against a Vellum node.
//!
//! # Layout
//! - [`cli`]: the commands and flags (clap); addresses, hashes and keys are parsed there.
//! - [`commands`]: one file per group of commands; each returns a [`output::Report`].
//! - [`keys`]: BIP39 phrases, SLIP-10 derivation (`m/44'/7373'/ACCOUNT'/0'/0'`), the encrypted
//!   keystore, genesis key-file import, and where passwords come from.
//! - [`node`]: the typed JSON-RPC client (`VellumApiClient`) over HTTP and WebSocket, and how
//!   its errors map to exit codes.
//! - [`send`]: checks, nonce, signing, submission with retries; [`finality`]: waiting for the
//!   final status; [`outbox`]: the local record of signed transactions not yet final.
//! - [`amounts`], [`ops`]: amounts and operations as a person reads them.
//! - [`output`], [`exit`]: text or `--json` output, and the exit codes 0/1/2/3.
//! - [`home`]: the wallet directory and its private files.
//!
//! Nothing secret is printed or logged, except the recovery phrase, once, by `new`.

pub mod amounts;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod finality;
pub mod home;
pub mod keys;
pub mod node;
pub mod ops;
pub mod outbox;
pub mod output;
pub mod send;

use std::ffi::OsString;

use clap::Parser;
use serde_json::json;

use crate::cli::Cli;
use crate::commands::Context;
use crate::exit::{EXIT_OK, EXIT_USAGE, WalletError};
use crate::home::WalletHome;
use crate::keys::sealing::KdfStrength;
use crate::output::{Format, print_error, print_report};

/// Runs the wallet with `args` (the program name first) and returns the exit status.
pub fn run(args: Vec<OsString>) -> u8 {
    let json_flag = args.iter().skip(1).any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.exit_code() == 0 => {
            let _ = e.print();
            return EXIT_OK;
        }
        Err(e) => {
            if json_flag {
                let message = e.render().to_string();
                let error = json!({"error": {
                    "kind": "usage",
                    "message": message.trim(),
                    "exit_code": EXIT_USAGE,
                }});
                eprintln!("{error}");
            } else {
                let _ = e.print();
            }
            return EXIT_USAGE;
        }
    };
    let format = Format::from_flag(cli.global.json);
    if format == Format::Json {
        output::quiet_notes();
    }
    match execute(cli) {
        Ok(report) => {
            print_report(format, &report);
            EXIT_OK
        }
        Err(e) => {
            print_error(format, &e);
            e.exit_code()
        }
    }
}

fn execute(cli: Cli) -> Result<output::Report, WalletError> {
    let ctx = Context {
        home: WalletHome::resolve(cli.global.home)?,
        rpc: cli.global.rpc,
        password_file: cli.global.password_file,
        kdf: KdfStrength::from_env(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| WalletError::Local(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(commands::run(&ctx, cli.command))
}
