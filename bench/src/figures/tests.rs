//! Tests of the figures: the counts (lost against stranded), the window, the cadence, and
//! the comparison of several nodes' views.

use super::*;
use crate::book::Commit;

fn at(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

/// Six transactions over two accounts (even: account 0, odd: account 1).
fn records(t0: Instant) -> Records {
    let c = |ms, height| {
        Some(Commit {
            at: at(t0, ms),
            height,
        })
    };
    Records {
        sent: [0, 0, 1000, 1000, 2000, 2000]
            .map(|ms| Some(at(t0, ms)))
            .to_vec(),
        answer: vec![
            Answer::Accepted,
            Answer::Accepted,
            Answer::Refused(0),
            Answer::Accepted,
            Answer::Accepted,
            Answer::Accepted,
        ],
        committed: vec![c(500, 1), c(500, 1), None, c(1600, 2), None, None],
        reasons: vec!["mempool_full".into()],
        foreign: 0,
        resent: 2,
    }
}

#[test]
fn an_accepted_transaction_behind_a_refused_nonce_is_stranded_not_lost() {
    let c = counts(&records(Instant::now()), 2);
    assert_eq!(
        (c.planned, c.sent, c.accepted, c.committed, c.refused),
        (6, 6, 5, 3, 1)
    );
    // Tx 4 (account 0, after refused tx 2) is stranded; tx 5 (account 1) is lost.
    assert_eq!((c.stranded, c.lost), (1, 1));
    assert_eq!(c.refused_by_reason.get("mempool_full"), Some(&1));
    assert_eq!(c.resent, 2);
}

#[test]
fn rates_and_latencies_count_only_the_window() {
    let t0 = Instant::now();
    let r = records(t0);
    let w = Window {
        from: at(t0, 1000),
        to: at(t0, 3000),
    };
    assert_eq!(offered_tps(&r, w), 2.0, "4 sent in 2 s");
    assert_eq!(finalized_tps(&r, w), 0.5, "1 committed in 2 s");
    // Only tx 3 was sent in the window and committed: 600 ms.
    assert_eq!(latencies(&r, w), vec![Duration::from_millis(600)]);
}

fn arrival(t0: Instant, ms: u64, height: u64, hash: u8) -> Arrival {
    Arrival {
        at: at(t0, ms),
        height,
        hash: Hash([hash; 32]),
        txs: height as u32,
        time_ms: 1_000 + ms,
        round: u32::from(height.is_multiple_of(3)),
    }
}

#[test]
fn blocks_in_the_window_give_the_cadence() {
    let t0 = Instant::now();
    let arrivals: Vec<Arrival> = [(0, 1), (100, 2), (150, 3), (400, 4)]
        .map(|(ms, h)| arrival(t0, ms, h, 0))
        .to_vec();
    let w = Window {
        from: at(t0, 50),
        to: at(t0, 1050),
    };
    let b = blocks(&arrivals, w);
    assert_eq!((b.in_window, b.max_txs), (3, 4));
    assert_eq!(b.later_rounds, 1, "height 3 was decided in round 1");
    assert_eq!(b.per_second, 3.0);
    assert_eq!(
        intervals(&arrivals, w),
        vec![Duration::from_millis(50), Duration::from_millis(250)]
    );
    assert_eq!(
        block_time_intervals(&arrivals, w)[1],
        Duration::from_millis(250)
    );
}

#[test]
fn views_are_compared_by_height_with_the_first_node() {
    let t0 = Instant::now();
    let node0 = vec![arrival(t0, 10, 1, 1), arrival(t0, 20, 2, 2)];
    let node1 = vec![arrival(t0, 5, 1, 1), arrival(t0, 30, 2, 9)];
    let views = compare(&["node0".into(), "node1".into()], &[node0, node1]);
    assert_eq!((views[0].mismatched, views[1].mismatched), (0, 1));
    // node0 got height 1 5 ms after node1; node1 got height 2 10 ms after node0.
    assert_eq!(views[0].lag.max_ms, Some(5.0));
    assert_eq!(views[1].lag.max_ms, Some(10.0));
}
