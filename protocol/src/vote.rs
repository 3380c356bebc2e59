//! Consensus messages: proposals and votes, and how they are signed.
//!
//! A signed proposal or vote covers `tag || chain_id (length-prefixed) || message encoding`,
//! with the tags `"VELLUM/PROPOSAL/v1\0"` and `"VELLUM/VOTE/v1\0"`. The chain id is part of
//! what is signed but not of the message, so it costs no bytes on the wire.

use serde::{Deserialize, Serialize};

use crate::crypto::{self, Domain, Hash, Keypair, PublicKey, Signature, SignatureError};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::validator::ValidatorSet;

/// The two voting steps of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteKind {
    Prevote,
    Precommit,
}

/// A prevote or precommit for a block, or for nothing (`block: None`, "nil").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vote {
    pub kind: VoteKind,
    pub height: u64,
    pub round: u32,
    pub block: Option<Hash>,
    pub validator: PublicKey,
}

/// A proposal of a block for one round; `pol_round` is the round of the proof of lock
/// (Tendermint's `validRound`), `None` for -1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Proposal {
    pub height: u64,
    pub round: u32,
    pub block: Hash,
    pub pol_round: Option<u32>,
    pub proposer: PublicKey,
}

fn signing_bytes(chain_id: &str, msg: &impl Encode) -> Vec<u8> {
    let mut w = Writer::with_capacity(128);
    w.str(chain_id);
    msg.encode(&mut w);
    w.into_bytes()
}

impl Vote {
    pub fn signing_body(&self, chain_id: &str) -> Vec<u8> {
        signing_bytes(chain_id, self)
    }
    pub fn sign(self, chain_id: &str, key: &Keypair) -> SignedVote {
        let signature = key.sign(Domain::Vote, &self.signing_body(chain_id));
        SignedVote {
            vote: self,
            signature,
        }
    }
}

impl Proposal {
    pub fn signing_body(&self, chain_id: &str) -> Vec<u8> {
        signing_bytes(chain_id, self)
    }
    pub fn sign(self, chain_id: &str, key: &Keypair) -> SignedProposal {
        let signature = key.sign(Domain::Proposal, &self.signing_body(chain_id));
        SignedProposal {
            proposal: self,
            signature,
        }
    }
}

/// A vote and its validator's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedVote {
    pub vote: Vote,
    pub signature: Signature,
}

impl SignedVote {
    pub fn verify(&self, chain_id: &str) -> Result<(), SignatureError> {
        let body = self.vote.signing_body(chain_id);
        crypto::verify(&self.vote.validator, Domain::Vote, &body, &self.signature)
    }
    /// [`SignedVote::verify`] with the key `validators` holds checked:
    /// [`SignatureError::BadKey`] if the voter is not one of them.
    pub fn verify_in(
        &self,
        chain_id: &str,
        validators: &ValidatorSet,
    ) -> Result<(), SignatureError> {
        let body = self.vote.signing_body(chain_id);
        verify_member(
            validators,
            &self.vote.validator,
            Domain::Vote,
            &body,
            &self.signature,
        )
    }
}

/// A proposal and its proposer's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedProposal {
    pub proposal: Proposal,
    pub signature: Signature,
}

impl SignedProposal {
    pub fn verify(&self, chain_id: &str) -> Result<(), SignatureError> {
        let body = self.proposal.signing_body(chain_id);
        crypto::verify(
            &self.proposal.proposer,
            Domain::Proposal,
            &body,
            &self.signature,
        )
    }
    /// [`SignedProposal::verify`] with the key `validators` holds checked:
    /// [`SignatureError::BadKey`] if the proposer is not one of them.
    pub fn verify_in(
        &self,
        chain_id: &str,
        validators: &ValidatorSet,
    ) -> Result<(), SignatureError> {
        let body = self.proposal.signing_body(chain_id);
        let proposer = &self.proposal.proposer;
        verify_member(
            validators,
            proposer,
            Domain::Proposal,
            &body,
            &self.signature,
        )
    }
}

/// Verifies `signature` under `signer`'s key as `validators` holds it checked.
fn verify_member(
    validators: &ValidatorSet,
    signer: &PublicKey,
    domain: Domain,
    body: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    let key = validators
        .checked_key(signer)
        .ok_or(SignatureError::BadKey)?;
    crypto::verify_checked(key, domain, body, signature)
}

impl Encode for VoteKind {
    fn encode(&self, w: &mut Writer) {
        w.u8(match self {
            VoteKind::Prevote => 1,
            VoteKind::Precommit => 2,
        });
    }
}

impl Decode for VoteKind {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            1 => Ok(VoteKind::Prevote),
            2 => Ok(VoteKind::Precommit),
            tag => Err(DecodeError::BadTag {
                what: "vote kind",
                tag,
            }),
        }
    }
}

impl Encode for Vote {
    fn encode(&self, w: &mut Writer) {
        self.kind.encode(w);
        w.u64(self.height);
        w.u32(self.round);
        w.option(self.block.as_ref(), |w, h| h.encode(w));
        self.validator.encode(w);
    }
}

impl Decode for Vote {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Vote {
            kind: VoteKind::decode(r)?,
            height: r.u64()?,
            round: r.u32()?,
            block: r.option("vote block", Hash::decode)?,
            validator: PublicKey::decode(r)?,
        })
    }
}

impl Encode for Proposal {
    fn encode(&self, w: &mut Writer) {
        w.u64(self.height);
        w.u32(self.round);
        self.block.encode(w);
        w.option(self.pol_round.as_ref(), |w, r| w.u32(*r));
        self.proposer.encode(w);
    }
}

impl Decode for Proposal {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Proposal {
            height: r.u64()?,
            round: r.u32()?,
            block: Hash::decode(r)?,
            pol_round: r.option("pol round", |r| r.u32())?,
            proposer: PublicKey::decode(r)?,
        })
    }
}

impl Encode for SignedVote {
    fn encode(&self, w: &mut Writer) {
        self.vote.encode(w);
        self.signature.encode(w);
    }
}

impl Decode for SignedVote {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SignedVote {
            vote: Vote::decode(r)?,
            signature: Signature::decode(r)?,
        })
    }
}

impl Encode for SignedProposal {
    fn encode(&self, w: &mut Writer) {
        self.proposal.encode(w);
        self.signature.encode(w);
    }
}

impl Decode for SignedProposal {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SignedProposal {
            proposal: Proposal::decode(r)?,
            signature: Signature::decode(r)?,
        })
    }
}
