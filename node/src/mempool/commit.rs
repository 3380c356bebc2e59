//! After a block commits: the included transactions leave the pool, and the rest are checked
//! again against the new state.
//!
//! Rule: every pending transaction that has expired is evicted; and for each sender whose
//! account the block changed, in nonce order, a transaction is evicted when its nonce is now
//! below the account's (another transaction with that nonce was committed), when the sender is
//! frozen or lacks the role, or when the balance no longer covers it after the sender's kept
//! transactions with lower nonces. Those kept are exactly those admission would keep, so the
//! pool never holds what it would refuse.

use vellum_protocol::{Account, Address, Amount, Hash, LedgerState, RejectReason};

use super::admission::check_sender;
use super::{Mempool, StateMark, count_waiting};

/// Why a pending transaction left the pool other than by being included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Removal {
    /// The sender's nonce moved past it: another transaction with this nonce was committed.
    #[error(
        "another transaction with nonce {nonce} was committed; the account is at {account_nonce}"
    )]
    Replaced { nonce: u64, account_nonce: u64 },
    /// Its expiry passed before a block included it.
    #[error("the transaction expired before it could be included; sign a new one")]
    Expired,
    /// The new state refuses it: the sender was frozen, or can no longer fund it.
    #[error(transparent)]
    Rejected(RejectReason),
}

impl Removal {
    /// The ledger reason a client sees as the transaction's final status.
    pub fn reason(&self) -> RejectReason {
        match self {
            Removal::Replaced {
                nonce,
                account_nonce,
            } => RejectReason::NonceTooLow {
                expected: *account_nonce,
                got: *nonce,
            },
            Removal::Expired => RejectReason::Expired,
            Removal::Rejected(reason) => reason.clone(),
        }
    }

    /// The code of [`Removal::reason`].
    pub fn code(&self) -> u16 {
        self.reason().code()
    }

    /// The name of [`Removal::reason`].
    pub fn name(&self) -> &'static str {
        self.reason().name()
    }
}

impl Mempool {
    /// Applies a committed block: removes the `included` transactions, then checks again the
    /// pending transactions of the senders whose account the block changed (`changed`, as
    /// they are in `state`, the state after the block: `LedgerState::changed_accounts`), and
    /// evicts every pending transaction expired at `now_ms`. Returns each evicted transaction
    /// with its reason, in arrival order. The block's size counts toward the commit rate a
    /// full pool's refusal is timed by ([`super::DrainRate`]). Each queue then holds its
    /// sender's account in `state`, and every changed account is kept too (even one whose
    /// queue the block emptied), for the admissions and reaps that follow.
    ///
    /// Only a changed sender's transactions can have become invalid: an account the block did
    /// not change has the nonce, balance and standing its transactions were admitted against,
    /// and the issuer and admin roles are fixed in genesis. So the cost follows the block, not
    /// the pool: checking every sender after every block cost one account lookup per sender
    /// and a look at each pending transaction, and with a pool of 100,000 under overload that
    /// took more of each height than the block did (docs/PERFORMANCE.md). The changed
    /// accounts come with their values (from comparing the trie before and after the block),
    /// so none is looked up in the accounts trie here.
    pub fn on_commit(
        &mut self,
        included: &[Hash],
        changed: &[(Address, Account)],
        state: &LedgerState,
        now_ms: u64,
    ) -> Vec<(Hash, Removal)> {
        self.drain.record(now_ms, included.len());
        // `changed` is what the block after the synced state changed; after any other jump
        // (the first commit, or a state the pool was not kept with) the known accounts may be
        // stale.
        if self.synced.map(|s| s.height + 1) != Some(state.height()) {
            self.known.clear();
        }
        self.known.record(changed);
        self.synced = Some(StateMark::of(state));
        for hash in included {
            if let Some(&seq) = self.by_hash.get(hash) {
                self.remove(seq);
            }
        }
        let mut evicted: Vec<(u64, Removal)> = self
            .expired(now_ms)
            .into_iter()
            .map(|seq| (seq, Removal::Expired))
            .collect();
        for (sender, account) in changed {
            let Some(queue) = self.accounts.get_mut(sender) else {
                continue;
            };
            count_waiting(&mut self.waiting, queue, |q| q.set_account(*account));
            if !account.frozen
                && queue
                    .cost_from(account.nonce)
                    .is_some_and(|c| c <= account.balance)
            {
                // The rule's outcome without looking at each transaction: roles are fixed in
                // genesis, so only the nonce can fail a transaction of an unfrozen sender
                // whose balance covers all it has pending (expired ones are evicted above).
                for (nonce, slot) in queue.iter_below(account.nonce) {
                    if self.by_seq[&slot.seq].tx.tx.expiry_ms >= now_ms {
                        let removal = Removal::Replaced {
                            nonce,
                            account_nonce: account.nonce,
                        };
                        evicted.push((slot.seq, removal));
                    }
                }
                continue;
            }
            let mut spent = Amount::ZERO;
            for (nonce, slot) in queue.iter() {
                let tx = &self.by_seq[&slot.seq].tx.tx;
                if tx.expiry_ms < now_ms {
                    continue; // evicted as expired above
                }
                let verdict = recheck(state, sender, account, nonce, tx, spent);
                match verdict {
                    Ok(()) => spent = spent.checked_add(slot.cost).unwrap_or(Amount(u128::MAX)),
                    Err(removal) => evicted.push((slot.seq, removal)),
                }
            }
        }
        evicted.sort_unstable_by_key(|(seq, _)| *seq);
        evicted
            .into_iter()
            .filter_map(|(seq, removal)| self.remove(seq).map(|e| (e.hash, removal)))
            .collect()
    }
}

/// Whether a pending transaction may stay, given the new `account` and what the sender's kept
/// transactions with lower nonces spend.
fn recheck(
    state: &LedgerState,
    sender: &vellum_protocol::Address,
    account: &Account,
    nonce: u64,
    tx: &vellum_protocol::Transaction,
    spent: Amount,
) -> Result<(), Removal> {
    if nonce < account.nonce {
        return Err(Removal::Replaced {
            nonce,
            account_nonce: account.nonce,
        });
    }
    check_sender(state, sender, account, &tx.op).map_err(Removal::Rejected)?;
    let cost = super::admission::cost(&tx.op);
    let needed = spent.checked_add(cost);
    if !cost.is_zero() && needed.is_none_or(|n| n > account.balance) {
        return Err(Removal::Rejected(RejectReason::InsufficientFunds {
            balance: account.balance,
            needed: needed.unwrap_or(Amount(u128::MAX)),
        }));
    }
    Ok(())
}
