#!/usr/bin/env bash
# Builds wasmd (the version pinned in localnet/go.mod) from the Go module
# proxy and caches it outside the clone:
#   ${IMPULSE_CACHE:-$HOME/.cache/impulse}/wasmd-<version>/wasmd
# with libwasmvm.x86_64.so next to it. A cached binary is reused; pass
# --force to rebuild. Prints the binary's path on stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
[ "${1:-}" = "--force" ] && force=1

if [ "$force" = 0 ] && [ -x "$WASMD_BIN" ] && "$WASMD_BIN" version >/dev/null 2>&1; then
    echo "$WASMD_BIN"
    exit 0
fi

command -v go >/dev/null 2>&1 ||
    die "Go is not installed (needed once to build wasmd $WASMD_VERSION); install Go >= 1.24 from https://go.dev/dl/ and retry"
command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 ||
    die "a C compiler is needed to build wasmd (cgo links libwasmvm); install gcc"

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) lib=libwasmvm.x86_64.so ;;
    Linux-aarch64) lib=libwasmvm.aarch64.so ;;
    *) die "unsupported platform $(uname -s)-$(uname -m) (the localnet supports linux amd64/arm64)" ;;
esac

log "building wasmd $WASMD_VERSION into $WASMD_DIR (first time only; several minutes)"
mkdir -p "$WASMD_DIR"
tmp="$WASMD_DIR/wasmd.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# ldflags as in wasmd's Makefile; -checklinkname=0 is needed by
# bytedance/sonic with Go >= 1.24.
(
    cd "$LOCALNET_DIR"
    CGO_ENABLED=1 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" go build -mod=readonly -trimpath -tags netgo \
        -ldflags "-checklinkname=0 \
            -X github.com/cosmos/cosmos-sdk/version.Name=wasm \
            -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd \
            -X github.com/cosmos/cosmos-sdk/version.Version=$WASMD_VERSION \
            -X github.com/CosmWasm/wasmd/app.Bech32Prefix=wasm \
            -X github.com/cosmos/cosmos-sdk/version.BuildTags=netgo" \
        -o "$tmp" github.com/CosmWasm/wasmd/cmd/wasmd
) || die "go build of wasmd $WASMD_VERSION failed (see above)"

# The binary links libwasmvm from the wasmvm module; copy the library next to
# it so the cached binary keeps working if the Go module cache is cleaned.
wasmvm="$(cd "$LOCALNET_DIR" && go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)" ||
    die "cannot locate the wasmvm module"
cp -f "$wasmvm/internal/api/$lib" "$WASMD_DIR/$lib"
chmod 0644 "$WASMD_DIR/$lib"
mv -f "$tmp" "$WASMD_BIN"
trap - EXIT

"$WASMD_BIN" version >/dev/null 2>&1 || die "built wasmd does not run (libwasmvm not found?)"
log "built wasmd $("$WASMD_BIN" version 2>&1)"
echo "$WASMD_BIN"
