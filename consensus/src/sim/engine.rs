//! The discrete-event engine: a priority queue of (time, sequence, event) over virtual time,
//! and the checker that watches every commit.
//!
//! Properties checked on every run:
//! - agreement: no two honest nodes commit different blocks at one height;
//! - validity: every block an honest node commits passed the ledger rule and carries a
//!   certificate that verifies against the validators of its height;
//! - liveness: once the last partition has healed and the last crashed node restarted, every
//!   running honest node commits at least [`Scenario::heights_after_heal`] more heights within
//!   [`Scenario::liveness_bound_ms`];
//! - determinism: the run's trace hash is a function of the seed (the caller runs it twice).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use vellum_protocol::{Hash, Operation};

use super::byzantine::Behaviour;
use super::message::NetMessage;
use super::network::{LinkModel, Network, NodeId, Partition};
use super::node::{Effect, SimNode};
use super::rng::SimRng;
use super::workload::{CHAIN_ID, Keys, Workload};
use crate::{CoreConfig, FaultInjection, Timeout, TimeoutConfig};

/// A crash of `node` at `at_ms`, and its restart from disk at `restart_ms` (never if `None`).
#[derive(Debug, Clone, Copy)]
pub struct Crash {
    pub node: NodeId,
    pub at_ms: u64,
    pub restart_ms: Option<u64>,
}

/// One simulated network and what happens to it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    /// Nodes in the simulation; the first `validators` are the genesis validators, the rest
    /// observers (they may become validators through `admin_ops`).
    pub nodes: usize,
    pub validators: usize,
    pub byzantine: Vec<(NodeId, Behaviour)>,
    pub link: LinkModel,
    pub partitions: Vec<Partition>,
    pub crashes: Vec<Crash>,
    /// Admin operations, each included once the chain reaches the given height.
    pub admin_ops: Vec<(u64, Operation)>,
    /// Every honest node must reach this height.
    pub target_height: u64,
    pub heights_after_heal: u64,
    pub liveness_bound_ms: u64,
    pub txs_per_block: usize,
    pub timeouts: TimeoutConfig,
    /// Safety rules switched off in honest nodes (to show the checker can fail).
    pub faults: FaultInjection,
}

impl Scenario {
    /// `n` validators, all honest, a clean network, 10 heights.
    pub fn new(name: &'static str, n: usize) -> Scenario {
        Scenario {
            name,
            nodes: n,
            validators: n,
            byzantine: Vec::new(),
            link: LinkModel::default(),
            partitions: Vec::new(),
            crashes: Vec::new(),
            admin_ops: Vec::new(),
            target_height: 10,
            heights_after_heal: 3,
            liveness_bound_ms: 30_000,
            txs_per_block: 4,
            timeouts: TimeoutConfig {
                propose_ms: 60,
                prevote_ms: 30,
                precommit_ms: 30,
                delta_ms: 20,
                max_ms: 1_000,
            },
            faults: FaultInjection::default(),
        }
    }

    fn behaviour(&self, node: NodeId) -> Behaviour {
        self.byzantine
            .iter()
            .find(|(n, _)| *n == node)
            .map_or(Behaviour::Honest, |(_, b)| *b)
    }

    /// When the network is last disturbed: the last heal or restart.
    fn stable_ms(&self, net: &Network) -> u64 {
        let restarts = self
            .crashes
            .iter()
            .filter_map(|c| c.restart_ms)
            .max()
            .unwrap_or(0);
        net.last_heal_ms().max(restarts)
    }
}

/// A property that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    Agreement {
        height: u64,
        first: (NodeId, Hash),
        second: (NodeId, Hash),
    },
    Validity {
        node: NodeId,
        detail: String,
    },
    Liveness {
        node: NodeId,
        height: u64,
        needed: u64,
    },
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub violations: Vec<Violation>,
    /// Lowest committed height over the honest nodes that run at the end.
    pub min_honest_height: u64,
    /// Blocks committed, summed over honest nodes.
    pub commits: u64,
    /// Equivocation evidence reported by honest nodes.
    pub evidence: u64,
    pub end_ms: u64,
    pub trace_hash: u64,
    /// The validators of the next height, as the first running honest node's ledger has them.
    pub validators_at_end: Vec<vellum_protocol::PublicKey>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    Crash(NodeId),
    Restart(NodeId),
    Timer {
        node: NodeId,
        incarnation: u32,
        height: u64,
        round: u32,
        step: u8,
    },
    StartNextHeight {
        node: NodeId,
        incarnation: u32,
    },
    Deliver {
        to: NodeId,
        from: NodeId,
        msg: usize,
    },
}

/// Folds the trace into a 64-bit FNV-1a hash.
#[derive(Debug)]
struct Trace(u64);

impl Trace {
    fn add(&mut self, words: &[u64]) {
        for w in words {
            for b in w.to_be_bytes() {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
}

/// Runs `scenario` with `seed` to the end and reports what the checker saw.
pub fn run(scenario: &Scenario, seed: u64) -> Outcome {
    let keys = Keys::new(scenario.nodes);
    let workload = Arc::new(Workload::new(
        keys.clone(),
        scenario.validators,
        scenario.admin_ops.clone(),
        scenario.txs_per_block,
    ));
    let mut nodes: Vec<SimNode> = (0..scenario.nodes)
        .map(|i| {
            let behaviour = scenario.behaviour(i);
            let faults = if behaviour == Behaviour::Honest {
                scenario.faults
            } else {
                FaultInjection::default()
            };
            let config = CoreConfig {
                chain_id: CHAIN_ID.into(),
                timeouts: scenario.timeouts,
                faults,
            };
            let peers = (0..scenario.nodes).filter(|p| *p != i).collect();
            SimNode::new(
                i,
                behaviour,
                keys.nodes[i].clone(),
                config,
                peers,
                workload.clone(),
                SimRng::fork(seed, 1 + i as u64),
            )
        })
        .collect();
    let mut net = Network::new(
        scenario.link,
        scenario.partitions.clone(),
        SimRng::fork(seed, 0),
    );
    let stable_ms = scenario.stable_ms(&net);
    let deadline_ms = stable_ms + scenario.liveness_bound_ms;

    let mut queue: BinaryHeap<Reverse<(u64, u64, EventKind)>> = BinaryHeap::new();
    let mut messages: Vec<Option<NetMessage>> = Vec::new();
    let mut seq = 0u64;
    let mut alive = vec![true; scenario.nodes];
    let mut incarnation = vec![0u32; scenario.nodes];
    let mut trace = Trace(0xcbf2_9ce4_8422_2325 ^ seed);
    let mut committed: BTreeMap<u64, (NodeId, Hash)> = BTreeMap::new();
    let mut outcome = Outcome {
        violations: Vec::new(),
        min_honest_height: 0,
        commits: 0,
        evidence: 0,
        end_ms: 0,
        trace_hash: 0,
        validators_at_end: Vec::new(),
    };
    let mut height_at_stable: Option<u64> = None;
    let mut checked_certificates = std::collections::HashSet::new();

    for c in &scenario.crashes {
        seq += 1;
        queue.push(Reverse((c.at_ms, seq, EventKind::Crash(c.node))));
        if let Some(r) = c.restart_ms {
            seq += 1;
            queue.push(Reverse((r, seq, EventKind::Restart(c.node))));
        }
    }
    let honest: Vec<bool> = (0..scenario.nodes)
        .map(|i| scenario.behaviour(i) == Behaviour::Honest)
        .collect();

    let mut pending_effects: Vec<(NodeId, Vec<Effect>)> = (0..scenario.nodes)
        .map(|i| (i, nodes[i].start(0)))
        .collect();
    let mut now = 0u64;
    loop {
        for (node, effects) in pending_effects.drain(..) {
            for effect in effects {
                match effect {
                    Effect::Send { to, msg } => {
                        if let Some(at) = net.route(now, node, to) {
                            trace.add(&[now, node as u64, to as u64, msg.fingerprint()]);
                            messages.push(Some(msg));
                            seq += 1;
                            let ev = EventKind::Deliver {
                                to,
                                from: node,
                                msg: messages.len() - 1,
                            };
                            queue.push(Reverse((at, seq, ev)));
                        }
                    }
                    Effect::Timer { at_ms, timeout } => {
                        seq += 1;
                        let ev = EventKind::Timer {
                            node,
                            incarnation: incarnation[node],
                            height: timeout.height,
                            round: timeout.round,
                            step: timeout.step as u8,
                        };
                        queue.push(Reverse((at_ms, seq, ev)));
                    }
                    Effect::Committed {
                        height,
                        block,
                        certificate,
                        validators,
                    } => {
                        trace.add(&[now, node as u64, height, u64::from(block.0[0])]);
                        if !honest[node] {
                            continue;
                        }
                        outcome.commits += 1;
                        // Validity: the certificate proves the commit under the validators of
                        // this height (checked once per distinct certificate).
                        if checked_certificates.insert(certificate.hash())
                            && let Err(e) = certificate.verify(CHAIN_ID, height, block, &validators)
                        {
                            outcome.violations.push(Violation::Validity {
                                node,
                                detail: format!("certificate of height {height}: {e}"),
                            });
                        }
                        match committed.get(&height) {
                            Some((other, h)) if *h != block => {
                                outcome.violations.push(Violation::Agreement {
                                    height,
                                    first: (*other, *h),
                                    second: (node, block),
                                });
                            }
                            Some(_) => {}
                            None => {
                                committed.insert(height, (node, block));
                            }
                        }
                    }
                    Effect::StartNextHeight { at_ms } => {
                        seq += 1;
                        let ev = EventKind::StartNextHeight {
                            node,
                            incarnation: incarnation[node],
                        };
                        queue.push(Reverse((at_ms, seq, ev)));
                    }
                    Effect::Evidence(_) if honest[node] => outcome.evidence += 1,
                    Effect::Evidence(_) => {}
                    Effect::Invalid(detail) => {
                        if honest[node] {
                            outcome
                                .violations
                                .push(Violation::Validity { node, detail });
                        }
                    }
                }
            }
        }

        let running_honest = || {
            (0..scenario.nodes)
                .filter(|i| honest[*i] && alive[*i])
                .map(|i| nodes[i].height())
        };
        if now >= stable_ms && height_at_stable.is_none() {
            height_at_stable = running_honest().max();
        }
        let needed = scenario
            .target_height
            .max(height_at_stable.unwrap_or(0) + scenario.heights_after_heal);
        let done = height_at_stable.is_some() && running_honest().all(|h| h >= needed);
        let Some(Reverse((at, _, event))) = queue.pop() else {
            break;
        };
        if done || at > deadline_ms {
            if !done {
                for i in (0..scenario.nodes).filter(|i| honest[*i] && alive[*i]) {
                    if nodes[i].height() < needed {
                        let height = nodes[i].height();
                        outcome.violations.push(Violation::Liveness {
                            node: i,
                            height,
                            needed,
                        });
                    }
                }
            }
            break;
        }
        now = at;
        let (node, effects) = match event {
            EventKind::Crash(n) => {
                alive[n] = false;
                incarnation[n] += 1;
                trace.add(&[now, n as u64, 0xC0]);
                continue;
            }
            EventKind::Restart(n) => {
                alive[n] = true;
                trace.add(&[now, n as u64, 0xC1]);
                (n, nodes[n].start(now))
            }
            EventKind::Timer {
                node,
                incarnation: inc,
                height,
                round,
                step,
            } => {
                if !alive[node] || inc != incarnation[node] {
                    continue;
                }
                let step = match step {
                    0 => crate::Step::Propose,
                    1 => crate::Step::Prevote,
                    _ => crate::Step::Precommit,
                };
                (
                    node,
                    nodes[node].on_timer(
                        now,
                        Timeout {
                            height,
                            round,
                            step,
                        },
                    ),
                )
            }
            EventKind::StartNextHeight {
                node,
                incarnation: inc,
            } => {
                if !alive[node] || inc != incarnation[node] {
                    continue;
                }
                (node, nodes[node].start_next_height(now))
            }
            EventKind::Deliver { to, from, msg } => {
                let msg = messages[msg]
                    .take()
                    .expect("each message is delivered once");
                if !alive[to] {
                    continue;
                }
                (to, nodes[to].on_message(now, from, msg))
            }
        };
        pending_effects.push((node, effects));
    }

    outcome.min_honest_height = (0..scenario.nodes)
        .filter(|i| honest[*i] && alive[*i])
        .map(|i| nodes[i].height())
        .min()
        .unwrap_or(0);
    outcome.end_ms = now;
    if let Some(i) = (0..scenario.nodes).find(|i| honest[*i] && alive[*i]) {
        let set = nodes[i].disk.state.validators();
        outcome.validators_at_end = set.validators().iter().map(|v| v.key).collect();
    }
    trace.add(&[
        outcome.commits,
        outcome.min_honest_height,
        outcome.violations.len() as u64,
    ]);
    outcome.trace_hash = trace.0;
    outcome
}
