//! `tx HASH`: a transaction's status and, when the node knows it, its content.

use serde_json::json;
use vellum_protocol::rpc::{TxStatus, VellumApiClient};

use super::{Context, chain_status};
use crate::cli::TxArgs;
use crate::exit::WalletError;
use crate::ops::describe;
use crate::output::Report;

pub async fn tx(ctx: &Context, args: TxArgs) -> Result<Report, WalletError> {
    let node = ctx.node()?;
    let chain = chain_status(&node).await?;
    let info = node
        .api()
        .tx_get(args.hash)
        .await
        .map_err(|e| node.error(e))?;
    let mut json = serde_json::to_value(&info).expect("a status serializes");
    let status = match &info.status {
        TxStatus::Pending => "pending: in the node's pool, not in a block yet".to_string(),
        TxStatus::Committed { height, index, .. } => {
            format!("committed in block {height} (index {index})")
        }
        TxStatus::Rejected {
            reason,
            message,
            height,
            ..
        } => {
            let place = height.map(|h| format!(" in block {h}")).unwrap_or_default();
            format!("rejected{place}: {message} ({reason})")
        }
        TxStatus::Expired => "expired: no block included it in time; nothing was spent".into(),
        TxStatus::Unknown => {
            "unknown: this node has never seen it (or refused it at submission)".into()
        }
    };
    let mut text = format!("tx      {}\nstatus  {status}", info.hash);
    if let Some(tx) = &info.tx {
        let summary = describe(&tx.op, chain.decimals);
        json["summary"] = json!(summary);
        text.push_str(&format!(
            "\nop      {summary}\nsender  {}\nnonce   {}\nchain   {}",
            tx.sender_address, tx.nonce, tx.chain_id
        ));
    }
    Ok(Report::new(json, text))
}
