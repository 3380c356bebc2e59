//! After a block commits: the included transactions leave the pool, and the rest are checked
//! again against the new state.
//!
//! Rule: for each sender with pending transactions, in nonce order, a transaction is evicted
//! when its nonce is now below the account's (another transaction with that nonce was
//! committed), when it has expired, when the sender is frozen or lacks the role, or when the
//! balance no longer covers it after the sender's kept transactions with lower nonces. Those
//! kept are exactly those admission would keep, so the pool never holds what it would refuse.

use vellum_protocol::{Account, Amount, Hash, LedgerState, RejectReason};

use super::Mempool;
use super::admission::check_sender;

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
    /// Applies a committed block: removes the `included` transactions, then checks every
    /// other pending one against `state` (the state after the block) at `now_ms`. Returns
    /// each evicted transaction with its reason, in arrival order. Costs one account lookup
    /// per sender with pending transactions, whatever the block held: it needs only hashes,
    /// and a block may consume a nonce with a transaction this pool never saw.
    pub fn on_commit(
        &mut self,
        included: &[Hash],
        state: &LedgerState,
        now_ms: u64,
    ) -> Vec<(Hash, Removal)> {
        for hash in included {
            if let Some(&seq) = self.by_hash.get(hash) {
                self.remove(seq);
            }
        }
        let mut evicted: Vec<(u64, Removal)> = Vec::new();
        for (sender, queue) in &mut self.accounts {
            let account = state.account(sender);
            queue.base_nonce = account.nonce;
            let mut spent = Amount::ZERO;
            for (nonce, slot) in queue.iter() {
                let tx = &self.by_seq[&slot.seq].tx.tx;
                let verdict = recheck(state, sender, &account, nonce, tx, now_ms, spent);
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
    now_ms: u64,
    spent: Amount,
) -> Result<(), Removal> {
    if nonce < account.nonce {
        return Err(Removal::Replaced {
            nonce,
            account_nonce: account.nonce,
        });
    }
    if tx.expiry_ms < now_ms {
        return Err(Removal::Expired);
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
