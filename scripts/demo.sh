#!/usr/bin/env bash
# THE demo command (README): on a fresh machine, installs, builds tweet-source, tweet-sink and
# tweetctl, starts Kafka + Elasticsearch, runs tweet-source on the project's own sample data
# (samples/) and tweet-sink into the index `twitter`, prints how many tweets were indexed and the
# result of an example search, and ends with `tweetctl status` of the two connectors it ran.
#
# Both connectors keep their control plane up once their data plane is done (--keep-control-plane),
# so that tweetctl can show them; the demo then stops them with SIGTERM (exit 0 expected).
# The settings' environment twins are honoured (README "Configuration"): TWEET_SOURCE_TOPIC,
# TWEET_SINK_INDEX, TWEET_SINK_GROUP_ID, TWEET_SOURCE_CONTROL_ADDR, TWEET_SINK_CONTROL_ADDR, ...
# (tests/docs/docs_test.py runs the demo in a topic, index and ports of its own that way).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

bash "$here/install.sh"
bash "$here/build.sh" tweet-source tweet-sink tweetctl
bash "$here/services.sh" start

SOURCE="$BUILD_DIR/source-connector/tweet-source"
SINK="$BUILD_DIR/sink-connector/tweet-sink"
CTL="$BUILD_DIR/tools/tweetctl/tweetctl"
TOPIC="${TWEET_SOURCE_TOPIC:-twitter-stream}"
INDEX="${TWEET_SINK_INDEX:-twitter}"
GROUP="${TWEET_SINK_GROUP_ID:-tweet-sink-demo}"
SOURCE_CONTROL="${TWEET_SOURCE_CONTROL_ADDR:-127.0.0.1:50051}"
SINK_CONTROL="${TWEET_SINK_CONTROL_ADDR:-127.0.0.1:50052}"
ctl() { "$CTL" --source "$SOURCE_CONTROL" --sink "$SINK_CONTROL" "$@"; }

pids=()   # the connectors this script started; stopped on any exit
stop_connectors() {
  local pid rc=0
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  pids=()
  return $rc
}
trap 'stop_connectors || true' EXIT

# wait_finished source|sink PID: until the connector's data plane is done (STOPPED: exit 0) or FAILED
# or the process exited (exit 1), for at most 5 minutes.
wait_finished() {
  local deadline=$((SECONDS + 300)) json state
  while ((SECONDS < deadline)); do
    json="$(ctl --timeout=2s --json status "$1" 2>/dev/null)" || json=""
    state="$(python3 -c 'import json,sys
try: print(json.loads(sys.argv[2])[sys.argv[1]].get("state", ""))
except Exception: print("")' "$1" "$json")"
    case "$state" in
      CONNECTOR_STATE_STOPPED) return 0 ;;
      CONNECTOR_STATE_FAILED) echo "demo: tweet-$1 FAILED:" >&2; ctl status "$1" >&2 || true; return 1 ;;
    esac
    if ! kill -0 "$2" 2>/dev/null; then echo "demo: tweet-$1 exited early (see its log above)" >&2; return 1; fi
    sleep 0.2
  done
  echo "demo: tweet-$1 did not finish within 5 minutes" >&2
  return 1
}

echo
echo "== tweet-source: replaying samples/ into Kafka topic $TOPIC"
"$SOURCE" --mode=replay --replay-file="$ROOT_DIR/samples" --bootstrap-servers="$KAFKA_BOOTSTRAP" --topic="$TOPIC" \
  --control-addr="$SOURCE_CONTROL" --keep-control-plane &
pids+=($!)
wait_finished source "${pids[0]}"
echo
echo "== tweet-sink: indexing $TOPIC into Elasticsearch index $INDEX (done when idle for 5 s)"
"$SINK" --bootstrap-servers="$KAFKA_BOOTSTRAP" --topic="$TOPIC" --es-url="$ES_URL" --index="$INDEX" \
  --group-id="$GROUP" --exit-when-idle=5s --control-addr="$SINK_CONTROL" --keep-control-plane &
pids+=($!)
wait_finished sink "${pids[1]}"
curl -fsS -X POST "$ES_URL/$INDEX/_refresh" >/dev/null

echo
echo "== Indexed: $(curl -fsS "$ES_URL/$INDEX/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])') tweets in index $INDEX"
echo
echo "== Example search: tweets with #Kafka, most liked first"
curl -fsS -H 'Content-Type: application/json' "$ES_URL/$INDEX/_search" -d '{
  "size": 5,
  "query": {"term": {"entities.hashtags.tag": "Kafka"}},
  "sort": [{"public_metrics.like_count": "desc"}],
  "_source": ["id", "created_at", "author.username", "text", "public_metrics.like_count"]
}' | python3 -c "$(cat <<'PY'
import json, sys
r = json.load(sys.stdin)
print("%d match(es)" % r["hits"]["total"]["value"])
for h in r["hits"]["hits"]:
    s = h["_source"]
    likes = s.get("public_metrics", {}).get("like_count", 0)
    author = s.get("author", {}).get("username", "?")
    print("  %s  @%s  (%d likes)  %s" % (s["created_at"], author, likes, s["text"][:90].replace("\n", " ")))
PY
)"
echo
echo "Try it yourself:  curl '$ES_URL/$INDEX/_search?q=text:kafka&pretty'"
echo "Stop services:    scripts/services.sh stop"

# The pipeline it ran, as tweetctl shows it: both connectors are done (STOPPED), with their counters.
# Taken before they are stopped, shown after their shutdown lines, so that it is what the demo ends with.
ctl_cmd="${CTL#"$ROOT_DIR"/}"
if [[ "$SOURCE_CONTROL" != 127.0.0.1:50051 || "$SINK_CONTROL" != 127.0.0.1:50052 ]]; then
  ctl_cmd+=" --source $SOURCE_CONTROL --sink $SINK_CONTROL"
fi
status_rc=0
status_out="$(ctl status 2>&1)" || status_rc=$?
stop_connectors
echo
echo "== The pipeline as \`$ctl_cmd status\` showed it as both connectors finished (it works while they run):"
echo "$status_out"
exit $status_rc
