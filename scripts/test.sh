#!/usr/bin/env bash
# THE test command (README, CI): installs what is missing, builds, starts the real Kafka broker and
# Elasticsearch node, and runs every test through CTest (unit, integration, end to end).
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only one label (unit | integration | e2e); any ctest argument works
# The recorded X API fixtures are read from ../shared/fixtures/x-api-v2 (or $TWEETSTREAM_FIXTURES).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

bash "$here/install.sh"
bash "$here/build.sh"
bash "$here/services.sh" start
export TWEETSTREAM_KAFKA="$KAFKA_BOOTSTRAP" TWEETSTREAM_ES_URL="$ES_URL"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"
