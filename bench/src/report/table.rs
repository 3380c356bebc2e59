//! The report as text for people: one table per mode, then each node's CPU and memory, and the
//! verdict.

use std::fmt::Write;

use super::{CatchupRun, ConsensusRun, Counts, Report, ThroughputRun};
use crate::procfs::{MachineUsage, Usage};

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// The whole report as text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let load = m.load_average_at_start.map_or("unknown".into(), |l| {
        format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2])
    });
    let _ = writeln!(
        out,
        "machine: {} cores, load average at start {load}",
        m.cores
    );
    if !report.throughput.is_empty() {
        throughput(&mut out, &report.throughput);
    }
    if let Some(c) = &report.consensus {
        consensus(&mut out, c);
    }
    if let Some(c) = &report.catchup {
        catchup(&mut out, c);
    }
    let v = &report.verdict;
    if v.problems.is_empty() {
        let _ = writeln!(
            out,
            "\nverdict: pass ({} committed, {} refused, 0 lost)",
            v.committed, v.refused
        );
    } else {
        let _ = writeln!(out, "\nverdict: FAIL: {}", v.problems.join("; "));
    }
    out
}

fn throughput(out: &mut String, runs: &[ThroughputRun]) {
    let first = &runs[0];
    let _ = writeln!(
        out,
        "\nthroughput: {} validators, {} accounts, steady window {:.1} s\n",
        first.validators, first.accounts, first.window_s
    );
    let _ = writeln!(
        out,
        "{:>7} {:>9} {:>10} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>6} {:>8} {:>8} {:>8}",
        "rate",
        "offered",
        "final/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "refused",
        "lost",
        "drain s",
        "blocks/s",
        "tx/block"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{:>7} {:>9.1} {:>10.1} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>6} {:>8} {:>8.1} {:>8.1}",
            r.rate,
            r.offered_tps,
            r.finalized_tps,
            ms(r.latency.p50_ms),
            ms(r.latency.p90_ms),
            ms(r.latency.p99_ms),
            ms(r.latency.p999_ms),
            ms(r.latency.max_ms),
            r.counts.refused,
            r.counts.lost,
            opt(r.drain_s, 2),
            r.blocks.per_second,
            r.blocks.mean_txs,
        );
    }
    for r in runs {
        let _ = writeln!(out, "\nat {} tx/s:", r.rate);
        counts(out, &r.counts);
        let _ = writeln!(
            out,
            "  rpc round trip p50 {} ms, p99 {} ms; sender: {} batches, up to {} in flight, {} late ticks (p99 lateness {} ms)",
            ms(r.rpc_round_trip.p50_ms),
            ms(r.rpc_round_trip.p99_ms),
            r.sender.batches,
            r.sender.max_in_flight,
            r.sender.late_ticks,
            ms(r.sender.lateness.p99_ms),
        );
        let _ = writeln!(
            out,
            "  commit interval p50 {} ms, p99 {} ms, longest {} ms; largest block {} txs; {} heights decided after round 0; latency headroom before the per-account limit {:.1} s",
            ms(r.blocks.interval.p50_ms),
            ms(r.blocks.interval.p99_ms),
            ms(r.blocks.interval.max_ms),
            r.blocks.max_txs,
            r.blocks.later_rounds,
            r.latency_headroom_s,
        );
        usage(out, &r.nodes, Some(&r.bench));
        machine(out, r.machine.as_ref());
        for o in &r.observers {
            let _ = writeln!(
                out,
                "  {} saw {} blocks, {} differing from node0's, lag behind the first arrival p50 {} ms p99 {} ms",
                o.name,
                o.blocks,
                o.mismatched,
                ms(o.lag.p50_ms),
                ms(o.lag.p99_ms)
            );
        }
    }
}

fn counts(out: &mut String, c: &Counts) {
    let _ = writeln!(
        out,
        "  planned {}, sent {}, accepted {}, committed {}, refused {}, lost {}, stranded {}, committed after an error answer {}",
        c.planned,
        c.sent,
        c.accepted,
        c.committed,
        c.refused,
        c.lost,
        c.stranded,
        c.committed_after_refusal
    );
    if !c.refused_by_reason.is_empty() {
        let reasons: Vec<String> = c
            .refused_by_reason
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let _ = writeln!(out, "  refused by reason: {}", reasons.join(", "));
    }
    if c.resent > 0 {
        let _ = writeln!(
            out,
            "  sent again after a refusal: {} times (latency counts from the first send)",
            c.resent
        );
    }
    if c.foreign > 0 {
        let _ = writeln!(
            out,
            "  {} transactions in blocks were not the bench's",
            c.foreign
        );
    }
}

fn usage(out: &mut String, nodes: &[Usage], bench: Option<&Usage>) {
    let _ = writeln!(out, "  {:<8} {:>8} {:>12}", "process", "cpu %", "peak MiB");
    for u in nodes.iter().chain(bench) {
        let _ = writeln!(
            out,
            "  {:<8} {:>8} {:>12}",
            u.name,
            opt(u.cpu_percent, 1),
            opt(u.peak_rss_mib, 1)
        );
    }
}

/// How busy the machine's cores were, and how much of their time the hypervisor took: runs
/// with much stolen time are slow for reasons of their own.
fn machine(out: &mut String, m: Option<&MachineUsage>) {
    if let Some(m) = m {
        let _ = writeln!(
            out,
            "  machine: {} cores {:.1}% busy, {:.1}% stolen by the hypervisor",
            m.cores, m.busy_percent, m.steal_percent
        );
    }
}

fn consensus(out: &mut String, c: &ConsensusRun) {
    let _ = writeln!(
        out,
        "\nconsensus: {} validators, heartbeat {} ms, no transactions, window {:.1} s\n",
        c.validators, c.heartbeat_ms, c.window_s
    );
    let _ = writeln!(
        out,
        "  {} heights, {:.1} heights/s; time between commits p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
        c.heights,
        c.heights_per_s,
        ms(c.commit_interval.p50_ms),
        ms(c.commit_interval.p90_ms),
        ms(c.commit_interval.p99_ms),
        ms(c.commit_interval.max_ms)
    );
    let _ = writeln!(
        out,
        "  by the blocks' own timestamps: p50 {} ms, p99 {} ms",
        ms(c.block_time_interval.p50_ms),
        ms(c.block_time_interval.p99_ms)
    );
    usage(out, &c.nodes, Some(&c.bench));
    machine(out, c.machine.as_ref());
}

fn catchup(out: &mut String, c: &CatchupRun) {
    let _ = writeln!(
        out,
        "\ncatch-up: {} stopped at height {}, load {} tx/s until {} more transactions committed\n",
        c.stopped_node, c.stopped_at_height, c.rate, c.behind_target
    );
    let _ = writeln!(
        out,
        "  chain while it was down: {:.1} heights/s, {:.1} tx/s; restarted at chain height {}, RPC after {} s",
        c.chain_heights_per_s,
        c.chain_tps,
        c.restarted_at_chain_height,
        opt(c.restart_to_rpc_s, 2)
    );
    let _ = writeln!(
        out,
        "  {} heights {}..{} in {:.2} s: {:.1} heights/s, {:.1} tx/s (chain meanwhile {:.1} heights/s, {:.1} tx/s)",
        if c.caught_up {
            "caught up,"
        } else {
            "NOT caught up,"
        },
        c.from_height,
        c.to_height,
        c.catchup_s,
        c.catchup_heights_per_s,
        c.catchup_tps,
        c.chain_during_catchup_heights_per_s,
        c.chain_during_catchup_tps
    );
    let _ = writeln!(
        out,
        "  ratio to the chain's growth under load: heights x{}, tx x{}",
        opt(c.ratio_heights, 2),
        opt(c.ratio_tps, 2)
    );
    counts(out, &c.counts);
    usage(out, &c.nodes, None);
    machine(out, c.machine.as_ref());
}
