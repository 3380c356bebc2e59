//! `new` and `recover`: a key from a recovery phrase, sealed into the keystore.
//!
//! `new` shows its 24 words exactly once, after the key is saved, with a warning; `recover`
//! reads a phrase and never shows it. Neither stores the phrase (see
//! [`crate::keys::keystore`]).

use serde_json::json;
use zeroize::Zeroizing;

use super::Context;
use crate::cli::{NewArgs, PhraseArgs, RecoverArgs};
use crate::exit::WalletError;
use crate::keys::keystore::{Origin, StoredKey};
use crate::keys::mnemonic::Phrase;
use crate::keys::secrets::{self, PasswordUse};
use crate::keys::slip10::DerivationPath;
use crate::output::Report;

/// The warning shown with a new phrase.
pub const BACKUP_WARNING: &str = "WRITE DOWN THESE WORDS, in order, and keep them offline. They are \
the only backup of this key: anyone who has them can spend its funds, and they will not be shown again.";

pub fn new(ctx: &Context, args: NewArgs) -> Result<Report, WalletError> {
    let keystore = ctx.keystore();
    keystore.check_free(&args.name.name, args.name.force)?;
    let passphrase = passphrase(&args.phrase)?;
    let password = secrets::password(
        ctx.password_file.as_deref(),
        &args.name.name,
        PasswordUse::Create,
    )?;
    let phrase = Phrase::generate()?;
    let stored = save(
        ctx,
        &args.name.name,
        args.name.force,
        &phrase,
        &passphrase,
        args.phrase.account,
        &password,
    )?;
    let words = phrase.words();
    let mut report = key_report(&stored, args.phrase.account, "created");
    report.json["mnemonic"] = json!(words.as_str());
    report.json["warning"] = json!(BACKUP_WARNING);
    report.text.push_str(&format!(
        "\n{}\n\nRecovery phrase ({} words):\n{}\n",
        wrap(BACKUP_WARNING, 80),
        phrase.word_count(),
        numbered(&words)
    ));
    Ok(report)
}

pub fn recover(ctx: &Context, args: RecoverArgs) -> Result<Report, WalletError> {
    let keystore = ctx.keystore();
    keystore.check_free(&args.name.name, args.name.force)?;
    let typed = secrets::recovery_phrase(args.mnemonic_file.as_deref())?;
    let phrase = Phrase::parse(&typed)?;
    drop(typed);
    let passphrase = passphrase(&args.phrase)?;
    let password = secrets::password(
        ctx.password_file.as_deref(),
        &args.name.name,
        PasswordUse::Create,
    )?;
    let stored = save(
        ctx,
        &args.name.name,
        args.name.force,
        &phrase,
        &passphrase,
        args.phrase.account,
        &password,
    )?;
    Ok(key_report(&stored, args.phrase.account, "recovered"))
}

fn passphrase(args: &PhraseArgs) -> Result<Zeroizing<String>, WalletError> {
    secrets::bip39_passphrase(args.bip39_passphrase, args.bip39_passphrase_file.as_deref())
}

fn save(
    ctx: &Context,
    name: &str,
    force: bool,
    phrase: &Phrase,
    passphrase: &str,
    account: u32,
    password: &str,
) -> Result<StoredKey, WalletError> {
    let key = phrase.account_key(passphrase, account);
    let origin = Origin::Mnemonic {
        path: DerivationPath::vellum(account).to_string(),
    };
    ctx.warn_if_test_kdf(name);
    ctx.keystore()
        .create(name, &key, origin, password.as_bytes(), force)
}

fn key_report(stored: &StoredKey, account: u32, verb: &str) -> Report {
    let path = DerivationPath::vellum(account).to_string();
    Report::new(
        json!({
            "name": stored.name,
            "address": stored.address,
            "public_key": stored.public_key,
            "account": account,
            "path": path,
        }),
        format!(
            "Key {:?} {verb}.\n  address     {}\n  public key  {}\n  path        {path}",
            stored.name, stored.address, stored.public_key
        ),
    )
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("\n")
}

/// The words numbered in rows of four, so they are copied in order.
fn numbered(words: &str) -> String {
    let list: Vec<&str> = words.split(' ').collect();
    list.chunks(4)
        .enumerate()
        .map(|(row, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{:>4}. {w:<10}", row * 4 + i + 1))
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warning_wraps_at_word_boundaries() {
        let w = wrap(BACKUP_WARNING, 80);
        assert!(w.lines().all(|l| l.len() <= 80), "{w}");
        assert_eq!(w.replace('\n', " "), BACKUP_WARNING);
    }

    #[test]
    fn words_are_numbered_in_order_four_per_row() {
        let words = (1..=24)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let shown = numbered(&words);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 6);
        assert!(lines[0].starts_with("   1. w1"), "{shown}");
        assert!(lines[5].contains("24. w24"), "{shown}");
    }
}
