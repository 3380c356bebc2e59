//! Validators that stop in the middle of a height and start again from their stores.

use vellum_protocol::VoteKind;

use super::{ConsensusMessage, Net};
use crate::store::Store;

fn is_precommit(msg: &ConsensusMessage) -> bool {
    matches!(msg, ConsensusMessage::Vote(v) if v.vote.kind == VoteKind::Precommit)
}

/// Every validator precommits the proposal of height 1 and none hears a precommit; then all
/// stop, losing their mempools and every block body they held in memory. Each is locked on
/// that block and will prevote for no other (paper line 23): unless one can propose it again,
/// the chain stops. Its body was saved with the lock.
#[test]
fn validators_that_all_restart_locked_decide_the_block_they_locked_on() {
    let mut net = Net::new(4);
    let tx = net.transfer(0, 250);
    for i in 0..4 {
        net.submit(i, tx.clone());
    }
    let all_locked = |n: &Net| {
        n.stores.iter().all(|s| {
            s.load_safety()
                .unwrap()
                .is_some_and(|state| state.locked.is_some())
        })
    };
    net.run_losing(is_precommit, all_locked);
    let locked = net.stores[0]
        .load_safety()
        .unwrap()
        .unwrap()
        .locked
        .unwrap()
        .1;
    assert!(net.stores.iter().all(|s| s.latest_height().unwrap() == 0));

    net.queue.clear();
    net.timers.clear();
    for i in 0..4 {
        net.drivers[i] = Net::open(&net.stores[i], &net.keys[i], net.now);
        assert!(net.drivers[i].mempool().is_empty());
    }
    // Each resumes the height it signed at on its first tick, without waiting for a
    // transaction.
    for i in 0..4 {
        let mut effects = Vec::new();
        net.drivers[i].on_tick(net.now, &mut effects);
        net.apply(i, effects);
    }
    net.run_until(|n| n.drivers.iter().all(|d| d.state().height() >= 1));
    for s in &net.stores {
        assert_eq!(s.block(1).unwrap().unwrap().hash(), locked);
        assert!(s.tx(&tx.hash()).unwrap().is_some(), "the transfer is final");
    }
}
