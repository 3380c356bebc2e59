#!/usr/bin/env bash
# The explorer in a real headless Chromium against a localnet started by scripts/localnet.sh:
# explorer/tests/browser_test.py checks the dashboard, a wallet transfer appearing live, search,
# the block, transaction, account and validators pages, and the banner while the node is down.
# Screenshots go to $VELLUM_TEST_OUTPUT/explorer (default ./test-output/explorer). Run by
# scripts/test.sh, which installs chromium, chromium-driver and python3-selenium.
set -euo pipefail
TEST_NAME=explorer
source "$(dirname "$0")/lib/background_localnet.sh"
SHOTS="${VELLUM_TEST_OUTPUT:-$ROOT/test-output}/explorer"
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
start_localnet
python3 "$ROOT/explorer/tests/browser_test.py" "$NET/ready.json" "$SHOTS" \
    || fail "the browser test failed; screenshots in $SHOTS"
interrupt_localnet
echo "explorer: passed; screenshots in $SHOTS"
