//! A block without its transactions: what a compact proposal carries besides the transactions'
//! hashes.
//!
//! Every validator has a proposal's transactions already, from the gossip that brought them to
//! the proposer's pool, so a proposal sends their hashes instead (32 bytes each instead of
//! about 170), and each validator fills the block from its own pool (`Driver::on_consensus`).
//! One whose pool lacks some asks a peer for the whole block by hash (`SyncRequest::Block`).
//! The header commits to the transactions through `tx_root`, so the block filled in is the one
//! the proposer signed, or its hash differs.

use vellum_protocol::block::{Block, Header};
use vellum_protocol::certificate::CommitCertificate;
use vellum_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use vellum_protocol::transaction::SignedTransaction;

/// A block's header and its parent's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOutline {
    pub header: Header,
    pub last_commit: Option<CommitCertificate>,
}

impl BlockOutline {
    pub fn of(block: &Block) -> BlockOutline {
        BlockOutline {
            header: block.header.clone(),
            last_commit: block.last_commit.clone(),
        }
    }

    /// The hash of the block it outlines.
    pub fn hash(&self) -> vellum_protocol::Hash {
        self.header.hash()
    }

    pub fn height(&self) -> u64 {
        self.header.height
    }

    /// The block, with `txs` as its transactions.
    pub fn fill(&self, txs: Vec<SignedTransaction>) -> Block {
        Block {
            header: self.header.clone(),
            last_commit: self.last_commit.clone(),
            txs,
        }
    }
}

impl Encode for BlockOutline {
    fn size_hint(&self) -> usize {
        1024
    }
    fn encode(&self, w: &mut Writer) {
        self.header.encode(w);
        w.option(self.last_commit.as_ref(), |w, c| c.encode(w));
    }
}

impl Decode for BlockOutline {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BlockOutline {
            header: Header::decode(r)?,
            last_commit: r.option("last commit", CommitCertificate::decode)?,
        })
    }
}
