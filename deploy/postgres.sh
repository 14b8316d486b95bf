#!/usr/bin/env bash
# Real PostgreSQL for Runway: use DATABASE_URL when it answers; otherwise install Debian's
# postgresql if missing, run a dedicated cluster "runway", and create one database per service.
#   deploy/postgres.sh start | stop | status | url | ensure-databases | drop-test-databases
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=${RUNWAY_VAR:-$ROOT/var}
PGPORT=${RUNWAY_PGPORT:-5433}
CLUSTER=runway
ROLE=runway
PASSWORD=${RUNWAY_PGPASSWORD:-runway}
DATABASES=(runway runway_test runway_intake runway_judicial runway_assurance runway_transport runway_court runway_audit runway_keys)
LOCAL_URL="postgresql+asyncpg://$ROLE:$PASSWORD@127.0.0.1:$PGPORT/runway"

log() { echo "[postgres] $*" >&2; }

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

as_postgres() { runuser -u postgres -- "$@"; }

reachable() {  # $1: SQLAlchemy URL
  local dsn
  dsn=$(echo "$1" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')
  PGCONNECT_TIMEOUT=3 psql "$dsn" -Atqc 'select 1' >/dev/null 2>&1
}

install_if_missing() {
  if [ -n "$(pg_version)" ] && command -v pg_createcluster >/dev/null; then return; fi
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
}

ensure_cluster() {
  local ver
  ver=$(pg_version)
  if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$ver/$CLUSTER"; then
    log "creating cluster $ver/$CLUSTER on port $PGPORT"
    # Sized for a 2-core development box; durability settings are PostgreSQL's defaults.
    pg_createcluster "$ver" "$CLUSTER" -p "$PGPORT" \
      -o max_connections=300 -o shared_buffers=256MB -o wal_buffers=16MB \
      -o max_wal_size=2GB >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v c="$CLUSTER" '$2==c {print $4}' | grep -q online; then
    log "starting cluster $ver/$CLUSTER"
    pg_ctlcluster "$ver" "$CLUSTER" start
  fi
  # Loopback only: TLS would cost CPU and protect nothing.
  if [ "$(as_postgres psql -p "$PGPORT" -Atqc 'show ssl' 2>/dev/null)" = "on" ]; then
    as_postgres psql -p "$PGPORT" -q -c "ALTER SYSTEM SET ssl = off" -c "SELECT pg_reload_conf()" >/dev/null
  fi
  mkdir -p "$VAR/log"
  ln -sf "/var/log/postgresql/postgresql-$ver-$CLUSTER.log" "$VAR/log/postgresql.log"
  for _ in $(seq 1 60); do
    as_postgres psql -p "$PGPORT" -Atqc 'select 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  as_postgres psql -p "$PGPORT" -v ON_ERROR_STOP=1 -q <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
}

ensure_databases() {  # $1: SQLAlchemy URL of the server
  local dsn db
  dsn=$(echo "$1" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')
  for db in "${DATABASES[@]}"; do
    local target
    target=$(echo "$dsn" | sed -E "s#/[^/?]*(\?|$)#/postgres\1#")
    if ! psql "$target" -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      psql "$target" -q -c "CREATE DATABASE $db" >/dev/null
      log "created database $db"
    fi
  done
}

server_url() {
  if [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" == postgresql* ]]; then
    echo "$DATABASE_URL"
  else
    echo "$LOCAL_URL"
  fi
}

case "${1:-start}" in
  start)
    if [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" == postgresql* ]] && reachable "$DATABASE_URL"; then
      log "using DATABASE_URL (reachable)"
    else
      [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" == postgresql* ]] && \
        log "DATABASE_URL does not answer; starting the local cluster instead"
      install_if_missing
      ensure_cluster
      if [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" == postgresql* ]] && ! reachable "$DATABASE_URL"; then
        echo "DATABASE_URL=$DATABASE_URL is not reachable" >&2; exit 1
      fi
    fi
    ensure_databases "$(server_url)"
    log "ready: $(server_url | sed -E 's#://([^:]+):[^@]*@#://\1:***@#')"
    ;;
  ensure-databases) ensure_databases "$(server_url)" ;;
  stop)
    ver=$(pg_version)
    if [ -n "$ver" ] && pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$CLUSTER"; then
      pg_ctlcluster "$ver" "$CLUSTER" stop -m fast || true
    fi
    ;;
  drop-test-databases)  # databases left by test runs (t_*) and audit replays (replay_*)
    dsn=$(server_url | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#; s#/[^/?]*(\?|$)#/postgres\1#')
    for db in $(psql "$dsn" -Atqc "select datname from pg_database where datname ~ '^(t_|replay_)'"); do
      psql "$dsn" -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" && log "dropped $db"
    done
    ;;
  status) pg_lsclusters 2>/dev/null | grep -E "^Ver|$CLUSTER" || echo "not installed" ;;
  url) server_url ;;
  *) echo "usage: $0 start|stop|status|url|ensure-databases|drop-test-databases" >&2; exit 2 ;;
esac
