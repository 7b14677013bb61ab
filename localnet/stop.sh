#!/usr/bin/env bash
# Stops the node started by start.sh (SIGTERM, then SIGKILL after 20 s).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pid="$(running_pid)"
if [ -z "$pid" ]; then
    rm -f "$PID_FILE"
    log "not running"
    exit 0
fi
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
    log "wasmd (pid $pid) ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
fi
rm -f "$PID_FILE"
log "stopped (pid $pid)"
