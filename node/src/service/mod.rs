//! The running node: shared view, RPC backend, and the task that drives consensus.

pub(crate) mod admission;
mod announce;
pub mod backend;
mod effects;
pub(crate) mod intake;
mod proposed;
pub mod run;
pub mod shared;
pub mod views;

#[cfg(test)]
mod tests;
