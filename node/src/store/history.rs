//! Per-account history: one small entry for every transaction an account sent or was named in,
//! and the opaque cursor that pages through them newest first.
//!
//! Rule: a transaction gives an entry to its sender ([`Role::Sender`]) and one to the address
//! its operation names, if any and if not the sender (the recipient of a transfer or mint, the
//! account frozen or unfrozen). Rejected transactions get entries too, with their reason code.

use std::fmt;
use std::str::FromStr;

use vellum_protocol::encoding::{Reader, Writer};
use vellum_protocol::{
    Address, Amount, Block, Decode, DecodeError, Encode, Hash, Operation, Outcome, Receipt,
};

use super::StoreError;

/// Which operation a transaction carried (its tag byte in the canonical encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Transfer,
    Mint,
    Burn,
    Freeze,
    Unfreeze,
    AddValidator,
    RemoveValidator,
}

impl OpKind {
    pub fn of(op: &Operation) -> OpKind {
        match op {
            Operation::Transfer { .. } => OpKind::Transfer,
            Operation::Mint { .. } => OpKind::Mint,
            Operation::Burn { .. } => OpKind::Burn,
            Operation::Freeze { .. } => OpKind::Freeze,
            Operation::Unfreeze { .. } => OpKind::Unfreeze,
            Operation::AddValidator { .. } => OpKind::AddValidator,
            Operation::RemoveValidator { .. } => OpKind::RemoveValidator,
        }
    }
    const ALL: [OpKind; 7] = [
        OpKind::Transfer,
        OpKind::Mint,
        OpKind::Burn,
        OpKind::Freeze,
        OpKind::Unfreeze,
        OpKind::AddValidator,
        OpKind::RemoveValidator,
    ];
}

/// How the account took part in the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It signed the transaction.
    Sender,
    /// It received the transfer or the minted amount.
    Recipient,
    /// It was frozen or unfrozen.
    Subject,
}

/// One line of an account's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub height: u64,
    pub index: u32,
    pub tx_hash: Hash,
    pub kind: OpKind,
    pub role: Role,
    /// The other account: the recipient for the sender, the sender for everyone else.
    pub counterparty: Option<Address>,
    pub amount: Option<Amount>,
    /// `None` when the transaction was executed; the reject reason's code when it was not.
    pub reject_code: Option<u16>,
    /// The block's time.
    pub time_ms: u64,
}

/// Where the next page of an account's history starts (exclusive); a string for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    pub(crate) height: u64,
    pub(crate) index: u32,
}

impl fmt::Display for HistoryCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{:08x}", self.height, self.index)
    }
}

impl FromStr for HistoryCursor {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::BadCursor(s.to_owned());
        if s.len() != 24 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(HistoryCursor {
            height: u64::from_str_radix(&s[..16], 16).map_err(|_| bad())?,
            index: u32::from_str_radix(&s[16..], 16).map_err(|_| bad())?,
        })
    }
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// Pass back to get older entries; `None` when there are none.
    pub next: Option<HistoryCursor>,
}

/// Every history entry `block` brings, with the account it belongs to.
pub fn entries_of(
    block: &Block,
    receipts: &[Receipt],
    time_ms: u64,
) -> Vec<(Address, HistoryEntry)> {
    let mut out = Vec::with_capacity(block.txs.len() * 2);
    for (stx, receipt) in block.txs.iter().zip(receipts) {
        let sender = stx.tx.sender_address();
        let (named, role, amount) = match &stx.tx.op {
            Operation::Transfer { to, amount, .. } | Operation::Mint { to, amount } => {
                (Some(*to), Role::Recipient, Some(*amount))
            }
            Operation::Burn { amount } => (None, Role::Subject, Some(*amount)),
            Operation::Freeze { account } | Operation::Unfreeze { account } => {
                (Some(*account), Role::Subject, None)
            }
            Operation::AddValidator { .. } | Operation::RemoveValidator { .. } => {
                (None, Role::Subject, None)
            }
        };
        let entry = HistoryEntry {
            height: block.height(),
            index: receipt.index,
            tx_hash: receipt.tx_hash,
            kind: OpKind::of(&stx.tx.op),
            role: Role::Sender,
            counterparty: named,
            amount,
            reject_code: match &receipt.outcome {
                Outcome::Committed => None,
                Outcome::Rejected(reason) => Some(reason.code()),
            },
            time_ms,
        };
        if let Some(other) = named.filter(|a| *a != sender) {
            let theirs = HistoryEntry {
                role,
                counterparty: Some(sender),
                ..entry.clone()
            };
            out.push((other, theirs));
        }
        out.push((sender, entry));
    }
    out
}

impl Encode for HistoryEntry {
    fn encode(&self, w: &mut Writer) {
        w.u64(self.height);
        w.u32(self.index);
        self.tx_hash.encode(w);
        w.u8(self.kind as u8);
        w.u8(self.role as u8);
        w.option(self.counterparty.as_ref(), |w, a| a.encode(w));
        w.option(self.amount.as_ref(), |w, a| a.encode(w));
        w.option(self.reject_code.as_ref(), |w, c| w.u16(*c));
        w.u64(self.time_ms);
    }
}

impl Decode for HistoryEntry {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(HistoryEntry {
            height: r.u64()?,
            index: r.u32()?,
            tx_hash: Hash::decode(r)?,
            kind: match r.u8()? {
                tag if usize::from(tag) < OpKind::ALL.len() => OpKind::ALL[usize::from(tag)],
                tag => {
                    return Err(DecodeError::BadTag {
                        what: "op kind",
                        tag,
                    });
                }
            },
            role: match r.u8()? {
                0 => Role::Sender,
                1 => Role::Recipient,
                2 => Role::Subject,
                tag => return Err(DecodeError::BadTag { what: "role", tag }),
            },
            counterparty: r.option("counterparty", Address::decode)?,
            amount: r.option("amount", Amount::decode)?,
            reject_code: r.option("reject code", |r| r.u16())?,
            time_ms: r.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_through_its_string_and_refuses_junk() {
        let c = HistoryCursor {
            height: 1 << 40,
            index: 7,
        };
        assert_eq!(c.to_string().parse::<HistoryCursor>().unwrap(), c);
        for junk in [
            "",
            "xyz",
            "00000000000000000000000g",
            "0000000000000000000000000",
        ] {
            assert!(matches!(
                junk.parse::<HistoryCursor>(),
                Err(StoreError::BadCursor(_))
            ));
        }
    }

    #[test]
    fn an_entry_round_trips_through_its_encoding() {
        let e = HistoryEntry {
            height: 9,
            index: 3,
            tx_hash: Hash([5; 32]),
            kind: OpKind::RemoveValidator,
            role: Role::Subject,
            counterparty: Some(Address([1; 20])),
            amount: Some(Amount(12)),
            reject_code: Some(20),
            time_ms: 77,
        };
        assert_eq!(HistoryEntry::decode_exact(&e.to_bytes()).unwrap(), e);
    }
}
