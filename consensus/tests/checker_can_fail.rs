//! The checker must be able to fail: with locking switched off in the honest nodes, the
//! simulator finds two honest nodes committing different blocks at one height, and the same
//! seed with locking on keeps agreement.

use vellum_consensus::FaultInjection;
use vellum_consensus::sim::{Behaviour, LinkModel, Partition, Scenario, Violation, run};

/// One Byzantine node that votes for every proposal, lossy links, and short partitions that
/// isolate each honest node in turn: the pattern where one honest node commits a block and, if
/// the others forget their locks, they commit another.
fn lock_breaking_scenario(ignore_lock: bool) -> Scenario {
    let mut s = Scenario::new("ignore-lock-with-everything-voter", 4);
    s.byzantine = vec![(3, Behaviour::VotesForEverything)];
    s.link = LinkModel {
        latency_ms: 5,
        jitter_ms: 20,
        loss_per_mille: 150,
    };
    s.partitions = Partition::flapping(20);
    s.target_height = 12;
    s.liveness_bound_ms = 20_000;
    s.faults = FaultInjection { ignore_lock };
    s
}

#[test]
fn ignoring_locks_lets_the_simulator_find_an_agreement_violation() {
    let broken = lock_breaking_scenario(true);
    let found = (0..1_000u64).find_map(|seed| {
        let outcome = run(&broken, seed);
        outcome
            .violations
            .iter()
            .find(|v| matches!(v, Violation::Agreement { .. }))
            .map(|v| (seed, v.clone()))
    });
    let (seed, violation) = found.expect("no agreement violation found with locking disabled");
    println!("checker found with locking disabled, seed {seed}: {violation:?}");

    let sound = run(&lock_breaking_scenario(false), seed);
    assert!(
        !sound
            .violations
            .iter()
            .any(|v| matches!(v, Violation::Agreement { .. })),
        "the same seed with locking on must keep agreement: {:?}",
        sound.violations
    );
}
