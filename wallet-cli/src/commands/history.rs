//! `history [ADDR] [--cursor C] [--limit N]`: one page of an account's transactions, newest
//! first, and the cursor of the next (older) page.

use serde_json::{Value, json};
use vellum_protocol::rpc::{HistoryEntry, HistoryRole, VellumApiClient};

use super::{Context, address_or_key, chain_status};
use crate::amounts::show;
use crate::cli::HistoryArgs;
use crate::exit::WalletError;
use crate::output::{Report, utc};

pub async fn history(ctx: &Context, args: HistoryArgs) -> Result<Report, WalletError> {
    let address = address_or_key(ctx, args.address, &args.key.key)?;
    let node = ctx.node()?;
    let chain = chain_status(&node).await?;
    let page = node
        .api()
        .account_get_history(address, args.cursor.clone(), Some(args.limit))
        .await
        .map_err(|e| node.error(e))?;
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).expect("an entry serializes");
            if let Some(a) = e.amount {
                v["amount_display"] = json!(show(a, chain.decimals));
            }
            v
        })
        .collect();
    let json = json!({
        "address": address,
        "decimals": chain.decimals,
        "entries": entries,
        "next_cursor": page.next_cursor,
    });
    let mut text = format!("History of {address}\n");
    if page.entries.is_empty() {
        text.push_str("  no transactions\n");
    }
    for e in &page.entries {
        text.push_str(&line(e, chain.decimals));
        text.push('\n');
    }
    match &page.next_cursor {
        Some(c) => text.push_str(&format!("next page: --cursor {c}")),
        None => text.push_str("(end of history)"),
    }
    Ok(Report::new(json, text))
}

fn line(e: &HistoryEntry, decimals: u8) -> String {
    let (sign, direction) = match e.role {
        HistoryRole::Sender => ("-", "to"),
        HistoryRole::Recipient => ("+", "from"),
        HistoryRole::Subject => ("", "by"),
    };
    let amount = e
        .amount
        .map(|a| format!("{sign}{}", show(a, decimals)))
        .unwrap_or_default();
    let party = e
        .counterparty
        .map(|c| format!("{direction} {c}"))
        .unwrap_or_default();
    let failed = e
        .reject_code
        .map(|c| format!("  REJECTED (code {c})"))
        .unwrap_or_default();
    format!(
        "  {}  block {:<6} {:<16} {:>16}  {party}{failed}\n      tx {}",
        utc(e.time_ms),
        e.height,
        e.kind,
        amount,
        e.tx_hash
    )
}
