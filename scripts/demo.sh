#!/usr/bin/env bash
# THE demo command (README): on a fresh machine, installs, builds, starts Kafka + Elasticsearch, runs
# tweet-source on the project's own sample data (samples/) and tweet-sink into the index `twitter`,
# then prints how many tweets were indexed and the result of an example search.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

bash "$here/install.sh"
bash "$here/build.sh" tweet-source tweet-sink
bash "$here/services.sh" start

SOURCE="$BUILD_DIR/source-connector/tweet-source"
SINK="$BUILD_DIR/sink-connector/tweet-sink"
echo
echo "== tweet-source: replaying samples/ into Kafka topic twitter-stream"
"$SOURCE" --mode=replay --replay-file="$ROOT_DIR/samples" --bootstrap-servers="$KAFKA_BOOTSTRAP" --topic=twitter-stream
echo
echo "== tweet-sink: indexing twitter-stream into Elasticsearch index twitter (exits when idle)"
"$SINK" --bootstrap-servers="$KAFKA_BOOTSTRAP" --topic=twitter-stream --es-url="$ES_URL" --index=twitter \
  --group-id=tweet-sink-demo --exit-when-idle=5s
curl -fsS -X POST "$ES_URL/twitter/_refresh" >/dev/null

echo
echo "== Indexed: $(curl -fsS "$ES_URL/twitter/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])') tweets in index twitter"
echo
echo "== Example search: tweets with #Kafka, most liked first"
curl -fsS -H 'Content-Type: application/json' "$ES_URL/twitter/_search" -d '{
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
echo "Try it yourself:  curl '$ES_URL/twitter/_search?q=text:kafka&pretty'"
echo "Stop services:    scripts/services.sh stop"
