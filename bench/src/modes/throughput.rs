//! Throughput at one offered rate: a fresh network, the load pre-signed, offered open-loop to
//! every node for warm-up + duration, then drained; the figures come from the steady window
//! (see [`crate::figures`] for their definitions).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::watch;

use super::{Processes, drain, localnet, observers, presign};
use crate::accounts::{Accounts, latency_headroom_secs};
use crate::book::TxBook;
use crate::cli::Settings;
use crate::figures::{self, Window};
use crate::load::Plan;
use crate::load::send::{Resend, send};
use crate::progress;
use crate::report::{SenderView, ThroughputRun};
use crate::schedule::Schedule;
use crate::stats::Summary;

/// A tick sent later than this after it was due counts as late.
const LATE: Duration = Duration::from_millis(5);

pub async fn run(s: &Settings, rate: u64) -> Result<ThroughputRun> {
    let headroom = latency_headroom_secs(rate, s.accounts);
    if headroom < 5.0 {
        progress!(
            "warning: at {rate} tx/s over {} accounts, an account reaches the node's limit of \
             pending transactions once latency passes {headroom:.1} s; raise --accounts",
            s.accounts
        );
    }
    let accounts = Arc::new(Accounts::new(s.accounts));
    let schedule = Schedule::new(rate, s.batch_interval, s.warmup + s.duration);
    let mut net = localnet(s, Some(&accounts))?;
    let valid_for = s.start_timeout + s.warmup + s.duration + s.drain + Duration::from_secs(600);
    let signed = presign(accounts.clone(), schedule.total(), valid_for, s.signers).await?;
    let book = Arc::new(TxBook::new(&signed.hashes));
    drop(signed.hashes);
    let nodes: Vec<usize> = (0..net.len()).collect();
    let plan = Plan::new(schedule, signed.hex, accounts.len(), &nodes);

    progress!("starting {} nodes", net.len());
    net.start_all()?;
    net.wait_ready(&nodes, (net.len() - 1) as u32, s.start_timeout)
        .await?;
    let observers = observers(&net, s.observe_all, Some(book.clone())).await?;
    let start = Instant::now() + Duration::from_millis(200);
    let window = Window {
        from: start + s.warmup,
        to: start + s.warmup + s.duration,
    };
    let usage = Processes::of(&net).measure(window.from, window.to);
    progress!(
        "offering {rate} tx/s for {:.1} s ({:.1} s warm-up)",
        (s.warmup + s.duration).as_secs_f64(),
        s.warmup.as_secs_f64()
    );
    let (_stop, never) = watch::channel(false);
    // Resending ends with the offered load: the drain only waits.
    let resend = s.resend.map(|after| Resend {
        after,
        until: window.to,
    });
    let sent = send(
        plan,
        net.clients().to_vec(),
        book.clone(),
        start,
        resend,
        never,
    )
    .await;
    drain(
        &mut net,
        &book,
        accounts.len(),
        &observers[0],
        sent.last_sent,
        s.drain,
    )
    .await?;
    let usage = usage.await?;

    let mut views = Vec::new();
    for o in observers {
        views.push(o.finish().await?);
    }
    let names: Vec<String> = (0..net.len()).map(|i| net.name(i).to_string()).collect();
    drop(net);

    let (counts, offered, finalized, latency, last_commit) = book.with(|r| {
        let last_commit = r
            .committed
            .iter()
            .zip(&r.answer)
            .filter(|(_, a)| **a == crate::book::Answer::Accepted)
            .filter_map(|(c, _)| c.map(|c| c.at))
            .max();
        (
            figures::counts(r, accounts.len()),
            figures::offered_tps(r, window),
            figures::finalized_tps(r, window),
            figures::latencies(r, window),
            last_commit,
        )
    });
    let drained = counts.lost == 0;
    Ok(ThroughputRun {
        rate,
        validators: s.validators,
        accounts: s.accounts,
        latency_headroom_s: headroom,
        window_s: window.secs(),
        offered_tps: offered,
        finalized_tps: finalized,
        latency: Summary::of(latency),
        rpc_round_trip: Summary::of(sent.round_trips),
        sender: SenderView {
            batches: sent.batches,
            max_in_flight: sent.max_in_flight,
            late_ticks: sent.lateness.iter().filter(|l| **l > LATE).count(),
            lateness: Summary::of(sent.lateness),
            stopped_early: sent.stopped,
        },
        blocks: figures::blocks(&views[0], window),
        drain_s: drained.then(|| {
            last_commit.map_or(0.0, |t| {
                t.saturating_duration_since(sent.last_sent).as_secs_f64()
            })
        }),
        nodes: usage.nodes,
        bench: usage.bench,
        machine: usage.machine,
        observers: if views.len() > 1 {
            figures::compare(&names, &views)
        } else {
            Vec::new()
        },
        counts,
    })
}
