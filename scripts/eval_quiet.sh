#!/usr/bin/env bash
# How quiet is detection on normal traffic? Runs `augur run` fed by `augur simulate` (no faults)
# over DAYS simulated days as fast as the machine allows, then counts anomaly events per 1,000
# modelled series per simulated day, over the whole run and after the first SETTLE_DAYS (the
# daily profile needs two days of data before it is used).
#   DAYS=4 SERVICES=50 RATE=20 scripts/eval_quiet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AUGUR_BIN:-build/augur}
DAYS=${DAYS:-4}
SETTLE_DAYS=${SETTLE_DAYS:-2}
SERVICES=${SERVICES:-50}
RATE=${RATE:-20}
SPEEDUP=${SPEEDUP:-20000}
WORK=$(mktemp -d /tmp/augur-quiet-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

. scripts/local_augur.sh
start_augur "$WORK"
START=$(($(date +%s) - DAYS * 86400))
START_RFC=$(date -u -d "@$START" +%Y-%m-%dT%H:%M:%SZ)
echo "quiet: $SERVICES services, $RATE requests/s, $DAYS simulated days from $START_RFC"
"$BIN" simulate --endpoint "127.0.0.1:$GRPC_PORT" --services "$SERVICES" --rate "$RATE" \
  --start-time "$START_RFC" --duration "${DAYS}d" --speedup "$SPEEDUP" --seed 1 \
  >"$WORK/simulate.log" 2>&1
wait_drained
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; fi
python3 - "$API_PORT" "$START" "$DAYS" "$SETTLE_DAYS" "${KEEP:-}" <<'PY'
import collections, datetime, json, sys, urllib.request
api, start, days, settle, keep = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
get = lambda path: json.load(urllib.request.urlopen(f"http://127.0.0.1:{api}{path}"))["data"]
limit = 10000  # the API's maximum
series = get(f"/api/v1/series?limit={limit}")["series"]
events = get("/api/v1/anomalies")["anomalies"]
if keep:
    json.dump({"series": series, "events": events}, open(f"{keep}/quiet.json", "w"))
n = len(series)
if n >= limit:
    print(f"warning: {n} series listed, the API's limit; the rates below are overestimates")
settled = datetime.datetime.fromtimestamp(start + settle * 86400, datetime.timezone.utc)
settled = settled.strftime("%Y-%m-%dT%H:%M:%S")
late = [e for e in events if e["start"] >= settled]
per = lambda k, d: k / (n / 1000) / d if n and d > 0 else float("nan")
def kind(e):
    name = e["source"] if e["source"] not in ("span_metrics", "service", "service_graph", "logs") else ""
    return f'{e["source"]}:{e["signal"]}' if not name else f'metric {name}:{e["signal"]}'
print(f"modelled series: {n}")
print(f"events: {len(events)} in {days:g} days = {per(len(events), days):.2f} per 1,000 series per day")
print(f"after day {settle:g}: {len(late)} in {days - settle:g} days = {per(len(late), days - settle):.2f} per 1,000 series per day (target <= 1)")
for k, c in collections.Counter(kind(e) for e in late).most_common(12):
    print(f"  {c:6d}  {k}")
for e in sorted(late, key=lambda e: e["start"])[:12]:
    print("  ", e["start"], e["explanation"][:220])
PY
