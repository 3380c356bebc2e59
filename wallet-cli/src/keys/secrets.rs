//! Where the wallet gets the secrets a person types: the keystore password, the recovery
//! phrase and the optional BIP39 passphrase.
//!
//! Password, in this order: `--password-file FILE` (its first line), `$VELLUM_WALLET_PASSWORD`
//! (for scripts), else a prompt on the terminal without echo, asked twice when a key is
//! created. With no terminal and neither of the first two, the command stops with a usage
//! error instead of waiting. Nothing read here is ever printed; it is wiped after use.

use std::io::{IsTerminal, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::exit::WalletError;

/// The environment variable a script sets to the keystore password.
pub const PASSWORD_ENV: &str = "VELLUM_WALLET_PASSWORD";

/// Whether the password opens an existing key or seals a new one (asked twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordUse {
    Unlock,
    Create,
}

/// The keystore password for `key_name`.
pub fn password(
    file: Option<&Path>,
    key_name: &str,
    purpose: PasswordUse,
) -> Result<Zeroizing<String>, WalletError> {
    let password = if let Some(file) = file {
        first_line_of(file, "--password-file")?
    } else if let Some(env) = std::env::var_os(PASSWORD_ENV) {
        Zeroizing::new(
            env.into_string()
                .map_err(|_| WalletError::Usage(format!("{PASSWORD_ENV} is not valid UTF-8")))?,
        )
    } else {
        match purpose {
            PasswordUse::Unlock => prompt(&format!("Password for key {key_name:?}: "))?,
            PasswordUse::Create => prompt_twice(
                &format!("New password for key {key_name:?}: "),
                "Repeat the password: ",
                "the passwords differ",
            )?,
        }
    };
    if password.is_empty() && purpose == PasswordUse::Create {
        return Err(WalletError::Usage(
            "the password is empty: a key needs a password to be stored encrypted".into(),
        ));
    }
    Ok(password)
}

/// The recovery phrase: from `file`, else a hidden prompt on a terminal, else standard input.
pub fn recovery_phrase(file: Option<&Path>) -> Result<Zeroizing<String>, WalletError> {
    if let Some(file) = file {
        return read_secret_file(file, "--mnemonic-file");
    }
    if std::io::stdin().is_terminal() {
        return prompt("Recovery phrase (words separated by spaces; input is hidden): ");
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| WalletError::Usage(format!("cannot read the phrase from stdin: {e}")))?;
    Ok(text)
}

/// The BIP39 passphrase: empty unless asked for with `--bip39-passphrase` (a prompt, typed
/// twice: a typo would silently give other accounts) or `--bip39-passphrase-file`.
pub fn bip39_passphrase(ask: bool, file: Option<&Path>) -> Result<Zeroizing<String>, WalletError> {
    match (ask, file) {
        (_, Some(file)) => first_line_of(file, "--bip39-passphrase-file"),
        (true, None) => prompt_twice(
            "BIP39 passphrase: ",
            "Repeat the BIP39 passphrase: ",
            "the passphrases differ",
        ),
        (false, None) => Ok(Zeroizing::new(String::new())),
    }
}

fn prompt_twice(first: &str, again: &str, differ: &str) -> Result<Zeroizing<String>, WalletError> {
    let a = prompt(first)?;
    let b = prompt(again)?;
    if a != b {
        return Err(WalletError::Usage(format!("{differ}; nothing was saved")));
    }
    Ok(a)
}

fn prompt(text: &str) -> Result<Zeroizing<String>, WalletError> {
    let no_terminal = || {
        WalletError::Usage(format!(
            "no terminal to ask for a secret on: pass --password-file FILE or set \
             {PASSWORD_ENV} (and --mnemonic-file or --bip39-passphrase-file where needed)"
        ))
    };
    if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
        return Err(no_terminal());
    }
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|_| no_terminal())
}

fn read_secret_file(path: &Path, flag: &str) -> Result<Zeroizing<String>, WalletError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|e| WalletError::Usage(format!("{flag} {}: {e}", path.display())))
}

/// The first line of `path`, without its line ending.
fn first_line_of(path: &Path, flag: &str) -> Result<Zeroizing<String>, WalletError> {
    let text = read_secret_file(path, flag)?;
    let line = text.lines().next().unwrap_or("");
    Ok(Zeroizing::new(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_gives_its_first_line_without_the_line_ending() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pw");
        std::fs::write(&p, "s3cret pass\r\nignored\n").unwrap();
        let pw = password(Some(&p), "k", PasswordUse::Unlock).unwrap();
        assert_eq!(pw.as_str(), "s3cret pass");
    }

    #[test]
    fn an_empty_password_cannot_seal_a_new_key() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pw");
        std::fs::write(&p, "\n").unwrap();
        let e = password(Some(&p), "k", PasswordUse::Create).unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::EXIT_USAGE);
    }

    #[test]
    fn a_missing_file_is_a_usage_error_naming_the_flag() {
        let e = password(Some(Path::new("/nonexistent/pw")), "k", PasswordUse::Unlock).unwrap_err();
        assert!(e.to_string().contains("--password-file"), "{e}");
        assert_eq!(e.exit_code(), crate::exit::EXIT_USAGE);
    }

    #[test]
    fn no_passphrase_is_the_empty_passphrase() {
        assert_eq!(bip39_passphrase(false, None).unwrap().as_str(), "");
    }
}
