#!/usr/bin/env bash
# The latency benchmark: PRINTS (never asserts) how late tweets are at the sink, at a live rate.
# For each rate, tweet-source --mode=synthetic --synthetic-live produces for --seconds into a fresh
# topic; tweet-sink indexes it into a fresh index (default refresh) twice, once per mode:
#   adaptive  the default: a bulk goes at once when nothing more waits in the consumer and a bulk slot
#             is free; it grows up to its bounds only while every slot is busy (--linger caps it)
#   fixed     --send-when-idle=false: every bulk waits for a bound or --linger (1 s), as before
# and reports p50/p99/max of ingestion -> bulk acknowledged (tweet-sink's histogram) and of
# ingestion -> searchable (sampled ids polled with _search). See bench/README.md.
#
#   bench/latency_bench.sh [--rates 200,1000,5000] [--seconds 60] [--modes adaptive,fixed] [--keep]
#
# Needs Kafka on 127.0.0.1:9092 and Elasticsearch on http://127.0.0.1:9200 (scripts/services.sh
# start); it never starts or stops them, and creates only bench-lat-* topics, indices and templates,
# deleted at the end (unless --keep). Takes about 2 x rates x seconds, plus ~10 s per run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-bench"
BUILD="${BUILD_DIR:-$ROOT/build}"
ES_URL="${ES_URL:-http://127.0.0.1:9200}"
BOOTSTRAP="${BOOTSTRAP:-127.0.0.1:9092}"
PASS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rates|--seconds|--modes|--sample-every) PASS+=("$1" "$2"); shift 2 ;;
    --rates=*|--seconds=*|--modes=*|--sample-every=*|--keep) PASS+=("$1"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "latency_bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
step() { printf '[latency_bench] %s\n' "$*"; }

curl -fsS "$ES_URL/" >/dev/null 2>&1 || {
  echo "latency_bench.sh: Elasticsearch is not reachable at $ES_URL (scripts/services.sh start es)" >&2; exit 1; }
(exec 3<>"/dev/tcp/${BOOTSTRAP%:*}/${BOOTSTRAP##*:}") 2>/dev/null || {
  echo "latency_bench.sh: no Kafka broker at $BOOTSTRAP (scripts/services.sh start kafka)" >&2; exit 1; }

if [[ ! -x "$BUILD/source-connector/tweet-source" || ! -x "$BUILD/sink-connector/tweet-sink" ]]; then
  step "building tweet-source and tweet-sink"
  ninja -C "$BUILD" tweet-source tweet-sink
fi
# The same venv as bench/sink_bench.sh (kafka-python, confluent-kafka).
if ! "$VENV/bin/python" -c 'import kafka, confluent_kafka' 2>/dev/null; then
  step "creating $VENV (kafka-python, confluent-kafka, elasticsearch<8)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'kafka-python>=2.0.2' 'confluent-kafka>=2.3,<3' \
    'elasticsearch>=7.17,<8'
fi

# Work on copies: others rebuild build/ while this runs.
WORK="$(mktemp -d /tmp/latency-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cp -p "$BUILD/source-connector/tweet-source" "$BUILD/sink-connector/tweet-sink" "$WORK/"
step "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $("$WORK/tweet-sink" --version 2>&1 | head -n1)"
"$VENV/bin/python" "$ROOT/bench/latency_bench.py" --source "$WORK/tweet-source" --sink "$WORK/tweet-sink" \
  --es-url "$ES_URL" --bootstrap "$BOOTSTRAP" --workdir "$WORK" "${PASS[@]}"
step "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
