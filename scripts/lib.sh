# Shared settings for the scripts in this folder (sourced, not run).
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${TWEETSTREAM_CACHE:-$ROOT_DIR/.cache}"
RUN_DIR="${TWEETSTREAM_RUN_DIR:-$CACHE_DIR/run}"        # data and logs of the local services
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
ES_DIST="${ES_DIST:-elasticsearch}"
ES_VERSION="${ES_VERSION:-7.17.29}"
ES_USER="${ES_USER:-tweetstream-es}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
ES_PORT="${ES_PORT:-9200}"
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
ES_URL="http://127.0.0.1:$ES_PORT"
BUILD_DIR="${BUILD_DIR:-$ROOT_DIR/build}"

# Picks the JDK a given Elasticsearch needs: 9.x and OpenSearch 3.x want a newer one than 17.
search_java_home() {
  local major="${ES_VERSION%%.*}"
  if { [[ "$ES_DIST" == elasticsearch && "$major" -ge 9 ]] || [[ "$ES_DIST" == opensearch && "$major" -ge 3 ]]; }; then
    ls -d /usr/lib/jvm/temurin-*-jdk-amd64 2>/dev/null | sort -V | tail -n 1
  else
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"
  fi
}
