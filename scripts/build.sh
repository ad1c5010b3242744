#!/usr/bin/env bash
# Configures and builds everything (the three binaries tweet-source, tweet-sink and tweetctl, and the
# tests) into build/ (or $BUILD_DIR).
#   scripts/build.sh            RelWithDebInfo build of everything
#   scripts/build.sh TARGET...  only these ninja targets, e.g. `tweet-source tweet-sink tweetctl`
#   SANITIZE=1 scripts/build.sh AddressSanitizer + UBSan build into build-asan/
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
args=()
if [[ "${SANITIZE:-0}" == 1 ]]; then
  BUILD_DIR="${BUILD_DIR_ASAN:-$ROOT_DIR/build-asan}"
  args+=(-DTWEETSTREAM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
# ccache (install-deps.sh) makes a second checkout's build, or a rebuild after `git switch`, cheap.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT_DIR}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
if command -v ccache >/dev/null && [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$ROOT_DIR" -B "$BUILD_DIR" -G Ninja "${args[@]}" >/dev/null
ninja -C "$BUILD_DIR" "$@"
binaries=()
for b in source-connector/tweet-source sink-connector/tweet-sink tools/tweetctl/tweetctl; do
  if (($# == 0)) || [[ " $* " == *" ${b##*/} "* ]]; then binaries+=("$BUILD_DIR/$b"); fi
done
((${#binaries[@]} == 0)) || echo "build: ${binaries[*]}"
