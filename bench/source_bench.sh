#!/usr/bin/env bash
# The tweet-source benchmark: PRINTS (never asserts)
#   1. replay of >= 200k tweets (the recorded search pages of the shared fixtures, repeated with new
#      unique tweet ids) through tweet-source into a fresh 3-partition topic: tweets/s, wall and CPU;
#   2. kcat producing the same number of records with the same keys, value sizes and headers (already
#      encoded: printable filler) into another fresh 3-partition topic, with the same producer settings;
#      then the ratio tweet-source / kcat (target >= 1.0x); and kcat producing the very records
#      tweet-source produced (same bytes, so the same compression work): a second ratio;
#   3. the transform alone (X JSON -> Protobuf bytes) on one thread: bench/transform_bench (target >= 150k
#      tweets/s per core, compared with XResponseEncoder's figure), when that target is built.
# See bench/README.md, section "tweet-source benchmark".
#
#   bench/source_bench.sh [--count 200000] [--rounds 2] [--keep]
#
# Needs Kafka on 127.0.0.1:9092 (scripts/services.sh start kafka; never started or stopped here), the
# fixtures (../shared/fixtures/x-api-v2 or $TWEETSTREAM_FIXTURES) and kcat (installed by
# scripts/install-bench-deps.sh, which this calls). Env: BOOTSTRAP, BUILD_DIR, KAFKA_DATA_DIR (the
# broker's log.dirs, for the topic sizes), TRANSFORM_BENCH (a transform_bench binary to use instead of
# building it in BUILD_DIR).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/bench/source_bench.py"
BUILD="${BUILD_DIR:-$ROOT/build}"
BOOTSTRAP="${BOOTSTRAP:-127.0.0.1:9092}"
FIXTURES="${TWEETSTREAM_FIXTURES:-$ROOT/../shared/fixtures/x-api-v2}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/.cache/run/kafka/data}"
COUNT=200000
ROUNDS=2
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --count=*) COUNT="${1#*=}"; shift ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --rounds=*) ROUNDS="${1#*=}"; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "source_bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$COUNT" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || {
  echo "source_bench.sh: --count and --rounds must be positive integers" >&2; exit 2; }

step() { printf '[source_bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

(exec 3<>"/dev/tcp/${BOOTSTRAP%:*}/${BOOTSTRAP##*:}") 2>/dev/null || {
  echo "source_bench.sh: no Kafka broker at $BOOTSTRAP (scripts/services.sh start kafka)" >&2; exit 1; }
[[ -d "$FIXTURES" ]] || { echo "source_bench.sh: fixtures folder $FIXTURES is missing (set TWEETSTREAM_FIXTURES)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "source_bench.sh: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }

"$ROOT/scripts/install-bench-deps.sh"

if [[ ! -x "$BUILD/source-connector/tweet-source" ]]; then
  step "building tweet-source"
  ninja -C "$BUILD" tweet-source
fi

WORK="$(mktemp -d /tmp/source-bench.XXXXXX)"
SUFFIX="$(date +%H%M%S)-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOPICS=()
cleanup() {
  rm -rf "$WORK"
  ((${#TOPICS[@]})) || return 0
  if [[ $KEEP -eq 0 && -x "$ROOT/.venv-bench/bin/python" ]] &&
     "$ROOT/.venv-bench/bin/python" -c 'import sys; from kafka.admin import KafkaAdminClient as A
a = A(bootstrap_servers=sys.argv[1]); a.delete_topics(sys.argv[2:]); a.close()' "$BOOTSTRAP" "${TOPICS[@]}" >/dev/null 2>&1; then
    step "deleted the topics ${TOPICS[*]}"
  else
    step "left the topics (delete them by hand if you like): ${TOPICS[*]}"
  fi
}
trap cleanup EXIT

# A copy of the binary: others rebuild build/ at any time.
cp "$BUILD/source-connector/tweet-source" "$WORK/tweet-source"
SRC="$WORK/tweet-source"
RESULTS="$WORK/results.tsv"   # label wall user sys records busy_jiffies total_jiffies
: > "$RESULTS"

step "building $COUNT+ tweets from the fixture search pages into $WORK/pages"
"$HELPER" pages "$FIXTURES" "$WORK/pages" --count "$COUNT" > "$WORK/pages.json"
TWEETS="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tweets"])' "$WORK/pages.json")"
: > "$WORK/empty.jsonl"

new_topic() {  # sets $TOPIC; created by tweet-source itself (3 partitions, replication 1) from an empty file
  TOPIC="bench-$1-$SUFFIX-r$2"
  "$SRC" --mode=replay --replay-file="$WORK/empty.jsonl" --topic="$TOPIC" --partitions=3 --log-level=warning >/dev/null
  TOPICS+=("$TOPIC")
}
proc_stat() { awk '/^cpu /{b=$2+$3+$4+$7+$8; t=b+$5+$6; print b, t}' /proc/stat; }
timed() {  # timed LABEL CMD... : wall and CPU (/usr/bin/time) and machine busy time (/proc/stat) into $RESULTS
  local label="$1"; shift
  local before after
  before="$(proc_stat)"
  /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" "$@"
  after="$(proc_stat)"
  read -r b0 t0 <<<"$before"; read -r b1 t1 <<<"$after"
  printf '%s %s %s %s\n' "$label" "$(cat "$WORK/time.txt")" "$((b1 - b0))" "$((t1 - t0))" >> "$RESULTS"
}
count_records() { kcat -C -b "$BOOTSTRAP" -t "$1" -e -q -f '\n' | wc -l; }

KCAT_FLAGS=(-P -b "$BOOTSTRAP" -z zstd -X linger.ms=20 -X enable.idempotence=true -X acks=all
            -X batch.size=1048576 -X queue.buffering.max.messages=100000 -X queue.buffering.max.kbytes=262144
            -X message.timeout.ms=120000
            -H content-type=application/x-protobuf -H schema=tweetstream.tweet.v1.TweetEnvelope)

run_source() {
  new_topic src "$1"; local t="$TOPIC"
  step "round $1: tweet-source --mode=replay into $t"
  timed "tweet-source:r$1:$t" "$SRC" --mode=replay --replay-file="$WORK/pages" --topic="$t" --compression=zstd \
    --linger-ms=20 --log-level=warning > "$WORK/source.out"
  cat "$WORK/source.out"
  LAST_SOURCE_TOPIC="$t"
}
run_kcat() {
  new_topic kcat "$1"; local t="$TOPIC"
  step "round $1: kcat -P into $t"
  timed "kcat:r$1:$t" kcat "${KCAT_FLAGS[@]}" -K $'\t' -t "$t" < "$WORK/kcat.tsv"
}
# The second peer: kcat producing the very records tweet-source produced (keys, protobuf values, headers),
# read back from its topic with multi-byte delimiters that no record contains (the record counts
# checked below would show a split record), so both compress exactly the same bytes. kcat reads its
# input partition by partition (as it consumed it), which lets its batches fill sooner, if anything.
KEY_DELIM='\x1f\x1eKEY\x1f'
MSG_DELIM='\x1e\x1dREC\x1d\x1e'
run_kcat_same_bytes() {
  new_topic kcatsame "$1"; local t="$TOPIC"
  step "round $1: kcat -P, the same bytes as tweet-source, into $t"
  timed "kcat-same-bytes:r$1:$t" kcat "${KCAT_FLAGS[@]}" -K "$KEY_DELIM" -D "$MSG_DELIM" -t "$t" < "$WORK/kcat-same.bin"
}
make_kcat_input() {  # same keys, value sizes and headers as the records tweet-source produced into $1
  step "reading the keys and value sizes of $1; writing kcat's input (printable filler of the same sizes)"
  kcat -C -b "$BOOTSTRAP" -t "$1" -e -q -f '%k\t%S\n' > "$WORK/sizes.tsv"
  local disk values ratio
  disk="$("$HELPER" disk "$KAFKA_DATA_DIR" "$1")"
  values="$(awk -F'\t' '{s += $2} END {print s}' "$WORK/sizes.tsv")"
  ratio="$(awk -v d="$disk" -v v="$values" 'BEGIN {r = (d > 0 && v > 0) ? d / v : 0.75; printf "%.3f", r}')"
  "$HELPER" filler "$WORK/sizes.tsv" "$WORK/kcat.tsv" --match-ratio "$ratio" > "$WORK/filler.json"
  step "reading the records of $1 as they are, for kcat's second run"
  kcat -C -b "$BOOTSTRAP" -t "$1" -e -q -K "$KEY_DELIM" -D "$MSG_DELIM" > "$WORK/kcat-same.bin"
}

LAST_SOURCE_TOPIC=""
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2 == 1)); then
    run_source "$r"
    [[ -f "$WORK/kcat.tsv" ]] || make_kcat_input "$LAST_SOURCE_TOPIC"
    run_kcat "$r"
    run_kcat_same_bytes "$r"
  else
    run_kcat_same_bytes "$r"
    run_kcat "$r"
    run_source "$r"
  fi
done

step "checking the record counts and the topic sizes"
: > "$WORK/topics.tsv"   # topic records bytes_on_disk
for t in "${TOPICS[@]}"; do
  printf '%s %s %s\n' "$t" "$(count_records "$t")" "$("$HELPER" disk "$KAFKA_DATA_DIR" "$t")" >> "$WORK/topics.tsv"
done

TRANSFORM_OUT="$WORK/transform.txt"
TB="${TRANSFORM_BENCH:-}"
if [[ -z "$TB" ]]; then
  if ninja -C "$BUILD" -t query transform_bench >/dev/null 2>&1; then
    step "building transform_bench"
    ninja -C "$BUILD" transform_bench >/dev/null && TB="$BUILD/bench/transform_bench"
  else
    echo "transform: SKIPPED: no transform_bench target in $BUILD (add 'add_subdirectory(bench)' to the root CMakeLists.txt and reconfigure)" > "$TRANSFORM_OUT"
  fi
fi
if [[ -n "$TB" ]]; then
  step "transform alone: $TB"
  "$TB" --passes=2 "$WORK/pages" > "$TRANSFORM_OUT"
fi

python3 - "$WORK" "$TWEETS" "$(nproc)" <<'EOF'
import json, os, statistics, sys
work, tweets, ncpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hz = os.sysconf("SC_CLK_TCK")
pages = json.load(open(f"{work}/pages.json"))
filler = json.load(open(f"{work}/filler.json"))
topics = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(f"{work}/topics.tsv")}
rows = []
for line in open(f"{work}/results.tsv"):
    label, wall, user, sys_, busy, total = line.split()
    who, rnd, topic = label.split(":")
    rows.append(dict(who=who, rnd=rnd, topic=topic, wall=float(wall), cpu=float(user) + float(sys_),
                     user=float(user), sys=float(sys_), busy=int(busy) / hz, total=int(total) / hz))
sizes = [int(l.split("\t")[1]) for l in open(f"{work}/sizes.tsv")]
line = "=" * 110
print(line)
print("tweet-source benchmark")
print(line)
print(f"machine   {ncpu} cores, load {open('/proc/loadavg').read().split()[0:3]} (1/5/15 min) at the end; shared with other work")
print(f"data      {tweets} tweets = {pages['copies']} copies of the {pages['tweets_per_copy']} tweets of {pages['fixture_pages']} fixture search pages "
      f"(new unique ids), {pages['pages']} pages, {pages['bytes']/1e6:.1f} MB of JSONL in {pages['files']} files")
print(f"records   {len(sizes)} values, {statistics.mean(sizes):.0f} bytes average ({min(sizes)}-{max(sizes)}), key 19-digit id, 2 headers; zstd, linger 20 ms, "
      f"batch 1 MiB, idempotent, acks=all; 3 partitions each")
print(f"kcat      same keys, value sizes and headers; values are printable filler ({filler['alphabet']} random symbols, picked so zstd "
      f"compresses it roughly like tweet-source's records) - compression ratios still differ, see the bytes on disk")
print(f"kcat-same-bytes  the very records tweet-source produced (keys, protobuf values, headers), read back from its topic: "
      f"the same bytes to compress")
print(line)
print(f"{'':28}{'tweets/s':>10}{'wall s':>9}{'CPU s':>8}{'cores':>7}{'us CPU/rec':>12}{'records':>9}{'MB on disk':>12}  machine busy (others)")
for r in rows:
    n, disk = topics.get(r["topic"], (0, 0))
    others = max(0.0, r["busy"] - r["cpu"])
    print(f"{r['who'] + ' ' + r['rnd']:28}{tweets / r['wall']:>10.0f}{r['wall']:>9.2f}{r['cpu']:>8.2f}{r['cpu'] / r['wall']:>7.2f}"
          f"{r['cpu'] * 1e6 / tweets:>12.1f}{n:>9}{disk / 1e6:>12.1f}  {r['busy']:.1f} of {r['total']:.1f} core-s ({others:.1f})")
bad = [r["topic"] for r in rows if topics.get(r["topic"], (0, 0))[0] != tweets]
if bad:
    print(f"WARNING: record count != {tweets} in {', '.join(bad)}")
med = {w: statistics.median(tweets / r["wall"] for r in rows if r["who"] == w)
       for w in ("tweet-source", "kcat", "kcat-same-bytes") if any(r["who"] == w for r in rows)}
print(line)
print(f"{'figure':40}{'measured':>12}   target (printed, not asserted)")
for peer, name in (("kcat", "tweet-source / kcat (median tweets/s)"),
                   ("kcat-same-bytes", "tweet-source / kcat-same-bytes")):
    if peer not in med:
        continue
    ratio = med["tweet-source"] / med[peer]
    print(f"{name:40}{ratio:>11.2f}x   >= 1.0x   {'met' if ratio >= 1.0 else 'NOT met'}"
          f"   ({med['tweet-source']:.0f} vs {med[peer]:.0f} tweets/s)")
tlines = open(f"{work}/transform.txt").read().splitlines()
per_core = [float(l.split("->")[1].split()[0]) for l in tlines if l.startswith("transform map+bytes")]
map_only = [float(l.split("->")[1].split()[0]) for l in tlines if l.startswith("transform map ")]
encode = [float(l.split("->")[1].split()[0]) for l in tlines if l.startswith("transform encode")]
if encode:
    best = max(encode)
    print(f"{'transform JSON -> Protobuf bytes, 1 thread':40}{best:>12.0f}   >= 150000 tweets/s per core   {'met' if best >= 150000 else 'NOT met'}"
          f"   (best pass of XResponseEncoder; worst {min(encode):.0f})")
if per_core:
    best = max(per_core)
    print(f"{'  ParseXResponse + SerializeAsString':40}{best:>12.0f}   (best pass; ParseXResponse alone: {max(map_only):.0f})")
print(line)
for l in tlines:
    print(l)
print(line)
EOF
