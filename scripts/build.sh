#!/usr/bin/env bash
# Configures and builds everything (binaries and tests) into build/ (or $BUILD_DIR).
#   scripts/build.sh            RelWithDebInfo build
#   SANITIZE=1 scripts/build.sh AddressSanitizer + UBSan build into build-asan/
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
args=()
if [[ "${SANITIZE:-0}" == 1 ]]; then
  BUILD_DIR="${BUILD_DIR_ASAN:-$ROOT_DIR/build-asan}"
  args+=(-DTWEETSTREAM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
cmake -S "$ROOT_DIR" -B "$BUILD_DIR" -G Ninja "${args[@]}" >/dev/null
ninja -C "$BUILD_DIR" "$@"
echo "build: binaries in $BUILD_DIR/source-connector/tweet-source and $BUILD_DIR/sink-connector/tweet-sink"
