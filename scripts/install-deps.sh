#!/usr/bin/env bash
# Installs the Debian packages that building and testing tweetstream needs.
# Idempotent: packages already present are skipped, so a second run is a no-op.
# Shared by CI (.ci/run), the developer setup (scripts/install.sh) and compose/Dockerfile.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl unzip
  protobuf-compiler libprotobuf-dev
  protobuf-compiler-grpc libgrpc++-dev
  librdkafka-dev
  libcurl4-openssl-dev zlib1g-dev
  libabsl-dev
  libsimdjson-dev
  rapidjson-dev
  libgtest-dev libgmock-dev libcpp-httplib-dev
  libbenchmark-dev
)
RUNTIME_PACKAGES=(openjdk-17-jre-headless maven python3 python3-venv)

want=("${BUILD_PACKAGES[@]}")
if [[ "${1:-}" != "--build-only" ]]; then want+=("${RUNTIME_PACKAGES[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
