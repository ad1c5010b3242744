#!/usr/bin/env bash
# Installs the Debian packages that only the benchmarks (bench/) need, not the build or the tests:
#   kcat  — the reference producer of bench/source_bench.sh.
# Idempotent like scripts/install-deps.sh: packages already present are skipped, so a second run is a no-op.
set -euo pipefail

BENCH_PACKAGES=(kcat)

missing=()
for p in "${BENCH_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-bench-deps: all ${#BENCH_PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-bench-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
