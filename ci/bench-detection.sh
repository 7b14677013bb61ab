#!/usr/bin/env bash
# Detection through the daemons (issue 14): a prover that cheats at a chosen
# set of steps (`cheat_steps`) and trains honestly at every other, run RUNS
# times on the embedded chain with real daemons (real training, real
# replays, committee secrets drawn afresh each run). Prints a Markdown table
# of the caught fraction against the protocol's 1 - (1 - alpha)^c, with a
# 95% Wilson interval.
#
#   bash ci/bench-detection.sh [RUNS]     (default: 12)
#
# IMPULSE_DETECT_CASES overrides the cases: "ALPHA:STEPS ..." where STEPS is
# a comma list of the cheated steps of a 12-step job (default
# "0.25:6 0.25:3,6,9"). Builds the `impulse` binary (dev profile, like the
# tests; IMPULSE_BENCH_PROFILE=release for a release build; IMPULSE_BIN=PATH
# uses a built one). The demo reports land in
# ${IMPULSE_BENCH_OUT:-target/bench-detection}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IMPULSE_ROOT"

help_from_header "$@"
RUNS="${1:-12}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
read -r -a CASES <<<"${IMPULSE_DETECT_CASES:-0.25:6 0.25:3,6,9}"
for c in "${CASES[@]}"; do
    [[ "$c" =~ ^(0(\.[0-9]+)?|1(\.0+)?):[0-9]+(,[0-9]+)*$ ]] \
        || die "a case is ALPHA:STEPS (e.g. 0.25:3,6,9), got '$c'"
done
PROFILE="${IMPULSE_BENCH_PROFILE:-dev}"
OUT="${IMPULSE_BENCH_OUT:-$IMPULSE_ROOT/target/bench-detection}"
mkdir -p "$OUT"

BIN="$(impulse_bin)"

scenario() { # $1 = alpha, $2 = cheated steps (comma list), $3 = seed
    cat <<TOML
name = "detect"
seed = $3
block_ms = 100
epochs = 0
timeout_secs = 600

[chain]
epoch_blocks = 100000
heartbeat_blocks = 40
train_base_blocks = 150
blocks_per_step = 4
reveal_blocks = 40
verify_commit_blocks = 400
verify_reveal_blocks = 40
verifier_price_per_step = 1000

[[providers]]
name = "cheater"
stake = 1_200_000_000
price = 5
behaviour = "skip_steps"
cheat_steps = [$2]
TOML
    local i
    for i in 0 1 2 3; do
        printf '\n[[providers]]\nname = "honest-%d"\nstake = 1_500_000_000\nprice = %d\n' "$i" $((8 + i))
    done
    printf '\n[[jobs]]\nname = "job"\nsteps = 12\nbatch_size = 8\nlr = 0.01\nalpha = %s\ncommittee = 3\n' "$1"
}

rows=()
for case in "${CASES[@]}"; do
    alpha="${case%%:*}"
    steps="${case#*:}"
    caught=0
    for ((run = 1; run <= RUNS; run++)); do
        name="a${alpha}-s${steps//,/_}-r$run"
        scenario "$alpha" "$steps" "$run" >"$OUT/$name.toml"
        echo "detection: alpha $alpha, cheated steps [$steps], run $run/$RUNS..." >&2
        "$BIN" demo --scenario "$OUT/$name.toml" --out "$OUT/$name" --output json >"$OUT/$name.json"
        verdict=$(python3 - "$OUT/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
j = r["jobs"][0]
first = (j.get("provers") or [j.get("prover")])[0]
if first != "cheater":
    sys.exit(f"detection: the cheater did not win the job (first prover {first!r})")
if not r["invariant"]["held"]:
    sys.exit(f"detection: the invariant broke: {r['invariant']['violations']}")
# Caught: the cheater's attempt ended in a fraud slash and the job moved on.
print("caught" if j["attempts"] >= 2 else "missed")
PY
)
        [[ "$verdict" == caught ]] && caught=$((caught + 1))
        echo "  $verdict" >&2
    done
    rows+=("$(python3 - "$alpha" "$steps" "$RUNS" "$caught" <<'PY'
import math, sys
alpha, steps, n, k = float(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
c = len(steps)
expected = 1 - (1 - alpha) ** c
p, z = k / n, 1.96
d = 1 + z * z / n
mid = (p + z * z / (2 * n)) / d
half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
print(f"| {alpha} | {','.join(steps)} | {c} | {n} | {k} | {p:.2f} | {max(0, mid - half):.2f}-{min(1, mid + half):.2f} | {expected:.3f} |")
PY
)")
done

echo "Detection through the daemons ($PROFILE build, embedded chain, 12-step lm-ref LoRA job, committee 3, $(nproc) cores):"
echo
echo "| alpha | cheated steps | c | runs | caught | caught fraction | 95% interval | 1-(1-alpha)^c |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "A run is caught when the cheater's attempt ends in a fraud slash and the job is re-queued; missed when it settles with the cheater paid."
