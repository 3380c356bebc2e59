//! The simulated chain: genesis, keys, and the transactions proposers put in blocks.
//!
//! Every run uses the same accounts (keys from fixed seeds) and its own seeded stream of
//! transfers, including some that must be refused (overspends), so the ledger rule runs on
//! every block. Scheduled admin operations (validator changes) are included in nonce order
//! once the chain reaches the height they are due at.

use vellum_protocol::genesis::{ConsensusParams, Genesis, GenesisAccount, GenesisValidator};
use vellum_protocol::state::LedgerState;
use vellum_protocol::{Address, Amount, Keypair, Operation, SignedTransaction, Transaction};

use super::rng::SimRng;

pub const CHAIN_ID: &str = "vellum-sim";
const USERS: usize = 8;
const START_BALANCE: u128 = 1_000_000;

/// Keys of the simulated chain: validators (one per node), users, an issuer and an admin.
#[derive(Debug, Clone)]
pub struct Keys {
    pub nodes: Vec<Keypair>,
    pub users: Vec<Keypair>,
    pub issuer: Keypair,
    pub admin: Keypair,
}

impl Keys {
    pub fn new(nodes: usize) -> Keys {
        let seed = |tag: u8, i: usize| {
            let mut s = [tag; 32];
            s[..8].copy_from_slice(&(i as u64).to_be_bytes());
            s
        };
        Keys {
            nodes: (0..nodes)
                .map(|i| Keypair::from_seed(&seed(1, i)))
                .collect(),
            users: (0..USERS)
                .map(|i| Keypair::from_seed(&seed(2, i)))
                .collect(),
            issuer: Keypair::from_seed(&seed(3, 0)),
            admin: Keypair::from_seed(&seed(4, 0)),
        }
    }
}

/// A genesis in which the first `validators` nodes validate with power 1 each.
pub fn genesis(keys: &Keys, validators: usize) -> Genesis {
    Genesis {
        chain_id: CHAIN_ID.to_string(),
        genesis_time_ms: 1_000,
        decimals: 2,
        validators: keys.nodes[..validators]
            .iter()
            .enumerate()
            .map(|(i, k)| GenesisValidator {
                name: format!("node{i}"),
                key: k.public(),
                power: 1,
                node_id: None,
                p2p_address: None,
            })
            .collect(),
        issuers: vec![Address::from_public_key(&keys.issuer.public())],
        admins: vec![Address::from_public_key(&keys.admin.public())],
        accounts: keys
            .users
            .iter()
            .map(|k| GenesisAccount {
                address: Address::from_public_key(&k.public()),
                balance: Amount(START_BALANCE),
            })
            .collect(),
        consensus: ConsensusParams::default(),
    }
}

/// Picks the transactions a proposer offers for the next block.
#[derive(Debug)]
pub struct Workload {
    keys: Keys,
    /// The ledger state at genesis.
    pub genesis: LedgerState,
    /// Verified transaction signatures, shared by every node of the run.
    pub verifier: super::verifier::VerifiedCache,
    admin_ops: Vec<(u64, Operation)>,
    txs_per_block: usize,
}

impl Workload {
    /// The chain of `keys` with the first `validators` nodes as genesis validators.
    pub fn new(
        keys: Keys,
        validators: usize,
        admin_ops: Vec<(u64, Operation)>,
        txs_per_block: usize,
    ) -> Workload {
        let genesis = LedgerState::from_genesis(&genesis(&keys, validators))
            .expect("the simulated genesis is valid");
        Workload {
            keys,
            genesis,
            verifier: Default::default(),
            admin_ops,
            txs_per_block,
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Candidate transactions for the block after `state`, valid for that state except the
    /// deliberate overspends.
    pub fn candidates(&self, state: &LedgerState, rng: &mut SimRng) -> Vec<SignedTransaction> {
        let height = state.height() + 1;
        let expiry_ms = u64::MAX;
        let mut out = Vec::new();
        let admin_addr = Address::from_public_key(&self.keys.admin.public());
        let admin_nonce = state.account(&admin_addr).nonce;
        if let Some((due, op)) = self.admin_ops.get(admin_nonce as usize)
            && height >= *due
        {
            let tx = Transaction {
                chain_id: CHAIN_ID.into(),
                sender: self.keys.admin.public(),
                nonce: admin_nonce,
                expiry_ms,
                op: op.clone(),
            };
            out.push(tx.sign(&self.keys.admin));
        }
        for _ in 0..self.txs_per_block {
            let from = rng.below(self.keys.users.len() as u64) as usize;
            let to = (from + 1 + rng.below(self.keys.users.len() as u64 - 1) as usize)
                % self.keys.users.len();
            let sender = &self.keys.users[from];
            let addr = Address::from_public_key(&sender.public());
            let already = out
                .iter()
                .filter(|t| t.tx.sender == sender.public())
                .count() as u64;
            let acct = state.account(&addr);
            // One in ten asks for more than the account holds: the ledger must refuse it.
            let amount = if rng.chance(100) {
                acct.balance.0 + 1 + u128::from(rng.below(100))
            } else {
                1 + u128::from(rng.below(2_000))
            };
            let tx = Transaction {
                chain_id: CHAIN_ID.into(),
                sender: sender.public(),
                nonce: acct.nonce + already,
                expiry_ms,
                op: Operation::Transfer {
                    to: Address::from_public_key(&self.keys.users[to].public()),
                    amount: Amount(amount),
                    memo: format!("h{height}"),
                },
            };
            out.push(tx.sign(sender));
        }
        if rng.chance(200) {
            let to = rng.below(self.keys.users.len() as u64) as usize;
            let issuer_addr = Address::from_public_key(&self.keys.issuer.public());
            let tx = Transaction {
                chain_id: CHAIN_ID.into(),
                sender: self.keys.issuer.public(),
                nonce: state.account(&issuer_addr).nonce,
                expiry_ms,
                op: Operation::Mint {
                    to: Address::from_public_key(&self.keys.users[to].public()),
                    amount: Amount(500),
                },
            };
            out.push(tx.sign(&self.keys.issuer));
        }
        out
    }
}
