//! The safety guard: the only code that signs proposals and votes.
//!
//! The rule (after Aptos' safety rules): the positions a validator signs, `(height, round,
//! step)` with `Propose < Prevote < Precommit`, never go backwards, and one position is never
//! signed for two different blocks. Signing the identical message again is allowed: ed25519 is
//! deterministic, so the same bytes leave and nobody can tell. The guard records the lock when
//! it signs a precommit for a block, and forgets it at a new height.
//!
//! The guard updates its [`SafetyState`] before it returns a signature; the core hands that
//! state to the host to persist before the signed message is broadcast, so a validator that
//! crashes and restarts from what was persisted cannot sign a conflicting message.

use vellum_protocol::{Keypair, Proposal, PublicKey, SignedProposal, SignedVote, Vote, VoteKind};

use crate::types::{SafetyState, SignedPosition, Step};

/// Why the guard refused to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("refusing to sign {attempted:?}: it is below the last signed position {last:?}")]
    Regression {
        last: SignedPosition,
        attempted: SignedPosition,
    },
    #[error("refusing to sign {attempted:?}: {last:?} was signed for a different block")]
    Conflict {
        last: SignedPosition,
        attempted: SignedPosition,
    },
    #[error("refusing to sign for {0}: the guard holds the key of another validator")]
    WrongSigner(PublicKey),
}

/// Holds the validator's key and what it has signed.
#[derive(Debug, Clone)]
pub struct SafetyGuard {
    chain_id: String,
    key: Keypair,
    state: SafetyState,
}

impl SafetyGuard {
    /// A guard that continues from `state`, the last persisted value (default when new).
    pub fn new(chain_id: impl Into<String>, key: Keypair, state: SafetyState) -> Self {
        SafetyGuard {
            chain_id: chain_id.into(),
            key,
            state,
        }
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// What must be persisted: it already covers every signature handed out.
    pub fn state(&self) -> SafetyState {
        self.state
    }

    pub fn sign_vote(&mut self, vote: Vote) -> Result<SignedVote, GuardError> {
        if vote.validator != self.key.public() {
            return Err(GuardError::WrongSigner(vote.validator));
        }
        self.advance(SignedPosition {
            height: vote.height,
            round: vote.round,
            step: vote.kind.into(),
            block: vote.block,
        })?;
        if let (VoteKind::Precommit, Some(block)) = (vote.kind, vote.block) {
            self.state.locked = Some((vote.round, block));
        }
        Ok(vote.sign(&self.chain_id, &self.key))
    }

    pub fn sign_proposal(&mut self, proposal: Proposal) -> Result<SignedProposal, GuardError> {
        if proposal.proposer != self.key.public() {
            return Err(GuardError::WrongSigner(proposal.proposer));
        }
        self.advance(SignedPosition {
            height: proposal.height,
            round: proposal.round,
            step: Step::Propose,
            block: Some(proposal.block),
        })?;
        Ok(proposal.sign(&self.chain_id, &self.key))
    }

    /// Checks `next` against the last signed position and moves there.
    fn advance(&mut self, next: SignedPosition) -> Result<(), GuardError> {
        if let Some(last) = self.state.last_signed {
            let (l, n) = (
                (last.height, last.round, last.step),
                (next.height, next.round, next.step),
            );
            if n < l {
                return Err(GuardError::Regression {
                    last,
                    attempted: next,
                });
            }
            if n == l {
                return if last.block == next.block {
                    Ok(())
                } else {
                    Err(GuardError::Conflict {
                        last,
                        attempted: next,
                    })
                };
            }
            if next.height > last.height {
                self.state.locked = None;
            }
        }
        self.state.last_signed = Some(next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::Hash;

    fn guard() -> SafetyGuard {
        SafetyGuard::new("test", Keypair::from_seed(&[1; 32]), SafetyState::default())
    }

    fn vote(g: &SafetyGuard, kind: VoteKind, h: u64, r: u32, block: Option<Hash>) -> Vote {
        Vote {
            kind,
            height: h,
            round: r,
            block,
            validator: g.public_key(),
        }
    }

    const A: Option<Hash> = Some(Hash([1; 32]));
    const B: Option<Hash> = Some(Hash([2; 32]));

    #[test]
    fn refuses_a_conflicting_vote_for_the_same_height_round_and_step() {
        let mut g = guard();
        g.sign_vote(vote(&g, VoteKind::Prevote, 1, 0, A)).unwrap();
        assert!(matches!(
            g.sign_vote(vote(&g, VoteKind::Prevote, 1, 0, B)),
            Err(GuardError::Conflict { .. })
        ));
        assert!(matches!(
            g.sign_vote(vote(&g, VoteKind::Prevote, 1, 0, None)),
            Err(GuardError::Conflict { .. })
        ));
    }

    #[test]
    fn allows_re_signing_the_identical_vote_with_identical_bytes() {
        let mut g = guard();
        let first = g.sign_vote(vote(&g, VoteKind::Precommit, 3, 1, A)).unwrap();
        let again = g.sign_vote(vote(&g, VoteKind::Precommit, 3, 1, A)).unwrap();
        assert_eq!(first, again);
    }

    #[test]
    fn refuses_a_regression_of_height_round_or_step() {
        let mut g = guard();
        g.sign_vote(vote(&g, VoteKind::Precommit, 5, 2, None))
            .unwrap();
        for (kind, h, r) in [
            (VoteKind::Prevote, 5, 2),
            (VoteKind::Precommit, 5, 1),
            (VoteKind::Precommit, 4, 9),
        ] {
            assert!(matches!(
                g.sign_vote(vote(&g, kind, h, r, None)),
                Err(GuardError::Regression { .. })
            ));
        }
        let p = Proposal {
            height: 5,
            round: 2,
            block: Hash([1; 32]),
            pol_round: None,
            proposer: g.public_key(),
        };
        assert!(matches!(
            g.sign_proposal(p),
            Err(GuardError::Regression { .. })
        ));
        g.sign_proposal(Proposal { round: 3, ..p }).unwrap();
    }

    #[test]
    fn records_the_lock_on_a_precommit_and_forgets_it_at_a_new_height() {
        let mut g = guard();
        g.sign_vote(vote(&g, VoteKind::Prevote, 1, 0, A)).unwrap();
        assert_eq!(g.state().locked, None);
        g.sign_vote(vote(&g, VoteKind::Precommit, 1, 0, A)).unwrap();
        assert_eq!(g.state().locked, Some((0, Hash([1; 32]))));
        g.sign_vote(vote(&g, VoteKind::Precommit, 1, 1, None))
            .unwrap();
        assert_eq!(g.state().locked, Some((0, Hash([1; 32]))));
        g.sign_vote(vote(&g, VoteKind::Prevote, 2, 0, B)).unwrap();
        assert_eq!(g.state().locked, None);
        assert_eq!(
            g.state().last_signed,
            Some(SignedPosition {
                height: 2,
                round: 0,
                step: Step::Prevote,
                block: B
            })
        );
    }

    #[test]
    fn a_restarted_guard_keeps_refusing() {
        let mut g = guard();
        g.sign_vote(vote(&g, VoteKind::Prevote, 1, 0, A)).unwrap();
        let mut restarted = SafetyGuard::new("test", Keypair::from_seed(&[1; 32]), g.state());
        assert!(
            restarted
                .sign_vote(vote(&g, VoteKind::Prevote, 1, 0, B))
                .is_err()
        );
        assert!(
            restarted
                .sign_vote(vote(&g, VoteKind::Prevote, 1, 0, A))
                .is_ok()
        );
    }

    #[test]
    fn refuses_to_sign_for_another_validator() {
        let mut g = guard();
        let mut v = vote(&g, VoteKind::Prevote, 1, 0, A);
        v.validator = Keypair::from_seed(&[2; 32]).public();
        assert!(matches!(g.sign_vote(v), Err(GuardError::WrongSigner(_))));
    }
}
