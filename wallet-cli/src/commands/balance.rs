//! `balance [ADDR]`: an account's balance in display units, its nonces and frozen flag.

use serde_json::json;
use vellum_protocol::rpc::VellumApiClient;

use super::{Context, address_or_key, chain_status};
use crate::amounts::show;
use crate::cli::BalanceArgs;
use crate::exit::WalletError;
use crate::output::Report;

pub async fn balance(ctx: &Context, args: BalanceArgs) -> Result<Report, WalletError> {
    let address = address_or_key(ctx, args.address, &args.key.key)?;
    let node = ctx.node()?;
    let chain = chain_status(&node).await?;
    let account = node
        .api()
        .account_get(address)
        .await
        .map_err(|e| node.error(e))?;
    let shown = show(account.balance, chain.decimals);
    let json = json!({
        "address": account.address,
        "balance": shown,
        "balance_units": account.balance,
        "decimals": chain.decimals,
        "nonce": account.nonce,
        "pending_nonce": account.pending_nonce,
        "frozen": account.frozen,
        "height": chain.height,
    });
    let mut text = format!(
        "{}\n  balance  {shown}\n  nonce    {}",
        account.address, account.nonce
    );
    if let Some(p) = account.pending_nonce {
        text.push_str(&format!(" ({} pending)", p.saturating_sub(account.nonce)));
    }
    if account.frozen {
        text.push_str("\n  FROZEN: this account cannot send");
    }
    text.push_str(&format!("\n  as of block {}", chain.height));
    Ok(Report::new(json, text))
}
