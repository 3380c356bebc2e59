//! `import`: an account key file from `vellum-genesis init` into the keystore.

use serde_json::json;

use super::Context;
use crate::cli::ImportArgs;
use crate::exit::WalletError;
use crate::keys::key_file::read_account_key_file;
use crate::keys::keystore::Origin;
use crate::keys::secrets::{self, PasswordUse};
use crate::output::Report;

pub fn import(ctx: &Context, args: ImportArgs) -> Result<Report, WalletError> {
    let keystore = ctx.keystore();
    keystore.check_free(&args.name.name, args.name.force)?;
    let key = read_account_key_file(&args.key_file)?;
    let password = secrets::password(
        ctx.password_file.as_deref(),
        &args.name.name,
        PasswordUse::Create,
    )?;
    ctx.warn_if_test_kdf(&args.name.name);
    let stored = keystore.create(
        &args.name.name,
        &key,
        Origin::KeyFile,
        password.as_bytes(),
        args.name.force,
    )?;
    Ok(Report::new(
        json!({
            "name": stored.name,
            "address": stored.address,
            "public_key": stored.public_key,
            "imported_from": args.key_file,
        }),
        format!(
            "Key {:?} imported from {}.\n  address     {}\n  public key  {}\nThe key file still holds the secret in clear: delete it once you have a backup.",
            stored.name,
            args.key_file.display(),
            stored.address,
            stored.public_key
        ),
    ))
}
