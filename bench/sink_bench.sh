#!/usr/bin/env bash
# The tweet-sink benchmark: in one run, with the same documents, index settings and batch bounds,
# measures and PRINTS (never asserts)
#   1. a raw _bulk loader posting the pre-rendered documents (the ceiling Elasticsearch allows),
#   2. tweet-sink draining a pre-filled topic (docs/s, CPU time per document, peak RSS),
#   3. a competent Python consumer (confluent-kafka, manual commits after the bulk, parallel_bulk),
#   4. the seed-style Python consumer (kafka-python + one es.index call per document),
# plus the ratios against the targets. See bench/README.md.
#
#   bench/sink_bench.sh [--count N] [--python-count N] [--competent-count N] [--rounds N]
#                       [--refresh-interval 30s] [--batch-records 2000] [--batch-bytes 5242880]
#                       [--in-flight 2] [--seed 42] [--keep] [--long-form [--long-form-chars 25000]]
#
# --long-form: every tweet is a long-form post (note_tweet.text of 25,000 characters, X API v2 shape),
# ~39 KB per document; the defaults become --count 10000 --python-count 1000 (a ~390 MB backlog).
#
# Needs Kafka on 127.0.0.1:9092 and Elasticsearch on http://127.0.0.1:9200 (scripts/services.sh
# start); it never starts or stops them. It creates only bench-* indices, templates, topics and
# consumer groups with a random suffix, and deletes them at the end (unless --keep).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
VENV="$ROOT/.venv-bench"
BUILD="${BUILD_DIR:-$ROOT/build}"
SOURCE_BIN="$BUILD/source-connector/tweet-source"
SINK_BIN="$BUILD/sink-connector/tweet-sink"
ES_URL="${ES_URL:-http://127.0.0.1:9200}"
BOOTSTRAP="${BOOTSTRAP:-127.0.0.1:9092}"

COUNT=
SEED=42
LONG_FORM=0
LONG_FORM_CHARS=25000
PYTHON_COUNT_GIVEN=0
PASS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --count=*) COUNT="${1#*=}"; shift ;;
    --seed) SEED="$2"; shift 2 ;;
    --seed=*) SEED="${1#*=}"; shift ;;
    --long-form) LONG_FORM=1; shift ;;
    --long-form-chars) LONG_FORM=1; LONG_FORM_CHARS="$2"; shift 2 ;;
    --long-form-chars=*) LONG_FORM=1; LONG_FORM_CHARS="${1#*=}"; shift ;;
    --python-count|--python-count=*) PYTHON_COUNT_GIVEN=1 ;;&
    --python-count|--competent-count|--rounds|--refresh-interval|--batch-records|--batch-bytes|--in-flight|--idle)
      PASS+=("$1" "$2"); shift 2 ;;
    --python-count=*|--competent-count=*|--rounds=*|--refresh-interval=*|--batch-records=*|--batch-bytes=*|--in-flight=*|--idle=*|--keep)
      PASS+=("$1"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "sink_bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $LONG_FORM -eq 1 ]]; then
  COUNT="${COUNT:-10000}"
  [[ $PYTHON_COUNT_GIVEN -eq 1 ]] || PASS+=(--python-count 1000)  # one request per 34 KB document is slow
  GEN_FLAGS=(--long-form --long-form-chars "$LONG_FORM_CHARS")
  RUN_FLAGS=(--long-form "$LONG_FORM_CHARS")
else
  COUNT="${COUNT:-100000}"
  GEN_FLAGS=()
  RUN_FLAGS=()
fi
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || { echo "sink_bench.sh: --count must be a positive integer" >&2; exit 2; }
[[ "$LONG_FORM_CHARS" =~ ^[1-9][0-9]*$ ]] || { echo "sink_bench.sh: --long-form-chars must be a positive integer" >&2; exit 2; }

step() { printf '[sink_bench] %s\n' "$*"; }

# --- services (checked, never started or stopped here: others use them) ---------------------------
curl -fsS "$ES_URL/" >/dev/null 2>&1 || {
  echo "sink_bench.sh: Elasticsearch is not reachable at $ES_URL (scripts/services.sh start es)" >&2; exit 1; }
(exec 3<>"/dev/tcp/${BOOTSTRAP%:*}/${BOOTSTRAP##*:}") 2>/dev/null || {
  echo "sink_bench.sh: no Kafka broker at $BOOTSTRAP (scripts/services.sh start kafka)" >&2; exit 1; }

# --- binaries (built if missing; others may be editing C++ files, so retry a few times) ------------
if [[ ! -x "$SOURCE_BIN" || ! -x "$SINK_BIN" ]]; then
  for attempt in 1 2 3; do
    step "building tweet-source and tweet-sink (attempt $attempt)"
    ninja -C "$BUILD" tweet-source tweet-sink && break
    [[ $attempt -lt 3 ]] && sleep 60
  done
  [[ -x "$SOURCE_BIN" && -x "$SINK_BIN" ]] || { echo "sink_bench.sh: build failed" >&2; exit 1; }
fi

# --- the Python venv (idempotent): kafka-python, confluent-kafka and the 7.x Elasticsearch client ----
if ! "$VENV/bin/python" -c 'import kafka, confluent_kafka, elasticsearch; assert elasticsearch.VERSION[0] == 7' 2>/dev/null; then
  step "creating $VENV (kafka-python, confluent-kafka, elasticsearch<8)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'kafka-python>=2.0.2' 'confluent-kafka>=2.3,<3' \
    'elasticsearch>=7.17,<8'
fi
PY="$VENV/bin/python"

# --- the tweets: a temp folder of X API v2 search pages, then a fresh topic -----------------------
SUFFIX="$(date +%H%M%S)-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOPIC="bench-tweets-$SUFFIX"
PAGES="$(mktemp -d /tmp/sink-bench-pages.XXXXXX)"
HANDED_OVER=0  # once run_bench.py runs, it deletes the topic itself
cleanup() {
  if [[ $HANDED_OVER -eq 0 ]]; then
    "$PY" -c 'import sys; from kafka.admin import KafkaAdminClient as A; a = A(bootstrap_servers=sys.argv[1]); \
      sys.argv[2] in a.list_topics() and a.delete_topics([sys.argv[2]])' "$BOOTSTRAP" "$TOPIC" 2>/dev/null || true
  fi
  rm -rf "$PAGES"
}
trap cleanup EXIT

# Work on copies: other engineers rebuild build/ while this runs, and a relink in the middle of a
# phase would fail it (or measure two different binaries).
mkdir -p "$PAGES/bin"
for attempt in 1 2 3 4 5 6; do
  cp -p "$SOURCE_BIN" "$SINK_BIN" "$PAGES/bin/" 2>/dev/null &&
    "$PAGES/bin/tweet-sink" --version >/dev/null 2>&1 && "$PAGES/bin/tweet-source" --version >/dev/null 2>&1 && break
  [[ $attempt -eq 6 ]] && { echo "sink_bench.sh: cannot take a working copy of the binaries in $BUILD" >&2; exit 1; }
  step "binaries are being rebuilt; retrying in 10 s"
  sleep 10
done
SOURCE_BIN="$PAGES/bin/tweet-source"
SINK_BIN="$PAGES/bin/tweet-sink"
BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)"

step "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
step "generating $COUNT $([[ $LONG_FORM -eq 1 ]] && echo "long-form ($LONG_FORM_CHARS-character) ")tweets (seed $SEED) into $PAGES"
start=$(date +%s.%N)
"$PY" "$BENCH/gen_pages.py" "$PAGES" --count "$COUNT" --seed "$SEED" "${GEN_FLAGS[@]}"
step "  $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f s", e-s}')"

step "tweet-source --mode=replay into the new topic $TOPIC (3 partitions)"
start=$(date +%s.%N)
if ! "$SOURCE_BIN" --mode=replay --replay-file="$PAGES" --topic="$TOPIC" --partitions=3 \
      --bootstrap-servers="$BOOTSTRAP" >"$PAGES/source.out" 2>"$PAGES/source.err"; then
  cat "$PAGES/source.err" "$PAGES/source.out" >&2
  echo "sink_bench.sh: tweet-source failed" >&2
  exit 1
fi
step "  $(tail -n1 "$PAGES/source.out") ($(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f s", e-s}'))"
rm -f "$PAGES"/page-*.json  # the topic holds them now

HANDED_OVER=1
"$PY" "$BENCH/run_bench.py" --count "$COUNT" --seed "$SEED" --topic "$TOPIC" --suffix "$SUFFIX" \
  --sink "$SINK_BIN" --build-type "${BUILD_TYPE:-?}" --es-url "$ES_URL" --bootstrap "$BOOTSTRAP" "${RUN_FLAGS[@]}" "${PASS[@]}"
