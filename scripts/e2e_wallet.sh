#!/usr/bin/env bash
# End to end, as a user would: start a localnet with scripts/localnet.sh, then through
# vellum-wallet only: create a key and recover it (same address), mint as the issuer, transfer,
# see the balance and history change on every node, get the right errors for a mistyped address
# and insufficient funds, keep transferring with a validator killed, send several transfers in a
# row, and parse every --json output. Finally Ctrl-C (SIGINT) must stop every process the
# localnet started. Run by scripts/test.sh; needs the release binaries built.
set -euo pipefail
TEST_NAME=e2e
source "$(dirname "$0")/lib/background_localnet.sh"
start_localnet

json() { # FILE EXPR: evaluates a Python expression on the JSON document `d` in FILE
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
OUT="$WORK/out.json"
ERR="$WORK/err.json"
STEP=0

# w EXPECTED_EXIT ARGS...: runs vellum-wallet ARGS --json; checks the exit code, that stdout
# (on success) or stderr (on failure) is exactly one JSON document.
w() {
    local want="$1"; shift
    STEP=$((STEP + 1))
    local got=0
    vellum-wallet "$@" --json >"$OUT" 2>"$ERR" || got=$?
    [[ "$got" == "$want" ]] || fail "step $STEP: vellum-wallet $* exited $got, expected $want: $(cat "$ERR")"
    if [[ "$want" == 0 ]]; then
        json "$OUT" 'type(d).__name__' >/dev/null || fail "step $STEP: stdout is not JSON: $(cat "$OUT")"
    else
        json "$ERR" 'd["error"]["message"]' >/dev/null || fail "step $STEP: stderr is not JSON: $(cat "$ERR")"
    fi
}
echo "e2e: localnet up (${#RPC[@]} nodes); wallet steps:"

# A key, and the same key recovered from its phrase.
w 0 new --name alice
ALICE="$(json "$OUT" 'd["address"]')"
json "$OUT" 'd["mnemonic"]' >"$WORK/alice.words"
[[ $(wc -w <"$WORK/alice.words") -eq 24 ]] || fail "the phrase is not 24 words"
w 0 recover --name alice-recovered --mnemonic-file "$WORK/alice.words"
[[ "$(json "$OUT" 'd["address"]')" == "$ALICE" ]] || fail "recover gave another address"
w 0 list
[[ "$(json "$OUT" 'len(d["keys"])')" -ge 5 ]] || fail "list misses keys"
w 0 export --key alice
[[ "$(json "$OUT" 'd["address"]')" == "$ALICE" ]] || fail "export shows another address"
echo "  new + recover: $ALICE"

# Mint as the issuer, then transfer.
DEMO="$(json "$NET/ready.json" 'd["demo_address"]')"
w 0 mint --key issuer --to "$ALICE" --amount 500.25
[[ "$(json "$OUT" 'd["status"]')" == committed ]] || fail "the mint did not commit"
w 0 transfer --key alice --to "$DEMO" --amount 12.34 --memo "e2e test"
[[ "$(json "$OUT" 'd["status"]')" == committed ]] || fail "the transfer did not commit"
TX="$(json "$OUT" 'd["hash"]')"
HEIGHT="$(json "$OUT" 'd["height"]')"
echo "  mint 500.25, transfer 12.34: block $HEIGHT, final in $(json "$OUT" 'd["elapsed_ms"]') ms"

# Balance and history on every node.
for url in "${RPC[@]}"; do
    ok=""
    for _ in $(seq 1 50); do
        w 0 balance "$ALICE" --rpc "$url"
        [[ "$(json "$OUT" 'd["balance"]')" == "487.91" ]] && { ok=1; break; }
        sleep 0.2
    done
    [[ -n "$ok" ]] || fail "$url shows balance $(json "$OUT" 'd["balance"]'), not 487.91"
    w 0 history "$ALICE" --rpc "$url"
    [[ "$(json "$OUT" 'd["entries"][0]["tx_hash"]')" == "$TX" ]] || fail "$url: history lacks the transfer"
    [[ "$(json "$OUT" 'len(d["entries"])')" == 2 ]] || fail "$url: history is not mint + transfer"
    w 0 tx "$TX" --rpc "$url"
    [[ "$(json "$OUT" 'd["status"]')" == committed ]] || fail "$url: tx is not committed"
done
echo "  balance 487.91 and history (mint, transfer) on all ${#RPC[@]} nodes"

# Refusals, before anything is signed.
TYPO="${DEMO%?}$([[ "${DEMO: -1}" == q ]] && echo p || echo q)"
w 2 transfer --key alice --to "$TYPO" --amount 1
grep -q "checksum" "$ERR" || fail "a mistyped address is not explained: $(cat "$ERR")"
w 1 transfer --key alice --to "$DEMO" --amount 1000
grep -q "insufficient funds" "$ERR" || fail "insufficient funds is not explained: $(cat "$ERR")"
w 2 transfer --key alice --to "$DEMO" --amount 1.234
w 2 transfer --key alice --to "$DEMO" --amount 0
w 0 balance "$ALICE"
[[ "$(json "$OUT" 'd["nonce"]')" == 1 ]] || fail "a refused transfer used a nonce"
echo "  refused: mistyped address (2), insufficient funds (1), too many decimals (2), zero (2)"

# A validator killed: the others go on.
kill -KILL "$(cat "$NET/pids/node3.pid")"
w 0 transfer --key alice --to "$DEMO" --amount 1
[[ "$(json "$OUT" 'd["status"]')" == committed ]] || fail "no commit with one validator down"
echo "  node3 killed: a transfer still commits (block $(json "$OUT" 'd["height"]'))"

# Several transfers in a row from one account, nonces assigned by the wallet.
HASHES=()
for i in 1 2 3 4 5; do
    w 0 transfer --key alice --to "$DEMO" --amount 0.0$i --no-wait
    HASHES+=("$(json "$OUT" 'd["hash"]')")
done
for hash in "${HASHES[@]}"; do
    ok=""
    for _ in $(seq 1 50); do
        w 0 tx "$hash"
        [[ "$(json "$OUT" 'd["status"]')" == committed ]] && { ok=1; break; }
        sleep 0.2
    done
    [[ -n "$ok" ]] || fail "transfer $hash did not commit"
done
w 0 balance "$ALICE"
[[ "$(json "$OUT" 'd["nonce"]')" == 7 ]] || fail "nonce $(json "$OUT" 'd["nonce"]') after 7 transactions"
echo "  five --no-wait transfers in a row: all committed"

w 0 status
[[ "$(json "$OUT" 'd["chain_id"]')" == vellum-localnet ]] || fail "status shows another chain"
w 3 status --rpc http://127.0.0.1:1
echo "  status, and an unreachable node (3)"

# Ctrl-C stops everything the localnet started.
interrupt_localnet
echo "  Ctrl-C: localnet stopped, nothing left running"
echo "e2e: passed ($STEP wallet commands)"
