//! The bench's funded accounts and who sends what.
//!
//! Keys are deterministic (SHA-256 of a label and the index), so a run can be repeated and a
//! transaction named by account and nonce. Transaction `j` of the load is account `j % A`'s
//! transfer with nonce `j / A` to the next account: each account's nonces ascend in send
//! order, and an account sends once every `A / rate` seconds. Account `a` is pinned to one node
//! (`a % nodes`), so all of its transactions reach the same mempool in order.

use vellum_protocol::genesis::GenesisAccount;
use vellum_protocol::{Address, Amount, Hash, Keypair};

/// Each account's opening balance in minor units: far more than any run spends.
pub const OPENING_BALANCE: Amount = Amount(1_000_000_000_000);

/// The node's default `mempool.max_per_account`, which is also its nonce window: an account
/// may have at most this many transactions pending.
pub const NODE_PENDING_LIMIT: u64 = 64;

/// The sending accounts.
#[derive(Debug, Clone)]
pub struct Accounts {
    keys: Vec<Keypair>,
    addresses: Vec<Address>,
}

/// Account `i`'s key.
pub fn key(i: u32) -> Keypair {
    let seed = Hash::of(&[b"vellum-bench account", &i.to_le_bytes()]);
    Keypair::from_seed(&seed.0)
}

impl Accounts {
    pub fn new(count: u32) -> Accounts {
        let keys: Vec<Keypair> = (0..count).map(key).collect();
        let addresses = keys
            .iter()
            .map(|k| Address::from_public_key(&k.public()))
            .collect();
        Accounts { keys, addresses }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn key(&self, a: usize) -> &Keypair {
        &self.keys[a]
    }

    pub fn address(&self, a: usize) -> Address {
        self.addresses[a]
    }

    /// Their opening balances, for genesis.
    pub fn genesis(&self) -> Vec<GenesisAccount> {
        self.addresses
            .iter()
            .map(|&address| GenesisAccount {
                address,
                balance: OPENING_BALANCE,
            })
            .collect()
    }
}

/// Who sends transaction `j`, with which nonce, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub sender: usize,
    pub nonce: u64,
    pub recipient: usize,
}

/// Transaction `j` of a load spread over `accounts` accounts.
pub fn slot(j: u64, accounts: usize) -> Slot {
    let a = accounts as u64;
    let sender = (j % a) as usize;
    Slot {
        sender,
        nonce: j / a,
        recipient: (sender + 1) % accounts,
    }
}

/// The node (an index into the nodes that take load) account `sender` is pinned to.
pub fn node_of(sender: usize, nodes: usize) -> usize {
    sender % nodes
}

/// The submit-to-final latency at which an account's pending transactions reach the node's
/// per-account limit, at `rate` over `accounts`: beyond it the node refuses with
/// `account_limit` or `nonce_too_high`.
pub fn latency_headroom_secs(rate: u64, accounts: u32) -> f64 {
    NODE_PENDING_LIMIT as f64 * f64::from(accounts) / rate.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_ascend_per_account_in_send_order() {
        let slots: Vec<Slot> = (0..9).map(|j| slot(j, 3)).collect();
        let of_one: Vec<u64> = slots
            .iter()
            .filter(|s| s.sender == 1)
            .map(|s| s.nonce)
            .collect();
        assert_eq!(of_one, vec![0, 1, 2]);
        assert!(slots.iter().all(|s| s.recipient != s.sender));
    }

    #[test]
    fn keys_are_deterministic_and_distinct() {
        assert_eq!(key(7).public(), key(7).public());
        assert_ne!(key(7).public(), key(8).public());
    }

    #[test]
    fn headroom_is_the_pending_limit_times_the_send_interval() {
        // 4000 accounts at 20000 tx/s: each sends every 0.2 s, 64 pending = 12.8 s.
        assert!((latency_headroom_secs(20_000, 4000) - 12.8).abs() < 1e-9);
    }
}
