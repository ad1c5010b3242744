#!/usr/bin/env bash
# Builds the two container images with a real Docker engine, on a machine where no image registry can
# be reached:
#   scripts/images.sh [build]     the images from compose/Dockerfile, its real build stage compiling in a
#                                 container: tweetstream/tweet-source:latest, tweetstream/tweet-sink:latest
#   scripts/images.sh prebuilt    the images from the binaries already built on the host ($BUILD_DIR, by
#                                 scripts/build.sh): compose/Dockerfile with BINARIES=prebuilt, the same
#                                 runtime stage; tagged tweetstream/tweet-{source,sink}:prebuilt (tests)
#   scripts/images.sh test        prebuilt, then the container tests (ctest -L container, in $BUILD_DIR)
#                                 against the running Kafka and Elasticsearch (scripts/services.sh)
#   scripts/images.sh ci          what scripts/test.sh runs: the real Dockerfile path built, then the
#                                 container tests on those very images (tag latest); figures per step
#   scripts/images.sh sizes       the images' sizes
# Every command first makes sure of the engine:
#   * Debian's docker.io and debootstrap are installed when missing (the same apt-get as install-deps.sh);
#   * dockerd is started when none answers (data in /var/lib/docker, log $DOCKERD_LOG) and stopped again
#     when the command ends (IMAGES_KEEP_ENGINE=1 leaves it running); one that was already running is
#     left alone;
#   * the base image debian:bookworm-slim is made when absent: `debootstrap --variant=minbase bookworm`
#     imported with `docker import` (no registry needed).
# The images are built with BuildKit (in dockerd; no `# syntax=` line, which would need a registry).
# The docker client used is docker.io's own (/usr/bin/docker, same version as the engine); DOCKER overrides.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

DOCKER="${DOCKER:-/usr/bin/docker}"
DOCKERD_LOG="${DOCKERD_LOG:-$RUN_DIR/dockerd.log}"
BASE_IMAGE="debian:bookworm-slim"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
IMAGE_PACKAGES=(docker.io debootstrap)

log() { echo "images: $*"; }
elapsed() { echo "$((SECONDS - $1)) s"; }

# --- packages -------------------------------------------------------------------------------------
install_packages() {
  local missing=() p
  for p in "${IMAGE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local begin=$SECONDS sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  # docker.io's service is not started by the package here (no systemd); this script starts dockerd.
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed ${missing[*]} ($(elapsed "$begin"))"
}

# --- the engine -----------------------------------------------------------------------------------
STARTED_DOCKERD=""
engine_up() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }

start_engine() {
  if engine_up; then log "dockerd already running"; return 0; fi
  [[ $(id -u) -eq 0 ]] || { echo "images: dockerd must be started as root" >&2; return 1; }
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  local begin=$SECONDS
  # containerd is started by dockerd itself. No bridge, no iptables: builds and containers use the host
  # network only (docker build --network host, docker run --network host), so all traffic is on loopback.
  dockerd --iptables=false --ip-masq=false --bridge=none >"$DOCKERD_LOG" 2>&1 &
  STARTED_DOCKERD=$!
  for ((i = 0; i < 60; i++)); do
    if engine_up; then log "dockerd started (pid $STARTED_DOCKERD, log $DOCKERD_LOG, $(elapsed "$begin"))"; return 0; fi
    kill -0 "$STARTED_DOCKERD" 2>/dev/null || break
    sleep 1
  done
  echo "images: dockerd did not come up; log $DOCKERD_LOG:" >&2
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  return 1
}

stop_engine() {
  [[ -n "$STARTED_DOCKERD" ]] || return 0
  if [[ "${IMAGES_KEEP_ENGINE:-0}" == 1 ]]; then log "dockerd left running (pid $STARTED_DOCKERD)"; return 0; fi
  kill "$STARTED_DOCKERD" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do kill -0 "$STARTED_DOCKERD" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$STARTED_DOCKERD" 2>/dev/null || true
  log "dockerd stopped"
  STARTED_DOCKERD=""
}
trap stop_engine EXIT

# --- the base image -------------------------------------------------------------------------------
make_base_image() {
  if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then log "$BASE_IMAGE present"; return 0; fi
  local begin=$SECONDS dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/tweetstream-rootfs.XXXXXX")"
  log "making $BASE_IMAGE with debootstrap (log $RUN_DIR/debootstrap.log)"
  mkdir -p "$RUN_DIR"
  if ! debootstrap --variant=minbase bookworm "$dir" "$DEBIAN_MIRROR" >"$RUN_DIR/debootstrap.log" 2>&1; then
    tail -n 30 "$RUN_DIR/debootstrap.log" >&2; rm -rf "$dir"; return 1
  fi
  # As slim as Debian's own image: no apt lists or caches, no man pages and docs.
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/man/* "$dir"/usr/share/doc/*
  tar -C "$dir" -c . | "$DOCKER" import - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir"
  log "$BASE_IMAGE made ($(elapsed "$begin"), $(image_size "$BASE_IMAGE"))"
}

image_size() { "$DOCKER" image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }

# --- the images -----------------------------------------------------------------------------------
# docker_build TARGET TAG CONTEXT [ARGS...]
docker_build() {
  local target="$1" tag="$2" context="$3" begin=$SECONDS
  shift 3
  log "building $tag (--target $target $*)"
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --network host -f "$ROOT_DIR/compose/Dockerfile" --target "$target" \
    -t "$tag" "$@" "$context" >"$RUN_DIR/build-${tag//[\/:]/-}.log" 2>&1 || {
      tail -n 40 "$RUN_DIR/build-${tag//[\/:]/-}.log" >&2
      echo "images: building $tag failed; log $RUN_DIR/build-${tag//[\/:]/-}.log" >&2
      return 1; }
  log "built $tag ($(elapsed "$begin"), $(image_size "$tag"))"
}

build_real() {
  local t
  for t in tweet-source tweet-sink; do docker_build "$t" "tweetstream/$t:latest" "$ROOT_DIR"; done
}

# The prebuilt images take the three binaries from a context of their own: install-deps.sh, the
# entrypoint and bin/ (nothing else of the host reaches the image); the runtime stage is the real one.
build_prebuilt() {
  local bins=("$BUILD_DIR/source-connector/tweet-source" "$BUILD_DIR/sink-connector/tweet-sink"
              "$BUILD_DIR/tools/tweetctl/tweetctl") b
  for b in "${bins[@]}"; do
    [[ -x "$b" ]] || { echo "images: $b is not built; run scripts/build.sh first" >&2; return 1; }
  done
  local ctx
  ctx="$(mktemp -d "${TMPDIR:-/tmp}/tweetstream-prebuilt.XXXXXX")"
  mkdir -p "$ctx/bin" "$ctx/scripts" "$ctx/compose"
  cp "${bins[@]}" "$ctx/bin/" && strip "$ctx"/bin/*
  cp "$ROOT_DIR/scripts/install-deps.sh" "$ctx/scripts/"
  cp "$ROOT_DIR/compose/docker-entrypoint.sh" "$ctx/compose/"
  local t rc=0
  for t in tweet-source tweet-sink; do
    docker_build "$t" "tweetstream/$t:prebuilt" "$ctx" --build-arg BINARIES=prebuilt || { rc=1; break; }
  done
  rm -rf "$ctx"
  return $rc
}

sizes() {
  "$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E '^(tweetstream/|debian:bookworm-slim)' | sort |
    sed 's/^/images: size /'
}

run_tests() {
  local begin=$SECONDS rc=0
  log "container tests (ctest -L container in $BUILD_DIR)"
  (cd "$BUILD_DIR" && TWEETSTREAM_DOCKER="$DOCKER" TWEETSTREAM_IMAGE_TAG="${TWEETSTREAM_IMAGE_TAG:-prebuilt}" \
     TWEETSTREAM_KAFKA="${TWEETSTREAM_KAFKA:-$KAFKA_BOOTSTRAP}" TWEETSTREAM_ES_URL="${TWEETSTREAM_ES_URL:-$ES_URL}" \
     ctest -L container --output-on-failure --timeout 900) || rc=$?
  log "container tests done ($(elapsed "$begin"))"
  return $rc
}

cmd="${1:-build}"
case "$cmd" in build | prebuilt | test | ci | sizes) ;; *)
  echo "usage: $0 [build|prebuilt|test|ci|sizes]" >&2; exit 2 ;;
esac
mkdir -p "$RUN_DIR"
total=$SECONDS
install_packages
start_engine
make_base_image
case "$cmd" in
  build) build_real ;;
  prebuilt) build_prebuilt ;;
  test) build_prebuilt; run_tests ;;
  ci) build_real; TWEETSTREAM_IMAGE_TAG=latest run_tests ;;
  sizes) ;;
esac
sizes
log "$cmd done ($(elapsed "$total"))"
