#!/usr/bin/env bash
# natres web tier: build the front end (web/) and serve it with the three APIs on ONE origin
# through Debian's nginx, started natively and tracked by pid.
#
#   deploy/local/web.sh install   apt-get the Debian packages the web tier needs (nginx; for the
#                                 browser tests chromium, its Chinese UI strings chromium-l10n,
#                                 fonts-noto-cjk, and poppler-utils + zbar-tools to read the
#                                 certificate PDF's QR code) when missing
#   deploy/local/web.sh build     npm ci (when package-lock.json changed) and npm run build (when a
#                                 source changed); a no-op when web/dist is current
#   deploy/local/web.sh start     build if needed, render the nginx config, start nginx, wait until
#                                 it serves the app (no-op if already up; restarts if the config changed)
#   deploy/local/web.sh stop      stop nginx (graceful SIGQUIT to the recorded master pid)
#   deploy/local/web.sh restart   stop, then start
#   deploy/local/web.sh status    one line; exit 0 when up, else 3
#   deploy/local/web.sh env       print `export ...` lines (NATRES_WEB_PORT, NATRES_PUBLIC_BASE_URL)
#
# Settings (environment variables, defaults in brackets):
#   NATRES_STATE_DIR        [<repo>/.state]  generated config in web/, pid, logs in logs/
#   NATRES_WEB_PORT         [port of NATRES_PUBLIC_BASE_URL, else 8080]  nginx listen port
#   NATRES_WEB_HOST         [127.0.0.1]      nginx listen address
#   NATRES_PUBLIC_BASE_URL  [http://127.0.0.1:<port>]  what users (and certificate QR codes) open
#   REGISTRY_HTTP_PORT [8001], TRANSACTIONS_HTTP_PORT [8002], AUDIT_HTTP_PORT [8003]  the upstreams
#   NATRES_KEYCLOAK_ISSUER_URL / NATRES_KEYCLOAK_URL [http://127.0.0.1:${NATRES_KC_PORT:-18080}]
#                           Keycloak as the browser reaches it (the token issuer's base URL)
#                           (NATRES_KEYCLOAK_URL is also where nginx forwards /oidc/token)
#   NATRES_KEYCLOAK_REALM   [natres]         NATRES_WEB_CLIENT_ID [natres-web]
#   NATRES_WEB_USER         [the calling user]  user of nginx's worker process (when started as root)
#   NATRES_WEB_SKIP_BUILD   [0]              1: serve web/dist as it is (no npm)
#
# nginx runs in the foreground of its own session (setsid); the master pid is recorded in
# $NATRES_STATE_DIR/web/nginx.pid and only that pid is ever signalled.

set -euo pipefail

LOG_TAG=web
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
WEB_STATE="$STATE/web"
WEB_SRC="$REPO/web"
DIST="$WEB_SRC/dist"
CONF_DIR="$REPO/deploy/nginx"
TEMPLATE="$CONF_DIR/natres-web.conf.template"
CONF="$WEB_STATE/nginx.conf"
PID_FILE="$WEB_STATE/nginx.pid"
NGINX="${NATRES_NGINX:-/usr/sbin/nginx}"
# A subset of infra.sh's list: enough for the web tier (and its browser tests) on its own.
APT_PACKAGES=(nginx chromium chromium-l10n fonts-noto-cjk poppler-utils zbar-tools)

url_port() {  # the port of an http(s) URL, or nothing
  local rest="${1#*://}"
  rest="${rest%%/*}"
  [[ "$rest" == *:* ]] && echo "${rest##*:}"
  return 0
}

PORT="${NATRES_WEB_PORT:-$(url_port "${NATRES_PUBLIC_BASE_URL:-}")}"
PORT="${PORT:-8080}"
HOST="${NATRES_WEB_HOST:-127.0.0.1}"
PUBLIC_BASE_URL="${NATRES_PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
REGISTRY_PORT="${REGISTRY_HTTP_PORT:-8001}"
TRANSACTIONS_PORT="${TRANSACTIONS_HTTP_PORT:-8002}"
AUDIT_PORT="${AUDIT_HTTP_PORT:-8003}"
KC_URL="${NATRES_KEYCLOAK_ISSUER_URL:-${NATRES_KEYCLOAK_URL:-http://127.0.0.1:${NATRES_KC_PORT:-18080}}}"
KC_URL="${KC_URL%/}"
# Where nginx reaches Keycloak (for /oidc/token); the browser uses KC_URL.
KC_INTERNAL_URL="${NATRES_KEYCLOAK_URL:-$KC_URL}"
KC_INTERNAL_URL="${KC_INTERNAL_URL%/}"
KC_REALM="${NATRES_KEYCLOAK_REALM:-natres}"
CLIENT_ID="${NATRES_WEB_CLIENT_ID:-natres-web}"
WEB_USER="${NATRES_WEB_USER:-$(id -un)}"

# The recorded pid while it is our nginx master (its command line names our config file).
nginx_pid() { live_pid "$PID_FILE" "$CONF"; }

# Up = the master is ours and the app's index page comes back from it.
serving() { http_ok "http://127.0.0.1:$PORT/index.html"; }

need_npm() { command -v npm >/dev/null || die "npm not found: Node.js 20.19+ with npm is needed to build web/"; }

# ---------------------------------------------------------------------------- install

cmd_install() {
  apt_ensure "${APT_PACKAGES[@]}"
  need_npm
}

# ---------------------------------------------------------------------------- build

# What the build depends on: web/ sources (not node_modules/dist) and the region list it imports.
source_sum() {
  (cd "$REPO" && find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -print \
     | LC_ALL=C sort | xargs sha256sum; sha256sum services/registry/src/registry/data/gb2260_shanxi.json) \
    | sha256sum | cut -d' ' -f1
}

cmd_build() {
  if [[ "${NATRES_WEB_SKIP_BUILD:-0}" == 1 ]]; then
    [[ -s "$DIST/index.html" ]] || die "NATRES_WEB_SKIP_BUILD=1 but $DIST/index.html is missing"
    return 0
  fi
  need_npm
  mkdir -p "$LOGS"
  local lock_sum src_sum
  lock_sum="$(file_sum "$WEB_SRC/package-lock.json")"
  if [[ "$(stamp_of "$WEB_SRC/node_modules/.natres-lock.sha256")" != "$lock_sum" ]]; then
    log "npm ci (web/package-lock.json)"
    (cd "$WEB_SRC" && npm ci --no-audit --no-fund) >"$LOGS/web-npm-ci.log" 2>&1 \
      || die_tail 30 "$LOGS/web-npm-ci.log" "npm ci failed (log: $LOGS/web-npm-ci.log)"
    echo "$lock_sum" >"$WEB_SRC/node_modules/.natres-lock.sha256"
  fi
  src_sum="$(source_sum)"
  if [[ -s "$DIST/index.html" && "$(stamp_of "$DIST/.natres-source.sha256")" == "$src_sum" ]]; then
    return 0
  fi
  log "npm run build (web/ -> web/dist)"
  local t0=$SECONDS
  (cd "$WEB_SRC" && npm run build) >"$LOGS/web-build.log" 2>&1 \
    || die_tail 40 "$LOGS/web-build.log" "front-end build failed (log: $LOGS/web-build.log)"
  echo "$src_sum" >"$DIST/.natres-source.sha256"
  log "built web/dist in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------- config

render_config() {
  [[ -f "$TEMPLATE" ]] || die "missing $TEMPLATE"
  mkdir -p "$WEB_STATE/tmp" "$LOGS"
  local kc_origin user_directive=""
  kc_origin="$(printf '%s' "$KC_URL" | sed -E 's#^(https?://[^/]+).*#\1#')"
  # The worker user matters only when the master runs as root (it must be able to read web/dist).
  if [[ "$(id -u)" == 0 ]]; then user_directive="user $WEB_USER;"; fi
  sed -e "s#@PORT@#$PORT#g" -e "s#@LISTEN_HOST@#$HOST#g" \
      -e "s#@REGISTRY_PORT@#$REGISTRY_PORT#g" -e "s#@TRANSACTIONS_PORT@#$TRANSACTIONS_PORT#g" \
      -e "s#@AUDIT_PORT@#$AUDIT_PORT#g" -e "s#@WEB_ROOT@#$DIST#g" -e "s#@STATE_WEB@#$WEB_STATE#g" \
      -e "s#@LOG_DIR@#$LOGS#g" -e "s#@CONF_DIR@#$CONF_DIR#g" -e "s#@KC_ORIGIN@#$kc_origin#g" \
      -e "s#@USER_DIRECTIVE@#$user_directive#g" -e "s#@KC_INTERNAL_URL@#$KC_INTERNAL_URL#g" \
      -e "s#@KC_REALM@#$KC_REALM#g" \
      "$TEMPLATE" >"$CONF.new"
  if grep -n '@[A-Z_]*@' "$CONF.new" >&2; then die "unrendered placeholders in $CONF.new"; fi
  # Runtime settings of the app: the build is the same whatever the ports.
  python3 - "$WEB_STATE/config.json.new" "$KC_URL" "$KC_REALM" "$CLIENT_ID" "$PUBLIC_BASE_URL" <<'EOF'
import json, sys
out, kc, realm, client, base = sys.argv[1:]
json.dump({"keycloak": {"url": kc, "realm": realm, "clientId": client},
           "publicBaseUrl": base,
           "api": {"registry": "/api/registry", "transactions": "/api/transactions", "audit": "/api/audit"}},
          open(out, "w"), ensure_ascii=False, indent=1)
EOF
  mv "$WEB_STATE/config.json.new" "$WEB_STATE/config.json"
  "$NGINX" -t -q -p "$WEB_STATE" -c "$CONF.new" -e "$LOGS/web-nginx-error.log" 2>"$LOGS/web-nginx-test.log" \
    || { cat "$LOGS/web-nginx-test.log" >&2; die "nginx rejected the rendered config $CONF.new"; }
}

# ---------------------------------------------------------------------------- start / stop

cmd_start() {
  [[ -x "$NGINX" ]] || die "nginx not installed: run '$0 install'"
  cmd_build
  render_config
  local pid
  if pid="$(nginx_pid)"; then
    if cmp -s "$CONF.new" "$CONF" && serving; then
      rm -f "$CONF.new"
      log "nginx already serving http://127.0.0.1:$PORT (pid $pid)"
      return 0
    fi
    log "nginx config changed: reloading (pid $pid)"
    mv "$CONF.new" "$CONF"
    kill -HUP "$pid"
  else
    rm -f "$PID_FILE"
    mv "$CONF.new" "$CONF"
    if port_open "$PORT"; then
      die "port $PORT is taken by another process: set NATRES_WEB_PORT (and NATRES_PUBLIC_BASE_URL)"
    fi
    log "nginx: starting on http://$HOST:$PORT (registry $REGISTRY_PORT, transactions $TRANSACTIONS_PORT, audit $AUDIT_PORT)"
    launch "$PID_FILE" "$NGINX" -p "$WEB_STATE" -c "$CONF" -e "$LOGS/web-nginx-error.log" -g 'daemon off;' \
      >>"$LOGS/web-nginx.out" 2>&1 </dev/null
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    if serving; then log "web ready: $PUBLIC_BASE_URL (pid $(nginx_pid))"; return 0; fi
    nginx_pid >/dev/null || { tail -n 20 "$LOGS/web-nginx-error.log" "$LOGS/web-nginx.out" >&2 2>/dev/null; die "nginx exited during start"; }
    sleep 0.1
  done
  die "nginx started but http://127.0.0.1:$PORT/index.html does not answer 200"
}

cmd_stop() {
  local pid
  if ! pid="$(nginx_pid)"; then log "nginx: not running"; rm -f "$PID_FILE"; return 0; fi
  kill -QUIT "$pid" 2>/dev/null || true   # graceful: finish requests in flight
  if ! wait_exit "$pid" 10; then
    log "nginx did not stop in 10 s (open event streams?), SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || true
  fi
  rm -f "$PID_FILE"
  log "nginx stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(nginx_pid)" && serving; then
    status_up web "$pid" "$PORT" "$PUBLIC_BASE_URL"
  else
    status_down web "$pid" "$PORT"
  fi
}

cmd_env() {
  printf 'export NATRES_WEB_PORT=%q\n' "$PORT"
  printf 'export NATRES_PUBLIC_BASE_URL=%q\n' "$PUBLIC_BASE_URL"
}

case "${1:-}" in
  install) cmd_install ;;
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage_from_header 2 27 ;;
esac
