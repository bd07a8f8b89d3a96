#!/usr/bin/env bash
# Starts, inspects and stops a local Flink 1.20 standalone session cluster: one JobManager and
# N TaskManagers, each its own JVM, on loopback, built from Maven-resolved Flink jars.
#
#   cluster.sh start  [--dir DIR] [--taskmanagers N] [--slots N] [--rest-port P]
#                     [--task-heap MiB] [--network MiB] [--timeout SECONDS]
#   cluster.sh status [--dir DIR]
#   cluster.sh stop   [--dir DIR]
#
# DIR (default: $HOSE_FLINK_DIR, else /tmp/hose-flink-cluster, which `mvn clean` leaves alone)
# holds everything the cluster writes: conf/, log/, pid/, tmp/, blob/ and cluster.env
# (REST_PORT=, FLINK_MASTER=, PIDS=), which `stop` reads to stop exactly the processes `start`
# began. --rest-port 0 picks a free port.
#
# The JVMs inherit this script's environment. hose workers read secrets and cloud settings on
# the TaskManager, so export them before `start`, e.g. the variable named by --passwordEnv,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED=true.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

DIR="${HOSE_FLINK_DIR:-${TMPDIR:-/tmp}/hose-flink-cluster}"
TASKMANAGERS=1
SLOTS=2
REST_PORT=8081
TASK_HEAP=256
NETWORK=256
TIMEOUT=180

# JavaCPP (JavaCV) extracts its natives per job jar (about 170 MB for each job that loads them,
# since every job's jar has its own blob name) into -Dorg.bytedeco.javacpp.cachedir; the TMs
# put that cache under DIR rather than in ~/.javacpp.

# TaskManager memory in MiB (see config.yaml.template). Heap = framework + task heap;
# direct memory = framework + task off-heap + network.
FRAMEWORK_HEAP=128
FRAMEWORK_OFF_HEAP=128
TASK_OFF_HEAP=64
MANAGED=128
METASPACE=256
OVERHEAD=192
JM_HEAP=384

# What Flink 1.20's distribution passes to every JVM on Java 17 (env.java.opts.all).
JAVA17_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

[[ $# -ge 1 ]] || usage
COMMAND="$1"
shift
case "$COMMAND" in
  start|stop|status) ;;
  *) usage ;;
esac
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --taskmanagers) TASKMANAGERS="$2"; shift 2 ;;
    --slots) SLOTS="$2"; shift 2 ;;
    --rest-port) REST_PORT="$2"; shift 2 ;;
    --task-heap) TASK_HEAP="$2"; shift 2 ;;
    --network) NETWORK="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --dir=*|--taskmanagers=*|--slots=*|--rest-port=*|--task-heap=*|--network=*|--timeout=*)
      set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    -h|--help) usage ;;
    *) die "unknown option $1" ;;
  esac
done
if [[ "$COMMAND" == start ]]; then
  mkdir -p "$DIR"
elif [[ ! -d "$DIR" ]]; then
  echo "no cluster in $DIR"
  [[ "$COMMAND" == status ]] && exit 3
  exit 0
fi
DIR="$(cd "$DIR" && pwd)"
CONF="$DIR/conf"
PIDS_DIR="$DIR/pid"
LOGS="$DIR/log"

# Sets PORT to a port nothing listens on, below the kernel's ephemeral range: an outgoing
# connection can take an ephemeral port between this check and the JVM's bind. Ports already
# chosen by this run are skipped.
CHOSEN_PORTS=" "
EPHEMERAL_LOW="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
pick_port() {
  local port low=10000 span
  span=$((EPHEMERAL_LOW - low))
  ((span >= 2000)) || { low=20000; span=40000; }
  for _ in $(seq 1 200); do
    port=$((low + RANDOM % span))
    [[ "$CHOSEN_PORTS" == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      CHOSEN_PORTS+="$port "
      PORT="$port"
      return 0
    fi
  done
  die "no free port found"
}

# The pid in FILE if that process is still the cluster JVM this DIR started.
live_pid() {
  local file="$1" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--configDir $CONF" || return 1
  echo "$pid"
}

resolve_classpath() {
  local out="$DIR/classpath.txt"
  if ! mvn -B -q -o -f "$HERE/pom.xml" dependency:build-classpath -Dmdep.outputFile="$out" \
      >"$LOGS/mvn.log" 2>&1; then
    mvn -B -q -f "$HERE/pom.xml" dependency:build-classpath -Dmdep.outputFile="$out" \
      >>"$LOGS/mvn.log" 2>&1 \
      || { cat "$LOGS/mvn.log" >&2; die "cannot resolve the Flink classpath"; }
  fi
  cat "$out"
}

write_config() {
  local jm_rpc_port blob_port
  pick_port
  jm_rpc_port="$PORT"
  pick_port
  blob_port="$PORT"
  if [[ "$REST_PORT" == 0 ]]; then
    pick_port
    REST_PORT="$PORT"
  elif (exec 3<>"/dev/tcp/127.0.0.1/$REST_PORT") 2>/dev/null; then
    die "port $REST_PORT is in use; pass --rest-port (0 picks a free one)"
  fi
  mkdir -p "$CONF" "$DIR/tmp" "$DIR/web" "$DIR/blob" "$DIR/plugins"
  sed -e "s|@JM_RPC_PORT@|$jm_rpc_port|g" \
      -e "s|@REST_PORT@|$REST_PORT|g" \
      -e "s|@BLOB_PORT@|$blob_port|g" \
      -e "s|@SLOTS@|$SLOTS|g" \
      -e "s|@PARALLELISM@|$SLOTS|g" \
      -e "s|@JM_HEAP@|$JM_HEAP|g" \
      -e "s|@FRAMEWORK_HEAP@|$FRAMEWORK_HEAP|g" \
      -e "s|@TASK_HEAP@|$TASK_HEAP|g" \
      -e "s|@FRAMEWORK_OFF_HEAP@|$FRAMEWORK_OFF_HEAP|g" \
      -e "s|@TASK_OFF_HEAP@|$TASK_OFF_HEAP|g" \
      -e "s|@MANAGED@|$MANAGED|g" \
      -e "s|@NETWORK@|$NETWORK|g" \
      -e "s|@METASPACE@|$METASPACE|g" \
      -e "s|@OVERHEAD@|$OVERHEAD|g" \
      -e "s|@DIR@|$DIR|g" \
      "$HERE/config.yaml.template" >"$CONF/config.yaml"
  cp "$HERE/log4j2.properties" "$CONF/log4j.properties"
}

# Starts NAME with JVM options and main class; records its pid.
launch() {
  local name="$1" main="$2"
  shift 2
  FLINK_PLUGINS_DIR="$DIR/plugins" "$JAVA" "${JAVA17_OPTS[@]}" "$@" \
    -Djava.io.tmpdir="$DIR/tmp" \
    -Dlog.file="$LOGS/$name.log" \
    -Dlog4j.configurationFile="file:$CONF/log4j.properties" \
    -Dlog4j2.formatMsgNoLookups=true \
    -cp "$CLASSPATH" "$main" --configDir "$CONF" \
    </dev/null >"$LOGS/$name.out" 2>&1 &
  echo $! >"$PIDS_DIR/$name.pid"
}

registered_taskmanagers() {
  local json
  json="$(curl -sf "http://127.0.0.1:$REST_PORT/taskmanagers" 2>/dev/null || true)"
  { grep -o '"dataPort"' <<<"$json" || true; } | wc -l
}

all_pid_files() {
  ls "$PIDS_DIR"/*.pid 2>/dev/null || true
}

start() {
  mkdir -p "$PIDS_DIR" "$LOGS"
  for f in $(all_pid_files); do
    if live_pid "$f" >/dev/null; then
      die "a cluster from $DIR is already running (cluster.sh stop --dir $DIR)"
    fi
    rm -f "$f"
  done
  rm -f "$DIR/cluster.env"
  CLASSPATH="$(resolve_classpath)"
  write_config

  local tm_heap=$((FRAMEWORK_HEAP + TASK_HEAP))
  local tm_direct=$((FRAMEWORK_OFF_HEAP + TASK_OFF_HEAP + NETWORK))
  launch jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
    -Xms"${JM_HEAP}m" -Xmx"${JM_HEAP}m" -XX:MaxMetaspaceSize=256m -XX:MaxDirectMemorySize=128m
  for i in $(seq 1 "$TASKMANAGERS"); do
    launch "taskmanager-$i" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      -Xms"${tm_heap}m" -Xmx"${tm_heap}m" -XX:MaxDirectMemorySize="${tm_direct}m" \
      -XX:MaxMetaspaceSize="${METASPACE}m" -Dorg.bytedeco.javacpp.cachedir="$DIR/javacpp-cache"
  done

  local deadline=$((SECONDS + TIMEOUT)) n=0
  while ((SECONDS < deadline)); do
    for f in $(all_pid_files); do
      if ! live_pid "$f" >/dev/null; then
        local name
        name="$(basename "$f" .pid)"
        tail -n 30 "$LOGS/$name.out" "$LOGS/$name.log" >&2 2>/dev/null || true
        stop >/dev/null
        die "$name exited during startup; logs in $LOGS"
      fi
    done
    n="$(registered_taskmanagers)"
    if ((n >= TASKMANAGERS)); then
      local pids
      pids="$(cat "$PIDS_DIR"/*.pid | tr '\n' ' ')"
      cat >"$DIR/cluster.env" <<EOF
REST_PORT=$REST_PORT
FLINK_MASTER=127.0.0.1:$REST_PORT
WEB_UI=http://127.0.0.1:$REST_PORT
TASKMANAGERS=$TASKMANAGERS
SLOTS_PER_TASKMANAGER=$SLOTS
PIDS="${pids% }"
EOF
      echo "Flink session cluster up: $TASKMANAGERS TaskManager(s) x $SLOTS slot(s)"
      echo "  Web UI: http://127.0.0.1:$REST_PORT   submit with --flinkMaster=127.0.0.1:$REST_PORT"
      echo "  logs: $LOGS   stop: $0 stop --dir $DIR"
      return 0
    fi
    sleep 1
  done
  stop >/dev/null
  die "only $n of $TASKMANAGERS TaskManager(s) registered within ${TIMEOUT}s; logs in $LOGS"
}

stop() {
  local pids=() f pid
  for f in $(all_pid_files); do
    if pid="$(live_pid "$f")"; then
      pids+=("$pid")
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  local deadline=$((SECONDS + 30))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: pid $pid did not stop after SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
  rm -f "$PIDS_DIR"/*.pid "$DIR/cluster.env"
  # What the processes unpacked and stored: gone with them, even those SIGKILLed (conf/ and log/
  # stay for a look after the fact).
  rm -rf "$DIR/javacpp-cache" "$DIR/tmp" "$DIR/web" "$DIR/blob"
  echo "Flink session cluster in $DIR stopped (${#pids[@]} process(es))"
}

status() {
  local running=0 f pid
  for f in $(all_pid_files); do
    if pid="$(live_pid "$f")"; then
      echo "$(basename "$f" .pid): running (pid $pid)"
      running=$((running + 1))
    else
      echo "$(basename "$f" .pid): not running"
    fi
  done
  if ((running == 0)); then
    echo "no cluster running from $DIR"
    return 3
  fi
  if [[ -f "$DIR/cluster.env" ]]; then
    # shellcheck disable=SC1091
    source "$DIR/cluster.env"
    echo "Web UI: $WEB_UI"
    curl -sf "$WEB_UI/overview" && echo
  fi
}

case "$COMMAND" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
