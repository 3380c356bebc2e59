//! The issuer's commands: `mint` (a deposit into an account) and `burn` (a withdrawal from the
//! issuer's own account). The ledger refuses them from any key that is not an issuer.

use vellum_protocol::{Amount, Operation};

use super::{Context, prepare_signing};
use crate::cli::{BurnArgs, MintArgs};
use crate::exit::WalletError;
use crate::output::Report;
use crate::send::{Request, send};

pub async fn mint(ctx: &Context, args: MintArgs) -> Result<Report, WalletError> {
    let (node, chain, amount) = prepare_signing(ctx, &args.key.key, Some(&args.amount)).await?;
    let request = Request {
        key_name: args.key.key,
        op: Operation::Mint {
            to: args.to,
            amount: amount.expect("an amount was given"),
        },
        spend: Amount::ZERO,
        nonce: args.send.nonce,
        wait: !args.send.no_wait,
    };
    send(ctx, &node, &chain, request).await
}

pub async fn burn(ctx: &Context, args: BurnArgs) -> Result<Report, WalletError> {
    let (node, chain, amount) = prepare_signing(ctx, &args.key.key, Some(&args.amount)).await?;
    let amount = amount.expect("an amount was given");
    let request = Request {
        key_name: args.key.key,
        op: Operation::Burn { amount },
        spend: amount,
        nonce: args.send.nonce,
        wait: !args.send.no_wait,
    };
    send(ctx, &node, &chain, request).await
}
