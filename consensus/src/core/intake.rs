//! The checks every proposal and vote passes before the rules see it, the buffer for the next
//! height, and the detector that says the node is behind.
//!
//! A message counts when it is for the current height, from a validator of that height (for a
//! proposal: from `proposer(h, r)`), for a round at most [`MAX_ROUNDS_AHEAD`] above the current
//! one, and its signature verifies. Anything else is dropped without an output. Messages for
//! the next height are verified and buffered (bounded, and bounded per sender), then replayed
//! when it starts. Signed messages from higher heights tell the core that others have moved
//! on: once validators holding more than a third of the power are above it, at least one
//! honest validator is, and the core emits `Output::Behind` (once per height).

use vellum_protocol::{PublicKey, SignedProposal, SignedVote};

use super::{Core, Validity};
use crate::tally::{MAX_ROUNDS_AHEAD, VoteOutcome};
use crate::types::{Evidence, Height, Output};

/// Most messages buffered for the next height.
const MAX_BUFFERED: usize = 1024;

/// A consensus message kept for later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Message {
    Proposal(SignedProposal),
    Vote(SignedVote),
}

impl Message {
    fn sender(&self) -> PublicKey {
        match self {
            Message::Proposal(p) => p.proposal.proposer,
            Message::Vote(v) => v.vote.validator,
        }
    }

    fn height(&self) -> Height {
        match self {
            Message::Proposal(p) => p.proposal.height,
            Message::Vote(v) => v.vote.height,
        }
    }

    fn verifies(&self, chain_id: &str) -> bool {
        match self {
            Message::Proposal(p) => p.verify(chain_id).is_ok(),
            Message::Vote(v) => v.verify(chain_id).is_ok(),
        }
    }
}

impl Core {
    /// A vote from the network (or replayed from the buffer, `verified`).
    pub(super) fn on_vote(&mut self, vote: SignedVote, verified: bool, out: &mut Vec<Output>) {
        let Some(hs) = self.hs.as_mut() else {
            return;
        };
        let v = vote.vote;
        if v.height > hs.height {
            return self.on_future(Message::Vote(vote), verified, out);
        }
        if v.height < hs.height
            || hs.decided
            || v.round > hs.round.saturating_add(MAX_ROUNDS_AHEAD)
            || hs.tally.validators().get(&v.validator).is_none()
            || hs.tally.contains(&vote)
        {
            return;
        }
        if !verified
            && vote
                .verify_in(&self.config.chain_id, hs.tally.validators())
                .is_err()
        {
            return;
        }
        if let VoteOutcome::Equivocation(e) = hs.tally.add_vote(vote) {
            out.push(Output::Evidence(*e));
        }
    }

    /// A proposal from the network (or replayed from the buffer, `verified`).
    pub(super) fn on_proposal(
        &mut self,
        signed: SignedProposal,
        verified: bool,
        out: &mut Vec<Output>,
    ) {
        let Some(hs) = self.hs.as_mut() else {
            return;
        };
        let p = signed.proposal;
        if p.height > hs.height {
            return self.on_future(Message::Proposal(signed), verified, out);
        }
        if p.height < hs.height
            || hs.decided
            || p.round > hs.round.saturating_add(MAX_ROUNDS_AHEAD)
            || p.pol_round.is_some_and(|vr| vr >= p.round)
            || hs.schedule.proposer(p.height, p.round) != p.proposer
        {
            return;
        }
        if let Some(first) = hs.proposals.get(&p.round) {
            if first.proposal == p || hs.duplicate_proposals.contains(&p.round) {
                return;
            }
            if !verified
                && signed
                    .verify_in(&self.config.chain_id, hs.tally.validators())
                    .is_err()
            {
                return;
            }
            hs.duplicate_proposals.insert(p.round);
            out.push(Output::Evidence(Evidence::DuplicateProposal {
                first: *first,
                second: signed,
            }));
            return;
        }
        if !verified
            && signed
                .verify_in(&self.config.chain_id, hs.tally.validators())
                .is_err()
        {
            return;
        }
        hs.proposals.insert(p.round, signed);
        hs.tally.note_sender(p.round, &p.proposer);
        if let std::collections::btree_map::Entry::Vacant(e) = hs.validity.entry(p.block) {
            e.insert(Validity::Pending);
            out.push(Output::ValidateBlock {
                height: p.height,
                round: p.round,
                block: p.block,
            });
        }
    }

    /// A message for a height above the current one: buffered if for the next height, and
    /// counted for the "behind" detector. Only validators of the current height are listened
    /// to: they are the best guess of who votes next.
    fn on_future(&mut self, msg: Message, verified: bool, out: &mut Vec<Output>) {
        let Some(hs) = self.hs.as_ref() else {
            return;
        };
        let validators = hs.tally.validators();
        let (sender, height) = (msg.sender(), msg.height());
        if validators.get(&sender).is_none() {
            return;
        }
        let known = self.ahead.get(&sender).copied().unwrap_or(0);
        let per_sender = (MAX_BUFFERED / validators.len()).max(4);
        let buffer = height == hs.height.saturating_add(1)
            && self.next.len() < MAX_BUFFERED
            && self.next.iter().filter(|m| m.sender() == sender).count() < per_sender
            && !self.next.contains(&msg);
        if height <= known && !buffer {
            return;
        }
        if !verified && !msg.verifies(&self.config.chain_id) {
            return;
        }
        if buffer {
            self.next.push(msg);
        }
        if height > known {
            self.ahead.insert(sender, height);
            self.check_behind(out);
        }
    }

    /// Emits `Behind { height }` when validators holding more than a third of the power sent
    /// messages for `height` or above, and `height` is above where this node is going.
    pub(super) fn check_behind(&mut self, out: &mut Vec<Output>) {
        let Some(hs) = self.hs.as_ref() else {
            return;
        };
        // A decided node is about to start the next height: messages for it are no news.
        let going_to = hs.height + u64::from(hs.decided);
        let validators = hs.tally.validators();
        let mut above: Vec<(Height, u64)> = self
            .ahead
            .iter()
            .filter(|(_, h)| **h > going_to)
            .map(|(k, h)| (*h, validators.power_of(k)))
            .collect();
        above.sort_unstable_by_key(|(h, _)| std::cmp::Reverse(*h));
        let mut power = 0u64;
        for (height, p) in above {
            power = power.saturating_add(p);
            if validators.is_one_third(power) {
                if height > self.behind_reported {
                    self.behind_reported = height;
                    out.push(Output::Behind { height });
                }
                return;
            }
        }
    }
}
