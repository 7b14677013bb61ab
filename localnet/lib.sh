# Shared settings of the localnet scripts. Sourced, not run.
# Every value can be overridden from the environment.

set -euo pipefail

LOCALNET_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# wasmd version: the one required in localnet/go.mod.
WASMD_VERSION="$(awk '$1 == "github.com/CosmWasm/wasmd" { print $2; exit }' "$LOCALNET_DIR/go.mod")"
IMPULSE_CACHE="${IMPULSE_CACHE:-$HOME/.cache/impulse}"
WASMD_DIR="${WASMD_DIR:-$IMPULSE_CACHE/wasmd-$WASMD_VERSION}"
WASMD_BIN="$WASMD_DIR/wasmd"

CHAIN_ID="${IMPULSE_CHAIN_ID:-impulse-local}"
DENOM="${IMPULSE_DENOM:-uimp}"
LOCALNET_HOME="${IMPULSE_LOCALNET_HOME:-$HOME/.impulse/localnet}"
NODE_HOME="$LOCALNET_HOME/node"
GRPC_PORT="${IMPULSE_GRPC_PORT:-9090}"
RPC_PORT="${IMPULSE_RPC_PORT:-26657}"
P2P_PORT="${IMPULSE_P2P_PORT:-26656}"
API_PORT="${IMPULSE_API_PORT:-1317}"
# Seconds between blocks (CometBFT timeout_commit).
BLOCK_TIME="${IMPULSE_BLOCK_TIME:-1s}"
# x/gov voting period: short so that a parameter proposal passes in tests.
VOTING_PERIOD="${IMPULSE_VOTING_PERIOD:-20s}"
START_TIMEOUT="${IMPULSE_START_TIMEOUT:-60}"

PID_FILE="$LOCALNET_HOME/wasmd.pid"
LOG_FILE="$LOCALNET_HOME/wasmd.log"

die() {
    echo "localnet: error: $*" >&2
    exit 1
}

log() {
    echo "localnet: $*" >&2
}

# wasmd loads libwasmvm at run time; build.sh copies it next to the binary.
export LD_LIBRARY_PATH="$WASMD_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

wasmd() {
    [ -x "$WASMD_BIN" ] || die "wasmd is not built at $WASMD_BIN; run localnet/build.sh first"
    "$WASMD_BIN" "$@"
}

# The pid of the running node, or nothing.
running_pid() {
    [ -f "$PID_FILE" ] || return 0
    local pid
    pid="$(cat "$PID_FILE")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
    fi
}

# Latest block height from the RPC port, or nothing when unreachable.
latest_height() {
    timeout 5 "$WASMD_BIN" status --node "tcp://127.0.0.1:$RPC_PORT" 2>/dev/null |
        sed -n 's/.*"latest_block_height": *"\([0-9]*\)".*/\1/p' || true
}
