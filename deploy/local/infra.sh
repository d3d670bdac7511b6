#!/usr/bin/env bash
# natres native infrastructure: PostgreSQL 15 + PostGIS, Kafka 4.x (KRaft), Keycloak 26.
# No Docker: Debian packages, Maven Central jars and the Keycloak distribution, all on
# 127.0.0.1. See /work/shared/reference/infra.md for the recipe this follows.
#
#   deploy/local/infra.sh install   install what is missing (apt, uv, Kafka jars, Keycloak)
#   deploy/local/infra.sh start     start all three, wait until really ready, create topics,
#                                   apply deploy/postgres/bootstrap.sql (no-op if all up)
#   deploy/local/infra.sh stop      stop all three (by recorded pid)
#   deploy/local/infra.sh status    one line per component; exit 0 if all up, else 3
#   deploy/local/infra.sh reset     stop, delete all data (PG, Kafka, Keycloak DB); keep downloads
#   deploy/local/infra.sh env       print `export ...` lines: eval "$(deploy/local/infra.sh env)"
#
# Settings (environment variables, defaults in brackets):
#   NATRES_STATE_DIR          [<repo>/.state]  jars, Keycloak dist, Kafka data, logs, pid files
#   NATRES_PG_PORT            [5433]           PostgreSQL TCP port (listens on 127.0.0.1 only)
#   NATRES_PG_DATA            [/tmp/natres-pg-<port>]  PG cluster root: data/, server.log and
#                                              the unix socket. Must be traversable by the
#                                              postgres user, hence not under the repo.
#   NATRES_PG_SUPERUSER_PASSWORD [postgres]    password of `postgres` for TCP (scram-sha-256)
#   NATRES_KAFKA_PORT         [19092]          Kafka broker (PLAINTEXT) port
#   NATRES_KAFKA_CONTROLLER_PORT [19093]       Kafka KRaft controller port
#   NATRES_KAFKA_JAVA         [java on PATH]   java binary for Kafka (17+)
#   NATRES_KC_PORT            [18080]          Keycloak HTTP port; issuer is
#                                              http://127.0.0.1:<port>/realms/natres
#   NATRES_KC_MGMT_PORT       [19000]          Keycloak management port (/health/ready)
#   NATRES_KC_VERSION         [26.7.3]         Keycloak distribution version (Maven Central)
#   NATRES_KC_JAVA_HOME       [/usr/lib/jvm/temurin-25-jdk-amd64, else newest temurin-*]
#   NATRES_KC_ADMIN_USER / NATRES_KC_ADMIN_PASSWORD [admin/admin]  master-realm bootstrap admin
#   NATRES_KC_REIMPORT_ON_CHANGE [1]           1: when deploy/keycloak/natres-realm.json changed
#                                              since the last import, wipe Keycloak's H2 DB so
#                                              the realm re-imports (import skips existing realms)
#   NATRES_PYTHON             [uv run --frozen python]  python with kafka-python, run from repo
#   NATRES_START_TIMEOUT      [240]            seconds to wait for each component to be ready
#
# Local-dev credentials: PG superuser postgres/postgres; service roles <s>_owner and <s>_app
# with password = role name (deploy/postgres/bootstrap.sql); Keycloak demo users password
# demo1234 (deploy/keycloak/natres-realm.json); Keycloak admin console admin/admin.
#
# Processes are tracked by pid files under $NATRES_STATE_DIR/run and stopped only by those
# pids (Kafka and Keycloak run in their own process group, the group is signalled).

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${NATRES_STATE_DIR:-$REPO/.state}"
RUN="$STATE/run"
LOGS="$STATE/logs"

PG_PORT="${NATRES_PG_PORT:-5433}"
PG_ROOT="${NATRES_PG_DATA:-/tmp/natres-pg-$PG_PORT}"
PG_DATA="$PG_ROOT/data"
PG_BIN=/usr/lib/postgresql/15/bin
PG_SUPERPASS="${NATRES_PG_SUPERUSER_PASSWORD:-postgres}"
PG_DB=natres

KAFKA_PORT="${NATRES_KAFKA_PORT:-19092}"
KAFKA_CTRL_PORT="${NATRES_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_JAVA="${NATRES_KAFKA_JAVA:-java}"
KAFKA_LIBS="$STATE/kafka-libs"
KAFKA_DATA="$STATE/kafka-data"
KAFKA_CONF="$STATE/kafka/server.properties"
KAFKA_PID="$RUN/kafka.pid"

KC_PORT="${NATRES_KC_PORT:-18080}"
KC_MGMT_PORT="${NATRES_KC_MGMT_PORT:-19000}"
KC_VERSION="${NATRES_KC_VERSION:-26.7.3}"
KC_HOME="$STATE/keycloak-$KC_VERSION"
KC_PID="$RUN/keycloak.pid"
KC_URL="http://127.0.0.1:$KC_PORT"
KC_REALM=natres
KC_REALM_FILE="$REPO/deploy/keycloak/natres-realm.json"
KC_ADMIN_USER="${NATRES_KC_ADMIN_USER:-admin}"
KC_ADMIN_PASSWORD="${NATRES_KC_ADMIN_PASSWORD:-admin}"
# Build-time options, baked in by `kc.sh build` so that `start --optimized` skips the
# 20-60 s Quarkus re-augmentation on every start. dev-file = embedded H2 under
# $KC_HOME/data/h2 (no dependency on PostgreSQL, reset = delete the folder); cache=local
# because the default clustered cache would try to discover peers.
KC_BUILD_OPTS=(--db=dev-file --cache=local --health-enabled=true --metrics-enabled=false)

TIMEOUT="${NATRES_START_TIMEOUT:-240}"
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 gdal-bin zbar-tools fonts-noto-cjk
              fonts-droid-fallback fonts-dejavu-core nginx chromium chromium-l10n
              poppler-utils unzip docker-compose maven curl python3)

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run the workspace python (kafka-python lives in the uv venv) from the repo root.
# --frozen: never rewrite uv.lock from here.
py() {
  local cmd="${NATRES_PYTHON:-uv run --frozen python}"
  (cd "$REPO" && $cmd "$@")
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid from a pid file if that process is alive AND its command line contains $2 (guards
# against a recycled pid after a reboot/crash); prints nothing otherwise.
live_pid() {
  local file="$1" marker="$2" pid
  [[ -s "$file" ]] || return 0
  pid="$(head -n1 "$file" | tr -dc 0-9)"
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
    echo "$pid"
  fi
}

# SIGTERM the process group led by $1 (fallback: the pid), wait up to $2 s, then SIGKILL.
stop_pid() {
  local pid="$1" grace="$2" name="$3" i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name stopped (pid $pid)"; return 0; }
    sleep 0.2
  done
  log "$name did not stop in ${grace}s, SIGKILL (pid $pid)"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

kc_java_home() {
  if [[ -n "${NATRES_KC_JAVA_HOME:-}" ]]; then echo "$NATRES_KC_JAVA_HOME"; return; fi
  if [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then echo /usr/lib/jvm/temurin-25-jdk-amd64; return; fi
  local d
  d="$(find /usr/lib/jvm -maxdepth 1 -name 'temurin-*-jdk*' 2>/dev/null | sort -V | tail -n1)"
  if [[ -n "$d" && -x "$d/bin/java" ]]; then echo "$d"; return; fi
  # Keycloak 26.7 wants 21+ (25 recommended); 17 is the last resort and may be refused.
  log "WARNING: no Temurin JDK under /usr/lib/jvm; Keycloak falls back to the default java"
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

# ---------------------------------------------------------------------------- install

install_apt() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_uv() {
  command -v uv >/dev/null && return 0
  log "installing uv with pip"
  python3 -m pip install -q uv 2>/dev/null || python3 -m pip install -q --break-system-packages uv
}

# Kafka jars: re-fetched when deploy/kafka/pom.xml changes (stamp = its checksum).
install_kafka() {
  local pom="$REPO/deploy/kafka/pom.xml" sum
  sum="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [[ -f "$KAFKA_LIBS/.pom.sha256" && "$(cat "$KAFKA_LIBS/.pom.sha256")" == "$sum" ]]; then
    return 0
  fi
  log "fetching Kafka jars (mvn copy-dependencies) into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  # Full plugin coordinates: a bare `dependency:` resolves to an ancient 2.8 plugin here.
  mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" >"$LOGS/mvn-kafka.log" 2>&1 \
    || { tail -n 30 "$LOGS/mvn-kafka.log" >&2; die "mvn copy-dependencies failed"; }
  ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars missing after mvn"
  echo "$sum" >"$KAFKA_LIBS/.pom.sha256"
}

install_keycloak() {
  if [[ ! -x "$KC_HOME/bin/kc.sh" ]]; then
    local zip="$HOME/.m2/repository/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/keycloak-quarkus-dist-$KC_VERSION.zip"
    if [[ ! -s "$zip" ]]; then
      log "downloading Keycloak $KC_VERSION from Maven Central"
      mkdir -p "$STATE/dl"
      mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -DoutputDirectory="$STATE/dl" \
        >"$LOGS/mvn-keycloak.log" 2>&1 || { tail -n 30 "$LOGS/mvn-keycloak.log" >&2; die "mvn copy keycloak failed"; }
      zip="$STATE/dl/keycloak-quarkus-dist-$KC_VERSION.zip"
    fi
    log "unpacking Keycloak $KC_VERSION"
    mkdir -p "$STATE"
    rm -rf "$KC_HOME.tmp" && mkdir -p "$KC_HOME.tmp"
    # unzip, not python's zipfile: that drops the exec bits of bin/kc.sh.
    unzip -q -o "$zip" -d "$KC_HOME.tmp"
    mv "$KC_HOME.tmp/keycloak-$KC_VERSION" "$KC_HOME"
    rm -rf "$KC_HOME.tmp"
  fi
  # `kc.sh build` once per build-option set (stamp), so starts can use --optimized.
  local want have=""
  want="${KC_BUILD_OPTS[*]}"
  [[ -f "$KC_HOME/.natres-build" ]] && have="$(cat "$KC_HOME/.natres-build")"
  if [[ "$have" != "$want" ]]; then
    log "kc.sh build $want (once; makes later starts fast)"
    mkdir -p "$LOGS"
    JAVA_HOME="$(kc_java_home)" "$KC_HOME/bin/kc.sh" build "${KC_BUILD_OPTS[@]}" >"$LOGS/keycloak-build.log" 2>&1 \
      || { tail -n 30 "$LOGS/keycloak-build.log" >&2; die "kc.sh build failed"; }
    echo "$want" >"$KC_HOME/.natres-build"
  fi
}

install_artifacts() {
  mkdir -p "$STATE" "$RUN" "$LOGS"
  install_kafka
  install_keycloak
}

cmd_install() {
  install_apt
  install_uv
  install_artifacts
  log "install: done"
}

# ---------------------------------------------------------------------------- postgres

pg_pid() {
  [[ -s "$PG_DATA/postmaster.pid" ]] || return 0
  local pid
  pid="$(head -n1 "$PG_DATA/postmaster.pid")"
  if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 &&
    "$PG_BIN/psql" -X -q -At -h "$PG_ROOT" -p "$PG_PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1
}

# psql as superuser over the unix socket (local = trust, so no password needed here).
pg_sql() { PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_ROOT" -p "$PG_PORT" -U postgres "$@"; }

pg_start() {
  if [[ -n "$(pg_pid)" ]] && pg_ready; then return 0; fi
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
max_wal_size = 2GB
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
    || { tail -n 20 "$PG_ROOT/server.log" >&2; die "postgres did not start"; }
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
  pid="$(pg_pid)"
  if [[ -z "$pid" ]]; then log "postgres: not running"; return 0; fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null \
    || stop_pid "$pid" 10 postgres
  log "postgres stopped (pid $pid)"
}

# ---------------------------------------------------------------------------- kafka

kafka_pid() { live_pid "$KAFKA_PID" kafka.Kafka; }

kafka_launch() {
  if [[ -n "$(kafka_pid)" ]]; then return 0; fi
  rm -f "$KAFKA_PID"   # stale (process gone) or absent
  ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars missing: run '$0 install'"
  mkdir -p "$(dirname "$KAFKA_CONF")" "$KAFKA_DATA" "$LOGS/kafka"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CTRL_PORT|g" \
      -e "s|@DATA_DIR@|$KAFKA_DATA|g" "$REPO/deploy/kafka/server.properties.template" >"$KAFKA_CONF"
  local cp="$KAFKA_LIBS/*"
  local logopts=(-Dlog4j2.configurationFile="$REPO/deploy/kafka/log4j2.properties" -Dkafka.logs.dir="$LOGS/kafka")
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    # KRaft storage is formatted once per data dir with a fresh cluster id.
    local id
    id="$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')"
    log "kafka: formatting $KAFKA_DATA (cluster $id)"
    "$KAFKA_JAVA" -Xmx256m -cp "$cp" "${logopts[@]}" kafka.tools.StorageTool format --standalone \
      -t "$id" -c "$KAFKA_CONF" >"$LOGS/kafka/format.log" 2>&1 \
      || { cat "$LOGS/kafka/format.log" >&2; die "kafka storage format failed"; }
  fi
  log "kafka: starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CTRL_PORT)"
  # setsid: own process group, so stop can signal exactly this tree.
  setsid nohup "$KAFKA_JAVA" -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "${logopts[@]}" \
    -cp "$cp" kafka.Kafka "$KAFKA_CONF" >"$LOGS/kafka.out" 2>&1 </dev/null &
  echo $! >"$KAFKA_PID"
}

# Ready = the broker answers admin requests; then the topics are ensured.
kafka_wait_and_topics() {
  local deadline=$((SECONDS + TIMEOUT))
  while ! port_open "$KAFKA_PORT"; do
    [[ -n "$(kafka_pid)" ]] || { tail -n 30 "$LOGS/kafka.out" >&2; die "kafka exited during start (see $LOGS/kafka/server.log)"; }
    ((SECONDS < deadline)) || die "kafka port $KAFKA_PORT not open after ${TIMEOUT}s"
    sleep 0.5
  done
  py "$REPO/deploy/local/kafka_admin.py" ensure --bootstrap "127.0.0.1:$KAFKA_PORT" \
    --timeout $((deadline - SECONDS > 10 ? deadline - SECONDS : 10)) >"$LOGS/kafka-topics.log" \
    || { tail -n 30 "$LOGS/kafka.out" >&2; die "kafka not ready / topics not created"; }
  log "kafka: ready, topics: $(cut -d' ' -f2,3 "$LOGS/kafka-topics.log" | tr '\n' ' ')"
}

kafka_stop() {
  local pid
  pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then log "kafka: not running"; rm -f "$KAFKA_PID"; return 0; fi
  # SIGTERM = controlled shutdown; a single node needs a few seconds.
  stop_pid "$pid" 60 kafka
  rm -f "$KAFKA_PID"
}

# ---------------------------------------------------------------------------- keycloak

kc_pid() { live_pid "$KC_PID" "$KC_HOME"; }

http_ok() { [[ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" || true)" == 200 ]]; }

kc_ready() {
  http_ok "http://127.0.0.1:$KC_MGMT_PORT/health/ready" &&
    http_ok "$KC_URL/realms/$KC_REALM/.well-known/openid-configuration"
}

kc_launch() {
  if [[ -n "$(kc_pid)" ]]; then return 0; fi
  rm -f "$KC_PID"
  [[ -x "$KC_HOME/bin/kc.sh" && -f "$KC_HOME/.natres-build" ]] || die "Keycloak not installed: run '$0 install'"
  mkdir -p "$KC_HOME/data/import" "$LOGS"
  # Import skips a realm that already exists; when the realm file changed since the last
  # import, drop the H2 database so the new realm definition is what runs.
  local sum
  sum="$(sha256sum "$KC_REALM_FILE" | cut -d' ' -f1)"
  if [[ -d "$KC_HOME/data/h2" && "${NATRES_KC_REIMPORT_ON_CHANGE:-1}" == 1 &&
        "$(cat "$KC_HOME/data/.realm.sha256" 2>/dev/null || true)" != "$sum" ]]; then
    log "keycloak: realm file changed since last import, wiping $KC_HOME/data/h2 to re-import"
    rm -rf "$KC_HOME/data/h2"
  fi
  cp "$KC_REALM_FILE" "$KC_HOME/data/import/natres-realm.json"
  echo "$sum" >"$KC_HOME/data/.realm.sha256"
  log "keycloak: starting on $KC_URL (management $KC_MGMT_PORT)"
  # Production `start --optimized` (build options baked in by install) with plain http on
  # loopback. --hostname fixes the issuer to http://127.0.0.1:<port>/realms/natres whatever
  # Host header a client sends.
  JAVA_HOME="$(kc_java_home)" \
  JAVA_OPTS_KC_HEAP="-Xms128m -Xmx768m" \
  KC_BOOTSTRAP_ADMIN_USERNAME="$KC_ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$KC_ADMIN_PASSWORD" \
    setsid nohup "$KC_HOME/bin/kc.sh" start --optimized \
      --http-enabled=true --http-host=127.0.0.1 --http-port="$KC_PORT" \
      --http-management-port="$KC_MGMT_PORT" \
      --hostname="$KC_URL" --hostname-strict=true \
      --import-realm --log-level=info \
      >"$LOGS/keycloak.out" 2>&1 </dev/null &
  echo $! >"$KC_PID"
}

kc_wait() {
  local deadline=$((SECONDS + TIMEOUT))
  until kc_ready; do
    [[ -n "$(kc_pid)" ]] || { tail -n 40 "$LOGS/keycloak.out" >&2; die "keycloak exited during start"; }
    ((SECONDS < deadline)) || { tail -n 40 "$LOGS/keycloak.out" >&2; die "keycloak not ready after ${TIMEOUT}s"; }
    sleep 1
  done
  log "keycloak: ready (realm $KC_REALM)"
}

kc_stop() {
  local pid
  pid="$(kc_pid)"
  if [[ -z "$pid" ]]; then log "keycloak: not running"; rm -f "$KC_PID"; return 0; fi
  stop_pid "$pid" 30 keycloak
  rm -f "$KC_PID"
}

# ---------------------------------------------------------------------------- commands

status_lines() {
  local ok=0 pid
  pid="$(pg_pid)"
  if [[ -n "$pid" ]] && pg_ready; then
    printf '%-9s up    pid %-7s port %s  data %s\n' postgres "$pid" "$PG_PORT" "$PG_DATA"
  else
    printf '%-9s down  pid %-7s port %s\n' postgres "${pid:--}" "$PG_PORT"; ok=3
  fi
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]] && port_open "$KAFKA_PORT"; then
    printf '%-9s up    pid %-7s port %s  controller %s\n' kafka "$pid" "$KAFKA_PORT" "$KAFKA_CTRL_PORT"
  else
    printf '%-9s down  pid %-7s port %s\n' kafka "${pid:--}" "$KAFKA_PORT"; ok=3
  fi
  pid="$(kc_pid)"
  if [[ -n "$pid" ]] && kc_ready; then
    printf '%-9s up    pid %-7s port %s  management %s  issuer %s/realms/%s\n' keycloak "$pid" "$KC_PORT" "$KC_MGMT_PORT" "$KC_URL" "$KC_REALM"
  else
    printf '%-9s down  pid %-7s port %s\n' keycloak "${pid:--}" "$KC_PORT"; ok=3
  fi
  return $ok
}

cmd_status() { status_lines; }

cmd_start() {
  mkdir -p "$STATE" "$RUN" "$LOGS"
  # Fast path: everything already up and ready -> nothing to do.
  if status_lines >/dev/null 2>&1; then
    log "start: all components already up"
    if [[ "$(cat "$KC_HOME/data/.realm.sha256" 2>/dev/null || true)" != "$(sha256sum "$KC_REALM_FILE" | cut -d' ' -f1)" ]]; then
      log "NOTE: $KC_REALM_FILE changed since Keycloak imported it; '$0 stop && $0 start' re-imports it"
    fi
    status_lines
    return 0
  fi
  local t0=$SECONDS
  install_artifacts
  # PostgreSQL first (a few seconds), then Kafka and Keycloak are launched together and
  # waited for afterwards: their JVM start-ups overlap with each other and with the
  # PostgreSQL bootstrap.
  pg_start
  kafka_launch
  kc_launch
  pg_bootstrap
  log "postgres: ready, database $PG_DB bootstrapped"
  kafka_wait_and_topics
  kc_wait
  log "start: all up in $((SECONDS - t0))s"
  status_lines
}

cmd_stop() {
  kc_stop
  kafka_stop
  pg_stop
}

# One component alone, for outage tests: `infra.sh stop kafka`, `infra.sh start kafka`.
cmd_component() {
  local action="$1" component="$2"
  mkdir -p "$STATE" "$RUN" "$LOGS"
  case "$action:$component" in
    stop:postgres) pg_stop ;;
    stop:kafka) kafka_stop ;;
    stop:keycloak) kc_stop ;;
    start:postgres) pg_start; pg_bootstrap ;;
    start:kafka) [[ -n "$(kafka_pid)" ]] || kafka_launch; kafka_wait_and_topics ;;
    start:keycloak) [[ -n "$(kc_pid)" ]] || kc_launch; kc_wait ;;
    *) die "unknown component '$component' (postgres, kafka, keycloak)" ;;
  esac
}

cmd_reset() {
  cmd_stop
  log "reset: deleting PostgreSQL data $PG_ROOT, Kafka data $KAFKA_DATA, Keycloak data"
  # Guard rails before rm -rf on configurable paths.
  [[ -n "$PG_ROOT" && "$PG_ROOT" != / ]] && rm -rf "$PG_ROOT"
  rm -rf "$KAFKA_DATA" "$STATE/kafka" "$KC_HOME/data/h2" "$KC_HOME/data/tmp" \
         "$KC_HOME/data/import" "$KC_HOME/data/.realm.sha256"
  rm -rf "$RUN"
  log "reset: done (downloaded jars and the Keycloak distribution are kept)"
}

cmd_env() {
  local kv
  for kv in \
    "NATRES_STATE_DIR=$STATE" \
    "NATRES_PG_HOST=127.0.0.1" \
    "NATRES_PG_PORT=$PG_PORT" \
    "NATRES_PG_DATABASE=$PG_DB" \
    "NATRES_PG_DATA=$PG_ROOT" \
    "NATRES_PG_SUPERUSER=postgres" \
    "NATRES_PG_SUPERUSER_PASSWORD=$PG_SUPERPASS" \
    "NATRES_PG_SUPERUSER_URL=postgresql://postgres:$PG_SUPERPASS@127.0.0.1:$PG_PORT/$PG_DB" \
    "NATRES_KAFKA_PORT=$KAFKA_PORT" \
    "NATRES_KAFKA_CONTROLLER_PORT=$KAFKA_CTRL_PORT" \
    "NATRES_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT" \
    "NATRES_KC_PORT=$KC_PORT" \
    "NATRES_KC_MGMT_PORT=$KC_MGMT_PORT" \
    "NATRES_KEYCLOAK_URL=$KC_URL" \
    "NATRES_KEYCLOAK_REALM=$KC_REALM" \
    "NATRES_KEYCLOAK_ISSUER_URL=$KC_URL" \
    "NATRES_KEYCLOAK_ADMIN_USER=$KC_ADMIN_USER" \
    "NATRES_KEYCLOAK_ADMIN_PASSWORD=$KC_ADMIN_PASSWORD"; do
    printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
  done
}

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

case "${1:-}" in
  install) cmd_install ;;
  start) if [[ -n "${2:-}" ]]; then cmd_component start "$2"; else cmd_start; fi ;;
  stop) if [[ -n "${2:-}" ]]; then cmd_component stop "$2"; else cmd_stop; fi ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  env) cmd_env ;;
  *) usage ;;
esac
