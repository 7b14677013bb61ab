#!/usr/bin/env bash
# Takes a PNG screenshot of an `impulse demo` report page with headless Chromium.
#
#   bash ci/screenshot.sh REPORT_DIR OUT.png
#
# Installs Debian's `chromium` package (plus fonts) first when /usr/bin/chromium is missing
# (needs root and a reachable Debian mirror).
set -euo pipefail

usage() {
    echo "usage: $0 REPORT_DIR OUT.png" >&2
    echo "  takes a screenshot of REPORT_DIR/index.html (1400x2400) into OUT.png" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
case "$1" in -h | --help) usage ;; esac

report_dir=$1
out=$2
index="$report_dir/index.html"
[[ -f $index ]] || { echo "error: $index not found" >&2; exit 1; }
out_dir=$(dirname -- "$out")
[[ -d $out_dir ]] || { echo "error: output directory $out_dir does not exist" >&2; exit 1; }

chromium=/usr/bin/chromium
if [[ ! -x $chromium ]]; then
    echo "chromium not found; installing Debian package 'chromium'" >&2
    [[ $(id -u) -eq 0 ]] || { echo "error: need root to apt-get install chromium" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends chromium fonts-liberation fonts-dejavu-core >&2
fi

abs_index=$(realpath -- "$index")
abs_out=$(realpath -- "$out_dir")/$(basename -- "$out")
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# Chromium logs plenty of harmless noise (no D-Bus etc.); show it only on failure.
rm -f -- "$abs_out"
if ! timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --hide-scrollbars --window-size=1400,2400 \
    --screenshot="$abs_out" "file://$abs_index" >"$tmp/chromium.log" 2>&1 ||
    [[ ! -s $abs_out ]]; then
    tail -n 40 "$tmp/chromium.log" >&2
    echo "error: chromium did not write a screenshot to $abs_out" >&2
    exit 1
fi
echo "$abs_out"
