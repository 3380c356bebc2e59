//! `status`: the chain as the node sees it, and its validators.

use serde_json::json;
use vellum_protocol::rpc::VellumApiClient;

use super::{Context, chain_status};
use crate::exit::WalletError;
use crate::output::{Report, utc};

pub async fn status(ctx: &Context) -> Result<Report, WalletError> {
    let node = ctx.node()?;
    let chain = chain_status(&node).await?;
    let validators = node
        .api()
        .chain_get_validators()
        .await
        .map_err(|e| node.error(e))?;
    let mut json = serde_json::to_value(&chain).expect("a status serializes");
    json["validator_set"] = json!(validators);
    json["rpc"] = json!(node.url());
    let mut text = format!(
        "chain       {}\nheight      {} ({} UTC)\nvalidators  {}\ndecimals    {}\npeers       {}{}\nnode        {}",
        chain.chain_id,
        chain.height,
        utc(chain.latest_block_time_ms),
        chain.validators,
        chain.decimals,
        chain.peers,
        if chain.syncing { " (syncing)" } else { "" },
        node.url()
    );
    for v in &validators {
        text.push_str(&format!("\n  {}  power {}  {}", v.key, v.power, v.address));
    }
    Ok(Report::new(json, text))
}
