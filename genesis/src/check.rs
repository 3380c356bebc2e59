//! Reading a genesis file from disk and summing it up: the work behind `vellum-genesis validate`,
//! and what a node calls to load its genesis.
//!
//! Parsing and the rules are `vellum_protocol::genesis`'s; this module adds the file, its
//! name in every error, and the one-line summary of a valid genesis.

use std::path::{Path, PathBuf};

use serde::Serialize;
use vellum_protocol::genesis::GenesisError;
use vellum_protocol::{Amount, Genesis, GenesisFault, Hash, LedgerState};

/// Why a genesis file could not be read as JSON.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFileError {
    #[error("cannot read genesis file {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}, line {line} column {column}: {message}; fix the JSON there",
        .path.display()
    )]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// What a valid genesis starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GenesisSummary {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    pub decimals: u8,
    pub validators: usize,
    pub total_power: u64,
    pub accounts: usize,
    /// In minor units.
    pub total_supply: Amount,
    pub genesis_hash: Hash,
}

impl GenesisSummary {
    /// One line for people: chain id, validators, supply in display units, hash.
    pub fn one_line(&self) -> String {
        format!(
            "chain {}: {} validator(s) (total power {}), {} account(s), total supply {}, genesis hash {}",
            self.chain_id,
            self.validators,
            self.total_power,
            self.accounts,
            self.total_supply.display(self.decimals),
            self.genesis_hash.to_hex()
        )
    }
}

/// Reads and parses `path`; a JSON mistake names its line and column. Run [`check_genesis`]
/// next.
pub fn read_genesis_file(path: &Path) -> Result<Genesis, GenesisFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenesisFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Genesis::from_json(&text).map_err(
        |GenesisError::Parse {
             line,
             column,
             message,
         }| {
            // serde_json ends its message with the position, which is already in front.
            let suffix = format!(" at line {line} column {column}");
            GenesisFileError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: message
                    .strip_suffix(&suffix)
                    .unwrap_or(&message)
                    .to_string(),
            }
        },
    )
}

/// The summary of a valid genesis, or every one of its faults.
pub fn check_genesis(genesis: &Genesis) -> Result<GenesisSummary, Vec<GenesisFault>> {
    let state = LedgerState::from_genesis(genesis)?;
    Ok(GenesisSummary {
        chain_id: genesis.chain_id.clone(),
        genesis_time_ms: genesis.genesis_time_ms,
        decimals: genesis.decimals,
        validators: genesis.validators.len(),
        total_power: genesis.validators.iter().map(|v| v.power).sum(),
        accounts: genesis.accounts.len(),
        total_supply: state.total_supply(),
        genesis_hash: genesis.hash()?,
    })
}

#[cfg(test)]
mod tests {
    use vellum_protocol::genesis::{ConsensusParams, GenesisAccount, GenesisValidator};
    use vellum_protocol::{Address, Keypair};

    use super::*;

    fn genesis() -> Genesis {
        let key = |n: u8| Keypair::from_seed(&[n; 32]).public();
        Genesis {
            chain_id: "vellum-test".into(),
            genesis_time_ms: 1,
            decimals: 2,
            validators: (0..2)
                .map(|i| GenesisValidator {
                    name: format!("node{i}"),
                    key: key(i + 1),
                    power: 1,
                    node_id: None,
                    p2p_address: None,
                })
                .collect(),
            issuers: vec![Address::from_public_key(&key(9))],
            admins: vec![],
            accounts: vec![GenesisAccount {
                address: Address::from_public_key(&key(8)),
                balance: Amount(12_345),
            }],
            consensus: ConsensusParams::default(),
        }
    }

    #[test]
    fn a_valid_genesis_is_summed_up_in_display_units() {
        let summary = check_genesis(&genesis()).unwrap();
        assert_eq!(summary.total_power, 2);
        assert_eq!(summary.total_supply, Amount(12_345));
        let line = summary.one_line();
        assert!(line.contains("total supply 123.45"), "{line}");
        assert!(line.contains(&genesis().hash().unwrap().to_hex()), "{line}");
    }

    #[test]
    fn a_faulty_genesis_gives_every_fault() {
        let mut g = genesis();
        g.validators[1].name = "node0".into();
        g.validators[0].power = 0;
        assert_eq!(check_genesis(&g).unwrap_err().len(), 2);
    }

    #[test]
    fn a_json_mistake_names_the_file_line_and_column_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        std::fs::write(&path, "{\n  \"chain_id\": \"x\",\n  oops\n}").unwrap();
        let err = read_genesis_file(&path).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                GenesisFileError::Syntax {
                    line: 3,
                    column: 3,
                    ..
                }
            ),
            "{text}"
        );
        assert!(!text.contains("at line"), "{text}");
    }
}
