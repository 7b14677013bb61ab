#!/usr/bin/env bash
# Initialises a single-validator chain in $IMPULSE_LOCALNET_HOME
# (default ~/.impulse/localnet): chain id impulse-local, bond and fee denom
# uimp, ~1 s blocks, gRPC/RPC on 127.0.0.1, a 20 s x/gov voting period, and
# the accounts of test-mnemonics.txt funded. Does nothing if already
# initialised (use reset.sh to start over).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -f "$NODE_HOME/config/genesis.json" ] && [ -f "$LOCALNET_HOME/initialised" ]; then
    log "already initialised at $LOCALNET_HOME (reset.sh starts over)"
    exit 0
fi
[ -x "$WASMD_BIN" ] || "$LOCALNET_DIR/build.sh" >/dev/null
[ -z "$(running_pid)" ] || die "a node is running from $LOCALNET_HOME; stop it first"

rm -rf "$NODE_HOME" "$LOCALNET_HOME/initialised"
mkdir -p "$LOCALNET_HOME"
log "initialising $CHAIN_ID in $NODE_HOME"
wasmd init impulse-validator --chain-id "$CHAIN_ID" --default-denom "$DENOM" --home "$NODE_HOME" >/dev/null 2>&1 ||
    die "wasmd init failed"

FUND="${IMPULSE_GENESIS_FUND:-1000000000000000}"  # 1e9 IMP per account
BOND="${IMPULSE_VALIDATOR_BOND:-100000000000}"   # 1e5 IMP bonded
keys=()
while IFS= read -r line; do
    line="${line%%#*}"
    [ -n "${line// /}" ] || continue
    name="${line%%:*}"
    words="${line#*:}"
    words="$(echo "$words" | xargs)"
    echo "$words" | wasmd keys add "$name" --recover --keyring-backend test --home "$NODE_HOME" >/dev/null 2>&1 ||
        die "cannot import test key $name"
    wasmd genesis add-genesis-account "$name" "${FUND}${DENOM}" --keyring-backend test --home "$NODE_HOME" ||
        die "cannot fund $name"
    keys+=("$name")
done <"$LOCALNET_DIR/test-mnemonics.txt"
[[ " ${keys[*]} " == *" validator "* ]] || die "test-mnemonics.txt has no 'validator' key"

wasmd genesis gentx validator "${BOND}${DENOM}" --chain-id "$CHAIN_ID" --keyring-backend test \
    --home "$NODE_HOME" >/dev/null 2>&1 || die "gentx failed"
wasmd genesis collect-gentxs --home "$NODE_HOME" >/dev/null 2>&1 || die "collect-gentxs failed"

# Genesis: short governance periods so that a proposal passes in tests.
genesis="$NODE_HOME/config/genesis.json"
set_json() { # key old-value-regex new-value
    local before
    before="$(cat "$genesis")"
    sed -i -E "s/\"$1\": *\"$2\"/\"$1\": \"$3\"/g" "$genesis"
    [ "$before" != "$(cat "$genesis")" ] || grep -q "\"$1\": *\"$3\"" "$genesis" ||
        die "cannot set $1 in genesis (format changed?)"
}
set_json voting_period '[0-9]+s' "$VOTING_PERIOD"
set_json expedited_voting_period '[0-9]+s' "${IMPULSE_EXPEDITED_VOTING_PERIOD:-10s}"
set_json max_deposit_period '[0-9]+s' "${IMPULSE_MAX_DEPOSIT_PERIOD:-60s}"
wasmd genesis validate-genesis --home "$NODE_HOME" >/dev/null 2>&1 ||
    die "genesis does not validate after editing: $(wasmd genesis validate-genesis --home "$NODE_HOME" 2>&1 | tail -3)"

# config.toml: fast blocks, local-only listeners, no pprof.
config="$NODE_HOME/config/config.toml"
in_section() { # section key value
    sed -i -E "/^\[$1\]/,/^\[/ s|^$2 = .*|$2 = $3|" "$config"
}
in_section rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
in_section rpc pprof_laddr '""'
in_section p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
in_section p2p addr_book_strict false
in_section p2p allow_duplicate_ip true
in_section consensus timeout_commit "\"$BLOCK_TIME\""
in_section consensus timeout_propose '"1s"'
in_section consensus timeout_prevote '"500ms"'
in_section consensus timeout_precommit '"500ms"'
sed -i -E "s|^proxy_app = .*|proxy_app = \"tcp://127.0.0.1:${IMPULSE_ABCI_PORT:-26658}\"|" "$config"

# app.toml: gas price floor, gRPC on 127.0.0.1, REST API off.
app="$NODE_HOME/config/app.toml"
sed -i -E "s|^minimum-gas-prices = .*|minimum-gas-prices = \"${IMPULSE_MIN_GAS_PRICE:-0.0025}$DENOM\"|" "$app"
sed -i -E "/^\[grpc\]/,/^\[/ s|^address = .*|address = \"127.0.0.1:$GRPC_PORT\"|" "$app"
sed -i -E "/^\[grpc\]/,/^\[/ s|^enable = .*|enable = true|" "$app"
sed -i -E "/^\[api\]/,/^\[/ s|^enable = .*|enable = false|" "$app"
sed -i -E "/^\[api\]/,/^\[/ s|^address = .*|address = \"tcp://127.0.0.1:$API_PORT\"|" "$app"
grep -q "^address = \"127.0.0.1:$GRPC_PORT\"" "$app" || die "cannot set the gRPC address in app.toml"
grep -q "^timeout_commit = \"$BLOCK_TIME\"" "$config" || die "cannot set timeout_commit in config.toml"

# Record the settings the node was initialised with.
cat >"$LOCALNET_HOME/localnet.env" <<ENV
CHAIN_ID=$CHAIN_ID
DENOM=$DENOM
GRPC=http://127.0.0.1:$GRPC_PORT
RPC=http://127.0.0.1:$RPC_PORT
WASMD=$WASMD_BIN
ENV
touch "$LOCALNET_HOME/initialised"
for name in "${keys[@]}"; do
    log "  $name $(wasmd keys show "$name" -a --keyring-backend test --home "$NODE_HOME")"
done
log "initialised $CHAIN_ID (gRPC 127.0.0.1:$GRPC_PORT, RPC 127.0.0.1:$RPC_PORT)"
