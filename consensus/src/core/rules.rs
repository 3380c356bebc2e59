//! The "upon" rules of Algorithm 1 (Buchman, Kwon, Milosevic 2018), StartRound, the timeouts,
//! and the only path to the signer.
//!
//! After each input the rules are tried in a fixed order until none fires; every firing moves
//! the state forward (a step, a round, a "first time" flag, the decision), so this ends. Line
//! numbers below are the paper's. "2f+1" is more than two thirds of the voting power, "f+1"
//! more than one third. A signed message goes out as `PersistSafety` then the broadcast, and
//! counts as received by this node at once (the paper's processes receive their own messages).

use vellum_protocol::{CommitCertificate, Hash, Proposal, ValidatorSet, Vote, VoteKind};

use super::{HeightState, OwnMessages, RoundFlags, Validity};
use crate::guard::SafetyGuard;
use crate::types::{CoreConfig, LockProof, Output, Round, SignedPosition, Step, Timeout};

/// More rule firings than one input can cause; a guard against a bug looping forever.
const MAX_FIRINGS: usize = 10_000;

/// The state one input works on: the height, the signer, and where outputs go.
#[derive(Debug)]
pub(super) struct Ctx<'a> {
    pub(super) hs: &'a mut HeightState,
    pub(super) guard: Option<&'a mut SafetyGuard>,
    pub(super) config: &'a CoreConfig,
    pub(super) now: u64,
    pub(super) out: &'a mut Vec<Output>,
}

impl Ctx<'_> {
    /// Fires rules until none applies or the height is decided.
    pub(super) fn run_rules(&mut self) {
        for _ in 0..MAX_FIRINGS {
            if self.hs.decided || !self.fire_one() {
                return;
            }
        }
    }

    fn fire_one(&mut self) -> bool {
        self.decide()
            || self.prevote_on_proposal()
            || self.schedule_prevote_timeout()
            || self.lock_on_prevote_quorum()
            || self.precommit_nil_on_prevote_quorum()
            || self.schedule_precommit_timeout()
            || self.skip_round()
    }

    /// StartRound (lines 11-21).
    pub(super) fn start_round(&mut self, round: Round) {
        let hs = &mut *self.hs;
        hs.round = round;
        hs.step = Step::Propose;
        hs.flags = RoundFlags::default();
        let previous_round = [hs.own.prevote, hs.own.precommit]
            .into_iter()
            .flatten()
            .collect();
        hs.own = OwnMessages {
            previous_round,
            ..OwnMessages::default()
        };
        let me = self.guard.as_ref().map(|g| g.public_key());
        if me == Some(hs.schedule.proposer(hs.height, round)) {
            match hs.valid.filter(|(vr, _)| *vr < round) {
                // Lines 15-16: propose the valid value again, with its round as proof of lock.
                Some((vr, v)) => self.propose(v, Some(vr)),
                // Line 18: getValue() is the host's; its answer is `Input::BlockToPropose`.
                None => {
                    hs.flags.awaiting_block = true;
                    self.out.push(Output::RequestBlock {
                        height: hs.height,
                        round,
                    });
                }
            }
        }
        // Line 21. The proposer schedules it too: it bounds the wait for the host's block.
        self.schedule(Step::Propose);
    }

    /// Resumes the height after a restart in the middle of round `last.round`, with this
    /// node's own recovered votes already counted and held (`Core::recover`). It stays in that
    /// round, at the step it had reached, and sends its votes of the round and of the one
    /// before again at once: peers still there may wait for them, and if every validator
    /// restarted, each sending its own again rebuilds the quorums everyone lost, as if those
    /// messages had only been delayed. (Moving on alone would not do: a peer left in the round
    /// could wait for ever for the votes this node would no longer cast there.) But the votes
    /// it had received are gone, and some may be gone for good (their sender failed since), so
    /// in this round it does not wait for the 2f+1 votes that would schedule timeoutPrevote
    /// and timeoutPrecommit (lines 34 and 47): it schedules each on reaching its step, and so
    /// leaves the round only after signing both its votes there, which it keeps sending. A
    /// vote the record does not hold (one of an earlier version) is signed again: the guard
    /// allows it, the same position and block giving the same bytes. A node that had only
    /// proposed starts the round again: it can still vote in it (its proposal is not signed
    /// again, its body may be gone).
    pub(super) fn resume_at(&mut self, last: SignedPosition) {
        self.hs.resumed = Some(last.round);
        let kind = match last.step {
            Step::Propose => {
                let previous = std::mem::take(&mut self.hs.own.previous_round);
                self.start_round(last.round);
                self.hs.own.previous_round = previous;
                return self.rebroadcast();
            }
            Step::Prevote => VoteKind::Prevote,
            Step::Precommit => VoteKind::Precommit,
        };
        let hs = &mut *self.hs;
        hs.round = last.round;
        hs.step = last.step;
        hs.flags = RoundFlags::default();
        let held = match kind {
            VoteKind::Prevote => hs.own.prevote,
            VoteKind::Precommit => hs.own.precommit,
        };
        self.rebroadcast();
        if held.is_none() {
            self.vote(kind, last.block);
        }
        // The heartbeat that sends this round's own messages again while the round lasts.
        self.schedule(Step::Propose);
    }

    /// The host's block for this round (line 18 answered); lines 19-20.
    pub(super) fn on_block_to_propose(&mut self, height: u64, round: Round, block: Hash) {
        let hs = &mut *self.hs;
        if hs.decided
            || height != hs.height
            || round != hs.round
            || hs.step != Step::Propose
            || !hs.flags.awaiting_block
        {
            return;
        }
        hs.flags.awaiting_block = false;
        self.propose(block, None);
    }

    /// Lines 22-27 (a proposal without proof of lock) and 28-33 (with one), while in the
    /// propose step of the proposal's round.
    fn prevote_on_proposal(&mut self) -> bool {
        let hs = &*self.hs;
        if hs.step != Step::Propose {
            return false;
        }
        let Some(p) = hs.proposals.get(&hs.round).map(|p| p.proposal) else {
            return false;
        };
        let v = p.block;
        let lock_ok = match p.pol_round {
            // Line 23: lockedRound = -1 or lockedValue = v.
            None => hs.locked.is_none_or(|(_, lv)| lv == v),
            // Line 28: 2f+1 prevotes for v in round vr < round_p (vr < round is checked on
            // receipt); line 29: lockedRound <= vr or lockedValue = v.
            Some(vr) => {
                if !hs.tally.has_quorum_for(vr, VoteKind::Prevote, Some(v)) {
                    return false;
                }
                hs.locked.is_none_or(|(lr, lv)| lr <= vr || lv == v)
            }
        };
        // valid(v) waits for the host's answer; timeoutPropose ends the wait (line 57).
        let valid = match hs.validity.get(&v) {
            Some(Validity::Valid) => true,
            Some(Validity::Invalid) => false,
            Some(Validity::Pending) | None => return false,
        };
        // Lines 24/30 else 26/32; line 27/33: step <- prevote.
        let vote = valid && (lock_ok || self.ignore_lock());
        self.prevote(vote.then_some(v));
        true
    }

    /// Lines 34-35: 2f+1 prevotes for anything while in prevote, for the first time; in the
    /// round a restart resumed in, without waiting for them (see `resume_at`).
    fn schedule_prevote_timeout(&mut self) -> bool {
        let hs = &mut *self.hs;
        if hs.step != Step::Prevote
            || hs.flags.prevote_timeout
            || !(hs.tally.has_quorum_any(hs.round, VoteKind::Prevote)
                || hs.resumed == Some(hs.round))
        {
            return false;
        }
        hs.flags.prevote_timeout = true;
        self.schedule(Step::Prevote);
        true
    }

    /// Lines 36-43: the proposal of this round, valid, with 2f+1 prevotes for it, while in
    /// prevote or later, for the first time: lock and precommit it (only from prevote), and
    /// remember it as the valid value.
    fn lock_on_prevote_quorum(&mut self) -> bool {
        let hs = &mut *self.hs;
        if hs.step < Step::Prevote || hs.flags.locked_on_quorum {
            return false;
        }
        let Some(v) = hs.proposals.get(&hs.round).map(|p| p.proposal.block) else {
            return false;
        };
        if hs.validity.get(&v) != Some(&Validity::Valid)
            || !hs
                .tally
                .has_quorum_for(hs.round, VoteKind::Prevote, Some(v))
        {
            return false;
        }
        hs.flags.locked_on_quorum = true;
        let round = hs.round;
        if hs.step == Step::Prevote {
            // Lines 38-41.
            hs.locked = Some((round, v));
            hs.lock_proof = Some(LockProof {
                round,
                block: v,
                prevotes: hs.tally.votes_for(round, VoteKind::Prevote, Some(v)),
            });
            self.precommit(Some(v));
        }
        // Lines 42-43.
        self.hs.valid = Some((round, v));
        true
    }

    /// Lines 44-46: 2f+1 prevotes for nil while in prevote.
    fn precommit_nil_on_prevote_quorum(&mut self) -> bool {
        let hs = &*self.hs;
        if hs.step != Step::Prevote || !hs.tally.has_quorum_for(hs.round, VoteKind::Prevote, None) {
            return false;
        }
        self.precommit(None);
        true
    }

    /// Lines 47-48: 2f+1 precommits for anything in this round, for the first time; in the
    /// round a restart resumed in, once this node has precommitted there (see `resume_at`).
    fn schedule_precommit_timeout(&mut self) -> bool {
        let hs = &mut *self.hs;
        let resumed_here = hs.resumed == Some(hs.round) && hs.step == Step::Precommit;
        if hs.flags.precommit_timeout
            || !(hs.tally.has_quorum_any(hs.round, VoteKind::Precommit) || resumed_here)
        {
            return false;
        }
        hs.flags.precommit_timeout = true;
        self.schedule(Step::Precommit);
        true
    }

    /// Lines 49-54: a proposal of any round r, valid, with 2f+1 precommits for it in r. The
    /// decision is the `Commit` output; the host applies the block and starts the next height
    /// (lines 51-54's reset is `Input::StartHeight`).
    fn decide(&mut self) -> bool {
        let hs = &mut *self.hs;
        let found = hs.tally.commit_quorums().find(|(r, v)| {
            hs.proposals.get(r).is_some_and(|p| p.proposal.block == *v)
                && hs.validity.get(v) == Some(&Validity::Valid)
        });
        let Some((round, block)) = found else {
            return false;
        };
        let votes = hs.tally.votes_for(round, VoteKind::Precommit, Some(block));
        let certificate = CommitCertificate::from_precommits(hs.height, round, block, &votes);
        hs.decided = true;
        self.out.push(Output::Commit {
            height: hs.height,
            round,
            block,
            certificate,
        });
        true
    }

    /// Lines 55-56: f+1 of the power sent messages of a higher round; go to the highest such.
    fn skip_round(&mut self) -> bool {
        let Some(round) = self
            .hs
            .tally
            .highest_round_with_one_third_above(self.hs.round)
        else {
            return false;
        };
        self.start_round(round);
        true
    }

    /// A scheduled timeout fired (lines 57-67). Stale ones (another height or round) do
    /// nothing; a current one first re-broadcasts this round's own messages. Returns whether
    /// it was current, i.e. should be scheduled again if the round goes on.
    pub(super) fn on_timeout(&mut self, t: Timeout) -> bool {
        let hs = &*self.hs;
        if hs.decided || t.height != hs.height || t.round != hs.round {
            return false;
        }
        self.rebroadcast();
        match t.step {
            // Lines 57-60: OnTimeoutPropose.
            Step::Propose if self.hs.step == Step::Propose => self.prevote(None),
            // Lines 61-64: OnTimeoutPrevote.
            Step::Prevote if self.hs.step == Step::Prevote => self.precommit(None),
            // Lines 65-67: OnTimeoutPrecommit.
            Step::Precommit => {
                if let Some(next) = t.round.checked_add(1) {
                    self.start_round(next);
                }
            }
            _ => {}
        }
        true
    }

    /// Schedules `t` again while its round lasts: the heartbeat that re-broadcasts.
    pub(super) fn rearm(&mut self, t: Timeout) {
        let hs = &*self.hs;
        if !hs.decided && t.height == hs.height && t.round == hs.round {
            self.schedule(t.step);
        }
    }

    /// Sends this round's own signed messages again, the proof of lock of this round's
    /// proposal (nodes that lost those prevotes could otherwise never accept it, line 28, and
    /// nobody sends a past round's votes again by themselves), and the precommits that ended
    /// the round before.
    fn rebroadcast(&mut self) {
        let own = &self.hs.own;
        if let Some(p) = own.proposal {
            self.out.push(Output::BroadcastProposal(p));
        }
        for v in [own.prevote, own.precommit].into_iter().flatten() {
            self.out.push(Output::BroadcastVote(v));
        }
        for v in &own.previous_round {
            self.out.push(Output::BroadcastVote(*v));
        }
        if let Some(p) = self.hs.proposals.get(&self.hs.round).map(|p| p.proposal) {
            self.relay_proof_of_lock(p.block, p.pol_round);
        }
        self.relay_round_change();
    }

    /// Relays the 2f+1 precommits that ended the latest round before this one (others' signed
    /// votes, as they are). A peer still in that round may lack one of them for ever: its
    /// sender may have sent it to this node alone and failed since, and without it the peer can
    /// neither end the round (line 47) nor follow this node (line 55 needs f+1 in a higher
    /// round). The paper's gossip assumes every correct process relays what it received;
    /// Tendermint's vote gossip sends a peer in an older round that round's precommits.
    fn relay_round_change(&mut self) {
        let tally = &self.hs.tally;
        let Some(ended) = tally.latest_precommit_quorum_below(self.hs.round) else {
            return;
        };
        for v in tally.votes_of(ended, VoteKind::Precommit) {
            self.out.push(Output::BroadcastVote(v));
        }
    }

    /// Relays the 2f+1 prevotes of round `pol_round` for `block` held here (others' signed
    /// votes, sent as they are). Tendermint's gossip does the same for a proposal's POL round.
    fn relay_proof_of_lock(&mut self, block: Hash, pol_round: Option<Round>) {
        let Some(vr) = pol_round else {
            return;
        };
        let tally = &self.hs.tally;
        if !tally.has_quorum_for(vr, VoteKind::Prevote, Some(block)) {
            return;
        }
        for v in tally.votes_for(vr, VoteKind::Prevote, Some(block)) {
            self.out.push(Output::BroadcastVote(v));
        }
    }

    fn schedule(&mut self, step: Step) {
        let d = self.config.timeouts.duration_ms(step, self.hs.round);
        self.out.push(Output::ScheduleTimeout {
            timeout: self.hs.timeout(step),
            at_ms: self.now.saturating_add(d),
        });
    }

    /// Signs and broadcasts a proposal for `block`; it counts as received at once.
    fn propose(&mut self, block: Hash, pol_round: Option<Round>) {
        let hs = &mut *self.hs;
        let Some(guard) = signer(&mut self.guard, hs.tally.validators()) else {
            return;
        };
        let proposal = Proposal {
            height: hs.height,
            round: hs.round,
            block,
            pol_round,
            proposer: guard.public_key(),
        };
        let Ok(signed) = guard.sign_proposal(proposal) else {
            return;
        };
        hs.own.proposal = Some(signed);
        self.out.push(Output::PersistSafety {
            state: guard.state(),
            recovery: hs.recovery(),
        });
        self.out.push(Output::BroadcastProposal(signed));
        // A block this node proposes is valid: it built it, or it already validated it.
        hs.validity.insert(block, Validity::Valid);
        hs.proposals.entry(hs.round).or_insert(signed);
        hs.tally.note_sender(hs.round, &proposal.proposer);
        self.relay_proof_of_lock(block, pol_round);
    }

    /// Prevotes `block` (`None`: nil) and moves to the prevote step.
    fn prevote(&mut self, block: Option<Hash>) {
        self.vote(VoteKind::Prevote, block);
        self.hs.step = Step::Prevote;
    }

    /// Precommits `block` (`None`: nil) and moves to the precommit step.
    fn precommit(&mut self, block: Option<Hash>) {
        self.vote(VoteKind::Precommit, block);
        self.hs.step = Step::Precommit;
    }

    /// Signs and broadcasts a vote of the current round, if this node is a validator and the
    /// guard agrees; not signing is always safe, so a refusal just sends nothing.
    fn vote(&mut self, kind: VoteKind, block: Option<Hash>) {
        let hs = &mut *self.hs;
        let Some(guard) = signer(&mut self.guard, hs.tally.validators()) else {
            return;
        };
        let vote = Vote {
            kind,
            height: hs.height,
            round: hs.round,
            block,
            validator: guard.public_key(),
        };
        let Ok(signed) = guard.sign_vote(vote) else {
            return;
        };
        match kind {
            VoteKind::Prevote => hs.own.prevote = Some(signed),
            VoteKind::Precommit => hs.own.precommit = Some(signed),
        }
        self.out.push(Output::PersistSafety {
            state: guard.state(),
            recovery: hs.recovery(),
        });
        self.out.push(Output::BroadcastVote(signed));
        let _ = hs.tally.add_vote(signed);
    }

    /// `FaultInjection::ignore_lock`: prevote for any valid proposal (lines 23 and 29).
    fn ignore_lock(&self) -> bool {
        #[cfg(feature = "sim")]
        {
            self.config.faults.ignore_lock
        }
        #[cfg(not(feature = "sim"))]
        {
            false
        }
    }
}

/// The guard, if this node holds a key of a validator of the height.
fn signer<'g>(
    guard: &'g mut Option<&mut SafetyGuard>,
    validators: &ValidatorSet,
) -> Option<&'g mut SafetyGuard> {
    let guard = guard.as_deref_mut()?;
    validators.get(&guard.public_key()).map(|_| guard)
}
