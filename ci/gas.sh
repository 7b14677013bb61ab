#!/usr/bin/env bash
# The main job until `impulse demo` lands: build every contract to optimized
# wasm, check it in the real CosmWasm VM, and print the gas each message costs
# (markdown table; JSON in artifacts/gas.json). Gas is measured, never asserted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IMPULSE_ROOT"

ensure_binaryen
bash ci/build-wasm.sh
gas_tool bench --json artifacts/gas.json "$@"
