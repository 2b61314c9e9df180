#!/usr/bin/env bash
# Run a single-node Apache Kafka (KRaft, broker+controller) from the jars Maven resolves.
# No Docker, no apache.org download: see docs/running-kafka.md.
#
# Usage: scripts/kafka.sh fetch|start|stop|restart|status|reset|logs|acl
#
# Environment:
#   KINERJA_RUN_DIR                 run dir root (default <repo>/.run); Kafka uses <run>/kafka
#   KINERJA_KAFKA_PORT              PLAINTEXT listener on 127.0.0.1 (default 9092)
#   KINERJA_KAFKA_CONTROLLER_PORT   KRaft controller listener on 127.0.0.1 (default 9093)
#   KINERJA_KAFKA_LIBS_DIR          where the jars go (default <run>/kafka/libs)
#   KINERJA_KAFKA_READY_TIMEOUT     seconds to wait for readiness on start (default 90)
#   KINERJA_KAFKA_STOP_TIMEOUT      seconds between SIGTERM and SIGKILL on stop (default 30)
#   KINERJA_KAFKA_HEAP_OPTS         JVM heap flags (default "-Xms256m -Xmx512m")
#   KINERJA_KAFKA_JAVA_OPTS         extra JVM flags (default empty)
#   KINERJA_KAFKA_SASL_PORT         if set: also a SASL_PLAINTEXT (SCRAM-SHA-512) listener on this
#                                   port, with the StandardAuthorizer (deny unless an ACL allows;
#                                   the PLAINTEXT listener's ANONYMOUS stays super user): the
#                                   production auth profile, for tests on loopback
#   KINERJA_KAFKA_SCRAM_USERS       "name=password ..." SCRAM users created when storage is formatted
#   KINERJA_KAFKA_SASL_SSL_PORT     with KINERJA_KAFKA_SASL_PORT: also SASL_SSL on this port, with a
#                                   throw-away CA and server certificate made by openssl in
#                                   <run>/kafka/tls (clients trust <run>/kafka/tls/ca.crt)
#   KINERJA_KAFKA_PROXIED_PORT      if set (without SASL): also a PLAINTEXT listener on this port that
#   KINERJA_KAFKA_PROXIED_ADVERTISED_PORT   advertises 127.0.0.1:<this port> instead, where a test's
#                                   TCP proxy listens (clients going through the proxy stay on it)
#   PYTHON                          Python with aiokafka, runs scripts/wait_kafka.py (default python3)
#   JAVA, MVN                       java / mvn executables (default: from PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${KINERJA_RUN_DIR:-$ROOT/.run}"
KAFKA_DIR="$RUN_DIR/kafka"
LIBS_DIR="${KINERJA_KAFKA_LIBS_DIR:-$KAFKA_DIR/libs}"
DATA_DIR="$KAFKA_DIR/data"
LOGS_DIR="$KAFKA_DIR/logs"
CONF_FILE="$KAFKA_DIR/server.properties"
LOG4J_FILE="$KAFKA_DIR/log4j2.xml"
PID_FILE="$KAFKA_DIR/kafka.pid"
OUT_FILE="$LOGS_DIR/kafka.out"
SERVER_LOG="$LOGS_DIR/server.log"
POM="$ROOT/deploy/kafka/pom.xml"
STAMP="$LIBS_DIR/.pom.sha256"

PORT="${KINERJA_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KINERJA_KAFKA_CONTROLLER_PORT:-9093}"
SASL_PORT="${KINERJA_KAFKA_SASL_PORT:-}"
SASL_SSL_PORT="${KINERJA_KAFKA_SASL_SSL_PORT:-}"
PROXIED_PORT="${KINERJA_KAFKA_PROXIED_PORT:-}"
PROXIED_ADVERTISED_PORT="${KINERJA_KAFKA_PROXIED_ADVERTISED_PORT:-$PROXIED_PORT}"
TLS_DIR="$KAFKA_DIR/tls"
SCRAM_USERS="${KINERJA_KAFKA_SCRAM_USERS:-}"
HOST=127.0.0.1
BOOTSTRAP="$HOST:$PORT"
READY_TIMEOUT="${KINERJA_KAFKA_READY_TIMEOUT:-90}"
STOP_TIMEOUT="${KINERJA_KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${KINERJA_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
EXTRA_JAVA_OPTS="${KINERJA_KAFKA_JAVA_OPTS:-}"
PY="${PYTHON:-python3}"
JAVA_BIN="${JAVA:-java}"
MVN_BIN="${MVN:-mvn}"

say() { printf 'kafka: %s\n' "$*"; }
die() { printf 'kafka: ERROR: %s\n' "$*" >&2; exit 1; }

# Serialise concurrent invocations on the same run dir (e.g. parallel test sessions).
lock() {
  mkdir -p "$KAFKA_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_DIR/.lock"
    flock -w 300 9 || die "another scripts/kafka.sh has held ${KAFKA_DIR#"$ROOT"/}/.lock for 300s"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

libs_current() {
  [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(sha256_of "$POM")" ]] &&
    compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

cmd_fetch() {
  if libs_current; then
    say "jars up to date in ${LIBS_DIR#"$ROOT"/}"
    return 0
  fi
  command -v "$MVN_BIN" >/dev/null 2>&1 || die "maven ($MVN_BIN) not found; install Maven (apt-get install maven)"
  local tmp="$LIBS_DIR.tmp.$$" started=$SECONDS
  rm -rf "$tmp"
  say "resolving broker jars with maven (first run downloads ~45 MB into ~/.m2) ..."
  mkdir -p "$KAFKA_DIR"
  if ! "$MVN_BIN" -q -B -f "$POM" dependency:copy-dependencies -Dkafka.libs.dir="$tmp" \
      >"$KAFKA_DIR/mvn.log" 2>&1; then
    rm -rf "$tmp"
    sed 's/\x1b\[[0-9;]*m//g' "$KAFKA_DIR/mvn.log" | grep -v '^\s*$' | tail -n 20 >&2 || true
    die "maven could not resolve the Kafka jars (is Maven Central reachable?); full output in ${KAFKA_DIR#"$ROOT"/}/mvn.log"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "maven ran but no kafka_2.13 jar was copied"; }
  sha256_of "$POM" >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mkdir -p "$(dirname "$LIBS_DIR")"
  mv "$tmp" "$LIBS_DIR"
  say "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - started))s: $(cd "$LIBS_DIR" && ls kafka_2.13-*.jar)"
}

# --- process helpers ------------------------------------------------------------------------

read_pid() { [[ -f "$PID_FILE" ]] && tr -dc '0-9' <"$PID_FILE" || true; }

# True if $1 is a live process running our broker (guards against recycled pids).
is_our_broker() {
  local pid="$1" args
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$args" == *kafka.Kafka* && "$args" == *"$CONF_FILE"* ]]
}

running_pid() {
  local pid
  pid="$(read_pid)"
  if is_our_broker "$pid"; then echo "$pid"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

file_size() { if [[ -f "$1" ]]; then wc -c <"$1" | tr -d ' '; else echo 0; fi; }

# Remember how long the logs are, so a failure shows only what this start attempt wrote.
LOG_MARK_SERVER=0
LOG_MARK_OUT=0
mark_logs() { LOG_MARK_SERVER="$(file_size "$SERVER_LOG")"; LOG_MARK_OUT="$(file_size "$OUT_FILE")"; }

show_log_tail() {
  local f mark size
  for f in "$SERVER_LOG" "$OUT_FILE"; do
    [[ -s "$f" ]] || continue
    mark="$LOG_MARK_SERVER"; [[ "$f" == "$OUT_FILE" ]] && mark="$LOG_MARK_OUT"
    size="$(file_size "$f")"
    ((size >= mark)) || mark=0     # the log rolled over meanwhile: show its tail
    ((size > mark)) || continue    # nothing new from this attempt
    printf -- '----- last 40 lines of %s -----\n' "${f#"$ROOT"/}" >&2
    tail -c +"$((mark + 1))" "$f" | tail -n 40 >&2
  done
}

# Wait for readiness with a real metadata request, while watching the broker process.
wait_ready() {
  local pid="$1" timeout="$2" wpid rc
  "$PY" "$ROOT/scripts/wait_kafka.py" --bootstrap "$BOOTSTRAP" --timeout "$timeout" --quiet &
  wpid=$!
  while kill -0 "$wpid" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      kill "$wpid" 2>/dev/null || true
      wait "$wpid" 2>/dev/null || true
      return 3
    fi
    sleep 0.3
  done
  if wait "$wpid"; then rc=0; else rc=$?; fi
  return "$rc"
}

# --- config -----------------------------------------------------------------------------------

new_cluster_id() {
  # 16 random bytes, URL-safe base64 without padding = 22 chars (Kafka's Uuid format). Kafka's
  # own generator never returns an id starting with '-', so neither do we.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ ${#id} -eq 22 && "$id" != -* ]] && { echo "$id"; return; }
  done
}

# A throw-away CA and a server certificate for 127.0.0.1 (PEM keystore, unencrypted key).
make_tls() {
  [[ -f "$TLS_DIR/server.pem" ]] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl is needed for the SASL_SSL listener"
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=kinerja-test-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=$HOST" 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:localhost\n' "$HOST" >san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 30 \
      -extfile san.ext 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in server.key -out server.pk8
    cat server.pk8 server.crt >server.pem
  )
}

listener_config() {
  if [[ -z "$SASL_PORT" && -n "$PROXIED_PORT" ]]; then
    printf '%s\n' \
      "listeners=PLAINTEXT://$HOST:$PORT,PROXIED://$HOST:$PROXIED_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT" \
      "advertised.listeners=PLAINTEXT://$HOST:$PORT,PROXIED://$HOST:$PROXIED_ADVERTISED_PORT" \
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT"
    return
  fi
  if [[ -z "$SASL_PORT" ]]; then
    printf '%s\n' \
      "listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT" \
      "advertised.listeners=PLAINTEXT://$HOST:$PORT" \
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    return
  fi
  local listeners="PLAINTEXT://$HOST:$PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT"
  local map="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
  local scram_login="org.apache.kafka.common.security.scram.ScramLoginModule required;"
  if [[ -n "$SASL_SSL_PORT" ]]; then
    make_tls
    listeners="$listeners,SASL_SSL://$HOST:$SASL_SSL_PORT"
    map="$map,SASL_SSL:SASL_SSL"
    printf '%s\n' \
      "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram_login" \
      "ssl.keystore.type=PEM" \
      "ssl.keystore.location=$TLS_DIR/server.pem"
  fi
  printf '%s\n' \
    "listeners=$listeners,CONTROLLER://$HOST:$CONTROLLER_PORT" \
    "advertised.listeners=$listeners" \
    "listener.security.protocol.map=$map" \
    "sasl.enabled.mechanisms=SCRAM-SHA-512" \
    "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram_login" \
    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" \
    "allow.everyone.if.no.acl.found=false" \
    "super.users=User:ANONYMOUS"
}

write_config() {
  mkdir -p "$DATA_DIR" "$LOGS_DIR"
  cat >"$CONF_FILE" <<EOF
# Generated by scripts/kafka.sh; edits are overwritten on every start.
# Single combined broker+controller KRaft node on loopback, sized for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
$(listener_config)
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA_DIR

auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1

# Internal topics: one replica, few partitions (defaults are 50 partitions / replication 3).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1

# Test friendliness: no join delay, small heap-resident cleaner buffer, few threads.
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=8388608
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1
EOF

  cat >"$LOG4J_FILE" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/kafka.sh. Everything goes to ${sys:kafka.logs.dir}/server.log. -->
<Configuration status="warn">
  <Appenders>
    <RollingFile name="file" fileName="${sys:kafka.logs.dir}/server.log"
                 filePattern="${sys:kafka.logs.dir}/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogCleaner" level="WARN"/>
  </Loggers>
</Configuration>
EOF
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local cid
  cid="$(new_cluster_id)"
  say "formatting storage in ${DATA_DIR#"$ROOT"/} (cluster id $cid)"
  # Static quorum (controller.quorum.voters) => no --standalone. No log4j config here: log4j2's
  # default (ERROR to console) keeps the tool's config dump out of server.log.
  local scram=() user
  for user in $SCRAM_USERS; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=${user%%=*},password=${user#*=}]")
  done
  if ! "$JAVA_BIN" -Xmx256m -cp "$LIBS_DIR/*" kafka.tools.StorageTool format \
      --cluster-id "$cid" --config "$CONF_FILE" --ignore-formatted "${scram[@]}" >"$LOGS_DIR/format.out" 2>&1; then
    cat "$LOGS_DIR/format.out" >&2
    die "storage format failed"
  fi
}

# --- subcommands ------------------------------------------------------------------------------

cmd_start() {
  lock
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    if "$PY" "$ROOT/scripts/wait_kafka.py" --bootstrap "$BOOTSTRAP" --timeout 5 --quiet 2>/dev/null; then
      say "already running (pid $pid) and ready on $BOOTSTRAP"
      return 0
    fi
    say "running (pid $pid) but not answering yet; waiting up to ${READY_TIMEOUT}s"
  else
    rm -f "$PID_FILE"
    command -v "$JAVA_BIN" >/dev/null 2>&1 || die "java ($JAVA_BIN) not found; Kafka 4.x needs Java 17+"
    "$PY" -c 'import aiokafka' 2>/dev/null ||
      die "'$PY' cannot import aiokafka (needed for the readiness check); set PYTHON=<venv>/bin/python"
    for p in "$PORT" "$CONTROLLER_PORT" $SASL_PORT $SASL_SSL_PORT $PROXIED_PORT; do
      port_in_use "$p" && die "port $HOST:$p is already in use by another process (not our broker; see scripts/kafka.sh status)"
    done
    cmd_fetch
    write_config
    format_storage
    mark_logs
    say "starting broker on $BOOTSTRAP (controller $HOST:$CONTROLLER_PORT), log ${SERVER_LOG#"$ROOT"/}"
    # The broker must not inherit the lock fd (9), or it would hold the lock while it runs.
    # shellcheck disable=SC2086  # HEAP_OPTS / EXTRA_JAVA_OPTS are intentionally word-split
    setsid nohup "$JAVA_BIN" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$LOG4J_FILE" -Dkafka.logs.dir="$LOGS_DIR" $EXTRA_JAVA_OPTS \
      -cp "$LIBS_DIR/*" kafka.Kafka "$CONF_FILE" >>"$OUT_FILE" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi

  local started=$SECONDS rc=0
  wait_ready "$pid" "$READY_TIMEOUT" || rc=$?
  case "$rc" in
    0) say "ready on $BOOTSTRAP (pid $pid) after $((SECONDS - started))s" ;;
    2) die "'$PY' cannot import aiokafka; set PYTHON=<venv>/bin/python" ;;
    3) show_log_tail; rm -f "$PID_FILE"; die "broker process $pid exited during startup" ;;
    *) show_log_tail; die "broker (pid $pid) not ready within ${READY_TIMEOUT}s; it is left running, use 'scripts/kafka.sh stop'" ;;
  esac
}

cmd_stop() {
  lock
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  say "stopping broker (pid $pid, controlled shutdown)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.3; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    if port_in_use "$PORT"; then
      say "no broker of ours running, but $HOST:$PORT is in use by another process"
    else
      say "stopped"
    fi
    return 3
  fi
  if "$PY" "$ROOT/scripts/wait_kafka.py" --bootstrap "$BOOTSTRAP" --timeout 5 --quiet 2>/dev/null; then
    say "running (pid $pid), ready on $BOOTSTRAP"
  else
    say "running (pid $pid), NOT answering metadata requests on $BOOTSTRAP"
    return 1
  fi
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR" "$LOGS_DIR" "$CONF_FILE" "$LOG4J_FILE" "$TLS_DIR"
  say "data dir removed (${DATA_DIR#"$ROOT"/}); jars kept"
}

cmd_logs() { tail -n "${1:-100}" "$SERVER_LOG"; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

# acl USER OPERATION:RESOURCE_TYPE:NAME... : grant ACLs on the running broker (deploy/kafka/Acls.java).
cmd_acl() {
  [[ $# -ge 2 ]] || die "usage: scripts/kafka.sh acl USER OPERATION:RESOURCE_TYPE:NAME..."
  "$JAVA_BIN" -Xmx128m -Dlog4j2.level=ERROR -cp "$LIBS_DIR/*" "$ROOT/deploy/kafka/Acls.java" "$BOOTSTRAP" "$@"
}

case "${1:-}" in
  fetch) lock; cmd_fetch ;;
  acl) shift; cmd_acl "$@" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  logs) shift; cmd_logs "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
