//! Byzantine nodes as small named actors.
//!
//! Each behaviour rewrites what an otherwise honest node sends (or sends nothing at all),
//! bypassing the safety guard: these nodes sign with their key directly, as an attacker would.

use std::sync::Arc;

use vellum_protocol::{Block, Hash, Keypair, Proposal, SignedProposal, SignedVote, Vote, VoteKind};

use super::message::NetMessage;
use super::network::NodeId;
use super::workload::CHAIN_ID;

/// How a node misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Follows the protocol.
    Honest,
    /// When it proposes, sends two blocks: half the validators get one first, half the other.
    DoubleProposer,
    /// Every vote it casts has a conflicting twin: half the validators get one first, half the
    /// other.
    DoubleVoter,
    /// Proposes blocks that break the ledger rule (a wrong state root).
    InvalidBlockProposer,
    /// Sends nothing, ever.
    Silent,
    /// Prevotes and precommits every proposal it sees, in every round.
    VotesForEverything,
    /// Like `VotesForEverything`, but sends each round's votes to one peer only (a different
    /// one each round): honest nodes end up holding quorums the others lack.
    WhispersToOne,
}

impl Behaviour {
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Honest => "honest",
            Behaviour::DoubleProposer => "double-proposer",
            Behaviour::DoubleVoter => "double-voter",
            Behaviour::InvalidBlockProposer => "invalid-block-proposer",
            Behaviour::Silent => "silent",
            Behaviour::VotesForEverything => "votes-for-everything",
            Behaviour::WhispersToOne => "whispers-to-one",
        }
    }
}

/// Splits `peers` in two halves by position.
fn halves(peers: &[NodeId]) -> (Vec<NodeId>, Vec<NodeId>) {
    let mid = peers.len() / 2;
    (peers[..mid].to_vec(), peers[mid..].to_vec())
}

/// A second proposal for the same (height, round) with a different block.
pub fn double_proposal(
    key: &Keypair,
    first: &SignedProposal,
    block: &Block,
    peers: &[NodeId],
) -> Vec<(NodeId, NetMessage)> {
    let mut other = block.clone();
    other.header.time_ms += 1;
    let other = Arc::new(other);
    let second = Proposal {
        block: other.hash(),
        ..first.proposal
    }
    .sign(CHAIN_ID, key);
    let first_msg = NetMessage::Proposal(*first, Arc::new(block.clone()));
    let second_msg = NetMessage::Proposal(second, other);
    split_order(peers, first_msg, second_msg)
}

/// The vote to half the peers, a conflicting one to the other half.
pub fn double_vote(
    key: &Keypair,
    vote: &SignedVote,
    peers: &[NodeId],
) -> Vec<(NodeId, NetMessage)> {
    let conflicting = match vote.vote.block {
        Some(_) => None,
        None => Some(Hash([0xAB; 32])),
    };
    let second = Vote {
        block: conflicting,
        ..vote.vote
    }
    .sign(CHAIN_ID, key);
    split_order(peers, NetMessage::Vote(*vote), NetMessage::Vote(second))
}

/// Both messages to every peer, as gossip would relay them, but half the peers get `first`
/// first and the other half `second` first: each half counts a different one.
fn split_order(
    peers: &[NodeId],
    first: NetMessage,
    second: NetMessage,
) -> Vec<(NodeId, NetMessage)> {
    let (a, b) = halves(peers);
    let mut out = Vec::with_capacity(2 * peers.len());
    for p in &a {
        out.push((*p, first.clone()));
    }
    for p in &b {
        out.push((*p, second.clone()));
    }
    for p in &a {
        out.push((*p, second.clone()));
    }
    for p in &b {
        out.push((*p, first.clone()));
    }
    out
}

/// Breaks a block the node built so that the ledger rule refuses it.
pub fn corrupt_block(block: &mut Block) {
    block.header.state_root = Hash([0xEE; 32]);
}

/// A prevote and a precommit for whatever was proposed.
pub fn vote_for(key: &Keypair, proposal: &SignedProposal) -> Vec<NetMessage> {
    let p = proposal.proposal;
    [VoteKind::Prevote, VoteKind::Precommit]
        .into_iter()
        .map(|kind| {
            let vote = Vote {
                kind,
                height: p.height,
                round: p.round,
                block: Some(p.block),
                validator: key.public(),
            };
            NetMessage::Vote(vote.sign(CHAIN_ID, key))
        })
        .collect()
}
