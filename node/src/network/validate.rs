//! The checks a gossip message passes before it is delivered or forwarded.
//!
//! Consensus messages: within the size limit, decodable, signed by a key of the current
//! validator set with a signature that verifies for this chain, and for a proposal, a block
//! whose hash is the proposed one and whose transactions match its header (hashed once here:
//! the hashes go on with the proposal to the ledger rule); for a compact proposal, an outline
//! whose hash is the proposed one and distinct transaction hashes whose root is the header's.
//! Transaction batches: within the size limit and decodable only; their signatures are
//! verified in batches by the mempool, and verifying them here too would double the cost.

use vellum_protocol::crypto::PublicKey;
use vellum_protocol::encoding::DecodeError;
use vellum_protocol::validator::ValidatorSet;
use vellum_protocol::{Block, Header, SignedProposal, SignedVote, TxHashes};

use super::outline::BlockOutline;
use super::wire::{
    ConsensusMessage, MAX_BATCH_BYTES, MAX_CONSENSUS_BYTES, TxBatch, decode_bounded,
};

/// Why a gossip message was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("undecodable: {0}")]
    Decode(#[from] DecodeError),
    #[error("{0} is not a validator")]
    NotValidator(PublicKey),
    #[error("the signature of {0} does not verify")]
    BadSignature(PublicKey),
    #[error("the block does not match the proposal or its own header")]
    BlockMismatch,
}

/// A consensus message that passed [`consensus`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Vote(SignedVote),
    /// A proposal with its block, and the hashes of the block's transactions: distinct, each
    /// of a transaction within the size limit, and with the header's `tx_root` as their root.
    Proposal {
        proposal: SignedProposal,
        block: Box<Block>,
        tx_hashes: TxHashes,
    },
    /// A compact proposal: its outline is of the proposed block, and `tx_hashes` are distinct,
    /// at most a block's worth, with the header's `tx_root` as their root.
    CompactProposal {
        proposal: SignedProposal,
        outline: Box<BlockOutline>,
        tx_hashes: TxHashes,
    },
}

impl Checked {
    /// The message as it came, without the hashes.
    pub fn into_message(self) -> ConsensusMessage {
        match self {
            Checked::Vote(vote) => ConsensusMessage::Vote(vote),
            Checked::Proposal {
                proposal, block, ..
            } => ConsensusMessage::Proposal { proposal, block },
            Checked::CompactProposal {
                proposal,
                outline,
                tx_hashes,
            } => ConsensusMessage::CompactProposal {
                proposal,
                outline,
                tx_hashes: tx_hashes.as_slice().to_vec(),
            },
        }
    }
}

/// Checks a consensus message from the gossip topic.
pub fn consensus(
    bytes: &[u8],
    chain_id: &str,
    validators: &ValidatorSet,
) -> Result<Checked, Invalid> {
    let msg: ConsensusMessage = decode_bounded("consensus message", bytes, MAX_CONSENSUS_BYTES)?;
    match msg {
        ConsensusMessage::Vote(vote) => {
            let key = vote.vote.validator;
            validators.get(&key).ok_or(Invalid::NotValidator(key))?;
            vote.verify_in(chain_id, validators)
                .map_err(|_| Invalid::BadSignature(key))?;
            Ok(Checked::Vote(vote))
        }
        ConsensusMessage::Proposal { proposal, block } => {
            check_signer(&proposal, chain_id, validators)?;
            let tx_hashes = TxHashes::of(&block.txs).map_err(|_| Invalid::BlockMismatch)?;
            check_block(&proposal, &block.header, &tx_hashes)?;
            Ok(Checked::Proposal {
                proposal,
                block,
                tx_hashes,
            })
        }
        ConsensusMessage::CompactProposal {
            proposal,
            outline,
            tx_hashes,
        } => {
            check_signer(&proposal, chain_id, validators)?;
            let tx_hashes = TxHashes::listed(tx_hashes).map_err(|_| Invalid::BlockMismatch)?;
            check_block(&proposal, &outline.header, &tx_hashes)?;
            Ok(Checked::CompactProposal {
                proposal,
                outline,
                tx_hashes,
            })
        }
    }
}

/// A proposal signed by a validator of the set, for this chain: checked before any work on
/// its block.
fn check_signer(
    proposal: &SignedProposal,
    chain_id: &str,
    validators: &ValidatorSet,
) -> Result<(), Invalid> {
    let key = proposal.proposal.proposer;
    validators.get(&key).ok_or(Invalid::NotValidator(key))?;
    proposal
        .verify_in(chain_id, validators)
        .map_err(|_| Invalid::BadSignature(key))
}

/// The proposal names the block whose header is `header`, and `tx_hashes` (its transactions')
/// have the header's `tx_root` as their root.
fn check_block(
    proposal: &SignedProposal,
    header: &Header,
    tx_hashes: &TxHashes,
) -> Result<(), Invalid> {
    if proposal.proposal.block != header.hash() || tx_hashes.root() != header.tx_root {
        return Err(Invalid::BlockMismatch);
    }
    Ok(())
}

/// Checks a transaction batch from the gossip topic (decode only).
pub fn tx_batch(bytes: &[u8]) -> Result<TxBatch, Invalid> {
    Ok(decode_bounded("transaction batch", bytes, MAX_BATCH_BYTES)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::fixtures::{CHAIN_ID, block, proposal, validator_set, vote};
    use vellum_protocol::Hash;
    use vellum_protocol::block::tx_root;
    use vellum_protocol::encoding::Encode;

    #[test]
    fn a_validators_vote_passes_and_a_tampered_one_does_not() {
        let set = validator_set(3);
        let good = ConsensusMessage::Vote(vote(1, 4, None));
        let checked = consensus(&good.to_bytes(), CHAIN_ID, &set).unwrap();
        assert_eq!(checked.into_message(), good);
        let mut bad = vote(1, 4, None);
        bad.vote.height = 5;
        let bytes = ConsensusMessage::Vote(bad).to_bytes();
        assert!(matches!(
            consensus(&bytes, CHAIN_ID, &set),
            Err(Invalid::BadSignature(_))
        ));
        let other_chain = ConsensusMessage::Vote(vote(1, 4, None)).to_bytes();
        assert!(consensus(&other_chain, "other-chain", &set).is_err());
    }

    #[test]
    fn a_vote_from_outside_the_set_is_rejected() {
        let bytes = ConsensusMessage::Vote(vote(7, 4, None)).to_bytes();
        let err = consensus(&bytes, CHAIN_ID, &validator_set(3)).unwrap_err();
        assert!(matches!(err, Invalid::NotValidator(_)));
    }

    #[test]
    fn a_compact_proposal_must_list_its_blocks_transactions_once_each() {
        let set = validator_set(3);
        let b = block(2, 4);
        let hashes: Vec<Hash> = b.txs.iter().map(|t| t.hash()).collect();
        let compact = |outline: BlockOutline, tx_hashes: Vec<Hash>| {
            ConsensusMessage::CompactProposal {
                proposal: proposal(&b),
                outline: Box::new(outline),
                tx_hashes,
            }
            .to_bytes()
        };
        match consensus(
            &compact(BlockOutline::of(&b), hashes.clone()),
            CHAIN_ID,
            &set,
        ) {
            Ok(Checked::CompactProposal {
                outline, tx_hashes, ..
            }) => {
                assert_eq!(*outline, BlockOutline::of(&b));
                assert_eq!(tx_hashes, TxHashes::of(&b.txs).unwrap());
            }
            other => panic!("a valid compact proposal was not passed: {other:?}"),
        }
        let mut fewer = hashes.clone();
        fewer.pop();
        let mut repeated = hashes.clone();
        repeated[3] = repeated[0];
        let mut other = BlockOutline::of(&b);
        other.header.time_ms += 1;
        for (outline, tx_hashes) in [
            (BlockOutline::of(&b), fewer),
            (BlockOutline::of(&b), repeated),
            (other, hashes),
        ] {
            assert_eq!(
                consensus(&compact(outline, tx_hashes), CHAIN_ID, &set),
                Err(Invalid::BlockMismatch)
            );
        }
    }

    #[test]
    fn a_proposal_must_carry_its_own_block() {
        let set = validator_set(3);
        let b = block(2, 4);
        let ok = ConsensusMessage::Proposal {
            proposal: proposal(&b),
            block: Box::new(b.clone()),
        };
        match consensus(&ok.to_bytes(), CHAIN_ID, &set) {
            Ok(Checked::Proposal { tx_hashes, .. }) => {
                assert_eq!(tx_hashes, TxHashes::of(&b.txs).unwrap());
                assert_eq!(tx_hashes.root(), b.header.tx_root);
            }
            other => panic!("a valid proposal was not passed: {other:?}"),
        }
        let mut swapped = b.clone();
        swapped.txs.pop();
        let bad = ConsensusMessage::Proposal {
            proposal: proposal(&b),
            block: Box::new(swapped),
        };
        assert_eq!(
            consensus(&bad.to_bytes(), CHAIN_ID, &set),
            Err(Invalid::BlockMismatch)
        );
    }

    #[test]
    fn a_proposal_whose_block_repeats_a_transaction_is_rejected() {
        let set = validator_set(3);
        let mut twice = block(2, 4);
        twice.txs.push(twice.txs[0].clone());
        twice.header.tx_root = tx_root(&twice.txs);
        let msg = ConsensusMessage::Proposal {
            proposal: proposal(&twice),
            block: Box::new(twice),
        };
        assert_eq!(
            consensus(&msg.to_bytes(), CHAIN_ID, &set),
            Err(Invalid::BlockMismatch)
        );
    }

    #[test]
    fn garbage_is_rejected_as_undecodable() {
        assert!(matches!(tx_batch(&[1, 2, 3]), Err(Invalid::Decode(_))));
    }
}
