//! Validator sets: who votes, with how much power, and what a quorum is.
//!
//! Quorums are by voting power: a set of validators is a quorum when its power is more than two
//! thirds of the total (`3 * power > 2 * total`), and can block one when it holds more than one
//! third (`3 * power > total`). Validators are kept sorted by key, so a set has one encoding and
//! one hash whatever order it was built in.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::crypto::{CheckedKey, Hash, PublicKey};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

/// Most validators a set may hold.
pub const MAX_VALIDATORS: usize = 256;
/// Largest total voting power (keeps `3 * total` far from overflow).
pub const MAX_TOTAL_POWER: u64 = 1 << 60;

/// One validator: its consensus key and its voting power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    pub key: PublicKey,
    pub power: u64,
}

/// Why a list of validators is not a valid set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    #[error("a validator set needs at least one validator")]
    Empty,
    #[error("more than {MAX_VALIDATORS} validators")]
    TooMany,
    #[error("validator {0} is listed twice")]
    Duplicate(PublicKey),
    #[error("validator {0} has zero power")]
    ZeroPower(PublicKey),
    #[error("the total voting power is over {MAX_TOTAL_POWER}")]
    PowerOverflow,
}

/// A non-empty set of validators with distinct keys and positive power.
///
/// Each key is also kept decompressed and checked (see [`CheckedKey`]), once, when the set is
/// built: every vote, proposal and certificate signature is verified against these keys, and
/// decompressing a key costs about a fifth of a verification. Equality, hashing and the
/// encodings are those of the validators alone.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "Vec<Validator>", into = "Vec<Validator>")]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    total_power: u64,
    /// `checked[i]` is `validators[i].key` checked; `None` for a key no signature is valid under.
    #[serde(skip)]
    checked: Arc<[Option<CheckedKey>]>,
}

impl PartialEq for ValidatorSet {
    fn eq(&self, other: &Self) -> bool {
        self.validators == other.validators
    }
}

impl Eq for ValidatorSet {}

impl fmt::Debug for ValidatorSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorSet")
            .field("validators", &self.validators)
            .field("total_power", &self.total_power)
            .finish()
    }
}

impl TryFrom<Vec<Validator>> for ValidatorSet {
    type Error = ValidatorSetError;
    fn try_from(v: Vec<Validator>) -> Result<Self, Self::Error> {
        ValidatorSet::new(v)
    }
}

impl From<ValidatorSet> for Vec<Validator> {
    fn from(s: ValidatorSet) -> Self {
        s.validators
    }
}

impl ValidatorSet {
    pub fn new(mut validators: Vec<Validator>) -> Result<Self, ValidatorSetError> {
        if validators.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        if validators.len() > MAX_VALIDATORS {
            return Err(ValidatorSetError::TooMany);
        }
        validators.sort_by_key(|v| v.key);
        let mut total: u64 = 0;
        for (i, v) in validators.iter().enumerate() {
            if v.power == 0 {
                return Err(ValidatorSetError::ZeroPower(v.key));
            }
            if i > 0 && validators[i - 1].key == v.key {
                return Err(ValidatorSetError::Duplicate(v.key));
            }
            total = total
                .checked_add(v.power)
                .ok_or(ValidatorSetError::PowerOverflow)?;
        }
        if total > MAX_TOTAL_POWER {
            return Err(ValidatorSetError::PowerOverflow);
        }
        let checked = validators
            .iter()
            .map(|v| CheckedKey::new(&v.key).ok())
            .collect();
        Ok(ValidatorSet {
            validators,
            total_power: total,
            checked,
        })
    }
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }
    pub fn len(&self) -> usize {
        self.validators.len()
    }
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }
    pub fn total_power(&self) -> u64 {
        self.total_power
    }
    pub fn get(&self, key: &PublicKey) -> Option<&Validator> {
        self.index_of(key).map(|i| &self.validators[i])
    }
    pub fn index_of(&self, key: &PublicKey) -> Option<usize> {
        self.validators.binary_search_by_key(key, |v| v.key).ok()
    }
    /// The key of validator `key`, decompressed and checked when the set was built: `None` if
    /// `key` is not in the set or no signature can be valid under it.
    pub fn checked_key(&self, key: &PublicKey) -> Option<&CheckedKey> {
        self.index_of(key).and_then(|i| self.checked[i].as_ref())
    }
    pub fn power_of(&self, key: &PublicKey) -> u64 {
        self.get(key).map_or(0, |v| v.power)
    }
    /// More than two thirds of the total power.
    pub fn is_quorum(&self, power: u64) -> bool {
        u128::from(power) * 3 > u128::from(self.total_power) * 2
    }
    /// More than one third of the total power: at least one honest validator is among them.
    pub fn is_one_third(&self, power: u64) -> bool {
        u128::from(power) * 3 > u128::from(self.total_power)
    }
    /// SHA-256 of the set's canonical encoding.
    pub fn hash(&self) -> Hash {
        Hash::of(&[&self.to_bytes()])
    }
}

impl Encode for Validator {
    fn encode(&self, w: &mut Writer) {
        self.key.encode(w);
        w.u64(self.power);
    }
}

impl Decode for Validator {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Validator {
            key: PublicKey::decode(r)?,
            power: r.u64()?,
        })
    }
}

impl Encode for ValidatorSet {
    fn encode(&self, w: &mut Writer) {
        w.list(&self.validators, |w, v| v.encode(w));
    }
}

impl Decode for ValidatorSet {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let list = r.list("validators", MAX_VALIDATORS, 40, Validator::decode)?;
        let set = ValidatorSet::new(list.clone())
            .map_err(|_| DecodeError::NonCanonical("validator set"))?;
        // Canonical means already sorted, distinct and valid.
        if set.validators != list {
            return Err(DecodeError::NonCanonical("validator set order"));
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(b: u8, power: u64) -> Validator {
        Validator {
            key: PublicKey([b; 32]),
            power,
        }
    }

    #[test]
    fn quorum_is_more_than_two_thirds_of_power() {
        let set = ValidatorSet::new(vec![v(1, 1), v(2, 1), v(3, 1), v(4, 1)]).unwrap();
        assert!(!set.is_quorum(2));
        assert!(set.is_quorum(3));
        assert!(!set.is_one_third(1));
        assert!(set.is_one_third(2));
    }

    #[test]
    fn order_of_construction_does_not_change_the_hash() {
        let a = ValidatorSet::new(vec![v(1, 5), v(2, 7)]).unwrap();
        let b = ValidatorSet::new(vec![v(2, 7), v(1, 5)]).unwrap();
        assert_eq!(a.hash(), b.hash());
        assert_eq!(ValidatorSet::decode_exact(&a.to_bytes()).unwrap(), a);
    }

    #[test]
    fn invalid_sets_are_refused() {
        assert_eq!(ValidatorSet::new(vec![]), Err(ValidatorSetError::Empty));
        assert!(matches!(
            ValidatorSet::new(vec![v(1, 0)]),
            Err(ValidatorSetError::ZeroPower(_))
        ));
        assert!(matches!(
            ValidatorSet::new(vec![v(1, 1), v(1, 2)]),
            Err(ValidatorSetError::Duplicate(_))
        ));
    }

    #[test]
    fn checked_keys_are_the_members_keys_that_can_verify() {
        let good = crate::crypto::Keypair::from_seed(&[7; 32]).public();
        // The identity point (y = 1) is a valid encoding of small order: no signature verifies.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let set = ValidatorSet::new(vec![
            Validator {
                key: good,
                power: 1,
            },
            Validator {
                key: PublicKey(identity),
                power: 1,
            },
        ])
        .unwrap();
        assert_eq!(set.checked_key(&good).map(|k| *k.key()), Some(good));
        assert!(set.checked_key(&PublicKey(identity)).is_none());
        assert!(set.checked_key(&PublicKey([9; 32])).is_none());
        assert_eq!(ValidatorSet::decode_exact(&set.to_bytes()).unwrap(), set);
    }
}
