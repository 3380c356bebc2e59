//! The admin's commands: `freeze`, `unfreeze`, `validator add` and `validator remove`. The
//! ledger refuses them from any key that is not an admin.

use vellum_protocol::{Amount, Operation};

use super::{Context, prepare_signing};
use crate::cli::{FreezeArgs, SendArgs, ValidatorCommand};
use crate::exit::WalletError;
use crate::output::Report;
use crate::send::{Request, send};

pub async fn freeze(ctx: &Context, args: FreezeArgs, freeze: bool) -> Result<Report, WalletError> {
    let op = if freeze {
        Operation::Freeze {
            account: args.account,
        }
    } else {
        Operation::Unfreeze {
            account: args.account,
        }
    };
    sign_admin(ctx, args.key.key, op, args.send).await
}

pub async fn validator(ctx: &Context, cmd: ValidatorCommand) -> Result<Report, WalletError> {
    match cmd {
        ValidatorCommand::Add(a) => {
            let op = Operation::AddValidator {
                key: a.key,
                power: a.power,
            };
            sign_admin(ctx, a.signer.from, op, a.send).await
        }
        ValidatorCommand::Remove(a) => {
            let op = Operation::RemoveValidator { key: a.key };
            sign_admin(ctx, a.signer.from, op, a.send).await
        }
    }
}

async fn sign_admin(
    ctx: &Context,
    key_name: String,
    op: Operation,
    send_args: SendArgs,
) -> Result<Report, WalletError> {
    let (node, chain, _) = prepare_signing(ctx, &key_name, None).await?;
    let request = Request {
        key_name,
        op,
        spend: Amount::ZERO,
        nonce: send_args.nonce,
        wait: !send_args.no_wait,
    };
    send(ctx, &node, &chain, request).await
}
