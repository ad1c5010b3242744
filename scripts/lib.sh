# Shared settings for the scripts in this folder (sourced, not run).
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${TWEETSTREAM_CACHE:-$ROOT_DIR/.cache}"
RUN_DIR="${TWEETSTREAM_RUN_DIR:-$CACHE_DIR/run}"        # data and logs of the local services
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
ES_DIST="${ES_DIST:-elasticsearch}"
ES_VERSION="${ES_VERSION:-7.17.29}"
ES_USER="${ES_USER:-tweetstream-es}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
# The KRaft controller listens on the port after the broker, so a second broker on KAFKA_PORT=19092
# (a clean-clone CI run beside a working one) takes 19093 and the two never collide.
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
ES_PORT="${ES_PORT:-9200}"
# The search servers that scripts/test.sh also runs the end-to-end tests against, after the main run
# against the default one above: DIST:VERSION:PORT, space-separated (empty: none).
EXTRA_SEARCH_SERVERS="${EXTRA_SEARCH_SERVERS-elasticsearch:8.19.21:9201 opensearch:3.6.0:9202}"
# The brokers that scripts/extra-kafka.sh (run by scripts/test.sh) also runs the e2e and kafka tests
# against, beside the default one: VERSION:PORT, space-separated (empty: none).
EXTRA_KAFKA_BROKERS="${EXTRA_KAFKA_BROKERS-4.4.0:9094}"
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
ES_URL="http://127.0.0.1:$ES_PORT"
# Each search server keeps its data and logs in a folder of its own, so that several run side by side.
ES_RUN="$RUN_DIR/es-$ES_DIST-$ES_VERSION"
BUILD_DIR="${BUILD_DIR:-$ROOT_DIR/build}"

# parse_search_spec DIST:VERSION:PORT -> SPEC_DIST, SPEC_VERSION, SPEC_PORT (an EXTRA_SEARCH_SERVERS item).
parse_search_spec() {
  IFS=: read -r SPEC_DIST SPEC_VERSION SPEC_PORT <<<"$1"
  if [[ ! "$SPEC_DIST" =~ ^(elasticsearch|opensearch)$ || ! "$SPEC_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ||
        ! "$SPEC_PORT" =~ ^[0-9]+$ ]]; then
    echo "bad search server '$1': expected DIST:VERSION:PORT, e.g. opensearch:2.19.6:9202" >&2
    return 1
  fi
}

# Picks the JDK a given Elasticsearch needs: 9.x and OpenSearch 3.x want a newer one than 17.
# search_java_home [DIST VERSION] (default: $ES_DIST $ES_VERSION)
search_java_home() {
  local dist="${1:-$ES_DIST}" version="${2:-$ES_VERSION}"
  local major="${version%%.*}"
  if { [[ "$dist" == elasticsearch && "$major" -ge 9 ]] || [[ "$dist" == opensearch && "$major" -ge 3 ]]; }; then
    ls -d /usr/lib/jvm/temurin-*-jdk-amd64 2>/dev/null | sort -V | tail -n 1
  else
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"
  fi
}
