//! What the hand-driven core tests share: a validator set whose other members the test plays
//! (signing their messages), one core with a clock as the node under test, and readers of its
//! outputs.

#![allow(dead_code)]

use vellum_consensus::proposer::proposer;
use vellum_consensus::{
    Core, CoreConfig, Input, Output, SafetyState, SignedPosition, Step, Timeout, TimeoutConfig,
};
use vellum_protocol::{
    CommitCertificate, Hash, Keypair, Proposal, PublicKey, SignedProposal, SignedVote, Validator,
    ValidatorSet, Vote, VoteKind,
};

pub const CHAIN: &str = "vellum-test";
pub const B: Hash = Hash([0xb0; 32]);
pub const W: Hash = Hash([0xee; 32]);

/// `n` validators of power 1, in the set's key order, so with equal powers the proposer of
/// `(h, r)` is `keys[(h + r) % n]`.
pub struct Net {
    pub keys: Vec<Keypair>,
    pub set: ValidatorSet,
}

impl Net {
    pub fn new(n: u8) -> Net {
        let mut keys: Vec<Keypair> = (1..=n).map(|i| Keypair::from_seed(&[i; 32])).collect();
        keys.sort_by_key(Keypair::public);
        let set = ValidatorSet::new(
            keys.iter()
                .map(|k| Validator {
                    key: k.public(),
                    power: 1,
                })
                .collect(),
        )
        .unwrap();
        Net { keys, set }
    }

    pub fn pk(&self, i: usize) -> PublicKey {
        self.keys[i].public()
    }

    pub fn proposer_index(&self, h: u64, r: u32) -> usize {
        let p = proposer(&self.set, h, r);
        self.keys.iter().position(|k| k.public() == p).unwrap()
    }

    /// A validator that proposes in none of the rounds `0..3` of height 1.
    pub fn follower(&self) -> usize {
        (0..self.keys.len())
            .find(|i| (0..3).all(|r| self.proposer_index(1, r) != *i))
            .unwrap()
    }

    pub fn proposal(&self, h: u64, r: u32, block: Hash, pol_round: Option<u32>) -> SignedProposal {
        let k = &self.keys[self.proposer_index(h, r)];
        Proposal {
            height: h,
            round: r,
            block,
            pol_round,
            proposer: k.public(),
        }
        .sign(CHAIN, k)
    }

    pub fn vote(
        &self,
        i: usize,
        kind: VoteKind,
        h: u64,
        r: u32,
        block: Option<Hash>,
    ) -> SignedVote {
        Vote {
            kind,
            height: h,
            round: r,
            block,
            validator: self.pk(i),
        }
        .sign(CHAIN, &self.keys[i])
    }

    pub fn node(&self, i: usize) -> Node {
        self.node_with(Some(i), SafetyState::default(), config())
    }

    pub fn node_with(&self, i: Option<usize>, safety: SafetyState, config: CoreConfig) -> Node {
        let key = i.map(|i| self.keys[i].clone());
        Node {
            core: Core::new(config, key, safety),
            me: i,
            now: 1_000,
        }
    }

    /// The indices of validators other than `me`, at most `count`.
    pub fn others(&self, me: usize, count: usize) -> Vec<usize> {
        (0..self.keys.len())
            .filter(|i| *i != me)
            .take(count)
            .collect()
    }
}

pub fn config() -> CoreConfig {
    CoreConfig::new(CHAIN, TimeoutConfig::default())
}

/// One core with a clock; the test is its host.
pub struct Node {
    pub core: Core,
    pub me: Option<usize>,
    pub now: u64,
}

impl Node {
    pub fn input(&mut self, input: Input) -> Vec<Output> {
        self.core.step(self.now, input)
    }

    pub fn start(&mut self, net: &Net, height: u64) -> Vec<Output> {
        self.input(Input::StartHeight {
            height,
            validators: net.set.clone(),
        })
    }

    /// Delivers a proposal and, when the core asks, says its block is valid.
    pub fn proposal(&mut self, p: SignedProposal) -> Vec<Output> {
        let mut out = self.input(Input::Proposal(p));
        if let Some((height, block)) = out.iter().find_map(|o| match o {
            Output::ValidateBlock { height, block, .. } => Some((*height, *block)),
            _ => None,
        }) {
            out.extend(self.input(Input::BlockValidated {
                height,
                block,
                valid: true,
            }));
        }
        out
    }

    pub fn votes(&mut self, votes: impl IntoIterator<Item = SignedVote>) -> Vec<Output> {
        votes
            .into_iter()
            .flat_map(|v| self.input(Input::Vote(v)))
            .collect()
    }

    pub fn timeout(&mut self, height: u64, round: u32, step: Step) -> Vec<Output> {
        self.input(Input::Timeout(Timeout {
            height,
            round,
            step,
        }))
    }
}

pub fn sent_votes(out: &[Output]) -> Vec<Vote> {
    out.iter()
        .filter_map(|o| match o {
            Output::BroadcastVote(v) => Some(v.vote),
            _ => None,
        })
        .collect()
}

pub fn sent_proposals(out: &[Output]) -> Vec<Proposal> {
    out.iter()
        .filter_map(|o| match o {
            Output::BroadcastProposal(p) => Some(p.proposal),
            _ => None,
        })
        .collect()
}

pub fn sent(out: &[Output], kind: VoteKind) -> Vec<Option<Hash>> {
    sent_votes(out)
        .iter()
        .filter(|v| v.kind == kind)
        .map(|v| v.block)
        .collect()
}

pub fn commits(out: &[Output]) -> Vec<(u64, u32, Hash, CommitCertificate)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Commit {
                height,
                round,
                block,
                certificate,
            } => Some((*height, *round, *block, certificate.clone())),
            _ => None,
        })
        .collect()
}

pub fn timeouts(out: &[Output]) -> Vec<(Timeout, u64)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ScheduleTimeout { timeout, at_ms } => Some((*timeout, *at_ms)),
            _ => None,
        })
        .collect()
}

/// Every newly signed message is preceded at once by a `PersistSafety` that covers it.
pub fn assert_persisted_before_broadcast(out: &[Output]) {
    for (i, o) in out.iter().enumerate() {
        let position = match o {
            Output::BroadcastVote(v) => SignedPosition {
                height: v.vote.height,
                round: v.vote.round,
                step: v.vote.kind.into(),
                block: v.vote.block,
            },
            Output::BroadcastProposal(p) => SignedPosition {
                height: p.proposal.height,
                round: p.proposal.round,
                step: Step::Propose,
                block: Some(p.proposal.block),
            },
            _ => continue,
        };
        match i.checked_sub(1).map(|j| &out[j]) {
            Some(Output::PersistSafety { state, recovery }) => {
                assert_eq!(state.last_signed, Some(position));
                if let Output::BroadcastVote(v) = o {
                    assert!(recovery.own_votes.contains(v), "{v:?} not in {recovery:?}");
                }
            }
            other => panic!("broadcast of {position:?} preceded by {other:?}"),
        }
    }
}

/// Drives `node` (a follower) through round 0 of height 1 until it is locked on `B`, then
/// through a failed precommit round into round 1.
pub fn lock_on_b_in_round_0(net: &Net, node: &mut Node) {
    let me = node.me.unwrap();
    node.start(net, 1);
    let out = node.proposal(net.proposal(1, 0, B, None));
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(B)]);
    let others = net.others(me, 2);
    let out = node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 0, Some(B))),
    );
    assert_eq!(sent(&out, VoteKind::Precommit), vec![Some(B)]);
    assert_eq!(node.core.locked(), Some((0, B)));
    // The others precommit nil: 2f+1 precommits, no decision; timeoutPrecommit moves on.
    let out = node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 0, None)),
    );
    assert_eq!(timeouts(&out)[0].0.step, Step::Precommit);
    node.timeout(1, 0, Step::Precommit);
    assert_eq!(node.core.round(), 1);
}
