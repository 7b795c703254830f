#!/usr/bin/env python3
"""Augur's ClickHouse log exporter against a real ClickHouse server.

Starts Debian's clickhouse-server (18.16) on loopback with a configuration written here (listens
on 127.0.0.1 only, free ports, every path in a temporary directory, one user reachable from
127.0.0.1 only), starts `augur run` with the ClickHouse exporter pointing at it, sends log lines
with known bodies, services, severities, attributes and trace ids over OTLP/HTTP JSON and a Loki
protobuf push (with bytes that are not UTF-8), then queries ClickHouse over HTTP until the rows
arrive and checks that every line is there with its fields, that lines of one template share a
template id, that rows are found by template id and by trace id, and that the materialized
per-template counts match. It then drops the database while Augur runs and checks that the next
lines arrive in the table the exporter creates again. Both processes are stopped and the directory
removed (README.md in this directory says more).

Exit codes: 0 passed, 1 failed, 77 skipped (no clickhouse-server installed; ctest
SKIP_RETURN_CODE). Standard library only. Nothing leaves 127.0.0.1.

  python3 tests/integration/clickhouse/clickhouse_logs_test.py --augur build/augur [--keep]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
DEADLINE_S = 50  # the whole test; ctest's TIMEOUT is above it

# The lines sent over OTLP/HTTP JSON: per template, its service, severity and the lines. A few
# share trace ids across services, so a trace's rows are found in both.
TRACE_A = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE_B = "0af7651916cd43dd8448eb211c80319c"
SPAN_A = "00f067aa0ba902b7"
SPAN_B = "b7ad6b7169203331"

OTLP_TEMPLATES = {
    "payment_failed": {
        "service": "checkout",
        "severity": ("ERROR", 17),
        "template": "Payment for order <*> failed after <*>: card declined",
        "lines": [f"Payment for order {1000 + i} failed after {120 + 7 * i}ms: card declined"
                  for i in range(6)],
    },
    "order_placed": {
        "service": "checkout",
        "severity": ("INFO", 9),
        "template": "Order <*> placed by user <*> total <*> USD",
        "lines": [f"Order {2000 + i} placed by user {31 + i} total {10 + i}.50 USD"
                  for i in range(8)],
    },
    "cart_updated": {
        "service": "cart",
        "severity": ("INFO", 9),
        "template": "Cart <*> updated with <*> items",
        "lines": [f"Cart {500 + i} updated with {i + 1} items" for i in range(5)],
    },
    "redis_lost": {
        "service": "cart",
        "severity": ("WARN", 13),
        "template": "Connection to redis at <*> lost, retrying in <*>",
        "lines": [f"Connection to redis at 10.0.0.{i + 1}:6379 lost, retrying in {i + 1}s"
                  for i in range(4)],
    },
}

# Which lines carry which trace: (template, line index) -> (trace id, span id).
TRACED = {
    ("payment_failed", 0): (TRACE_A, SPAN_A),
    ("payment_failed", 1): (TRACE_B, SPAN_B),
    ("cart_updated", 2): (TRACE_A, "1111111111111111"),
    ("redis_lost", 3): (TRACE_A, "2222222222222222"),
}

# Lines pushed to Augur's Loki endpoint for service "inventory" (Latin-1 where UTF-8 belongs, as
# old programs write it): bytes that are not UTF-8 in the lines and in a structured metadata value
# are stored as U+FFFD, in the body and in the template.
LOKI_LINES = [b"Stock for sku 7 low: 3 left in Malm\xf6", b"Stock for sku 12 low: 1 left in Malm\xf6",
              b"Stock for sku 99 low: 2 left in Malm\xf6"]
LOKI_REPAIRED = [line.decode("utf-8", "replace") for line in LOKI_LINES]
LOKI_TEMPLATE = "Stock for sku <*> low: <*> left in Malm\ufffd"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http(method, url, body=None, headers=None, timeout=5):
    """(status, body bytes); raises OSError when the server cannot be reached."""
    assert url.startswith("http://127.0.0.1:"), url  # nothing leaves the machine
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def find_clickhouse():
    """The command that starts a ClickHouse server, or None."""
    explicit = os.environ.get("CLICKHOUSE_SERVER")
    if explicit:  # another build of the server; a path that is not executable skips the test
        return [explicit] if os.access(explicit, os.X_OK) else None
    for name in ("clickhouse-server", "/usr/sbin/clickhouse-server",
                 "/usr/bin/clickhouse-server"):
        path = shutil.which(name)
        if path:
            return [path]
    path = shutil.which("clickhouse")
    if path:
        return [path, "server"]
    return None


CONFIG_XML = """<?xml version="1.0"?>
<!-- Written by clickhouse_logs_test.py: loopback only, every path in {dir}. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>{dir}/log/clickhouse-server.log</log>
    <errorlog>{dir}/log/clickhouse-server.err.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <interserver_http_port>{interserver_port}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <max_connections>64</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>16</max_concurrent_queries>
  <uncompressed_cache_size>16777216</uncompressed_cache_size>
  <mark_cache_size>16777216</mark_cache_size>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
"""

USERS_XML = """<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>1000000000</max_memory_usage>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>127.0.0.1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
"""


def _die_with_parent():
    """In the child before exec: SIGTERM when this script dies, however it dies (a ctest timeout
    kills it without running its clean-up)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Processes:
    """The processes this test started; stopped (SIGTERM, then SIGKILL) in reverse order."""

    def __init__(self):
        self.started = []

    def start(self, name, args, **kwargs):
        p = subprocess.Popen(args, preexec_fn=_die_with_parent, **kwargs)
        self.started.append((name, p))
        return p

    @staticmethod
    def stop(p, timeout_s=10):
        """SIGTERM, wait; SIGKILL if it did not exit. Returns (exit code, timed out)."""
        if p.poll() is not None:
            return p.returncode, False
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=timeout_s), False
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait(), True

    def stop_all(self):
        for _, p in reversed(self.started):
            self.stop(p, timeout_s=5)


def start_clickhouse(procs, command, workdir):
    """Starts ClickHouse on free loopback ports; returns its HTTP base URL once /ping answers."""
    for d in ("log", "data", "tmp", "user_files", "format_schemas"):
        os.makedirs(os.path.join(workdir, d), exist_ok=True)
    last_output = ""
    for attempt in range(3):  # a port taken between choosing and binding: choose again
        http_port, tcp_port, interserver_port = free_ports(3)
        config = os.path.join(workdir, "config.xml")
        with open(config, "w") as f:
            f.write(CONFIG_XML.format(dir=workdir, http_port=http_port, tcp_port=tcp_port,
                                      interserver_port=interserver_port))
        with open(os.path.join(workdir, "users.xml"), "w") as f:
            f.write(USERS_XML)
        out_path = os.path.join(workdir, "log", f"stdout-{attempt}.txt")
        with open(out_path, "wb") as out:
            p = procs.start("clickhouse", command + [f"--config-file={config}"], cwd=workdir,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and p.poll() is None:
            try:
                status, body = http("GET", base + "/ping", timeout=1)
                if status == 200 and body.strip() == b"Ok.":
                    return base
            except OSError:
                pass
            time.sleep(0.1)
        Processes.stop(p)
        with open(out_path, "rb") as f:
            last_output = f.read().decode("utf-8", "replace")
        err_log = os.path.join(workdir, "log", "clickhouse-server.err.log")
        if os.path.exists(err_log):
            with open(err_log, "rb") as f:
                last_output += f.read().decode("utf-8", "replace")[-3000:]
    raise Failure(f"clickhouse-server did not answer /ping:\n{last_output}")


def query(base, sql):
    """Rows of a SELECT ... FORMAT JSONEachRow as dicts."""
    status, body = http("POST", base + "/", sql.encode(), {"Content-Type": "text/plain"})
    if status != 200:
        raise Failure(f"ClickHouse answered {status} to {sql!r}: {body.decode('utf-8', 'replace')}")
    return [json.loads(line) for line in body.decode("utf-8").splitlines() if line]


LISTENING = re.compile(
    r"^augur listening otlp_grpc=\S+:(\d+) otlp_http=\S+:(\d+) api=\S+:(\d+)$", re.M)


def start_augur(procs, augur_bin, workdir, clickhouse_base):
    data = os.path.join(workdir, "augur-data")
    os.makedirs(data)
    out_path = os.path.join(workdir, "augur.out")
    err_path = os.path.join(workdir, "augur.err")
    args = [augur_bin, "run",
            "--otlp-grpc-endpoint", "127.0.0.1:0",
            "--otlp-http-endpoint", "127.0.0.1:0",
            "--api-endpoint", "127.0.0.1:0",
            "--shards", "2",
            "--set", "pipeline.flush_interval=100ms",
            "--set", f"storage.path={data}",
            "--set", "exporters.clickhouse.enabled=true",
            "--set", f"exporters.clickhouse.endpoint={clickhouse_base}",
            "--set", "exporters.clickhouse.flush_interval=100ms",
            "--set", "exporters.clickhouse.initial_backoff=50ms"]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = procs.start("augur", args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(out_path, "r", errors="replace") as f:
            m = LISTENING.search(f.read())
        if m:
            return p, int(m.group(2)), int(m.group(3)), err_path
        if p.poll() is not None:
            break
        time.sleep(0.05)
    with open(err_path, "r", errors="replace") as f:
        raise Failure(f"augur did not print its listening line (exit {p.poll()}):\n{f.read()}")


def otlp_logs_json(now_ns):
    """The OTLP/HTTP JSON request of OTLP_TEMPLATES (one resource per service) and the expected
    rows, by body."""
    by_service = {}
    expected = {}
    n = 0
    for key, t in OTLP_TEMPLATES.items():
        severity_text, severity_number = t["severity"]
        for i, line in enumerate(t["lines"]):
            time_ns = now_ns + n * 1_000_000  # 1 ms apart, in sending order
            n += 1
            record = {
                "timeUnixNano": str(time_ns),
                "severityNumber": severity_number,
                "severityText": severity_text,
                "body": {"stringValue": line},
                "attributes": [
                    {"key": "line.index", "value": {"intValue": str(i)}},
                    {"key": "template.key", "value": {"stringValue": key}},
                ],
            }
            trace_id, span_id = TRACED.get((key, i), ("", ""))
            if trace_id:
                record["traceId"] = trace_id
                record["spanId"] = span_id
            by_service.setdefault(t["service"], []).append(record)
            expected[line] = {
                "service": t["service"], "severity": severity_text,
                "severity_number": severity_number, "timestamp_ns": time_ns,
                "trace_id": trace_id, "span_id": span_id, "template_key": key,
                "line_index": i,
            }
    request = {"resourceLogs": [
        {"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": service}},
            {"key": "deployment.environment", "value": {"stringValue": "integration"}}]},
         "scopeLogs": [{"scope": {"name": "clickhouse-test"}, "logRecords": records}]}
        for service, records in by_service.items()]}
    return json.dumps(request).encode(), expected


# Protobuf and snappy by hand, for the Loki push (the standard library has neither).
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def pb_bytes(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def pb_varint(field, v):
    return varint(field << 3) + varint(v)


def snappy_literal(raw):
    """A valid snappy block (https://github.com/google/snappy/blob/main/format_description.txt)
    made of literals only."""
    out = bytearray(varint(len(raw)))
    for start in range(0, len(raw), 65536):
        chunk = raw[start:start + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2, n & 0xFF, n >> 8])
        out += chunk
    return bytes(out)


def loki_push(now_ns):
    entries = b""
    for i, line in enumerate(LOKI_LINES):
        t = now_ns + i * 1_000_000
        timestamp = pb_varint(1, t // 1_000_000_000) + pb_varint(2, t % 1_000_000_000)
        entry = pb_bytes(1, timestamp) + pb_bytes(2, line)
        if i == 2:  # structured metadata: a value that is not UTF-8, and a trace id
            entry += pb_bytes(3, pb_bytes(1, b"user") + pb_bytes(2, b"m\xe9lanie"))
            entry += pb_bytes(3, pb_bytes(1, b"trace_id") + pb_bytes(2, TRACE_B.encode()))
        entries += pb_bytes(2, entry)
    stream = pb_bytes(1, b'{service_name="inventory", level="warn", env="integration"}') + entries
    return snappy_literal(pb_bytes(1, stream))


def metric_value(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{}"):
            return float(line.rsplit(" ", 1)[1])
    return None


def run(args, procs, workdir):
    started = time.monotonic()
    command = find_clickhouse()
    check(command is not None, "unreachable")  # checked by main()
    ch = start_clickhouse(procs, command, workdir)
    version = query(ch, "SELECT version() AS v FORMAT JSONEachRow")[0]["v"]
    print(f"clickhouse-server {version} on {ch} ({time.monotonic() - started:.1f} s)")

    augur, http_port, api_port, augur_err = start_augur(procs, args.augur, workdir, ch)
    otlp = f"http://127.0.0.1:{http_port}"
    api = f"http://127.0.0.1:{api_port}"

    now_ns = time.time_ns() - 5_000_000_000
    body, expected = otlp_logs_json(now_ns)
    status, answer = http("POST", otlp + "/v1/logs", body, {"Content-Type": "application/json"})
    check(status == 200, f"OTLP/HTTP JSON logs: {status} {answer!r}")
    rejected = json.loads(answer or b"{}").get("partialSuccess", {}).get("rejectedLogRecords", 0)
    check(int(rejected) == 0, f"OTLP partial success: {answer!r}")
    status, answer = http("POST", api + "/loki/api/v1/push", loki_push(now_ns + 100_000_000),
                          {"Content-Type": "application/x-protobuf"})
    check(status == 204, f"Loki push: {status} {answer!r}")
    for i, line in enumerate(LOKI_REPAIRED):
        expected[line] = {
            "service": "inventory", "severity": "warn", "severity_number": 13,
            "timestamp_ns": now_ns + 100_000_000 + i * 1_000_000,
            "trace_id": TRACE_B if i == 2 else "", "span_id": "", "template_key": "stock_low",
            "line_index": i,
        }
    total = len(expected)

    # Until every row is there (the exporter flushes every 100 ms).
    rows = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            rows = query(ch, "SELECT * FROM augur.logs FORMAT JSONEachRow")
        except Failure:
            rows = []  # the table is created with the first batch
        if len(rows) >= total:
            break
        time.sleep(0.1)
    check(len(rows) == total, f"{len(rows)} rows in augur.logs after 20 s, expected {total}:\n"
          + "\n".join(r["body"] for r in rows))
    print(f"{total} rows in ClickHouse ({time.monotonic() - started:.1f} s)")

    # Every line, once, with its fields.
    by_body = {}
    for r in rows:
        check(r["body"] not in by_body, f"duplicate row {r['body']!r}")
        by_body[r["body"]] = r
    check(set(by_body) == set(expected),
          f"bodies differ: missing {set(expected) - set(by_body)}, extra {set(by_body) - set(expected)}")
    for body_text, want in expected.items():
        r = by_body[body_text]
        for key in ("service", "severity_number", "trace_id", "span_id"):
            check(r[key] == want[key], f"{body_text!r}: {key} {r[key]!r}, expected {want[key]!r}")
        check(r["severity"].upper() == want["severity"].upper(),
              f"{body_text!r}: severity {r['severity']!r}")
        check(int(r["timestamp_ns"]) == want["timestamp_ns"],
              f"{body_text!r}: timestamp_ns {r['timestamp_ns']} != {want['timestamp_ns']}")
        # DateTime is the second of timestamp_ns (the server's time zone is UTC).
        second = time.strftime("%Y-%m-%d %H:%M:%S",
                               time.gmtime(want["timestamp_ns"] // 1_000_000_000))
        check(r["timestamp"] == second, f"{body_text!r}: timestamp {r['timestamp']} != {second}")
        attributes = json.loads(r["attributes"])
        resource = json.loads(r["resource"])
        if want["service"] == "inventory":
            check(resource.get("service_name") == "inventory" and resource.get("env") ==
                  "integration", f"{body_text!r}: resource {resource}")
        else:
            check(attributes.get("template.key") == want["template_key"] and
                  attributes.get("line.index") == want["line_index"],
                  f"{body_text!r}: attributes {attributes}")
            check(resource.get("service.name") == want["service"] and
                  resource.get("deployment.environment") == "integration",
                  f"{body_text!r}: resource {resource}")
    # Bytes that were not UTF-8 are stored as U+FFFD, in the line and in metadata.
    repaired = by_body[LOKI_REPAIRED[2]]
    check(json.loads(repaired["attributes"]).get("user") == "m\ufffdlanie",
          f"repaired metadata: {repaired['attributes']!r}")

    # Lines of one template share one id (and text); different templates of a service differ.
    ids = {}
    for key, t in OTLP_TEMPLATES.items():
        found = {(by_body[line]["template_id"], by_body[line]["template"]) for line in t["lines"]}
        check(len(found) == 1, f"{key}: lines carry several templates {found}")
        template_id, text = found.pop()
        check(text == t["template"], f"{key}: template {text!r}, expected {t['template']!r}")
        ids[key] = template_id
    stock = {(by_body[line]["template_id"], by_body[line]["template"]) for line in LOKI_REPAIRED}
    check(stock == {(stock_id := min(stock)[0], LOKI_TEMPLATE)},
          f"Loki lines: templates {stock}, expected one, {LOKI_TEMPLATE!r}")
    ids["stock_low"] = stock_id
    check(ids["payment_failed"] != ids["order_placed"], f"checkout templates share an id: {ids}")
    check(ids["cart_updated"] != ids["redis_lost"], f"cart templates share an id: {ids}")

    # Queryable by template id...
    for key, t in OTLP_TEMPLATES.items():
        got = query(ch, f"SELECT body FROM augur.logs WHERE service = '{t['service']}' AND "
                        f"template_id = {ids[key]} ORDER BY timestamp_ns FORMAT JSONEachRow")
        check([g["body"] for g in got] == t["lines"],
              f"template {key} (id {ids[key]}): {[g['body'] for g in got]}")
    # ...and by trace id, across services.
    for trace in (TRACE_A, TRACE_B):
        got = query(ch, f"SELECT body FROM augur.logs WHERE trace_id = '{trace}' "
                        "ORDER BY timestamp_ns FORMAT JSONEachRow")
        want = sorted((b for b, e in expected.items() if e["trace_id"] == trace),
                      key=lambda b: expected[b]["timestamp_ns"])
        check([g["body"] for g in got] == want, f"trace {trace}: {[g['body'] for g in got]}")

    # Per-template counts: the materialized view (summed: SummingMergeTree merges in the
    # background) equals a GROUP BY over the lines, which equals what was sent.
    want_counts = {}
    for e in expected.values():
        k = (e["service"], ids[e["template_key"]], e["severity"].upper())
        want_counts[k] = want_counts.get(k, 0) + 1
    grouped = {(g["service"], g["template_id"], g["severity"].upper()): int(g["lines"])
               for g in query(ch, "SELECT service, template_id, severity, count() AS lines "
                                  "FROM augur.logs GROUP BY service, template_id, severity "
                                  "FORMAT JSONEachRow")}
    check(grouped == want_counts, f"GROUP BY counts {grouped}, expected {want_counts}")
    tables = {t["name"] for t in query(ch, "SELECT name FROM system.tables WHERE "
                                           "database = 'augur' FORMAT JSONEachRow")}
    check("logs_template_counts" in tables, f"no materialized view: tables {tables}")
    view = {(g["service"], g["template_id"], g["severity"].upper()): int(g["lines"])
            for g in query(ch, "SELECT service, template_id, severity, sum(lines) AS lines "
                               "FROM augur.logs_template_counts "
                               "GROUP BY service, template_id, severity FORMAT JSONEachRow")}
    check(view == want_counts, f"materialized view counts {view}, expected {want_counts}")

    # The database is dropped while Augur runs (ClickHouse then answers 404): the exporter creates
    # it again, with table and view, and stores the batch it was sending.
    query(ch, "DROP DATABASE augur")
    again = [f"Cart {900 + i} updated with {i + 2} items" for i in range(3)]
    more = {"resourceLogs": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "cart"}}]},
        "scopeLogs": [{"logRecords": [
            {"timeUnixNano": str(now_ns + 1_000_000_000 + i), "severityNumber": 9,
             "body": {"stringValue": line}} for i, line in enumerate(again)]}]}]}
    status, answer = http("POST", otlp + "/v1/logs", json.dumps(more).encode(),
                          {"Content-Type": "application/json"})
    check(status == 200, f"OTLP/HTTP JSON logs: {status} {answer!r}")
    rows = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(rows) < len(again):
        try:
            rows = query(ch, "SELECT body, template_id FROM augur.logs FORMAT JSONEachRow")
        except Failure:
            rows = []
        time.sleep(0.1)
    check(sorted(r["body"] for r in rows) == sorted(again),
          f"after DROP DATABASE: rows {rows}, expected {again}")
    check({r["template_id"] for r in rows} == {ids["cart_updated"]},
          f"after DROP DATABASE: template ids {rows}, expected {ids['cart_updated']}")
    view = query(ch, "SELECT sum(lines) AS lines FROM augur.logs_template_counts FORMAT JSONEachRow")
    check(int(view[0]["lines"]) == len(again), f"after DROP DATABASE: view counts {view}")
    total += len(again)
    print(f"database dropped and set up again ({time.monotonic() - started:.1f} s)")

    # Augur's own account: everything sent, nothing dropped, the lost table cost one retry.
    status, metrics = http("GET", api + "/metrics")
    text = metrics.decode()
    sent = metric_value(text, "augur_export_clickhouse_sent_total")
    dropped = metric_value(text, "augur_export_clickhouse_dropped_total")
    retries = metric_value(text, "augur_export_clickhouse_retries_total")
    check(sent == total and dropped in (0, None) and retries and retries >= 1,
          f"augur_export_clickhouse_sent_total {sent}, _dropped_total {dropped}, _retries_total "
          f"{retries}; expected {total}, 0, >= 1")

    code, timed_out = Processes.stop(augur)
    with open(augur_err, "r", errors="replace") as f:
        stderr = f.read()
    check(code == 0 and not timed_out, f"augur exit {code} (timed out: {timed_out}):\n{stderr}")
    check("stopped cleanly" in stderr, f"augur did not stop cleanly:\n{stderr}")
    check(time.monotonic() - started < DEADLINE_S,
          f"took {time.monotonic() - started:.1f} s, more than {DEADLINE_S} s")
    print(f"passed in {time.monotonic() - started:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--augur", default=os.environ.get("AUGUR_BIN", "build/augur"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if find_clickhouse() is None:
        print("SKIP: clickhouse-server is not installed (scripts/deps.sh installs it; or set "
              "CLICKHOUSE_SERVER to its path)")
        return SKIP
    if not os.access(args.augur, os.X_OK):
        print(f"FAIL: no augur binary at {args.augur}")
        return 1
    # SIGTERM (ctest, a user) runs the clean-up below like a failure does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    workdir = tempfile.mkdtemp(prefix="augur-clickhouse-")
    procs = Processes()
    ok = False
    try:
        run(args, procs, workdir)
        ok = True
    except Failure as e:
        print(f"FAIL: {e}")
        for name in ("augur.err", "log/clickhouse-server.err.log"):
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                with open(path, "r", errors="replace") as f:
                    print(f"--- {name} (tail)\n{f.read()[-4000:]}")
    finally:
        procs.stop_all()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
