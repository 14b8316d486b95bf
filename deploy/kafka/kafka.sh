#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for Runway dev/CI.
# The broker jars come from Maven Central (deploy/kafka/pom.xml) into a cache outside git;
# config, data, logs and the pid file live under $RUNWAY_VAR (default <repo>/var, ignored).
#
# Usage: deploy/kafka/kafka.sh fetch|start|wait|stop|status|reset|client-env USER
#
# Secure mode (RUNWAY_KAFKA_SECURITY=sasl_scram) runs a second, separate instance beside the
# plaintext dev broker: its own ports, data, logs and pid file. Clients authenticate with
# SASL/SCRAM-SHA-512 and the StandardAuthorizer denies whatever no ACL allows
# (`runway-infra kafka-acls --apply` grants each service its own topics). The SCRAM users
# (admin, the broker's own and a super user, and one per service) are created when the data
# dir is formatted, with passwords generated once into $KAFKA_CREDENTIALS_DIR (0600 files,
# under var/, never committed). `client-env USER` prints the KAFKA_* variables a client of
# that user needs. The KRaft controller listener authenticates too (SASL PLAIN, one static
# user `controller`, whose password is generated beside the others): a controller serves
# CreateAcls, so an open controller port would let anyone grant themselves anything.
#
# Environment (all optional):
#   RUNWAY_KAFKA_SECURITY    "" (plaintext) or sasl_scram             ("")
#   KAFKA_INSTANCE           names var/<instance>, pid and log files  (kafka; secure: kafka-sasl)
#   KAFKA_VERSION            broker version from Maven Central        (4.1.1)
#   KAFKA_PORT               client listener on 127.0.0.1             (9092; secure: 9192)
#   KAFKA_CONTROLLER_PORT    KRaft CONTROLLER listener on 127.0.0.1   (9093; secure: 9193)
#   KAFKA_BOOTSTRAP_SERVERS  use this existing cluster: start/wait only wait for it
#   KAFKA_START_TIMEOUT      readiness deadline in seconds            (120)
#   KAFKA_HEAP_OPTS          JVM heap                       (-Xms512m -Xmx1g; secure: -Xmx512m)
#   KAFKA_SCRAM_USERS        SCRAM users made at format time (secure) (admin + the 5 services)
#   KAFKA_CREDENTIALS_DIR    their generated passwords, and the controller listener's (secure)
#                                                                     ($RUNWAY_VAR/<instance>/credentials)
#   KAFKA_JVM_PERFORMANCE_OPTS  GC flags                              (G1, as Kafka's scripts)
#   KAFKA_OPTS               extra JVM options
#   RUNWAY_CACHE             jar cache                                (~/.cache/runway)
#   RUNWAY_VAR               runtime state                            (<repo>/var)
#   KAFKA_DATA_DIR           broker data (log.dirs)                   ($RUNWAY_VAR/<instance>/data)
#   PYTHON                   python with aiokafka, for readiness      (<repo>/.venv/bin/python)
#   MVN                      maven command                            (mvn)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

RUNWAY_KAFKA_SECURITY="${RUNWAY_KAFKA_SECURITY:-}"
case "$RUNWAY_KAFKA_SECURITY" in
  "" | none | plaintext)
    SECURE=""
    KAFKA_INSTANCE="${KAFKA_INSTANCE:-kafka}"
    KAFKA_PORT="${KAFKA_PORT:-9092}"
    KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
    ;;
  sasl_scram)
    SECURE=1
    KAFKA_INSTANCE="${KAFKA_INSTANCE:-kafka-sasl}"
    KAFKA_PORT="${KAFKA_PORT:-9192}"
    KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9193}"
    # a second broker beside the dev one: keep its footprint small
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
    ;;
  *)
    echo "kafka: error: RUNWAY_KAFKA_SECURITY must be empty or sasl_scram, not '$RUNWAY_KAFKA_SECURITY'" >&2
    exit 2
    ;;
esac
SCRAM_MECHANISM=SCRAM-SHA-512
# The controller listener's one user. Not SCRAM: SCRAM users live in the cluster metadata, which
# the controller quorum must be running to serve, so the quorum's own login is a static one.
CONTROLLER_USER=controller
KAFKA_SCRAM_USERS="${KAFKA_SCRAM_USERS:-admin intake judicial assurance transport court}"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
KAFKA_OPTS="${KAFKA_OPTS:-}"
RUNWAY_CACHE="${RUNWAY_CACHE:-$HOME/.cache/runway}"
RUNWAY_VAR="${RUNWAY_VAR:-$REPO/var}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
MVN="${MVN:-mvn}"

KAFKA_DIST="$RUNWAY_CACHE/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_DIST/libs"
MARKER="$KAFKA_DIST/.fetched"
KAFKA_VAR="$RUNWAY_VAR/$KAFKA_INSTANCE"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_VAR/data}"
KAFKA_CREDENTIALS_DIR="${KAFKA_CREDENTIALS_DIR:-$KAFKA_VAR/credentials}"
CONFIG="$KAFKA_VAR/server.properties"
# The dev broker logs straight into var/log; any other instance into a folder of its own there,
# so that two brokers never write the same server.log.
if [[ "$KAFKA_INSTANCE" == kafka ]]; then LOG_DIR="$RUNWAY_VAR/log"; else LOG_DIR="$RUNWAY_VAR/log/$KAFKA_INSTANCE"; fi
OUT_LOG="$LOG_DIR/$KAFKA_INSTANCE.out"
SERVER_LOG="$LOG_DIR/server.log"
RUN_DIR="$RUNWAY_VAR/run"
PID_FILE="$RUN_DIR/$KAFKA_INSTANCE.pid"
LOG4J_CONFIG="$HERE/log4j2.properties"

log() { echo "kafka: $*"; }
die() { echo "kafka: error: $*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"; }

# What makes a fetched cache complete: the version and the pom that fetched it.
fetch_stamp() {
  local pom_sum
  pom_sum="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
  echo "kafka_2.13:$KAFKA_VERSION pom:$pom_sum"
}

fetch_is_complete() {
  [[ -f "$MARKER" && -d "$LIBS" ]] && [[ "$(cat "$MARKER")" == "$(fetch_stamp)" ]] \
    && compgen -G "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

cmd_fetch() {
  if fetch_is_complete; then
    return 0
  fi
  need "$MVN" "install Maven, e.g. apt-get install maven"
  mkdir -p "$KAFKA_DIST"
  # serialise concurrent fetches of the same version
  exec 9>"$KAFKA_DIST/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if fetch_is_complete; then
    return 0
  fi
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS ..."
  local t0=$SECONDS tmp="$KAFKA_DIST/libs.tmp"
  rm -rf "$tmp" "$LIBS" "$MARKER"
  # -q: errors only; maven 3.8 still prints bare ANSI resets, which the sed drops
  local rc=0
  "$MVN" -q -B -Dstyle.color=never -f "$HERE/pom.xml" \
    -Dkafka.version="$KAFKA_VERSION" \
    -Dkafka.libs.dir="$tmp" \
    dependency:copy-dependencies 2>&1 \
    | sed -u -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2 || rc=$?
  if ((rc != 0)); then
    rm -rf "$tmp"
    die "maven could not fetch Kafka $KAFKA_VERSION (see the errors above)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"
  mv "$tmp" "$LIBS"
  fetch_stamp >"$MARKER"
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $((SECONDS - t0)) s"
}

# --- process helpers -------------------------------------------------------------

# pid from the pid file if that process is alive and is our broker; else empty
running_pid() {
  [[ -f "$PID_FILE" ]] || return 0
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  [[ -r "/proc/$pid/cmdline" ]] || { echo "$pid"; return 0; }
  # not a recycled pid, and not a zombie
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 0
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]] || return 0
  echo "$pid"
}

port_open() { # host port
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

bootstrap_servers() { echo "${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"; }

SERVER_LOG_MARK=0 # lines in server.log before this start; show_logs picks errors after it

show_logs() {
  local f errors=""
  if [[ -s "$SERVER_LOG" ]]; then
    errors="$(tail -n "+$((SERVER_LOG_MARK + 1))" "$SERVER_LOG" | grep -A1 -E '^\[[^]]*\] (ERROR|FATAL) ' | tail -n 20 || true)"
  fi
  if [[ -n "$errors" ]]; then
    echo "----- errors logged by this start in $SERVER_LOG -----" >&2
    echo "$errors" >&2
  fi
  for f in "$SERVER_LOG" "$OUT_LOG"; do
    if [[ -s "$f" ]]; then
      echo "----- last 50 lines of $f -----" >&2
      tail -n 50 "$f" >&2
    fi
  done
}

# JVM options shared by the storage tool and the broker
jvm_opts() {
  # shellcheck disable=SC2206 # option strings are word-split on purpose
  JVM_OPTS=($KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS
    "-Dlog4j2.configurationFile=$LOG4J_CONFIG" "-Dkafka.logs.dir=$LOG_DIR"
    $KAFKA_OPTS -cp "$LIBS/*")
}

java_cmd() { # main-class args...
  need java "install a JDK 17+, e.g. apt-get install openjdk-17-jre-headless"
  jvm_opts
  java "${JVM_OPTS[@]}" "$@"
}

# --- subcommands -----------------------------------------------------------------

cmd_wait() { # [pid of the local broker, to fail fast if it exits]
  [[ -x "$PYTHON" ]] || die "python not found at $PYTHON (create the venv or set PYTHON)"
  local pid="${1:-}" pid_args=()
  if [[ -z "$pid" && -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    pid="$(running_pid)"
  fi
  if [[ -n "$pid" ]]; then pid_args=(--pid "$pid"); fi
  local auth_args=()
  if [[ -n "$SECURE" && -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    # ready means: the broker authenticates its admin (an external cluster: KAFKA_SASL_* env)
    auth_args=(--security-protocol SASL_PLAINTEXT --sasl-mechanism "$SCRAM_MECHANISM"
      --sasl-username admin --sasl-password-file "$(password_file admin)")
  fi
  log "waiting up to ${KAFKA_START_TIMEOUT} s for $(bootstrap_servers) ..."
  "$PYTHON" "$HERE/wait_kafka.py" --bootstrap "$(bootstrap_servers)" \
    --timeout "$KAFKA_START_TIMEOUT" "${pid_args[@]}" "${auth_args[@]}"
}

# The environment a client of the secure instance needs, as shell assignments:
#   eval "$(RUNWAY_KAFKA_SECURITY=sasl_scram deploy/kafka/kafka.sh client-env transport)"
cmd_client_env() {
  local user="${1:-}"
  [[ -n "$SECURE" ]] || die "client-env is for the secure instance: set RUNWAY_KAFKA_SECURITY=sasl_scram"
  [[ -n "$user" ]] || die "usage: kafka.sh client-env USER (one of: $KAFKA_SCRAM_USERS)"
  [[ " $KAFKA_SCRAM_USERS " == *" $user "* ]] || die "'$user' is not a SCRAM user (one of: $KAFKA_SCRAM_USERS)"
  [[ -s "$(password_file "$user")" ]] || die "no password for '$user' yet: 'kafka.sh start' generates them"
  printf 'export %s=%q\n' KAFKA_BOOTSTRAP_SERVERS "$(bootstrap_servers)" \
    KAFKA_SECURITY_PROTOCOL SASL_PLAINTEXT KAFKA_SASL_MECHANISM "$SCRAM_MECHANISM" \
    KAFKA_SASL_USERNAME "$user" KAFKA_SASL_PASSWORD_FILE "$(password_file "$user")"
}

# --- secure mode: SCRAM users and their passwords -------------------------------

password_file() { echo "$KAFKA_CREDENTIALS_DIR/$1.password"; }

# Each user's password is generated once and kept: the broker's SCRAM credentials are made from
# these files when the data dir is formatted, and clients read them (KAFKA_SASL_PASSWORD_FILE).
# The controller's goes only into server.properties (0600), which every start rewrites.
ensure_credentials() {
  local user
  (umask 077 && mkdir -p "$KAFKA_CREDENTIALS_DIR")
  chmod 700 "$KAFKA_CREDENTIALS_DIR"
  for user in $KAFKA_SCRAM_USERS; do
    [[ "$user" =~ ^[a-z][a-z0-9_-]*$ ]] || die "SCRAM user name '$user' is not [a-z][a-z0-9_-]*"
    [[ "$user" != "$CONTROLLER_USER" ]] || die "'$CONTROLLER_USER' is the controller listener's user, not a SCRAM user"
    ensure_password "$user" SCRAM
  done
  ensure_password "$CONTROLLER_USER" "controller listener"
}

ensure_password() { # user what-for
  local file
  file="$(password_file "$1")"
  if [[ ! -s "$file" ]]; then
    # hex only: neither --add-scram nor a JAAS config line can quote ',', '=', ']' or '"'
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file.tmp" && mv "$file.tmp" "$file")
    log "generated the $2 password of '$1' in $file"
  fi
  chmod 600 "$file"
}

password_of() { tr -d '\n' <"$(password_file "$1")"; }

# Listeners and, in secure mode, authentication and authorization.
listener_config() {
  # One client listener and the controller's, both speaking the instance's protocol.
  local protocol=PLAINTEXT
  [[ -z "$SECURE" ]] || protocol=SASL_PLAINTEXT
  cat <<EOF
listeners=$protocol://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=$protocol://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=$protocol
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:$protocol,$protocol:$protocol
EOF
  [[ -n "$SECURE" ]] || return 0
  local controller_password
  controller_password="$(password_of "$CONTROLLER_USER")"
  cat <<EOF
# Clients (and the broker itself) authenticate with SCRAM-SHA-512 on the one client listener.
sasl.enabled.mechanisms=$SCRAM_MECHANISM
sasl.mechanism.inter.broker.protocol=$SCRAM_MECHANISM
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";

# The controller listener authenticates as well: a controller serves CreateAcls and the other
# admin requests (KIP-919), so an open one would let any local process grant itself anything.
# One static PLAIN user: the server side checks user_$CONTROLLER_USER, the broker half of this
# process (and the quorum) log in with username/password. PLAIN is clear text on the wire,
# which here never leaves 127.0.0.1.
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$CONTROLLER_USER" password="$controller_password" user_$CONTROLLER_USER="$controller_password";

# Deny unless an ACL allows. admin is the broker's own user and the operators' super user,
# controller the quorum's (the broker half registers and heartbeats as it); nobody else, and
# never User:ANONYMOUS: no listener here lets a caller in without a login.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:$CONTROLLER_USER
EOF
}

write_config() {
  mkdir -p "$KAFKA_VAR" "$KAFKA_DATA_DIR"
  # secure mode writes the broker's password into it
  (umask 077 && : >"$CONFIG")
  chmod 600 "$CONFIG"
  cat >"$CONFIG" <<EOF
# Generated by deploy/kafka/kafka.sh on every start; edit the script, not this file.
# Single-node KRaft: this process is both broker and controller, with a static quorum.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
$(listener_config)

num.network.threads=3
num.io.threads=4
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600

log.dirs=$KAFKA_DATA_DIR
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
num.recovery.threads.per.data.dir=1
auto.create.topics.enable=false

# internal topics: one replica, few partitions
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=6

group.initial.rebalance.delay.ms=0
# Write committed offsets at once: the default holds each for 5 ms, on every event's latency.
group.coordinator.append.linger.ms=0

# flush: leave it to the OS (Kafka's defaults)
#log.flush.interval.messages=10000
#log.flush.interval.ms=1000

# Runway's topics are its audit record: keep everything unless a topic says otherwise.
log.retention.ms=-1
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
EOF
}

format_storage() {
  if [[ -f "$KAFKA_DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  if ! cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>&1)"; then
    echo "$cluster_id" >>"$OUT_LOG"
    show_logs
    die "kafka.tools.StorageTool random-uuid failed"
  fi
  cluster_id="$(tail -n 1 <<<"$cluster_id")"
  [[ -n "$cluster_id" ]] || { show_logs; die "StorageTool random-uuid printed nothing"; }
  local scram=() user args_file="$KAFKA_VAR/format-scram.args" rc=0
  if [[ -n "$SECURE" ]]; then
    # SCRAM users live in the cluster metadata; the first ones must be there before the broker
    # starts, or nobody (not even the broker itself) could authenticate. Their passwords go in
    # an argument file (0600, deleted after) that the storage tool's parser (argparse4j, prefix
    # @) reads one argument a line: on its command line they would show in ps.
    rm -f "$args_file"
    (umask 077 && : >"$args_file")
    for user in $KAFKA_SCRAM_USERS; do
      printf -- '--add-scram\n%s=[name=%s,password=%s]\n' \
        "$SCRAM_MECHANISM" "$user" "$(password_of "$user")" >>"$args_file"
    done
    scram=("@$args_file")
  fi
  log "formatting $KAFKA_DATA_DIR (cluster id $cluster_id${SECURE:+, SCRAM users: $KAFKA_SCRAM_USERS})"
  java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" -g "${scram[@]}" >>"$OUT_LOG" 2>&1 || rc=$?
  rm -f "$args_file"
  if ((rc != 0)); then
    show_logs
    die "storage format failed"
  fi
  echo "$KAFKA_VERSION" >"$KAFKA_VAR/formatted-by-version"
  echo "${RUNWAY_KAFKA_SECURITY:-plaintext}" >"$KAFKA_VAR/formatted-security"
}

# A data dir keeps the security mode and SCRAM users it was formatted with.
check_formatted_security() {
  [[ -f "$KAFKA_DATA_DIR/meta.properties" ]] || return 0
  local formatted user
  # data dirs formatted before secure mode existed are plaintext ones
  formatted="$(cat "$KAFKA_VAR/formatted-security" 2>/dev/null || echo plaintext)"
  [[ "$formatted" == "${RUNWAY_KAFKA_SECURITY:-plaintext}" ]] \
    || die "$KAFKA_DATA_DIR was formatted for security '$formatted'; 'kafka.sh reset' it, or use another KAFKA_INSTANCE"
  if [[ -n "$SECURE" ]]; then
    for user in $KAFKA_SCRAM_USERS; do
      [[ -s "$(password_file "$user")" ]] || die "the password of SCRAM user '$user' is missing from $KAFKA_CREDENTIALS_DIR; 'kafka.sh reset' to format again with new ones"
    done
  fi
}

cmd_start() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    log "KAFKA_BOOTSTRAP_SERVERS is set: not starting a local broker"
    cmd_wait
    return
  fi

  local t0
  t0="$(date +%s.%N)"
  # one start at a time (fd 8 is closed for the broker below, so it never holds the lock)
  mkdir -p "$RUN_DIR"
  exec 8>"$RUN_DIR/$KAFKA_INSTANCE.lock"
  if command -v flock >/dev/null 2>&1; then flock 8; fi

  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    if port_open 127.0.0.1 "$KAFKA_PORT"; then
      log "already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
      return 0
    fi
    log "pid $pid is running but 127.0.0.1:$KAFKA_PORT does not answer yet"
    cmd_wait "$pid" || { show_logs; die "broker (pid $pid) is not ready"; }
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open 127.0.0.1 "$KAFKA_PORT"; then
    die "127.0.0.1:$KAFKA_PORT is in use by another process (not ours): stop it, or set KAFKA_PORT, or KAFKA_BOOTSTRAP_SERVERS to use it"
  fi
  if port_open 127.0.0.1 "$KAFKA_CONTROLLER_PORT"; then
    die "127.0.0.1:$KAFKA_CONTROLLER_PORT (controller) is in use by another process: set KAFKA_CONTROLLER_PORT"
  fi

  cmd_fetch
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  check_formatted_security
  if [[ -n "$SECURE" ]]; then ensure_credentials; fi
  write_config
  echo "===== $(date -u +%FT%TZ) kafka.sh start (Kafka $KAFKA_VERSION) =====" >>"$OUT_LOG"
  if [[ -f "$SERVER_LOG" ]]; then SERVER_LOG_MARK="$(wc -l <"$SERVER_LOG")"; fi
  format_storage

  need java "install a JDK 17+, e.g. apt-get install openjdk-17-jre-headless"
  jvm_opts
  # setsid: own session, so the broker outlives the calling shell/terminal. Our child is
  # not a process-group leader, so setsid and nohup exec in place and $! is the JVM's pid.
  # fds 8/9 (our lock files) are closed for it.
  # Every partition holds several open files; test runs create many topics, and the default
  # limit of a shell is too low for them. Raise it as far as the hard limit allows.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
  setsid nohup java "${JVM_OPTS[@]}" kafka.Kafka "$CONFIG" </dev/null >>"$OUT_LOG" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  log "started Kafka $KAFKA_VERSION (pid $pid); logs in $LOG_DIR"

  if ! cmd_wait "$pid"; then
    show_logs
    if [[ -n "$(running_pid)" ]]; then
      echo "kafka: the broker (pid $pid) is still running; 'kafka.sh stop' to end it" >&2
    else
      rm -f "$PID_FILE"
      if [[ -f "$KAFKA_VAR/formatted-by-version" && "$(cat "$KAFKA_VAR/formatted-by-version")" != "$KAFKA_VERSION" ]]; then
        echo "kafka: hint: the data dir was formatted by Kafka $(cat "$KAFKA_VAR/formatted-by-version"); 'kafka.sh reset' if the versions are incompatible" >&2
      fi
    fi
    die "broker did not become ready"
  fi
  log "start took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
}

cmd_stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -n "$(running_pid)" ]] || break
    sleep 0.1
  done
  if [[ -n "$(running_pid)" ]]; then
    log "still running after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      [[ -n "$(running_pid)" ]] || break
      sleep 0.1
    done
  fi
  # A killed JVM's main thread can show as a zombie while its other threads still hold
  # the sockets: wait for the listeners to go away too, so a restart can bind them.
  for ((i = 0; i < 100; i++)); do
    port_open 127.0.0.1 "$KAFKA_PORT" || port_open 127.0.0.1 "$KAFKA_CONTROLLER_PORT" || break
    sleep 0.1
  done
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    log "using external cluster KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS (no local broker managed)"
  fi
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    if port_open 127.0.0.1 "$KAFKA_PORT"; then
      echo "running (pid $pid, 127.0.0.1:$KAFKA_PORT, Kafka $KAFKA_VERSION${SECURE:+, SASL/SCRAM with ACLs, credentials in $KAFKA_CREDENTIALS_DIR})"
    else
      echo "running (pid $pid), not answering on 127.0.0.1:$KAFKA_PORT yet"
    fi
    return 0
  fi
  echo "not running"
  return 3
}

cmd_reset() {
  cmd_stop
  # the credentials stay: a new format makes the same users with the same passwords
  rm -rf "$KAFKA_DATA_DIR" "$CONFIG" "$KAFKA_VAR/formatted-by-version" "$KAFKA_VAR/formatted-security"
  log "deleted $KAFKA_DATA_DIR"
}

case "${1:-}" in
  fetch) cmd_fetch; fetch_is_complete && log "Kafka $KAFKA_VERSION jars ready in $LIBS" ;;
  start) cmd_start ;;
  wait) cmd_wait ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  client-env) cmd_client_env "${2:-}" ;;
  *)
    echo "usage: $0 fetch|start|wait|stop|status|reset|client-env USER" >&2
    exit 2
    ;;
esac
