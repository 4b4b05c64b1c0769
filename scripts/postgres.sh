#!/usr/bin/env bash
# A private PostgreSQL server for Herald's tests (and local development).
#
#   scripts/postgres.sh start   install the server if needed, create the cluster if needed, start it (no-op if running)
#   scripts/postgres.sh stop    stop it (no-op if stopped)
#   scripts/postgres.sh status  exit 0 if it answers, 1 otherwise
#   scripts/postgres.sh url     print the Npgsql connection string for the `herald` role and database
#
# The cluster lives in $HERALD_PG_DIR (default /tmp/herald-pg), listens on 127.0.0.1:$HERALD_PG_PORT
# (default 54329) and keeps its unix socket inside that folder. TCP logins need the password
# (scram-sha-256); the socket is trusted but only reachable by the cluster's owner. The role `herald`
# (password `herald`, SUPERUSER on this throw-away loopback cluster, so that a test's DROP DATABASE ... WITH (FORCE)
# can end autovacuum workers) owns the database `herald`; tests create and drop their own databases.
# Durability is switched off (fsync=off): this is a throw-away test server, never a real one.
set -euo pipefail

PG_DIR="${HERALD_PG_DIR:-/tmp/herald-pg}"
PG_PORT="${HERALD_PG_PORT:-54329}"
PG_USER="herald"
PG_PASSWORD="herald"
PG_DATABASE="herald"
DATA_DIR="$PG_DIR/data"
SOCKET_DIR="$PG_DIR/run"
LOG_FILE="$PG_DIR/postgres.log"

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Commands the cluster runs run as its owner: `postgres` when we are root, ourselves otherwise.
if [[ $EUID -eq 0 ]]; then
  OWNER="postgres"
  as_owner() { runuser -u postgres -- "$@"; }
else
  OWNER="$(id -un)"
  as_owner() { "$@"; }
fi

# Avoid "could not change directory" warnings when the owner cannot read the caller's folder.
cd /

find_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then
    echo "$dir"
  fi
}

install_server() {
  [[ -n "$(find_bin)" ]] && return 0
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "PostgreSQL is not installed and we are not root: install postgresql-15 (or postgresql)."
    sudo=(sudo)
  fi
  log "installing the PostgreSQL server (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  # test.sh updates the package lists once per run and says so; anyone else gets a fresh update.
  if [[ "${HERALD_APT_UPDATED:-}" != "1" ]]; then
    "${sudo[@]}" apt-get update -qq
  fi
  local package="postgresql"
  if apt-cache policy postgresql-15 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    package="postgresql-15"
  fi
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  [[ -n "$(find_bin)" ]] || die "installed $package but found no /usr/lib/postgresql/*/bin/initdb"
}

is_running() {
  [[ -f "$DATA_DIR/postmaster.pid" ]] && as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

psql_admin() {
  as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

init_cluster() {
  local version
  version="$(basename "$(dirname "$PG_BIN")")"
  if [[ -f "$DATA_DIR/PG_VERSION" && "$(cat "$DATA_DIR/PG_VERSION")" == "$version" && -f "$DATA_DIR/herald-ready" ]]; then
    return 0
  fi
  # Missing, half-made (interrupted initdb) or from another major version: it is test data, start over.
  log "creating a PostgreSQL $version cluster in $DATA_DIR"
  rm -rf "$DATA_DIR"
  mkdir -p "$PG_DIR"
  chmod 0755 "$PG_DIR"
  [[ $EUID -eq 0 ]] && chown "$OWNER": "$PG_DIR"
  as_owner mkdir -p "$DATA_DIR" "$SOCKET_DIR"
  as_owner chmod 0700 "$DATA_DIR" "$SOCKET_DIR"
  as_owner "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  as_owner tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<CONF

# --- herald test server (scripts/postgres.sh) ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 300
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  as_owner tee "$DATA_DIR/pg_hba.conf" >/dev/null <<HBA
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   scram-sha-256
HBA
  as_owner touch "$DATA_DIR/herald-ready"
}

start() {
  install_server
  PG_BIN="$(find_bin)"
  if [[ -d "$PG_DIR" && $EUID -eq 0 ]]; then
    chown "$OWNER": "$PG_DIR"   # a folder left by another user would keep postgres out
  fi
  init_cluster
  if ! is_running; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $LOG_FILE)"
    as_owner mkdir -p "$SOCKET_DIR"
    if ! as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null; then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "PostgreSQL did not start"
    fi
  fi
  local i
  for i in $(seq 1 60); do
    if as_owner "$PG_BIN/pg_isready" -q -h "$SOCKET_DIR" -p "$PG_PORT"; then
      break
    fi
    [[ $i -eq 60 ]] && die "PostgreSQL does not answer on $SOCKET_DIR port $PG_PORT"
    sleep 0.5
  done
  psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
  if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != "1" ]]; then
    psql_admin -c "CREATE DATABASE $PG_DATABASE OWNER $PG_USER"
  fi
  log "ready: $(url)"
}

stop() {
  PG_BIN="$(find_bin)"
  if [[ -n "$PG_BIN" && -d "$DATA_DIR" ]] && is_running; then
    as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >/dev/null
    log "stopped"
  fi
}

status() {
  PG_BIN="$(find_bin)"
  if [[ -n "$PG_BIN" && -d "$DATA_DIR" ]] && is_running \
    && as_owner "$PG_BIN/pg_isready" -q -h "$SOCKET_DIR" -p "$PG_PORT"; then
    return 0
  fi
  return 1
}

url() {
  echo "Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Password=$PG_PASSWORD;Database=$PG_DATABASE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
