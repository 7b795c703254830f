# Sourced by the evaluation scripts: an `augur run` of their own on free loopback ports.
#   start_augur DIR   starts $BIN with its data, stdout and log under DIR; sets AUGUR_PID,
#                     GRPC_PORT and API_PORT once it listens
#   wait_drained      returns once Augur's queues have stayed empty for a moment (it may lag
#                     behind what it has accepted on a busy machine) and the correlator has run

start_augur() {
  "$BIN" run --otlp-grpc-endpoint 127.0.0.1:0 --otlp-http-endpoint 127.0.0.1:0 \
    --api-endpoint 127.0.0.1:0 --set "storage.path=$1/data" --log-level warn \
    >"$1/augur.out" 2>"$1/augur.log" &
  AUGUR_PID=$!
  for _ in $(seq 1 100); do grep -q "augur listening" "$1/augur.out" 2>/dev/null && break; sleep 0.1; done
  GRPC_PORT=$(sed -nE 's/.*otlp_grpc=[^:]+:([0-9]+).*/\1/p' "$1/augur.out")
  API_PORT=$(sed -nE 's/.*api=[^:]+:([0-9]+).*/\1/p' "$1/augur.out")
}

wait_drained() {
  python3 - "$API_PORT" <<'PY'
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/status"
empty = 0
for _ in range(600):
    metrics = json.load(urllib.request.urlopen(url))["data"]["self_metrics"]
    queued = sum(m["value"] for m in metrics if m["name"] == "augur_bus_queue_units")
    empty = empty + 1 if queued == 0 else 0
    if empty >= 3:
        break
    time.sleep(0.5)
time.sleep(2)  # the correlator's next pass
PY
}
