//! Validators that stop in the middle of a height and start again from their stores.

use vellum_protocol::VoteKind;

use super::{ConsensusMessage, Effect, Net};
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

/// What a validator signs is saved with its safety state, and a restarted validator sends it
/// again as it was and stays in its round: its peers, which may have lost those votes too, can
/// complete the round's quorums; moving on alone could leave them waiting there.
#[test]
fn a_restarted_validator_sends_its_saved_votes_again_and_stays_in_its_round() {
    let mut net = Net::new(4);
    let tx = net.transfer(0, 250);
    for i in 0..4 {
        net.submit(i, tx.clone());
    }
    let locked = |n: &Net| {
        n.stores[0]
            .load_safety()
            .unwrap()
            .is_some_and(|state| state.locked.is_some())
    };
    net.run_losing(is_precommit, locked);
    let record = net.stores[0].safety_record().unwrap().unwrap();
    let (round, block) = record.safety.locked.unwrap();
    // Its prevote and precommit of the round, and the lock's proof: 2f+1 prevotes for it.
    let kinds: Vec<_> = record
        .recovery
        .own_votes
        .iter()
        .map(|v| (v.vote.kind, v.vote.round, v.vote.block))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (VoteKind::Prevote, round, Some(block)),
            (VoteKind::Precommit, round, Some(block))
        ]
    );
    let proof = record.recovery.lock_proof.clone().unwrap();
    assert_eq!((proof.round, proof.block), (round, block));
    assert!(proof.prevotes.len() >= 3);

    let mut restarted = Net::open(&net.stores[0], &net.keys[0], net.now);
    let mut effects = Vec::new();
    restarted.on_tick(net.now, &mut effects);
    let sent: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Broadcast(ConsensusMessage::Vote(v)) => Some(*v),
            _ => None,
        })
        .collect();
    assert_eq!(sent, record.recovery.own_votes);
    assert_eq!(restarted.round(), round);
    // Nothing was signed again: the record is as it was.
    assert_eq!(net.stores[0].safety_record().unwrap().unwrap(), record);
}
