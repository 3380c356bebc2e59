//! Hand-driven tests of a core restarted from its safety state and recovery: where it resumes,
//! what it sends again, what it refuses to sign, and how its lock's proof brings back its valid
//! value. Line numbers are those of Algorithm 1 in "The latest gossip on BFT consensus".

mod common;

use common::*;
use vellum_consensus::{
    Input, LockProof, Output, Recovery, SafetyState, SignedPosition, Step, Timeout,
};
use vellum_protocol::{Vote, VoteKind};

/// The safety state of a validator whose last signature was for `B` at `(1, round, step)`:
/// locked on `B` if that was a precommit, as its guard records.
fn signed_b(round: u32, step: Step) -> SafetyState {
    SafetyState {
        last_signed: Some(SignedPosition {
            height: 1,
            round,
            step,
            block: Some(B),
        }),
        locked: (step == Step::Precommit).then_some((round, B)),
    }
}

/// The safety state and recovery of the last `PersistSafety` in `out`.
fn persisted(out: &[Output]) -> (SafetyState, Recovery) {
    out.iter()
        .rev()
        .find_map(|o| match o {
            Output::PersistSafety { state, recovery } => Some((*state, recovery.clone())),
            _ => None,
        })
        .expect("nothing persisted")
}

#[test]
fn a_restarted_validator_refuses_to_vote_differently() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    let original = node.proposal(net.proposal(1, 0, B, None));
    let (state, recovery) = persisted(&original);
    let prevote = |out: &[Output]| {
        out.iter()
            .find(|o| matches!(o, Output::BroadcastVote(_)))
            .cloned()
    };
    // Restarted, it sends its prevote again as it was saved, signs nothing, and stays in the
    // round at the prevote step.
    let mut restarted = net.node_with(Some(me), state, config());
    restarted.core.recover(recovery);
    let start = restarted.start(&net, 1);
    assert!(prevote(&start).is_some());
    assert_eq!(prevote(&start), prevote(&original));
    assert!(
        !start
            .iter()
            .any(|o| matches!(o, Output::PersistSafety { .. }))
    );
    assert_eq!(restarted.core.round(), 0);
    assert_eq!(restarted.core.current_step(), Step::Prevote);
    // The proposer equivocates and this time W arrives: nothing is signed for it.
    let out = restarted.proposal(net.proposal(1, 0, W, None));
    assert!(sent_votes(&out).is_empty(), "{out:?}");
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::PersistSafety { .. }))
    );
    // A record of an earlier version (no recovery): the same prevote is signed again.
    let mut earlier = net.node_with(Some(me), state, config());
    let start = earlier.start(&net, 1);
    assert_eq!(prevote(&start), prevote(&original));
    assert_persisted_before_broadcast(&start);
}

#[test]
fn a_restarted_validator_stays_in_its_round_and_leaves_it_on_its_own_timeouts() {
    let net = Net::new(4);
    let me = net.follower();
    let safety = signed_b(2, Step::Precommit);
    let mut node = net.node_with(Some(me), safety, config());
    let out = node.start(&net, 1);
    let precommit = Vote {
        kind: VoteKind::Precommit,
        height: 1,
        round: 2,
        block: Some(B),
        validator: net.pk(me),
    };
    assert_eq!(sent_votes(&out), vec![precommit]);
    assert_eq!(
        (node.core.round(), node.core.current_step()),
        (2, Step::Precommit)
    );
    assert_eq!(node.core.locked(), Some((2, B)));
    assert_eq!(node.core.valid(), None);
    // The precommits it had received may be gone for good (their senders may have failed
    // since): it schedules timeoutPrecommit without waiting for 2f+1 of them (line 47).
    let precommit_timeout = Timeout {
        height: 1,
        round: 2,
        step: Step::Precommit,
    };
    assert!(timeouts(&out).iter().any(|(t, _)| *t == precommit_timeout));
    node.timeout(1, 2, Step::Precommit);
    assert_eq!(node.core.round(), 3);
    // In the next round the paper's rule holds again: no timeoutPrevote before 2f+1 prevotes.
    let out = node.timeout(1, 3, Step::Propose);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![None]);
    assert!(
        !timeouts(&out).iter().any(|(t, _)| t.step == Step::Prevote),
        "{out:?}"
    );
    // At another height the persisted lock means nothing.
    let mut later = net.node_with(Some(me), safety, config());
    let out = later.start(&net, 2);
    assert!(sent_votes(&out).is_empty());
    assert_eq!((later.core.round(), later.core.locked()), (0, None));
}

#[test]
fn a_validator_restarted_after_prevoting_signs_both_votes_of_its_round_before_leaving_it() {
    let net = Net::new(4);
    let me = net.follower();
    let safety = signed_b(1, Step::Prevote);
    let mut node = net.node_with(Some(me), safety, config());
    let out = node.start(&net, 1);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(B)]);
    // timeoutPrevote without 2f+1 prevotes (line 34), then a nil precommit (line 61) ...
    let prevote_timeout = |t: &(Timeout, u64)| t.0.step == Step::Prevote && t.0.round == 1;
    assert!(timeouts(&out).iter().any(prevote_timeout));
    let out = node.timeout(1, 1, Step::Prevote);
    assert_eq!(sent(&out, VoteKind::Precommit), vec![None]);
    // ... then timeoutPrecommit without 2f+1 precommits, and the next round.
    assert!(
        timeouts(&out)
            .iter()
            .any(|(t, _)| t.step == Step::Precommit && t.round == 1)
    );
    node.timeout(1, 1, Step::Precommit);
    assert_eq!(node.core.round(), 2);
}

/// Node `me` locked on `B` in round 2 of height 1 and precommitted it; the recovery it saved.
fn locked_in_round_2(net: &Net, me: usize) -> (SafetyState, Recovery) {
    let safety = signed_b(2, Step::Precommit);
    let mut prevoters = vec![me];
    prevoters.extend(net.others(me, 2));
    let recovery = Recovery {
        own_votes: vec![
            net.vote(me, VoteKind::Prevote, 1, 2, Some(B)),
            net.vote(me, VoteKind::Precommit, 1, 2, Some(B)),
        ],
        lock_proof: Some(LockProof {
            round: 2,
            block: B,
            prevotes: prevoters
                .iter()
                .map(|i| net.vote(*i, VoteKind::Prevote, 1, 2, Some(B)))
                .collect(),
        }),
    };
    (safety, recovery)
}

/// Restarts `me` from `(safety, recovery)` and takes it to round 3 with its peers' nil
/// precommits of round 2; returns what round 3's start produced.
fn restart_into_round_3(
    net: &Net,
    me: usize,
    safety: SafetyState,
    recovery: Recovery,
) -> (Node, Vec<Output>) {
    let mut node = net.node_with(Some(me), safety, config());
    node.core.recover(recovery);
    node.start(net, 1);
    let others = net.others(me, 2);
    node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 2, None)),
    );
    let out = node.timeout(1, 2, Step::Precommit);
    assert_eq!(node.core.round(), 3);
    (node, out)
}

#[test]
fn a_restarted_validator_proposes_its_locked_block_with_the_recovered_proof_of_lock() {
    let net = Net::new(4);
    let me = net.proposer_index(1, 3);
    let (safety, recovery) = locked_in_round_2(&net, me);
    let mut node = net.node_with(Some(me), safety, config());
    node.core.recover(recovery.clone());
    let out = node.start(&net, 1);
    // Both its votes of round 2 go out again as saved; nothing is signed.
    assert_eq!(
        sent_votes(&out),
        recovery
            .own_votes
            .iter()
            .map(|v| v.vote)
            .collect::<Vec<_>>()
    );
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::PersistSafety { .. }))
    );
    assert_eq!(node.core.valid(), Some((2, B)));
    // Its turn: the locked block with round 2 as proof of lock (lines 15-16), and the proof's
    // prevotes relayed with it, so that peers locked on older blocks accept it (line 29).
    let (_, out) = restart_into_round_3(&net, me, safety, recovery.clone());
    assert_eq!(
        sent_proposals(&out)
            .iter()
            .map(|p| (p.round, p.block, p.pol_round))
            .collect::<Vec<_>>(),
        vec![(3, B, Some(2))]
    );
    let proof = recovery.lock_proof.unwrap().prevotes;
    for v in &proof {
        assert!(
            out.contains(&Output::BroadcastVote(*v)),
            "{v:?} not relayed"
        );
    }
    // Without the proof (a record of an earlier version, or one whose proof does not make a
    // quorum) it asks its host for a block: the host may propose the locked block afresh.
    for lock_proof in [
        None,
        Some(LockProof {
            round: 2,
            block: B,
            prevotes: proof[..2].to_vec(),
        }),
        Some(LockProof {
            round: 1,
            block: B,
            prevotes: proof.clone(),
        }),
    ] {
        let recovery = Recovery {
            own_votes: Vec::new(),
            lock_proof,
        };
        let (node, out) = restart_into_round_3(&net, me, safety, recovery);
        assert_eq!(node.core.valid(), None);
        assert!(sent_proposals(&out).is_empty());
        assert!(out.contains(&Output::RequestBlock {
            height: 1,
            round: 3
        }));
    }
}

#[test]
fn a_restarted_validator_ignores_recovered_votes_it_did_not_sign_or_beyond_its_safety_state() {
    let net = Net::new(4);
    let me = net.follower();
    let (_, mut recovery) = locked_in_round_2(&net, me);
    let peer = net.others(me, 1)[0];
    recovery
        .own_votes
        .push(net.vote(peer, VoteKind::Precommit, 1, 2, Some(B)));
    // The safety state says it signed up to its prevote: the saved precommit is not its.
    let safety = signed_b(2, Step::Prevote);
    let mut node = net.node_with(Some(me), safety, config());
    node.core.recover(recovery);
    let out = node.start(&net, 1);
    assert_eq!(
        sent_votes(&out),
        vec![Vote {
            kind: VoteKind::Prevote,
            height: 1,
            round: 2,
            block: Some(B),
            validator: net.pk(me),
        }]
    );
    assert_eq!(
        (node.core.round(), node.core.current_step()),
        (2, Step::Prevote)
    );
}

#[test]
fn a_validator_restarted_after_proposing_stays_in_its_round_and_may_still_vote() {
    let net = Net::new(4);
    let me = net.proposer_index(1, 2);
    let safety = signed_b(2, Step::Propose);
    let mut node = net.node_with(Some(me), safety, config());
    let out = node.start(&net, 1);
    assert!(sent_votes(&out).is_empty());
    assert!(sent_proposals(&out).is_empty(), "{out:?}");
    assert_eq!(node.core.round(), 2);
    // Its proposal is gone with its body; the round's timeout brings a nil prevote.
    let out = node.input(Input::Timeout(Timeout {
        height: 1,
        round: 2,
        step: Step::Propose,
    }));
    assert_eq!(
        sent_votes(&out)
            .iter()
            .map(|v| (v.kind, v.round, v.block))
            .collect::<Vec<_>>(),
        vec![(VoteKind::Prevote, 2, None)]
    );
}
