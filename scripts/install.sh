#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine for tweetstream: Debian packages, the test venv, grpcurl (built
# from the Go module proxy, install-grpcurl.sh), buf (from npm, install-buf.sh), the dashboard's pinned npm packages (install-dashboard-assets.sh), then Apache Kafka's broker and an Elasticsearch node
# from Maven Central into the git-ignored .cache/ folder, and the unprivileged user that Elasticsearch
# runs as. Idempotent: what is already there is kept, a second run is a no-op.
#
# Versions can be chosen by environment (defaults are what the tests use):
#   KAFKA_VERSION (3.9.2)  ES_VERSION (7.17.29)  ES_DIST (elasticsearch | opensearch)
#   scripts/install.sh --extra   also the extra search servers of EXTRA_SEARCH_SERVERS (lib.sh) that
#                                scripts/test.sh runs the end-to-end tests against
#   FUZZ=1 scripts/install.sh    also clang 14 and its libFuzzer runtime (install-deps.sh --fuzz), which
#                                scripts/fuzz.sh otherwise installs itself when it runs
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

bash "$here/install-deps.sh"
if [[ "${FUZZ:-0}" == 1 ]]; then bash "$here/install-deps.sh" --fuzz; fi
bash "$here/install-python-deps.sh"
bash "$here/install-grpcurl.sh"
bash "$here/install-buf.sh"
bash "$here/install-dashboard-assets.sh"

mkdir -p "$CACHE_DIR"

# --- Kafka: the broker is kafka_2.13 plus its runtime dependencies, resolved by Maven. -------------
install_kafka() {
  local dir="$CACHE_DIR/kafka-$KAFKA_VERSION"
  if [[ -f "$dir/.complete" ]]; then echo "install: Kafka $KAFKA_VERSION already in $dir"; return; fi
  command -v mvn >/dev/null || { echo "install: Maven (mvn) is needed to fetch Kafka" >&2; exit 1; }
  rm -rf "$dir"; mkdir -p "$dir"
  local pom="$here/kafka-pom.xml"
  if [[ "${KAFKA_VERSION%%.*}" -ge 4 ]]; then pom="$here/kafka4-pom.xml"; fi   # log4j 2 (KIP-653)
  sed "s/@KAFKA_VERSION@/$KAFKA_VERSION/" "$pom" > "$dir/pom.xml"
  echo "install: resolving Kafka $KAFKA_VERSION from Maven Central"
  (cd "$dir" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$dir/libs" -DincludeScope=runtime)
  touch "$dir/.complete"
}

# --- Elasticsearch (or OpenSearch): the integ-test-zip distribution from Maven Central. -----------
# install_search DIST VERSION: into $CACHE_DIR/DIST-VERSION (each version beside the others).
install_search() {
  local dist="$1" version="$2"
  local dir="$CACHE_DIR/$dist-$version"
  if [[ -f "$dir/.complete" ]]; then echo "install: $dist $version already in $dir"; return; fi
  local group
  case "$dist" in
    elasticsearch) group="org/elasticsearch/distribution/integ-test-zip/elasticsearch" ;;
    opensearch) group="org/opensearch/distribution/integ-test-zip/opensearch" ;;
    *) echo "install: unknown search server '$dist' (elasticsearch | opensearch)" >&2; exit 2 ;;
  esac
  local url="https://repo.maven.apache.org/maven2/$group/$version/$dist-$version.zip"
  local part="$dir.zip.part" tmp="$dir.unpack.$$"
  echo "install: downloading $url"
  rm -rf "$dir" "$part" "$tmp"
  curl -fsSL --retry 3 --connect-timeout 30 --max-time 1800 -o "$part" "$url"
  mkdir -p "$tmp" && unzip -q "$part" -d "$tmp"
  mv "$tmp/$dist-$version" "$dir" && rm -rf "$tmp" "$part"
  touch "$dir/.complete"
}

# --- The unprivileged user: Elasticsearch refuses to run as root. ---------------------------------
install_user() {
  if [[ $(id -u) -ne 0 ]]; then return; fi   # not root: Elasticsearch runs as the caller
  if ! id "$ES_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
    echo "install: created user $ES_USER"
  fi
}

install_kafka
install_search "$ES_DIST" "$ES_VERSION"
# With --extra (scripts/test.sh): also every server of EXTRA_SEARCH_SERVERS (lib.sh).
if [[ "${1:-}" == --extra ]]; then
  for spec in $EXTRA_SEARCH_SERVERS; do
    parse_search_spec "$spec" || exit 2
    install_search "$SPEC_DIST" "$SPEC_VERSION"
  done
fi
install_user
echo "install: done (cache: $CACHE_DIR)"
