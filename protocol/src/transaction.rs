//! Transactions: who signs, which nonce, until when, and the one operation they carry.
//!
//! The signed body is the canonical encoding of [`Transaction`], which starts with the chain id;
//! the signature is over `"VELLUM/TX/v1\0" || body`. The transaction hash is SHA-256 of the
//! encoding of [`SignedTransaction`] (body then signature).

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::amount::Amount;
use crate::crypto::{self, Domain, Hash, Keypair, PublicKey, Signature, SignatureError};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

/// Longest chain id, in bytes.
pub const MAX_CHAIN_ID_LEN: usize = 64;
/// Longest transfer memo, in bytes of UTF-8.
pub const MAX_MEMO_LEN: usize = 256;
/// Largest encoded signed transaction, in bytes.
pub const MAX_TX_BYTES: usize = 1024;

/// What a transaction does. Its tag byte is its position in this list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Operation {
    /// Moves `amount` from the sender to `to`.
    Transfer {
        to: Address,
        amount: Amount,
        memo: String,
    },
    /// Creates `amount` in `to`'s account (issuers only: a deposit).
    Mint { to: Address, amount: Amount },
    /// Destroys `amount` from the sender's own account (issuers only: a withdrawal).
    Burn { amount: Amount },
    /// Stops `account` from sending (admins only).
    Freeze { account: Address },
    /// Lets `account` send again (admins only).
    Unfreeze { account: Address },
    /// Adds a validator, or changes its power, from a later height (admins only).
    AddValidator { key: PublicKey, power: u64 },
    /// Removes a validator from a later height (admins only).
    RemoveValidator { key: PublicKey },
}

impl Operation {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Transfer { .. } => "transfer",
            Operation::Mint { .. } => "mint",
            Operation::Burn { .. } => "burn",
            Operation::Freeze { .. } => "freeze",
            Operation::Unfreeze { .. } => "unfreeze",
            Operation::AddValidator { .. } => "add_validator",
            Operation::RemoveValidator { .. } => "remove_validator",
        }
    }
}

impl Encode for Operation {
    fn size_hint(&self) -> usize {
        match self {
            Operation::Transfer { memo, .. } => 1 + 20 + 16 + 4 + memo.len(),
            _ => 1 + 32 + 16,
        }
    }
    fn encode(&self, w: &mut Writer) {
        match self {
            Operation::Transfer { to, amount, memo } => {
                w.u8(0);
                to.encode(w);
                amount.encode(w);
                w.str(memo);
            }
            Operation::Mint { to, amount } => {
                w.u8(1);
                to.encode(w);
                amount.encode(w);
            }
            Operation::Burn { amount } => {
                w.u8(2);
                amount.encode(w);
            }
            Operation::Freeze { account } => {
                w.u8(3);
                account.encode(w);
            }
            Operation::Unfreeze { account } => {
                w.u8(4);
                account.encode(w);
            }
            Operation::AddValidator { key, power } => {
                w.u8(5);
                key.encode(w);
                w.u64(*power);
            }
            Operation::RemoveValidator { key } => {
                w.u8(6);
                key.encode(w);
            }
        }
    }
}

impl Decode for Operation {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            0 => Operation::Transfer {
                to: Address::decode(r)?,
                amount: Amount::decode(r)?,
                memo: r.string("memo", MAX_MEMO_LEN)?,
            },
            1 => Operation::Mint {
                to: Address::decode(r)?,
                amount: Amount::decode(r)?,
            },
            2 => Operation::Burn {
                amount: Amount::decode(r)?,
            },
            3 => Operation::Freeze {
                account: Address::decode(r)?,
            },
            4 => Operation::Unfreeze {
                account: Address::decode(r)?,
            },
            5 => Operation::AddValidator {
                key: PublicKey::decode(r)?,
                power: r.u64()?,
            },
            6 => Operation::RemoveValidator {
                key: PublicKey::decode(r)?,
            },
            tag => {
                return Err(DecodeError::BadTag {
                    what: "operation",
                    tag,
                });
            }
        })
    }
}

/// The signed body of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub chain_id: String,
    /// The signer's public key; the sending account is its [`Address`].
    pub sender: PublicKey,
    /// Must equal the sender account's nonce when executed; each nonce is used once.
    pub nonce: u64,
    /// Unix time in milliseconds after which no block may include this transaction.
    pub expiry_ms: u64,
    pub op: Operation,
}

impl Transaction {
    pub fn sender_address(&self) -> Address {
        Address::from_public_key(&self.sender)
    }
    /// Signs this body with `key`, which must be the sender's.
    pub fn sign(self, key: &Keypair) -> SignedTransaction {
        let signature = key.sign(Domain::Transaction, &self.to_bytes());
        SignedTransaction {
            tx: self,
            signature,
        }
    }
}

impl Encode for Transaction {
    fn size_hint(&self) -> usize {
        4 + self.chain_id.len() + 32 + 8 + 8 + self.op.size_hint()
    }
    fn encode(&self, w: &mut Writer) {
        w.str(&self.chain_id);
        self.sender.encode(w);
        w.u64(self.nonce);
        w.u64(self.expiry_ms);
        self.op.encode(w);
    }
}

impl Decode for Transaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Transaction {
            chain_id: r.string("chain id", MAX_CHAIN_ID_LEN)?,
            sender: PublicKey::decode(r)?,
            nonce: r.u64()?,
            expiry_ms: r.u64()?,
            op: Operation::decode(r)?,
        })
    }
}

/// A transaction and its sender's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    pub tx: Transaction,
    pub signature: Signature,
}

impl SignedTransaction {
    /// SHA-256 of the signed encoding: the transaction's identity everywhere.
    pub fn hash(&self) -> Hash {
        Hash::of(&[&self.to_bytes()])
    }
    /// The bytes the signature covers, without the domain tag.
    pub fn signing_body(&self) -> Vec<u8> {
        self.tx.to_bytes()
    }
    /// Checks the signature alone (see [`crypto::verify`] for the rule).
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        crypto::verify(
            &self.tx.sender,
            Domain::Transaction,
            &self.signing_body(),
            &self.signature,
        )
    }
    /// Decodes a signed transaction, refusing any over [`MAX_TX_BYTES`].
    pub fn decode_bounded(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(DecodeError::TooLong {
                what: "transaction",
                len: bytes.len(),
                max: MAX_TX_BYTES,
            });
        }
        Self::decode_exact(bytes)
    }
}

impl Encode for SignedTransaction {
    fn size_hint(&self) -> usize {
        self.tx.size_hint() + 64
    }
    fn encode(&self, w: &mut Writer) {
        self.tx.encode(w);
        self.signature.encode(w);
    }
}

impl Decode for SignedTransaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SignedTransaction {
            tx: Transaction::decode(r)?,
            signature: Signature::decode(r)?,
        })
    }
}
