//! The committed accounts of recent senders: admission reads a sender's account here instead
//! of walking the accounts trie once its queue has emptied.
//!
//! Rule: an entry is the address's account in the state of the pool's last commit. Every
//! account a block changes comes to [`Mempool::on_commit`](super::Mempool::on_commit) with
//! its new value and is recorded, so an entry never goes stale; an address that is not here
//! is looked up in the trie. At `capacity` entries the map starts again empty, which bounds
//! its memory and costs only lookups until the active senders are back.
//!
//! Why: with many senders and few transactions each, most admissions find the sender's queue
//! empty (its last transaction was committed), and the trie walk (the address hashed, then a
//! dozen dependent pointer loads) was 3% of the machine at 12,000 tx/s (docs/PERFORMANCE.md,
//! fourteenth session).

use std::collections::HashMap;

use vellum_protocol::{Account, Address};

/// Addresses and their accounts as of the pool's last commit.
#[derive(Debug)]
pub(super) struct KnownAccounts {
    accounts: HashMap<Address, Account>,
    capacity: usize,
}

impl KnownAccounts {
    /// An empty map that holds at most `capacity` accounts (at least one).
    pub(super) fn new(capacity: usize) -> KnownAccounts {
        KnownAccounts {
            accounts: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    pub(super) fn get(&self, address: &Address) -> Option<Account> {
        self.accounts.get(address).copied()
    }

    /// Records the accounts a commit changed, with their values after it.
    pub(super) fn record(&mut self, changed: &[(Address, Account)]) {
        for (address, account) in changed {
            if self.accounts.len() >= self.capacity && !self.accounts.contains_key(address) {
                self.accounts.clear();
            }
            self.accounts.insert(*address, *account);
        }
    }

    /// Forgets every account: the pool no longer knows which state they belong to.
    pub(super) fn clear(&mut self) {
        self.accounts.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.accounts.len()
    }

    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Address, Account)> {
        self.accounts.iter().map(|(a, &account)| (a, account))
    }
}
