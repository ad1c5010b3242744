#!/bin/bash
# One-shot (the kafka-init service): creates the three topics of the pipeline if they are missing.
#   TOPIC          the tweets (TOPIC_PARTITIONS partitions)
#   CURSOR_TOPIC   tweet-source's cursors: compacted, only the newest position per key matters
#   DLQ_TOPIC      tweet-sink's dead letters
# KAFKA_TOPICS names the kafka-topics tool (the apache/kafka image's by default).
set -euo pipefail
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:9092}"
create() {
  local name="$1"; shift
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --create --if-not-exists --topic "$name" \
    --replication-factor 1 "$@"
}
create "${TOPIC:-twitter-stream}" --partitions "${TOPIC_PARTITIONS:-3}"
create "${CURSOR_TOPIC:-twitter-stream-source-offsets}" --partitions 1 --config cleanup.policy=compact
create "${DLQ_TOPIC:-twitter-stream-dlq}" --partitions 1
"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --describe \
  --topic "${TOPIC:-twitter-stream}|${CURSOR_TOPIC:-twitter-stream-source-offsets}|${DLQ_TOPIC:-twitter-stream-dlq}"
echo "kafka-init: topics ready"
