//! Sealing a 32-byte secret under a password: Argon2id stretches the password into a key, and
//! XChaCha20-Poly1305 encrypts and authenticates the secret with it.
//!
//! Rule: `key = Argon2id(v19, m_kib, t, p; password, salt)` (32 bytes), then
//! `ciphertext = XChaCha20-Poly1305(key, nonce; secret, aad)`. Salt (16 bytes) and nonce
//! (24 bytes) are fresh from the operating system for every seal, and the parameters are stored
//! beside the ciphertext, so a file opens with the parameters it was sealed with whatever the
//! defaults become. The caller's `aad` binds the clear fields (the public key) to the
//! ciphertext: a ciphertext moved into another key's file does not open. A failed tag check
//! means a wrong password (or a damaged file); it is never a panic.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::exit::WalletError;

/// Set to `1` in tests only: seals with tiny Argon2 costs so a test suite runs in seconds.
/// Such files are as easy to brute-force as the password itself; never use it for real keys.
pub const TEST_KDF_ENV: &str = "VELLUM_WALLET_TEST_INSECURE_KDF";

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
/// Largest memory cost a file may ask for (4 GiB), so a hostile file cannot exhaust memory.
const MAX_M_KIB: u32 = 4 * 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 16;

/// The Argon2id costs and salt of one sealed secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub name: String,
    /// Argon2 version; 19 is 0x13.
    pub version: u32,
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// Hex of the salt.
    pub salt: String,
}

impl KdfParams {
    /// The defaults for real keys: 64 MiB, 3 passes, 1 lane (about a quarter of a second here).
    pub fn standard(salt: &[u8]) -> KdfParams {
        KdfParams {
            name: "argon2id".into(),
            version: 19,
            m_kib: 64 * 1024,
            t: 3,
            p: 1,
            salt: hex::encode(salt),
        }
    }

    /// Minimal costs, for tests only (see [`TEST_KDF_ENV`]).
    pub fn insecure_for_tests(salt: &[u8]) -> KdfParams {
        KdfParams {
            m_kib: 64,
            t: 1,
            ..KdfParams::standard(salt)
        }
    }
}

/// A sealed secret as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub kdf: KdfParams,
    /// Always `xchacha20-poly1305`.
    pub cipher: String,
    /// Hex of the 24-byte nonce.
    pub nonce: String,
    /// Hex of the encrypted secret and its 16-byte tag.
    pub ciphertext: String,
}

/// Why a sealed secret did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("wrong password")]
    WrongPassword,
    #[error("{0}")]
    Corrupt(String),
}

/// How hard new seals make a password to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfStrength {
    /// [`KdfParams::standard`]: for every real key.
    Standard,
    /// [`KdfParams::insecure_for_tests`]: test suites only.
    InsecureForTests,
}

impl KdfStrength {
    /// `InsecureForTests` when `VELLUM_WALLET_TEST_INSECURE_KDF=1`, else `Standard`.
    pub fn from_env() -> KdfStrength {
        if std::env::var(TEST_KDF_ENV).as_deref() == Ok("1") {
            KdfStrength::InsecureForTests
        } else {
            KdfStrength::Standard
        }
    }
}

/// Seals `secret` under `password`, bound to `aad`.
pub fn seal(
    password: &[u8],
    secret: &[u8; 32],
    aad: &[u8],
    strength: KdfStrength,
) -> Result<Sealed, WalletError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut salt)?;
    random(&mut nonce)?;
    let kdf = match strength {
        KdfStrength::Standard => KdfParams::standard(&salt),
        KdfStrength::InsecureForTests => KdfParams::insecure_for_tests(&salt),
    };
    let key = stretch(password, &kdf).map_err(|e| WalletError::Local(e.to_string()))?;
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad })
        .map_err(|_| WalletError::Local("encryption failed".into()))?;
    Ok(Sealed {
        kdf,
        cipher: "xchacha20-poly1305".into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Opens `sealed` with `password`; `aad` must be the one it was sealed with.
pub fn open(
    password: &[u8],
    sealed: &Sealed,
    aad: &[u8],
) -> Result<Zeroizing<[u8; 32]>, OpenError> {
    if sealed.cipher != "xchacha20-poly1305" {
        return Err(OpenError::Corrupt(format!(
            "unknown cipher {:?}",
            sealed.cipher
        )));
    }
    let nonce: [u8; NONCE_LEN] = decode_fixed(&sealed.nonce, "nonce")?;
    let ciphertext = hex::decode(&sealed.ciphertext)
        .map_err(|_| OpenError::Corrupt("ciphertext is not hex".into()))?;
    let key = stretch(password, &sealed.kdf)?;
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad,
                },
            )
            .map_err(|_| OpenError::WrongPassword)?,
    );
    let mut secret = Zeroizing::new([0u8; 32]);
    if plain.len() != secret.len() {
        return Err(OpenError::Corrupt("the secret is not 32 bytes".into()));
    }
    secret.copy_from_slice(&plain);
    Ok(secret)
}

fn stretch(password: &[u8], kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, OpenError> {
    if kdf.name != "argon2id" || kdf.version != 19 {
        return Err(OpenError::Corrupt(format!(
            "unknown key derivation {} v{}",
            kdf.name, kdf.version
        )));
    }
    if kdf.m_kib > MAX_M_KIB || kdf.t > MAX_T || kdf.p > MAX_P {
        return Err(OpenError::Corrupt(format!(
            "Argon2 costs m={} KiB, t={}, p={} are beyond what this wallet accepts",
            kdf.m_kib, kdf.t, kdf.p
        )));
    }
    let salt = hex::decode(&kdf.salt).map_err(|_| OpenError::Corrupt("salt is not hex".into()))?;
    let params = Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32))
        .map_err(|e| OpenError::Corrupt(format!("Argon2 parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password, &salt, key.as_mut_slice())
        .map_err(|e| OpenError::Corrupt(format!("Argon2: {e}")))?;
    Ok(key)
}

fn decode_fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], OpenError> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| OpenError::Corrupt(format!("{what} is not {N} bytes of hex")))
}

fn random(buf: &mut [u8]) -> Result<(), WalletError> {
    getrandom::fill(buf).map_err(|e| {
        WalletError::Local(format!(
            "the operating system's random generator failed: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seals with test costs without touching the process environment.
    fn seal_with(password: &[u8], secret: &[u8; 32], aad: &[u8]) -> Sealed {
        let salt = [9u8; SALT_LEN];
        let nonce = [3u8; NONCE_LEN];
        let kdf = KdfParams::insecure_for_tests(&salt);
        let key = stretch(password, &kdf).unwrap();
        let ciphertext = XChaCha20Poly1305::new(key.as_slice().into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad })
            .unwrap();
        Sealed {
            kdf,
            cipher: "xchacha20-poly1305".into(),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        }
    }

    #[test]
    fn a_sealed_secret_opens_with_its_password_and_aad_only() {
        let secret = [0x42u8; 32];
        let s = seal_with(b"correct horse", &secret, b"key-a");
        assert_eq!(*open(b"correct horse", &s, b"key-a").unwrap(), secret);
        assert_eq!(
            open(b"wrong horse", &s, b"key-a").unwrap_err(),
            OpenError::WrongPassword
        );
        assert_eq!(
            open(b"correct horse", &s, b"key-b").unwrap_err(),
            OpenError::WrongPassword,
            "a ciphertext moved to another key does not open"
        );
    }

    #[test]
    fn the_stored_parameters_are_the_ones_used_to_open() {
        let secret = [1u8; 32];
        let mut s = seal_with(b"pw", &secret, b"");
        s.kdf.t = 2;
        assert_eq!(
            open(b"pw", &s, b"").unwrap_err(),
            OpenError::WrongPassword,
            "other costs give another key"
        );
        s.kdf.t = 1;
        assert_eq!(*open(b"pw", &s, b"").unwrap(), secret);
    }

    #[test]
    fn damaged_or_hostile_files_are_refused_without_a_panic() {
        let s = seal_with(b"pw", &[1u8; 32], b"");
        let mut bad = s.clone();
        bad.nonce = "00".into();
        assert!(matches!(open(b"pw", &bad, b""), Err(OpenError::Corrupt(_))));
        let mut bad = s.clone();
        bad.kdf.m_kib = u32::MAX;
        assert!(matches!(open(b"pw", &bad, b""), Err(OpenError::Corrupt(_))));
        let mut bad = s.clone();
        bad.kdf.name = "scrypt".into();
        assert!(matches!(open(b"pw", &bad, b""), Err(OpenError::Corrupt(_))));
        let mut bad = s;
        bad.ciphertext.replace_range(0..2, "ff");
        assert!(open(b"pw", &bad, b"").is_err());
    }

    #[test]
    fn each_seal_uses_a_fresh_salt_and_nonce() {
        // `seal` itself, at the real costs: slow-ish (64 MiB) but run once.
        let a = seal(b"pw", &[5u8; 32], b"x", KdfStrength::Standard).unwrap();
        let b = seal(b"pw", &[5u8; 32], b"x", KdfStrength::InsecureForTests).unwrap();
        assert_eq!((a.kdf.m_kib, a.kdf.t, a.kdf.p), (65536, 3, 1));
        assert_ne!(a.kdf.salt, b.kdf.salt);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(*open(b"pw", &a, b"x").unwrap(), [5u8; 32]);
        assert_eq!(*open(b"pw", &b, b"x").unwrap(), [5u8; 32]);
    }
}
