#!/usr/bin/env bash
# Starts, stops and reports the real services that tweetstream runs against, on loopback:
#   an Apache Kafka broker in KRaft mode (no ZooKeeper) and one or more search servers
#   (Elasticsearch or OpenSearch nodes, each version in a folder and on a port of its own).
#
#   scripts/services.sh start  [kafka|es|extra|search|all]  start, wait until healthy (a running one is kept)
#   scripts/services.sh stop   [kafka|es|extra|search|all]  stop (data is kept; `reset` wipes it)
#   scripts/services.sh status [kafka|es|extra|search|all]  exit 0 only when every named service is healthy
#   scripts/services.sh reset  [kafka|es|extra|search|all]  stop and delete data and logs
#
#   kafka   the broker (KAFKA_VERSION, KAFKA_PORT; 3.x or 4.x); data and logs in $RUN_DIR/kafka for the
#           default 3.9.2 on 9092, in $RUN_DIR/kafka-VERSION-PORT for any other
#   es      the search server chosen by ES_DIST, ES_VERSION, ES_PORT (default: elasticsearch 7.17.29 on 9200)
#   extra   every server of EXTRA_SEARCH_SERVERS (lib.sh; DIST:VERSION:PORT ...), started one at a time
#   search  start: es, then extra.  stop, status, reset: es and every search server under $RUN_DIR
#           (stop and status only touch the ones that are running)
#   all     start: kafka + es (the default).  stop, status, reset: kafka + search
# A search server is known by DIST and VERSION: stop/status find a running one's port themselves.
#
# Logs: $RUN_DIR/kafka/kafka.log (or kafka-VERSION-PORT/) and $RUN_DIR/es-DIST-VERSION/logs/ (printed when something fails).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
# The default broker (3.9.2 on 9092) keeps its data and logs in $RUN_DIR/kafka; any other version or port in
# a folder of its own, so that a Kafka 4.x broker (scripts/kafka4.sh) runs beside it.
KAFKA_RUN="$RUN_DIR/kafka"
if [[ "$KAFKA_VERSION" != 3.9.2 || "$KAFKA_PORT" != 9092 ]]; then KAFKA_RUN="$RUN_DIR/kafka-$KAFKA_VERSION-$KAFKA_PORT"; fi
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
  # Kafka 4 logs through log4j 2 (KIP-653): the same file, the same layout.
  cat > "$KAFKA_RUN/log4j2.properties" <<PROPS
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$KAFKA_RUN/kafka.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
PROPS
  local java_opts=(-Xms512m -Xmx1g -cp "$KAFKA_HOME/libs/*" "-Dlog4j.configuration=file:$KAFKA_RUN/log4j.properties"
                   "-Dlog4j2.configurationFile=$KAFKA_RUN/log4j2.properties")
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

# ---------------------------------------------------------------- Elasticsearch / OpenSearch
# The functions below act on the selected search server: ES_DIST, ES_VERSION, ES_PORT, ES_URL, ES_HOME
# and ES_RUN (its folder under $RUN_DIR), set by select_search.

# Scripts before per-version folders kept the one search server in $RUN_DIR/es. Which one it was: its
# `instance` file, or else the version its log names (nothing readable: the default Elasticsearch).
legacy_identity() {
  local legacy="$RUN_DIR/es" dist=elasticsearch version
  if [[ -f "$legacy/instance" ]]; then read -r dist version _ < "$legacy/instance"; echo "$dist $version"; return; fi
  [[ -f "$legacy/logs/opensearch.log" ]] && dist=opensearch
  version=$(grep -ohE -m 1 'version\[[0-9][^],]*' "$legacy/logs/"*.log 2>/dev/null | head -n 1 | sed 's/version\[//')
  echo "$dist ${version:-7.17.29}"
}

# select_search DIST VERSION PORT
select_search() {
  ES_DIST="$1"; ES_VERSION="$2"; ES_PORT="$3"
  ES_URL="http://127.0.0.1:$ES_PORT"
  ES_HOME="$CACHE_DIR/$ES_DIST-$ES_VERSION"
  ES_RUN="$RUN_DIR/es-$ES_DIST-$ES_VERSION"
  ES_NAME="$ES_DIST $ES_VERSION"
  local legacy="$RUN_DIR/es"
  if [[ -d "$legacy" && "$(legacy_identity)" == "$ES_DIST $ES_VERSION" ]]; then
    if pid_alive "$legacy/es.pid"; then
      ES_RUN="$legacy"                      # still running from there; moved once it is stopped
    elif [[ ! -e "$ES_RUN" ]]; then
      mv "$legacy" "$ES_RUN"                # its paths are passed or rewritten at every start
    fi
  fi
}

# The port a run folder's node was started on: its `instance` file, or its command line.
run_dir_port() {
  local dir="$1" port=""
  if [[ -f "$dir/instance" ]]; then read -r _ _ port < "$dir/instance"; fi
  if [[ -z "$port" ]] && pid_alive "$dir/es.pid"; then
    port=$(tr '\0' '\n' < "/proc/$(cat "$dir/es.pid")/cmdline" 2>/dev/null | sed -n 's/^http\.port=//p' | tail -n 1)
  fi
  echo "${port:-9200}"
}

# Every search server with a folder under $RUN_DIR, as "DIST VERSION PORT" lines.
known_search_servers() {
  local dir
  for dir in "$RUN_DIR"/es "$RUN_DIR"/es-*; do
    [[ -d "$dir" ]] || continue
    if [[ "$dir" == "$RUN_DIR/es" ]]; then
      echo "$(legacy_identity) $(run_dir_port "$dir")"
    elif [[ -f "$dir/instance" ]]; then
      cat "$dir/instance"
    else                                    # es-DIST-VERSION without an instance file: never started
      local name="${dir##*/es-}"
      echo "${name%%-*} ${name#*-} 9200"
    fi
  done
}

# What answers on ES_URL: "DIST VERSION", or nothing. GET / where it exists; Elasticsearch's integ-test
# zip from 8.9 on lacks it (its rest-root module is not in that zip): then the local node's info.
es_identity() {
  { curl -fs -m 5 "$ES_URL/" || curl -fs -m 5 "$ES_URL/_nodes/_local?filter_path=nodes.*.version"; } 2>/dev/null |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
if "nodes" in d:
    print("elasticsearch", next(iter(d["nodes"].values()))["version"])
else:
    print(d["version"].get("distribution", "elasticsearch"), d["version"]["number"])' 2>/dev/null || true
}

es_healthy() {
  curl -fs -m 5 "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null |
    grep -qE '"status":"(green|yellow)"'
}

as_es_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

es_start() {
  if es_healthy; then
    local found; found=$(es_identity)
    if [[ "$found" == "$ES_NAME" ]]; then echo "es: $ES_NAME already running on $ES_URL"; return 0; fi
    echo "es: port $ES_PORT is taken by ${found:-another server}; stop it or set ES_PORT" >&2; return 1
  fi
  if pid_alive "$ES_RUN/es.pid"; then
    echo "es: $ES_NAME is already running from $ES_RUN (port $(run_dir_port "$ES_RUN")) but not healthy" \
      "on $ES_URL; stop it first (scripts/services.sh stop all)" >&2
    return 1
  fi
  if port_open "$ES_PORT"; then
    echo "es: port $ES_PORT is taken by another process; stop it or set ES_PORT" >&2; return 1
  fi
  [[ -f "$ES_HOME/.complete" ]] || {
    echo "es: $ES_NAME is not installed; run ES_DIST=$ES_DIST ES_VERSION=$ES_VERSION scripts/install.sh" >&2; return 1; }
  mkdir -p "$ES_RUN/data" "$ES_RUN/logs" "$ES_RUN/tmp" "$ES_RUN/config"
  echo "$ES_DIST $ES_VERSION $ES_PORT" > "$ES_RUN/instance"
  cp -rn "$ES_HOME/config/." "$ES_RUN/config/"
  # jvm.options names gc.log, heap dumps and error files relative to the distribution's folder,
  # which the unprivileged user cannot write: point them at $ES_RUN (rewritten at every start).
  cp -f "$ES_HOME/config/jvm.options" "$ES_RUN/config/jvm.options"
  sed -i -E "s#(file=|HeapDumpPath=|ErrorFile=|loggc:)(logs|data)/#\1$ES_RUN/\2/#g" "$ES_RUN/config/jvm.options"
  sed -i -E "s#HeapDumpPath=data\$#HeapDumpPath=$ES_RUN/data#" "$ES_RUN/config/jvm.options"
  if [[ $(id -u) -eq 0 ]]; then chown -R "$ES_USER" "$ES_RUN"; chmod o+x "$RUN_DIR" "$CACHE_DIR" 2>/dev/null || true; fi
  local java_home; java_home=$(search_java_home "$ES_DIST" "$ES_VERSION")
  local settings=(
    -E "path.data=$ES_RUN/data" -E "path.logs=$ES_RUN/logs"
    -E "http.port=$ES_PORT" -E "network.host=127.0.0.1"
    -E "discovery.type=single-node"
    # A development node: do not stop writing when the disk of a shared machine fills up.
    -E "cluster.routing.allocation.disk.threshold_enabled=false"
  )
  # Plain HTTP without users. The integ-test zips carry only the core modules; a setting of a module
  # or plugin that is absent stops the node, so each is set only where its module is.
  if [[ -d "$ES_HOME/modules/x-pack-security" ]]; then settings+=(-E "xpack.security.enabled=false"); fi
  if [[ -d "$ES_HOME/plugins/opensearch-security" ]]; then settings+=(-E "plugins.security.disabled=true"); fi
  local bin="$ES_HOME/bin/$ES_DIST"
  echo -n "es: starting $ES_NAME on $ES_URL "
  (as_es_user env -u JAVA_HOME ES_JAVA_HOME="$java_home" OPENSEARCH_JAVA_HOME="$java_home" \
    ES_PATH_CONF="$ES_RUN/config" OPENSEARCH_PATH_CONF="$ES_RUN/config" \
    ES_TMPDIR="$ES_RUN/tmp" OPENSEARCH_TMPDIR="$ES_RUN/tmp" \
    ES_JAVA_OPTS="-Xms1g -Xmx1g" OPENSEARCH_JAVA_OPTS="-Xms1g -Xmx1g" \
    timeout "$WAIT_SECONDS" "$bin" -d -p "$ES_RUN/es.pid" "${settings[@]}" >"$ES_RUN/logs/stdout.log" 2>&1) || {
      echo " FAILED" >&2; echo "es: could not start $ES_NAME; logs: $ES_RUN/logs/" >&2
      tail -n 40 "$ES_RUN/logs/stdout.log" >&2; return 1; }
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if es_healthy; then echo " up"; return 0; fi
    if [[ -f "$ES_RUN/es.pid" ]] && ! pid_alive "$ES_RUN/es.pid"; then break; fi
    echo -n "."; sleep 1
  done
  echo " FAILED" >&2
  echo "es: $ES_NAME did not become healthy; logs: $ES_RUN/logs/" >&2
  tail -n 40 "$ES_RUN/logs/stdout.log" "$ES_RUN/logs/"*.log >&2 2>/dev/null || true
  return 1
}

es_stop() {
  if pid_alive "$ES_RUN/es.pid"; then
    local pid; pid=$(cat "$ES_RUN/es.pid")
    kill "$pid"
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "es: $ES_NAME stopped"
  else
    echo "es: $ES_NAME not running"
  fi
  rm -f "$ES_RUN/es.pid"
}

es_status() {
  if es_healthy && [[ "$(es_identity)" == "$ES_NAME" ]]; then
    echo "es: $ES_NAME healthy on $ES_URL"
  elif pid_alive "$ES_RUN/es.pid"; then
    echo "es: $ES_NAME running (pid $(cat "$ES_RUN/es.pid")) but not healthy on $ES_URL (logs: $ES_RUN/logs/)"; return 1
  else
    echo "es: $ES_NAME not running (logs: $ES_RUN/logs/)"; return 1
  fi
}

es_reset() { es_stop; rm -rf "$ES_RUN"; echo "es: $ES_NAME data removed"; }
kafka_reset() { kafka_stop; rm -rf "$KAFKA_RUN"; echo "kafka: data removed"; }

# ---------------------------------------------------------------- dispatch
usage() { echo "usage: $0 start|stop|status|reset [kafka|es|extra|search|all]" >&2; exit 2; }
cmd="${1:-status}"; what="${2:-all}"
case "$cmd" in start | stop | status | reset) ;; *) usage ;; esac

# The targets, in order: "kafka", or a search server "HOW DIST VERSION PORT" where HOW is "named"
# (asked for: its status counts) or "found" (has a folder under $RUN_DIR: acted on only if running,
# except by reset).
targets=()
add_search() { local t; for t in "${targets[@]}"; do [[ "${t#* }" == "$2 $3 "* ]] && return 0; done; targets+=("$*"); }
add_default() { add_search named "$ES_DIST" "$ES_VERSION" "$ES_PORT"; }
add_extra() {
  local spec
  for spec in $EXTRA_SEARCH_SERVERS; do
    parse_search_spec "$spec" || exit 2
    add_search named "$SPEC_DIST" "$SPEC_VERSION" "$SPEC_PORT"
  done
}
add_found() {
  local dist version port
  while read -r dist version port; do add_search found "$dist" "$version" "$port"; done < <(known_search_servers)
}
case "$what" in
  kafka) targets=(kafka) ;;
  es) add_default ;;
  extra) add_extra ;;
  search) add_default; if [[ "$cmd" == start ]]; then add_extra; else add_found; fi ;;
  all) targets=(kafka); add_default; if [[ "$cmd" != start ]]; then add_found; fi ;;
  *) usage ;;
esac

rc=0
for t in "${targets[@]}"; do
  if [[ "$t" == kafka ]]; then
    case "$cmd" in
      start) kafka_start || rc=1 ;; stop) kafka_stop ;; status) kafka_status || rc=1 ;; reset) kafka_reset ;;
    esac
    continue
  fi
  read -r how dist version port <<<"$t"
  select_search "$dist" "$version" "$port"
  if [[ "$cmd" != start ]] && pid_alive "$ES_RUN/es.pid"; then select_search "$dist" "$version" "$(run_dir_port "$ES_RUN")"; fi
  running=0; if [[ "$how" == named ]] || pid_alive "$ES_RUN/es.pid"; then running=1; fi
  case "$cmd" in
    start) es_start || rc=1 ;;
    stop) if ((running)); then es_stop; fi ;;
    status) if ((running)); then es_status || rc=1; fi ;;
    reset) es_reset ;;
  esac
done
exit $rc
