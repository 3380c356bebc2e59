//! The votes of one height: prevotes and precommits per round, power per value, quorums, the
//! senders of each round for the round-skip rule, and equivocation evidence.
//!
//! Counting follows the paper, where "2f+1 ⟨PREVOTE, h, r, id(v)⟩" means messages for `v` from
//! distinct senders. A validator counts once in the power of everything it voted in a
//! (round, kind) and once in the power for each value it signed a vote for: its first vote is
//! its vote, a second, different one is evidence of equivocation (reported once) and also
//! counts for its own value, never twice for one value. Counting it there costs no safety (a
//! Byzantine validator may send each node a different vote anyway) and keeps liveness: a node
//! that saw an equivocator's nil first must still be able to see the 2f+1 prevotes for `v`
//! that other nodes locked on, when they are relayed to it. At most
//! [`MAX_CONFLICTING_VOTES`] further votes per validator and (round, kind) are kept, which
//! bounds memory. Power comes from the height's [`ValidatorSet`]:
//! "2f+1" is [`ValidatorSet::is_quorum`] (more than two thirds), "f+1" is
//! [`ValidatorSet::is_one_third`]. The tally does not check signatures; the core does, before
//! a vote gets here.

use std::collections::{BTreeMap, BTreeSet};

use vellum_protocol::{Hash, PublicKey, SignedVote, ValidatorSet, VoteKind};

use crate::types::{Evidence, Height, Round};

/// Messages for rounds more than this far above the current round are ignored, which bounds
/// the memory one height can take.
pub const MAX_ROUNDS_AHEAD: Round = 100;

/// Votes kept per validator and (round, kind) beyond its first, when it equivocates.
pub const MAX_CONFLICTING_VOTES: usize = 4;

/// A set of validator indices; a [`ValidatorSet`] holds at most 256 validators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ValidatorBits([u64; 4]);

impl ValidatorBits {
    /// Adds `i`; false if it was there already.
    fn insert(&mut self, i: usize) -> bool {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let Some(w) = self.0.get_mut(word) else {
            return false;
        };
        let new = *w & bit == 0;
        *w |= bit;
        new
    }
}

/// The votes of one kind in one round.
#[derive(Debug, Clone, Default)]
struct VoteSet {
    /// The first vote of each validator, by index in the validator set.
    first: BTreeMap<u16, SignedVote>,
    /// Further, different votes of equivocating validators.
    conflicting: BTreeMap<u16, Vec<SignedVote>>,
    power_by_value: BTreeMap<Option<Hash>, u64>,
    total_power: u64,
    /// Validators already reported for equivocating here.
    reported: ValidatorBits,
}

#[derive(Debug, Clone, Default)]
struct RoundVotes {
    prevotes: VoteSet,
    precommits: VoteSet,
    /// Who sent anything (proposal, prevote, precommit) in this round, and their power.
    senders: ValidatorBits,
    sender_power: u64,
}

impl RoundVotes {
    fn of(&self, kind: VoteKind) -> &VoteSet {
        match kind {
            VoteKind::Prevote => &self.prevotes,
            VoteKind::Precommit => &self.precommits,
        }
    }
}

/// What adding a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    /// Counted.
    Added,
    /// This vote is already counted; nothing changed.
    Duplicate,
    /// A second, different vote of a validator for this (round, kind): the evidence, the first
    /// time. The vote counts for its value (see the module comment).
    Equivocation(Box<Evidence>),
    /// A further equivocation by a validator already reported for this (round, kind).
    AlreadyReported,
    /// The sender is not a validator of this height, or the vote is for another height.
    NotCounted,
}

/// All votes of one height.
#[derive(Debug, Clone)]
pub struct VoteTally {
    height: Height,
    validators: ValidatorSet,
    rounds: BTreeMap<Round, RoundVotes>,
    /// Rounds where more than two thirds precommitted one block (paper line 49), with it.
    commits: BTreeSet<(Round, Hash)>,
}

impl VoteTally {
    pub fn new(height: Height, validators: ValidatorSet) -> Self {
        VoteTally {
            height,
            validators,
            rounds: BTreeMap::new(),
            commits: BTreeSet::new(),
        }
    }

    pub fn height(&self) -> Height {
        self.height
    }

    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// Whether this exact vote (same content) is already counted.
    pub fn contains(&self, vote: &SignedVote) -> bool {
        let Some(i) = self.validators.index_of(&vote.vote.validator) else {
            return false;
        };
        self.rounds.get(&vote.vote.round).is_some_and(|r| {
            let set = r.of(vote.vote.kind);
            let i = i as u16;
            set.first.get(&i).is_some_and(|v| v.vote == vote.vote)
                || set
                    .conflicting
                    .get(&i)
                    .is_some_and(|c| c.iter().any(|v| v.vote == vote.vote))
        })
    }

    /// Counts a vote whose signature the caller has checked.
    pub fn add_vote(&mut self, vote: SignedVote) -> VoteOutcome {
        let v = vote.vote;
        let Some(i) = self.validators.index_of(&v.validator) else {
            return VoteOutcome::NotCounted;
        };
        if v.height != self.height {
            return VoteOutcome::NotCounted;
        }
        let power = self.validators.validators()[i].power;
        let round = self.rounds.entry(v.round).or_default();
        if round.senders.insert(i) {
            round.sender_power += power;
        }
        let set = match v.kind {
            VoteKind::Prevote => &mut round.prevotes,
            VoteKind::Precommit => &mut round.precommits,
        };
        let outcome = match set.first.get(&(i as u16)) {
            None => {
                set.first.insert(i as u16, vote);
                set.total_power += power;
                VoteOutcome::Added
            }
            Some(first) => {
                let first = *first;
                if first.vote == v {
                    return VoteOutcome::Duplicate;
                }
                let conflicting = set.conflicting.entry(i as u16).or_default();
                if conflicting.iter().any(|c| c.vote == v) {
                    return VoteOutcome::Duplicate;
                }
                let outcome = if set.reported.insert(i) {
                    VoteOutcome::Equivocation(Box::new(Evidence::DuplicateVote {
                        first,
                        second: vote,
                    }))
                } else {
                    VoteOutcome::AlreadyReported
                };
                if conflicting.len() >= MAX_CONFLICTING_VOTES {
                    return outcome;
                }
                conflicting.push(vote);
                outcome
            }
        };
        let for_value = set.power_by_value.entry(v.block).or_insert(0);
        *for_value += power;
        if let (VoteKind::Precommit, Some(block)) = (v.kind, v.block)
            && self.validators.is_quorum(*for_value)
        {
            self.commits.insert((v.round, block));
        }
        outcome
    }

    /// Records that `validator` sent a proposal in `round`, for the round-skip rule.
    pub fn note_sender(&mut self, round: Round, validator: &PublicKey) {
        let Some(i) = self.validators.index_of(validator) else {
            return;
        };
        let power = self.validators.validators()[i].power;
        let r = self.rounds.entry(round).or_default();
        if r.senders.insert(i) {
            r.sender_power += power;
        }
    }

    /// The power of the `kind` votes for `block` (`None`: nil) in `round`.
    pub fn power_for(&self, round: Round, kind: VoteKind, block: Option<Hash>) -> u64 {
        self.rounds.get(&round).map_or(0, |r| {
            r.of(kind).power_by_value.get(&block).copied().unwrap_or(0)
        })
    }

    /// The power of all `kind` votes in `round`, whatever they are for.
    pub fn power_any(&self, round: Round, kind: VoteKind) -> u64 {
        self.rounds
            .get(&round)
            .map_or(0, |r| r.of(kind).total_power)
    }

    /// 2f+1 `kind` votes for `block` (`None`: nil) in `round`.
    pub fn has_quorum_for(&self, round: Round, kind: VoteKind, block: Option<Hash>) -> bool {
        self.validators
            .is_quorum(self.power_for(round, kind, block))
    }

    /// 2f+1 `kind` votes in `round`, for anything.
    pub fn has_quorum_any(&self, round: Round, kind: VoteKind) -> bool {
        self.validators.is_quorum(self.power_any(round, kind))
    }

    /// The votes of `kind` for `block` in `round` (an equivocator's for each value it signed),
    /// e.g. to build a certificate.
    pub fn votes_for(&self, round: Round, kind: VoteKind, block: Option<Hash>) -> Vec<SignedVote> {
        self.iter_votes(round, kind)
            .filter(|v| v.vote.block == block)
            .copied()
            .collect()
    }

    /// Every vote of `kind` in `round`, equivocations included.
    pub fn votes_of(&self, round: Round, kind: VoteKind) -> Vec<SignedVote> {
        self.iter_votes(round, kind).copied().collect()
    }

    fn iter_votes(&self, round: Round, kind: VoteKind) -> impl Iterator<Item = &SignedVote> {
        self.rounds.get(&round).into_iter().flat_map(move |r| {
            let set = r.of(kind);
            set.first.values().chain(set.conflicting.values().flatten())
        })
    }

    /// The latest round below `round` in which 2f+1 of the power precommitted (anything).
    pub fn latest_precommit_quorum_below(&self, round: Round) -> Option<Round> {
        self.rounds
            .range(..round)
            .rev()
            .find(|(_, r)| self.validators.is_quorum(r.precommits.total_power))
            .map(|(r, _)| *r)
    }

    /// Rounds where 2f+1 precommitted a block, with that block, lowest round first.
    pub fn commit_quorums(&self) -> impl Iterator<Item = (Round, Hash)> + '_ {
        self.commits.iter().copied()
    }

    /// The highest round above `round` in which validators holding f+1 power sent something
    /// (paper line 55).
    pub fn highest_round_with_one_third_above(&self, round: Round) -> Option<Round> {
        let above = round.checked_add(1)?;
        self.rounds
            .range(above..)
            .rev()
            .find(|(_, r)| self.validators.is_one_third(r.sender_power))
            .map(|(r, _)| *r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::{Keypair, Validator, Vote};

    fn keys() -> Vec<Keypair> {
        (1..=4u8).map(|i| Keypair::from_seed(&[i; 32])).collect()
    }

    fn tally(keys: &[Keypair]) -> VoteTally {
        let set = ValidatorSet::new(
            keys.iter()
                .map(|k| Validator {
                    key: k.public(),
                    power: 1,
                })
                .collect(),
        )
        .unwrap();
        VoteTally::new(1, set)
    }

    fn vote(k: &Keypair, kind: VoteKind, round: Round, block: Option<Hash>) -> SignedVote {
        Vote {
            kind,
            height: 1,
            round,
            block,
            validator: k.public(),
        }
        .sign("test", k)
    }

    #[test]
    fn three_of_four_is_a_quorum_and_two_is_not() {
        let k = keys();
        let mut t = tally(&k);
        let b = Some(Hash([1; 32]));
        for key in &k[..2] {
            assert_eq!(
                t.add_vote(vote(key, VoteKind::Prevote, 0, b)),
                VoteOutcome::Added
            );
        }
        assert!(!t.has_quorum_for(0, VoteKind::Prevote, b));
        t.add_vote(vote(&k[2], VoteKind::Prevote, 0, None));
        assert!(!t.has_quorum_for(0, VoteKind::Prevote, b));
        assert!(t.has_quorum_any(0, VoteKind::Prevote));
        t.add_vote(vote(&k[3], VoteKind::Prevote, 0, b));
        assert!(t.has_quorum_for(0, VoteKind::Prevote, b));
        assert!(!t.has_quorum_any(0, VoteKind::Precommit));
    }

    #[test]
    fn an_equivocating_vote_is_reported_once_and_counted_once_per_value() {
        let k = keys();
        let mut t = tally(&k);
        let (a, b, c) = (Hash([1; 32]), Hash([2; 32]), Hash([3; 32]));
        let first = vote(&k[0], VoteKind::Precommit, 2, Some(a));
        assert_eq!(t.add_vote(first), VoteOutcome::Added);
        assert_eq!(t.add_vote(first), VoteOutcome::Duplicate);
        let second = vote(&k[0], VoteKind::Precommit, 2, Some(b));
        assert_eq!(
            t.add_vote(second),
            VoteOutcome::Equivocation(Box::new(Evidence::DuplicateVote { first, second }))
        );
        assert_eq!(
            t.add_vote(vote(&k[0], VoteKind::Precommit, 2, Some(c))),
            VoteOutcome::AlreadyReported
        );
        // Once in everything, once for each value it signed, never twice for one value.
        assert_eq!(t.power_any(2, VoteKind::Precommit), 1);
        assert_eq!(t.power_for(2, VoteKind::Precommit, Some(a)), 1);
        assert_eq!(t.power_for(2, VoteKind::Precommit, Some(b)), 1);
        assert_eq!(t.power_for(2, VoteKind::Precommit, Some(c)), 1);
        assert_eq!(t.add_vote(second), VoteOutcome::Duplicate);
        assert_eq!(t.power_for(2, VoteKind::Precommit, Some(b)), 1);
        // The same validator's prevote in that round is a different (round, kind).
        assert_eq!(
            t.add_vote(vote(&k[0], VoteKind::Prevote, 2, Some(b))),
            VoteOutcome::Added
        );
    }

    #[test]
    fn a_relayed_vote_of_an_equivocator_completes_a_quorum() {
        // The node saw validator 0's nil first; 1 and 2 prevoted B, and so did 0 elsewhere.
        let k = keys();
        let mut t = tally(&k);
        let b = Some(Hash([1; 32]));
        t.add_vote(vote(&k[0], VoteKind::Prevote, 0, None));
        t.add_vote(vote(&k[1], VoteKind::Prevote, 0, b));
        t.add_vote(vote(&k[2], VoteKind::Prevote, 0, b));
        assert!(!t.has_quorum_for(0, VoteKind::Prevote, b));
        let relayed = vote(&k[0], VoteKind::Prevote, 0, b);
        assert!(matches!(t.add_vote(relayed), VoteOutcome::Equivocation(_)));
        assert!(t.contains(&relayed));
        assert!(t.has_quorum_for(0, VoteKind::Prevote, b));
        assert_eq!(t.votes_for(0, VoteKind::Prevote, b).len(), 3);
    }

    #[test]
    fn conflicting_votes_kept_per_validator_are_bounded() {
        let k = keys();
        let mut t = tally(&k);
        t.add_vote(vote(&k[0], VoteKind::Prevote, 0, None));
        for i in 0..10u8 {
            t.add_vote(vote(&k[0], VoteKind::Prevote, 0, Some(Hash([i; 32]))));
        }
        let kept = (0..10u8)
            .filter(|i| t.power_for(0, VoteKind::Prevote, Some(Hash([*i; 32]))) > 0)
            .count();
        assert_eq!(kept, MAX_CONFLICTING_VOTES);
    }

    #[test]
    fn commit_quorums_name_the_round_and_block() {
        let k = keys();
        let mut t = tally(&k);
        let b = Hash([7; 32]);
        for key in &k[..3] {
            t.add_vote(vote(key, VoteKind::Precommit, 4, Some(b)));
        }
        assert_eq!(t.commit_quorums().collect::<Vec<_>>(), vec![(4, b)]);
        assert_eq!(t.votes_for(4, VoteKind::Precommit, Some(b)).len(), 3);
    }

    #[test]
    fn one_third_of_senders_in_a_higher_round_is_found() {
        let k = keys();
        let mut t = tally(&k);
        t.add_vote(vote(&k[0], VoteKind::Prevote, 3, None));
        assert_eq!(t.highest_round_with_one_third_above(0), None);
        // Two messages of one validator count once.
        t.add_vote(vote(&k[0], VoteKind::Precommit, 3, None));
        assert_eq!(t.highest_round_with_one_third_above(0), None);
        t.note_sender(3, &k[1].public());
        assert_eq!(t.highest_round_with_one_third_above(0), Some(3));
        assert_eq!(t.highest_round_with_one_third_above(3), None);
        assert_eq!(t.highest_round_with_one_third_above(Round::MAX), None);
    }

    #[test]
    fn the_latest_round_ended_by_precommits_is_found_with_all_its_votes() {
        let k = keys();
        let mut t = tally(&k);
        let (a, b) = (Some(Hash([1; 32])), Some(Hash([2; 32])));
        // Round 1 ends on mixed precommits, round 3 on two (no quorum), round 2 has none.
        for (key, block) in k[..3].iter().zip([a, None, b]) {
            t.add_vote(vote(key, VoteKind::Precommit, 1, block));
        }
        for key in &k[..2] {
            t.add_vote(vote(key, VoteKind::Precommit, 3, a));
        }
        t.add_vote(vote(&k[3], VoteKind::Prevote, 3, a));
        assert_eq!(t.latest_precommit_quorum_below(5), Some(1));
        assert_eq!(t.latest_precommit_quorum_below(1), None);
        // An equivocation in round 1 is relayed too: each value counts on its own.
        t.add_vote(vote(&k[0], VoteKind::Precommit, 1, None));
        let votes = t.votes_of(1, VoteKind::Precommit);
        assert_eq!(votes.len(), 4);
        assert!(votes.iter().all(|v| v.vote.round == 1));
        assert!(t.votes_of(2, VoteKind::Precommit).is_empty());
    }

    #[test]
    fn votes_of_strangers_or_other_heights_are_not_counted() {
        let k = keys();
        let mut t = tally(&k);
        let stranger = Keypair::from_seed(&[99; 32]);
        assert_eq!(
            t.add_vote(vote(&stranger, VoteKind::Prevote, 0, None)),
            VoteOutcome::NotCounted
        );
        let mut other = vote(&k[0], VoteKind::Prevote, 0, None);
        other.vote.height = 2;
        assert_eq!(t.add_vote(other), VoteOutcome::NotCounted);
    }
}
