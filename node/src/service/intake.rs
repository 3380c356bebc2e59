//! Network events, taken together: every event already waiting behind the first is handled in
//! the same turn, and the transaction batches peers gossiped in that turn are gathered for one
//! mempool call with the turn's RPC submissions ([`super::admission`]), or dropped while the
//! node is catching up.
//!
//! Each peer gossips what its RPC clients submitted, one batch per admission; under load a node
//! receives many small batches between two turns of its task. Admitting them one by one
//! verifies signatures in batches of a few, where larger batches cost less per signature; so
//! they are admitted together, and with the RPC submissions waiting at the same time.
//! Consensus messages of the turn go first, the transactions after them: a vote does not wait
//! for a signature batch, and a proposal that holds some of the transactions verifies them
//! once (the admission then finds them in the signature cache). A compact proposal whose
//! transactions are among those gathered waits for their admission (`Driver::fill_waiting`).

use tokio::sync::mpsc;
use vellum_protocol::SignedTransaction;

use super::admission::MAX_COALESCED;
use crate::driver::{Driver, Effect};
use crate::network::validate::Checked;
use crate::network::{ConsensusMessage, NetworkEvent};

/// Most network events handled in one turn (timers and commands wait no longer than this).
pub const MAX_EVENTS_PER_TURN: usize = 256;

/// Handles `first` (if any) and the events already queued behind it, and returns the
/// transactions peers gossiped in them, for the caller to admit together with the RPC
/// submissions of the turn ([`super::admission::take_commands`]); with the `held` ones
/// already gathered, at most about [`MAX_COALESCED`] are taken. While `catching_up` (far
/// behind the chain, fetching blocks), transaction batches are dropped: they belong to a chain
/// this node has not reached, most are in the blocks it is fetching, and the validators that
/// took them hold them, so nothing is lost; verifying them would slow the catch-up.
pub fn take_events(
    first: Option<NetworkEvent>,
    events: &mut mpsc::Receiver<NetworkEvent>,
    catching_up: bool,
    held: usize,
    driver: &mut Driver,
    now_ms: impl Fn() -> u64,
    effects: &mut Vec<Effect>,
) -> Vec<SignedTransaction> {
    let mut txs: Vec<SignedTransaction> = Vec::new();
    let mut taken = 0;
    let mut next = first.or_else(|| events.try_recv().ok());
    while let Some(event) = next.take() {
        taken += 1;
        match event {
            NetworkEvent::Transactions(_) if catching_up => {}
            NetworkEvent::Transactions(batch) => txs.extend(batch),
            NetworkEvent::Consensus(Checked::Vote(vote)) => {
                driver.on_message(ConsensusMessage::Vote(vote), now_ms(), effects)
            }
            NetworkEvent::Consensus(Checked::Proposal {
                proposal,
                block,
                tx_hashes,
            }) => driver.on_checked_proposal(proposal, block, tx_hashes, now_ms(), effects),
            NetworkEvent::Consensus(Checked::CompactProposal {
                proposal,
                outline,
                tx_hashes,
            }) => driver.on_checked_compact(proposal, outline, tx_hashes, now_ms(), effects),
            NetworkEvent::PeerConnected(peer) => {
                tracing::info!(%peer, "peer connected");
                // A peer may be ahead (this node was down): ask it for what follows.
                effects.push(Effect::Sync {
                    from_height: driver.state().height() + 1,
                });
            }
            NetworkEvent::PeerDisconnected(peer) => tracing::info!(%peer, "peer disconnected"),
            NetworkEvent::PeerRefused(peer) => {
                tracing::warn!(%peer, "refused a peer that is not a validator or observer")
            }
        }
        if taken < MAX_EVENTS_PER_TURN && held + txs.len() < MAX_COALESCED {
            next = events.try_recv().ok();
        }
    }
    txs
}
