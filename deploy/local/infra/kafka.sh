# shellcheck shell=bash
# Kafka 4.x in KRaft mode from Maven Central jars, one broker+controller; sourced by infra.sh.

KAFKA_PORT="${NATRES_KAFKA_PORT:-19092}"
KAFKA_CTRL_PORT="${NATRES_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_JAVA="${NATRES_KAFKA_JAVA:-java}"
KAFKA_LIBS="$STATE/kafka-libs"
KAFKA_DATA="$STATE/kafka-data"
KAFKA_CONF="$STATE/kafka/server.properties"
KAFKA_PID="$RUN/kafka.pid"

# Run the workspace python (kafka-python lives in the uv venv) from the repo root.
# --frozen: never rewrite uv.lock from here.
py() {
  local cmd="${NATRES_PYTHON:-uv run --frozen python}"
  (cd "$REPO" && $cmd "$@")
}

# Kafka jars: re-fetched when deploy/kafka/pom.xml changes (stamp = its checksum).
install_kafka() {
  local pom="$REPO/deploy/kafka/pom.xml" sum
  sum="$(file_sum "$pom")"
  if [[ "$(stamp_of "$KAFKA_LIBS/.pom.sha256")" == "$sum" ]]; then
    return 0
  fi
  log "fetching Kafka jars (mvn copy-dependencies) into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  # Full plugin coordinates: a bare `dependency:` resolves to an ancient 2.8 plugin here.
  mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" >"$LOGS/mvn-kafka.log" 2>&1 \
    || die_tail 30 "$LOGS/mvn-kafka.log" "mvn copy-dependencies failed"
  ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars missing after mvn"
  echo "$sum" >"$KAFKA_LIBS/.pom.sha256"
}

kafka_pid() { live_pid "$KAFKA_PID" kafka.Kafka; }

kafka_launch() {
  if kafka_pid >/dev/null; then return 0; fi
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
  # launch: own session, so stop can signal exactly this tree. nice: only the services'
  # background workers talk to the broker; on a shared host the API processes come first.
  launch "$KAFKA_PID" nohup nice -n "${NATRES_KAFKA_NICE:-10}" "$KAFKA_JAVA" -Xms512m -Xmx512m -XX:+UseG1GC \
    -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "${logopts[@]}" \
    -cp "$cp" kafka.Kafka "$KAFKA_CONF" >"$LOGS/kafka.out" 2>&1 </dev/null
}

# Ready = the broker answers admin requests; then the topics are ensured.
kafka_wait_and_topics() {
  local deadline=$((SECONDS + TIMEOUT))
  while ! port_open "$KAFKA_PORT"; do
    kafka_pid >/dev/null || die_tail 30 "$LOGS/kafka.out" "kafka exited during start (see $LOGS/kafka/server.log)"
    ((SECONDS < deadline)) || die "kafka port $KAFKA_PORT not open after ${TIMEOUT}s"
    sleep 0.5
  done
  py "$REPO/deploy/local/kafka_admin.py" ensure --bootstrap "127.0.0.1:$KAFKA_PORT" \
    --timeout $((deadline - SECONDS > 10 ? deadline - SECONDS : 10)) >"$LOGS/kafka-topics.log" \
    || die_tail 30 "$LOGS/kafka.out" "kafka not ready / topics not created"
  log "kafka: ready, topics: $(cut -d' ' -f2,3 "$LOGS/kafka-topics.log" | tr '\n' ' ')"
}

kafka_stop() {
  local pid
  if ! pid="$(kafka_pid)"; then log "kafka: not running"; rm -f "$KAFKA_PID"; return 0; fi
  # SIGTERM = controlled shutdown; a single node needs a few seconds.
  stop_pid "$pid" 60 kafka
  rm -f "$KAFKA_PID"
}

kafka_status() {
  local pid
  if pid="$(kafka_pid)" && port_open "$KAFKA_PORT"; then
    status_up kafka "$pid" "$KAFKA_PORT" "controller $KAFKA_CTRL_PORT"
  else
    status_down kafka "$pid" "$KAFKA_PORT"
  fi
}
