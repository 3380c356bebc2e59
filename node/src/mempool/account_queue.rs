//! One sender's pending transactions, ordered by nonce.
//!
//! The queue holds at most one transaction per nonce (a second one with the same nonce is a
//! conflict, refused at admission). Only the run of consecutive nonces that starts at the
//! account's committed nonce can go into the next block; a transaction after a gap waits until
//! the gap is filled, it expires, or a commit makes it stale. The queue keeps where that run
//! ends, so that the pool can count the transactions waiting behind a gap (it bounds them).

use std::collections::BTreeMap;

use vellum_protocol::{Account, Amount, Hash};

/// Where a pending transaction sits in the pool, and what it spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    /// Arrival sequence number: the key of the transaction in the pool.
    pub seq: u64,
    /// What it takes from the sender's balance (transfers and burns; zero otherwise).
    pub cost: Amount,
    pub hash: Hash,
}

/// A sender's pending transactions by nonce.
#[derive(Debug, Clone, Default)]
pub(super) struct AccountQueue {
    slots: BTreeMap<u64, Slot>,
    /// The sender's committed account when last seen (at admission or commit). Its nonce,
    /// the base nonce, is where the run of transactions ready for a block starts.
    account: Account,
    /// The first nonce at or after the base nonce with no pending transaction.
    run_end: u64,
}

impl AccountQueue {
    pub fn new(account: Account) -> AccountQueue {
        AccountQueue {
            slots: BTreeMap::new(),
            account,
            run_end: account.nonce,
        }
    }

    /// The committed account as last seen.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Sets the committed account, whose nonce the ready run starts from.
    pub fn set_account(&mut self, account: Account) {
        let moved = account.nonce != self.account.nonce;
        self.account = account;
        if moved {
            self.run_end = account.nonce;
            self.extend_run();
        }
    }

    fn base_nonce(&self) -> u64 {
        self.account.nonce
    }

    fn extend_run(&mut self) {
        while self.run_end < u64::MAX && self.slots.contains_key(&self.run_end) {
            self.run_end += 1;
        }
    }

    /// Pending transactions that wait behind a nonce gap (or sit below the committed nonce,
    /// until the commit that made them stale evicts them): those not in the ready run.
    pub fn waiting(&self) -> usize {
        self.slots.len() - (self.run_end - self.base_nonce()) as usize
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, nonce: u64) -> Option<Slot> {
        self.slots.get(&nonce).copied()
    }

    /// Adds a transaction; the caller has checked that `nonce` is free.
    pub fn insert(&mut self, nonce: u64, slot: Slot) {
        let previous = self.slots.insert(nonce, slot);
        debug_assert!(previous.is_none(), "nonce {nonce} was taken");
        if nonce == self.run_end {
            self.extend_run();
        }
    }

    pub fn remove(&mut self, nonce: u64) -> Option<Slot> {
        let slot = self.slots.remove(&nonce)?;
        if (self.base_nonce()..self.run_end).contains(&nonce) {
            self.run_end = nonce;
        }
        Some(slot)
    }

    /// Pending transactions in nonce order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Slot)> + '_ {
        self.slots.iter().map(|(n, s)| (*n, *s))
    }

    /// What the pending transactions with a nonce below `nonce` spend in total; `None` if the
    /// sum overflows (it then exceeds any balance).
    pub fn cost_below(&self, nonce: u64) -> Option<Amount> {
        self.slots
            .range(..nonce)
            .try_fold(Amount::ZERO, |sum, (_, s)| sum.checked_add(s.cost))
    }

    /// What the pending transactions with a nonce at or above `nonce` spend in total; `None`
    /// if the sum overflows.
    pub fn cost_from(&self, nonce: u64) -> Option<Amount> {
        self.slots
            .range(nonce..)
            .try_fold(Amount::ZERO, |sum, (_, s)| sum.checked_add(s.cost))
    }

    /// Pending transactions with a nonce below `nonce`, in nonce order.
    pub fn iter_below(&self, nonce: u64) -> impl Iterator<Item = (u64, Slot)> + '_ {
        self.slots.range(..nonce).map(|(n, s)| (*n, *s))
    }

    /// The first nonce at or after the base nonce with no pending transaction: the nonce a
    /// wallet should sign next.
    pub fn run_end(&self) -> u64 {
        self.run_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An account whose committed nonce is `nonce`.
    fn at(nonce: u64) -> Account {
        Account {
            nonce,
            ..Account::default()
        }
    }

    fn slot(seq: u64, cost: u128) -> Slot {
        Slot {
            seq,
            cost: Amount(cost),
            hash: Hash::ZERO,
        }
    }

    #[test]
    fn the_run_ends_at_the_first_gap() {
        let mut q = AccountQueue::new(at(5));
        assert_eq!(q.run_end(), 5);
        q.insert(6, slot(1, 0));
        assert_eq!(q.run_end(), 5, "a gap at the base nonce waits");
        q.insert(5, slot(2, 0));
        q.insert(8, slot(3, 0));
        assert_eq!(q.run_end(), 7);
        q.insert(4, slot(4, 0));
        assert_eq!(
            q.run_end(),
            7,
            "a stale nonce below the base does not count"
        );
    }

    #[test]
    fn the_waiting_count_follows_inserts_removals_and_the_base() {
        let mut q = AccountQueue::new(at(5));
        q.insert(7, slot(1, 0));
        q.insert(8, slot(2, 0));
        assert_eq!((q.run_end(), q.waiting()), (5, 2), "both wait for nonce 5");
        q.insert(5, slot(3, 0));
        assert_eq!(
            (q.run_end(), q.waiting()),
            (6, 2),
            "5 is ready, 7 and 8 wait for 6"
        );
        q.insert(6, slot(4, 0));
        assert_eq!((q.run_end(), q.waiting()), (9, 0), "the gap is filled");
        q.remove(6);
        assert_eq!(
            (q.run_end(), q.waiting()),
            (6, 2),
            "a hole makes 7 and 8 wait again"
        );
        q.remove(5);
        q.set_account(at(6));
        assert_eq!((q.run_end(), q.waiting()), (6, 2));
        q.set_account(at(7));
        assert_eq!(
            (q.run_end(), q.waiting()),
            (9, 0),
            "a commit of nonce 6 readies them"
        );
        q.insert(3, slot(5, 0));
        assert_eq!(q.waiting(), 1, "a stale nonce below the base is not ready");
        q.remove(3);
        q.remove(8);
        assert_eq!((q.run_end(), q.waiting()), (8, 0));
    }

    #[test]
    fn cost_below_sums_lower_nonces_only_and_detects_overflow() {
        let mut q = AccountQueue::new(at(0));
        q.insert(0, slot(1, 10));
        q.insert(1, slot(2, 20));
        q.insert(3, slot(3, 40));
        assert_eq!(q.cost_below(0), Some(Amount(0)));
        assert_eq!(q.cost_below(2), Some(Amount(30)));
        assert_eq!(q.cost_below(9), Some(Amount(70)));
        q.insert(4, slot(4, u128::MAX));
        assert_eq!(q.cost_below(9), None);
    }
}
