//! Hashes, keys and signatures, and the one signature rule every path uses.
//!
//! Hashes are SHA-256. Signatures are ed25519 over domain-separated bytes: a fixed ASCII tag
//! ending in a NUL byte, then the signed body, which starts with the chain id. A signature is
//! valid under exactly one rule, the cofactored RFC 8032 equation with canonical encodings
//! (see [`verify`]); single and batch verification give the same answer for every input (see
//! [`verify_batch`]), which a batchable rule makes possible: with the cofactorless equation a
//! batch's answer for a signature with a small-order component would depend on the other items.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256, Sha512};

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

mod decompress;
mod field;
#[cfg(target_arch = "x86_64")]
mod field_x8;
mod short_sha256;
/// No vector field arithmetic on this architecture: `field_x8`'s two entry points, saying so,
/// and every point goes to curve25519-dalek.
#[cfg(not(target_arch = "x86_64"))]
mod field_x8 {
    use super::field::Fe;

    pub(super) fn available() -> bool {
        false
    }

    pub(super) fn candidate_roots(_: &[Fe]) -> Option<Vec<Fe>> {
        None
    }
}

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
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len <= short_sha256::MAX_LEN {
            return Hash(short_sha256::digest(parts, len));
        }
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

impl Signature {
    /// The first half: the encoding of the point `R`.
    fn r_bytes(&self) -> [u8; 32] {
        self.0[..32].try_into().expect("32 bytes")
    }
}

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
    #[error("the public key is not a canonical ed25519 point, or is of small order")]
    BadKey,
    #[error("the signature is malformed (R not a canonical point, or S not below the group order)")]
    Malformed,
    #[error("the signature does not verify")]
    Invalid,
}

/// One signature's inputs, decoded and checked for form: `A`, `R`, `S` and `k = H(R||A||M)`.
struct Prepared {
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

/// The point `bytes` encode, if the encoding is canonical ([`is_canonical_encoding`]).
fn canonical_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !is_canonical_encoding(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// Whether `bytes` is a canonical encoding of a curve point as far as the bytes tell: `y < p`,
/// and no sign bit on a point whose `x` is zero (only `y = 1` and `y = p - 1` have `x = 0`).
/// Checked on the bytes, which is far cheaper than compressing the point again; whether it is
/// a point at all, decompression says.
fn is_canonical_encoding(bytes: &[u8; 32]) -> bool {
    let sign = bytes[31] & 0x80 != 0;
    let top = bytes[31] & 0x7f;
    let middle_all_ff = bytes[1..31].iter().all(|b| *b == 0xff);
    // y >= p = 2^255 - 19 means y is one of the 19 values from p to 2^255 - 1.
    if top == 0x7f && middle_all_ff && bytes[0] >= 0xed {
        return false;
    }
    if sign {
        let y_is_one = bytes[0] == 1 && bytes[1..31].iter().all(|b| *b == 0) && top == 0;
        let y_is_minus_one = bytes[0] == 0xec && middle_all_ff && top == 0x7f;
        if y_is_one || y_is_minus_one {
            return false;
        }
    }
    true
}

/// [`canonical_point`] of each encoding, the decompressions done together
/// ([`decompress::decompress_all`]).
fn canonical_points(encodings: &[[u8; 32]]) -> Vec<Option<EdwardsPoint>> {
    let canonical: Vec<bool> = encodings.iter().map(is_canonical_encoding).collect();
    let kept: Vec<[u8; 32]> = encodings
        .iter()
        .zip(&canonical)
        .filter_map(|(e, canonical)| canonical.then_some(*e))
        .collect();
    let mut points = decompress::decompress_all(&kept).into_iter();
    canonical
        .into_iter()
        .map(|canonical| {
            canonical
                .then(|| points.next().expect("one point per canonical encoding"))
                .flatten()
        })
        .collect()
}

/// A public key checked once for the signature rule (a canonical point, not of small order)
/// and kept decompressed, so that many signatures by the same key skip its decompression.
#[derive(Clone, Copy, Debug)]
pub struct CheckedKey {
    key: PublicKey,
    point: EdwardsPoint,
}

impl CheckedKey {
    /// Decompresses and checks `key`: [`SignatureError::BadKey`] for a key no signature can be
    /// valid under.
    pub fn new(key: &PublicKey) -> Result<CheckedKey, SignatureError> {
        let point = canonical_point(&key.0).ok_or(SignatureError::BadKey)?;
        if point.is_small_order() {
            return Err(SignatureError::BadKey);
        }
        Ok(CheckedKey { key: *key, point })
    }
    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

fn prepare(
    key: &CheckedKey,
    domain: Domain,
    body: &[u8],
    sig: &Signature,
) -> Result<Prepared, SignatureError> {
    prepare_with_r(key, domain, body, sig, canonical_point(&sig.r_bytes()))
}

/// [`prepare`] given `R` decompressed (`None` if it is no canonical point).
fn prepare_with_r(
    key: &CheckedKey,
    domain: Domain,
    body: &[u8],
    sig: &Signature,
    r: Option<EdwardsPoint>,
) -> Result<Prepared, SignatureError> {
    let r_bytes = sig.r_bytes();
    let s_bytes: [u8; 32] = sig.0[32..].try_into().expect("32 bytes");
    let r = r.ok_or(SignatureError::Malformed)?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
        .ok_or(SignatureError::Malformed)?;
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(key.key.0);
    h.update(domain.tag());
    h.update(body);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    Ok(Prepared {
        a: key.point,
        r,
        s,
        k,
    })
}

/// Verifies one signature under the rule of this module: `A` and `R` canonical points, `A` not
/// of small order, `S < l`, and the cofactored equation `[8]([S]B - [k]A - R) = 0` with
/// `k = SHA-512(R || A || tag || body) mod l`.
pub fn verify(
    key: &PublicKey,
    domain: Domain,
    body: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    verify_checked(&CheckedKey::new(key)?, domain, body, sig)
}

/// [`verify`] by a key already checked.
pub fn verify_checked(
    key: &CheckedKey,
    domain: Domain,
    body: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    let p = prepare(key, domain, body, sig)?;
    let residue = EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &-p.a, &p.s) - p.r;
    if residue.mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// One item of a batch: a key, a domain, the signed body and the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignedItem<'a> {
    pub key: &'a PublicKey,
    pub domain: Domain,
    pub body: &'a [u8],
    pub signature: &'a Signature,
}

/// One item of a batch whose key was checked beforehand (see [`CheckedKey`]).
#[derive(Debug, Clone, Copy)]
pub struct CheckedItem<'a> {
    pub key: &'a CheckedKey,
    pub domain: Domain,
    pub body: &'a [u8],
    pub signature: &'a Signature,
}

/// Verifies many signatures at once and says which are valid: [`verify`]'s answer for each
/// item, whatever else is in the batch. Each key is decompressed here; a caller that sees the
/// same keys again should keep [`CheckedKey`]s and use [`verify_batch_checked`].
pub fn verify_batch(items: &[SignedItem<'_>]) -> Vec<bool> {
    let keys: Vec<Option<CheckedKey>> = items.iter().map(|i| CheckedKey::new(i.key).ok()).collect();
    let (indices, checked): (Vec<usize>, Vec<CheckedItem<'_>>) = items
        .iter()
        .zip(&keys)
        .enumerate()
        .filter_map(|(index, (i, key))| {
            let key = key.as_ref()?;
            Some((
                index,
                CheckedItem {
                    key,
                    domain: i.domain,
                    body: i.body,
                    signature: i.signature,
                },
            ))
        })
        .unzip();
    let mut answers = vec![false; items.len()];
    for (index, ok) in indices.into_iter().zip(verify_batch_checked(&checked)) {
        answers[index] = ok;
    }
    answers
}

/// Whether batches decompress their signatures' `R` points together in AVX-512 IFMA lanes
/// (`decompress`): true on a CPU with those instructions once the layout check has passed;
/// otherwise curve25519-dalek decompresses each point alone, with the same answers and about
/// four times the CPU per point (docs/PERFORMANCE.md). Decided on the first call and kept.
pub fn batch_decompression_in_use() -> bool {
    decompress::fast_path_works()
}

/// [`verify_batch`] for items whose keys are checked.
///
/// The batch equation is the sum of the items' cofactored equations, each weighted by a 128-bit
/// coefficient `z_i`: `[8]([Σ z_i S_i]B - Σ [z_i k_i]A_i - Σ [z_i]R_i) = 0`, one multiscalar
/// multiplication, in which a key that signs several items is one point. Because every item's
/// own equation is cofactored, a small-order residue in one item can never be cancelled by its
/// coefficient, so the batch agrees with single verification (up to the 2^-128 chance of a
/// false accept that every batch verifier has). The coefficients are SHA-512 of all the batch's
/// inputs (four 16-byte coefficients per digest), so the batch reads no randomness and a signer
/// cannot choose them. If the batch fails, each item is verified alone to find the bad ones.
pub fn verify_batch_checked(items: &[CheckedItem<'_>]) -> Vec<bool> {
    let single = |i: &CheckedItem<'_>| verify_checked(i.key, i.domain, i.body, i.signature).is_ok();
    if items.len() < 2 {
        return items.iter().map(single).collect();
    }
    let prepared = prepare_all(items);
    if batch_equation_holds(items, &prepared) {
        // Every well-formed item verifies; malformed ones were left out and are refused.
        return prepared.iter().map(Option::is_some).collect();
    }
    items.iter().map(single).collect()
}

/// Each item prepared, `None` for a malformed one; the `R`s are decompressed together.
fn prepare_all(items: &[CheckedItem<'_>]) -> Vec<Option<Prepared>> {
    let rs: Vec<[u8; 32]> = items.iter().map(|i| i.signature.r_bytes()).collect();
    items
        .iter()
        .zip(canonical_points(&rs))
        .map(|(i, r)| prepare_with_r(i.key, i.domain, i.body, i.signature, r).ok())
        .collect()
}

/// The batch equation of [`verify_batch_checked`] over the well-formed items (`prepared[i]` is
/// `items[i]` prepared, `None` for a malformed one, which is left out).
fn batch_equation_holds(items: &[CheckedItem<'_>], prepared: &[Option<Prepared>]) -> bool {
    let mut seed = Sha512::new();
    seed.update(b"VELLUM/BATCH/v1\0");
    for (i, p) in items.iter().zip(prepared) {
        seed.update(i.signature.0);
        seed.update(i.key.key.0);
        if let Some(p) = p {
            seed.update(p.k.as_bytes());
        }
    }
    let seed: [u8; 64] = seed.finalize().into();
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    // Where each key's term is: a key that signs several items of the batch is one point
    // whose scalar is the sum of theirs, `Σ [z_i k_i]A = [Σ z_i k_i]A`.
    let mut key_terms: HashMap<&[u8; 32], usize> = HashMap::with_capacity(items.len());
    let mut s_sum = Scalar::ZERO;
    let mut digest = [0u8; 64];
    for ((index, p), item) in prepared.iter().enumerate().zip(items) {
        if index % 4 == 0 {
            let mut zh = Sha512::new();
            zh.update(seed);
            zh.update((index as u64 / 4).to_be_bytes());
            digest = zh.finalize().into();
        }
        let Some(p) = p else { continue };
        let mut z = [0u8; 32];
        let at = 16 * (index % 4);
        z[..16].copy_from_slice(&digest[at..at + 16]);
        let z = Scalar::from_bytes_mod_order(z);
        s_sum += z * p.s;
        match key_terms.entry(&item.key.key.0) {
            Entry::Occupied(term) => scalars[*term.get()] -= z * p.k,
            Entry::Vacant(term) => {
                term.insert(scalars.len());
                scalars.push(-(z * p.k));
                points.push(p.a);
            }
        }
        // `[-z]R` as `[z](-R)`: the coefficient stays 128 bits, so the upper half of its
        // digits are zero and the multiplication skips them (`-z` mod l is a full scalar).
        scalars.push(z);
        points.push(-p.r);
    }
    scalars.push(s_sum);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
        .mul_by_cofactor()
        .is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For each seed, a key, the body `body(seed)` and its transaction signature by that key.
    fn signed_by(
        seeds: impl Iterator<Item = u8>,
        body: impl Fn(u8) -> Vec<u8>,
    ) -> (Vec<PublicKey>, Vec<Vec<u8>>, Vec<Signature>) {
        let mut set = (Vec::new(), Vec::new(), Vec::new());
        for seed in seeds {
            let kp = Keypair::from_seed(&[seed; 32]);
            let b = body(seed);
            set.2.push(kp.sign(Domain::Transaction, &b));
            set.0.push(kp.public());
            set.1.push(b);
        }
        set
    }

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
        let (keys, bodies, mut sigs) = signed_by(0..8, |i| vec![i; 10]);
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
    fn batch_and_single_agree_on_a_mixed_order_r() {
        // R = [r]B + T, with T the point of order 2, and S = r + k*a: the residue
        // [S]B - [k]A - R = -T is of small order. The cofactored rule accepts it, alone and in
        // every batch, whatever the other items and their coefficients are.
        let kp = Keypair::from_seed(&[9; 32]);
        let body = b"mixed-order R";
        let sig = Signature(
            hex::decode(
                "d600527f9723f2166ca2c99c90c52e4a21921cbec4edc771bac4fa0d5b3e2c24\
                 99d4ecc1dbf933cb7f78ffc6a567648947a7f7d992b08cb22ce416f3582b820a",
            )
            .unwrap()
            .try_into()
            .unwrap(),
        );
        let key = kp.public();
        assert_eq!(verify(&key, Domain::Transaction, body, &sig), Ok(()));
        for round in 0..16u8 {
            let (keys, bodies, sigs) = signed_by(100..103, |seed| vec![round, seed - 100]);
            let mut items: Vec<_> = (0..3)
                .map(|i| item(&keys[i], &bodies[i], &sigs[i]))
                .collect();
            items.push(item(&key, body, &sig));
            assert_eq!(verify_batch(&items), vec![true; 4]);
        }
    }

    #[test]
    fn non_canonical_point_encodings_are_refused() {
        let mut p_plus_1 = [0xffu8; 32];
        p_plus_1[0] = 0xee; // y = p + 1, which reduces to the identity
        p_plus_1[31] = 0x7f;
        assert!(canonical_point(&p_plus_1).is_none());
        let mut neg_identity = [0u8; 32];
        neg_identity[0] = 1;
        neg_identity[31] = 0x80; // y = 1 with the sign bit of x set, but x = 0
        assert!(canonical_point(&neg_identity).is_none());
        let kp = Keypair::from_seed(&[3; 32]);
        let p = canonical_point(&kp.public().0).expect("a real key is canonical");
        assert_eq!(p.compress().0, kp.public().0);
    }

    /// Items by 3 keys, each signing 4 bodies, interleaved: `(key, body, signature)`.
    fn repeated_keys() -> Vec<(CheckedKey, Vec<u8>, Signature)> {
        (0..12u8)
            .map(|i| {
                let kp = Keypair::from_seed(&[i % 3 + 1; 32]);
                let body = vec![i; 20];
                let sig = kp.sign(Domain::Transaction, &body);
                (CheckedKey::new(&kp.public()).unwrap(), body, sig)
            })
            .collect()
    }

    fn checked(set: &[(CheckedKey, Vec<u8>, Signature)]) -> Vec<CheckedItem<'_>> {
        set.iter()
            .map(|(key, body, signature)| CheckedItem {
                key,
                domain: Domain::Transaction,
                body,
                signature,
            })
            .collect()
    }

    /// The batch's answers would be right even if its equation failed (each item is then
    /// verified alone), so the equation itself is checked: a key that signs several items is
    /// one point of the multiscalar multiplication.
    #[test]
    fn the_batch_equation_holds_for_keys_that_sign_several_items() {
        let mut set = repeated_keys();
        let items = checked(&set);
        assert!(batch_equation_holds(&items, &prepare_all(&items)));
        assert_eq!(verify_batch_checked(&items), vec![true; 12]);

        // One forged item by a repeated key breaks the equation, and only it is refused.
        set[7].2.0[40] ^= 1;
        let items = checked(&set);
        assert!(!batch_equation_holds(&items, &prepare_all(&items)));
        let mut expected = vec![true; 12];
        expected[7] = false;
        assert_eq!(verify_batch_checked(&items), expected);

        // Two items by the same key whose signatures are swapped: each is wrong for its body.
        let mut set = repeated_keys();
        let (a, b) = (set[0].2, set[3].2);
        (set[0].2, set[3].2) = (b, a);
        let items = checked(&set);
        assert!(!batch_equation_holds(&items, &prepare_all(&items)));
        let mut expected = vec![true; 12];
        (expected[0], expected[3]) = (false, false);
        assert_eq!(verify_batch_checked(&items), expected);
    }

    #[test]
    fn checked_keys_give_the_same_answers_as_raw_keys() {
        let (keys, bodies, mut sigs) = signed_by(0..9, |i| vec![i; 3]);
        sigs[5].0[40] ^= 1;
        let checked: Vec<CheckedKey> = keys.iter().map(|k| CheckedKey::new(k).unwrap()).collect();
        let items: Vec<CheckedItem<'_>> = (0..9)
            .map(|i| CheckedItem {
                key: &checked[i],
                domain: Domain::Transaction,
                body: &bodies[i],
                signature: &sigs[i],
            })
            .collect();
        let raw: Vec<_> = (0..9)
            .map(|i| item(&keys[i], &bodies[i], &sigs[i]))
            .collect();
        let mut expected = vec![true; 9];
        expected[5] = false;
        assert_eq!(verify_batch_checked(&items), expected);
        assert_eq!(verify_batch(&raw), expected);
        assert_eq!(checked[2].key(), &keys[2]);
        assert_eq!(
            verify_checked(&checked[5], Domain::Transaction, &bodies[5], &sigs[5]),
            Err(SignatureError::Invalid)
        );
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
        assert_eq!(CheckedKey::new(&key).unwrap_err(), SignatureError::BadKey);
    }
}
