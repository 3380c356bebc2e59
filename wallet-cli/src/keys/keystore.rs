//! The keystore: one JSON file per named key in `HOME/keys/NAME.json`, mode 0600.
//!
//! A file holds, in clear, the key's name, address, public key and origin (the derivation
//! path of a mnemonic key, or `key_file` for an imported genesis key), so `list`, `address`
//! and `export` need no password; and, sealed (see [`super::sealing`]), the 32-byte ed25519
//! secret. The mnemonic itself is not stored: it is the user's backup, shown once at `new`,
//! and a stolen keystore file plus its password then opens one account, never the others of
//! the same phrase. The sealing is bound to the public key, and opening checks that the secret
//! gives that public key and that the address is the public key's, so a damaged or edited file
//! is refused instead of signing as someone else.
//!
//! ```json
//! {"version":1,"name":"default","address":"vl1…","public_key":"<hex>",
//!  "origin":{"kind":"mnemonic","path":"m/44'/7373'/0'/0'/0'"},"created_ms":1767225600000,
//!  "secret":{"kdf":{"name":"argon2id","version":19,"m_kib":65536,"t":3,"p":1,"salt":"<hex>"},
//!            "cipher":"xchacha20-poly1305","nonce":"<hex>","ciphertext":"<hex>"}}
//! ```

use std::fs;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vellum_protocol::{Address, Keypair, PublicKey};
use zeroize::Zeroizing;

use super::sealing::{self, KdfStrength, OpenError, Sealed};
use crate::exit::WalletError;
use crate::home::{WalletHome, write_private_file};

/// The keystore file format's version.
pub const KEYSTORE_VERSION: u32 = 1;
/// The name of the key used when none is given.
pub const DEFAULT_KEY: &str = "default";
const AAD_TAG: &[u8] = b"VELLUM/WALLET/KEY/v1\0";
const MAX_NAME_LEN: usize = 64;

/// Where a key came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Derived from a BIP39 phrase at `path`.
    Mnemonic { path: String },
    /// Imported from a `vellum-genesis` account key file.
    KeyFile,
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::Mnemonic { path } => format!("mnemonic {path}"),
            Origin::KeyFile => "imported key file".into(),
        }
    }
}

/// One key file. Its `Debug` shows no secret (the secret is sealed anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredKey {
    pub version: u32,
    pub name: String,
    pub address: Address,
    pub public_key: PublicKey,
    pub origin: Origin,
    pub created_ms: u64,
    pub secret: Sealed,
}

/// The keys of one wallet home.
#[derive(Debug, Clone)]
pub struct Keystore {
    home: WalletHome,
    strength: KdfStrength,
}

impl Keystore {
    /// The keystore of `home`; new keys are sealed with `strength`.
    pub fn new(home: WalletHome, strength: KdfStrength) -> Keystore {
        Keystore { home, strength }
    }

    /// The file of key `name`; a name is 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, WalletError> {
        check_name(name)?;
        Ok(self.home.keys_dir().join(format!("{name}.json")))
    }

    /// Seals `key` under `password` and writes it as `name`. An existing name is refused
    /// unless `force`.
    pub fn create(
        &self,
        name: &str,
        key: &Keypair,
        origin: Origin,
        password: &[u8],
        force: bool,
    ) -> Result<StoredKey, WalletError> {
        self.check_free(name, force)?;
        let path = self.path_of(name)?;
        let public_key = key.public();
        let seed = Zeroizing::new(key.seed());
        let stored = StoredKey {
            version: KEYSTORE_VERSION,
            name: name.to_string(),
            address: Address::from_public_key(&public_key),
            public_key,
            origin,
            created_ms: now_ms(),
            secret: sealing::seal(password, &seed, &aad(&public_key), self.strength)?,
        };
        self.home.ensure_private(&self.home.keys_dir())?;
        let mut text = serde_json::to_string_pretty(&stored).expect("a key always serializes");
        text.push('\n');
        write_private_file(&path, text.as_bytes())?;
        Ok(stored)
    }

    /// Refuses `name` when a key has it, unless `force`: checked before any secret is asked.
    pub fn check_free(&self, name: &str, force: bool) -> Result<(), WalletError> {
        let path = self.path_of(name)?;
        if path.exists() && !force {
            return Err(WalletError::refused(format!(
                "a key named {name:?} exists already ({}); choose another --name, or pass \
                 --force to replace it (its old secret is then lost unless you have its backup)",
                path.display()
            )));
        }
        Ok(())
    }

    /// Reads key `name`'s file (no password needed) and checks its address.
    pub fn load(&self, name: &str) -> Result<StoredKey, WalletError> {
        let path = self.path_of(name)?;
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(WalletError::Usage(format!(
                    "there is no key named {name:?} in {}; see `vellum-wallet list`, or create \
                     one with `vellum-wallet new --name {name}`",
                    self.home.keys_dir().display()
                )));
            }
            Err(e) => return Err(WalletError::Local(format!("{}: {e}", path.display()))),
        };
        let corrupt = |why: String| {
            WalletError::Local(format!(
                "key file {} is damaged: {why}; restore it from a backup or recover the key again",
                path.display()
            ))
        };
        let stored: StoredKey = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        if stored.version != KEYSTORE_VERSION {
            return Err(corrupt(format!(
                "version {} is not {KEYSTORE_VERSION}; a newer wallet wrote it",
                stored.version
            )));
        }
        if stored.address != Address::from_public_key(&stored.public_key) {
            return Err(corrupt("its address is not its public key's".into()));
        }
        if stored.name != name {
            return Err(corrupt(format!("it names itself {:?}", stored.name)));
        }
        Ok(stored)
    }

    /// Every key, sorted by name. Files that are not keys are skipped.
    pub fn list(&self) -> Result<Vec<StoredKey>, WalletError> {
        let dir = self.home.keys_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(WalletError::Local(format!("{}: {e}", dir.display()))),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let file = e.file_name().into_string().ok()?;
                let name = file.strip_suffix(".json")?;
                check_name(name).ok()?;
                Some(name.to_string())
            })
            .collect();
        names.sort();
        names.iter().map(|n| self.load(n)).collect()
    }

    /// Opens `stored`'s secret with `password`. A wrong password is a refusal (exit 1).
    pub fn unlock(&self, stored: &StoredKey, password: &[u8]) -> Result<Keypair, WalletError> {
        let path = self.path_of(&stored.name)?;
        #[cfg(unix)]
        if let Ok(mode) = crate::home::mode_of(&path)
            && mode & 0o077 != 0
        {
            return Err(WalletError::refused(format!(
                "key file {} can be read by other users (mode {mode:o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
        let seed = sealing::open(password, &stored.secret, &aad(&stored.public_key)).map_err(
            |e| match e {
                OpenError::WrongPassword => WalletError::refused(format!(
                    "wrong password for key {:?} (or its file is damaged)",
                    stored.name
                )),
                OpenError::Corrupt(why) => {
                    WalletError::Local(format!("key file {} is damaged: {why}", path.display()))
                }
            },
        )?;
        let key = Keypair::from_seed(&seed);
        if key.public() != stored.public_key {
            return Err(WalletError::Local(format!(
                "key file {} is damaged: its secret does not give its public key",
                path.display()
            )));
        }
        Ok(key)
    }
}

fn aad(public_key: &PublicKey) -> Vec<u8> {
    [AAD_TAG, &public_key.0].concat()
}

fn check_name(name: &str) -> Result<(), WalletError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(WalletError::Usage(format!(
            "{name:?} is not a key name: use 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or \
             '-', not starting with '.'"
        )))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
