#!/usr/bin/env bash
# The project's single test command: `bash ci/test.sh` (also what .ci/run
# runs). From a clean clone it installs what it needs (the pinned toolchain,
# the wasm32 target, binaryen), then: fmt, clippy, the native build (every
# target, once), the wasm build with the VM checks, the schema drift check, the test suite, and the gas table.
# `bash ci/test.sh clippy test` runs only the named stages (toolchain, binaryen,
# fmt, clippy, build, wasm, schema, test, gas).
# With CI=true the cargo target dir is kept outside the clone
# (${IMPULSE_CI_TARGET:-/var/tmp/impulse-ci-target}) so re-runs are incremental.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IMPULSE_ROOT"

STAGES=(toolchain binaryen fmt clippy build wasm schema test gas)
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    echo "usage: bash ci/test.sh [STAGE...]   (default: every stage, in this order)"
    echo "stages: ${STAGES[*]}"
    echo "CI=true keeps the cargo target dir in \${IMPULSE_CI_TARGET:-/var/tmp/impulse-ci-target}"
    exit 0
fi
ONLY=("$@")
for o in "${ONLY[@]}"; do
    [[ " ${STAGES[*]} " == *" $o "* ]] || die "unknown stage '$o' (stages: ${STAGES[*]})"
done
declare -A STAGE_SECS=()
CURRENT=""
TEST_TOTAL=""
START_ALL=$SECONDS

summary() {
    local status=$?
    echo
    echo "==== stage times"
    for s in "${STAGES[@]}"; do
        [[ -n "${STAGE_SECS[$s]:-}" ]] && printf '  %-10s %5d s\n' "$s" "${STAGE_SECS[$s]}"
    done
    printf '  %-10s %5d s\n' total $((SECONDS - START_ALL))
    [[ -n "$TEST_TOTAL" ]] && echo "tests: $TEST_TOTAL"
    if ((status != 0)); then
        echo "FAILED in stage '${CURRENT:-?}' (exit $status)"
    fi
    exit "$status"
}
trap summary EXIT

selected() {
    ((${#ONLY[@]} == 0)) || [[ " ${ONLY[*]} " == *" $1 "* ]]
}

stage() {
    local name=$1
    shift
    selected "$name" || return 0
    CURRENT=$name
    local n=0 i
    for i in "${!STAGES[@]}"; do [[ "${STAGES[$i]}" == "$name" ]] && n=$((i + 1)); done
    echo
    echo "==== [$n/${#STAGES[@]}] $name"
    local t0=$SECONDS
    "$@"
    STAGE_SECS[$name]=$((SECONDS - t0))
    echo "---- $name: ${STAGE_SECS[$name]} s"
}

toolchain() {
    command -v rustup >/dev/null || die "rustup is required (https://rustup.rs)"
    local channel
    channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
    [[ -n "$channel" ]] || die "no channel in rust-toolchain.toml"
    if ! rustup run "$channel" rustc --version >/dev/null 2>&1; then
        rustup toolchain install "$channel" --profile minimal \
            --component rustfmt,clippy --target wasm32-unknown-unknown
    fi
    local have
    have=$(rustup component list --toolchain "$channel" --installed 2>/dev/null)
    for c in rustfmt clippy; do
        grep -q "^$c" <<<"$have" || rustup component add --toolchain "$channel" "$c"
    done
    rustup target list --toolchain "$channel" --installed | grep -qx wasm32-unknown-unknown \
        || rustup target add --toolchain "$channel" wasm32-unknown-unknown
    rustc --version
    cargo --version
    echo "target dir: $TARGET_DIR"
}

run_tests() {
    mkdir -p "$TARGET_DIR"
    local log="$TARGET_DIR/impulse-test.log" status=0
    # --no-fail-fast: every test binary runs, so one failure does not hide others.
    cargo test --locked --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
    # One total over every "test result:" line (unit, integration and doc tests).
    local totals
    totals=$(awk '/^test result:/ {
            for (i = 1; i < NF; i++) {
                if ($(i+1) ~ /^passed/)  p += $i
                if ($(i+1) ~ /^failed/)  f += $i
                if ($(i+1) ~ /^ignored/) g += $i
            }
            n++
        }
        END {
            if (n == 0) { print "no test results (did the build fail?)"; exit }
            printf "\n%d test binaries, %d ignored\n", n, g
            printf "%d passed, %d failed\n", p, f
        }' "$log")
    echo "$totals"
    TEST_TOTAL=$(tail -n 1 <<<"$totals")
    return "$status"
}

stage toolchain toolchain
stage binaryen ensure_binaryen
FMT_COLOR=auto
[[ "${CARGO_TERM_COLOR:-}" == never ]] && FMT_COLOR=never
stage fmt cargo fmt --all -- --check --color "$FMT_COLOR"
stage clippy cargo clippy --locked --workspace --all-targets -- -D warnings
# Every native target in one go (the test binaries and impulse-gas share one
# feature resolution, so nothing is compiled twice).
stage build cargo build --locked --workspace --all-targets
if selected build; then
    export IMPULSE_GAS_BIN="$TARGET_DIR/debug/impulse-gas"
fi
stage wasm bash ci/build-wasm.sh
stage schema bash ci/schema.sh
stage test run_tests
stage gas gas_tool bench --json artifacts/gas.json
CURRENT=""
