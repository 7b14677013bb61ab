#!/usr/bin/env bash
# Regenerates the JSON schemas (schema/<contract>/) from the message types and
# fails if they differ from the committed ones: commit the regenerated files
# with the message change that caused them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IMPULSE_ROOT"

gas_tool schema --out schema

changes="$(git status --porcelain --untracked-files=all -- schema/)"
if [[ -n "$changes" ]]; then
    echo "error: the JSON schemas are out of date (schema/ differs from what is committed):" >&2
    echo "$changes" >&2
    git --no-pager diff --stat -- schema/ >&2
    echo "run 'bash ci/schema.sh' (or 'cargo run -p impulse-gas -- schema') and commit schema/" >&2
    exit 1
fi
echo "schema/ is up to date"
