#!/usr/bin/env bash
# Installs the Debian packages that building and testing tweetstream needs.
# Idempotent: packages already present are skipped, so a second run is a no-op.
# Shared by CI (.ci/run), the developer setup (scripts/install.sh) and compose/Dockerfile.
#   install-deps.sh                 build + test packages (CI, developers)
#   install-deps.sh --build-only    the build packages alone (the image's build stage)
#   install-deps.sh --runtime-only  the shared libraries the binaries link, nothing else (the images'
#                                   runtime stage); tests/deploy checks this list against `ldd`
#   --list (after a mode)           print that mode's packages, one a line, and install nothing
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl curl unzip
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

# What tweet-source, tweet-sink and tweetctl load at run time (bookworm's names); ca-certificates for
# https:// (the X API, Elasticsearch over TLS). libc6, libstdc++6 and libgcc-s1 are in every Debian image.
IMAGE_RUNTIME_PACKAGES=(
  ca-certificates
  libprotobuf32 libgrpc++1.51 libgrpc29
  librdkafka1 librdkafka++1
  libcurl4 zlib1g
  libabsl20220623
  libsimdjson14
  libcpp-httplib0.11
)

want=("${BUILD_PACKAGES[@]}")
if [[ "${1:-}" == "--runtime-only" ]]; then want=("${IMAGE_RUNTIME_PACKAGES[@]}")
elif [[ "${1:-}" != "--build-only" ]]; then want+=("${RUNTIME_PACKAGES[@]}"); fi
if [[ "${2:-}" == "--list" ]]; then printf '%s\n' "${want[@]}"; exit 0; fi

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
