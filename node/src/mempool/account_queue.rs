//! One sender's pending transactions, ordered by nonce.
//!
//! The queue holds at most one transaction per nonce (a second one with the same nonce is a
//! conflict, refused at admission). Only the run of consecutive nonces that starts at the
//! account's committed nonce can go into the next block; a transaction after a gap waits until
//! the gap is filled, it expires, or a commit makes it stale.

use std::collections::BTreeMap;

use vellum_protocol::{Amount, Hash};

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
    /// The account's committed nonce when last seen (at admission or commit): where the run of
    /// transactions ready for a block starts.
    pub base_nonce: u64,
}

impl AccountQueue {
    pub fn new(base_nonce: u64) -> AccountQueue {
        AccountQueue {
            slots: BTreeMap::new(),
            base_nonce,
        }
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
    }

    pub fn remove(&mut self, nonce: u64) -> Option<Slot> {
        self.slots.remove(&nonce)
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

    /// The first nonce at or after `base_nonce` with no pending transaction: the nonce a
    /// wallet should sign next.
    pub fn run_end(&self) -> u64 {
        let mut next = self.base_nonce;
        for (&nonce, _) in self.slots.range(self.base_nonce..) {
            if nonce != next {
                break;
            }
            next = next.saturating_add(1);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(seq: u64, cost: u128) -> Slot {
        Slot {
            seq,
            cost: Amount(cost),
            hash: Hash::ZERO,
        }
    }

    #[test]
    fn the_run_ends_at_the_first_gap() {
        let mut q = AccountQueue::new(5);
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
    fn cost_below_sums_lower_nonces_only_and_detects_overflow() {
        let mut q = AccountQueue::new(0);
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
