//! Every simulator scenario over many seeds: agreement, validity, liveness and determinism.
//!
//! `VELLUM_SIM_SEEDS` sets the seeds per scenario (default 200; the slow profile runs 10,000).
//! The test prints one summary line: scenarios, seeds, heights committed, violations.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use vellum_consensus::sim::{Behaviour, Crash, LinkModel, Partition, Scenario, run};
use vellum_protocol::{Keypair, Operation};

fn lossy() -> LinkModel {
    LinkModel {
        latency_ms: 5,
        jitter_ms: 10,
        loss_per_mille: 50,
    }
}

fn very_lossy() -> LinkModel {
    LinkModel {
        latency_ms: 5,
        jitter_ms: 20,
        loss_per_mille: 150,
    }
}

fn with_byzantine(name: &'static str, n: usize, who: &[Behaviour]) -> Scenario {
    let mut s = Scenario::new(name, n);
    s.byzantine = who
        .iter()
        .enumerate()
        .map(|(i, b)| (n - 1 - i, *b))
        .collect();
    s
}

/// Every scenario the suite runs.
fn scenarios() -> Vec<Scenario> {
    let mut list = Vec::new();

    list.push(Scenario::new("single-validator", 1));

    let mut s = Scenario::new("four-lossy-jittery", 4);
    s.link = lossy();
    list.push(s);

    let mut s = Scenario::new("four-partition-heals", 4);
    s.link = lossy();
    s.partitions = vec![Partition {
        from_ms: 150,
        heal_ms: 1_200,
        groups: vec![vec![0, 1], vec![2, 3]],
    }];
    list.push(s);

    let mut s = Scenario::new("four-crash-restart", 4);
    s.link = lossy();
    s.crashes = vec![
        Crash {
            node: 1,
            at_ms: 120,
            restart_ms: Some(900),
        },
        Crash {
            node: 2,
            at_ms: 1_100,
            restart_ms: Some(1_400),
        },
        Crash {
            node: 1,
            at_ms: 1_500,
            restart_ms: Some(1_700),
        },
    ];
    list.push(s);

    // All four stop at once, three times, and start again from disk: now and then every one
    // is locked on a block none has decided, and only the bodies saved with the locks let the
    // chain go on.
    let mut s = Scenario::new("four-all-crash-together", 4);
    s.link = lossy();
    s.crashes = [250, 650, 1_050]
        .into_iter()
        .flat_map(|at_ms| {
            (0..4).map(move |node| Crash {
                node,
                at_ms,
                restart_ms: Some(at_ms + 100),
            })
        })
        .collect();
    list.push(s);

    // The same with one validator faulty: it votes for every proposal (helping validators
    // lock on different blocks in different rounds), then stops with the others the second
    // time and never comes back. The three left must agree alone: each sends its own votes
    // again and stays in its round, and the newest lock is proposed with its proof.
    let mut s = with_byzantine(
        "four-all-crash-one-stays-down",
        4,
        &[Behaviour::VotesForEverything],
    );
    s.link = very_lossy();
    s.partitions = Partition::flapping(10);
    s.crashes = [450, 1_150]
        .into_iter()
        .flat_map(|at_ms| {
            (0..4).map(move |node| Crash {
                node,
                at_ms,
                restart_ms: (at_ms < 1_000 || node != 3).then_some(at_ms + 100),
            })
        })
        .collect();
    list.push(s);

    for b in [
        Behaviour::DoubleProposer,
        Behaviour::DoubleVoter,
        Behaviour::InvalidBlockProposer,
        Behaviour::Silent,
        Behaviour::VotesForEverything,
    ] {
        let name: &'static str = match b {
            Behaviour::DoubleProposer => "four-double-proposer",
            Behaviour::DoubleVoter => "four-double-voter",
            Behaviour::InvalidBlockProposer => "four-invalid-block-proposer",
            Behaviour::Silent => "four-silent",
            _ => "four-votes-for-everything",
        };
        let mut s = with_byzantine(name, 4, &[b]);
        s.link = lossy();
        list.push(s);
    }

    // Votes for everything but sends each round's votes to one peer only: an honest node can
    // end a round on a quorum the others lack, and only relaying it lets them follow (stalled
    // 3 of 600 seeds before precommit quorums were relayed).
    let mut s = with_byzantine("four-whispers-to-one", 4, &[Behaviour::WhispersToOne]);
    s.link = very_lossy();
    list.push(s);

    let mut s = with_byzantine(
        "seven-two-byzantine-partition",
        7,
        &[Behaviour::DoubleVoter, Behaviour::InvalidBlockProposer],
    );
    s.link = lossy();
    s.partitions = vec![Partition {
        from_ms: 200,
        heal_ms: 1_000,
        groups: vec![vec![0, 1, 5, 6], vec![2, 3, 4, 5, 6]],
    }];
    list.push(s);

    let mut s = with_byzantine(
        "seven-silent-and-everything-voter-crash",
        7,
        &[Behaviour::Silent, Behaviour::VotesForEverything],
    );
    s.link = lossy();
    s.crashes = vec![Crash {
        node: 0,
        at_ms: 300,
        restart_ms: Some(800),
    }];
    list.push(s);

    // Short partitions isolate each honest node in turn, with a Byzantine node on both sides.
    let mut s = with_byzantine(
        "four-flapping-partitions",
        4,
        &[Behaviour::VotesForEverything],
    );
    s.link = very_lossy();
    s.partitions = Partition::flapping(10);
    list.push(s);

    // Validators change at height boundaries: node 4 joins, then node 0 leaves.
    let keys: Vec<Keypair> = vellum_consensus::sim::workload::Keys::new(5).nodes;
    let mut s = Scenario::new("validator-set-change", 5);
    s.validators = 4;
    s.link = lossy();
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
    list.push(s);

    list
}

#[test]
fn every_scenario_keeps_agreement_validity_liveness_and_determinism() {
    let seeds: u64 = std::env::var("VELLUM_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let scenarios = scenarios();
    let jobs: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|s| (0..seeds).map(move |seed| (s, seed)))
        .collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let heights = Mutex::new(0u64);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(s, seed)) = jobs.get(i) else { break };
                    let scenario = &scenarios[s];
                    let first = run(scenario, seed);
                    let second = run(scenario, seed);
                    let mut problems: Vec<String> =
                        first.violations.iter().map(|v| format!("{v:?}")).collect();
                    if first != second {
                        problems.push(format!(
                            "determinism: trace {:x} then {:x}",
                            first.trace_hash, second.trace_hash
                        ));
                    }
                    *heights.lock().unwrap() += first.min_honest_height;
                    if !problems.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{} seed {seed}: {}",
                            scenario.name,
                            problems.join("; ")
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    println!(
        "simulation summary: scenarios={} seeds={} runs={} heights_committed={} violations={}",
        scenarios.len(),
        seeds,
        jobs.len() * 2,
        heights.into_inner().unwrap(),
        failures.len()
    );
    assert!(failures.is_empty(), "violations:\n{}", failures.join("\n"));
}
