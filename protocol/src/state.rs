//! The ledger state and its commitment, the state root.
//!
//! Rule: `state_root = SHA-256("VELLUM/STATE/v1\0" || accounts_root || fields_hash)`, where
//! `accounts_root` is the root of the accounts trie ([`crate::merkle`]) and `fields_hash` is
//! SHA-256 of the canonical encoding of every other field in this order: chain id, decimals,
//! total supply, issuers, admins, validators, last validators, pending validator changes,
//! height, last block time. The last block's hash is not committed: the header that carries the
//! state root is the block whose hash it would be, and `prev_hash` chains the headers anyway.
//!
//! A state is two `Arc`s, so a clone is O(1); updates copy only what they touch.

mod account;
pub mod snapshot;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use self::account::AccountEntry;
pub use self::account::{Account, AccountProof, account_key, state_root_of};
use crate::address::Address;
use crate::amount::Amount;
use crate::crypto::{Hash, PublicKey};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::merkle::SparseMerkleTree;
use crate::receipt::ValidatorChangeError;
use crate::validator::{Validator, ValidatorSet, ValidatorSetError};

/// A change to the validator set, decided in one block and effective two heights later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ValidatorChange {
    /// Adds a validator, or sets the power of one already in the set.
    Add {
        key: PublicKey,
        power: u64,
    },
    Remove {
        key: PublicKey,
    },
}

impl ValidatorChange {
    /// Applies the change to a list of validators (validity of the result is checked by
    /// [`ValidatorSet::new`]).
    fn apply(&self, list: &mut Vec<Validator>) -> Result<(), ValidatorChangeError> {
        match *self {
            ValidatorChange::Add { key, power } => match list.iter_mut().find(|v| v.key == key) {
                Some(v) => v.power = power,
                None => list.push(Validator { key, power }),
            },
            ValidatorChange::Remove { key } => {
                let before = list.len();
                list.retain(|v| v.key != key);
                if list.len() == before {
                    return Err(ValidatorChangeError::UnknownValidator { key });
                }
            }
        }
        Ok(())
    }
}

/// A validator change waiting for its height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingValidatorChange {
    /// The first height whose votes are cast by the changed set.
    pub effective_height: u64,
    pub change: ValidatorChange,
}

/// An address and its trie key ([`account_key`]): a transaction that reads an account and
/// then writes it hashes the address once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keyed {
    pub address: Address,
    pub key: Hash,
}

impl Keyed {
    pub fn new(address: Address) -> Keyed {
        Keyed {
            address,
            key: account_key(&address),
        }
    }
}

/// Everything but the accounts; shared between clones until one of them changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    pub chain_id: String,
    pub decimals: u8,
    pub total_supply: Amount,
    pub issuers: BTreeSet<Address>,
    pub admins: BTreeSet<Address>,
    pub validators: ValidatorSet,
    pub last_validators: Option<ValidatorSet>,
    pub pending: Vec<PendingValidatorChange>,
    pub height: u64,
    pub last_block_hash: Hash,
    pub last_time_ms: u64,
}

/// The ledger state after a block (or at genesis, height 0).
#[derive(Debug, Clone)]
pub struct LedgerState {
    accounts: SparseMerkleTree<AccountEntry>,
    fields: Arc<Fields>,
}

impl LedgerState {
    /// A state with no accounts, at height 0 (genesis fills in the rest).
    pub(crate) fn empty(
        chain_id: String,
        decimals: u8,
        validators: ValidatorSet,
        genesis_time_ms: u64,
    ) -> Self {
        LedgerState {
            accounts: SparseMerkleTree::new(),
            fields: Arc::new(Fields {
                chain_id,
                decimals,
                total_supply: Amount::ZERO,
                issuers: BTreeSet::new(),
                admins: BTreeSet::new(),
                validators,
                last_validators: None,
                pending: Vec::new(),
                height: 0,
                last_block_hash: Hash::ZERO,
                last_time_ms: genesis_time_ms,
            }),
        }
    }

    pub fn chain_id(&self) -> &str {
        &self.fields.chain_id
    }
    pub fn decimals(&self) -> u8 {
        self.fields.decimals
    }
    /// The account at `address`; the default (empty) account when it has none.
    pub fn account(&self, address: &Address) -> Account {
        self.account_keyed(&Keyed::new(*address))
    }
    /// Every non-default account, in trie key order.
    pub fn accounts(&self) -> impl Iterator<Item = (Address, Account)> + '_ {
        self.accounts.iter().map(|(_, e)| (e.address, e.account))
    }
    /// The accounts that differ from `before` (an earlier version of this state, such as the
    /// state a block was applied to), in trie key order, as they are now: an account gone
    /// from the trie is the default one. The cost follows the accounts written since
    /// `before`, not the number of accounts, and nothing is hashed.
    pub fn changed_accounts(&self, before: &LedgerState) -> Vec<(Address, Account)> {
        self.accounts
            .changes_since(&before.accounts)
            .into_iter()
            .filter_map(|(_, now, then)| match (now, then) {
                (Some(n), Some(t)) if n.account == t.account => None,
                (Some(n), _) => Some((n.address, n.account)),
                (None, Some(t)) => Some((t.address, Account::default())),
                (None, None) => None,
            })
            .collect()
    }
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }
    pub fn total_supply(&self) -> Amount {
        self.fields.total_supply
    }
    pub fn issuers(&self) -> &BTreeSet<Address> {
        &self.fields.issuers
    }
    pub fn admins(&self) -> &BTreeSet<Address> {
        &self.fields.admins
    }
    pub fn is_issuer(&self, address: &Address) -> bool {
        self.fields.issuers.contains(address)
    }
    pub fn is_admin(&self, address: &Address) -> bool {
        self.fields.admins.contains(address)
    }
    /// The set that votes on height `height() + 1`.
    pub fn validators(&self) -> &ValidatorSet {
        &self.fields.validators
    }
    /// The set that voted on height `height()`; `None` at genesis.
    pub fn last_validators(&self) -> Option<&ValidatorSet> {
        self.fields.last_validators.as_ref()
    }
    pub fn pending_validator_changes(&self) -> &[PendingValidatorChange] {
        &self.fields.pending
    }
    /// Height of the last applied block; 0 at genesis.
    pub fn height(&self) -> u64 {
        self.fields.height
    }
    /// Hash of the last applied block; zero at genesis.
    pub fn last_block_hash(&self) -> Hash {
        self.fields.last_block_hash
    }
    /// Time of the last applied block; the genesis time at genesis.
    pub fn last_time_ms(&self) -> u64 {
        self.fields.last_time_ms
    }

    pub fn accounts_root(&self) -> Hash {
        self.accounts.root()
    }
    /// SHA-256 of the canonical encoding of every field but the accounts and the last block
    /// hash (see the module documentation for the order).
    pub fn fields_hash(&self) -> Hash {
        let f = &*self.fields;
        let mut w = Writer::with_capacity(256);
        w.str(&f.chain_id);
        w.u8(f.decimals);
        f.total_supply.encode(&mut w);
        let issuers: Vec<Address> = f.issuers.iter().copied().collect();
        w.list(&issuers, |w, a| a.encode(w));
        let admins: Vec<Address> = f.admins.iter().copied().collect();
        w.list(&admins, |w, a| a.encode(w));
        f.validators.encode(&mut w);
        w.option(f.last_validators.as_ref(), |w, v| v.encode(w));
        w.list(&f.pending, |w, p| p.encode(w));
        w.u64(f.height);
        w.u64(f.last_time_ms);
        Hash::of(&[&w.into_bytes()])
    }
    pub fn state_root(&self) -> Hash {
        state_root_of(&self.accounts_root(), &self.fields_hash())
    }
    /// Proof of `address`'s account (or its absence) under [`Self::state_root`].
    pub fn proof(&self, address: &Address) -> AccountProof {
        AccountProof {
            accounts: self.accounts.proof(&account_key(address)),
            fields_hash: self.fields_hash(),
        }
    }

    /// The validator set as it will be once every pending change and `change` are applied:
    /// a change is valid when this is a valid set.
    pub fn projected_validators(
        &self,
        change: Option<&ValidatorChange>,
    ) -> Result<ValidatorSet, ValidatorChangeError> {
        let mut list = self.fields.validators.validators().to_vec();
        for p in &self.fields.pending {
            p.change.apply(&mut list)?;
        }
        if let Some(c) = change {
            c.apply(&mut list)?;
        }
        ValidatorSet::new(list).map_err(|e| match e {
            ValidatorSetError::Empty => ValidatorChangeError::LastValidator,
            ValidatorSetError::TooMany => ValidatorChangeError::TooMany,
            ValidatorSetError::ZeroPower(_) => ValidatorChangeError::ZeroPower,
            ValidatorSetError::PowerOverflow | ValidatorSetError::Duplicate(_) => {
                ValidatorChangeError::PowerOverflow
            }
        })
    }

    pub(crate) fn set_account(&mut self, address: Address, account: Account) {
        self.set_account_keyed(Keyed::new(address), account);
    }
    /// [`LedgerState::account`] by an address whose trie key is hashed already.
    pub(crate) fn account_keyed(&self, at: &Keyed) -> Account {
        self.accounts
            .get(&at.key)
            .map_or_else(Account::default, |e| e.account)
    }
    /// Sets the account at an address whose trie key is hashed already.
    pub(crate) fn set_account_keyed(&mut self, at: Keyed, account: Account) {
        if account.is_default() {
            self.accounts.remove(&at.key);
        } else {
            let entry = AccountEntry {
                address: at.address,
                account,
            };
            self.accounts.insert(at.key, entry);
        }
    }
    pub(crate) fn fields_mut(&mut self) -> &mut Fields {
        Arc::make_mut(&mut self.fields)
    }

    /// Closes block `height`: the set that voted on it becomes the last set, and the changes
    /// due at `height + 1` make the set that votes next. The block hash is set afterwards (it
    /// depends on the state root, which does not depend on it).
    pub(crate) fn finish_block(&mut self, height: u64, time_ms: u64) {
        let f = self.fields_mut();
        let (due, later): (Vec<PendingValidatorChange>, Vec<PendingValidatorChange>) = f
            .pending
            .iter()
            .partition(|p| p.effective_height <= height + 1);
        let next = if due.is_empty() {
            f.validators.clone()
        } else {
            let mut list = f.validators.validators().to_vec();
            for p in &due {
                // Each change was checked against a projection that includes every earlier
                // one, so none fails here.
                let _ = p.change.apply(&mut list);
            }
            ValidatorSet::new(list).unwrap_or_else(|_| f.validators.clone())
        };
        f.pending = later;
        f.last_validators = Some(std::mem::replace(&mut f.validators, next));
        f.height = height;
        f.last_time_ms = time_ms;
    }
}

impl Encode for ValidatorChange {
    fn encode(&self, w: &mut Writer) {
        match self {
            ValidatorChange::Add { key, power } => {
                w.u8(0);
                key.encode(w);
                w.u64(*power);
            }
            ValidatorChange::Remove { key } => {
                w.u8(1);
                key.encode(w);
            }
        }
    }
}

impl Decode for ValidatorChange {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            0 => ValidatorChange::Add {
                key: PublicKey::decode(r)?,
                power: r.u64()?,
            },
            1 => ValidatorChange::Remove {
                key: PublicKey::decode(r)?,
            },
            tag => {
                return Err(DecodeError::BadTag {
                    what: "validator change",
                    tag,
                });
            }
        })
    }
}

impl Encode for PendingValidatorChange {
    fn encode(&self, w: &mut Writer) {
        w.u64(self.effective_height);
        self.change.encode(w);
    }
}

impl Decode for PendingValidatorChange {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PendingValidatorChange {
            effective_height: r.u64()?,
            change: ValidatorChange::decode(r)?,
        })
    }
}

#[cfg(test)]
mod tests;
