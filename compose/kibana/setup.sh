#!/bin/sh
# One-shot (the kibana-setup service): waits until Kibana is available, imports the saved objects
# (data view on twitter* with created_at as time field, visualizations, saved search, dashboard;
# overwriting earlier copies, so a re-run is harmless) and makes the data view the default one.
#   KIBANA_URL (http://kibana:5601)   SAVED_OBJECTS (saved-objects.ndjson beside this script)
#   KIBANA_WAIT_SECONDS (300)         exit 0 imported; 1 Kibana never came up or refused the import
set -eu
KIBANA_URL="${KIBANA_URL:-http://kibana:5601}"
SAVED_OBJECTS="${SAVED_OBJECTS:-$(dirname "$0")/saved-objects.ndjson}"
DATA_VIEW_ID="tweetstream-twitter"
wait_seconds="${KIBANA_WAIT_SECONDS:-300}"

waited=0
until curl -fsS --max-time 10 "$KIBANA_URL/api/status" 2>/dev/null | grep -q '"level":"available"'; do
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "kibana-setup: Kibana at $KIBANA_URL is not available after ${wait_seconds}s" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done

response="$(curl -sS --max-time 60 -X POST "$KIBANA_URL/api/saved_objects/_import?overwrite=true" \
  -H 'kbn-xsrf: tweetstream' --form "file=@$SAVED_OBJECTS;filename=tweetstream.ndjson")"
case "$response" in
  *'"success":true'*) ;;
  *) echo "kibana-setup: the import was refused: $response" >&2; exit 1 ;;
esac
curl -fsS --max-time 30 -X POST "$KIBANA_URL/api/data_views/default" -H 'kbn-xsrf: tweetstream' \
  -H 'Content-Type: application/json' -d "{\"data_view_id\":\"$DATA_VIEW_ID\",\"force\":true}" >/dev/null
echo "kibana-setup: imported $(grep -c . "$SAVED_OBJECTS") saved objects; dashboard: $KIBANA_URL/app/dashboards#/view/tweetstream-dashboard"
