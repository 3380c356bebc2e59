//! The commands, one file per group, and what they share: the [`Context`] of one invocation.
//!
//! Each command returns a [`Report`] (or an error) and prints nothing itself; see
//! [`crate::output`].

mod admin;
mod balance;
mod create;
mod history;
mod import;
mod issuer;
mod show;
mod status;
mod transfer;
mod tx;

use std::path::PathBuf;

use vellum_protocol::rpc::{ChainStatus, VellumApiClient};

use crate::cli::Command;
use crate::exit::WalletError;
use crate::home::WalletHome;
use crate::keys::keystore::Keystore;
use crate::keys::sealing::KdfStrength;
use crate::node::Node;
use crate::output::Report;

/// What every command may need: where the keys are, which node, where the password comes from.
#[derive(Debug, Clone)]
pub struct Context {
    pub home: WalletHome,
    pub rpc: String,
    pub password_file: Option<PathBuf>,
    pub kdf: KdfStrength,
}

impl Context {
    pub fn keystore(&self) -> Keystore {
        Keystore::new(self.home.clone(), self.kdf)
    }

    pub fn node(&self) -> Result<Node, WalletError> {
        Node::new(&self.rpc)
    }

    /// Says so when a new key is sealed with the test-only Argon2 costs.
    pub fn warn_if_test_kdf(&self, name: &str) {
        if self.kdf == KdfStrength::InsecureForTests {
            crate::output::note(&format!(
                "warning: {}=1: key {name:?} is sealed with test-only Argon2 costs",
                crate::keys::sealing::TEST_KDF_ENV
            ));
        }
    }
}

/// Runs `command`.
pub async fn run(ctx: &Context, command: Command) -> Result<Report, WalletError> {
    match command {
        Command::New(args) => create::new(ctx, args),
        Command::Recover(args) => create::recover(ctx, args),
        Command::Import(args) => import::import(ctx, args),
        Command::List => show::list(ctx),
        Command::Address(args) => show::address(ctx, args),
        Command::Export(args) => show::export(ctx, args),
        Command::Balance(args) => balance::balance(ctx, args).await,
        Command::Transfer(args) => transfer::transfer(ctx, args).await,
        Command::History(args) => history::history(ctx, args).await,
        Command::Tx(args) => tx::tx(ctx, args).await,
        Command::Status => status::status(ctx).await,
        Command::Mint(args) => issuer::mint(ctx, args).await,
        Command::Burn(args) => issuer::burn(ctx, args).await,
        Command::Freeze(args) => admin::freeze(ctx, args, true).await,
        Command::Unfreeze(args) => admin::freeze(ctx, args, false).await,
        Command::Validator(cmd) => admin::validator(ctx, cmd).await,
    }
}

/// The chain's id and decimals, which every signing command and amount needs.
pub(crate) async fn chain_status(node: &Node) -> Result<ChainStatus, WalletError> {
    node.api().chain_status().await.map_err(|e| node.error(e))
}

/// The address a read command is about: the one given, else the key's.
pub(crate) fn address_or_key(
    ctx: &Context,
    address: Option<vellum_protocol::Address>,
    key: &str,
) -> Result<vellum_protocol::Address, WalletError> {
    match address {
        Some(a) => Ok(a),
        None => Ok(ctx.keystore().load(key)?.address),
    }
}

/// What a signing command does before it builds its operation: checks the key exists and the
/// amount's form (usage errors, before the node is asked), then reads the chain and parses the
/// amount with the chain's decimals.
pub(crate) async fn prepare_signing(
    ctx: &Context,
    key_name: &str,
    amount: Option<&str>,
) -> Result<(Node, ChainStatus, Option<vellum_protocol::Amount>), WalletError> {
    ctx.keystore().load(key_name)?;
    if let Some(text) = amount {
        crate::amounts::check_form(text)?;
    }
    let node = ctx.node()?;
    let chain = chain_status(&node).await?;
    let amount = amount
        .map(|text| crate::amounts::parse(text, chain.decimals))
        .transpose()?;
    Ok((node, chain, amount))
}
