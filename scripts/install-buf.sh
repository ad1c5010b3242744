#!/usr/bin/env bash
# Installs buf (BUF_VERSION, default 1.75.0), the Protobuf linter and breaking-change checker that
# scripts/check-proto.sh runs on proto/, into the git-ignored cache:
#   .cache/buf-<version>/bin/buf
# From the npm registry: buf's own prebuilt binary is published there as @bufbuild/buf-linux-x64 (pinned,
# integrity-checked by npm). When npm is missing or that fails, built with `go install
# github.com/bufbuild/buf/cmd/buf@v<version>` through the Go module proxy (the Go of install-grpcurl.sh).
# Idempotent: with the binary in place this is a no-op.
#   install-buf.sh           install (when missing)
#   install-buf.sh --path    print the binary's path (install first when missing)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

version="${BUF_VERSION:-1.75.0}"
dir="$CACHE_DIR/buf-$version"
bin="$dir/bin/buf"
say() { [[ "${1:-}" == --path ]] || echo "install-buf: $2"; }

if [[ -x "$bin" && -f "$dir/.complete" ]]; then
  if [[ "${1:-}" == --path ]]; then echo "$bin"; else echo "install-buf: buf $version already in $dir"; fi
  exit 0
fi
rm -rf "$dir" && mkdir -p "$dir/bin"
arch="$(uname -m)"; [[ "$arch" == x86_64 ]] && arch=x64
if command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix "$dir/npm" \
     "@bufbuild/buf-linux-$arch@$version" >&2; then
  ln -sf "$dir/npm/node_modules/@bufbuild/buf-linux-$arch/bin/buf" "$bin"
  say "${1:-}" "buf $version from npm (@bufbuild/buf-linux-$arch)" >&2
else
  go_bin="$(command -v go || true)"
  [[ -n "$go_bin" || ! -x /usr/local/go/bin/go ]] || go_bin=/usr/local/go/bin/go
  [[ -n "$go_bin" ]] || { echo "install-buf: neither npm nor Go found" >&2; exit 1; }
  export GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/build" GOFLAGS=-modcacherw
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
  echo "install-buf: building buf $version with $("$go_bin" version)" >&2
  GOBIN="$dir/bin" CGO_ENABLED=0 "$go_bin" install "github.com/bufbuild/buf/cmd/buf@v$version"
  "$go_bin" clean -cache
fi
"$bin" --version >/dev/null 2>&1
touch "$dir/.complete"
if [[ "${1:-}" == --path ]]; then echo "$bin"; fi
