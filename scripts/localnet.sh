#!/usr/bin/env bash
# One command to a working local Vellum network.
#
#   scripts/localnet.sh [--fresh] [--validators N] [--dir DIR] [--base-port P|auto]
#
# On a fresh Debian machine with Rust it installs what is missing, builds in release mode,
# creates a network of N validators (default 4) under DIR (default ./localnet, reused when
# present), starts every node and the explorer, waits until blocks commit, and prints the URLs,
# where the logs are, a funded demo wallet and commands to try. Ctrl-C (or SIGTERM) stops every
# process it started.
#
#   --fresh          delete DIR and start a new network
#   --validators N   validators of a new network (1 to 256)
#   --dir DIR        where the network lives (default ./localnet)
#   --base-port P    node i listens on P+3i (p2p), P+3i+1 (rpc), P+3i+2 (metrics), the explorer
#                    on P-1; default 26650, so the first node's RPC is http://127.0.0.1:26651
#                    (vellum-wallet's default). `auto` picks free ports (for tests).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/localnet"
VALIDATORS=4
VALIDATORS_SET=""
FRESH=""
BASE_PORT=26650
# For this local network only: the demo keystore's password.
PASSWORD="localnet"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "localnet: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --fresh) FRESH=1 ;;
        --validators) [[ $# -ge 2 ]] || die "--validators needs a number"
            VALIDATORS="$2"; VALIDATORS_SET=1; shift ;;
        --dir) [[ $# -ge 2 ]] || die "--dir needs a directory"; DIR="$2"; shift ;;
        --base-port) [[ $# -ge 2 ]] || die "--base-port needs a port or 'auto'"
            BASE_PORT="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[[ "$VALIDATORS" =~ ^[0-9]+$ && "$VALIDATORS" -ge 1 && "$VALIDATORS" -le 256 ]] \
    || die "--validators must be a number from 1 to 256, not '$VALIDATORS'"
[[ "$BASE_PORT" == auto || ( "$BASE_PORT" =~ ^[0-9]+$ && "$BASE_PORT" -ge 1025 && "$BASE_PORT" -le 64000 ) ]] \
    || die "--base-port must be a port from 1025 to 64000, or 'auto'"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

# --- install and build --------------------------------------------------------------------
source "$ROOT/scripts/lib/setup.sh"
ensure_apt_packages python3
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vellum-target}"
BIN="$CARGO_TARGET_DIR/release"
# The programs the network uses (bin/ links them); build_release_bins builds them and vellum-bench.
PROGRAMS=(vellum-node vellum-genesis vellum-wallet vellum-explorer)
echo "building ${PROGRAMS[*]} and vellum-bench (release)..."
if [[ ! -x "$BIN/vellum-node" ]]; then
    echo "  (the first build compiles RocksDB's C++: 15 minutes or more on two cores)"
fi
build_release_bins "$ROOT"

# --- the network --------------------------------------------------------------------------
PIDS_DIR="$DIR/pids"
running_pids() {
    local f pid
    for f in "$PIDS_DIR"/*.pid; do
        [[ -e "$f" ]] || continue
        pid="$(cat "$f")"
        kill -0 "$pid" 2>/dev/null && echo "$pid"
    done
}
if [[ -n "$(running_pids)" ]]; then
    die "a localnet from $DIR is already running (pids $(running_pids | tr '\n' ' ')); stop it with Ctrl-C in its terminal or: kill $(running_pids | tr '\n' ' ')"
fi
if [[ -n "$FRESH" ]]; then
    echo "--fresh: deleting the network in $DIR"
    rm -rf "${DIR:?}/net" "$DIR/wallet" "$DIR/logs" "$DIR/pids" "$DIR/bin" \
        "$DIR/demo-mnemonic.txt" "$DIR/ready.json"
fi

export VELLUM_WALLET_HOME="$DIR/wallet"
export VELLUM_WALLET_PASSWORD="$PASSWORD"
wallet() { "$BIN/vellum-wallet" "$@"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

if [[ ! -f "$DIR/net/genesis.json" ]]; then
    echo "creating a network of $VALIDATORS validators in $DIR/net"
    rm -rf "$DIR/wallet" "$DIR/demo-mnemonic.txt"
    # The demo wallet: a recovery phrase, funded in genesis. For this local network only.
    new="$(wallet new --name demo --json)"
    demo_address="$(json_field address <<<"$new")"
    (umask 077; json_field mnemonic <<<"$new" >"$DIR/demo-mnemonic.txt")
    port_args=()
    [[ "$BASE_PORT" != auto ]] && port_args=(--base-port "$BASE_PORT")
    "$BIN/vellum-genesis" init --validators "$VALIDATORS" --out "$DIR/net" \
        "${port_args[@]}" --heartbeat-ms 1000 --account "$demo_address=1000000" >/dev/null
    # The explorer's port: below the first node's with fixed ports, else a free one.
    if [[ "$BASE_PORT" == auto ]]; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    else
        echo $((BASE_PORT - 1))
    fi >"$DIR/net/explorer-port"
    for role in issuer admin; do
        wallet import --name "$role" --key-file "$DIR/net/keys/$role.json" --json >/dev/null
    done
elif [[ -n "$VALIDATORS_SET" ]]; then
    echo "note: reusing the network in $DIR/net; --validators applies to a new one (add --fresh)"
fi

mkdir -p "$DIR/bin" "$DIR/logs" "$PIDS_DIR"
for b in "${PROGRAMS[@]}"; do
    ln -sfn "$BIN/$b" "$DIR/bin/$b"
done

# Each node's RPC and metrics address, from its config.toml.
node_field() {
    python3 - "$1" "$2" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    section, key = sys.argv[2].split(".")
    print(tomllib.load(f)[section][key])
EOF
}
HOMES=("$DIR"/net/node*/)
HOMES=("${HOMES[@]%/}")
RPC=()
for home in "${HOMES[@]}"; do
    RPC+=("http://$(node_field "$home/config.toml" rpc.listen)")
done
EXPLORER_ADDR="127.0.0.1:$(cat "$DIR/net/explorer-port" 2>/dev/null || echo 26649)"

# --- run, and stop everything on exit -----------------------------------------------------
CHILDREN=()
stop_all() {
    trap - INT TERM EXIT
    if [[ ${#CHILDREN[@]} -gt 0 ]]; then
        echo
        echo "stopping ${#CHILDREN[@]} processes..."
        kill "${CHILDREN[@]}" 2>/dev/null || true
        wait "${CHILDREN[@]}" 2>/dev/null || true
    fi
    rm -f "$PIDS_DIR"/*.pid "$DIR/ready.json"
    echo "localnet stopped; the network is kept in $DIR (--fresh to start over)"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

start_process() { # NAME COMMAND...
    local name="$1"; shift
    "$@" >>"$DIR/logs/$name.log" 2>&1 &
    CHILDREN+=($!)
    echo $! >"$PIDS_DIR/$name.pid"
}
for home in "${HOMES[@]}"; do
    start_process "$(basename "$home")" "$BIN/vellum-node" start --home "$home"
done
EXPLORER_URL="(not built yet)"
if [[ " ${PROGRAMS[*]} " == *" vellum-explorer "* ]]; then
    start_process explorer "$BIN/vellum-explorer" --rpc "${RPC[0]}" --listen "$EXPLORER_ADDR"
    EXPLORER_URL="http://$EXPLORER_ADDR"
fi

echo "waiting for the first committed block..."
deadline=$((SECONDS + 60))
height=0
while :; do
    if status="$(wallet status --rpc "${RPC[0]}" --json 2>/dev/null)"; then
        height="$(json_field height <<<"$status")"
        [[ "$height" -ge 1 ]] && break
    fi
    for i in "${!CHILDREN[@]}"; do
        if ! kill -0 "${CHILDREN[$i]}" 2>/dev/null; then
            name="$(basename "${HOMES[$i]:-explorer}")"
            echo "localnet: $name exited; the end of $DIR/logs/$name.log:" >&2
            tail -n 20 "$DIR/logs/$name.log" >&2
            exit 1
        fi
    done
    if [[ $SECONDS -ge $deadline ]]; then
        echo "localnet: no block committed within 60 s; see the logs in $DIR/logs" >&2
        exit 1
    fi
    sleep 0.5
done

demo_address="$(wallet address --key demo --json | json_field address)"
python3 - "$DIR/ready.json" "$EXPLORER_URL" "$demo_address" "${RPC[@]}" <<'EOF'
import json, sys
path, explorer, demo, *rpc = sys.argv[1:]
json.dump({"rpc": rpc, "explorer": explorer, "demo_address": demo}, open(path, "w"))
EOF

cat <<EOF

Vellum localnet is running: ${#HOMES[@]} validators, chain height $height.

  JSON-RPC    ${RPC[*]}
  explorer    $EXPLORER_URL
  logs        $DIR/logs/  (one file per node; pids in $DIR/pids/)

Demo wallet, funded with 1,000,000 (for this local network only):
  address     $demo_address
  mnemonic    $(cat "$DIR/demo-mnemonic.txt")
  keystore    $DIR/wallet  (password: $PASSWORD; also holds the issuer and admin keys)

Try, in another terminal:
  export PATH="$DIR/bin:\$PATH" VELLUM_RPC=${RPC[0]}
  export VELLUM_WALLET_HOME="$DIR/wallet" VELLUM_WALLET_PASSWORD=$PASSWORD
  vellum-wallet balance --key demo
  vellum-wallet transfer --key demo --to \$(vellum-wallet address --key issuer) --amount 12.34
  vellum-wallet history --key demo

Ctrl-C stops the network.
EOF

# Report processes that stop (e.g. a validator killed to watch the others go on) until Ctrl-C.
declare -A reported=()
while :; do
    for i in "${!CHILDREN[@]}"; do
        pid="${CHILDREN[$i]}"
        if [[ -z "${reported[$pid]:-}" ]] && ! kill -0 "$pid" 2>/dev/null; then
            reported[$pid]=1
            if [[ $i -lt ${#HOMES[@]} ]]; then
                echo "$(basename "${HOMES[$i]}") stopped; the others go on. Start it again with:"
                echo "  $BIN/vellum-node start --home ${HOMES[$i]}"
            else
                echo "the explorer stopped; see $DIR/logs/explorer.log"
            fi
        fi
    done
    sleep 1 &
    wait $! || true
done
