//! Consensus alone: no transactions, each node's heartbeat (`--heartbeat-ms`, default 1)
//! asking for an empty block right after the last commit, so heights follow each other as
//! fast as the consensus and the node's loop allow. Heights per second and the time between
//! commits come from the arrival instants on node0's subscription over the steady window.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::{Processes, localnet, observers};
use crate::cli::Settings;
use crate::figures::{self, Window};
use crate::progress;
use crate::report::ConsensusRun;
use crate::stats::Summary;

pub async fn run(s: &Settings) -> Result<ConsensusRun> {
    if s.heartbeat_ms == 0 {
        bail!("--heartbeat-ms 0 makes no empty blocks, so nothing would commit; leave it out");
    }
    let mut net = localnet(s, None)?;
    progress!(
        "starting {} nodes, heartbeat {} ms",
        net.len(),
        s.heartbeat_ms
    );
    net.start_all()?;
    let all: Vec<usize> = (0..net.len()).collect();
    net.wait_ready(&all, (net.len() - 1) as u32, s.start_timeout)
        .await?;
    let mut observers = observers(&net, false, None).await?;
    let start = Instant::now();
    let window = Window {
        from: start + s.warmup,
        to: start + s.warmup + s.duration,
    };
    let usage = Processes::of(&net).measure(window.from, window.to);
    progress!(
        "watching empty blocks for {:.1} s ({:.1} s warm-up)",
        (s.warmup + s.duration).as_secs_f64(),
        s.warmup.as_secs_f64()
    );
    while Instant::now() < window.to {
        net.check_alive()?;
        observers[0].check()?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let usage = usage.await?;
    let blocks = observers.remove(0).finish().await?;
    let in_window = figures::blocks(&blocks, window);
    if in_window.in_window == 0 {
        bail!(
            "no block committed in the {:.1} s window; the end of node0's log:\n{}",
            window.secs(),
            net.log_tail(0, 15)
        );
    }
    Ok(ConsensusRun {
        validators: s.validators,
        heartbeat_ms: s.heartbeat_ms,
        window_s: window.secs(),
        heights: in_window.in_window,
        heights_per_s: in_window.per_second,
        commit_interval: in_window.interval,
        block_time_interval: Summary::of(figures::block_time_intervals(&blocks, window)),
        nodes: usage.nodes,
        bench: usage.bench,
        machine: usage.machine,
    })
}
