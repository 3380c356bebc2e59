//! Admission: the checks a transaction passes before the mempool keeps it, and the refusals.
//!
//! Rule, in this order (the first failure is the answer): size, chain id, expiry
//! (`expiry_ms < now_ms`), nonce (not below the account's committed nonce, below it plus the
//! nonce window, and no other pending transaction with the same sender and nonce), the sender
//! not frozen, the sender's role (issuer for mint and burn, admin for admin operations), the
//! operation's form (nonzero amount, no self-transfer, a usable validator key and power), the
//! memo length, funds for the pending sequence (the balance, less what the sender's pending
//! transactions with lower nonces spend, covers this one), the per-account limit, the pool's
//! bounds, and for a transaction that would wait behind a nonce gap (its nonce is past the end
//! of the sender's ready run) the bound on waiting transactions; the signature comes last, in
//! one batch for all that passed (see [`super`]).
//!
//! These are the ledger's own admission and execution checks (`check_tx`) seen from a pool:
//! a reason the ledger has keeps its [`RejectReason`] and code; refusals only a pool can make
//! are the other variants of [`AdmissionError`], with codes from 100 on.

use vellum_protocol::ledger::is_strong_key;
use vellum_protocol::receipt::ValidatorChangeError;
use vellum_protocol::transaction::{MAX_MEMO_LEN, MAX_TX_BYTES};
use vellum_protocol::{
    Account, Address, Amount, Hash, LedgerState, Operation, RejectReason, SignedTransaction,
};

use super::MempoolConfig;
use super::account_queue::AccountQueue;

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    /// The ledger would refuse it, or it would fail to execute.
    #[error(transparent)]
    Rejected(RejectReason),
    /// The pool is at one of its bounds: of transactions, of bytes, or of transactions
    /// waiting behind a nonce gap. For the first two, `retry_after_ms` says when the chain
    /// will have made room (see [`super::drain`]); a gap is closed by its missing nonce.
    #[error("the mempool is full ({max} {limit}); {}", retry_text(*retry_after_ms))]
    Full {
        limit: &'static str,
        max: u64,
        retry_after_ms: Option<u64>,
    },
    /// The sender has as many pending transactions as one account may have.
    #[error(
        "the sender already has {max} pending transactions, the most one account may have; \
         wait for some to commit"
    )]
    AccountLimit { max: usize },
    /// Another transaction with the same sender and nonce is pending; the first one stays.
    #[error(
        "transaction {pending} with the same sender and nonce {nonce} is pending; \
         wait for it to commit or expire"
    )]
    ConflictingNonce { nonce: u64, pending: Hash },
}

impl AdmissionError {
    /// A stable numeric code: the [`RejectReason`] code, or 100 and up for pool refusals.
    pub fn code(&self) -> u16 {
        match self {
            AdmissionError::Rejected(reason) => reason.code(),
            AdmissionError::Full { .. } => 100,
            AdmissionError::AccountLimit { .. } => 101,
            AdmissionError::ConflictingNonce { .. } => 102,
        }
    }

    /// A stable snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            AdmissionError::Rejected(reason) => reason.name(),
            AdmissionError::Full { .. } => "mempool_full",
            AdmissionError::AccountLimit { .. } => "account_limit",
            AdmissionError::ConflictingNonce { .. } => "conflicting_nonce",
        }
    }

    /// True when the refusal depends on what else is pending, so that it may not hold once
    /// another transaction leaves the pool.
    pub(super) fn depends_on_pool(&self) -> bool {
        matches!(
            self,
            AdmissionError::Full { .. }
                | AdmissionError::AccountLimit { .. }
                | AdmissionError::ConflictingNonce { .. }
                | AdmissionError::Rejected(RejectReason::InsufficientFunds { .. })
        )
    }
}

/// What a full pool's refusal tells the client to do.
fn retry_text(retry_after_ms: Option<u64>) -> String {
    match retry_after_ms {
        Some(ms) => format!("retry in {:.1} s", ms as f64 / 1_000.0),
        None => "retry later".to_string(),
    }
}

impl From<RejectReason> for AdmissionError {
    fn from(reason: RejectReason) -> Self {
        AdmissionError::Rejected(reason)
    }
}

/// What admission looks at besides the transaction.
pub(super) struct Admission<'a> {
    pub state: &'a LedgerState,
    pub config: &'a MempoolConfig,
    pub now_ms: u64,
    /// Transactions and bytes in the pool now, and how many of them wait behind a gap.
    pub pool_len: usize,
    pub pool_bytes: usize,
    pub pool_waiting: usize,
    /// What a refusal for the pool's size tells the client ([`super::drain`]).
    pub retry_after_ms: u64,
}

/// What a transaction takes from its sender's balance when it executes.
pub(super) fn cost(op: &Operation) -> Amount {
    match op {
        Operation::Transfer { amount, .. } | Operation::Burn { amount } => *amount,
        _ => Amount::ZERO,
    }
}

impl Admission<'_> {
    /// Every check but the signature, in the order of the module documentation. `size` is the
    /// length of the signed encoding; `account` is the sender's committed account and `queue`
    /// its pending transactions.
    pub fn check(
        &self,
        stx: &SignedTransaction,
        size: usize,
        sender: &Address,
        account: &Account,
        queue: Option<&AccountQueue>,
    ) -> Result<(), AdmissionError> {
        let tx = &stx.tx;
        if size > MAX_TX_BYTES {
            return Err(oversized(size).into());
        }
        if tx.chain_id != self.state.chain_id() {
            return Err(RejectReason::WrongChainId.into());
        }
        if tx.expiry_ms < self.now_ms {
            return Err(RejectReason::Expired.into());
        }
        let (expected, got) = (account.nonce, tx.nonce);
        if got < expected {
            return Err(RejectReason::NonceTooLow { expected, got }.into());
        }
        // Saturating, so nonce `u64::MAX`, which no account ever reaches, is always too high.
        if got >= expected.saturating_add(self.config.nonce_window) {
            return Err(RejectReason::NonceTooHigh { expected, got }.into());
        }
        if let Some(slot) = queue.and_then(|q| q.get(got)) {
            return Err(AdmissionError::ConflictingNonce {
                nonce: got,
                pending: slot.hash,
            });
        }
        check_sender(self.state, sender, account, &tx.op)?;
        check_form(sender, &tx.op)?;
        let needed = cost(&tx.op);
        if !needed.is_zero() {
            let pending = queue.map_or(Some(Amount::ZERO), |q| q.cost_below(got));
            let total = pending.and_then(|p| p.checked_add(needed));
            if total.is_none_or(|t| t > account.balance) {
                return Err(RejectReason::InsufficientFunds {
                    balance: account.balance,
                    needed: total.unwrap_or(Amount(u128::MAX)),
                }
                .into());
            }
        }
        let max = self.config.max_per_account;
        if queue.is_some_and(|q| q.len() >= max) {
            return Err(AdmissionError::AccountLimit { max });
        }
        if self.pool_len >= self.config.max_txs {
            return Err(full_of_transactions(self.config, self.retry_after_ms));
        }
        if self.pool_bytes.saturating_add(size) > self.config.max_bytes {
            return Err(AdmissionError::Full {
                limit: "bytes",
                max: self.config.max_bytes as u64,
                retry_after_ms: Some(self.retry_after_ms),
            });
        }
        let run_end = queue.map_or(expected, AccountQueue::run_end).max(expected);
        let max_waiting = self.config.max_waiting();
        if got > run_end && self.pool_waiting >= max_waiting {
            return Err(AdmissionError::Full {
                limit: "transactions waiting behind a nonce gap",
                max: max_waiting as u64,
                retry_after_ms: None,
            });
        }
        Ok(())
    }
}

/// The refusal of a pool at its bound of transactions.
pub(super) fn full_of_transactions(config: &MempoolConfig, retry_after_ms: u64) -> AdmissionError {
    AdmissionError::Full {
        limit: "transactions",
        max: config.max_txs as u64,
        retry_after_ms: Some(retry_after_ms),
    }
}

pub(super) fn oversized(size: usize) -> RejectReason {
    RejectReason::Oversized {
        size: size as u64,
        max: MAX_TX_BYTES as u64,
    }
}

/// The checks on the sender's standing: not frozen, and holding the role the operation needs.
/// Run at admission and again after every commit.
pub(super) fn check_sender(
    state: &LedgerState,
    sender: &Address,
    account: &Account,
    op: &Operation,
) -> Result<(), RejectReason> {
    if account.frozen {
        return Err(RejectReason::SenderFrozen);
    }
    match op {
        Operation::Transfer { .. } => Ok(()),
        Operation::Mint { .. } | Operation::Burn { .. } if !state.is_issuer(sender) => {
            Err(RejectReason::NotIssuer)
        }
        Operation::Mint { .. } | Operation::Burn { .. } => Ok(()),
        _ if !state.is_admin(sender) => Err(RejectReason::NotAdmin),
        _ => Ok(()),
    }
}

/// The checks on the operation alone: the amount, the recipient, the validator change, the
/// memo (the order of the ledger's execution checks, then the memo).
fn check_form(sender: &Address, op: &Operation) -> Result<(), RejectReason> {
    match op {
        Operation::Transfer { amount, .. }
        | Operation::Mint { amount, .. }
        | Operation::Burn { amount }
            if amount.is_zero() =>
        {
            return Err(RejectReason::ZeroAmount);
        }
        Operation::Transfer { to, .. } if to == sender => {
            return Err(RejectReason::SelfTransfer);
        }
        Operation::AddValidator { power: 0, .. } => {
            return Err(ValidatorChangeError::ZeroPower.into());
        }
        Operation::AddValidator { key, .. } if !is_strong_key(key) => {
            return Err(ValidatorChangeError::BadKey { key: *key }.into());
        }
        _ => {}
    }
    if let Operation::Transfer { memo, .. } = op
        && memo.len() > MAX_MEMO_LEN
    {
        return Err(RejectReason::MemoTooLong);
    }
    Ok(())
}
