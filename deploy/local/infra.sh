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

# One file per component under infra/ (settings, install, start, stop, status); this file
# holds what they share and the commands. Helpers common to all local scripts: lib.sh.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_TAG=infra
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
RUN="$STATE/run"
TIMEOUT="${NATRES_START_TIMEOUT:-240}"
# Everything the platform needs, the web tier's packages (web.sh) included, so that
# `./natres up` needs no separate `web.sh install`.
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 gdal-bin zbar-tools fonts-noto-cjk
              fonts-droid-fallback fonts-dejavu-core nginx chromium chromium-l10n
              poppler-utils unzip docker-compose maven curl python3)

# SIGTERM the process group led by $1 (fallback: the pid), wait up to $2 s, then SIGKILL.
stop_pid() {
  local pid="$1" grace="$2" name="$3"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  if wait_exit "$pid" "$grace"; then log "$name stopped (pid $pid)"; return 0; fi
  log "$name did not stop in ${grace}s, SIGKILL (pid $pid)"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

# shellcheck source-path=SCRIPTDIR source=infra/postgres.sh
source "$HERE/infra/postgres.sh"
# shellcheck source-path=SCRIPTDIR source=infra/kafka.sh
source "$HERE/infra/kafka.sh"
# shellcheck source-path=SCRIPTDIR source=infra/keycloak.sh
source "$HERE/infra/keycloak.sh"

ensure_dirs() { mkdir -p "$STATE" "$RUN" "$LOGS"; }

# ---------------------------------------------------------------------------- install

install_uv() {
  command -v uv >/dev/null && return 0
  log "installing uv with pip"
  python3 -m pip install -q uv 2>/dev/null || python3 -m pip install -q --break-system-packages uv
}

install_artifacts() {
  ensure_dirs
  install_kafka
  install_keycloak
}

cmd_install() {
  apt_ensure "${APT_PACKAGES[@]}"
  install_uv
  install_artifacts
  log "install: done"
}

# ---------------------------------------------------------------------------- commands

status_lines() {
  local ok=0
  pg_status || ok=3
  kafka_status || ok=3
  kc_status || ok=3
  return $ok
}

cmd_status() { status_lines; }

cmd_start() {
  ensure_dirs
  # Fast path: everything already up and ready -> nothing to do.
  if status_lines >/dev/null 2>&1; then
    log "start: all components already up"
    if [[ "$(kc_imported_sum)" != "$(file_sum "$KC_REALM_FILE")" ]]; then
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
  ensure_dirs
  case "$action:$component" in
    stop:postgres) pg_stop ;;
    stop:kafka) kafka_stop ;;
    stop:keycloak) kc_stop ;;
    start:postgres) pg_start; pg_bootstrap ;;
    start:kafka) kafka_pid >/dev/null || kafka_launch; kafka_wait_and_topics ;;
    start:keycloak) kc_pid >/dev/null || kc_launch; kc_wait ;;
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

case "${1:-}" in
  install) cmd_install ;;
  start) if [[ -n "${2:-}" ]]; then cmd_component start "$2"; else cmd_start; fi ;;
  stop) if [[ -n "${2:-}" ]]; then cmd_component stop "$2"; else cmd_stop; fi ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  env) cmd_env ;;
  *) usage_from_header 2 13 ;;
esac
