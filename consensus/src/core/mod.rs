//! The Tendermint core: Algorithm 1 of Buchman, Kwon and Milosevic, "The latest gossip on BFT
//! consensus" (2018), as a synchronous state machine `Core::step(now, input) -> Vec<Output>`.
//!
//! One height at a time. `Input::StartHeight` gives the height and its validators; the core runs
//! rounds until a block is decided, emits `Output::Commit`, and waits for the next
//! `StartHeight`. After every input the paper's "upon" rules are evaluated until none fires
//! (see [`rules`]); message checks, buffering for the next height and the "behind" detector are
//! in [`intake`].
//!
//! Where the core goes beyond the paper (each change only adds liveness; the only votes it casts
//! where the paper's process would not are nil votes after a restart, which lock nothing):
//! - the proposer also schedules timeoutPropose, so a host that never answers
//!   `Output::RequestBlock` cannot stall the round;
//! - a timeout of the current (height, round) re-broadcasts the node's own signed messages of
//!   the round (stored copies, not re-signed) and is scheduled again while the round lasts, so
//!   lossy links heal; it also relays the 2f+1 precommits that ended the round before, which a
//!   peer still there may lack for ever (the paper's gossip relays everything received);
//! - a proposal with a proof of lock (round `vr`) goes out with the 2f+1 prevotes of `vr` this
//!   node holds, and a timeout relays them again: a node that lost them could never accept
//!   the proposal (line 28), and without them locked and unlocked nodes can stall each other;
//! - validity is asynchronous: rules that need `valid(v)` wait for `Input::BlockValidated`;
//! - a restarted node resumes the round it was in: its own votes there and in the round
//!   before are saved with every signature (`Output::PersistSafety`'s [`Recovery`]) and sent
//!   again, and in that round it schedules timeoutPrevote and timeoutPrecommit without
//!   waiting for the 2f+1 votes it may never see again (see `Ctx::resume_at`);
//! - a lock's proof (its 2f+1 prevotes) is saved with the lock and counted again after a
//!   restart: the locked block is the valid value again, proposed with its proof of lock, so
//!   validators locked on different blocks before a restart of them all can still agree.

mod intake;
mod rules;

use std::collections::{BTreeMap, BTreeSet};

use vellum_protocol::{
    Hash, Keypair, PublicKey, SignedProposal, SignedVote, ValidatorSet, VoteKind,
};

use crate::guard::SafetyGuard;
use crate::proposer::ProposerSchedule;
use crate::tally::VoteTally;
use crate::types::{
    CoreConfig, Height, Input, LockProof, Output, Recovery, Round, SafetyState, SignedPosition,
    Step, Timeout,
};

use self::intake::Message;
use self::rules::Ctx;

/// The consensus state machine of one node.
#[derive(Debug)]
pub struct Core {
    config: CoreConfig,
    /// `None` for an observer, which follows and commits but never signs.
    guard: Option<SafetyGuard>,
    /// `None` until the first `StartHeight`.
    hs: Option<HeightState>,
    /// Signed messages for the next height, replayed when it starts.
    next: Vec<Message>,
    /// The highest height above ours each validator sent a signed message for.
    ahead: BTreeMap<PublicKey, Height>,
    /// The highest height an `Output::Behind` was emitted for.
    behind_reported: Height,
    /// What the host kept beside the safety state, given back after a restart; used when the
    /// height of the last signature starts.
    recovery: Recovery,
}

/// What the host said about a block (paper: `valid(v)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validity {
    Pending,
    Valid,
    Invalid,
}

/// The paper's "for the first time" guards and the wait for a block, for the current round.
#[derive(Debug, Clone, Copy, Default)]
struct RoundFlags {
    awaiting_block: bool,
    prevote_timeout: bool,
    locked_on_quorum: bool,
    precommit_timeout: bool,
}

/// The node's own signed messages of the current round, re-broadcast when a timeout fires,
/// and its votes of the round before: a peer that lost them may still wait in that round for
/// a quorum this node's vote completes (found by the simulator's flapping-partition scenario).
#[derive(Debug, Clone, Default)]
struct OwnMessages {
    proposal: Option<SignedProposal>,
    prevote: Option<SignedVote>,
    precommit: Option<SignedVote>,
    previous_round: Vec<SignedVote>,
}

/// Everything the core knows about the height it works on.
#[derive(Debug)]
struct HeightState {
    height: Height,
    round: Round,
    step: Step,
    locked: Option<(Round, Hash)>,
    /// The 2f+1 prevotes behind `locked`, persisted with every later signature.
    lock_proof: Option<LockProof>,
    valid: Option<(Round, Hash)>,
    decided: bool,
    /// The round a restart resumed in (see `Ctx::resume_at`).
    resumed: Option<Round>,
    schedule: ProposerSchedule,
    tally: VoteTally,
    /// The first proposal of each round from its proposer.
    proposals: BTreeMap<Round, SignedProposal>,
    /// Rounds whose proposer was already reported for a second proposal.
    duplicate_proposals: BTreeSet<Round>,
    validity: BTreeMap<Hash, Validity>,
    flags: RoundFlags,
    own: OwnMessages,
}

impl Core {
    /// A core that signs with `key` (`None`: an observer) and continues from `safety`, the
    /// last persisted [`SafetyState`] (`SafetyState::default()` for a new validator).
    pub fn new(config: CoreConfig, key: Option<Keypair>, safety: SafetyState) -> Core {
        let guard = key.map(|k| SafetyGuard::new(config.chain_id.clone(), k, safety));
        Core {
            config,
            guard,
            hs: None,
            next: Vec::new(),
            ahead: BTreeMap::new(),
            behind_reported: 0,
            recovery: Recovery::default(),
        }
    }

    /// Gives a restarted core the [`Recovery`] last persisted with its safety state. When the
    /// height of the last signature starts, the core resumes in the round it was in, with its
    /// own votes of that round and the one before counted and sent again, and its lock's
    /// prevotes counted: if they make 2f+1, the locked block is its valid value again. Votes
    /// that are not this node's, not of that height, beyond the last signed position or that
    /// do not verify are ignored, as is a proof of another lock.
    pub fn recover(&mut self, recovery: Recovery) {
        self.recovery = recovery;
    }

    /// Feeds one input; returns what the host must do, in order.
    pub fn step(&mut self, now_ms: u64, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        let mut rearm = None;
        match input {
            Input::StartHeight { height, validators } => {
                self.start_height(now_ms, height, validators, &mut out)
            }
            Input::Proposal(p) => self.on_proposal(p, false, &mut out),
            Input::Vote(v) => self.on_vote(v, false, &mut out),
            Input::VerifiedProposal(p) => self.on_proposal(p, true, &mut out),
            Input::VerifiedVote(v) => self.on_vote(v, true, &mut out),
            Input::BlockToPropose {
                height,
                round,
                block,
            } => {
                if let Some(mut ctx) = self.ctx(now_ms, &mut out) {
                    ctx.on_block_to_propose(height, round, block);
                }
            }
            Input::BlockValidated {
                height,
                block,
                valid,
            } => {
                if let Some(hs) = self.hs.as_mut().filter(|hs| hs.height == height)
                    && hs.validity.get(&block) == Some(&Validity::Pending)
                {
                    let v = if valid {
                        Validity::Valid
                    } else {
                        Validity::Invalid
                    };
                    hs.validity.insert(block, v);
                }
            }
            Input::Timeout(t) => {
                if let Some(mut ctx) = self.ctx(now_ms, &mut out)
                    && ctx.on_timeout(t)
                {
                    rearm = Some(t);
                }
            }
            Input::Decided(cert) => self.on_decided(cert, &mut out),
        }
        if let Some(mut ctx) = self.ctx(now_ms, &mut out) {
            ctx.run_rules();
            if let Some(t) = rearm {
                ctx.rearm(t);
            }
        }
        out
    }

    /// The height being decided (or just decided, until the next `StartHeight`); 0 before
    /// the first.
    pub fn height(&self) -> Height {
        self.hs.as_ref().map_or(0, |hs| hs.height)
    }

    pub fn round(&self) -> Round {
        self.hs.as_ref().map_or(0, |hs| hs.round)
    }

    /// The step of the current round (paper: `step_p`). Named so because `step` feeds inputs.
    pub fn current_step(&self) -> Step {
        self.hs.as_ref().map_or(Step::Propose, |hs| hs.step)
    }

    /// The lock (paper: lockedRound, lockedValue).
    pub fn locked(&self) -> Option<(Round, Hash)> {
        self.hs.as_ref().and_then(|hs| hs.locked)
    }

    /// The latest block seen with a proposal and 2f+1 prevotes (paper: validRound, validValue).
    pub fn valid(&self) -> Option<(Round, Hash)> {
        self.hs.as_ref().and_then(|hs| hs.valid)
    }

    /// Whether the current height is decided and the core waits for the next `StartHeight`.
    pub fn is_decided(&self) -> bool {
        self.hs.as_ref().is_some_and(|hs| hs.decided)
    }

    /// The validators of the current height.
    pub fn validators(&self) -> Option<&ValidatorSet> {
        self.hs.as_ref().map(|hs| hs.tally.validators())
    }

    /// The key this core signs with; `None` for an observer.
    pub fn public_key(&self) -> Option<PublicKey> {
        self.guard.as_ref().map(SafetyGuard::public_key)
    }

    /// What the guard has signed so far (what the last `PersistSafety` carried).
    pub fn safety_state(&self) -> Option<SafetyState> {
        self.guard.as_ref().map(SafetyGuard::state)
    }

    fn ctx<'a>(&'a mut self, now: u64, out: &'a mut Vec<Output>) -> Option<Ctx<'a>> {
        Some(Ctx {
            hs: self.hs.as_mut()?,
            guard: self.guard.as_mut(),
            config: &self.config,
            now,
            out,
        })
    }

    /// Starts `height` (paper lines 10-11, and StartRound); after a restart in the middle of
    /// the height, at the round and step last signed, with that vote and the lock restored.
    fn start_height(
        &mut self,
        now: u64,
        height: Height,
        validators: ValidatorSet,
        out: &mut Vec<Output>,
    ) {
        if height == 0 || self.hs.as_ref().is_some_and(|hs| height <= hs.height) {
            return;
        }
        let resume = self
            .guard
            .as_ref()
            .map(SafetyGuard::state)
            .filter(|s| s.last_signed.is_some_and(|p| p.height == height));
        let round = resume.and_then(|s| s.last_signed).map_or(0, |p| p.round);
        let locked = resume.and_then(|s| s.locked);
        self.hs = Some(HeightState {
            height,
            round,
            step: Step::Propose,
            locked,
            lock_proof: None,
            // Restored from the lock below when its proof comes with it. Without one (a record
            // of an earlier version), asked for a block while locked, the host may answer with
            // the locked block (the node's does, having saved its body), proposed afresh: the
            // validators locked on it vote for it (line 23).
            valid: None,
            decided: false,
            resumed: None,
            schedule: ProposerSchedule::new(&validators),
            tally: VoteTally::new(height, validators),
            proposals: BTreeMap::new(),
            duplicate_proposals: BTreeSet::new(),
            validity: BTreeMap::new(),
            flags: RoundFlags::default(),
            own: OwnMessages::default(),
        });
        self.ahead.retain(|_, h| *h > height);
        let recovery = std::mem::take(&mut self.recovery);
        let last = resume.and_then(|s| s.last_signed);
        if let Some(last) = last {
            self.restore_own_votes(last, recovery.own_votes);
            if let Some(proof) = recovery.lock_proof
                && locked == Some((proof.round, proof.block))
            {
                self.restore_lock(proof);
            }
        }
        if let Some(mut ctx) = self.ctx(now, out) {
            match last {
                Some(last) => ctx.resume_at(last),
                None => ctx.start_round(round),
            }
        }
        for m in std::mem::take(&mut self.next) {
            match m {
                Message::Proposal(p) if p.proposal.height == height => {
                    self.on_proposal(p, true, out)
                }
                Message::Vote(v) if v.vote.height == height => self.on_vote(v, true, out),
                _ => {}
            }
        }
        self.check_behind(out);
    }

    /// Counts this node's own recovered votes up to its last signed position `last` (each
    /// verified again: they come from disk) and holds those of `last`'s round and of the
    /// latest round before it as its own messages, to be sent again.
    fn restore_own_votes(&mut self, last: SignedPosition, votes: Vec<SignedVote>) {
        let (Some(hs), Some(me)) = (
            self.hs.as_mut(),
            self.guard.as_ref().map(|g| g.public_key()),
        ) else {
            return;
        };
        let chain_id = &self.config.chain_id;
        let mut own: Vec<SignedVote> = votes
            .into_iter()
            .filter(|v| {
                let position = (v.vote.round, Step::from(v.vote.kind));
                v.vote.validator == me
                    && v.vote.height == hs.height
                    && position <= (last.round, last.step)
                    && v.verify_in(chain_id, hs.tally.validators()).is_ok()
            })
            .collect();
        own.sort_by_key(|v| (v.vote.round, v.vote.kind));
        own.dedup();
        let previous = own
            .iter()
            .map(|v| v.vote.round)
            .filter(|r| *r < last.round)
            .max();
        for v in own {
            let _ = hs.tally.add_vote(v);
            if v.vote.round == last.round {
                match v.vote.kind {
                    VoteKind::Prevote => hs.own.prevote = Some(v),
                    VoteKind::Precommit => hs.own.precommit = Some(v),
                }
            } else if Some(v.vote.round) == previous {
                hs.own.previous_round.push(v);
            }
        }
    }

    /// Counts the recovered proof's prevotes (each verified again) and, if they make 2f+1 for
    /// the locked block, makes it the valid value of the lock's round and keeps the proof.
    fn restore_lock(&mut self, proof: LockProof) {
        let Some(hs) = self.hs.as_mut() else {
            return;
        };
        for vote in &proof.prevotes {
            let v = vote.vote;
            if v.kind == VoteKind::Prevote
                && v.height == hs.height
                && v.round == proof.round
                && v.block == Some(proof.block)
                && vote
                    .verify_in(&self.config.chain_id, hs.tally.validators())
                    .is_ok()
            {
                let _ = hs.tally.add_vote(*vote);
            }
        }
        if hs
            .tally
            .has_quorum_for(proof.round, VoteKind::Prevote, Some(proof.block))
        {
            hs.valid = Some((proof.round, proof.block));
            hs.lock_proof = Some(proof);
        }
    }

    /// A certificate from block sync decides the current height; the host validated the block.
    fn on_decided(&mut self, cert: vellum_protocol::CommitCertificate, out: &mut Vec<Output>) {
        let Some(hs) = self.hs.as_mut() else {
            return;
        };
        if hs.decided || cert.height != hs.height {
            return;
        }
        let chain_id = &self.config.chain_id;
        if cert
            .verify(chain_id, hs.height, cert.block, hs.tally.validators())
            .is_err()
        {
            return;
        }
        hs.decided = true;
        out.push(Output::Commit {
            height: hs.height,
            round: cert.round,
            block: cert.block,
            certificate: cert,
        });
    }
}

impl HeightState {
    /// What goes with the safety state when this node signs (see [`Recovery`]).
    fn recovery(&self) -> Recovery {
        let own = &self.own;
        Recovery {
            own_votes: own
                .previous_round
                .iter()
                .chain(own.prevote.iter())
                .chain(own.precommit.iter())
                .copied()
                .collect(),
            lock_proof: self.lock_proof.clone(),
        }
    }

    fn timeout(&self, step: Step) -> Timeout {
        Timeout {
            height: self.height,
            round: self.round,
            step,
        }
    }
}
