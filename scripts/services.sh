#!/usr/bin/env bash
# Starts, stops and reports the real services that tweetstream runs against, on loopback:
#   an Apache Kafka broker in KRaft mode (no ZooKeeper) and an Elasticsearch node.
#
#   scripts/services.sh start  [kafka|es|all]   start and wait until healthy (a running one is kept)
#   scripts/services.sh stop   [kafka|es|all]   stop (data is kept; `reset` wipes it)
#   scripts/services.sh status [kafka|es|all]   exit 0 only when every named service is healthy
#   scripts/services.sh reset  [kafka|es|all]   stop and delete data and logs
#
# Logs: $RUN_DIR/kafka/kafka.log and $RUN_DIR/es/logs/ (printed when something fails).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
ES_HOME="$CACHE_DIR/$ES_DIST-$ES_VERSION"
KAFKA_RUN="$RUN_DIR/kafka"
ES_RUN="$RUN_DIR/es"
WAIT_SECONDS="${WAIT_SECONDS:-120}"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- Kafka
kafka_healthy() {
  pid_alive "$KAFKA_RUN/kafka.pid" && port_open "$KAFKA_PORT" &&
    grep -q 'Kafka Server started' "$KAFKA_RUN/kafka.log" 2>/dev/null
}

kafka_start() {
  if kafka_healthy; then echo "kafka: already running on $KAFKA_BOOTSTRAP"; return 0; fi
  if port_open "$KAFKA_PORT"; then
    echo "kafka: port $KAFKA_PORT is taken by another process; stop it or set KAFKA_PORT" >&2; return 1
  fi
  [[ -f "$KAFKA_HOME/.complete" ]] || { echo "kafka: not installed; run scripts/install.sh" >&2; return 1; }
  mkdir -p "$KAFKA_RUN/data"
  cat > "$KAFKA_RUN/server.properties" <<PROPS
# Single-node KRaft broker for development and tests (written by scripts/services.sh).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_RUN/data
num.partitions=3
# One broker: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Tests start consumer groups often; do not wait 3 s for more members before the first rebalance.
group.initial.rebalance.delay.ms=0
PROPS
  cat > "$KAFKA_RUN/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$KAFKA_RUN/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java_opts=(-Xms512m -Xmx1g -cp "$KAFKA_HOME/libs/*" "-Dlog4j.configuration=file:$KAFKA_RUN/log4j.properties")
  if [[ ! -f "$KAFKA_RUN/data/meta.properties" ]]; then
    local cluster_id
    cluster_id=$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_RUN/server.properties" \
      >"$KAFKA_RUN/format.log" 2>&1 || { cat "$KAFKA_RUN/format.log" >&2; return 1; }
  fi
  : > "$KAFKA_RUN/kafka.log"
  nohup java "${java_opts[@]}" kafka.Kafka "$KAFKA_RUN/server.properties" >"$KAFKA_RUN/stdout.log" 2>&1 &
  echo $! > "$KAFKA_RUN/kafka.pid"
  echo -n "kafka: starting on $KAFKA_BOOTSTRAP "
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if kafka_healthy; then echo " up"; return 0; fi
    if ! pid_alive "$KAFKA_RUN/kafka.pid"; then break; fi
    echo -n "."; sleep 1
  done
  echo " FAILED" >&2
  echo "kafka: did not become healthy; logs: $KAFKA_RUN/kafka.log $KAFKA_RUN/stdout.log" >&2
  tail -n 30 "$KAFKA_RUN/stdout.log" "$KAFKA_RUN/kafka.log" >&2 || true
  return 1
}

kafka_stop() {
  if pid_alive "$KAFKA_RUN/kafka.pid"; then
    local pid; pid=$(cat "$KAFKA_RUN/kafka.pid")
    kill "$pid"
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "kafka: stopped"
  else
    echo "kafka: not running"
  fi
  rm -f "$KAFKA_RUN/kafka.pid"
}

kafka_status() {
  if kafka_healthy; then echo "kafka: healthy on $KAFKA_BOOTSTRAP (pid $(cat "$KAFKA_RUN/kafka.pid"))"
  else echo "kafka: not running (log: $KAFKA_RUN/kafka.log)"; return 1; fi
}

# ---------------------------------------------------------------- Elasticsearch
es_healthy() {
  curl -fs -m 5 "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null |
    grep -qE '"status":"(green|yellow)"'
}

as_es_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

es_start() {
  if es_healthy; then echo "es: already running on $ES_URL"; return 0; fi
  if port_open "$ES_PORT"; then
    echo "es: port $ES_PORT is taken by another process; stop it or set ES_PORT" >&2; return 1
  fi
  [[ -f "$ES_HOME/.complete" ]] || { echo "es: not installed; run scripts/install.sh" >&2; return 1; }
  mkdir -p "$ES_RUN/data" "$ES_RUN/logs" "$ES_RUN/tmp" "$ES_RUN/config"
  cp -rn "$ES_HOME/config/." "$ES_RUN/config/"
  # jvm.options names gc.log, heap dumps and error files relative to the distribution's folder,
  # which the unprivileged user cannot write: point them at $ES_RUN.
  sed -i -E "s#(file=|HeapDumpPath=|ErrorFile=)(logs|data)/#\1$ES_RUN/\2/#g" "$ES_RUN/config/jvm.options"
  sed -i -E "s#HeapDumpPath=data\$#HeapDumpPath=$ES_RUN/data#" "$ES_RUN/config/jvm.options"
  if [[ $(id -u) -eq 0 ]]; then chown -R "$ES_USER" "$ES_RUN"; chmod o+x "$RUN_DIR" "$CACHE_DIR" 2>/dev/null || true; fi
  local java_home; java_home=$(search_java_home)
  local settings=(
    -E "path.data=$ES_RUN/data" -E "path.logs=$ES_RUN/logs"
    -E "http.port=$ES_PORT" -E "network.host=127.0.0.1"
    -E "discovery.type=single-node"
    # A development node: do not stop writing when the disk of a shared machine fills up.
    -E "cluster.routing.allocation.disk.threshold_enabled=false"
  )
  [[ "$ES_DIST" == elasticsearch ]] && settings+=(-E "xpack.security.enabled=false")
  [[ "$ES_DIST" == opensearch ]] && settings+=(-E "plugins.security.disabled=true")
  local bin="$ES_HOME/bin/$ES_DIST"
  echo -n "es: starting $ES_DIST $ES_VERSION on $ES_URL "
  (as_es_user env JAVA_HOME="$java_home" ES_JAVA_HOME="$java_home" OPENSEARCH_JAVA_HOME="$java_home" \
    ES_PATH_CONF="$ES_RUN/config" OPENSEARCH_PATH_CONF="$ES_RUN/config" ES_TMPDIR="$ES_RUN/tmp" \
    ES_JAVA_OPTS="-Xms1g -Xmx1g" OPENSEARCH_JAVA_OPTS="-Xms1g -Xmx1g" \
    "$bin" -d -p "$ES_RUN/es.pid" "${settings[@]}" >"$ES_RUN/logs/stdout.log" 2>&1) || {
      echo " FAILED" >&2; echo "es: could not start; logs: $ES_RUN/logs/" >&2
      tail -n 40 "$ES_RUN/logs/stdout.log" >&2; return 1; }
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if es_healthy; then echo " up"; return 0; fi
    if [[ -f "$ES_RUN/es.pid" ]] && ! pid_alive "$ES_RUN/es.pid"; then break; fi
    echo -n "."; sleep 1
  done
  echo " FAILED" >&2
  echo "es: did not become healthy; logs: $ES_RUN/logs/" >&2
  tail -n 40 "$ES_RUN/logs/stdout.log" "$ES_RUN/logs/"*.log >&2 2>/dev/null || true
  return 1
}

es_stop() {
  if pid_alive "$ES_RUN/es.pid"; then
    local pid; pid=$(cat "$ES_RUN/es.pid")
    kill "$pid"
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "es: stopped"
  else
    echo "es: not running"
  fi
  rm -f "$ES_RUN/es.pid"
}

es_status() {
  if es_healthy; then echo "es: healthy on $ES_URL ($ES_DIST $ES_VERSION)"
  else echo "es: not running (logs: $ES_RUN/logs/)"; return 1; fi
}

# ---------------------------------------------------------------- dispatch
cmd="${1:-status}"; what="${2:-all}"
case "$what" in kafka) names=(kafka) ;; es) names=(es) ;; all) names=(kafka es) ;;
  *) echo "usage: $0 start|stop|status|reset [kafka|es|all]" >&2; exit 2 ;; esac
rc=0
for n in "${names[@]}"; do
  case "$cmd" in
    start) "${n}_start" || rc=1 ;;
    stop) "${n}_stop" ;;
    status) "${n}_status" || rc=1 ;;
    reset) "${n}_stop"; if [[ $n == kafka ]]; then rm -rf "$KAFKA_RUN"; else rm -rf "$ES_RUN"; fi; echo "$n: data removed" ;;
    *) echo "usage: $0 start|stop|status|reset [kafka|es|all]" >&2; exit 2 ;;
  esac
done
exit $rc
