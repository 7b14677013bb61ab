#!/usr/bin/env bash
# Bench on a real wasmd localnet: for each concurrency N, a fresh localnet
# and deployment, N+3 honest providers and N jobs submitted at once (the
# demo on --chain localnet, everything in one process), then a table of the
# time from submit to settled, transactions and gas per job.
#
#   bash ci/bench-localnet.sh [N ...]        (default: 1 2 4)
#
# Builds the `impulse` binary (dev profile, like the tests; set
# IMPULSE_BENCH_PROFILE=release for a release build) and the contract
# artifacts if missing, and wasmd once (cached). Prints a Markdown table on
# stdout; the demo reports land in ${IMPULSE_BENCH_OUT:-target/bench-localnet}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IMPULSE_ROOT"

help_from_header "$@"
CONC=("$@")
((${#CONC[@]})) || CONC=(1 2 4)
for n in "${CONC[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "concurrency must be a positive integer, got '$n'"
done
STEPS="${IMPULSE_BENCH_STEPS:-20}"
PROFILE="${IMPULSE_BENCH_PROFILE:-dev}"
OUT="${IMPULSE_BENCH_OUT:-$IMPULSE_ROOT/target/bench-localnet}"
mkdir -p "$OUT"

BIN="$(impulse_bin)"
[[ -f artifacts/impulse_marketplace.wasm ]] || bash ci/build-wasm.sh >&2
bash localnet/build.sh >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HOME_DIR="$(mktemp -d -t impulse-bench-XXXXXX)"
export IMPULSE_LOCALNET_HOME="$HOME_DIR/localnet" IMPULSE_HOME="$HOME_DIR/home"
export IMPULSE_GRPC_PORT="$(free_port)" IMPULSE_RPC_PORT="$(free_port)" IMPULSE_P2P_PORT="$(free_port)"
export IMPULSE_API_PORT="$(free_port)" IMPULSE_ABCI_PORT="$(free_port)"
export IMPULSE_NODE="http://127.0.0.1:$IMPULSE_GRPC_PORT" IMPULSE_CHAIN_ID=impulse-local
cleanup() { bash localnet/stop.sh >/dev/null 2>&1 || true; rm -rf "$HOME_DIR"; }
trap cleanup EXIT

scenario() { # $1 = N
    local n=$1 i
    cat <<TOML
name = "bench-$n"
seed = 3
epochs = 0
timeout_secs = 1800
[chain]
epoch_blocks = 100000
heartbeat_blocks = 60
train_base_blocks = 60
blocks_per_step = 2
reveal_blocks = 40
verify_commit_blocks = 40
verify_reveal_blocks = 40
verifier_price_per_step = 1000
TOML
    for ((i = 0; i < n + 3; i++)); do
        printf '[[providers]]\nname = "p%d"\nstake = 1_500_000_000\nprice = %d\nmemory_gib = 8\ndevices = 1\n' "$i" $((10 + i))
    done
    for ((i = 0; i < n; i++)); do
        printf '[[jobs]]\nname = "job-%d"\nsteps = %d\nalpha = 0.1\ncommittee = 3\n' "$i" "$STEPS"
    done
}

rows=()
for n in "${CONC[@]}"; do
    scenario "$n" >"$OUT/bench-$n.toml"
    bash localnet/reset.sh >/dev/null 2>&1 || true
    bash localnet/start.sh >&2
    rm -f "$IMPULSE_HOME/deployment.json"
    "$BIN" deploy --from test:validator --scenario "$OUT/bench-$n.toml" --output json >/dev/null
    echo "bench: $n concurrent job(s)..." >&2
    "$BIN" demo --chain localnet --scenario "$OUT/bench-$n.toml" --out "$OUT/report-$n" --output json >"$OUT/report-$n.json"
    rows+=("$(python3 - "$OUT/report-$n.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
lat = [j["ended_secs"] - j["submitted_secs"] for j in r["jobs"] if j["status"] == "settled"]
if len(lat) != n:
    sys.exit(f"bench: only {len(lat)} of {n} jobs settled: {[j['status'] for j in r['jobs']]}")
tx = r["chain"]["txs"]
print(f"| {n} | {sum(lat)/n:.1f} | {max(lat):.1f} | {tx['count']/n:.1f} | {tx['gas_used']//n:,} | {r['chain']['end_height']-r['chain']['start_height']} |")
PY
)")
    bash localnet/stop.sh >/dev/null
done

echo "Localnet bench ($PROFILE build, $STEPS-step lm-ref LoRA jobs, committee 3, alpha 0.1, ~1 s blocks, $(nproc) cores):"
echo
echo "| concurrent jobs | mean submit→settled (s) | max (s) | txs per job | SDK gas per job | blocks |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "Txs and gas per job count every transaction of the run (registration, advertising, heartbeats, cranks) divided by the jobs."
