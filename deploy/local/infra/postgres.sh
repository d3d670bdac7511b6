# shellcheck shell=bash
# PostgreSQL 15 + PostGIS from Debian's packages, one cluster of our own; sourced by infra.sh.

PG_PORT="${NATRES_PG_PORT:-5433}"
PG_ROOT="${NATRES_PG_DATA:-/tmp/natres-pg-$PG_PORT}"
PG_DATA="$PG_ROOT/data"
PG_BIN=/usr/lib/postgresql/15/bin
PG_SUPERPASS="${NATRES_PG_SUPERUSER_PASSWORD:-postgres}"
PG_DB=natres

# The postmaster's pid (from its own postmaster.pid) while it is alive; status 1 otherwise.
pg_pid() {
  [[ -s "$PG_DATA/postmaster.pid" ]] || return 1
  local pid
  pid="$(head -n1 "$PG_DATA/postmaster.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 &&
    "$PG_BIN/psql" -X -q -At -h "$PG_ROOT" -p "$PG_PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1
}

# psql as superuser over the unix socket (local = trust, so no password needed here).
pg_sql() { PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_ROOT" -p "$PG_PORT" -U postgres "$@"; }

pg_start() {
  if pg_pid >/dev/null && pg_ready; then return 0; fi
  [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL 15 not installed: run '$0 install'"
  mkdir -p "$PG_ROOT"
  chown postgres:postgres "$PG_ROOT"
  chmod 700 "$PG_ROOT"
  if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: initdb $PG_DATA"
    # Unix socket: trust (only root/postgres on this box reach it, used by this script).
    # TCP: scram-sha-256, so services and tests use real role passwords.
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_ROOT/initdb.log" 2>&1 \
      || { cat "$PG_ROOT/initdb.log" >&2; die "initdb failed"; }
    # Sized for a 2-core / 24 GB box running three services, workers and tests.
    cat >>"$PG_DATA/postgresql.conf" <<'EOF'

# --- natres (deploy/local/infra.sh) ---
max_connections = 300
shared_buffers = 512MB
work_mem = 16MB
maintenance_work_mem = 256MB
effective_cache_size = 4GB
wal_level = replica
# Full-page images after each checkpoint were most of the WAL a bid wrote (random uuid index
# pages): compress them, and checkpoint every 15 minutes rather than 5.
wal_compression = lz4
checkpoint_timeout = 15min
max_wal_size = 4GB
log_min_duration_statement = 2000
log_line_prefix = '%m [%p] %q%u@%d '
timezone = 'Asia/Shanghai'
EOF
  fi
  log "postgres: starting on 127.0.0.1:$PG_PORT"
  # port/listen/socket given on the command line so NATRES_PG_PORT always wins.
  # pg_ctl handles a stale postmaster.pid itself.
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_ROOT -c listen_addresses=127.0.0.1" start >/dev/null \
    || die_tail 20 "$PG_ROOT/server.log" "postgres did not start"
  local i
  for ((i = 0; i < 60; i++)); do pg_ready && return 0; sleep 0.5; done
  die "postgres started but does not answer queries"
}

# Superuser password, database natres, then the idempotent bootstrap SQL.
pg_bootstrap() {
  pg_sql -d postgres -c "ALTER ROLE postgres PASSWORD '$PG_SUPERPASS'" >/dev/null
  if [[ "$(pg_sql -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
    log "postgres: creating database $PG_DB"
    pg_sql -d postgres -c "CREATE DATABASE $PG_DB ENCODING 'UTF8' TEMPLATE template0" >/dev/null
  fi
  pg_sql -d "$PG_DB" -f "$REPO/deploy/postgres/bootstrap.sql" >/dev/null
}

pg_stop() {
  local pid
  if ! pid="$(pg_pid)"; then log "postgres: not running"; return 0; fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null \
    || stop_pid "$pid" 10 postgres
  log "postgres stopped (pid $pid)"
}

pg_status() {
  local pid
  if pid="$(pg_pid)" && pg_ready; then
    status_up postgres "$pid" "$PG_PORT" "data $PG_DATA"
  else
    status_down postgres "$pid" "$PG_PORT"
  fi
}
