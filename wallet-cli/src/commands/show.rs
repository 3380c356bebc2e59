//! `list`, `address` and `export`: a key's public parts, read without a password.

use serde_json::{Value, json};

use super::Context;
use crate::cli::KeyArg;
use crate::exit::WalletError;
use crate::keys::keystore::StoredKey;
use crate::output::Report;

pub fn list(ctx: &Context) -> Result<Report, WalletError> {
    let keys = ctx.keystore().list()?;
    let json = json!({ "keys": keys.iter().map(public_json).collect::<Vec<Value>>() });
    if keys.is_empty() {
        let text = format!(
            "No keys in {}: create one with `vellum-wallet new`, or `vellum-wallet import --key-file FILE`.",
            ctx.home.keys_dir().display()
        );
        return Ok(Report::new(json, text));
    }
    let width = keys.iter().map(|k| k.name.len()).max().unwrap_or(4).max(4);
    let mut text = format!("{:<width$}  {:<44}  ORIGIN\n", "NAME", "ADDRESS");
    for k in &keys {
        text.push_str(&format!(
            "{:<width$}  {:<44}  {}\n",
            k.name,
            k.address.to_string(),
            k.origin.describe()
        ));
    }
    Ok(Report::new(json, text))
}

pub fn address(ctx: &Context, args: KeyArg) -> Result<Report, WalletError> {
    let k = ctx.keystore().load(&args.key)?;
    Ok(Report::new(
        json!({"name": k.name, "address": k.address}),
        k.address.to_string(),
    ))
}

pub fn export(ctx: &Context, args: KeyArg) -> Result<Report, WalletError> {
    let k = ctx.keystore().load(&args.key)?;
    Ok(Report::new(
        public_json(&k),
        format!(
            "name        {}\naddress     {}\npublic key  {}\norigin      {}",
            k.name,
            k.address,
            k.public_key,
            k.origin.describe()
        ),
    ))
}

/// A key's public parts; never anything sealed.
fn public_json(k: &StoredKey) -> Value {
    json!({
        "name": k.name,
        "address": k.address,
        "public_key": k.public_key,
        "origin": k.origin,
        "created_ms": k.created_ms,
    })
}
