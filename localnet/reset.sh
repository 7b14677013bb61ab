#!/usr/bin/env bash
# Stops the node and deletes the chain in $IMPULSE_LOCALNET_HOME, then
# initialises a fresh one (start.sh starts it). The cached wasmd stays.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$LOCALNET_DIR/stop.sh"
case "$LOCALNET_HOME" in
    "" | "/" | "$HOME") die "refusing to delete LOCALNET_HOME=$LOCALNET_HOME" ;;
esac
rm -rf "$NODE_HOME" "$LOCALNET_HOME/initialised" "$LOCALNET_HOME/localnet.env" "$LOG_FILE"
"$LOCALNET_DIR/init.sh"
