#!/usr/bin/env bash
# Does each scenario of the library give one incident led by the injected service? For every file
# given (default: all of deploy/scenarios/), starts `augur run` and feeds it `augur simulate
# --faults FILE --backfill D --duration D` (the scenario's run, up to now, as fast as the machine
# goes: what `make demo SCENARIO=FILE` shows live), then reads GET /api/v1/incidents and checks, per
# fault, that exactly one incident overlaps it and that its first candidate is the root cause, and
# that there is no other incident.
#   scripts/check_scenarios.sh [deploy/scenarios/X.yaml ...]     SERVICES (50), RATE (10)
# The scenario's run ends now, so its faults fall at this hour of the day (the shop's traffic follows
# the clock); START (RFC 3339, e.g. 2026-11-23T02:00:00Z) starts it there instead, to repeat a run.
# Prints one line per fault (and per other incident) and exits 1 if any fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AUGUR_BIN:-build/augur}
SERVICES=${SERVICES:-50}
RATE=${RATE:-10}
if [ $# -eq 0 ]; then set -- deploy/scenarios/*.yaml; fi
. scripts/local_augur.sh
WORK=$(mktemp -d /tmp/augur-scenarios-XXXXXX)
# KEEP=1 keeps the work directory: per scenario its ground truth, simulator log and incidents.
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
[ -z "${KEEP:-}" ] || echo "work directory: $WORK" >&2

failed=0
for scenario in "$@"; do
  name=$(basename "$scenario" .yaml)
  # The run lasts until 20 minutes after the last fault ends (its incident closes).
  duration=$(python3 - "$scenario" <<'PY'
import re, sys
def seconds(text):
    total = 0
    for n, unit in re.findall(r"(\d+)(h|m|s)", text):
        total += int(n) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total
text = open(sys.argv[1]).read()
starts = re.findall(r"start:\s*([0-9hms]+)", text)
durations = re.findall(r"duration:\s*([0-9hms]+)", text)
end = max(seconds(s) + seconds(d) for s, d in zip(starts, durations))
print(f"{end + 1200}s")
PY
  )
  if [ -n "${START:-}" ]; then
    when=(--start-time "$START" --speedup 1e9)
  else
    when=(--backfill "$duration")
  fi
  rm -rf "$WORK/data" && mkdir -p "$WORK/data"
  start_augur "$WORK"
  "$BIN" simulate --endpoint "127.0.0.1:$GRPC_PORT" --services "$SERVICES" --rate "$RATE" \
    --faults "$scenario" --ground-truth "$WORK/truth.json" "${when[@]}" \
    --duration "$duration" >"$WORK/simulate.log" 2>&1
  wait_drained  # Augur has taken everything in
  if ! python3 - "$API_PORT" "$WORK/truth.json" "$name" "$WORK/$name" <<'PY'; then failed=1; fi
import datetime, json, sys, urllib.request
api, truth_path, name, keep = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
url = f"http://127.0.0.1:{api}/api/v1/incidents"
incidents = json.load(urllib.request.urlopen(url + "?limit=10000"))["data"]["incidents"]
with open(keep + ".incidents.json", "w") as out:
    json.dump([json.load(urllib.request.urlopen(f"{url}/{i['id']}"))["data"] for i in incidents], out)
faults = json.load(open(truth_path))["faults"]
ok = True
def ns(text):
    t = datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 10**9
used = set()
for f in faults:
    # An incident belongs to the fault when it opens between the start of the fault's first
    # 10-second window and its end plus five minutes (symptoms outlast their cause).
    first_window = f["start_ns"] // (10 * 10**9) * (10 * 10**9)
    mine = [i for i in incidents if first_window <= ns(i["start"]) <= f["end_ns"] + 300 * 10**9]
    used.update(i["id"] for i in mine)
    first = mine[0]["candidates"][0]["service"] if mine and mine[0]["candidates"] else "-"
    good = len(mine) == 1 and first == f["root_cause"]
    ok = ok and good
    delay = max(0, ns(mine[-1]["start"]) - f["start_ns"]) / 1e9 if mine else float("nan")
    print(f"{'ok  ' if good else 'FAIL'} {name:40s} {f['type']:15s} {f['root_cause']:16s} "
          f"incidents {len(mine)}, first candidate {first}, delay {delay:.0f} s")
# Any other incident is a false one: the scenario injects nothing else.
others = [i for i in incidents if i["id"] not in used]
for i in others:
    top = i["candidates"][0]["service"] if i["candidates"] else "-"
    print(f"FAIL {name:40s} other incident at {i['start']} led by {top}")
    ok = False
sys.exit(0 if ok else 1)
PY
  kill "$AUGUR_PID" 2>/dev/null || true
  wait "$AUGUR_PID" 2>/dev/null || true
  cp "$WORK/truth.json" "$WORK/$name.truth.json"
  cp "$WORK/simulate.log" "$WORK/$name.simulate.log"
done
exit $failed
