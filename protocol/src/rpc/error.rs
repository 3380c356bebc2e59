//! The RPC API's errors: JSON-RPC codes, and a message a person can act on.
//!
//! Rule: a request the server cannot read is a standard JSON-RPC error (-32700..-32603;
//! malformed hex, a bad address or hash is -32602, invalid params). A transaction the node
//! refuses gets one application code per class of refusal (-32010..-32017), and its `data`
//! carries the precise reason as `{ "code", "name" }`: the ledger's [`RejectReason`] code and
//! name (1..99), or the mempool's own refusals `mempool_full` (100), `account_limit` (101) and
//! `conflicting_nonce` (102).

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::json;

use crate::encoding::DecodeError;
use crate::transaction::MAX_TX_BYTES;
use crate::{RejectReason, SignedTransaction};

use super::types::ErrorView;

/// Invalid params: malformed hex, a bad address, hash or cursor.
pub const INVALID_PARAMS: i32 = -32602;
/// The node cannot answer now (starting, or its store failed); retry later.
pub const NODE_UNAVAILABLE: i32 = -32001;
/// The client sent more requests per second than the node serves; slow down.
pub const RATE_LIMITED: i32 = -32005;
/// The transaction is ill-formed: fix it and sign it again.
pub const TX_INVALID: i32 = -32010;
/// The transaction names another chain id.
pub const TX_WRONG_CHAIN: i32 = -32011;
/// The signature does not verify.
pub const TX_BAD_SIGNATURE: i32 = -32012;
/// The nonce was used already (a replay), is too far ahead, or conflicts with a pending one.
pub const TX_NONCE: i32 = -32013;
/// The transaction expired.
pub const TX_EXPIRED: i32 = -32014;
/// The sender cannot pay, or a balance or the supply would overflow.
pub const TX_FUNDS: i32 = -32015;
/// The sender may not do this: frozen, not an issuer, not an admin.
pub const TX_NOT_PERMITTED: i32 = -32016;
/// The mempool is full or holds all the sender may have pending: retry later.
pub const TX_BUSY: i32 = -32017;

/// The key of a refusal's `data` that says how long to wait before sending again.
const RETRY_AFTER_MS: &str = "retry_after_ms";

/// The wait a refusal's `data` asks for before the same transaction is sent again, in
/// milliseconds, if it says (the client side of [`SubmitError::retry_after_ms`]).
pub fn retry_after_ms_of(data: &serde_json::Value) -> Option<u64> {
    data.get(RETRY_AFTER_MS)?.as_u64()
}

/// A refusal only a mempool makes (codes 100 and up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolRefusal {
    Full,
    AccountLimit,
    ConflictingNonce,
}

impl PoolRefusal {
    pub fn code(self) -> u16 {
        match self {
            PoolRefusal::Full => 100,
            PoolRefusal::AccountLimit => 101,
            PoolRefusal::ConflictingNonce => 102,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            PoolRefusal::Full => "mempool_full",
            PoolRefusal::AccountLimit => "account_limit",
            PoolRefusal::ConflictingNonce => "conflicting_nonce",
        }
    }
}

/// Why a submitted transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The text is not hex, or the bytes are not a signed transaction.
    #[error("the transaction is not valid hex of a signed transaction: {0}")]
    Malformed(String),
    /// The ledger's rules refuse it.
    #[error("{0}")]
    Rejected(RejectReason),
    /// The mempool refuses it for now; a full pool says when to send it again.
    #[error("{message}")]
    Pool {
        refusal: PoolRefusal,
        message: String,
        /// How long to wait before sending again, when the node can tell: the error's
        /// `data.retry_after_ms`.
        retry_after_ms: Option<u64>,
    },
    /// The node could not take it.
    #[error("the node cannot take transactions now: {0}; retry later")]
    Unavailable(String),
}

impl SubmitError {
    /// The JSON-RPC error code of the refusal's class.
    pub fn rpc_code(&self) -> i32 {
        use RejectReason as R;
        match self {
            SubmitError::Malformed(_) | SubmitError::Rejected(R::Malformed { .. }) => {
                INVALID_PARAMS
            }
            SubmitError::Rejected(reason) => match reason {
                R::WrongChainId => TX_WRONG_CHAIN,
                R::BadSignature => TX_BAD_SIGNATURE,
                R::NonceTooLow { .. } | R::NonceTooHigh { .. } => TX_NONCE,
                R::Expired => TX_EXPIRED,
                R::InsufficientFunds { .. } | R::BalanceOverflow | R::SupplyOverflow => TX_FUNDS,
                R::SenderFrozen | R::NotIssuer | R::NotAdmin => TX_NOT_PERMITTED,
                _ => TX_INVALID,
            },
            SubmitError::Pool {
                refusal: PoolRefusal::ConflictingNonce,
                ..
            } => TX_NONCE,
            SubmitError::Pool { .. } => TX_BUSY,
            SubmitError::Unavailable(_) => NODE_UNAVAILABLE,
        }
    }

    /// The precise reason: `(code, name)`, as in the error's `data`.
    pub fn reason(&self) -> Option<(u16, &'static str)> {
        match self {
            SubmitError::Malformed(_) => Some((1, "malformed")),
            SubmitError::Rejected(reason) => Some((reason.code(), reason.name())),
            SubmitError::Pool { refusal, .. } => Some((refusal.code(), refusal.name())),
            SubmitError::Unavailable(_) => None,
        }
    }

    /// When the client should send the transaction again, if the node said.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            SubmitError::Pool { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        }
    }

    /// As a JSON-RPC error object: `data` is `{ "code", "name" }`, with `retry_after_ms` when
    /// the node says when to send again.
    pub fn to_error_object(&self) -> ErrorObjectOwned {
        let data = self.reason().map(|(code, name)| {
            let mut data = json!({ "code": code, "name": name });
            if let Some(ms) = self.retry_after_ms() {
                data[RETRY_AFTER_MS] = json!(ms);
            }
            data
        });
        ErrorObjectOwned::owned(self.rpc_code(), self.to_string(), data)
    }

    /// As an item of a batch answer.
    pub fn to_view(&self) -> ErrorView {
        let e = self.to_error_object();
        ErrorView {
            code: e.code(),
            message: e.message().to_string(),
            data: e.data().and_then(|d| serde_json::from_str(d.get()).ok()),
        }
    }
}

impl From<SubmitError> for ErrorObjectOwned {
    fn from(e: SubmitError) -> Self {
        e.to_error_object()
    }
}

/// Reads the hex of a signed transaction (with or without `0x`), within the size bound.
pub fn decode_signed_tx_hex(text: &str) -> Result<SignedTransaction, SubmitError> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() > 2 * MAX_TX_BYTES {
        return Err(SubmitError::Rejected(RejectReason::Oversized {
            size: (text.len() / 2) as u64,
            max: MAX_TX_BYTES as u64,
        }));
    }
    let bytes = hex::decode(text).map_err(|e| SubmitError::Malformed(format!("hex: {e}")))?;
    SignedTransaction::decode_bounded(&bytes).map_err(|e| match e {
        DecodeError::TooLong {
            what: "transaction",
            len,
            max,
        } => SubmitError::Rejected(RejectReason::Oversized {
            size: len as u64,
            max: max as u64,
        }),
        other => SubmitError::Malformed(other.to_string()),
    })
}

/// The node cannot answer now.
pub fn unavailable(what: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        NODE_UNAVAILABLE,
        format!("the node cannot answer now: {what}; retry later"),
        None::<()>,
    )
}

/// A parameter the server cannot use.
pub fn invalid_params(what: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, what.to_string(), None::<()>)
}

/// Too many requests.
pub fn rate_limited(per_second: u32) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        RATE_LIMITED,
        format!("rate limit of {per_second} requests per second exceeded; slow down and retry"),
        None::<()>,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_their_class_and_carry_the_reason() {
        let replay = SubmitError::Rejected(RejectReason::NonceTooLow {
            expected: 3,
            got: 1,
        });
        let e = replay.to_error_object();
        assert_eq!(e.code(), TX_NONCE);
        assert_eq!(
            e.data().unwrap().get(),
            r#"{"code":5,"name":"nonce_too_low"}"#
        );
        let full = SubmitError::Pool {
            refusal: PoolRefusal::Full,
            message: "full".into(),
            retry_after_ms: Some(2_500),
        };
        assert_eq!(
            (full.rpc_code(), full.reason()),
            (TX_BUSY, Some((100, "mempool_full")))
        );
        assert_eq!(
            full.to_error_object().data().unwrap().get(),
            r#"{"code":100,"name":"mempool_full","retry_after_ms":2500}"#
        );
    }

    #[test]
    fn hex_is_checked_before_it_is_decoded() {
        assert!(matches!(
            decode_signed_tx_hex("0xzz"),
            Err(SubmitError::Malformed(_))
        ));
        let long = "ab".repeat(MAX_TX_BYTES + 1);
        let e = decode_signed_tx_hex(&long).unwrap_err();
        assert_eq!(e.reason(), Some((2, "oversized")));
    }
}
