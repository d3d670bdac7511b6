# shellcheck shell=bash
# Keycloak 26 (Quarkus distribution from Maven Central) on a Temurin JDK; sourced by infra.sh.

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

install_keycloak() {
  if [[ ! -x "$KC_HOME/bin/kc.sh" ]]; then
    local zip="$HOME/.m2/repository/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/keycloak-quarkus-dist-$KC_VERSION.zip"
    if [[ ! -s "$zip" ]]; then
      log "downloading Keycloak $KC_VERSION from Maven Central"
      mkdir -p "$STATE/dl"
      mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -DoutputDirectory="$STATE/dl" \
        >"$LOGS/mvn-keycloak.log" 2>&1 || die_tail 30 "$LOGS/mvn-keycloak.log" "mvn copy keycloak failed"
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
  local want
  want="${KC_BUILD_OPTS[*]}"
  if [[ "$(stamp_of "$KC_HOME/.natres-build")" != "$want" ]]; then
    log "kc.sh build $want (once; makes later starts fast)"
    mkdir -p "$LOGS"
    JAVA_HOME="$(kc_java_home)" "$KC_HOME/bin/kc.sh" build "${KC_BUILD_OPTS[@]}" >"$LOGS/keycloak-build.log" 2>&1 \
      || die_tail 30 "$LOGS/keycloak-build.log" "kc.sh build failed"
    echo "$want" >"$KC_HOME/.natres-build"
  fi
}

kc_pid() { live_pid "$KC_PID" "$KC_HOME"; }

kc_ready() {
  http_ok "http://127.0.0.1:$KC_MGMT_PORT/health/ready" &&
    http_ok "$KC_URL/realms/$KC_REALM/.well-known/openid-configuration"
}

# Checksum of the realm file Keycloak last imported (empty if never).
kc_imported_sum() { stamp_of "$KC_HOME/data/.realm.sha256"; }

kc_launch() {
  if kc_pid >/dev/null; then return 0; fi
  rm -f "$KC_PID"
  [[ -x "$KC_HOME/bin/kc.sh" && -f "$KC_HOME/.natres-build" ]] || die "Keycloak not installed: run '$0 install'"
  mkdir -p "$KC_HOME/data/import" "$LOGS"
  # Import skips a realm that already exists; when the realm file changed since the last
  # import, drop the H2 database so the new realm definition is what runs.
  local sum
  sum="$(file_sum "$KC_REALM_FILE")"
  if [[ -d "$KC_HOME/data/h2" && "${NATRES_KC_REIMPORT_ON_CHANGE:-1}" == 1 && "$(kc_imported_sum)" != "$sum" ]]; then
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
    launch "$KC_PID" nohup "$KC_HOME/bin/kc.sh" start --optimized \
      --http-enabled=true --http-host=127.0.0.1 --http-port="$KC_PORT" \
      --http-management-port="$KC_MGMT_PORT" \
      --hostname="$KC_URL" --hostname-strict=true \
      --import-realm --log-level=info \
      >"$LOGS/keycloak.out" 2>&1 </dev/null
}

kc_wait() {
  local deadline=$((SECONDS + TIMEOUT))
  until kc_ready; do
    kc_pid >/dev/null || die_tail 40 "$LOGS/keycloak.out" "keycloak exited during start"
    ((SECONDS < deadline)) || die_tail 40 "$LOGS/keycloak.out" "keycloak not ready after ${TIMEOUT}s"
    sleep 1
  done
  log "keycloak: ready (realm $KC_REALM)"
}

kc_stop() {
  local pid
  if ! pid="$(kc_pid)"; then log "keycloak: not running"; rm -f "$KC_PID"; return 0; fi
  stop_pid "$pid" 30 keycloak
  rm -f "$KC_PID"
}

kc_status() {
  local pid
  if pid="$(kc_pid)" && kc_ready; then
    status_up keycloak "$pid" "$KC_PORT" "management $KC_MGMT_PORT  issuer $KC_URL/realms/$KC_REALM"
  else
    status_down keycloak "$pid" "$KC_PORT"
  fi
}
