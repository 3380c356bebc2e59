# Shared setup for the scripts: installs what a fresh Debian machine with only Rust lacks.
# Sourced, not run.

# rustfmt and clippy come with most toolchains; add them where they are missing.
ensure_toolchain_components() {
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        rustup component add rustfmt clippy
    fi
}

# Installs the named Debian packages that are not installed yet (as root, or through sudo).
ensure_apt_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# Builds the workspace's binaries (node, genesis, wallet, explorer, bench) in release mode, in
# the repository at $1. Every script builds this one set: cargo resolves features per set of
# packages, so two scripts that each built their own few packages rebuilt the node for each
# other (a fat-LTO link of 2-3 minutes here). RocksDB's bindings need libclang.
build_release_bins() {
    ensure_apt_packages libclang-dev
    (cd "$1" && cargo build --release --quiet --workspace --bins)
}
