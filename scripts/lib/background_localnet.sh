# Shared by the end-to-end tests: runs scripts/localnet.sh in the background on free ports in a
# temporary directory, waits until it is ready, and makes sure nothing it started outlives the
# test. Sourced, not run. Sets WORK (the test's directory), NET (the network) and RPC (urls).

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vellum-target}"
WORK="$(mktemp -d)"
NET="$WORK/localnet"
LOCALNET_PID=""
TEST_NAME="${TEST_NAME:-e2e}"

fail() {
    echo "$TEST_NAME: FAILED: $*" >&2
    exit 1
}

# Every process the localnet or the test started, from the pid files.
started_pids() { cat "$NET"/pids/*.pid 2>/dev/null || true; }

cleanup_localnet() {
    local status=$?
    local pids
    pids="$(started_pids)"
    if [[ -n "$LOCALNET_PID" ]] && kill -0 "$LOCALNET_PID" 2>/dev/null; then
        kill -TERM "$LOCALNET_PID" 2>/dev/null || true
        wait "$LOCALNET_PID" 2>/dev/null || true
    fi
    # Nothing of this test may outlive it (a node the test restarted is not localnet's child).
    [[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null || true
    pkill -KILL -f "$NET/" 2>/dev/null || true
    if [[ $status -ne 0 ]]; then
        echo "$TEST_NAME: the localnet's output and logs are kept in $WORK" >&2
        tail -n 30 "$WORK/localnet.out" >&2 || true
    else
        rm -rf "$WORK"
    fi
}
trap cleanup_localnet EXIT

start_localnet() {
    # A background job of a script ignores SIGINT unless it is restored before exec, and the
    # tests check that Ctrl-C (SIGINT) stops the localnet.
    python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
        "$ROOT/scripts/localnet.sh" --fresh --dir "$NET" --base-port auto "$@" >"$WORK/localnet.out" 2>&1 &
    LOCALNET_PID=$!
    for _ in $(seq 1 600); do
        [[ -f "$NET/ready.json" ]] && break
        kill -0 "$LOCALNET_PID" 2>/dev/null || fail "localnet.sh exited before the network was ready"
        sleep 0.5
    done
    [[ -f "$NET/ready.json" ]] || fail "the localnet was not ready within 5 minutes"
    mapfile -t RPC < <(python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["rpc"]))' "$NET/ready.json")
    export PATH="$NET/bin:$PATH" VELLUM_WALLET_HOME="$NET/wallet" VELLUM_WALLET_PASSWORD=localnet
    export VELLUM_RPC="${RPC[0]}"
}

# Ctrl-C: localnet.sh must stop and leave none of its processes running.
interrupt_localnet() {
    local pids
    pids="$(started_pids)"
    kill -INT "$LOCALNET_PID"
    for _ in $(seq 1 60); do
        kill -0 "$LOCALNET_PID" 2>/dev/null || break
        sleep 0.25
    done
    kill -0 "$LOCALNET_PID" 2>/dev/null && fail "localnet.sh did not stop on SIGINT"
    LOCALNET_PID=""
    for pid in $pids; do
        kill -0 "$pid" 2>/dev/null && fail "process $pid ($(ps -o args= -p "$pid")) left after Ctrl-C"
    done
    if pgrep -f "$NET/" >/dev/null; then
        fail "processes left after Ctrl-C: $(pgrep -af "$NET/")"
    fi
    return 0
}
