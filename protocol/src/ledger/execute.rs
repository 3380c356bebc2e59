//! One transaction: is it admissible in a block, and what does executing it do.
//!
//! Rule: admission checks, in order, the chain id, the memo length, the signature, the nonce
//! (it must equal the sender account's) and the expiry (`block time <= expiry_ms`); a failure
//! invalidates the block. Execution then consumes the nonce whatever happens; the operation's
//! effect applies only when all its checks pass: the sender is not frozen, holds the role the
//! operation needs (issuer for mint and burn, admin for freeze, unfreeze and validator changes),
//! and the operation is well-formed and affordable.

use crate::address::Address;
use crate::amount::Amount;
use crate::crypto::PublicKey;
use crate::receipt::{Outcome, RejectReason, ValidatorChangeError};
use crate::state::{Account, Keyed, LedgerState, PendingValidatorChange, ValidatorChange};
use crate::transaction::{MAX_MEMO_LEN, Operation, SignedTransaction, Transaction};

use super::VALIDATOR_CHANGE_DELAY;

/// True when `key` is a valid ed25519 point that is not of small order: the keys that can
/// ever produce a signature the crate accepts.
pub fn is_strong_key(key: &PublicKey) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(&key.0).is_ok_and(|vk| !vk.is_weak())
}

/// The checks that need no state: chain id and memo length.
pub(crate) fn check_form(tx: &Transaction, chain_id: &str) -> Result<(), RejectReason> {
    if tx.chain_id != chain_id {
        return Err(RejectReason::WrongChainId);
    }
    if let Operation::Transfer { memo, .. } = &tx.op
        && memo.len() > MAX_MEMO_LEN
    {
        return Err(RejectReason::MemoTooLong);
    }
    Ok(())
}

/// The admission checks; on success, the sender and its account.
pub(crate) fn admit(
    state: &LedgerState,
    stx: &SignedTransaction,
    block_time_ms: u64,
    signature_ok: bool,
) -> Result<(Keyed, Account), RejectReason> {
    let tx = &stx.tx;
    check_form(tx, state.chain_id())?;
    if !signature_ok {
        return Err(RejectReason::BadSignature);
    }
    let sender = Keyed::new(tx.sender_address());
    let account = state.account_keyed(&sender);
    check_nonce(account.nonce, tx.nonce)?;
    if block_time_ms > tx.expiry_ms {
        return Err(RejectReason::Expired);
    }
    Ok((sender, account))
}

/// The nonce must be the account's next. `u64::MAX` is never usable, so the account nonce
/// never wraps.
pub(crate) fn check_nonce(expected: u64, got: u64) -> Result<(), RejectReason> {
    if got < expected {
        Err(RejectReason::NonceTooLow { expected, got })
    } else if got > expected || got == u64::MAX {
        Err(RejectReason::NonceTooHigh { expected, got })
    } else {
        Ok(())
    }
}

/// Executes an admitted transaction in block `height`: the nonce is consumed, and the effect
/// applies only if every check of the operation passes.
pub(crate) fn execute(
    state: &mut LedgerState,
    (sender, account): (Keyed, Account),
    tx: &Transaction,
    height: u64,
) -> Outcome {
    // `check_nonce` keeps the nonce below `u64::MAX`.
    let consumed = Account {
        nonce: account.nonce + 1,
        ..account
    };
    let mut after = consumed;
    match run(state, sender.address, &mut after, &tx.op, height) {
        Ok(()) => {
            state.set_account_keyed(sender, after);
            Outcome::Committed
        }
        Err(reason) => {
            // `run` writes nothing to `state` before its last check, so only the nonce moves.
            state.set_account_keyed(sender, consumed);
            Outcome::Rejected(reason)
        }
    }
}

/// The checks that need only the sender and the operation, shared with mempool admission.
pub(crate) fn precheck(
    state: &LedgerState,
    sender: &Address,
    account: &Account,
    op: &Operation,
) -> Result<(), RejectReason> {
    if account.frozen {
        return Err(RejectReason::SenderFrozen);
    }
    let role_ok = match op {
        Operation::Transfer { .. } => true,
        Operation::Mint { .. } | Operation::Burn { .. } => state.is_issuer(sender),
        _ => state.is_admin(sender),
    };
    if !role_ok {
        return Err(match op {
            Operation::Mint { .. } | Operation::Burn { .. } => RejectReason::NotIssuer,
            _ => RejectReason::NotAdmin,
        });
    }
    match op {
        Operation::Transfer { to, amount, .. } => {
            nonzero(*amount)?;
            if to == sender {
                return Err(RejectReason::SelfTransfer);
            }
            affordable(account, *amount)
        }
        Operation::Burn { amount } => {
            nonzero(*amount)?;
            affordable(account, *amount)
        }
        Operation::Mint { amount, .. } => nonzero(*amount),
        Operation::AddValidator { key, power } => {
            if *power == 0 {
                return Err(ValidatorChangeError::ZeroPower.into());
            }
            if !is_strong_key(key) {
                return Err(ValidatorChangeError::BadKey { key: *key }.into());
            }
            Ok(())
        }
        Operation::Freeze { .. }
        | Operation::Unfreeze { .. }
        | Operation::RemoveValidator { .. } => Ok(()),
    }
}

impl From<ValidatorChangeError> for RejectReason {
    fn from(e: ValidatorChangeError) -> Self {
        RejectReason::InvalidValidatorChange(e)
    }
}

fn nonzero(amount: Amount) -> Result<(), RejectReason> {
    if amount.is_zero() {
        Err(RejectReason::ZeroAmount)
    } else {
        Ok(())
    }
}

fn affordable(account: &Account, amount: Amount) -> Result<(), RejectReason> {
    if account.balance < amount {
        Err(RejectReason::InsufficientFunds {
            balance: account.balance,
            needed: amount,
        })
    } else {
        Ok(())
    }
}

/// Applies `op`; `account` is the sender's, written back by the caller. Every check comes
/// before the first write to `state`.
fn run(
    state: &mut LedgerState,
    sender: Address,
    account: &mut Account,
    op: &Operation,
    height: u64,
) -> Result<(), RejectReason> {
    precheck(state, &sender, account, op)?;
    match op {
        Operation::Transfer { to, amount, .. } => {
            let to = Keyed::new(*to);
            let mut recipient = state.account_keyed(&to);
            recipient.balance = recipient
                .balance
                .checked_add(*amount)
                .ok_or(RejectReason::BalanceOverflow)?;
            account.balance = account
                .balance
                .checked_sub(*amount)
                .expect("checked affordable");
            state.set_account_keyed(to, recipient);
        }
        Operation::Mint { to, amount } => {
            let supply = state
                .total_supply()
                .checked_add(*amount)
                .ok_or(RejectReason::SupplyOverflow)?;
            // Every balance is part of the supply, so a balance cannot overflow if the supply
            // does not; checked anyway.
            let credit = |a: &mut Account| -> Result<(), RejectReason> {
                a.balance = a
                    .balance
                    .checked_add(*amount)
                    .ok_or(RejectReason::BalanceOverflow)?;
                Ok(())
            };
            if *to == sender {
                credit(account)?;
            } else {
                let mut recipient = state.account(to);
                credit(&mut recipient)?;
                state.set_account(*to, recipient);
            }
            state.fields_mut().total_supply = supply;
        }
        Operation::Burn { amount } => {
            let supply = state
                .total_supply()
                .checked_sub(*amount)
                .ok_or(RejectReason::SupplyOverflow)?;
            account.balance = account
                .balance
                .checked_sub(*amount)
                .expect("checked affordable");
            state.fields_mut().total_supply = supply;
        }
        Operation::Freeze { account: target } | Operation::Unfreeze { account: target } => {
            let frozen = matches!(op, Operation::Freeze { .. });
            if *target == sender {
                account.frozen = frozen;
            } else {
                let mut a = state.account(target);
                a.frozen = frozen;
                state.set_account(*target, a);
            }
        }
        Operation::AddValidator { key, power } => {
            let change = ValidatorChange::Add {
                key: *key,
                power: *power,
            };
            schedule(state, change, height)?;
        }
        Operation::RemoveValidator { key } => {
            schedule(state, ValidatorChange::Remove { key: *key }, height)?;
        }
    }
    Ok(())
}

/// Queues a validator change for `height + VALIDATOR_CHANGE_DELAY`, if the set it leads to is
/// valid.
fn schedule(
    state: &mut LedgerState,
    change: ValidatorChange,
    height: u64,
) -> Result<(), RejectReason> {
    state.projected_validators(Some(&change))?;
    state.fields_mut().pending.push(PendingValidatorChange {
        effective_height: height + VALIDATOR_CHANGE_DELAY,
        change,
    });
    Ok(())
}
