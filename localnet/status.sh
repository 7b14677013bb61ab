#!/usr/bin/env bash
# Prints whether the node runs and its height. Exit status: 0 running and
# answering, 1 running but not answering, 3 stopped.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "home:    $LOCALNET_HOME"
echo "wasmd:   $WASMD_BIN ($([ -x "$WASMD_BIN" ] && echo built || echo 'not built'))"
echo "chain:   $CHAIN_ID ($([ -f "$LOCALNET_HOME/initialised" ] && echo initialised || echo 'not initialised'))"
pid="$(running_pid)"
if [ -z "$pid" ]; then
    echo "node:    stopped"
    exit 3
fi
h="$(latest_height)"
echo "node:    running (pid $pid), log $LOG_FILE"
echo "gRPC:    http://127.0.0.1:$GRPC_PORT"
echo "RPC:     http://127.0.0.1:$RPC_PORT"
if [ -z "$h" ]; then
    echo "height:  (not answering)"
    exit 1
fi
echo "height:  $h"
