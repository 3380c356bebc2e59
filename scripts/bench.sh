#!/usr/bin/env bash
# Benchmarks a fresh Vellum localnet with vellum-bench, in release mode.
#
#   scripts/bench.sh                           2000 tx/s open-loop on 4 validators, 60 s
#   scripts/bench.sh --rate 5000               another offered rate
#   scripts/bench.sh --sweep 1000,2000,5000    one fresh network per rate
#   scripts/bench.sh --mode consensus          empty blocks back to back: heights/s
#   scripts/bench.sh --mode catchup            a stopped validator catching up under load
#   scripts/bench.sh --smoke                   a few seconds at 200 tx/s (scripts/test.sh)
#   scripts/bench.sh --help                    every flag, its default, the exit statuses
#
# Builds the workspace's binaries (scripts/lib/setup.sh, build_release_bins) in
# ${CARGO_TARGET_DIR:-~/.cache/vellum-target}, then runs the bench from there; the table goes
# to stdout and the JSON report to bench-report.json (--out FILE). The bench starts its own
# network in a temporary directory and stops every node however it ends; should the bench
# itself be killed outright (SIGKILL), this script stops the nodes it had started. Run it on
# an idle machine: figures taken while other work shares the cores are not comparable.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vellum-target}"
BIN="$CARGO_TARGET_DIR/release"

source "$ROOT/scripts/lib/setup.sh"
if [[ ! -x "$BIN/vellum-node" ]]; then
    echo "bench: the first build compiles RocksDB's C++: 15 minutes or more on two cores" >&2
fi
# The workspace's binaries, as scripts/localnet.sh builds them (one build for both); with
# --node-bin the node run is the one given, whatever this builds.
build_release_bins "$ROOT"

PID_FILE="$(mktemp -t vellum-bench-pids.XXXXXX)"
# Stops any node the bench left running (it only can if it was SIGKILLed), by the ids it
# recorded, checking each is still a vellum-node, and removes the network directory it named.
cleanup() {
    local line
    while read -r line; do
        if [[ "$line" =~ ^[0-9]+$ ]]; then
            if [[ "$(cat "/proc/$line/comm" 2>/dev/null)" == vellum-node ]]; then
                kill -KILL "$line" 2>/dev/null || true
            fi
        elif [[ "$line" == "dir "* && "$(basename "${line#dir }")" == vellum-bench-* ]]; then
            rm -rf -- "${line#dir }"
        fi
    done <"$PID_FILE"
    rm -f "$PID_FILE"
}
trap cleanup EXIT

"$BIN/vellum-bench" --pid-file "$PID_FILE" "$@" &
BENCH=$!
# Ctrl-C, SIGTERM and SIGHUP are passed on; the bench stops its nodes and exits with 130.
trap 'kill -TERM "$BENCH" 2>/dev/null || true' INT TERM HUP
status=0
while true; do
    wait "$BENCH" && status=0 || status=$?
    # `wait` also returns when a trapped signal arrives: wait again until the bench is gone.
    kill -0 "$BENCH" 2>/dev/null || break
done
exit "$status"
