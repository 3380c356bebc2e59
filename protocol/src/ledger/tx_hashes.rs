//! A block's transaction hashes, computed once and carried with the block.
//!
//! Rule (part of the ledger rule, `docs/LEDGER.md`): a block holds at most [`MAX_BLOCK_TXS`]
//! transactions, none encoded in more than [`MAX_TX_BYTES`] bytes and none twice (by hash).
//! [`TxHashes::of`] applies it while hashing, so a node that checks a proposal's `tx_root` when
//! it arrives can hand the hashes on to [`super::apply_hashed_block`] and to the store, instead
//! of encoding and hashing every transaction again at each step.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::block::{MAX_BLOCK_TXS, merkle_root};
use crate::crypto::Hash;
use crate::encoding::Encode;
use crate::receipt::RejectReason;
use crate::transaction::{MAX_TX_BYTES, SignedTransaction};

use super::BlockError;

/// The hashes of a block's transactions, in block order, distinct, each of a transaction
/// within the size limit. [`TxHashes::of`] makes one from the transactions, and
/// [`TxHashes::listed`] from a proposal's list of hashes.
///
/// The root is computed once and kept: a node checks a proposal's `tx_root` when it arrives,
/// and applying the block checks it again with the same hashes.
#[derive(Debug, Clone)]
pub struct TxHashes {
    hashes: Vec<Hash>,
    root: OnceLock<Hash>,
}

impl PartialEq for TxHashes {
    fn eq(&self, other: &TxHashes) -> bool {
        self.hashes == other.hashes
    }
}

impl Eq for TxHashes {}

impl TxHashes {
    /// Hashes `txs` (each [`SignedTransaction::hash`]), refusing more than [`MAX_BLOCK_TXS`],
    /// an oversized transaction and a repeated one, as the ledger rule does.
    pub fn of(txs: &[SignedTransaction]) -> Result<TxHashes, BlockError> {
        if txs.len() > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTxs {
                count: txs.len(),
                max: MAX_BLOCK_TXS,
            });
        }
        let mut seen = HashSet::with_capacity(txs.len());
        let mut hashes = Vec::with_capacity(txs.len());
        for (index, tx) in txs.iter().enumerate() {
            let bytes = tx.to_bytes();
            if bytes.len() > MAX_TX_BYTES {
                return Err(BlockError::InvalidTx {
                    index,
                    reason: RejectReason::Oversized {
                        size: bytes.len() as u64,
                        max: MAX_TX_BYTES as u64,
                    },
                });
            }
            let hash = Hash::of(&[&bytes]);
            if !seen.insert(hash) {
                return Err(BlockError::DuplicateTx { index, hash });
            }
            hashes.push(hash);
        }
        Ok(TxHashes {
            hashes,
            root: OnceLock::new(),
        })
    }

    /// The hashes a compact proposal lists, refusing more than [`MAX_BLOCK_TXS`] and a repeated
    /// one. The transactions are not at hand, so their size is the caller's to know: a node
    /// fills such a block only with transactions its mempool admitted, and the mempool admits
    /// none over [`MAX_TX_BYTES`] (a block fetched whole is hashed with [`TxHashes::of`]).
    pub fn listed(hashes: Vec<Hash>) -> Result<TxHashes, BlockError> {
        if hashes.len() > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTxs {
                count: hashes.len(),
                max: MAX_BLOCK_TXS,
            });
        }
        let mut seen = HashSet::with_capacity(hashes.len());
        if let Some(index) = hashes.iter().position(|h| !seen.insert(*h)) {
            return Err(BlockError::DuplicateTx {
                index,
                hash: hashes[index],
            });
        }
        Ok(TxHashes {
            hashes,
            root: OnceLock::new(),
        })
    }

    /// The transaction root of the block: the RFC 6962 Merkle tree hash over these hashes.
    pub fn root(&self) -> Hash {
        *self.root.get_or_init(|| merkle_root(&self.hashes))
    }

    pub fn as_slice(&self) -> &[Hash] {
        &self.hashes
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::tx_root;
    use crate::crypto::Keypair;
    use crate::transaction::{Operation, Transaction};
    use crate::{Address, Amount};

    fn tx(nonce: u64, memo_len: usize) -> SignedTransaction {
        let key = Keypair::from_seed(&[7; 32]);
        Transaction {
            chain_id: "test-chain".into(),
            sender: key.public(),
            nonce,
            expiry_ms: 1_000,
            op: Operation::Transfer {
                to: Address::from_public_key(&Keypair::from_seed(&[8; 32]).public()),
                amount: Amount(5),
                memo: "m".repeat(memo_len),
            },
        }
        .sign(&key)
    }

    #[test]
    fn the_hashes_are_the_transactions_own_and_give_the_tx_root() {
        let txs = vec![tx(0, 1), tx(1, 1), tx(2, 1)];
        let hashes = TxHashes::of(&txs).unwrap();
        let own: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
        assert_eq!(hashes.as_slice(), own.as_slice());
        assert_eq!(hashes.root(), tx_root(&txs));
        assert_eq!(hashes.len(), 3);
        assert!(TxHashes::of(&[]).unwrap().is_empty());
    }

    #[test]
    fn the_kept_root_is_the_root_and_equality_is_the_hashes() {
        let txs = vec![tx(0, 1), tx(1, 1), tx(2, 1)];
        let hashes = TxHashes::of(&txs).unwrap();
        let fresh = TxHashes::of(&txs).unwrap();
        assert_eq!(hashes.root(), tx_root(&txs));
        assert_eq!(hashes.clone().root(), hashes.root(), "a clone keeps it");
        assert_eq!(hashes, fresh, "whether or not a root was asked for");
        assert_ne!(hashes, TxHashes::of(&txs[..2]).unwrap());
        assert_ne!(TxHashes::of(&txs[..2]).unwrap().root(), hashes.root());
    }

    #[test]
    fn a_listed_set_is_the_hashed_one_and_refuses_repeats_and_excess() {
        let txs = vec![tx(0, 1), tx(1, 1), tx(2, 1)];
        let hashed = TxHashes::of(&txs).unwrap();
        let listed = TxHashes::listed(hashed.as_slice().to_vec()).unwrap();
        assert_eq!(listed, hashed);
        assert_eq!(listed.root(), tx_root(&txs));
        let h = txs[1].hash();
        assert_eq!(
            TxHashes::listed(vec![txs[0].hash(), h, h]).unwrap_err(),
            BlockError::DuplicateTx { index: 2, hash: h }
        );
        let many: Vec<Hash> = (0..=MAX_BLOCK_TXS as u32)
            .map(|i| Hash::of(&[&i.to_be_bytes()]))
            .collect();
        assert!(matches!(
            TxHashes::listed(many),
            Err(BlockError::TooManyTxs { .. })
        ));
    }

    #[test]
    fn a_repeated_transaction_is_refused_at_its_second_place() {
        let txs = vec![tx(0, 1), tx(1, 1), tx(0, 1)];
        let err = TxHashes::of(&txs).unwrap_err();
        assert_eq!(
            err,
            BlockError::DuplicateTx {
                index: 2,
                hash: txs[0].hash()
            }
        );
    }

    #[test]
    fn an_oversized_transaction_is_refused() {
        let big = tx(1, MAX_TX_BYTES);
        let size = big.to_bytes().len() as u64;
        let err = TxHashes::of(&[tx(0, 1), big]).unwrap_err();
        assert_eq!(
            err,
            BlockError::InvalidTx {
                index: 1,
                reason: RejectReason::Oversized {
                    size,
                    max: MAX_TX_BYTES as u64
                }
            }
        );
    }

    #[test]
    fn more_than_a_block_holds_is_refused() {
        let one = tx(0, 1);
        let txs = vec![one; MAX_BLOCK_TXS + 1];
        assert_eq!(
            TxHashes::of(&txs).unwrap_err(),
            BlockError::TooManyTxs {
                count: MAX_BLOCK_TXS + 1,
                max: MAX_BLOCK_TXS
            }
        );
    }
}
