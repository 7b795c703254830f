#!/usr/bin/env bash
# Does `make demo` show bands and scores for the simulated fleet, and do they survive a restart?
# Runs scripts/demo.sh (its backfill included) on free ports with a fresh data directory, checks
# /metrics and /api/v1/series, stops it (Augur checkpoints its models), starts it again (the models
# are restored, nothing is backfilled) and checks that the series are scored at once, without a
# new learning period.
#   scripts/check_demo.sh          SERVICES (500), RATE (100), BACKFILL (1h5m) as for the demo
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/augur-demo-check-XXXXXX)
export AUGUR_DATA="$WORK/data" AUGUR_DEMO_LOGS="$WORK/logs"
export AUGUR_GRPC=${AUGUR_GRPC:-24317} AUGUR_HTTP=${AUGUR_HTTP:-24318} AUGUR_API=${AUGUR_API:-28080}
DEMO_PID=""
stop_demo() {
  if [ -n "$DEMO_PID" ]; then
    kill -TERM "$DEMO_PID" 2>/dev/null || true  # (a background job ignores SIGINT)
    wait "$DEMO_PID" 2>/dev/null || true
    DEMO_PID=""
  fi
}
trap 'stop_demo; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

# Bands and scores: the series of a few core services through the API (all of them, learning or
# not), the scored series in /metrics, and the models resumed from a checkpoint.
look() {
  python3 - "$AUGUR_API" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
api, when = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{api}"
get = lambda path: json.load(urllib.request.urlopen(base + path))["data"]
series = []
for service in ["frontend", "checkout", "cart", "product-catalog", "payment"]:
    match = urllib.parse.quote(f'{{service_name="{service}"}}')
    series += get(f"/api/v1/series?match={match}&limit=10000")["series"]
learned = [s for s in series if not s["learning"]]
banded = [s for s in learned if s["points"] and s["points"][-1].get("upper") is not None]
text = urllib.request.urlopen(f"{base}/metrics").read().decode()
lines = text.splitlines()
count = lambda name: sum(1 for l in lines if l.startswith(name + "{"))
restored = sum(m["value"] for m in get("/api/v1/status")["self_metrics"]
               if m["name"] == "augur_detect_models_restored_total")
print(f"  {when}: 5 core services: {len(series)} series with points, {len(learned)} past learning, "
      f"{len(banded)} with a band; /metrics: {count('augur_anomaly_score')} augur_anomaly_score, "
      f"{count('augur_expected_lower')} augur_expected_lower, {count('augur_expected_upper')} "
      f"augur_expected_upper; {restored:.0f} models resumed from the checkpoint")
by_source = {}
for s in series:
    k = by_source.setdefault(s["source"], [0, 0])
    k[0] += 1
    k[1] += 0 if s["learning"] else 1
print("    past learning / with points, by source: " +
      ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in sorted(by_source.items())))
example = next((s for s in banded if s["source"] == "service" and s["signal"] == "p95_latency_ms"), None)
if example:
    p = example["points"][-1]
    print(f"    e.g. {example['service']} p95 latency {p['value']:.1f} ms, band "
          f"{p['lower']:.1f} to {p['upper']:.1f}, score {p['score']:.3f} at {p['time']}")
ok = len(banded) > 0 and count("augur_anomaly_score") > 0 and count("augur_expected_lower") > 0
sys.exit(0 if ok else 1)
PY
}

wait_for() {  # wait_for PATTERN FILE SECONDS
  for _ in $(seq 1 "$3"); do
    grep -q "$1" "$2" 2>/dev/null && return 0
    kill -0 "$DEMO_PID" 2>/dev/null || { echo "the demo stopped:"; cat "$2"; return 1; }
    sleep 1
  done
  echo "timed out waiting for '$1'"
  return 1
}

echo "first run (backfill ${BACKFILL:-1h5m}):"
scripts/demo.sh >"$WORK/demo1.out" 2>&1 &
DEMO_PID=$!
wait_for "backfill sent" "$WORK/demo1.out" 3600
sleep 15  # a little live traffic
look "after the backfill"
stop_demo
ls "$AUGUR_DATA/models/" | sed 's/^/  checkpoint: /'

echo "second run (models restored):"
scripts/demo.sh >"$WORK/demo2.out" 2>&1 &
DEMO_PID=$!
wait_for "Models restored" "$WORK/demo2.out" 60
sleep 60  # past the allowed lateness, a few live windows
look "60 s after the restart"
grep -h "resumed" "$AUGUR_DEMO_LOGS/augur.log" | head -3 | sed 's/^/  /' || true
echo "ok: bands and scores after the backfill and after the restart"
