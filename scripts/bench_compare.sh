#!/usr/bin/env bash
# Compares two vellum-node binaries under the same load: runs scripts/bench.sh with each in
# turn, in the order A B B A for the first two pairs, A B B A again for the next two, and so
# on, then prints every run, each pair's ratio B/A and the medians.
#
#   scripts/bench_compare.sh A_BIN B_BIN [--pairs N] [--dir DIR] [-- BENCH FLAGS...]
#   scripts/bench_compare.sh old/vellum-node new/vellum-node --pairs 4 -- --rate 15000 --duration 30
#
# Why in turn and in that order: on this kind of machine the pace drifts by tens of percent
# within minutes (docs/PERFORMANCE.md, fourteenth session), so only runs made close together
# compare, and a run can be slowed by what the one before it left behind (the page cache's
# writeback, a compaction's files), so neither binary always goes first.
#
# The measure is the steady window's finalized tx/s (`--mode consensus`: heights per second).
# Each run is a fresh localnet; its JSON report stays in DIR (default: a new temporary
# directory). Exit status: 0 when every run completed, else the first failing run's status
# (scripts/bench.sh --help lists them); 2 for bad arguments.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
A_BIN="$1"
B_BIN="$2"
shift 2
PAIRS=3
DIR=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --pairs)
        if [[ $# -lt 2 || ! "$2" =~ ^[1-9][0-9]*$ ]]; then
            echo "bench_compare: --pairs takes a number from 1" >&2
            exit 2
        fi
        PAIRS="$2"
        shift 2
        ;;
    --dir)
        [[ $# -ge 2 ]] || usage
        DIR="$2"
        shift 2
        ;;
    --)
        shift
        break
        ;;
    *)
        echo "bench_compare: unknown argument $1 (bench flags go after --)" >&2
        exit 2
        ;;
    esac
done
for bin in "$A_BIN" "$B_BIN"; do
    [[ -x "$bin" ]] || { echo "bench_compare: $bin is not an executable file" >&2; exit 2; }
done
source "$ROOT/scripts/lib/setup.sh"
ensure_apt_packages python3
DIR="${DIR:-$(mktemp -d -t vellum-bench-compare.XXXXXX)}"
mkdir -p "$DIR"

# Pair i runs A then B when i is even, B then A when it is odd: A B B A A B B A ...
order=()
for ((i = 0; i < PAIRS; i++)); do
    if ((i % 2 == 0)); then order+=(A B); else order+=(B A); fi
done
runs=()
status=0
for ((k = 0; k < ${#order[@]}; k++)); do
    which="${order[$k]}"
    bin="$A_BIN"
    [[ "$which" == B ]] && bin="$B_BIN"
    report="$DIR/run$((k + 1))-$which.json"
    echo "bench_compare: run $((k + 1)) of ${#order[@]}: $which ($bin)" >&2
    code=0
    "$ROOT/scripts/bench.sh" --node-bin "$bin" --out "$report" "$@" \
        >"$DIR/run$((k + 1))-$which.txt" 2>&1 || code=$?
    if [[ $code -ne 0 ]]; then
        echo "bench_compare: run $((k + 1)) failed with status $code;" \
            "its output: $DIR/run$((k + 1))-$which.txt" >&2
        [[ $status -ne 0 ]] || status=$code
    fi
    runs+=("$which:$report")
done

python3 - "$A_BIN" "$B_BIN" "${runs[@]}" <<'EOF'
import json, statistics, sys

a_bin, b_bin, runs = sys.argv[1], sys.argv[2], sys.argv[3:]


def measure(report):
    """The run's figure, its unit and a few words on it; no figure when there is no report."""
    try:
        with open(report) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return None, None, "no report"
    if d.get("mode") == "consensus":
        c = d["consensus"]
        return c["heights_per_s"], "heights/s", "p99 gap %.1f ms" % c["commit_interval"]["p99_ms"]
    t = d["throughput"][0]
    counts = t["counts"]
    return t["finalized_tps"], "final tx/s", "p50 %.1f ms, refused %d, lost %d" % (
        t["latency"]["p50_ms"], counts["refused"], counts["lost"])


unit = "final tx/s"
figures = {"A": [], "B": []}
pair = {}
ratios = []
print("A = %s\nB = %s\n" % (a_bin, b_bin))
for n, run in enumerate(runs):
    which, report = run.split(":", 1)
    value, run_unit, words = measure(report)
    if value is not None:
        figures[which].append(value)
        unit = run_unit
    shown = "-" if value is None else "%.1f" % value
    print("run %2d  %s  %10s  %s" % (n + 1, which, shown, words))
    pair[which] = value
    if n % 2 == 1:
        if pair.get("A") and pair.get("B") is not None:
            ratios.append(pair["B"] / pair["A"])
            print("        pair %d: B/A %.3f" % (n // 2 + 1, ratios[-1]))
        pair = {}
print()
for which in "AB":
    if figures[which]:
        print("%s median %.1f %s over %d runs" % (
            which, statistics.median(figures[which]), unit, len(figures[which])))
if ratios:
    wins = sum(r > 1 for r in ratios)
    print("B/A median %.3f (%.3f to %.3f); B ahead in %d of %d pairs" % (
        statistics.median(ratios), min(ratios), max(ratios), wins, len(ratios)))
EOF
echo "bench_compare: reports in $DIR" >&2
exit "$status"
