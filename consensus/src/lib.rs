//! The Tendermint BFT core as a pure state machine, its safety guard, and the seeded simulator that tests it.
//!
//! # Layout
//! - [`types`]: inputs, outputs, timeouts and the persisted safety state.
//! - [`core`]: the round logic of Buchman, Kwon and Milosevic, "The latest gossip on BFT
//!   consensus" (2018), Algorithm 1, as `Core::step(now, input) -> Vec<Output>`.
//! - [`guard`]: the only signer; refuses conflicting votes and asks for persistence first.
//! - [`tally`]: votes per round and step, quorums by power, equivocation evidence.
//! - [`proposer`]: proposer rotation weighted by voting power over (height, round).
//! - `sim` (feature `sim`): the seeded discrete-event simulator used by the tests.
//!
//! No IO, no clock, no randomness: time comes in as an argument, randomness as a seed.

pub mod core;
pub mod guard;
pub mod proposer;
pub mod tally;
pub mod types;

#[cfg(feature = "sim")]
pub mod sim;

pub use crate::core::Core;
pub use guard::SafetyGuard;
pub use types::*;

/// Safety rules that a test may switch off to prove the simulator's checker can fail.
#[cfg(feature = "sim")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultInjection {
    /// Prevote for any valid proposal, ignoring the lock (paper lines 23 and 29).
    pub ignore_lock: bool,
}
