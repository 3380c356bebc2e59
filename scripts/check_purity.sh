#!/usr/bin/env bash
# The pure crates stay pure: no async runtime, network or database in their normal dependency
# tree, and no clock or unseeded randomness in their source.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in vellum-protocol vellum-consensus; do
    if bad=$(cargo tree -e normal -p "$crate" --prefix none | grep -E '^(tokio|libp2p|rocksdb|librocksdb-sys|getrandom|rand) ' ); then
        echo "$crate depends on what a pure crate must not:"; echo "$bad"; status=1
    fi
done
pattern='SystemTime|Instant::now|std::time::|thread_rng|OsRng|getrandom|rand::random|from_entropy'
if grep -rnE "$pattern" protocol/src consensus/src; then
    echo "the lines above read a clock or an unseeded RNG in a pure crate"; status=1
fi
[[ $status -eq 0 ]] && echo "protocol and consensus: no tokio, libp2p, rocksdb, clock or unseeded RNG"
exit $status
