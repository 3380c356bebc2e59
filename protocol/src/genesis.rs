//! The genesis file: the chain's first state and its consensus parameters, as JSON.
//!
//! Rule: a genesis is valid when [`Genesis::validate`] reports no fault; its state is the one
//! [`LedgerState::from_genesis`] builds (height 0, no block, the listed balances, their sum as
//! the total supply). `Genesis::hash` is
//! `SHA-256("VELLUM/GENESIS/v1\0" || genesis state root || u32 length || chain id)`, which a node
//! keeps in its data directory to refuse one made for another chain.

mod validate;

use serde::{Deserialize, Serialize};

pub use self::validate::GenesisFault;
use crate::address::Address;
use crate::amount::Amount;
use crate::crypto::{Hash, PublicKey};
use crate::encoding::Writer;
use crate::state::{Account, LedgerState};
use crate::validator::{Validator, ValidatorSet};

/// The whole genesis file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub chain_id: String,
    /// Unix time in milliseconds; the first block must be later.
    pub genesis_time_ms: u64,
    /// Decimals of the currency (display only: amounts are in minor units).
    pub decimals: u8,
    pub validators: Vec<GenesisValidator>,
    /// Accounts allowed to mint and burn.
    pub issuers: Vec<Address>,
    /// Accounts allowed to freeze accounts and change the validator set.
    pub admins: Vec<Address>,
    /// Opening balances.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub consensus: ConsensusParams,
}

/// One validator of the first set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// A name for people and logs; unique.
    pub name: String,
    /// The consensus key (hex).
    pub key: PublicKey,
    pub power: u64,
    /// The node's network identity, for the permissioned peer list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// Where the node listens, e.g. a multiaddr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p2p_address: Option<String>,
}

/// An opening balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: Address,
    pub balance: Amount,
}

/// Consensus timing and block size; not part of the ledger state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusParams {
    pub timeout_propose_ms: u64,
    pub timeout_prevote_ms: u64,
    pub timeout_precommit_ms: u64,
    /// Added to each timeout per round.
    pub timeout_delta_ms: u64,
    /// No timeout grows past this.
    pub timeout_max_ms: u64,
    /// Most transactions a proposer puts in one block. The default, 2,000, keeps a height
    /// short enough under overload that the proposal arrives within the propose timeout: with
    /// 10,000, four validators on two cores past their ceiling built blocks that took over a
    /// second each, failed rounds and finalized as little as a third of their ceiling; with
    /// 2,000 they went on near it (docs/PERFORMANCE.md, sixth session).
    pub max_block_txs: usize,
}

impl Default for ConsensusParams {
    fn default() -> Self {
        ConsensusParams {
            timeout_propose_ms: 300,
            timeout_prevote_ms: 100,
            timeout_precommit_ms: 100,
            timeout_delta_ms: 100,
            timeout_max_ms: 5000,
            max_block_txs: 2_000,
        }
    }
}

/// Why a genesis file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("genesis JSON, line {line} column {column}: {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
}

impl Genesis {
    /// Parses genesis JSON (unknown fields are refused); run [`Genesis::validate`] next.
    pub fn from_json(text: &str) -> Result<Genesis, GenesisError> {
        serde_json::from_str(text).map_err(|e| GenesisError::Parse {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a genesis always serializes")
    }

    /// The identity of the chain this genesis starts.
    pub fn hash(&self) -> Result<Hash, Vec<GenesisFault>> {
        let state = LedgerState::from_genesis(self)?;
        let mut w = Writer::new();
        w.str(&self.chain_id);
        Ok(Hash::of(&[
            b"VELLUM/GENESIS/v1\0",
            &state.state_root().0,
            &w.into_bytes(),
        ]))
    }
}

impl LedgerState {
    /// The state at height 0, or every fault of the genesis.
    pub fn from_genesis(genesis: &Genesis) -> Result<LedgerState, Vec<GenesisFault>> {
        let faults = genesis.validate();
        if !faults.is_empty() {
            return Err(faults);
        }
        let set = ValidatorSet::new(
            genesis
                .validators
                .iter()
                .map(|v| Validator {
                    key: v.key,
                    power: v.power,
                })
                .collect(),
        )
        .map_err(|_| vec![GenesisFault::TotalPowerTooLarge])?;
        let mut state = LedgerState::empty(
            genesis.chain_id.clone(),
            genesis.decimals,
            set,
            genesis.genesis_time_ms,
        );
        let mut supply = Amount::ZERO;
        for a in &genesis.accounts {
            supply = supply
                .checked_add(a.balance)
                .ok_or_else(|| vec![GenesisFault::SupplyOverflow])?;
            state.set_account(
                a.address,
                Account {
                    balance: a.balance,
                    ..Account::default()
                },
            );
        }
        let fields = state.fields_mut();
        fields.total_supply = supply;
        fields.issuers = genesis.issuers.iter().copied().collect();
        fields.admins = genesis.admins.iter().copied().collect();
        Ok(state)
    }
}

#[cfg(test)]
mod tests;
