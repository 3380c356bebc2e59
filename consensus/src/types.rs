//! The core's vocabulary: what goes in ([`Input`]), what comes out ([`Output`]), timeouts and
//! the safety state that must survive a restart.
//!
//! The host executes outputs in the order given. In particular an [`Output::PersistSafety`] is
//! durable before the host executes the next output, which is the broadcast of what was just
//! signed: a validator that restarts can never sign a conflicting message.

use vellum_protocol::{
    CommitCertificate, Hash, PublicKey, SignedProposal, SignedVote, ValidatorSet, VoteKind,
};

/// Heights start at 1 (the first block); rounds at 0.
pub type Height = u64;
pub type Round = u32;

/// The steps of a round (paper: `step_p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Propose,
    Prevote,
    Precommit,
}

impl From<VoteKind> for Step {
    /// The step a vote of this kind is signed in.
    fn from(kind: VoteKind) -> Step {
        match kind {
            VoteKind::Prevote => Step::Prevote,
            VoteKind::Precommit => Step::Precommit,
        }
    }
}

/// A timeout the core asked for; the host feeds it back as [`Input::Timeout`] when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeout {
    pub height: Height,
    pub round: Round,
    pub step: Step,
}

/// Round timeouts: `base + round * delta` for each step, capped at `max_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutConfig {
    pub propose_ms: u64,
    pub prevote_ms: u64,
    pub precommit_ms: u64,
    pub delta_ms: u64,
    pub max_ms: u64,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        TimeoutConfig {
            propose_ms: 300,
            prevote_ms: 100,
            precommit_ms: 100,
            delta_ms: 100,
            max_ms: 5_000,
        }
    }
}

impl TimeoutConfig {
    /// How long the core waits in `step` of `round` (paper: timeoutPropose(round) etc.).
    pub fn duration_ms(&self, step: Step, round: Round) -> u64 {
        let base = match step {
            Step::Propose => self.propose_ms,
            Step::Prevote => self.prevote_ms,
            Step::Precommit => self.precommit_ms,
        };
        base.saturating_add(self.delta_ms.saturating_mul(u64::from(round)))
            .min(self.max_ms)
    }
}

/// What the core needs to know once, at construction.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub chain_id: String,
    pub timeouts: TimeoutConfig,
    /// Deliberately broken rules, for showing that the simulator's checker finds violations.
    #[cfg(feature = "sim")]
    pub faults: crate::FaultInjection,
}

impl CoreConfig {
    /// A configuration with every safety rule in force.
    pub fn new(chain_id: impl Into<String>, timeouts: TimeoutConfig) -> Self {
        CoreConfig {
            chain_id: chain_id.into(),
            timeouts,
            #[cfg(feature = "sim")]
            faults: crate::FaultInjection::default(),
        }
    }
}

/// What a validator has signed, persisted before any signed message leaves the process.
///
/// After a restart the core is built from the last persisted value: the guard refuses to sign
/// anything that conflicts with it, and the lock is restored so the validator keeps the promise
/// its precommit made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SafetyState {
    /// The highest (height, round, step) signed, with the block signed for (`None` for nil or
    /// for nothing signed yet).
    pub last_signed: Option<SignedPosition>,
    /// The lock (paper: lockedRound, lockedValue) at `last_signed`'s height.
    pub locked: Option<(Round, Hash)>,
}

/// Why the core is locked: 2f+1 prevotes of `round` for `block` (paper lines 36-41).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockProof {
    pub round: Round,
    pub block: Hash,
    pub prevotes: Vec<SignedVote>,
}

/// What a restarted validator needs besides its [`SafetyState`] to go on where it stopped,
/// saved with it ([`Output::PersistSafety`]) and given back with
/// [`crate::Core::recover`]. Safety never depends on it; liveness after a restart does:
/// - its own votes of its last two rounds at that height: a restarted node sends them again,
///   so its peers, which may have lost them too (all restarted), can still complete those
///   rounds' quorums, and it can stay in the round it was in (moving on alone could leave the
///   others waiting for its votes there);
/// - the proof of its lock: the locked block becomes the valid value again and is proposed
///   with its round as proof of lock (lines 15-16), so validators locked on older blocks can
///   accept it (line 29); without it validators locked on different blocks before a restart
///   of them all could vote nil on each other's proposals for ever.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    pub own_votes: Vec<SignedVote>,
    pub lock_proof: Option<LockProof>,
}

/// One position in the sequence of things a validator signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedPosition {
    pub height: Height,
    pub round: Round,
    pub step: Step,
    pub block: Option<Hash>,
}

/// Proof that a validator signed two different things for one (height, round, step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    DuplicateVote {
        first: SignedVote,
        second: SignedVote,
    },
    DuplicateProposal {
        first: SignedProposal,
        second: SignedProposal,
    },
}

impl Evidence {
    pub fn offender(&self) -> PublicKey {
        match self {
            Evidence::DuplicateVote { first, .. } => first.vote.validator,
            Evidence::DuplicateProposal { first, .. } => first.proposal.proposer,
        }
    }
}

/// Everything that can happen to the core.
#[derive(Debug, Clone)]
pub enum Input {
    /// Begin consensus on `height` with the validators that vote on it. Given once per height,
    /// after the previous height's [`Output::Commit`] was applied by the host.
    StartHeight {
        height: Height,
        validators: ValidatorSet,
    },
    /// A proposal from the network (signature not yet checked).
    Proposal(SignedProposal),
    /// A vote from the network (signature not yet checked).
    Vote(SignedVote),
    /// A proposal whose signature the host has already verified for this chain (e.g. its
    /// network layer checks signatures before it forwards a message); the core does not verify
    /// it again. Everything else about it is checked as for [`Input::Proposal`].
    VerifiedProposal(SignedProposal),
    /// A vote whose signature the host has already verified for this chain; see
    /// [`Input::VerifiedProposal`].
    VerifiedVote(SignedVote),
    /// The host's answer to [`Output::RequestBlock`]: the hash of a block it built and holds.
    BlockToPropose {
        height: Height,
        round: Round,
        block: Hash,
    },
    /// The host's answer to [`Output::ValidateBlock`]: whether the block passes the ledger rule.
    BlockValidated {
        height: Height,
        block: Hash,
        valid: bool,
    },
    /// A timeout that was scheduled by [`Output::ScheduleTimeout`] fired.
    Timeout(Timeout),
    /// A certificate for the current height learned from a peer (block sync); the host holds
    /// the block and has validated it.
    Decided(CommitCertificate),
}

/// What the core asks its host to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Make `state` durable, with `recovery` beside it; only then execute the next output.
    PersistSafety {
        state: SafetyState,
        recovery: Recovery,
    },
    /// Send a proposal to every validator, with the block body the host holds for it.
    BroadcastProposal(SignedProposal),
    /// Send a vote to every validator.
    BroadcastVote(SignedVote),
    /// Feed `timeout` back as [`Input::Timeout`] at time `at_ms`.
    ScheduleTimeout { timeout: Timeout, at_ms: u64 },
    /// Build a block for `(height, round)` and answer with [`Input::BlockToPropose`].
    RequestBlock { height: Height, round: Round },
    /// Check the block (fetching its body if needed) and answer with [`Input::BlockValidated`].
    ValidateBlock {
        height: Height,
        round: Round,
        block: Hash,
    },
    /// `block` is final at `height`; the host applies it, then starts the next height.
    Commit {
        height: Height,
        round: Round,
        block: Hash,
        certificate: CommitCertificate,
    },
    /// A validator equivocated.
    Evidence(Evidence),
    /// Validators holding more than a third of the power are at a higher height: fetch the
    /// missing blocks and certificates.
    Behind { height: Height },
}
