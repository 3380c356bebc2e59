//! Blocks and their headers, and the transaction root.
//!
//! The block hash is SHA-256 of the header's canonical encoding. The header commits to the
//! transactions through `tx_root`, the RFC 6962 Merkle tree hash over the transaction hashes
//! (leaf `SHA-256(0x00 || tx_hash)`, node `SHA-256(0x01 || left || right)`), and to the ledger
//! state after the block through `state_root`.

use serde::{Deserialize, Serialize};

use crate::certificate::CommitCertificate;
use crate::crypto::{Hash, PublicKey};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::transaction::{MAX_CHAIN_ID_LEN, SignedTransaction};

/// Most transactions in one block.
pub const MAX_BLOCK_TXS: usize = 20_000;
/// Smallest possible encoded signed transaction, used to bound decoding.
const MIN_TX_BYTES: usize = 4 + 32 + 8 + 8 + 1 + 16 + 64;

/// What a block commits to, besides its transactions' bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub chain_id: String,
    pub height: u64,
    /// Unix time in milliseconds, chosen by the proposer; strictly increasing.
    pub time_ms: u64,
    /// Hash of the previous block (zero for the first block, height 1).
    pub prev_hash: Hash,
    pub tx_root: Hash,
    /// State root after applying this block.
    pub state_root: Hash,
    pub proposer: PublicKey,
    /// Hash of the commit certificate of the previous block (zero for height 1).
    pub last_commit_hash: Hash,
    /// Hash of the validator set that votes on this block.
    pub validators_hash: Hash,
}

impl Header {
    pub fn hash(&self) -> Hash {
        Hash::of(&[&self.to_bytes()])
    }
}

impl Encode for Header {
    fn encode(&self, w: &mut Writer) {
        w.str(&self.chain_id);
        w.u64(self.height);
        w.u64(self.time_ms);
        self.prev_hash.encode(w);
        self.tx_root.encode(w);
        self.state_root.encode(w);
        self.proposer.encode(w);
        self.last_commit_hash.encode(w);
        self.validators_hash.encode(w);
    }
}

impl Decode for Header {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Header {
            chain_id: r.string("chain id", MAX_CHAIN_ID_LEN)?,
            height: r.u64()?,
            time_ms: r.u64()?,
            prev_hash: Hash::decode(r)?,
            tx_root: Hash::decode(r)?,
            state_root: Hash::decode(r)?,
            proposer: PublicKey::decode(r)?,
            last_commit_hash: Hash::decode(r)?,
            validators_hash: Hash::decode(r)?,
        })
    }
}

/// A header, the certificate that committed the previous block, and the transactions it orders.
///
/// Carrying `last_commit` makes one certificate per height canonical (the one the next
/// proposer chose) and keeps the audit trail: every committed block is proven by the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub header: Header,
    /// The commit certificate of block `height - 1`; `None` only at height 1.
    pub last_commit: Option<CommitCertificate>,
    pub txs: Vec<SignedTransaction>,
}

impl Block {
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }
    pub fn height(&self) -> u64 {
        self.header.height
    }
}

impl Encode for Block {
    fn size_hint(&self) -> usize {
        // The header and a certificate of a few signatures, then the transactions.
        1024 + self.txs.iter().map(|tx| tx.size_hint()).sum::<usize>()
    }
    fn encode(&self, w: &mut Writer) {
        self.header.encode(w);
        w.option(self.last_commit.as_ref(), |w, c| c.encode(w));
        w.list(&self.txs, |w, tx| tx.encode(w));
    }
}

impl Decode for Block {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Block {
            header: Header::decode(r)?,
            last_commit: r.option("last commit", CommitCertificate::decode)?,
            txs: r.list("block transactions", MAX_BLOCK_TXS, MIN_TX_BYTES, |r| {
                SignedTransaction::decode(r)
            })?,
        })
    }
}

/// The RFC 6962 Merkle tree hash of a list of hashes.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::of(&[]),
        1 => Hash::of(&[&[0u8], &leaves[0].0]),
        n => {
            let k = (n - 1).next_power_of_two().max(1);
            let k = if k >= n { k / 2 } else { k };
            let left = merkle_root(&leaves[..k]);
            let right = merkle_root(&leaves[k..]);
            Hash::of(&[&[1u8], &left.0, &right.0])
        }
    }
}

/// The transaction root of a list of transactions.
pub fn tx_root(txs: &[SignedTransaction]) -> Hash {
    let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
    merkle_root(&hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: u8) -> Hash {
        Hash([b; 32])
    }

    #[test]
    fn merkle_root_splits_at_the_largest_power_of_two_below_n() {
        let leaf = |x: &Hash| Hash::of(&[&[0u8], &x.0]);
        let node = |l: &Hash, r: &Hash| Hash::of(&[&[1u8], &l.0, &r.0]);
        let three = merkle_root(&[h(1), h(2), h(3)]);
        assert_eq!(three, node(&node(&leaf(&h(1)), &leaf(&h(2))), &leaf(&h(3))));
        let five = merkle_root(&[h(1), h(2), h(3), h(4), h(5)]);
        let four = merkle_root(&[h(1), h(2), h(3), h(4)]);
        assert_eq!(five, node(&four, &leaf(&h(5))));
        assert_eq!(merkle_root(&[]), Hash::of(&[]));
    }
}
