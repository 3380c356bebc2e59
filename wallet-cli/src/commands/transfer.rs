//! `transfer --to ADDR --amount X [--memo TEXT]`: moves an amount to another account.

use vellum_protocol::Operation;
use vellum_protocol::transaction::MAX_MEMO_LEN;

use super::{Context, prepare_signing};
use crate::cli::TransferArgs;
use crate::exit::WalletError;
use crate::output::Report;
use crate::send::{Request, send};

pub async fn transfer(ctx: &Context, args: TransferArgs) -> Result<Report, WalletError> {
    if args.memo.len() > MAX_MEMO_LEN {
        return Err(WalletError::Usage(format!(
            "--memo is {} bytes; a memo has at most {MAX_MEMO_LEN}",
            args.memo.len()
        )));
    }
    let (node, chain, amount) = prepare_signing(ctx, &args.key.key, Some(&args.amount)).await?;
    let amount = amount.expect("an amount was given");
    let request = Request {
        key_name: args.key.key,
        op: Operation::Transfer {
            to: args.to,
            amount,
            memo: args.memo,
        },
        spend: amount,
        nonce: args.send.nonce,
        wait: !args.send.no_wait,
    };
    send(ctx, &node, &chain, request).await
}
