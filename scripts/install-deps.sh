#!/usr/bin/env bash
# Installs the Debian packages that building and testing tweetstream needs.
# Idempotent: packages already present are skipped, so a second run is a no-op.
# Shared by CI (.ci/run), the developer setup (scripts/install.sh) and compose/Dockerfile.
#   install-deps.sh                 build + test packages (CI, developers)
#   install-deps.sh --build-only    the build packages alone (the image's build stage)
#   install-deps.sh --runtime-only  the shared libraries the binaries link, nothing else (the images'
#                                   runtime stage); tests/deploy checks this list against `ldd`
#   install-deps.sh --fuzz          clang 14 and its libFuzzer/sanitizer runtimes alone (scripts/fuzz.sh;
#                                   install.sh with FUZZ=1); not part of the default lists
#   --list (after a mode)           print that mode's packages, one a line, and install nothing
# Quiet by default: one line per step (apt-get update, apt-get install); apt's and dpkg's output goes to
# a log file, named (with its last lines) when a step fails. INSTALL_DEPS_VERBOSE=1 shows it all.
# The log: $INSTALL_DEPS_LOG, else a new file in ${TMPDIR:-/tmp} (removed again when all went well).
# Self-contained (no lib.sh): the Dockerfile copies this one file into the image.
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
  ccache
)
# The fuzz targets (tests/fuzz/, scripts/fuzz.sh): libFuzzer and the sanitizer runtimes come with
# Debian's clang, in libclang-rt-14-dev. Installed only when fuzzing is asked for.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# chromium: the headless browser that tests/tools/dashboard_browser_test.mjs drives (playwright-core).
RUNTIME_PACKAGES=(openjdk-17-jre-headless maven python3 python3-venv chromium)

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
elif [[ "${1:-}" == "--fuzz" ]]; then want=("${FUZZ_PACKAGES[@]}")
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
export DEBIAN_FRONTEND=noninteractive
verbose="${INSTALL_DEPS_VERBOSE:-0}"
log="${INSTALL_DEPS_LOG:-}"
keep_log=1
if [[ -z "$log" ]]; then log="$(mktemp "${TMPDIR:-/tmp}/tweetstream-install-deps.XXXXXX.log")"; keep_log=0; fi
: >"$log"

# step DESCRIPTION COMMAND...: one line for the step; its output to the log (and the terminal when
# verbose); on failure the log's name and its last lines, and the step's exit code.
step() {
  local what="$1" rc=0 begin=$SECONDS
  shift
  printf 'install-deps: %s ... ' "$what"
  echo "### $what: $*" >>"$log"
  if [[ "$verbose" == 1 ]]; then
    echo
    "$@" 2>&1 | tee -a "$log" || rc=${PIPESTATUS[0]}
  else
    "$@" >>"$log" 2>&1 </dev/null || rc=$?
  fi
  if ((rc != 0)); then
    echo "FAILED (exit $rc)"
    echo "install-deps: the full log is $log; its last lines:" >&2
    tail -n 25 "$log" | sed 's/^/  | /' >&2
    exit "$rc"
  fi
  echo "done ($((SECONDS - begin)) s)"
}

echo "install-deps: ${#missing[@]} of ${#want[@]} packages to install: ${missing[*]}"
step "apt-get update" $SUDO apt-get update
step "apt-get install (${#missing[@]} package(s))" $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
if ((keep_log)); then echo "install-deps: log in $log"; else rm -f "$log"; fi
