#!/usr/bin/env bash
# Builds every contract of ci/contracts.txt (or the packages given as
# arguments) for wasm32 with the `wasm` profile, shrinks and lowers it with
# wasm-opt, writes artifacts/<crate>.wasm + artifacts/checksums.txt, fails on a
# wasm over 800 KiB, then runs the VM checks wasmd runs on upload.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IMPULSE_ROOT"

MAX_BYTES=$((800 * 1024))
# Rust 1.95 emits bulk-memory ops (memory.copy/fill) that CosmWasm rejects:
# lower them to loops, then optimise for size.
WASM_OPT_FLAGS=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
    --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types
    --llvm-memory-copy-fill-lowering -Oz --strip-debug --strip-producers --strip-target-features)

if [[ $# -gt 0 ]]; then
    packages=("$@")
    for p in "${packages[@]}"; do
        contract_packages | grep -qx -- "$p" || die "$p is not in ci/contracts.txt"
    done
else
    mapfile -t packages < <(contract_packages)
fi

ensure_binaryen
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown

pkg_args=()
for p in "${packages[@]}"; do pkg_args+=(-p "$p"); done
echo "cargo build (wasm32, profile wasm): ${packages[*]}"
# RUSTFLAGS would invalidate the host build cache; the wasm profile is enough.
cargo build --locked --target wasm32-unknown-unknown --profile wasm --lib "${pkg_args[@]}"

mkdir -p artifacts
too_big=()
files=()
for p in "${packages[@]}"; do
    name="$(wasm_name "$p")"
    raw="$TARGET_DIR/wasm32-unknown-unknown/wasm/$name"
    [[ -f "$raw" ]] || die "$raw was not built (is $p a cdylib?)"
    out="artifacts/$name"
    "$WASM_OPT" "${WASM_OPT_FLAGS[@]}" "$raw" -o "$out"
    files+=("$out")
    size=$(stat -c %s "$out")
    printf '  %-32s %8d bytes (%d KiB; unoptimised %d KiB)\n' \
        "$out" "$size" $((size / 1024)) $(($(stat -c %s "$raw") / 1024))
    if ((size > MAX_BYTES)); then
        too_big+=("$out ($size bytes)")
    fi
done

# Checksums of every artifact present (a build of a subset keeps the others).
(cd artifacts && sha256sum -- *.wasm > checksums.txt)
echo "artifacts/checksums.txt:"
sed 's/^/  /' artifacts/checksums.txt

if ((${#too_big[@]} > 0)); then
    for f in "${too_big[@]}"; do
        echo "error: $f is over the 800 KiB limit ($MAX_BYTES bytes)" >&2
    done
    exit 1
fi

echo "VM checks (cosmwasm-vm, wasmd capabilities):"
gas_tool check "${files[@]}"
