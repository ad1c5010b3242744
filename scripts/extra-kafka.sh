#!/usr/bin/env bash
# Runs the end-to-end and Kafka tests (`ctest -L 'e2e|kafka'`) again against each broker of
# EXTRA_KAFKA_BROKERS (lib.sh: VERSION:PORT ..., by default the newest Kafka 4.x that Maven Central serves),
# the way scripts/test.sh runs the e2e tests against extra search servers: each installed when missing
# (scripts/install.sh's Maven resolution), started beside the default broker (its own port, controller on
# port + 1, data and logs in $RUN_DIR/kafka-VERSION-PORT), stopped after its run if this script started it.
# The search server is the default one (scripts/services.sh start). Called by scripts/test.sh; alone:
#   scripts/extra-kafka.sh            every broker of EXTRA_KAFKA_BROKERS
#   scripts/extra-kafka.sh -R NAME    any ctest arguments instead of -L 'e2e|kafka'
# Exits non-zero when any run fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

ctest_args=("$@")
((${#ctest_args[@]})) || ctest_args=(-L 'e2e|kafka')
rc=0
summary=()
started=()
broker() { KAFKA_VERSION="$1" KAFKA_PORT="$2" bash "$here/services.sh" "$3" kafka; }
stop_started() {
  local spec
  for spec in "${started[@]}"; do broker "${spec%%:*}" "${spec##*:}" stop || true; done
  started=()
}
trap stop_started EXIT
for spec in $EXTRA_KAFKA_BROKERS; do
  version="${spec%%:*}" port="${spec##*:}"
  if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ || ! "$port" =~ ^[0-9]+$ ]]; then
    echo "extra-kafka: bad broker '$spec': expected VERSION:PORT, e.g. 4.4.0:9094" >&2; exit 2
  fi
  echo
  echo "== e2e and kafka tests against Kafka $version on 127.0.0.1:$port"
  begin=$SECONDS
  [[ -f "$CACHE_DIR/kafka-$version/.complete" ]] || KAFKA_VERSION="$version" bash "$here/install.sh" >/dev/null
  if ! broker "$version" "$port" status >/dev/null 2>&1; then started+=("$spec"); fi
  if ! broker "$version" "$port" start; then
    rc=1; summary+=("Kafka $version: FAILED to start (logs: $RUN_DIR/kafka-$version-$port/)")
  # KAFKA_*: a test that drives scripts/services.sh then acts on this broker, not on the default one.
  elif (cd "$BUILD_DIR" && TWEETSTREAM_KAFKA="127.0.0.1:$port" TWEETSTREAM_ES_URL="$ES_URL" KAFKA_VERSION="$version" \
        KAFKA_PORT="$port" ctest "${ctest_args[@]}" --output-on-failure --timeout 900); then
    summary+=("Kafka $version: passed ($((SECONDS - begin)) s with the start)")
  else
    rc=1; summary+=("Kafka $version: FAILED ($((SECONDS - begin)) s with the start)")
  fi
  stop_started
done
echo
echo "== tests against the extra Kafka brokers:"
printf '   %s\n' "${summary[@]}"
exit $rc
