//! Tests of the report: the verdict behind the exit status, the JSON shape, the table.

use clap::Parser;

use super::*;
use crate::cli::Cli;

fn settings() -> Settings {
    let exe = std::env::current_exe().unwrap();
    Cli::try_parse_from([
        "vellum-bench",
        "--node-bin",
        exe.to_str().unwrap(),
        "--rate",
        "500",
    ])
    .unwrap()
    .resolve()
    .unwrap()
}

fn report(run: ThroughputRun) -> Report {
    let verdict = Verdict::judge(&[&run.counts], false, false);
    Report {
        tool: "vellum-bench",
        version: "0.1.0",
        mode: Mode::Throughput,
        machine: Machine {
            cores: 2,
            load_average_at_start: Some([1.0, 0.5, 0.25]),
        },
        settings: settings(),
        throughput: vec![run],
        consensus: None,
        catchup: None,
        verdict,
    }
}

#[test]
fn lost_transactions_fail_and_refusals_fail_only_under_strict() {
    let refused = Counts {
        committed: 10,
        refused: 2,
        ..Counts::default()
    };
    assert_eq!(Verdict::judge(&[&refused], false, false).exit_code, 0);
    assert_eq!(Verdict::judge(&[&refused], true, false).exit_code, 4);
    let lost = Counts {
        committed: 10,
        lost: 1,
        ..Counts::default()
    };
    let v = Verdict::judge(&[&refused, &lost], true, false);
    assert_eq!((v.exit_code, v.lost, v.refused), (3, 1, 2));
    assert_eq!(v.problems.len(), 2);
}

#[test]
fn a_smoke_run_that_commits_nothing_fails() {
    let nothing = Counts::default();
    assert_eq!(Verdict::judge(&[&nothing], false, true).exit_code, 5);
    assert_eq!(Verdict::judge(&[&nothing], false, false).exit_code, 0);
}

#[test]
fn the_json_report_has_plain_numbers_and_named_sections() {
    let mut run = ThroughputRun {
        rate: 500,
        finalized_tps: 499.5,
        latency: crate::stats::Summary::of(vec![std::time::Duration::from_millis(120)]),
        ..ThroughputRun::default()
    };
    run.counts
        .refused_by_reason
        .insert("mempool_full".into(), 3);
    let json = serde_json::to_value(report(run)).unwrap();
    assert_eq!(json["mode"], "throughput");
    assert_eq!(json["settings"]["duration"], 60.0);
    assert_eq!(json["settings"]["rates"][0], 500);
    let t = &json["throughput"][0];
    assert_eq!(t["finalized_tps"], 499.5);
    assert_eq!(t["latency"]["p50_ms"], 120.0);
    assert_eq!(t["latency"]["p999_ms"], 120.0);
    assert_eq!(t["counts"]["refused_by_reason"]["mempool_full"], 3);
    assert_eq!(json["verdict"]["exit_code"], 0);
    assert!(json["consensus"].is_null());
}

#[test]
fn the_report_is_written_and_the_table_names_the_figures() {
    let r = report(ThroughputRun {
        rate: 500,
        ..ThroughputRun::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    r.write(&path).unwrap();
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(back["throughput"][0]["rate"], 500);
    let text = table::render(&r);
    assert!(text.contains("p99.9 ms"), "{text}");
    assert!(text.contains("verdict: pass"), "{text}");
}
