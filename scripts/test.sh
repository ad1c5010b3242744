#!/usr/bin/env bash
# THE test command (README, CI): installs what is missing, builds, starts the real Kafka broker and
# Elasticsearch node, and runs every test through CTest (unit, integration, end to end). Then it runs
# the end-to-end tests (`ctest -L e2e`) again against each other search server of EXTRA_SEARCH_SERVERS
# (lib.sh: DIST:VERSION:PORT ...; by default the newest Elasticsearch 8.x and OpenSearch that pass
# here), started one at a time and stopped after their run; the default node keeps running.
#   scripts/test.sh                 everything, then the e2e tests against the extra search servers
#   scripts/test.sh -L unit         only one label (unit | integration | e2e); any ctest argument works.
#                                   With arguments the extra servers are skipped, unless EXTRA_E2E=1.
#   EXTRA_E2E=0 scripts/test.sh     skip the extra servers (EXTRA_SEARCH_SERVERS="" does the same)
# Without arguments it also builds and runs the container images (scripts/images.sh ci; IMAGES=0 skips)
# and runs the e2e and kafka tests against Kafka 4.x (scripts/extra-kafka.sh; EXTRA_KAFKA_BROKERS="" skips).
# Without arguments it also builds the libFuzzer targets with clang and runs each for a short, fixed
# time on its corpus (scripts/fuzz.sh ci; FUZZ=0 skips, FUZZ_CI_SECONDS sets the time per target).
# Exits non-zero when any run fails. The recorded X API fixtures are read from
# ../shared/fixtures/x-api-v2 (or $TWEETSTREAM_FIXTURES).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

extra_e2e="${EXTRA_E2E:-auto}"
if [[ "$extra_e2e" == auto ]]; then extra_e2e=$(($# == 0)); fi
[[ -n "${EXTRA_SEARCH_SERVERS// /}" ]] || extra_e2e=0
for spec in $EXTRA_SEARCH_SERVERS; do parse_search_spec "$spec" || exit 2; done

if [[ "$extra_e2e" == 1 ]]; then bash "$here/install.sh" --extra; else bash "$here/install.sh"; fi
bash "$here/build.sh"
bash "$here/services.sh" start
export TWEETSTREAM_KAFKA="$KAFKA_BOOTSTRAP" TWEETSTREAM_ES_URL="$ES_URL"
cd "$BUILD_DIR"
rc=0
ctest --output-on-failure --timeout 900 "$@" || rc=1
# --- The fuzz targets (issue 16): a short fixed run each, in the full run only. ---------------------
if (($# == 0)) && [[ "${FUZZ:-1}" == 1 ]]; then bash "$here/fuzz.sh" ci || rc=1; fi
[[ "$extra_e2e" == 1 ]] || exit $rc

# --- The images built by a real engine and run (issue 13; IMAGES=0 skips), then the e2e and kafka
# tests against each broker of EXTRA_KAFKA_BROKERS (Kafka 4.x): scripts of their own.
if [[ "${IMAGES:-1}" == 1 ]]; then bash "$here/images.sh" ci || rc=1; fi
bash "$here/extra-kafka.sh" || rc=1

# --- The e2e tests against each extra search server, one at a time (2 cores: never two starting). --
# search_server SPEC start|stop|status: services.sh for the one search server SPEC (DIST:VERSION:PORT).
search_server() {
  parse_search_spec "$1"
  ES_DIST="$SPEC_DIST" ES_VERSION="$SPEC_VERSION" ES_PORT="$SPEC_PORT" bash "$here/services.sh" "$2" es
}
started=()   # servers this script started, stopped again at the end (also on failure or Ctrl-C)
stop_started() {
  local spec
  for spec in "${started[@]}"; do search_server "$spec" stop || true; done
  started=()
}
trap stop_started EXIT
summary=()
extra_begin=$SECONDS
for spec in $EXTRA_SEARCH_SERVERS; do
  parse_search_spec "$spec"
  name="$SPEC_DIST $SPEC_VERSION"
  echo
  echo "== e2e tests against $name on 127.0.0.1:$SPEC_PORT"
  begin=$SECONDS
  # One that was already running (someone is using it) is left running.
  if ! search_server "$spec" status >/dev/null 2>&1; then started+=("$spec"); fi
  if ! search_server "$spec" start; then
    rc=1; summary+=("$name: FAILED to start (logs: $RUN_DIR/es-$SPEC_DIST-$SPEC_VERSION/logs/)")
  # ES_* too: a test that drives scripts/services.sh then acts on this server, not on the default one.
  elif TWEETSTREAM_ES_URL="http://127.0.0.1:$SPEC_PORT" ES_DIST="$SPEC_DIST" ES_VERSION="$SPEC_VERSION" \
       ES_PORT="$SPEC_PORT" ctest -L e2e --output-on-failure --timeout 900; then
    summary+=("$name: passed ($((SECONDS - begin)) s with the start)")
  else
    rc=1; summary+=("$name: FAILED ($((SECONDS - begin)) s with the start)")
  fi
  stop_started   # free its memory before the next one starts
done
echo
echo "== e2e tests against the extra search servers ($((SECONDS - extra_begin)) s):"
printf '   %s\n' "${summary[@]}"
exit $rc
