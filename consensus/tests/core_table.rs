//! Hand-driven tests of the core's state machine: one core, the other validators played by the
//! test, which signs their messages and feeds them in. Each test names the behaviour it shows;
//! line numbers are those of Algorithm 1 in "The latest gossip on BFT consensus".

mod common;

use common::*;
use vellum_consensus::{
    CoreConfig, Evidence, FaultInjection, Input, Output, SafetyState, Step, TimeoutConfig,
};
use vellum_protocol::{
    CommitCertificate, Keypair, Proposal, PublicKey, SignedVote, ValidatorSet, Vote, VoteKind,
};
#[test]
fn a_single_validator_commits_alone() {
    let net = Net::new(1);
    let mut node = net.node(0);
    let out = node.start(&net, 1);
    assert!(out.contains(&Output::RequestBlock {
        height: 1,
        round: 0
    }));
    let out = node.input(Input::BlockToPropose {
        height: 1,
        round: 0,
        block: B,
    });
    assert_persisted_before_broadcast(&out);
    assert_eq!(sent_proposals(&out).len(), 1);
    let c = commits(&out);
    assert_eq!(c.len(), 1);
    let (height, round, block, cert) = &c[0];
    assert_eq!((*height, *round, *block), (1, 0, B));
    assert_eq!(cert.verify(CHAIN, 1, B, &net.set), Ok(()));
    assert!(node.core.is_decided());
}

#[test]
fn four_validators_commit_with_a_three_signature_certificate() {
    let net = Net::new(4);
    let me = net.proposer_index(1, 0);
    let mut node = net.node(me);
    let out = node.start(&net, 1);
    assert!(out.contains(&Output::RequestBlock {
        height: 1,
        round: 0
    }));
    // Lines 18-20 then 22-24: the proposer proposes its block and prevotes it.
    let out = node.input(Input::BlockToPropose {
        height: 1,
        round: 0,
        block: B,
    });
    assert_persisted_before_broadcast(&out);
    assert_eq!(sent_proposals(&out)[0].pol_round, None);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(B)]);
    let others = net.others(me, 2);
    // Lines 36-43: 2f+1 prevotes (its own and two) lock and precommit.
    let out = node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 0, Some(B))),
    );
    assert_persisted_before_broadcast(&out);
    assert_eq!(sent(&out, VoteKind::Precommit), vec![Some(B)]);
    // Lines 49-54: 2f+1 precommits decide.
    let out = node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 0, Some(B))),
    );
    let c = commits(&out);
    assert_eq!(c.len(), 1);
    let cert = &c[0].3;
    assert_eq!(cert.signatures.len(), 3);
    assert_eq!(cert.verify(CHAIN, 1, B, &net.set), Ok(()));
    // Decided: more votes of the height change nothing, the next height starts on request.
    let last = net.others(me, 3)[2];
    assert!(
        node.votes([net.vote(last, VoteKind::Precommit, 1, 0, Some(B))])
            .is_empty()
    );
    node.start(&net, 2);
    assert_eq!((node.core.height(), node.core.round()), (2, 0));
    assert_eq!(node.core.locked(), None);
}

/// A host that verified signatures already (the node's network layer) feeds the verified
/// inputs: they count exactly as checked ones, and the core does not verify them again.
#[test]
fn verified_inputs_count_like_checked_ones() {
    let net = Net::new(4);
    let me = net.proposer_index(1, 0);
    let mut node = net.node(me);
    node.start(&net, 1);
    node.input(Input::BlockToPropose {
        height: 1,
        round: 0,
        block: B,
    });
    let others = net.others(me, 2);
    let mut out = Vec::new();
    for kind in [VoteKind::Prevote, VoteKind::Precommit] {
        for i in &others {
            out.extend(node.input(Input::VerifiedVote(net.vote(*i, kind, 1, 0, Some(B)))));
        }
    }
    let c = commits(&out);
    assert_eq!(c.len(), 1, "three verified precommits decide");
    assert_eq!(c[0].3.verify(CHAIN, 1, B, &net.set), Ok(()));
}

#[test]
fn a_follower_validates_the_proposal_before_prevoting() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    let out = node.start(&net, 1);
    // Line 21: only a timeout, at now + timeoutPropose(0).
    assert_eq!(out.len(), 1);
    assert_eq!(timeouts(&out)[0].1, 1_000 + 300);
    let out = node.input(Input::Proposal(net.proposal(1, 0, B, None)));
    assert_eq!(
        out,
        vec![Output::ValidateBlock {
            height: 1,
            round: 0,
            block: B
        }]
    );
    let out = node.input(Input::BlockValidated {
        height: 1,
        block: B,
        valid: true,
    });
    assert_persisted_before_broadcast(&out);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(B)]);
    assert_eq!(node.core.current_step(), Step::Prevote);
}

#[test]
fn an_invalid_block_gets_a_nil_prevote() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    node.start(&net, 1);
    node.input(Input::Proposal(net.proposal(1, 0, B, None)));
    let out = node.input(Input::BlockValidated {
        height: 1,
        block: B,
        valid: false,
    });
    assert_eq!(sent(&out, VoteKind::Prevote), vec![None]);
}

#[test]
fn timeout_propose_prevotes_nil_and_timeout_prevote_precommits_nil() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    // Lines 57-60.
    let out = node.timeout(1, 0, Step::Propose);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![None]);
    // Lines 34-35: 2f+1 prevotes for anything schedule timeoutPrevote.
    let mut others = net.others(me, 2).into_iter();
    let out = node.votes([
        net.vote(others.next().unwrap(), VoteKind::Prevote, 1, 0, Some(B)),
        net.vote(others.next().unwrap(), VoteKind::Prevote, 1, 0, Some(W)),
    ]);
    assert_eq!(timeouts(&out)[0].0.step, Step::Prevote);
    // Lines 61-64.
    let out = node.timeout(1, 0, Step::Prevote);
    assert_eq!(sent(&out, VoteKind::Precommit), vec![None]);
    assert_eq!(node.core.current_step(), Step::Precommit);
}

#[test]
fn two_thirds_prevoting_nil_make_the_node_precommit_nil() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    node.timeout(1, 0, Step::Propose);
    // Lines 44-46.
    let out = node.votes(
        net.others(me, 2)
            .into_iter()
            .map(|i| net.vote(i, VoteKind::Prevote, 1, 0, None)),
    );
    assert_eq!(sent(&out, VoteKind::Precommit), vec![None]);
}

#[test]
fn a_locked_node_prevotes_nil_for_another_block_without_proof_of_lock() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    lock_on_b_in_round_0(&net, &mut node);
    // Lines 22-26: W has no POL and the node is locked on B.
    let out = node.proposal(net.proposal(1, 1, W, None));
    assert_eq!(sent(&out, VoteKind::Prevote), vec![None]);
    assert_eq!(node.core.locked(), Some((0, B)));
}

#[test]
fn a_locked_node_prevotes_another_block_with_a_proof_of_lock_from_a_later_round() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    lock_on_b_in_round_0(&net, &mut node);
    node.proposal(net.proposal(1, 1, W, None));
    // f+1 of round 2 (its proposer and one more) skip the node there (lines 55-56).
    let p2 = net.proposal(1, 2, W, Some(1));
    let helper = net
        .others(me, 3)
        .into_iter()
        .find(|i| *i != net.proposer_index(1, 2))
        .unwrap();
    node.input(Input::Proposal(p2));
    node.votes([net.vote(helper, VoteKind::Prevote, 1, 2, None)]);
    assert_eq!(node.core.round(), 2);
    // Lines 28-30: 2f+1 prevotes for W in round 1 >= lockedRound 0 make W acceptable.
    let out = node.votes(
        net.others(me, 3)
            .into_iter()
            .map(|i| net.vote(i, VoteKind::Prevote, 1, 1, Some(W))),
    );
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(W)]);
}

/// Drives a follower to: W had 2f+1 prevotes in round 0 (its proposal never arrived), the
/// node locked on B in round 1, and round 2 proposes W with proof of lock round 0.
fn locked_in_round_1_then_w_with_pol_0(net: &Net, node: &mut Node) -> Vec<Output> {
    let me = node.me.unwrap();
    let others = net.others(me, 3);
    node.start(net, 1);
    node.timeout(1, 0, Step::Propose);
    node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 0, Some(W))),
    );
    node.timeout(1, 0, Step::Prevote);
    node.votes(
        others[..2]
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 0, None)),
    );
    node.timeout(1, 0, Step::Precommit);
    let out = node.proposal(net.proposal(1, 1, B, None));
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(B)]);
    node.votes(
        others[..2]
            .iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 1, Some(B))),
    );
    assert_eq!(node.core.locked(), Some((1, B)));
    node.votes(
        others[..2]
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 1, None)),
    );
    node.timeout(1, 1, Step::Precommit);
    assert_eq!(node.core.round(), 2);
    node.proposal(net.proposal(1, 2, W, Some(0)))
}

#[test]
fn a_proof_of_lock_older_than_the_lock_gets_a_nil_prevote() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    // Line 29: lockedRound 1 > vr 0 and lockedValue B != W.
    let out = locked_in_round_1_then_w_with_pol_0(&net, &mut node);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![None]);
}

#[test]
fn ignore_lock_accepts_a_proof_of_lock_older_than_the_lock() {
    let net = Net::new(4);
    let mut config = config();
    config.faults = FaultInjection { ignore_lock: true };
    let mut node = net.node_with(Some(net.follower()), SafetyState::default(), config);
    let out = locked_in_round_1_then_w_with_pol_0(&net, &mut node);
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(W)]);
}

#[test]
fn ignore_lock_makes_a_locked_node_prevote_the_new_block() {
    let net = Net::new(4);
    let mut config = config();
    config.faults = FaultInjection { ignore_lock: true };
    let mut node = net.node_with(Some(net.follower()), SafetyState::default(), config);
    lock_on_b_in_round_0(&net, &mut node);
    let out = node.proposal(net.proposal(1, 1, W, None));
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(W)]);
}

#[test]
fn the_proposer_reproposes_its_valid_value_with_its_round() {
    let net = Net::new(4);
    let me = net.proposer_index(1, 1);
    let mut node = net.node(me);
    node.start(&net, 1);
    node.proposal(net.proposal(1, 0, B, None));
    let others = net.others(me, 2);
    node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 0, Some(B))),
    );
    assert_eq!(node.core.valid(), Some((0, B)));
    node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 0, None)),
    );
    // Lines 15-16: no RequestBlock; B is proposed again with validRound 0.
    let out = node.timeout(1, 0, Step::Precommit);
    assert!(!out.iter().any(|o| matches!(o, Output::RequestBlock { .. })));
    let p = sent_proposals(&out);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].round, p[0].block, p[0].pol_round), (1, B, Some(0)));
    let round_1: Vec<Vote> = sent_votes(&out)
        .into_iter()
        .filter(|v| v.round == 1)
        .collect();
    assert_eq!(round_1.len(), 1);
    assert_eq!(
        (round_1[0].kind, round_1[0].block),
        (VoteKind::Prevote, Some(B))
    );
}

#[test]
fn timeouts_grow_per_round_and_are_capped() {
    let t = TimeoutConfig {
        propose_ms: 300,
        prevote_ms: 100,
        precommit_ms: 100,
        delta_ms: 100,
        max_ms: 1_000,
    };
    let table = [
        (Step::Propose, 0, 300),
        (Step::Propose, 1, 400),
        (Step::Prevote, 3, 400),
        (Step::Precommit, 2, 300),
        (Step::Propose, 7, 1_000),
        (Step::Propose, u32::MAX, 1_000),
    ];
    for (step, round, ms) in table {
        assert_eq!(t.duration_ms(step, round), ms, "{step:?} round {round}");
    }
    // The core schedules with them: after a skip to round 5, timeoutPropose(5).
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node_with(Some(me), SafetyState::default(), CoreConfig::new(CHAIN, t));
    node.start(&net, 1);
    let out = node.votes(
        net.others(me, 2)
            .into_iter()
            .map(|i| net.vote(i, VoteKind::Prevote, 1, 5, None)),
    );
    let (timeout, at) = timeouts(&out)[0];
    assert_eq!(
        (timeout.round, timeout.step, at),
        (5, Step::Propose, 1_000 + 800)
    );
}

#[test]
fn f_plus_one_messages_of_a_higher_round_skip_to_it() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    let others = net.others(me, 3);
    // One validator of four is not more than a third.
    node.votes([net.vote(others[0], VoteKind::Precommit, 1, 3, None)]);
    node.votes([net.vote(others[0], VoteKind::Prevote, 1, 3, None)]);
    assert_eq!(node.core.round(), 0);
    // Rounds beyond current + 100 are ignored altogether.
    node.votes([
        net.vote(others[1], VoteKind::Prevote, 1, 500, None),
        net.vote(others[2], VoteKind::Prevote, 1, 500, None),
    ]);
    assert_eq!(node.core.round(), 0);
    node.votes([net.vote(others[1], VoteKind::Prevote, 1, 3, None)]);
    assert_eq!(node.core.round(), 3);
    assert_eq!(node.core.current_step(), Step::Propose);
}

#[test]
fn invalid_messages_are_ignored() {
    let net = Net::new(4);
    let me = net.follower();
    let other = net.others(me, 1)[0];
    let stranger = Keypair::from_seed(&[77; 32]);
    let mut forged = net.vote(other, VoteKind::Prevote, 1, 0, None);
    forged.signature.0[3] ^= 1;
    let wrong_chain = Vote {
        kind: VoteKind::Prevote,
        height: 1,
        round: 0,
        block: None,
        validator: net.pk(other),
    }
    .sign("another-chain", &net.keys[other]);
    let not_validator = Vote {
        kind: VoteKind::Prevote,
        height: 1,
        round: 0,
        block: None,
        validator: stranger.public(),
    }
    .sign(CHAIN, &stranger);
    let impostor = net.keys[(net.proposer_index(1, 0) + 1) % 4].clone();
    let wrong_proposer = Proposal {
        height: 1,
        round: 0,
        block: B,
        pol_round: None,
        proposer: impostor.public(),
    }
    .sign(CHAIN, &impostor);
    let mut forged_proposal = net.proposal(1, 0, B, None);
    forged_proposal.signature.0[0] ^= 1;
    let table: Vec<(&str, Input)> = vec![
        ("bad vote signature", Input::Vote(forged)),
        ("other chain id", Input::Vote(wrong_chain)),
        ("not a validator", Input::Vote(not_validator)),
        ("wrong proposer", Input::Proposal(wrong_proposer)),
        ("bad proposal signature", Input::Proposal(forged_proposal)),
        (
            "pol round not below the round",
            Input::Proposal(net.proposal(1, 0, B, Some(0))),
        ),
        (
            "a past height",
            Input::Vote(net.vote(other, VoteKind::Prevote, 0, 0, None)),
        ),
        (
            "a block nobody asked for",
            Input::BlockToPropose {
                height: 1,
                round: 0,
                block: W,
            },
        ),
        (
            "an unrequested validation",
            Input::BlockValidated {
                height: 1,
                block: W,
                valid: true,
            },
        ),
    ];
    let mut node = net.node(me);
    node.start(&net, 1);
    for (what, input) in table {
        assert!(node.input(input).is_empty(), "{what}");
    }
    // The real proposal still counts afterwards.
    let out = node.proposal(net.proposal(1, 0, B, None));
    assert_eq!(sent(&out, VoteKind::Prevote), vec![Some(B)]);
}

#[test]
fn a_double_vote_is_evidence_once_and_counts_once_in_the_total() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    node.proposal(net.proposal(1, 0, B, None));
    let o = net.others(me, 3);
    let first = net.vote(o[0], VoteKind::Prevote, 1, 0, Some(B));
    let second = net.vote(o[0], VoteKind::Prevote, 1, 0, None);
    assert!(node.votes([first]).is_empty());
    // Two validators (this node and o[0]) prevoted: not 2f+1 of anything, however o[0]
    // equivocates, so no timeoutPrevote (line 34).
    let out = node.votes([second]);
    assert_eq!(
        out,
        vec![Output::Evidence(Evidence::DuplicateVote { first, second })]
    );
    assert_eq!(out_offenders(&out), vec![net.pk(o[0])]);
    // Once per offender and (round, kind).
    assert!(
        node.votes([net.vote(o[0], VoteKind::Prevote, 1, 0, Some(W))])
            .is_empty()
    );
    // A third validator makes 2f+1 in total.
    let out = node.votes([net.vote(o[1], VoteKind::Prevote, 1, 0, Some(W))]);
    assert_eq!(timeouts(&out)[0].0.step, Step::Prevote);
}

fn out_offenders(out: &[Output]) -> Vec<PublicKey> {
    out.iter()
        .filter_map(|o| match o {
            Output::Evidence(e) => Some(e.offender()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_equivocators_vote_counts_for_each_value_it_signed() {
    // The paper counts messages for v from distinct senders: o[0]'s nil, seen first, does not
    // hide its prevote for B when another node relays it, so the lock-forming quorum is seen.
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    node.proposal(net.proposal(1, 0, B, None));
    let o = net.others(me, 3);
    node.votes([net.vote(o[0], VoteKind::Prevote, 1, 0, None)]);
    let out = node.votes([net.vote(o[0], VoteKind::Prevote, 1, 0, Some(B))]);
    assert_eq!(out_offenders(&out), vec![net.pk(o[0])]);
    let out = node.votes([net.vote(o[1], VoteKind::Prevote, 1, 0, Some(B))]);
    assert_eq!(sent(&out, VoteKind::Precommit), vec![Some(B)]);
}

#[test]
fn a_double_proposal_is_evidence() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    node.start(&net, 1);
    let first = net.proposal(1, 0, B, None);
    let second = net.proposal(1, 0, W, None);
    node.proposal(first);
    let out = node.input(Input::Proposal(second));
    assert_eq!(
        out,
        vec![Output::Evidence(Evidence::DuplicateProposal {
            first,
            second
        })]
    );
    assert!(node.input(Input::Proposal(second)).is_empty());
}

#[test]
fn a_node_that_left_a_round_relays_the_precommits_that_ended_it() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    node.timeout(1, 0, Step::Propose);
    node.timeout(1, 0, Step::Prevote);
    // Its own nil precommit and two others' end round 0 (line 47); one of them may have been
    // sent to this node alone.
    let others: Vec<SignedVote> = net
        .others(me, 2)
        .iter()
        .map(|i| net.vote(*i, VoteKind::Precommit, 1, 0, None))
        .collect();
    let out = node.votes(others.clone());
    assert!(
        timeouts(&out)
            .iter()
            .any(|(t, _)| t.step == Step::Precommit)
    );
    node.timeout(1, 0, Step::Precommit);
    assert_eq!(node.core.round(), 1);
    // Each heartbeat of round 1 relays them: a peer still in round 0 may lack one for ever.
    let out = node.timeout(1, 1, Step::Propose);
    for v in &others {
        assert!(
            out.contains(&Output::BroadcastVote(*v)),
            "{v:?} not relayed"
        );
    }
}

#[test]
fn an_observer_follows_and_commits_without_signing() {
    let net = Net::new(4);
    let mut node = net.node_with(None, SafetyState::default(), config());
    let mut out = node.start(&net, 1);
    out.extend(node.proposal(net.proposal(1, 0, B, None)));
    for kind in [VoteKind::Prevote, VoteKind::Precommit] {
        out.extend(node.votes((0..3).map(|i| net.vote(i, kind, 1, 0, Some(B)))));
    }
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::PersistSafety { .. } | Output::BroadcastVote(_)))
    );
    assert_eq!(commits(&out).len(), 1);
}

#[test]
fn a_block_decided_in_an_earlier_round_is_committed() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    let others = net.others(me, 3);
    node.votes(
        others[..2]
            .iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 4, None)),
    );
    assert_eq!(node.core.round(), 4);
    // Line 49 holds for any round: round 0's proposal and precommits arrive late.
    let mut out = node.votes(
        others
            .iter()
            .map(|i| net.vote(*i, VoteKind::Precommit, 1, 0, Some(B))),
    );
    out.extend(node.proposal(net.proposal(1, 0, B, None)));
    let c = commits(&out);
    assert_eq!((c[0].0, c[0].1, c[0].2), (1, 0, B));
}

#[test]
fn a_certificate_from_block_sync_commits_the_height() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    node.start(&net, 1);
    let precommits: Vec<SignedVote> = (0..3)
        .map(|i| net.vote(i, VoteKind::Precommit, 1, 2, Some(B)))
        .collect();
    let weak = CommitCertificate::from_precommits(1, 2, B, &precommits[..2]);
    assert!(node.input(Input::Decided(weak)).is_empty());
    let cert = CommitCertificate::from_precommits(1, 2, B, &precommits);
    let out = node.input(Input::Decided(cert.clone()));
    assert_eq!(
        out,
        vec![Output::Commit {
            height: 1,
            round: 2,
            block: B,
            certificate: cert.clone()
        }]
    );
    assert!(node.input(Input::Decided(cert)).is_empty());
}

#[test]
fn messages_for_the_next_height_are_replayed_when_it_starts() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    node.start(&net, 1);
    assert!(
        node.input(Input::Proposal(net.proposal(2, 0, W, None)))
            .is_empty()
    );
    let out = node.start(&net, 2);
    assert!(out.contains(&Output::ValidateBlock {
        height: 2,
        round: 0,
        block: W
    }));
}

#[test]
fn behind_is_reported_once_when_a_third_of_the_power_is_higher() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    let o = net.others(me, 3);
    assert!(
        node.votes([net.vote(o[0], VoteKind::Prevote, 7, 0, None)])
            .is_empty()
    );
    let out = node.votes([net.vote(o[1], VoteKind::Prevote, 5, 0, None)]);
    assert_eq!(out, vec![Output::Behind { height: 5 }]);
    assert!(
        node.votes([net.vote(o[2], VoteKind::Prevote, 5, 1, None)])
            .is_empty()
    );
    // A forged message from a higher height is not news.
    let mut forged = net.vote(o[2], VoteKind::Prevote, 9, 0, None);
    forged.signature.0[1] ^= 1;
    assert!(node.votes([forged]).is_empty());
}

#[test]
fn a_current_timeout_rebroadcasts_own_messages_without_signing_again() {
    let net = Net::new(4);
    let me = net.proposer_index(1, 0);
    let mut node = net.node(me);
    node.start(&net, 1);
    let first = node.input(Input::BlockToPropose {
        height: 1,
        round: 0,
        block: B,
    });
    let out = node.timeout(1, 0, Step::Propose);
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::PersistSafety { .. }))
    );
    let originals: Vec<&Output> = first
        .iter()
        .filter(|o| matches!(o, Output::BroadcastProposal(_) | Output::BroadcastVote(_)))
        .collect();
    let again: Vec<&Output> = out
        .iter()
        .filter(|o| matches!(o, Output::BroadcastProposal(_) | Output::BroadcastVote(_)))
        .collect();
    assert_eq!(again, originals);
    // The round goes on, so the timeout is scheduled again.
    assert_eq!(timeouts(&out)[0].0.step, Step::Propose);
}

#[test]
fn stale_timeouts_are_ignored() {
    let net = Net::new(4);
    let mut node = net.node(net.follower());
    node.start(&net, 1);
    node.timeout(1, 0, Step::Propose);
    let o = net.others(net.follower(), 2);
    node.votes(
        o.iter()
            .map(|i| net.vote(*i, VoteKind::Prevote, 1, 1, None)),
    );
    assert_eq!(node.core.round(), 1);
    for (h, r, s) in [
        (1, 0, Step::Propose),
        (1, 0, Step::Precommit),
        (0, 1, Step::Propose),
        (2, 1, Step::Propose),
    ] {
        assert!(node.timeout(h, r, s).is_empty(), "{h}/{r}/{s:?}");
    }
}

#[test]
fn a_validator_removed_from_the_set_stops_signing() {
    let net = Net::new(4);
    let me = net.follower();
    let mut node = net.node(me);
    node.start(&net, 1);
    node.input(Input::Decided(CommitCertificate::from_precommits(
        1,
        0,
        B,
        &(0..3)
            .map(|i| net.vote(i, VoteKind::Precommit, 1, 0, Some(B)))
            .collect::<Vec<_>>(),
    )));
    let smaller = Net {
        keys: net
            .keys
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me)
            .map(|(_, k)| k.clone())
            .collect(),
        set: ValidatorSet::new(
            net.set
                .validators()
                .iter()
                .copied()
                .filter(|v| v.key != net.pk(me))
                .collect(),
        )
        .unwrap(),
    };
    node.start(&smaller, 2);
    let mut out = node.proposal(smaller.proposal(2, 0, W, None));
    out.extend(node.timeout(2, 0, Step::Propose));
    assert!(sent_votes(&out).is_empty());
}

#[test]
fn odd_inputs_never_panic() {
    let net = Net::new(4);
    let mut node = net.node(0);
    // Before the first height everything is ignored.
    assert!(
        node.votes([net.vote(1, VoteKind::Prevote, 1, 0, None)])
            .is_empty()
    );
    assert!(node.timeout(1, 0, Step::Propose).is_empty());
    node.start(&net, 1);
    node.votes([
        net.vote(1, VoteKind::Prevote, u64::MAX, u32::MAX, None),
        net.vote(2, VoteKind::Precommit, 1, u32::MAX, Some(B)),
    ]);
    node.input(Input::Proposal(net.proposal(
        1,
        u32::MAX,
        B,
        Some(u32::MAX - 1),
    )));
    node.timeout(1, u32::MAX, Step::Precommit);
    node.input(Input::StartHeight {
        height: 0,
        validators: net.set.clone(),
    });
    node.input(Input::BlockValidated {
        height: u64::MAX,
        block: B,
        valid: true,
    });
    assert_eq!(node.core.height(), 1);
}
