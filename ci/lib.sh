# Shared helpers of the ci/ scripts (sourced, not run).

# Repository root, whatever the caller's directory.
IMPULSE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Under CI the cargo target dir lives outside the clone so re-runs are
# incremental; locally cargo's default (target/) is kept.
if [[ "${CI:-}" == "true" ]]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${IMPULSE_CI_TARGET:-/var/tmp/impulse-ci-target}}"
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$IMPULSE_ROOT/target}"

# The contract list (ci/contracts.txt): "<package> <short>" per line.
contract_lines() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$IMPULSE_ROOT/ci/contracts.txt" | awk '{print $1, $2}'
}
contract_packages() { contract_lines | awk '{print $1}'; }
wasm_name() { echo "${1//-/_}.wasm"; }

die() { echo "error: $*" >&2; exit 1; }

# Called with the script's arguments: on -h/--help, prints the calling
# script's header comment (the comment lines after the shebang, without
# their "# ") and exits.
help_from_header() {
    if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
        sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
        exit 0
    fi
}

# wasm-opt from npm binaryen (pinned in ci/package-lock.json). Debian's
# binaryen is too old for what Rust 1.95 emits.
WASM_OPT="$IMPULSE_ROOT/ci/node_modules/.bin/wasm-opt"
ensure_binaryen() {
    local want have
    want=$(node -p "require('$IMPULSE_ROOT/ci/package-lock.json').packages['node_modules/binaryen'].version" 2>/dev/null || true)
    have=$(node -p "require('$IMPULSE_ROOT/ci/node_modules/binaryen/package.json').version" 2>/dev/null || true)
    if [[ -n "$want" && "$want" == "$have" && -x "$WASM_OPT" ]] && "$WASM_OPT" --version >/dev/null 2>&1; then
        return 0
    fi
    command -v npm >/dev/null || die "npm (Node.js) is needed to install binaryen (wasm-opt) into ci/node_modules"
    echo "installing binaryen into ci/node_modules (npm ci)"
    npm ci --prefix "$IMPULSE_ROOT/ci" --no-audit --no-fund --loglevel=error >&2
    [[ -x "$WASM_OPT" ]] || die "npm ci did not install $WASM_OPT"
}

# Runs the impulse-gas tool (VM check, bench, schema). ci/test.sh builds it
# with the rest of the workspace and points IMPULSE_GAS_BIN at it. Otherwise
# it is built here with `--workspace --bin`, which resolves features for the
# whole workspace like test.sh does; `-p impulse-gas` would resolve them for
# that package alone and compile cosmwasm-vm and wasmer a second time.
gas_tool() {
    if [[ -z "${IMPULSE_GAS_BIN:-}" ]]; then
        cargo build --locked --quiet --workspace --bin impulse-gas
        IMPULSE_GAS_BIN="$TARGET_DIR/debug/impulse-gas"
    fi
    "$IMPULSE_GAS_BIN" "$@"
}

# The `impulse` binary for the benches, its path on stdout (build output on
# stderr): $IMPULSE_BIN when set (an already built one), else a release
# build with IMPULSE_BENCH_PROFILE=release, else the dev build with
# --all-targets (the same feature resolution as the test build; a bare
# --bin build resolves without dev-dependencies and recompiles much).
impulse_bin() {
    if [[ -n "${IMPULSE_BIN:-}" ]]; then
        echo "$IMPULSE_BIN"
    elif [[ "${IMPULSE_BENCH_PROFILE:-dev}" == release ]]; then
        cargo build --locked --workspace --release --bin impulse >&2
        echo "$TARGET_DIR/release/impulse"
    else
        cargo build --locked --workspace --all-targets >&2
        echo "$TARGET_DIR/debug/impulse"
    fi
}
