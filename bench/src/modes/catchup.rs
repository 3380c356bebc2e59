//! Catch-up: the last validator is stopped, the others take load at `--rate` until `--behind`
//! transactions have committed, then it is restarted while the load goes on. Its
//! `chain_status` is polled every 100 ms from its first answer until it reaches the head of
//! the chain (node0's latest block): its heights and transactions applied per second, against
//! the chain's own growth under that load before the restart, give the ratio (above 1, it
//! gains on the chain; below, it never catches up at that load).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::sync::watch;
use vellum_protocol::rpc::VellumApiClient;

use super::{Processes, WindowUsage, drain, localnet, presign};
use crate::accounts::Accounts;
use crate::book::TxBook;
use crate::cli::Settings;
use crate::figures::{self, Window};
use crate::load::Plan;
use crate::load::send::send;
use crate::localnet::Localnet;
use crate::observe::{Arrival, Observer};
use crate::progress;
use crate::report::{CatchupRun, HeightPoll};
use crate::schedule::Schedule;

const POLL: Duration = Duration::from_millis(100);

pub async fn run(s: &Settings) -> Result<CatchupRun> {
    let rate = s.rates[0];
    let victim = s.validators - 1;
    let live: Vec<usize> = (0..victim).collect();
    let fill = Duration::from_secs_f64(s.behind as f64 / rate as f64);
    // Load for the warm-up, the falling behind, and the whole catch-up budget.
    let length = s.warmup + fill + s.catchup_timeout + Duration::from_secs(10);
    let schedule = Schedule::new(rate, s.batch_interval, length);
    let accounts = Arc::new(Accounts::new(s.accounts));
    let mut net = localnet(s, Some(&accounts))?;
    let valid_for = s.start_timeout + length + s.drain + Duration::from_secs(600);
    let signed = presign(accounts.clone(), schedule.total(), valid_for, s.signers).await?;
    let book = Arc::new(TxBook::new(&signed.hashes));
    drop(signed.hashes);
    let plan = Plan::new(schedule, signed.hex, accounts.len(), &live);

    progress!("starting {} nodes", net.len());
    net.start_all()?;
    let all: Vec<usize> = (0..net.len()).collect();
    net.wait_ready(&all, (net.len() - 1) as u32, s.start_timeout)
        .await?;
    let stopped_at_height = net.client(victim).chain_status().await?.height;
    net.stop(victim);
    progress!("stopped {} at height {stopped_at_height}", net.name(victim));
    let observer = Observer::start(net.ws_url(0), None, Some(book.clone())).await?;
    let start = Instant::now() + Duration::from_millis(200);
    let (stop, stopped) = watch::channel(false);
    let sending = send(
        plan,
        net.clients().to_vec(),
        book.clone(),
        start,
        None,
        stopped,
    );
    let watching = async {
        let phases = watch_catchup(&mut net, &observer, &book, s, start, victim).await;
        let _ = stop.send(true);
        phases
    };
    let (sent, phases) = tokio::join!(sending, watching);
    let phases = phases?;
    drain(
        &mut net,
        &book,
        accounts.len(),
        &observer,
        sent.last_sent,
        s.drain,
    )
    .await?;
    let blocks = observer.finish().await?;
    let counts = book.with(|r| figures::counts(r, accounts.len()));

    let before = Window {
        from: start + s.warmup,
        to: phases.restarted,
    };
    let (chain_hps, chain_tps) = growth(&blocks, before);
    let (t1, h1) = phases
        .first_answer
        .unwrap_or((phases.restarted, stopped_at_height));
    let (t2, h2) = phases.last_answer.unwrap_or((t1, h1));
    let during = Window { from: t1, to: t2 };
    let (during_hps, during_tps) = growth(&blocks, during);
    let secs = during.secs();
    let applied_txs: u64 = blocks
        .iter()
        .filter(|b| b.height > h1 && b.height <= h2)
        .map(|b| u64::from(b.txs))
        .sum();
    let per_s = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
    let catchup_hps = per_s(h2.saturating_sub(h1) as f64);
    let catchup_tps = per_s(applied_txs as f64);
    let ratio = |a: f64, b: f64| (b > 0.0 && secs > 0.0).then(|| a / b);
    Ok(CatchupRun {
        rate,
        behind_target: s.behind,
        stopped_node: net.name(victim).to_string(),
        chain_heights_per_s: chain_hps,
        chain_tps,
        stopped_at_height,
        restarted_at_chain_height: phases.chain_height_at_restart,
        restart_to_rpc_s: phases
            .first_answer
            .map(|(t, _)| t.saturating_duration_since(phases.restarted).as_secs_f64()),
        caught_up: phases.caught_up,
        catchup_s: secs,
        from_height: h1,
        to_height: h2,
        catchup_heights_per_s: catchup_hps,
        catchup_tps,
        chain_during_catchup_heights_per_s: during_hps,
        chain_during_catchup_tps: during_tps,
        ratio_heights: ratio(catchup_hps, chain_hps),
        ratio_tps: ratio(catchup_tps, chain_tps),
        counts,
        nodes: phases.usage.nodes,
        machine: phases.usage.machine,
        polls: phases.polls,
    })
}

/// Heights and transactions per second of the blocks that arrived in `w`.
fn growth(blocks: &[Arrival], w: Window) -> (f64, f64) {
    let view = figures::blocks(blocks, w);
    (view.per_second, view.per_second * view.mean_txs)
}

/// What happened around the restart.
#[derive(Debug)]
struct Phases {
    restarted: Instant,
    chain_height_at_restart: u64,
    /// The restarted node's first and last `chain_status` answers: when, and its height.
    first_answer: Option<(Instant, u64)>,
    last_answer: Option<(Instant, u64)>,
    caught_up: bool,
    /// Every answer: seconds since the restart, and the height.
    polls: Vec<HeightPoll>,
    usage: WindowUsage,
}

/// Waits for `--behind` committed transactions, restarts `victim`, and polls it until it
/// reaches node0's latest height or `--catchup-timeout` passes.
async fn watch_catchup(
    net: &mut Localnet,
    observer: &Observer,
    book: &TxBook,
    s: &Settings,
    start: Instant,
    victim: usize,
) -> Result<Phases> {
    let expected = Duration::from_secs_f64(s.behind as f64 / s.rates[0] as f64);
    let deadline = start + s.warmup + expected * 3 + Duration::from_secs(30);
    progress!(
        "loading the other nodes until {} transactions commit",
        s.behind
    );
    loop {
        let committed = book.committed_count() as u64;
        if committed >= s.behind {
            break;
        }
        if Instant::now() >= deadline {
            bail!(
                "only {committed} of {} transactions committed within {:.0} s; lower --behind \
                 or --rate",
                s.behind,
                deadline.saturating_duration_since(start).as_secs_f64()
            );
        }
        net.check_alive()?;
        observer.check()?;
        tokio::time::sleep(POLL).await;
    }
    let chain_height_at_restart = observer.latest_height().unwrap_or(0);
    let restarted = Instant::now();
    net.start(victim)?;
    progress!(
        "restarted {} with the chain at height {chain_height_at_restart}",
        net.name(victim)
    );
    let deadline = restarted + s.catchup_timeout;
    let mut phases = Phases {
        restarted,
        chain_height_at_restart,
        first_answer: None,
        last_answer: None,
        caught_up: false,
        polls: Vec::new(),
        usage: WindowUsage::default(),
    };
    let mut processes = None;
    while Instant::now() < deadline {
        net.check_alive()?;
        observer.check()?;
        let status = tokio::time::timeout(POLL * 10, net.client(victim).chain_status()).await;
        if let Ok(Ok(status)) = status {
            let now = Instant::now();
            if phases.first_answer.is_none() {
                phases.first_answer = Some((now, status.height));
                let p = Processes::of(net);
                let start = p.begin();
                processes = Some((p, start));
            }
            phases.last_answer = Some((now, status.height));
            phases.polls.push(HeightPoll {
                after_restart_s: now.saturating_duration_since(restarted).as_secs_f64(),
                height: status.height,
            });
            if status.height >= observer.latest_height().unwrap_or(0) {
                phases.caught_up = true;
                break;
            }
        }
        tokio::time::sleep(POLL).await;
    }
    if let Some((p, start)) = processes {
        phases.usage = p.end(start);
    }
    Ok(phases)
}
