//! Hashes, keys and signatures, and the one signature rule every path uses.
//!
//! Hashes are SHA-256. Signatures are ed25519 over domain-separated bytes: a fixed ASCII tag
//! ending in a NUL byte, then the signed body, which starts with the chain id. A signature is
//! valid under exactly one rule, RFC 8032 verification with the strict checks of
//! `verify_strict` (canonical `S`, no small-order public key or `R`); single and batch
//! verification give the same answer for every input (see [`verify_batch`]).

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

/// What a signature is for; its tag is the first bytes signed, so a signature made for one
/// purpose can never be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Transaction,
    Proposal,
    Vote,
}

impl Domain {
    pub const fn tag(self) -> &'static [u8] {
        match self {
            Domain::Transaction => b"VELLUM/TX/v1\0",
            Domain::Proposal => b"VELLUM/PROPOSAL/v1\0",
            Domain::Vote => b"VELLUM/VOTE/v1\0",
        }
    }
}

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub const ZERO: Hash = Hash([0; 32]);

    /// SHA-256 of the concatenation of `parts`.
    pub fn of(parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    pub fn from_hex(s: &str) -> Result<Hash, String> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s).map_err(|e| format!("hash: {e}"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "hash: expected 32 bytes (64 hex digits)".to_string())?;
        Ok(Hash(arr))
    }
}

macro_rules! hex_bytes_type {
    ($name:ident, $len:expr, $what:expr) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let h = hex::encode(self.0);
                write!(f, "{}({}..)", stringify!($name), &h[..12])
            }
        }
        impl Encode for $name {
            fn encode(&self, w: &mut Writer) {
                w.raw(&self.0);
            }
        }
        impl Decode for $name {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok($name(r.array()?))
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(self.0))
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                let s = s.strip_prefix("0x").unwrap_or(&s);
                let bytes = hex::decode(s).map_err(serde::de::Error::custom)?;
                let arr: [u8; $len] = bytes
                    .try_into()
                    .map_err(|_| serde::de::Error::custom(concat!($what, ": wrong length")))?;
                Ok($name(arr))
            }
        }
    };
}

hex_bytes_type!(Hash, 32, "hash");

/// An ed25519 public key, as its 32 bytes. It is checked to be a valid, strong key when a
/// signature is verified against it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);
hex_bytes_type!(PublicKey, 32, "public key");

impl PublicKey {
    pub fn from_hex(s: &str) -> Result<PublicKey, String> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s).map_err(|e| format!("public key: {e}"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "public key: expected 32 bytes (64 hex digits)".to_string())?;
        Ok(PublicKey(arr))
    }
}

/// An ed25519 signature, as its 64 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);
hex_bytes_type!(Signature, 64, "signature");

/// A signing key, made from a 32-byte seed (RFC 8032 secret key). Never printed.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({:?})", self.public())
    }
}

impl Keypair {
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair {
            signing: SigningKey::from_bytes(seed),
        }
    }
    /// The 32-byte seed; the caller is responsible for keeping it secret.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }
    /// Signs `body` in `domain`: the message is `domain.tag() || body`.
    pub fn sign(&self, domain: Domain, body: &[u8]) -> Signature {
        let msg = [domain.tag(), body].concat();
        Signature(self.signing.sign(&msg).to_bytes())
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is not a valid ed25519 point or is of small order")]
    BadKey,
    #[error("the signature does not verify")]
    Invalid,
}

fn strong_key(key: &PublicKey) -> Result<VerifyingKey, SignatureError> {
    let vk = VerifyingKey::from_bytes(&key.0).map_err(|_| SignatureError::BadKey)?;
    if vk.is_weak() {
        return Err(SignatureError::BadKey);
    }
    Ok(vk)
}

/// Verifies one signature under the rule of this module.
pub fn verify(
    key: &PublicKey,
    domain: Domain,
    body: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    let vk = strong_key(key)?;
    let msg = [domain.tag(), body].concat();
    let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
    vk.verify_strict(&msg, &sig)
        .map_err(|_| SignatureError::Invalid)
}

/// One item of a batch: a key, a domain, the signed body and the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignedItem<'a> {
    pub key: &'a PublicKey,
    pub domain: Domain,
    pub body: &'a [u8],
    pub signature: &'a Signature,
}

/// Verifies many signatures at once and says which are valid.
///
/// The answer is exactly [`verify`]'s for each item. The fast path is ed25519-dalek's batch
/// equation (deterministic: its randomness is derived from the inputs by a transcript, no RNG);
/// it runs only on items whose key is strong and whose `R` is not of small order, the checks
/// `verify_strict` adds. If the batch fails, each item is verified alone to find the bad ones.
pub fn verify_batch(items: &[SignedItem<'_>]) -> Vec<bool> {
    if items.len() < 4 {
        return items
            .iter()
            .map(|i| verify(i.key, i.domain, i.body, i.signature).is_ok())
            .collect();
    }
    let msgs: Vec<Vec<u8>> = items
        .iter()
        .map(|i| [i.domain.tag(), i.body].concat())
        .collect();
    let mut keys = Vec::with_capacity(items.len());
    let mut sigs = Vec::with_capacity(items.len());
    let mut prefilter_ok = true;
    for i in items {
        match strong_key(i.key) {
            Ok(vk) if !small_order_r(i.signature) && canonical_s(i.signature) => {
                keys.push(vk);
                sigs.push(ed25519_dalek::Signature::from_bytes(&i.signature.0));
            }
            _ => {
                prefilter_ok = false;
                break;
            }
        }
    }
    if prefilter_ok {
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        if ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok() {
            return vec![true; items.len()];
        }
    }
    items
        .iter()
        .map(|i| verify(i.key, i.domain, i.body, i.signature).is_ok())
        .collect()
}

/// `S` (the second half) must be below the group order, as `verify_strict` requires.
fn canonical_s(sig: &Signature) -> bool {
    // The group order l = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let s = &sig.0[32..];
    for i in (0..32).rev() {
        if s[i] != L[i] {
            return s[i] < L[i];
        }
    }
    false
}

/// `R` (the first half) encodes a point of small order: such signatures are refused by
/// `verify_strict`, so the batch path must refuse them too. The small-order points are found by
/// decompressing `R` as a public key and asking whether it is weak.
fn small_order_r(sig: &Signature) -> bool {
    let mut r = [0u8; 32];
    r.copy_from_slice(&sig.0[..32]);
    match VerifyingKey::from_bytes(&r) {
        Ok(p) => p.is_weak(),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(k: &'a PublicKey, body: &'a [u8], s: &'a Signature) -> SignedItem<'a> {
        SignedItem {
            key: k,
            domain: Domain::Transaction,
            body,
            signature: s,
        }
    }

    #[test]
    fn a_signature_is_bound_to_its_domain() {
        let kp = Keypair::from_seed(&[7; 32]);
        let sig = kp.sign(Domain::Vote, b"body");
        assert!(verify(&kp.public(), Domain::Vote, b"body", &sig).is_ok());
        assert_eq!(
            verify(&kp.public(), Domain::Proposal, b"body", &sig),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn batch_and_single_agree_on_good_and_bad_items() {
        let kps: Vec<Keypair> = (0..8u8).map(|i| Keypair::from_seed(&[i; 32])).collect();
        let keys: Vec<PublicKey> = kps.iter().map(Keypair::public).collect();
        let bodies: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 10]).collect();
        let mut sigs: Vec<Signature> = kps
            .iter()
            .zip(&bodies)
            .map(|(k, b)| k.sign(Domain::Transaction, b))
            .collect();
        let items: Vec<_> = (0..8)
            .map(|i| item(&keys[i], &bodies[i], &sigs[i]))
            .collect();
        assert_eq!(verify_batch(&items), vec![true; 8]);

        sigs[3].0[5] ^= 1;
        sigs[6].0[63] |= 0xf0; // non-canonical S
        let items: Vec<_> = (0..8)
            .map(|i| item(&keys[i], &bodies[i], &sigs[i]))
            .collect();
        let single: Vec<bool> = items
            .iter()
            .map(|i| verify(i.key, i.domain, i.body, i.signature).is_ok())
            .collect();
        assert_eq!(verify_batch(&items), single);
        assert_eq!(single.iter().filter(|ok| !**ok).count(), 2);
    }

    #[test]
    fn the_identity_key_is_refused() {
        let mut id = [0u8; 32];
        id[0] = 1; // the identity point, of small order
        let key = PublicKey(id);
        let sig = Signature([0; 64]);
        assert_eq!(
            verify(&key, Domain::Transaction, b"x", &sig),
            Err(SignatureError::BadKey)
        );
        let items = vec![item(&key, b"x", &sig); 5];
        assert_eq!(verify_batch(&items), vec![false; 5]);
    }
}
