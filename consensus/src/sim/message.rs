//! What simulated nodes send each other: consensus messages and block sync.

use std::sync::Arc;

use vellum_protocol::{Block, CommitCertificate, SignedProposal, SignedVote};

/// One message on a simulated link.
#[derive(Debug, Clone)]
pub enum NetMessage {
    /// A proposal travels with its block body.
    Proposal(SignedProposal, Arc<Block>),
    Vote(SignedVote),
    /// Asks for committed blocks from `from_height` on.
    SyncRequest {
        from_height: u64,
    },
    /// Committed blocks with their certificates, in height order.
    SyncResponse(Vec<(Arc<Block>, CommitCertificate)>),
}

impl NetMessage {
    /// A short fingerprint for the trace hash.
    pub fn fingerprint(&self) -> u64 {
        let first8 = |b: &[u8]| u64::from_be_bytes(b[..8].try_into().expect("8 bytes"));
        match self {
            NetMessage::Proposal(p, _) => 1 ^ first8(&p.signature.0),
            NetMessage::Vote(v) => 2 ^ first8(&v.signature.0),
            NetMessage::SyncRequest { from_height } => 3 ^ from_height.rotate_left(8),
            NetMessage::SyncResponse(list) => {
                4 ^ list.first().map_or(0, |(b, _)| b.height().rotate_left(16)) ^ list.len() as u64
            }
        }
    }
}
