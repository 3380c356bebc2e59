//! The simulated network: per-link latency, jitter and loss, and partitions that form and heal.
//!
//! Partitions are lists of groups; while one is active a message passes only if some group
//! holds both ends. A node may sit in several groups (a Byzantine node bridging both sides).

use super::rng::SimRng;

/// Node index in the simulation.
pub type NodeId = usize;

/// How every link behaves (milliseconds and per-mille loss).
#[derive(Debug, Clone, Copy)]
pub struct LinkModel {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub loss_per_mille: u32,
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel {
            latency_ms: 5,
            jitter_ms: 5,
            loss_per_mille: 0,
        }
    }
}

/// A partition active in `[from_ms, heal_ms)`.
#[derive(Debug, Clone)]
pub struct Partition {
    pub from_ms: u64,
    pub heal_ms: u64,
    pub groups: Vec<Vec<NodeId>>,
}

impl Partition {
    /// `count` short partitions, 100 ms every 200 ms from 100 ms on, each isolating one of
    /// nodes 0-2 in turn from the other two, with node 3 (a Byzantine node, say) on both sides.
    pub fn flapping(count: u64) -> Vec<Partition> {
        (0..count)
            .map(|k| {
                let alone = (k % 3) as usize;
                Partition {
                    from_ms: k * 200 + 100,
                    heal_ms: k * 200 + 200,
                    groups: vec![vec![alone, 3], vec![(alone + 1) % 3, (alone + 2) % 3, 3]],
                }
            })
            .collect()
    }

    fn separates(&self, a: NodeId, b: NodeId) -> bool {
        !self.groups.iter().any(|g| g.contains(&a) && g.contains(&b))
    }
}

/// Decides whether and when each message arrives.
#[derive(Debug)]
pub struct Network {
    link: LinkModel,
    partitions: Vec<Partition>,
    rng: SimRng,
}

impl Network {
    pub fn new(link: LinkModel, partitions: Vec<Partition>, rng: SimRng) -> Network {
        Network {
            link,
            partitions,
            rng,
        }
    }

    /// The arrival time of a message sent at `now_ms`, or `None` if it is lost or cut.
    pub fn route(&mut self, now_ms: u64, from: NodeId, to: NodeId) -> Option<u64> {
        let cut = self
            .partitions
            .iter()
            .any(|p| p.from_ms <= now_ms && now_ms < p.heal_ms && p.separates(from, to));
        if cut || (self.link.loss_per_mille > 0 && self.rng.chance(self.link.loss_per_mille)) {
            return None;
        }
        let jitter = if self.link.jitter_ms > 0 {
            self.rng.below(self.link.jitter_ms + 1)
        } else {
            0
        };
        Some(now_ms + self.link.latency_ms + jitter)
    }

    /// When the last partition heals (0 if none).
    pub fn last_heal_ms(&self) -> u64 {
        self.partitions.iter().map(|p| p.heal_ms).max().unwrap_or(0)
    }
}
