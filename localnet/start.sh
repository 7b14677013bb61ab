#!/usr/bin/env bash
# Starts the node in the background (initialising it first if needed),
# logging to $IMPULSE_LOCALNET_HOME/wasmd.log with its pid in wasmd.pid,
# and waits until it produces blocks (at most $IMPULSE_START_TIMEOUT s).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -n "$(running_pid)" ]; then
    log "already running (pid $(running_pid)), height $(latest_height)"
    exit 0
fi
"$LOCALNET_DIR/init.sh"
rm -f "$PID_FILE"
log "starting wasmd ($LOG_FILE)"
# setsid: the node outlives this script and the shell that ran it.
setsid "$WASMD_BIN" start --home "$NODE_HOME" --log_no_color >>"$LOG_FILE" 2>&1 </dev/null &
echo $! >"$PID_FILE"

deadline=$((SECONDS + START_TIMEOUT))
first=""
while :; do
    if [ -z "$(running_pid)" ]; then
        tail -n 30 "$LOG_FILE" >&2 || true
        rm -f "$PID_FILE"
        die "wasmd exited during start-up (log above, full log in $LOG_FILE)"
    fi
    h="$(latest_height)"
    if [ -n "$h" ] && [ "$h" -ge 1 ]; then
        if [ -z "$first" ]; then
            first="$h"
        elif [ "$h" -gt "$first" ]; then
            log "producing blocks (height $h); gRPC 127.0.0.1:$GRPC_PORT, RPC 127.0.0.1:$RPC_PORT, pid $(running_pid)"
            exit 0
        fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        tail -n 30 "$LOG_FILE" >&2 || true
        die "no new blocks within ${START_TIMEOUT}s (height: ${h:-unreachable}); the node is still running, see $LOG_FILE or run stop.sh"
    fi
    sleep 0.5
done
