#!/usr/bin/env bash
# A three-broker Apache Kafka cluster in KRaft mode on loopback: the scale-out setup users move to, for
# the broker-failure test (tests/e2e/cluster_e2e_test.cc, label `cluster`) and for trying things by hand.
# Three processes, each broker and controller at once (a three-voter quorum: one may die), node N on
# port KAFKA_CLUSTER_PORT + 2(N-1) with its controller on the port after it, data and logs in
# $RUN_DIR/cluster-VERSION/nodeN. Topics default to 3 replicas and min.insync.replicas=2, so one broker can
# die without a write being refused or an acknowledged one lost.
#
#   scripts/kafka-cluster.sh start [N...]   start the nodes (all three by default), wait until healthy
#   scripts/kafka-cluster.sh stop [N...]    stop them (SIGTERM; data is kept)
#   scripts/kafka-cluster.sh kill N         SIGKILL node N (a crash: no controlled shutdown)
#   scripts/kafka-cluster.sh status         exit 0 only when all three are healthy
#   scripts/kafka-cluster.sh reset          stop all and delete data and logs
#   scripts/kafka-cluster.sh bootstrap      print the bootstrap list (127.0.0.1:9111,...)
#
# KAFKA_CLUSTER_VERSION (default: the newest Kafka 4.x of EXTRA_KAFKA_BROKERS, else KAFKA_VERSION) is
# installed when missing; KAFKA_CLUSTER_PORT (default 9111) is node 1's broker port.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

default_version="$KAFKA_VERSION"
for spec in $EXTRA_KAFKA_BROKERS; do default_version="${spec%%:*}"; done
VERSION="${KAFKA_CLUSTER_VERSION:-$default_version}"
BASE_PORT="${KAFKA_CLUSTER_PORT:-9111}"
NODES=(1 2 3)
HOME_DIR="$CACHE_DIR/kafka-$VERSION"
CLUSTER_RUN="$RUN_DIR/cluster-$VERSION"
WAIT_SECONDS="${WAIT_SECONDS:-120}"

port_of() { echo $((BASE_PORT + 2 * ($1 - 1))); }
controller_port_of() { echo $(($(port_of "$1") + 1)); }
node_dir() { echo "$CLUSTER_RUN/node$1"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
bootstrap() {
  local n list=()
  for n in "${NODES[@]}"; do list+=("127.0.0.1:$(port_of "$n")"); done
  (IFS=,; echo "${list[*]}")
}
healthy() {
  local dir; dir=$(node_dir "$1")
  pid_alive "$dir/kafka.pid" && port_open "$(port_of "$1")" && grep -q 'Kafka Server started' "$dir/kafka.log" 2>/dev/null
}
# java_opts N: the JVM arguments of node N, into the array JAVA_OPTS.
java_opts() {
  local dir; dir=$(node_dir "$1")
  JAVA_OPTS=(-Xms256m -Xmx512m -cp "$HOME_DIR/libs/*" "-Dlog4j.configuration=file:$dir/log4j.properties"
             "-Dlog4j2.configurationFile=$dir/log4j2.properties")
}

write_config() {
  local n="$1" dir voters="" v
  dir=$(node_dir "$n")
  for v in "${NODES[@]}"; do voters+="${voters:+,}$v@127.0.0.1:$(controller_port_of "$v")"; done
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
# Node $n of a three-node KRaft cluster (written by scripts/kafka-cluster.sh).
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(port_of "$n"),CONTROLLER://127.0.0.1:$(controller_port_of "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(port_of "$n")
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
# What a production cluster sets: every topic (also the internal ones and those created with the
# broker's default, e.g. tweet-source's --replication-factor=-1) on all three brokers, and a write
# acknowledged (acks=all) only once two of them have it.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
PROPS
  cat > "$dir/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  cat > "$dir/log4j2.properties" <<PROPS
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$dir/kafka.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
PROPS
}

start_nodes() {
  [[ -f "$HOME_DIR/.complete" ]] || KAFKA_VERSION="$VERSION" bash "$here/install.sh" >/dev/null
  mkdir -p "$CLUSTER_RUN"
  # One cluster id for all three, made once.
  if [[ ! -s "$CLUSTER_RUN/cluster.id" ]]; then
    java_opts 1
    java "${JAVA_OPTS[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 > "$CLUSTER_RUN/cluster.id"
  fi
  local n dir started=()
  for n in "$@"; do
    if healthy "$n"; then echo "kafka-cluster: node $n already running on 127.0.0.1:$(port_of "$n")"; continue; fi
    if port_open "$(port_of "$n")" || port_open "$(controller_port_of "$n")"; then
      echo "kafka-cluster: port $(port_of "$n") or $(controller_port_of "$n") is taken; set KAFKA_CLUSTER_PORT" >&2
      return 1
    fi
    dir=$(node_dir "$n")
    write_config "$n"
    java_opts "$n"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
      java "${JAVA_OPTS[@]}" kafka.tools.StorageTool format -t "$(cat "$CLUSTER_RUN/cluster.id")" \
        -c "$dir/server.properties" >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; return 1; }
    fi
    : > "$dir/kafka.log"
    nohup java "${JAVA_OPTS[@]}" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 &
    echo $! > "$dir/kafka.pid"
    started+=("$n")
  done
  ((${#started[@]})) || return 0
  echo -n "kafka-cluster: starting node(s) ${started[*]} of $(bootstrap) (Kafka $VERSION) "
  local i all
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    all=1
    for n in "${started[@]}"; do
      healthy "$n" || all=0
      if ! pid_alive "$(node_dir "$n")/kafka.pid"; then
        echo " FAILED: node $n exited; logs: $(node_dir "$n")/kafka.log" >&2
        tail -n 20 "$(node_dir "$n")/stdout.log" "$(node_dir "$n")/kafka.log" >&2 || true
        return 1
      fi
    done
    if ((all)); then echo " up"; return 0; fi
    echo -n "."; sleep 1
  done
  echo " FAILED: not healthy after $WAIT_SECONDS s; logs: $CLUSTER_RUN/node*/kafka.log" >&2
  return 1
}

stop_nodes() {
  local n dir pid i
  for n in "$@"; do
    dir=$(node_dir "$n")
    if pid_alive "$dir/kafka.pid"; then
      pid=$(cat "$dir/kafka.pid")
      kill "$pid"
      for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      echo "kafka-cluster: node $n stopped"
    fi
    rm -f "$dir/kafka.pid"
  done
}

check_node() {
  [[ "$1" =~ ^[123]$ ]] || { echo "kafka-cluster: node must be 1, 2 or 3, not '$1'" >&2; exit 2; }
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start)
    nodes=("$@"); ((${#nodes[@]})) || nodes=("${NODES[@]}")
    for n in "${nodes[@]}"; do check_node "$n"; done
    start_nodes "${nodes[@]}" ;;
  stop)
    nodes=("$@"); ((${#nodes[@]})) || nodes=("${NODES[@]}")
    for n in "${nodes[@]}"; do check_node "$n"; done
    stop_nodes "${nodes[@]}" ;;
  kill)
    (($# == 1)) || { echo "usage: $0 kill N" >&2; exit 2; }
    check_node "$1"
    dir=$(node_dir "$1")
    if pid_alive "$dir/kafka.pid"; then
      pid=$(cat "$dir/kafka.pid")
      kill -9 "$pid"
      for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      rm -f "$dir/kafka.pid"
      echo "kafka-cluster: node $1 killed (SIGKILL)"
    else
      echo "kafka-cluster: node $1 is not running" >&2; exit 1
    fi ;;
  status)
    rc=0
    for n in "${NODES[@]}"; do
      if healthy "$n"; then echo "kafka-cluster: node $n healthy on 127.0.0.1:$(port_of "$n")"
      else echo "kafka-cluster: node $n not running (log: $(node_dir "$n")/kafka.log)"; rc=1; fi
    done
    exit $rc ;;
  reset) stop_nodes "${NODES[@]}"; rm -rf "$CLUSTER_RUN"; echo "kafka-cluster: data removed" ;;
  bootstrap) bootstrap ;;
  *) echo "usage: $0 start|stop [N...] | kill N | status | reset | bootstrap" >&2; exit 2 ;;
esac
