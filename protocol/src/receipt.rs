//! Receipts: what became of each transaction in a block, and the reasons a transaction fails.
//!
//! Rule: every reason has a stable numeric code and a snake_case name (the table is in
//! `docs/LEDGER.md`). Reasons with codes below 20 make a transaction unfit for any block: a
//! block that carries one is invalid as a whole ([`RejectReason::invalidates_block`]). Reasons
//! from 20 on are execution failures: the transaction stays in the block, its nonce is consumed,
//! nothing else changes, and its receipt says why.

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::crypto::{Hash, PublicKey};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::validator::MAX_VALIDATORS;

/// Longest `Malformed` detail kept in an encoded receipt.
const MAX_DETAIL_LEN: usize = 256;

/// Why a validator change cannot be executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValidatorChangeError {
    #[error("a validator needs a power above zero; use remove_validator to remove one")]
    ZeroPower,
    #[error("{key} is not a valid ed25519 public key, or is a weak one")]
    BadKey { key: PublicKey },
    #[error("{key} is not in the validator set it would be removed from")]
    UnknownValidator { key: PublicKey },
    #[error("removing the last validator would leave nobody to produce blocks")]
    LastValidator,
    #[error("the validator set would have more than {MAX_VALIDATORS} validators")]
    TooMany,
    #[error("the total voting power would exceed the limit")]
    PowerOverflow,
}

/// Why a transaction was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    #[error("the transaction could not be decoded: {detail}")]
    Malformed { detail: String },
    #[error("the transaction is {size} bytes; the limit is {max}")]
    Oversized { size: u64, max: u64 },
    #[error("the transaction is for another chain; sign it with this chain's id")]
    WrongChainId,
    #[error("the signature does not verify for the sender's key")]
    BadSignature,
    #[error("nonce {got} was already used (the account is at {expected}): a replay")]
    NonceTooLow { expected: u64, got: u64 },
    #[error("nonce {got} is ahead of the account's next nonce {expected}")]
    NonceTooHigh { expected: u64, got: u64 },
    #[error("the transaction expired before it could be included; sign a new one")]
    Expired,
    #[error("the memo is longer than the limit")]
    MemoTooLong,
    #[error("the balance is {balance}, the transaction needs {needed}")]
    InsufficientFunds { balance: Amount, needed: Amount },
    #[error("the sender's account is frozen")]
    SenderFrozen,
    #[error("the amount must be greater than zero")]
    ZeroAmount,
    #[error("a transfer to the sender's own account is refused")]
    SelfTransfer,
    #[error("only an issuer account may mint or burn")]
    NotIssuer,
    #[error("only an admin account may do this")]
    NotAdmin,
    #[error("the recipient's balance would overflow")]
    BalanceOverflow,
    #[error("the total supply would overflow")]
    SupplyOverflow,
    #[error("invalid validator change: {0}")]
    InvalidValidatorChange(ValidatorChangeError),
}

impl RejectReason {
    /// The stable numeric code (see the table in `docs/LEDGER.md`).
    pub fn code(&self) -> u16 {
        match self {
            RejectReason::Malformed { .. } => 1,
            RejectReason::Oversized { .. } => 2,
            RejectReason::WrongChainId => 3,
            RejectReason::BadSignature => 4,
            RejectReason::NonceTooLow { .. } => 5,
            RejectReason::NonceTooHigh { .. } => 6,
            RejectReason::Expired => 7,
            RejectReason::MemoTooLong => 8,
            RejectReason::InsufficientFunds { .. } => 20,
            RejectReason::SenderFrozen => 21,
            RejectReason::ZeroAmount => 22,
            RejectReason::SelfTransfer => 23,
            RejectReason::NotIssuer => 24,
            RejectReason::NotAdmin => 25,
            RejectReason::BalanceOverflow => 26,
            RejectReason::SupplyOverflow => 27,
            RejectReason::InvalidValidatorChange(_) => 28,
        }
    }

    /// The stable snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            RejectReason::Malformed { .. } => "malformed",
            RejectReason::Oversized { .. } => "oversized",
            RejectReason::WrongChainId => "wrong_chain_id",
            RejectReason::BadSignature => "bad_signature",
            RejectReason::NonceTooLow { .. } => "nonce_too_low",
            RejectReason::NonceTooHigh { .. } => "nonce_too_high",
            RejectReason::Expired => "expired",
            RejectReason::MemoTooLong => "memo_too_long",
            RejectReason::InsufficientFunds { .. } => "insufficient_funds",
            RejectReason::SenderFrozen => "sender_frozen",
            RejectReason::ZeroAmount => "zero_amount",
            RejectReason::SelfTransfer => "self_transfer",
            RejectReason::NotIssuer => "not_issuer",
            RejectReason::NotAdmin => "not_admin",
            RejectReason::BalanceOverflow => "balance_overflow",
            RejectReason::SupplyOverflow => "supply_overflow",
            RejectReason::InvalidValidatorChange(_) => "invalid_validator_change",
        }
    }

    /// True when a block that includes such a transaction is invalid: the transaction could
    /// never be executed (not authorised by its sender, not for this chain or this moment, or
    /// not even encodable), so including it would let a proposer burn a nonce or fill a block
    /// with garbage. A memo over the limit counts too: a block holding one could not be decoded.
    pub fn invalidates_block(&self) -> bool {
        self.code() < 20
    }
}

/// What happened to one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Executed: its effect is in the state.
    Committed,
    /// Included but not executed: only its nonce was consumed.
    Rejected(RejectReason),
}

/// The outcome of the transaction at `index` in a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub tx_hash: Hash,
    pub index: u32,
    pub outcome: Outcome,
}

impl Receipt {
    pub fn is_committed(&self) -> bool {
        self.outcome == Outcome::Committed
    }
}

impl Encode for ValidatorChangeError {
    fn encode(&self, w: &mut Writer) {
        match self {
            ValidatorChangeError::ZeroPower => w.u8(0),
            ValidatorChangeError::BadKey { key } => {
                w.u8(1);
                key.encode(w);
            }
            ValidatorChangeError::UnknownValidator { key } => {
                w.u8(2);
                key.encode(w);
            }
            ValidatorChangeError::LastValidator => w.u8(3),
            ValidatorChangeError::TooMany => w.u8(4),
            ValidatorChangeError::PowerOverflow => w.u8(5),
        }
    }
}

impl Decode for ValidatorChangeError {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            0 => ValidatorChangeError::ZeroPower,
            1 => ValidatorChangeError::BadKey {
                key: PublicKey::decode(r)?,
            },
            2 => ValidatorChangeError::UnknownValidator {
                key: PublicKey::decode(r)?,
            },
            3 => ValidatorChangeError::LastValidator,
            4 => ValidatorChangeError::TooMany,
            5 => ValidatorChangeError::PowerOverflow,
            tag => {
                return Err(DecodeError::BadTag {
                    what: "validator change error",
                    tag,
                });
            }
        })
    }
}

/// A reason is its `u16` code, then its fields in declaration order.
impl Encode for RejectReason {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.code());
        match self {
            RejectReason::Malformed { detail } => w.str(truncate(detail, MAX_DETAIL_LEN)),
            RejectReason::Oversized { size, max } => {
                w.u64(*size);
                w.u64(*max);
            }
            RejectReason::NonceTooLow { expected, got }
            | RejectReason::NonceTooHigh { expected, got } => {
                w.u64(*expected);
                w.u64(*got);
            }
            RejectReason::InsufficientFunds { balance, needed } => {
                balance.encode(w);
                needed.encode(w);
            }
            RejectReason::InvalidValidatorChange(e) => e.encode(w),
            _ => {}
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Decode for RejectReason {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let code = r.u16()?;
        Ok(match code {
            1 => RejectReason::Malformed {
                detail: r.string("malformed detail", MAX_DETAIL_LEN)?,
            },
            2 => RejectReason::Oversized {
                size: r.u64()?,
                max: r.u64()?,
            },
            3 => RejectReason::WrongChainId,
            4 => RejectReason::BadSignature,
            5 => RejectReason::NonceTooLow {
                expected: r.u64()?,
                got: r.u64()?,
            },
            6 => RejectReason::NonceTooHigh {
                expected: r.u64()?,
                got: r.u64()?,
            },
            7 => RejectReason::Expired,
            8 => RejectReason::MemoTooLong,
            20 => RejectReason::InsufficientFunds {
                balance: Amount::decode(r)?,
                needed: Amount::decode(r)?,
            },
            21 => RejectReason::SenderFrozen,
            22 => RejectReason::ZeroAmount,
            23 => RejectReason::SelfTransfer,
            24 => RejectReason::NotIssuer,
            25 => RejectReason::NotAdmin,
            26 => RejectReason::BalanceOverflow,
            27 => RejectReason::SupplyOverflow,
            28 => RejectReason::InvalidValidatorChange(ValidatorChangeError::decode(r)?),
            _ => return Err(DecodeError::NonCanonical("reject reason code")),
        })
    }
}

/// 0 committed, or 1 ‖ the reject reason.
impl Encode for Outcome {
    fn encode(&self, w: &mut Writer) {
        match self {
            Outcome::Committed => w.u8(0),
            Outcome::Rejected(reason) => {
                w.u8(1);
                reason.encode(w);
            }
        }
    }
}

impl Decode for Outcome {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(Outcome::Committed),
            1 => Ok(Outcome::Rejected(RejectReason::decode(r)?)),
            tag => Err(DecodeError::BadTag {
                what: "outcome",
                tag,
            }),
        }
    }
}

impl Encode for Receipt {
    fn encode(&self, w: &mut Writer) {
        self.tx_hash.encode(w);
        w.u32(self.index);
        self.outcome.encode(w);
    }
}

impl Decode for Receipt {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Receipt {
            tx_hash: Hash::decode(r)?,
            index: r.u32()?,
            outcome: Outcome::decode(r)?,
        })
    }
}

#[cfg(test)]
mod tests;
