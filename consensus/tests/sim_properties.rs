//! Focused simulator checks: what a scenario must show beyond the four properties.

use vellum_consensus::sim::workload::Keys;
use vellum_consensus::sim::{Behaviour, Scenario, run};
use vellum_protocol::Operation;

#[test]
fn a_double_voter_is_reported_as_equivocation_evidence() {
    let mut s = Scenario::new("double-voter-evidence", 4);
    s.byzantine = vec![(3, Behaviour::DoubleVoter)];
    let outcome = run(&s, 7);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(
        outcome.evidence > 0,
        "honest nodes reported no evidence of the double votes"
    );
}

#[test]
fn a_double_proposer_is_reported_as_equivocation_evidence() {
    let mut s = Scenario::new("double-proposer-evidence", 4);
    s.byzantine = vec![(3, Behaviour::DoubleProposer)];
    s.target_height = 16;
    let outcome = run(&s, 3);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(
        outcome.evidence > 0,
        "honest nodes reported no evidence of the double proposals"
    );
}

#[test]
fn validator_changes_take_effect_at_a_later_height_and_the_chain_goes_on() {
    let keys = Keys::new(5).nodes;
    let mut s = Scenario::new("validator-change", 5);
    s.validators = 4;
    s.target_height = 16;
    s.admin_ops = vec![
        (
            3,
            Operation::AddValidator {
                key: keys[4].public(),
                power: 1,
            },
        ),
        (
            8,
            Operation::RemoveValidator {
                key: keys[0].public(),
            },
        ),
    ];
    let outcome = run(&s, 11);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(outcome.min_honest_height >= 16);
    assert!(
        outcome.validators_at_end.contains(&keys[4].public()),
        "node 4 never joined"
    );
    assert!(
        !outcome.validators_at_end.contains(&keys[0].public()),
        "node 0 never left"
    );
    assert_eq!(outcome.validators_at_end.len(), 4);
}

#[test]
fn one_seed_gives_one_trace_and_another_seed_another() {
    let mut s = Scenario::new("determinism", 4);
    s.link.loss_per_mille = 50;
    let a = run(&s, 1);
    assert_eq!(a, run(&s, 1));
    assert_ne!(a.trace_hash, run(&s, 2).trace_hash);
}
