//! What a store needs to persist a [`LedgerState`] and rebuild it without replaying blocks: the
//! state's fields apart from the accounts ([`StateFields`]), the accounts themselves, and which
//! accounts a block can have changed ([`touched_accounts`]).
//!
//! Rule: `LedgerState::from_parts(state.fields(), state.accounts())` has the same state root
//! and the same last block hash as `state`; a block changes no account outside
//! `touched_accounts(block)`, so a store that rewrites only those keeps every account current.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{Fields, LedgerState, PendingValidatorChange};
use crate::address::Address;
use crate::amount::Amount;
use crate::block::Block;
use crate::crypto::Hash;
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::merkle::SparseMerkleTree;
use crate::state::Account;
use crate::transaction::{MAX_CHAIN_ID_LEN, Operation};
use crate::validator::ValidatorSet;

/// Most issuers or admins a decoder accepts (a bound on allocation, far above any real chain).
const MAX_ROLE_ACCOUNTS: usize = 65_536;
/// Most pending validator changes a decoder accepts.
const MAX_PENDING_CHANGES: usize = 65_536;

/// Every field of a [`LedgerState`] but the accounts, in the order of their canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFields {
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

impl LedgerState {
    /// A copy of every field but the accounts.
    pub fn fields(&self) -> StateFields {
        let f = &*self.fields;
        StateFields {
            chain_id: f.chain_id.clone(),
            decimals: f.decimals,
            total_supply: f.total_supply,
            issuers: f.issuers.clone(),
            admins: f.admins.clone(),
            validators: f.validators.clone(),
            last_validators: f.last_validators.clone(),
            pending: f.pending.clone(),
            height: f.height,
            last_block_hash: f.last_block_hash,
            last_time_ms: f.last_time_ms,
        }
    }

    /// Rebuilds a state from its fields and its accounts (in any order; default accounts are
    /// left out, as the trie never holds them).
    pub fn from_parts(
        fields: StateFields,
        accounts: impl IntoIterator<Item = (Address, Account)>,
    ) -> LedgerState {
        let mut state = LedgerState {
            accounts: SparseMerkleTree::new(),
            fields: Arc::new(Fields {
                chain_id: fields.chain_id,
                decimals: fields.decimals,
                total_supply: fields.total_supply,
                issuers: fields.issuers,
                admins: fields.admins,
                validators: fields.validators,
                last_validators: fields.last_validators,
                pending: fields.pending,
                height: fields.height,
                last_block_hash: fields.last_block_hash,
                last_time_ms: fields.last_time_ms,
            }),
        };
        for (address, account) in accounts {
            state.set_account(address, account);
        }
        state
    }
}

/// Every account `block` can change: each sender, and every address an operation names.
pub fn touched_accounts(block: &Block) -> BTreeSet<Address> {
    let mut touched = BTreeSet::new();
    for stx in &block.txs {
        touched.insert(stx.tx.sender_address());
        match &stx.tx.op {
            Operation::Transfer { to, .. } | Operation::Mint { to, .. } => {
                touched.insert(*to);
            }
            Operation::Freeze { account } | Operation::Unfreeze { account } => {
                touched.insert(*account);
            }
            Operation::Burn { .. }
            | Operation::AddValidator { .. }
            | Operation::RemoveValidator { .. } => {}
        }
    }
    touched
}

impl Encode for StateFields {
    fn encode(&self, w: &mut Writer) {
        w.str(&self.chain_id);
        w.u8(self.decimals);
        self.total_supply.encode(w);
        let issuers: Vec<Address> = self.issuers.iter().copied().collect();
        w.list(&issuers, |w, a| a.encode(w));
        let admins: Vec<Address> = self.admins.iter().copied().collect();
        w.list(&admins, |w, a| a.encode(w));
        self.validators.encode(w);
        w.option(self.last_validators.as_ref(), |w, v| v.encode(w));
        w.list(&self.pending, |w, p| p.encode(w));
        w.u64(self.height);
        self.last_block_hash.encode(w);
        w.u64(self.last_time_ms);
    }
}

/// A set of addresses, which must come sorted and distinct (its one canonical form).
fn address_set(r: &mut Reader<'_>, what: &'static str) -> Result<BTreeSet<Address>, DecodeError> {
    let list = r.list(what, MAX_ROLE_ACCOUNTS, 20, Address::decode)?;
    if list.windows(2).any(|w| w[0] >= w[1]) {
        return Err(DecodeError::NonCanonical(what));
    }
    Ok(list.into_iter().collect())
}

impl Decode for StateFields {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(StateFields {
            chain_id: r.string("chain id", MAX_CHAIN_ID_LEN)?,
            decimals: r.u8()?,
            total_supply: Amount::decode(r)?,
            issuers: address_set(r, "issuers")?,
            admins: address_set(r, "admins")?,
            validators: ValidatorSet::decode(r)?,
            last_validators: r.option("last validators", ValidatorSet::decode)?,
            pending: r.list(
                "pending validator changes",
                MAX_PENDING_CHANGES,
                9,
                PendingValidatorChange::decode,
            )?,
            height: r.u64()?,
            last_block_hash: Hash::decode(r)?,
            last_time_ms: r.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keypair;
    use crate::genesis::{ConsensusParams, Genesis, GenesisAccount, GenesisValidator};
    use crate::state::{PendingValidatorChange, ValidatorChange};
    use crate::transaction::Transaction;

    fn state() -> LedgerState {
        let v = Keypair::from_seed(&[1; 32]);
        let genesis = Genesis {
            chain_id: "snapshot-test".into(),
            genesis_time_ms: 5,
            decimals: 2,
            validators: vec![GenesisValidator {
                name: "v".into(),
                key: v.public(),
                power: 1,
                node_id: None,
                p2p_address: None,
            }],
            issuers: vec![Address([9; 20]), Address([8; 20])],
            admins: vec![Address([7; 20])],
            accounts: (1..=5u8)
                .map(|a| GenesisAccount {
                    address: Address([a; 20]),
                    balance: Amount(u128::from(a) * 10),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        let mut state = LedgerState::from_genesis(&genesis).unwrap();
        let f = state.fields_mut();
        f.height = 3;
        f.last_block_hash = Hash([4; 32]);
        f.last_validators = Some(f.validators.clone());
        f.pending.push(PendingValidatorChange {
            effective_height: 5,
            change: ValidatorChange::Remove { key: v.public() },
        });
        state
    }

    #[test]
    fn a_state_rebuilt_from_its_parts_has_the_same_root_and_last_hash() {
        let state = state();
        let accounts: Vec<_> = state.accounts().collect();
        let rebuilt = LedgerState::from_parts(state.fields(), accounts.into_iter().rev());
        assert_eq!(rebuilt.state_root(), state.state_root());
        assert_eq!(rebuilt.last_block_hash(), state.last_block_hash());
        assert_eq!(rebuilt.account_count(), 5);
        assert_eq!(rebuilt.fields(), state.fields());
    }

    #[test]
    fn default_accounts_are_left_out_of_the_rebuilt_trie() {
        let state = state();
        let extra = (Address([42; 20]), Account::default());
        let rebuilt = LedgerState::from_parts(state.fields(), state.accounts().chain([extra]));
        assert_eq!(rebuilt.state_root(), state.state_root());
    }

    #[test]
    fn state_fields_round_trip_through_their_encoding() {
        let fields = state().fields();
        let bytes = fields.to_bytes();
        assert_eq!(StateFields::decode_exact(&bytes).unwrap(), fields);
        assert!(StateFields::decode_exact(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn unsorted_or_repeated_issuers_are_not_canonical() {
        for list in [[Address([9; 20]), Address([8; 20])], [Address([8; 20]); 2]] {
            let mut w = Writer::new();
            w.list(&list, |w, a| a.encode(w));
            let bytes = w.into_bytes();
            assert_eq!(
                address_set(&mut Reader::new(&bytes), "issuers"),
                Err(DecodeError::NonCanonical("issuers"))
            );
        }
    }

    #[test]
    fn touched_accounts_names_senders_and_every_address_an_operation_names() {
        let k = Keypair::from_seed(&[3; 32]);
        let tx = |op| {
            Transaction {
                chain_id: "snapshot-test".into(),
                sender: k.public(),
                nonce: 0,
                expiry_ms: 10,
                op,
            }
            .sign(&k)
        };
        let state = state();
        let block = Block {
            header: crate::block::Header {
                chain_id: "snapshot-test".into(),
                height: 1,
                time_ms: 6,
                prev_hash: Hash::ZERO,
                tx_root: Hash::ZERO,
                state_root: state.state_root(),
                proposer: k.public(),
                last_commit_hash: Hash::ZERO,
                validators_hash: Hash::ZERO,
            },
            last_commit: None,
            txs: vec![
                tx(Operation::Transfer {
                    to: Address([1; 20]),
                    amount: Amount(1),
                    memo: String::new(),
                }),
                tx(Operation::Mint {
                    to: Address([2; 20]),
                    amount: Amount(1),
                }),
                tx(Operation::Freeze {
                    account: Address([3; 20]),
                }),
                tx(Operation::Burn { amount: Amount(1) }),
            ],
        };
        let sender = Address::from_public_key(&k.public());
        let expected: BTreeSet<Address> =
            [sender, Address([1; 20]), Address([2; 20]), Address([3; 20])].into();
        assert_eq!(touched_accounts(&block), expected);
    }
}
