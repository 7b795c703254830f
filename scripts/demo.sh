#!/usr/bin/env bash
# `make demo`: Augur with the simulated 500-service shop sending it OTLP. Ctrl-C stops both.
# Ports: AUGUR_GRPC (4317), AUGUR_HTTP (4318), AUGUR_API (8080). SERVICES (500), RATE (100).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AUGUR_BIN:-build/augur}
GRPC=${AUGUR_GRPC:-4317}
HTTP=${AUGUR_HTTP:-4318}
API=${AUGUR_API:-8080}
SERVICES=${SERVICES:-500}
RATE=${RATE:-100}
LOGS=${AUGUR_DEMO_LOGS:-/tmp/augur-demo}
mkdir -p "$LOGS"

for port in "$GRPC" "$HTTP" "$API"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use; set AUGUR_GRPC / AUGUR_HTTP / AUGUR_API to free ports" >&2
    exit 1
  fi
done

"$BIN" run --otlp-grpc-endpoint "0.0.0.0:$GRPC" --otlp-http-endpoint "0.0.0.0:$HTTP" \
  --api-endpoint "0.0.0.0:$API" >"$LOGS/augur.out" 2>"$LOGS/augur.log" &
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

"$BIN" simulate --endpoint "127.0.0.1:$GRPC" --services "$SERVICES" --rate "$RATE" \
  >"$LOGS/simulate.log" 2>&1 &
SIM_PID=$!

cat <<MSG

  Augur is running, fed by a simulated shop of $SERVICES services ($RATE requests/s).

    Services (RED, 1m/5m):  http://localhost:$API/api/v1/services
    One service:            http://localhost:$API/api/v1/services/checkout/operations
    Service graph:          http://localhost:$API/api/v1/graph
    Prometheus metrics:     http://localhost:$API/metrics
    OTLP in:                grpc localhost:$GRPC, http localhost:$HTTP/v1/{traces,metrics,logs}
    Logs:                   $LOGS/augur.log, $LOGS/simulate.log

  Ctrl-C stops Augur and the simulator.
MSG

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
wait "$AUGUR_PID"
