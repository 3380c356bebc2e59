//! What validators send each other, in the crate's canonical encoding.
//!
//! Every message has a byte limit that is checked before it is decoded, and every list a count
//! limit that is checked before anything is allocated. Enums are a `u8` tag (0-based) then the
//! variant's fields. Signatures are carried by the messages themselves, so the gossip layer does
//! not sign anything.

use vellum_protocol::block::{Block, MAX_BLOCK_TXS};
use vellum_protocol::certificate::CommitCertificate;
use vellum_protocol::crypto::Hash;
use vellum_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use vellum_protocol::transaction::{MAX_TX_BYTES, SignedTransaction};
use vellum_protocol::vote::{SignedProposal, SignedVote};

use super::outline::BlockOutline;

/// Largest encoded block: full of the largest transactions, plus header and certificate.
pub const MAX_BLOCK_BYTES: usize = MAX_BLOCK_TXS * MAX_TX_BYTES + 64 * 1024;
/// Largest consensus message (a proposal may carry its block).
pub const MAX_CONSENSUS_BYTES: usize = MAX_BLOCK_BYTES + 1024;
/// Most transactions in one gossip message.
pub const MAX_BATCH_TXS: usize = 4096;
/// Largest encoded transaction batch.
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Most blocks one sync response carries.
pub const MAX_SYNC_BLOCKS: u32 = 64;
/// A responder stops adding blocks once a response is this large (it always sends one).
pub const SYNC_RESPONSE_BUDGET: usize = 8 * 1024 * 1024;
/// Largest sync response: the budget, then one more block with its certificate.
pub const MAX_SYNC_RESPONSE_BYTES: usize = SYNC_RESPONSE_BUDGET + MAX_BLOCK_BYTES + 64 * 1024;
/// Largest sync request.
pub const MAX_SYNC_REQUEST_BYTES: usize = 64;

/// Smallest encoded signed transaction (empty chain id, smallest operation).
const MIN_TX_BYTES: usize = 4 + 32 + 8 + 8 + 1 + 16 + 64;
/// Smallest encoded block with its certificate.
const MIN_BLOCK_ENTRY_BYTES: usize = 200;

/// Bytes of the envelope in front of every consensus gossip message: a big-endian `u64`
/// that differs between two publications of the same message.
///
/// Gossipsub drops a message whose id it has seen recently, and the id is the hash of the
/// payload. A vote re-sent on a timeout is exactly the vote sent before, so without the
/// envelope the re-send would never leave the node, and a validator that restarted, or lost
/// the first copy, would never get it: the network can stall with a quorum up (seen: two of
/// four validators left running, a third restarted, no commit). The envelope makes every
/// publication its own gossip message; the consensus core drops the duplicates it then sees.
pub const ENVELOPE_BYTES: usize = 8;

/// `publication` then the consensus message's bytes.
pub fn seal(publication: u64, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENVELOPE_BYTES + message.len());
    out.extend_from_slice(&publication.to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// The consensus message's bytes inside an envelope.
pub fn open(sealed: &[u8]) -> Result<&[u8], DecodeError> {
    if sealed.len() < ENVELOPE_BYTES {
        return Err(DecodeError::UnexpectedEnd {
            needed: ENVELOPE_BYTES - sealed.len(),
            remaining: sealed.len(),
        });
    }
    Ok(&sealed[ENVELOPE_BYTES..])
}

/// A message of the consensus topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsensusMessage {
    /// A proposal and the block it proposes.
    Proposal {
        proposal: SignedProposal,
        block: Box<Block>,
    },
    Vote(SignedVote),
    /// A proposal, its block's header and certificate, and its transactions' hashes in block
    /// order: validators fill the block from their pools ([`BlockOutline`]).
    CompactProposal {
        proposal: SignedProposal,
        outline: Box<BlockOutline>,
        tx_hashes: Vec<Hash>,
    },
}

/// A message of the transactions topic: many transactions, one gossip message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxBatch(pub Vec<SignedTransaction>);

/// A question to one peer about blocks it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRequest {
    /// Committed blocks from `from_height` on, at most `max` of them.
    Blocks { from_height: u64, max: u32 },
    /// One block by hash, committed or only proposed.
    Block { hash: Hash },
}

/// A peer's answer to a [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    Blocks(Vec<(Block, CommitCertificate)>),
    Block(Option<Box<Block>>),
}

/// Refuses input over `max` bytes, then decodes it exactly.
pub fn decode_bounded<T: Decode>(
    what: &'static str,
    bytes: &[u8],
    max: usize,
) -> Result<T, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLong {
            what,
            len: bytes.len(),
            max,
        });
    }
    T::decode_exact(bytes)
}

impl Encode for ConsensusMessage {
    fn size_hint(&self) -> usize {
        match self {
            ConsensusMessage::Proposal { block, .. } => 256 + block.size_hint(),
            ConsensusMessage::Vote(_) => 256,
            ConsensusMessage::CompactProposal { tx_hashes, .. } => 1280 + 32 * tx_hashes.len(),
        }
    }
    fn encode(&self, w: &mut Writer) {
        match self {
            ConsensusMessage::Proposal { proposal, block } => {
                w.u8(0);
                proposal.encode(w);
                block.encode(w);
            }
            ConsensusMessage::Vote(vote) => {
                w.u8(1);
                vote.encode(w);
            }
            ConsensusMessage::CompactProposal {
                proposal,
                outline,
                tx_hashes,
            } => {
                w.u8(2);
                proposal.encode(w);
                outline.encode(w);
                w.list(tx_hashes, |w, h| h.encode(w));
            }
        }
    }
}

impl Decode for ConsensusMessage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(ConsensusMessage::Proposal {
                proposal: SignedProposal::decode(r)?,
                block: Box::new(Block::decode(r)?),
            }),
            1 => Ok(ConsensusMessage::Vote(SignedVote::decode(r)?)),
            2 => Ok(ConsensusMessage::CompactProposal {
                proposal: SignedProposal::decode(r)?,
                outline: Box::new(BlockOutline::decode(r)?),
                tx_hashes: r.list("proposal transaction hashes", MAX_BLOCK_TXS, 32, |r| {
                    Hash::decode(r)
                })?,
            }),
            tag => Err(DecodeError::BadTag {
                what: "consensus message",
                tag,
            }),
        }
    }
}

impl TxBatch {
    /// Splits transactions into batches within [`MAX_BATCH_TXS`] and [`MAX_BATCH_BYTES`].
    pub fn split(txs: Vec<SignedTransaction>) -> Vec<TxBatch> {
        let mut batches = Vec::new();
        let mut current = Vec::new();
        let mut bytes = 4;
        for tx in txs {
            let len = tx.to_bytes().len();
            if !current.is_empty()
                && (current.len() == MAX_BATCH_TXS || bytes + len > MAX_BATCH_BYTES)
            {
                batches.push(TxBatch(std::mem::take(&mut current)));
                bytes = 4;
            }
            bytes += len;
            current.push(tx);
        }
        if !current.is_empty() {
            batches.push(TxBatch(current));
        }
        batches
    }
}

impl Encode for TxBatch {
    fn size_hint(&self) -> usize {
        4 + self.0.iter().map(|tx| tx.size_hint()).sum::<usize>()
    }
    fn encode(&self, w: &mut Writer) {
        w.list(&self.0, |w, tx| tx.encode(w));
    }
}

impl Decode for TxBatch {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let txs = r.list("transaction batch", MAX_BATCH_TXS, MIN_TX_BYTES, |r| {
            let before = r.remaining();
            let tx = SignedTransaction::decode(r)?;
            let len = before - r.remaining();
            if len > MAX_TX_BYTES {
                return Err(DecodeError::TooLong {
                    what: "transaction",
                    len,
                    max: MAX_TX_BYTES,
                });
            }
            Ok(tx)
        })?;
        Ok(TxBatch(txs))
    }
}

impl Encode for SyncRequest {
    fn encode(&self, w: &mut Writer) {
        match self {
            SyncRequest::Blocks { from_height, max } => {
                w.u8(0);
                w.u64(*from_height);
                w.u32(*max);
            }
            SyncRequest::Block { hash } => {
                w.u8(1);
                hash.encode(w);
            }
        }
    }
}

impl Decode for SyncRequest {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(SyncRequest::Blocks {
                from_height: r.u64()?,
                max: r.u32()?,
            }),
            1 => Ok(SyncRequest::Block {
                hash: Hash::decode(r)?,
            }),
            tag => Err(DecodeError::BadTag {
                what: "sync request",
                tag,
            }),
        }
    }
}

impl Encode for SyncResponse {
    fn encode(&self, w: &mut Writer) {
        match self {
            SyncResponse::Blocks(blocks) => {
                w.u8(0);
                w.list(blocks, |w, (block, cert)| {
                    block.encode(w);
                    cert.encode(w);
                });
            }
            SyncResponse::Block(block) => {
                w.u8(1);
                w.option(block.as_ref(), |w, b| b.encode(w));
            }
        }
    }
}

impl Decode for SyncResponse {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => {
                let max = MAX_SYNC_BLOCKS as usize;
                let blocks = r.list("sync blocks", max, MIN_BLOCK_ENTRY_BYTES, |r| {
                    Ok((Block::decode(r)?, CommitCertificate::decode(r)?))
                })?;
                Ok(SyncResponse::Blocks(blocks))
            }
            1 => {
                Ok(SyncResponse::Block(r.option("sync block", |r| {
                    Block::decode(r).map(Box::new)
                })?))
            }
            tag => Err(DecodeError::BadTag {
                what: "sync response",
                tag,
            }),
        }
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
