#!/usr/bin/env bash
# The one test command. On a fresh Debian machine with only Rust it installs what is missing,
# then checks formatting, lints, the purity of the pure crates, and runs every test: the Rust
# tests, the end-to-end wallet test on a localnet, and the consensus simulator.
#
#   scripts/test.sh          fmt, clippy, purity, all tests (200 simulator seeds per scenario)
#   scripts/test.sh --slow   the same with 10,000 simulator seeds per scenario
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vellum-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if [[ "${1:-}" == "--slow" ]]; then
    export VELLUM_SIM_SEEDS="${VELLUM_SIM_SEEDS:-10000}"
fi

source scripts/lib/setup.sh
ensure_toolchain_components
# libclang for RocksDB's bindings; python3 for the vector check and the end-to-end tests;
# procps (ps, pgrep) for their process checks; chromium, its WebDriver and Selenium for the
# explorer's browser test.
ensure_apt_packages python3 libclang-dev procps chromium chromium-driver python3-selenium

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --release --workspace --all-targets -- -D warnings

step "purity of protocol and consensus"
bash scripts/check_purity.sh

step "protocol vectors, independent Python implementation"
python3 scripts/check_protocol_vectors.py

step "tests"
cargo test --release --workspace -- --skip every_scenario_keeps

# Right after the tests and with the same cargo command, only the test filter differs: cargo
# resolves features per command (`--test simulation` alone made it build protocol and
# consensus again, 37.6 s in a warm run), so this runs the test build as it is.
step "simulator"
cargo test --release --workspace -- every_scenario_keeps --nocapture

step "end to end: scripts/localnet.sh and vellum-wallet"
bash scripts/e2e_wallet.sh

step "explorer in headless Chromium"
bash scripts/e2e_explorer.sh

step "bench smoke: a few seconds of load on a 4-validator localnet"
bash scripts/bench.sh --smoke

step "bench comparison smoke: one pair of runs, two binaries in turn"
compare_dir="$(mktemp -d -t vellum-bench-compare.XXXXXX)"
bash scripts/bench_compare.sh "$CARGO_TARGET_DIR/release/vellum-node" \
    "$CARGO_TARGET_DIR/release/vellum-node" --pairs 1 --dir "$compare_dir" -- --smoke
rm -rf -- "$compare_dir"
