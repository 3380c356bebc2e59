//! One account's state, its key in the accounts trie, and the proof of its balance.
//!
//! Rule: an account is stored under `SHA-256(address)` (the 20 address bytes); its value hash is
//! `SHA-256(balance u128 || nonce u64 || frozen u8)`. An account equal to the default (zero
//! balance, nonce 0, not frozen) is not stored, so "absent" and "default" are one state.

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::amount::Amount;
use crate::crypto::Hash;
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::merkle::{SparseProof, TrieValue};

/// One account: what it holds, its next nonce, and whether it may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Account {
    pub balance: Amount,
    /// The nonce its next transaction must carry: the number of its transactions included.
    pub nonce: u64,
    /// A frozen account can receive but its transactions do nothing but consume their nonce.
    pub frozen: bool,
}

impl Account {
    /// `SHA-256` of the canonical encoding: the value hash in the accounts trie. The encoding's
    /// three fields are hashed as they are laid out (see `Encode`), with no buffer to allocate:
    /// every block hashes each account it changed.
    pub fn hash(&self) -> Hash {
        Hash::of(&[
            &self.balance.0.to_be_bytes(),
            &self.nonce.to_be_bytes(),
            &[u8::from(self.frozen)],
        ])
    }
    pub fn is_default(&self) -> bool {
        *self == Account::default()
    }
}

impl Encode for Account {
    fn encode(&self, w: &mut Writer) {
        self.balance.encode(w);
        w.u64(self.nonce);
        w.bool(self.frozen);
    }
}

impl Decode for Account {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Account {
            balance: Amount::decode(r)?,
            nonce: r.u64()?,
            frozen: r.bool()?,
        })
    }
}

/// The trie key of an address: `SHA-256(address bytes)`.
pub fn account_key(address: &Address) -> Hash {
    Hash::of(&[&address.0])
}

/// What the trie stores: the address too, so the accounts can be listed.
#[derive(Debug, Clone)]
pub(crate) struct AccountEntry {
    pub address: Address,
    pub account: Account,
}

impl TrieValue for AccountEntry {
    fn value_hash(&self) -> Hash {
        self.account.hash()
    }
}

/// `SHA-256("VELLUM/STATE/v1\0" || accounts_root || fields_hash)`.
pub fn state_root_of(accounts_root: &Hash, fields_hash: &Hash) -> Hash {
    Hash::of(&[b"VELLUM/STATE/v1\0", &accounts_root.0, &fields_hash.0])
}

/// Proof of one account's state (or its absence) under a state root: the trie path and the
/// hash of the state's other fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProof {
    pub accounts: SparseProof,
    pub fields_hash: Hash,
}

impl AccountProof {
    /// True when, under `state_root`, `address` holds `account` (`None`, or the default
    /// account: it is absent).
    pub fn verify(&self, state_root: &Hash, address: &Address, account: Option<&Account>) -> bool {
        let value_hash = account.filter(|a| !a.is_default()).map(Account::hash);
        self.accounts
            .implied_root(&account_key(address), value_hash.as_ref())
            .is_some_and(|root| state_root_of(&root, &self.fields_hash) == *state_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_encodes_in_25_bytes_and_round_trips() {
        let a = Account {
            balance: Amount(258),
            nonce: 7,
            frozen: true,
        };
        let bytes = a.to_bytes();
        assert_eq!(bytes.len(), 25);
        assert_eq!(&bytes[14..16], &[1, 2]);
        assert_eq!(bytes[24], 1);
        assert_eq!(Account::decode_exact(&bytes).unwrap(), a);
        assert!(Account::decode_exact(&bytes[..24]).is_err());
    }

    #[test]
    fn an_accounts_hash_is_the_hash_of_its_encoding() {
        for (balance, nonce, frozen) in
            [(0, 0, false), (258, 7, true), (u128::MAX, u64::MAX, false)]
        {
            let a = Account {
                balance: Amount(balance),
                nonce,
                frozen,
            };
            assert_eq!(a.hash(), Hash::of(&[&a.to_bytes()]), "{a:?}");
        }
    }
}
