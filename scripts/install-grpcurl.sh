#!/usr/bin/env bash
# Installs grpcurl (GRPCURL_VERSION, default v1.9.3), the generic gRPC client the control-plane tests
# drive the connectors with, from the Go module proxy into the git-ignored cache:
#   .cache/grpcurl-<version>/grpcurl      the binary (tests find it there, or through $GRPCURL)
#   .cache/go/{mod,build}                 Go's module and build caches, so a rebuild downloads nothing
# Go: the `go` on PATH or /usr/local/go/bin/go; else Debian's golang-go. grpcurl 1.9.x needs Go 1.21+,
# newer than bookworm's 1.19, so an older Go is only used to fetch the newer toolchain, itself a module of the
# Go module proxy (golang.org/toolchain), into .cache/go/toolchain-<version>/.
# Idempotent: with the binary in place this is a no-op.
#   install-grpcurl.sh           install (when missing) and print nothing else but one line
#   install-grpcurl.sh --path    print the binary's path (install first when missing)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

version="${GRPCURL_VERSION:-v1.9.3}"
dir="$CACHE_DIR/grpcurl-$version"
bin="$dir/grpcurl"
go_toolchain="${GRPCURL_GO_TOOLCHAIN:-go1.22.12}"   # used only when the machine's Go is too old

if [[ -x "$bin" && -f "$dir/.complete" ]]; then
  if [[ "${1:-}" == --path ]]; then echo "$bin"; else echo "install-grpcurl: grpcurl $version already in $dir"; fi
  exit 0
fi

# go_minor GO: the minor version of Go binary GO (1.N -> N), 0 when unknown.
go_minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p' | grep . || echo 0; }

go_bin="$(command -v go || true)"
[[ -n "$go_bin" || ! -x /usr/local/go/bin/go ]] || go_bin=/usr/local/go/bin/go
if [[ -z "$go_bin" ]]; then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "install-grpcurl: no Go found; installing Debian's golang-go" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends golang-go
  go_bin="$(command -v go)"
fi

export GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/build" GOFLAGS=-modcacherw
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GOTOOLCHAIN=local
mkdir -p "$GOMODCACHE" "$GOCACHE"

# Go older than 1.21 (bookworm's 1.19; grpcurl's go.mod says 1.21): fetch a newer toolchain as a module through the proxy.
if (( $(go_minor "$go_bin") < ${GRPCURL_MIN_GO_MINOR:-21} )); then
  tc_dir="$CACHE_DIR/go/toolchain-$go_toolchain"
  if [[ ! -x "$tc_dir/bin/go" ]]; then
    echo "install-grpcurl: $("$go_bin" version) is too old for grpcurl $version; fetching $go_toolchain" >&2
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    (cd "$tmp" && "$go_bin" mod init tmp >/dev/null 2>&1 &&
       "$go_bin" mod download "golang.org/toolchain@v0.0.1-$go_toolchain.linux-$("$go_bin" env GOARCH)")
    src="$(ls -d "$GOMODCACHE"/golang.org/toolchain@v0.0.1-"$go_toolchain".linux-* | head -n 1)"
    rm -rf "$tc_dir" && cp -a "$src" "$tc_dir" && chmod -R u+w "$tc_dir" && chmod +x "$tc_dir"/bin/* "$tc_dir"/pkg/tool/*/*
  fi
  go_bin="$tc_dir/bin/go"
fi

echo "install-grpcurl: building grpcurl $version with $("$go_bin" version) (module proxy: $GOPROXY)"
rm -rf "$dir" && mkdir -p "$dir"
GOBIN="$dir" CGO_ENABLED=0 "$go_bin" install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$version"
"$go_bin" version -m "$bin" | grep -m1 "mod.*grpcurl"
# The build cache is only needed for this build (the binary is what is kept): free its ~300 MB.
"$go_bin" clean -cache
touch "$dir/.complete"
if [[ "${1:-}" == --path ]]; then echo "$bin"; fi
