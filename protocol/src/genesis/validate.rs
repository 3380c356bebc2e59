//! Genesis validation: every fault of a genesis file, each with what to change.
//!
//! Rule: a chain id is 1 to 64 characters of `a-z 0-9 - _ .`; decimals at most
//! `amount::MAX_DECIMALS`; 1 to `MAX_VALIDATORS` validators with unique non-empty names, unique
//! strong ed25519 keys, positive power and a total power within `MAX_TOTAL_POWER`; accounts
//! listed once and balances whose sum fits an amount; at least one issuer, no repeated issuer
//! or admin; every timeout positive and none above the maximum; `max_block_txs` from 1 to
//! `block::MAX_BLOCK_TXS`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Genesis;
use crate::address::Address;
use crate::amount::{Amount, MAX_DECIMALS};
use crate::block::MAX_BLOCK_TXS;
use crate::crypto::PublicKey;
use crate::ledger::is_strong_key;
use crate::transaction::MAX_CHAIN_ID_LEN;
use crate::validator::{MAX_TOTAL_POWER, MAX_VALIDATORS};

/// One thing wrong with a genesis file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum GenesisFault {
    #[error("chain_id is empty; choose a name such as \"vellum-devnet\"")]
    ChainIdEmpty,
    #[error("chain_id is {len} bytes long; the limit is {MAX_CHAIN_ID_LEN}")]
    ChainIdTooLong { len: usize },
    #[error("chain_id contains {ch:?}; use only a-z, 0-9, '-', '_' and '.'")]
    ChainIdBadChar { ch: char },
    #[error("decimals is {decimals}; a currency may have at most {MAX_DECIMALS}")]
    DecimalsTooLarge { decimals: u8 },
    #[error("validators is empty; list at least one validator")]
    NoValidators,
    #[error("{count} validators are listed; the limit is {MAX_VALIDATORS}")]
    TooManyValidators { count: usize },
    #[error("validators[{index}] has an empty name; give each validator a unique name")]
    EmptyValidatorName { index: usize },
    #[error(
        "validators[{index}] repeats the name {name:?} of validators[{first}]; names must be unique"
    )]
    DuplicateValidatorName {
        index: usize,
        first: usize,
        name: String,
    },
    #[error(
        "validators[{index}] ({name}) repeats the key of validators[{first}]; each validator needs its own key"
    )]
    DuplicateValidatorKey {
        index: usize,
        first: usize,
        name: String,
    },
    #[error("validators[{index}] ({name}) has power 0; give it at least 1 or remove it")]
    ZeroPower { index: usize, name: String },
    #[error(
        "validators[{index}] ({name}): {key} is not a valid ed25519 public key, or is a weak one; generate a new key"
    )]
    BadValidatorKey {
        index: usize,
        name: String,
        key: PublicKey,
    },
    #[error("the validators' total power is over {MAX_TOTAL_POWER}; lower their powers")]
    TotalPowerTooLarge,
    #[error("accounts[{index}] repeats the address {address} of accounts[{first}]; merge the two")]
    DuplicateAccount {
        index: usize,
        first: usize,
        address: Address,
    },
    #[error("the opening balances add up to more than the largest amount; lower them")]
    SupplyOverflow,
    #[error("issuers is empty; name at least one issuer account, or no money can be minted")]
    NoIssuer,
    #[error("issuers lists {address} more than once; list it once")]
    DuplicateIssuer { address: Address },
    #[error("admins lists {address} more than once; list it once")]
    DuplicateAdmin { address: Address },
    #[error("consensus.{name} is 0; a timeout must be at least 1 ms")]
    ZeroTimeout { name: &'static str },
    #[error(
        "consensus.timeout_max_ms ({max}) is below consensus.{name} ({value}); raise the maximum"
    )]
    TimeoutMaxBelowBase {
        name: &'static str,
        value: u64,
        max: u64,
    },
    #[error("consensus.max_block_txs is {value}; it must be from 1 to {MAX_BLOCK_TXS}")]
    MaxBlockTxs { value: usize },
}

impl Genesis {
    /// Every fault of this genesis, in file order; empty when it is valid.
    pub fn validate(&self) -> Vec<GenesisFault> {
        let mut faults = Vec::new();
        self.check_chain_id(&mut faults);
        if self.decimals > MAX_DECIMALS {
            faults.push(GenesisFault::DecimalsTooLarge {
                decimals: self.decimals,
            });
        }
        self.check_validators(&mut faults);
        if self.issuers.is_empty() {
            faults.push(GenesisFault::NoIssuer);
        }
        for address in repeats(&self.issuers) {
            faults.push(GenesisFault::DuplicateIssuer { address });
        }
        for address in repeats(&self.admins) {
            faults.push(GenesisFault::DuplicateAdmin { address });
        }
        self.check_accounts(&mut faults);
        self.check_consensus(&mut faults);
        faults
    }

    fn check_chain_id(&self, faults: &mut Vec<GenesisFault>) {
        let id = &self.chain_id;
        if id.is_empty() {
            faults.push(GenesisFault::ChainIdEmpty);
        }
        if id.len() > MAX_CHAIN_ID_LEN {
            faults.push(GenesisFault::ChainIdTooLong { len: id.len() });
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
        let bad: BTreeSet<char> = id.chars().filter(|c| !allowed(*c)).collect();
        faults.extend(
            bad.into_iter()
                .map(|ch| GenesisFault::ChainIdBadChar { ch }),
        );
    }

    fn check_validators(&self, faults: &mut Vec<GenesisFault>) {
        let vs = &self.validators;
        if vs.is_empty() {
            faults.push(GenesisFault::NoValidators);
        }
        if vs.len() > MAX_VALIDATORS {
            faults.push(GenesisFault::TooManyValidators { count: vs.len() });
        }
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        let mut keys: BTreeMap<PublicKey, usize> = BTreeMap::new();
        let mut total: u128 = 0;
        for (index, v) in vs.iter().enumerate() {
            let name = v.name.clone();
            if v.name.trim().is_empty() {
                faults.push(GenesisFault::EmptyValidatorName { index });
            } else if let Some(&first) = names.get(v.name.as_str()) {
                faults.push(GenesisFault::DuplicateValidatorName {
                    index,
                    first,
                    name: name.clone(),
                });
            } else {
                names.insert(&v.name, index);
            }
            if let Some(&first) = keys.get(&v.key) {
                faults.push(GenesisFault::DuplicateValidatorKey {
                    index,
                    first,
                    name: name.clone(),
                });
            } else {
                keys.insert(v.key, index);
            }
            if !is_strong_key(&v.key) {
                faults.push(GenesisFault::BadValidatorKey {
                    index,
                    name: name.clone(),
                    key: v.key,
                });
            }
            if v.power == 0 {
                faults.push(GenesisFault::ZeroPower { index, name });
            }
            total += u128::from(v.power);
        }
        if total > u128::from(MAX_TOTAL_POWER) {
            faults.push(GenesisFault::TotalPowerTooLarge);
        }
    }

    fn check_accounts(&self, faults: &mut Vec<GenesisFault>) {
        let mut seen: BTreeMap<Address, usize> = BTreeMap::new();
        let mut supply = Some(Amount::ZERO);
        for (index, a) in self.accounts.iter().enumerate() {
            if let Some(&first) = seen.get(&a.address) {
                faults.push(GenesisFault::DuplicateAccount {
                    index,
                    first,
                    address: a.address,
                });
            } else {
                seen.insert(a.address, index);
            }
            supply = supply.and_then(|s| s.checked_add(a.balance));
        }
        if supply.is_none() {
            faults.push(GenesisFault::SupplyOverflow);
        }
    }

    fn check_consensus(&self, faults: &mut Vec<GenesisFault>) {
        let c = &self.consensus;
        let timeouts = [
            ("timeout_propose_ms", c.timeout_propose_ms),
            ("timeout_prevote_ms", c.timeout_prevote_ms),
            ("timeout_precommit_ms", c.timeout_precommit_ms),
            ("timeout_delta_ms", c.timeout_delta_ms),
            ("timeout_max_ms", c.timeout_max_ms),
        ];
        for (name, value) in timeouts {
            if value == 0 {
                faults.push(GenesisFault::ZeroTimeout { name });
            }
        }
        for (name, value) in &timeouts[..3] {
            if *value > c.timeout_max_ms {
                faults.push(GenesisFault::TimeoutMaxBelowBase {
                    name,
                    value: *value,
                    max: c.timeout_max_ms,
                });
            }
        }
        if c.max_block_txs == 0 || c.max_block_txs > MAX_BLOCK_TXS {
            faults.push(GenesisFault::MaxBlockTxs {
                value: c.max_block_txs,
            });
        }
    }
}

/// Each item listed more than once, once.
fn repeats(items: &[Address]) -> Vec<Address> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    for a in items {
        if !seen.insert(*a) {
            out.insert(*a);
        }
    }
    out.into_iter().collect()
}
