//! The deterministic simulator: n consensus cores with real ledgers in virtual time.
//!
//! A seeded discrete-event simulation (after Mysticeti's `simulator.rs`): per-link latency,
//! jitter and loss, partitions that form and heal, crashes and restarts that keep only what
//! was persisted, and Byzantine nodes as small named actors. Every run is checked for
//! agreement, validity, liveness after the network heals, and determinism.

pub mod byzantine;
pub mod engine;
pub mod message;
pub mod network;
pub mod node;
pub mod rng;
pub mod verifier;
pub mod workload;

pub use byzantine::Behaviour;
pub use engine::{Crash, Outcome, Scenario, Violation, run};
pub use network::{LinkModel, NodeId, Partition};
