#!/usr/bin/env bash
# `make demo`: Augur with the simulated 500-service shop sending it OTLP. Ctrl-C stops both.
# Ports: AUGUR_GRPC (4317), AUGUR_HTTP (4318), AUGUR_API (8080). SERVICES (500), RATE (100).
# BACKFILL (1h5m): the shop's last hour is sent first, as fast as the machine goes, so the models
# have learned (bands and scores) by the time you look; then it runs live. When AUGUR_DATA
# (./augur-data) holds models from an earlier run, they are restored and nothing is backfilled.
# SCENARIO (none): a file of deploy/scenarios/; its faults happen live, 5 to 15 minutes after the
# backfill (which is then 1h45m): watch the incident open at /api/v1/incidents.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AUGUR_BIN:-build/augur}
GRPC=${AUGUR_GRPC:-4317}
HTTP=${AUGUR_HTTP:-4318}
API=${AUGUR_API:-8080}
SERVICES=${SERVICES:-500}
RATE=${RATE:-100}
LOGS=${AUGUR_DEMO_LOGS:-/tmp/augur-demo}
SCENARIO=${SCENARIO:-}
DATA=${AUGUR_DATA:-./augur-data}
if [ -n "$SCENARIO" ]; then
  BACKFILL=${BACKFILL:-1h45m}
elif compgen -G "$DATA/models/shard-*.ckpt" >/dev/null; then
  BACKFILL=${BACKFILL:-0}  # the models of the last run are restored: they have learned
else
  BACKFILL=${BACKFILL:-1h5m}
fi
mkdir -p "$LOGS"
if [ -n "$SCENARIO" ] && [ ! -f "$SCENARIO" ]; then
  echo "SCENARIO=$SCENARIO: no such file (see deploy/scenarios/)" >&2
  exit 1
fi

for port in "$GRPC" "$HTTP" "$API"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use; set AUGUR_GRPC / AUGUR_HTTP / AUGUR_API to free ports" >&2
    exit 1
  fi
done

"$BIN" run --otlp-grpc-endpoint "0.0.0.0:$GRPC" --otlp-http-endpoint "0.0.0.0:$HTTP" \
  --api-endpoint "0.0.0.0:$API" --set "storage.path=$DATA" >"$LOGS/augur.out" 2>"$LOGS/augur.log" &
AUGUR_PID=$!
SIM_PID=""
cleanup() {
  trap - INT TERM EXIT
  [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null || true
  kill -TERM "$AUGUR_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped."
}
trap cleanup INT TERM EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$API/readyz" >/dev/null 2>&1 && break
  kill -0 "$AUGUR_PID" 2>/dev/null || { echo "augur did not start:"; cat "$LOGS/augur.log"; exit 1; }
  sleep 0.1
done

extra=()
if [ -n "$SCENARIO" ]; then extra=(--faults "$SCENARIO" --ground-truth "$LOGS/ground-truth.json"); fi
if [ "$BACKFILL" != 0 ]; then extra+=(--backfill "$BACKFILL"); fi
"$BIN" simulate --endpoint "127.0.0.1:$GRPC" --services "$SERVICES" --rate "$RATE" \
  "${extra[@]}" >"$LOGS/simulate.log" 2>&1 &
SIM_PID=$!

cat <<MSG

  Augur is running, fed by a simulated shop of $SERVICES services ($RATE requests/s).

    Services (RED, 1m/5m):  http://localhost:$API/api/v1/services
    One service:            http://localhost:$API/api/v1/services/checkout/operations
    Service graph:          http://localhost:$API/api/v1/graph
    Prometheus metrics:     http://localhost:$API/metrics
    Bands and scores:       http://localhost:$API/api/v1/series?match={service_name=\"checkout\"}
    Anomalies, incidents:   http://localhost:$API/api/v1/anomalies, /api/v1/incidents
    OTLP in:                grpc localhost:$GRPC, http localhost:$HTTP/v1/{traces,metrics,logs}
    Logs:                   $LOGS/augur.log, $LOGS/simulate.log

  Ctrl-C stops Augur and the simulator.
MSG
if [ "$BACKFILL" != 0 ]; then
  echo "  The last $BACKFILL of the shop is sent first (a few minutes); then it runs live."
else
  echo "  Models restored from $DATA; the shop runs live."
fi
if [ -n "$SCENARIO" ]; then
  for _ in $(seq 1 100); do [ -s "$LOGS/ground-truth.json" ] && break; sleep 0.1; done
  echo "  Faults of $SCENARIO (ground truth in $LOGS/ground-truth.json):"
  grep '^fault:' "$LOGS/simulate.log" | sed 's/^/    /' || true
fi

count_services() {
  curl -fsS "http://127.0.0.1:$API/api/v1/services" 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["services"]))' 2>/dev/null || echo 0
}
start=$(date +%s)
while kill -0 "$AUGUR_PID" 2>/dev/null; do
  n=$(count_services)
  echo "  $(($(date +%s) - start))s: $n services seen"
  [ "$n" -ge "$SERVICES" ] && break
  sleep 5
done
graph=$(curl -fsS "http://127.0.0.1:$API/api/v1/graph" | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
parent = {n["id"]: n["id"] for n in d["nodes"]}
def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x
for e in d["edges"]:
    parent[find(e["client"])] = find(e["server"])
parts = len({find(n) for n in parent})
print(len(d["nodes"]), "nodes,", len(d["edges"]), "edges,", parts, "connected component(s)")')
echo "  graph: $graph"
if [ "$BACKFILL" != 0 ]; then
  start=$(date +%s)
  while kill -0 "$SIM_PID" 2>/dev/null && ! grep -q "backfill sent" "$LOGS/simulate.log"; do
    sleep 5
    echo "  $(($(date +%s) - start))s: $(grep -o 'simulated [0-9]*s' "$LOGS/simulate.log" | tail -1) of $BACKFILL sent"
  done
  echo "  backfill sent, running live: bands and scores at /metrics (augur_expected_lower, ...)"
fi
wait "$AUGUR_PID"
