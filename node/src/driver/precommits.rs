//! Precommits whose signatures this node has verified (or made), kept until the block that
//! carries their certificate is validated.
//!
//! Every block carries the certificate of its parent (`last_commit`): 2f+1 precommit
//! signatures that each validator verified one by one when the votes arrived. The ledger rule
//! verifies the certificate again when it validates the block; with this record the driver
//! tells it which of those signatures it has seen verify (the very vote: same height, round,
//! block, validator and signature bytes), so only the others are checked.

use std::collections::HashSet;

use vellum_protocol::ledger::SignatureCheck;
use vellum_protocol::vote::VoteKind;
use vellum_protocol::{Hash, SignedTransaction, SignedVote};

/// Most precommits kept: a few rounds of a large validator set. A Byzantine validator's extra
/// precommits beyond this are not recorded, which only means they are verified again.
const CAPACITY: usize = 4096;

/// Verified precommits of the heights the driver still needs them for.
#[derive(Debug, Default)]
pub struct KnownPrecommits {
    votes: HashSet<SignedVote>,
}

impl KnownPrecommits {
    /// Records a vote whose signature verified (or that this node signed); only precommits
    /// are kept.
    pub fn record(&mut self, vote: &SignedVote) {
        if vote.vote.kind == VoteKind::Precommit && self.votes.len() < CAPACITY {
            self.votes.insert(*vote);
        }
    }

    /// Records the signatures of a certificate that verified.
    pub fn record_certificate(&mut self, cert: &vellum_protocol::CommitCertificate) {
        for s in &cert.signatures {
            self.record(&SignedVote {
                vote: cert.vote_of(s.validator),
                signature: s.signature,
            });
        }
    }

    /// After `height` is committed only its precommits are still needed (the next block
    /// carries their certificate).
    pub fn retain_from(&mut self, height: u64) {
        self.votes.retain(|v| v.vote.height >= height);
    }

    pub fn contains(&self, vote: &SignedVote) -> bool {
        self.votes.contains(vote)
    }
}

/// The signature checks the driver hands the ledger rule: transactions through the mempool's
/// cache, `last_commit` precommits through the record.
pub struct Checks<'a> {
    pub txs: &'a dyn SignatureCheck,
    pub precommits: &'a KnownPrecommits,
}

impl SignatureCheck for Checks<'_> {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        self.txs.verified(txs)
    }
    fn verified_hashed(&self, txs: &[SignedTransaction], hashes: &[Hash]) -> Vec<bool> {
        self.txs.verified_hashed(txs, hashes)
    }
    fn known_precommit(&self, vote: &SignedVote) -> bool {
        self.precommits.contains(vote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::vote::Vote;
    use vellum_protocol::{CommitCertificate, Keypair};

    fn vote(kind: VoteKind, height: u64, key: &Keypair) -> SignedVote {
        Vote {
            kind,
            height,
            round: 0,
            block: Some(Hash([height as u8; 32])),
            validator: key.public(),
        }
        .sign("test", key)
    }

    #[test]
    fn keeps_precommits_of_the_committed_height_and_above() {
        let key = Keypair::from_seed(&[1; 32]);
        let mut known = KnownPrecommits::default();
        known.record(&vote(VoteKind::Prevote, 5, &key));
        for h in 4..=6 {
            known.record(&vote(VoteKind::Precommit, h, &key));
        }
        assert!(!known.contains(&vote(VoteKind::Prevote, 5, &key)));
        assert!(known.contains(&vote(VoteKind::Precommit, 4, &key)));
        known.retain_from(5);
        assert!(!known.contains(&vote(VoteKind::Precommit, 4, &key)));
        assert!(known.contains(&vote(VoteKind::Precommit, 5, &key)));
        assert!(known.contains(&vote(VoteKind::Precommit, 6, &key)));
        let mut other = vote(VoteKind::Precommit, 5, &key);
        other.signature.0[0] ^= 1;
        assert!(!known.contains(&other));
    }

    #[test]
    fn a_certificate_that_verified_is_known_vote_by_vote() {
        let keys: Vec<Keypair> = (1..=3u8).map(|i| Keypair::from_seed(&[i; 32])).collect();
        let votes: Vec<SignedVote> = keys
            .iter()
            .map(|k| vote(VoteKind::Precommit, 9, k))
            .collect();
        let cert = CommitCertificate::from_precommits(9, 0, Hash([9; 32]), &votes);
        let mut known = KnownPrecommits::default();
        known.record_certificate(&cert);
        assert!(votes.iter().all(|v| known.contains(v)));
    }
}
