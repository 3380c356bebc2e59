//! The command line: every command, flag and help text (clap derive).
//!
//! Addresses, hashes and public keys are parsed here, so a mistyped one is a usage error
//! (exit 2) before anything else happens. Amounts are kept as text until the chain's decimals
//! are known (see [`crate::amounts`]).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use vellum_protocol::{Address, Hash, PublicKey};

use crate::keys::keystore::DEFAULT_KEY;
use crate::node::DEFAULT_RPC;

/// A Vellum wallet: keys in an encrypted keystore, balances, transfers, history, and the
/// issuer's and admin's operations.
///
/// Start with `vellum-wallet new` (a 24-word recovery phrase), `vellum-wallet recover`, or
/// `vellum-wallet import --key-file OUT/keys/demo.json` for a key `vellum-genesis init` wrote.
/// Signing commands wait until the transaction is final and print its block; `--no-wait`
/// returns at once with its hash.
///
/// Exit codes: 0 success; 1 refused (by the wallet, the node or the ledger; a wrong password);
/// 2 usage (bad arguments, nothing was sent); 3 the node cannot be reached.
#[derive(Debug, Parser)]
#[command(
    name = "vellum-wallet",
    version,
    about,
    long_about,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Print exactly one JSON document on stdout; errors are JSON on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// The node's JSON-RPC URL (its WebSocket is the same address).
    #[arg(long, global = true, env = "VELLUM_RPC", default_value = DEFAULT_RPC, value_name = "URL")]
    pub rpc: String,
    /// The wallet directory [default: $VELLUM_WALLET_HOME, else ~/.vellum-wallet].
    #[arg(long, global = true, env = "VELLUM_WALLET_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Read the keystore password from the first line of FILE instead of asking; scripts may
    /// set VELLUM_WALLET_PASSWORD instead.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a key from a new 24-word recovery phrase, shown once: write it down.
    New(NewArgs),
    /// Restore a key from its recovery phrase (asked for, or from --mnemonic-file or stdin).
    Recover(RecoverArgs),
    /// Import an account key file written by `vellum-genesis init` (issuer, admin, demo).
    Import(ImportArgs),
    /// List the keys in the wallet with their addresses.
    List,
    /// Print a key's address.
    Address(KeyArg),
    /// Print a key's public key and address (never its secret).
    Export(KeyArg),
    /// Show an account's balance, nonce and frozen flag.
    Balance(BalanceArgs),
    /// Send an amount to an address and wait until it is final.
    Transfer(TransferArgs),
    /// Show an account's transactions, newest first, one page at a time.
    History(HistoryArgs),
    /// Show a transaction's status and content.
    Tx(TxArgs),
    /// Show the chain: id, height, validators, decimals.
    Status,
    /// Issuer: create an amount in an account (a deposit).
    Mint(MintArgs),
    /// Issuer: destroy an amount from the issuer's own account (a withdrawal).
    Burn(BurnArgs),
    /// Admin: stop an account from sending.
    Freeze(FreezeArgs),
    /// Admin: let a frozen account send again.
    Unfreeze(FreezeArgs),
    /// Admin: add, change or remove a validator.
    #[command(subcommand)]
    Validator(ValidatorCommand),
}

/// Where a new key is written.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The key's name in the wallet.
    #[arg(long, default_value = DEFAULT_KEY, value_name = "NAME")]
    pub name: String,
    /// Replace an existing key of that name (its secret is lost unless you have its backup).
    #[arg(long)]
    pub force: bool,
}

/// Which account of a recovery phrase, and its optional BIP39 passphrase.
#[derive(Debug, Args)]
pub struct PhraseArgs {
    /// The account number N: the key at m/44'/7373'/N'/0'/0'.
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::keys::slip10::MAX_ACCOUNT)))]
    pub account: u32,
    /// Ask for a BIP39 passphrase (the "25th word"); without it the passphrase is empty.
    #[arg(long)]
    pub bip39_passphrase: bool,
    /// Read the BIP39 passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub bip39_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    #[command(flatten)]
    pub name: NameArgs,
    #[command(flatten)]
    pub phrase: PhraseArgs,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub name: NameArgs,
    #[command(flatten)]
    pub phrase: PhraseArgs,
    /// Read the recovery phrase from FILE instead of asking.
    #[arg(long, value_name = "FILE")]
    pub mnemonic_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The key file, e.g. OUT/keys/issuer.json from `vellum-genesis init --out OUT`.
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    #[command(flatten)]
    pub name: NameArgs,
}

/// The key a command reads or signs with.
#[derive(Debug, Args)]
pub struct KeyArg {
    /// The key's name in the wallet.
    #[arg(long = "key", visible_alias = "from", default_value = DEFAULT_KEY, value_name = "NAME")]
    pub key: String,
}

/// How a signed transaction is sent.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Sign with this nonce instead of the next free one (to replace a stuck transaction).
    #[arg(long, value_name = "N")]
    pub nonce: Option<u64>,
    /// Print the transaction's hash once the node accepted it, without waiting for a block.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// The account; the key's address when left out.
    #[arg(value_name = "ADDR")]
    pub address: Option<Address>,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// The recipient's address (vl1…).
    #[arg(long, value_name = "ADDR")]
    pub to: Address,
    /// The amount in display units, e.g. 12.34.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub amount: String,
    /// A note for the recipient (at most 256 bytes), public on the chain.
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub memo: String,
    #[command(flatten)]
    pub key: KeyArg,
    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The account; the key's address when left out.
    #[arg(value_name = "ADDR")]
    pub address: Option<Address>,
    /// Start after this entry: the `next` cursor a previous page printed.
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Entries per page, 1 to 100.
    #[arg(long, default_value_t = 20, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(Debug, Args)]
pub struct TxArgs {
    /// The transaction's hash (64 hex digits).
    #[arg(value_name = "HASH", value_parser = parse_hash)]
    pub hash: Hash,
}

#[derive(Debug, Args)]
pub struct MintArgs {
    /// The account that receives the amount.
    #[arg(long, value_name = "ADDR")]
    pub to: Address,
    /// The amount in display units.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub amount: String,
    #[command(flatten)]
    pub key: KeyArg,
    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Debug, Args)]
pub struct BurnArgs {
    /// The amount in display units, taken from the signer's own account.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub amount: String,
    #[command(flatten)]
    pub key: KeyArg,
    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// The account.
    #[arg(value_name = "ADDR")]
    pub account: Address,
    #[command(flatten)]
    pub key: KeyArg,
    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Debug, Subcommand)]
pub enum ValidatorCommand {
    /// Add a validator, or change its power, from a later height.
    Add(ValidatorAddArgs),
    /// Remove a validator from a later height.
    Remove(ValidatorRemoveArgs),
}

/// The admin key that signs a validator change (`--key` names the validator here).
#[derive(Debug, Args)]
pub struct SignerArg {
    /// The admin key's name in the wallet.
    #[arg(long = "from", default_value = DEFAULT_KEY, value_name = "NAME")]
    pub from: String,
}

#[derive(Debug, Args)]
pub struct ValidatorAddArgs {
    /// The validator's consensus public key (64 hex digits).
    #[arg(long, value_name = "HEX", value_parser = parse_public_key)]
    pub key: PublicKey,
    /// Its voting power, at least 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub power: u64,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Debug, Args)]
pub struct ValidatorRemoveArgs {
    /// The validator's consensus public key (64 hex digits).
    #[arg(long, value_name = "HEX", value_parser = parse_public_key)]
    pub key: PublicKey,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub send: SendArgs,
}

fn parse_hash(s: &str) -> Result<Hash, String> {
    Hash::from_hex(s.trim())
}

fn parse_public_key(s: &str) -> Result<PublicKey, String> {
    PublicKey::from_hex(s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_mistyped_address_is_a_clap_error() {
        let good = Address([1; 20]).to_string();
        let mut bad = good.clone().into_bytes();
        bad[10] = if bad[10] == b'q' { b'p' } else { b'q' };
        let bad = String::from_utf8(bad).unwrap();
        let ok = Cli::try_parse_from(["w", "transfer", "--to", &good, "--amount", "1"]);
        assert!(ok.is_ok());
        let e = Cli::try_parse_from(["w", "transfer", "--to", &bad, "--amount", "1"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("checksum"), "{e}");
    }

    #[test]
    fn negative_amounts_reach_the_wallet_for_a_clear_message() {
        let to = Address([1; 20]).to_string();
        let cli = Cli::try_parse_from(["w", "transfer", "--to", &to, "--amount", "-5"]).unwrap();
        match cli.command {
            Command::Transfer(t) => assert_eq!(t.amount, "-5"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validator_commands_name_the_validator_with_key_and_the_signer_with_from() {
        let key = "ab".repeat(32);
        let cli = Cli::try_parse_from([
            "w",
            "validator",
            "add",
            "--key",
            &key,
            "--power",
            "3",
            "--from",
            "admin",
        ])
        .unwrap();
        match cli.command {
            Command::Validator(ValidatorCommand::Add(a)) => {
                assert_eq!((a.power, a.signer.from.as_str()), (3, "admin"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            Cli::try_parse_from(["w", "validator", "add", "--key", "zz", "--power", "1"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["w", "validator", "add", "--key", &key, "--power", "0"]).is_err()
        );
    }
}
