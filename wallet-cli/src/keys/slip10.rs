//! SLIP-0010 key derivation for ed25519: from a BIP39 seed to the key of one account.
//!
//! Rule (SLIP-0010, "ed25519 seed"): the master key and chain code are the halves of
//! `HMAC-SHA512(key = "ed25519 seed", data = seed)`; a child is the halves of
//! `HMAC-SHA512(key = parent chain code, data = 0x00 || parent key || ser32(i))`. Ed25519 has
//! hardened children only, so every index gets the hardened bit `2^31`. The 32-byte child key
//! is an RFC 8032 secret key: `Keypair::from_seed` turns it into the signing key.
//!
//! Vellum's path is `m/44'/7373'/ACCOUNT'/0'/0'` (BIP44 layout, all hardened). 7373 is the
//! SLIP-0044 coin type Vellum uses; it was unassigned in the SLIP-0044 registry when chosen.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;
use zeroize::Zeroizing;

/// The SLIP-0044 coin type of Vellum keys.
pub const COIN_TYPE: u32 = 7373;
/// The BIP44 purpose.
pub const PURPOSE: u32 = 44;
/// The hardened bit of a child index.
pub const HARDENED: u32 = 1 << 31;
/// Largest account number (indexes are 31 bits before the hardened bit).
pub const MAX_ACCOUNT: u32 = HARDENED - 1;

const ED25519_CURVE: &[u8] = b"ed25519 seed";

/// A private key and chain code at one point of the tree. The key is wiped on drop.
#[derive(Clone)]
pub struct ExtendedKey {
    pub key: Zeroizing<[u8; 32]>,
    pub chain_code: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for ExtendedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtendedKey(..)")
    }
}

impl ExtendedKey {
    /// The master key of `seed` (16 to 64 bytes; a BIP39 seed is 64).
    pub fn master(seed: &[u8]) -> ExtendedKey {
        split(hmac_sha512(ED25519_CURVE, &[seed]))
    }

    /// The hardened child `index` (the hardened bit is added; an index already carrying it is
    /// the same child).
    pub fn child(&self, index: u32) -> ExtendedKey {
        let i = (index | HARDENED).to_be_bytes();
        split(hmac_sha512(
            self.chain_code.as_slice(),
            &[&[0u8], self.key.as_slice(), &i],
        ))
    }

    /// The key at `path` below this one.
    pub fn derive(&self, path: &DerivationPath) -> ExtendedKey {
        path.0.iter().fold(self.clone(), |k, i| k.child(*i))
    }
}

fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 64]> {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes a key of any length");
    for p in parts {
        mac.update(p);
    }
    let mut out = Zeroizing::new([0u8; 64]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn split(i: Zeroizing<[u8; 64]>) -> ExtendedKey {
    let mut key = Zeroizing::new([0u8; 32]);
    let mut chain_code = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&i[..32]);
    chain_code.copy_from_slice(&i[32..]);
    ExtendedKey { key, chain_code }
}

/// A path of hardened indexes below the master key, e.g. `m/44'/7373'/0'/0'/0'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivationPath(pub Vec<u32>);

impl DerivationPath {
    /// The path of a Vellum account: `m/44'/7373'/account'/0'/0'`.
    pub fn vellum(account: u32) -> DerivationPath {
        DerivationPath(vec![PURPOSE, COIN_TYPE, account, 0, 0])
    }
}

impl fmt::Display for DerivationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("m")?;
        for i in &self.0 {
            write!(f, "/{}'", i & !HARDENED)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
