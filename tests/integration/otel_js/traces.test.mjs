// Traces from the real OpenTelemetry JS SDK through each of its OTLP trace exporters (HTTP
// protobuf, HTTP JSON, gRPC), each into a fresh Augur: the services, operations, service graph,
// latency quantiles and /metrics series Augur derives must match the fleet exactly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

import {
  eventually,
  getJson,
  getMetricsText,
  parseExposition,
  recordExports,
  sampleValue,
  samplesOf,
  startAugur,
  stopAugur,
} from './lib/augur.mjs';
import {
  EXPECTED_EDGES,
  EXPECTED_NODES,
  EXPECTED_OPERATIONS,
  EXPECTED_SERVICES,
  EXPECTED_SPANS,
  PAYMENT_FAILS,
  CACHE_CALLS,
  CHECKOUT_TRACES,
  emitFleet,
} from './lib/fleet.mjs';

const EXPORTERS = [
  {
    name: 'OTLP/HTTP protobuf',
    protocol: 'http',
    make: (augur) => new ProtoTraceExporter({ url: `${augur.otlpHttp}/v1/traces` }),
  },
  {
    name: 'OTLP/HTTP JSON (gzip)',
    protocol: 'http',
    make: (augur) =>
      new JsonTraceExporter({ url: `${augur.otlpHttp}/v1/traces`, compression: 'gzip' }),
  },
  {
    name: 'OTLP/gRPC',
    protocol: 'grpc',
    make: (augur) => new GrpcTraceExporter({ url: `http://${augur.otlpGrpc}` }),
  },
];

// The fleet's spans cover 2.7 s of event time; starting them 0.5 s into a 10 s pipeline window
// keeps them all in one window, so "the last minute" holds all of them however it is cut.
function fleetBaseMs() {
  return Math.floor((Date.now() - 15_000) / 10_000) * 10_000 + 500;
}

// Asserts `value` lies in the histogram bucket (lower, upper].
function assertInBucket(value, [lower, upper], what) {
  assert.ok(
    typeof value === 'number' && value > lower && value <= upper,
    `${what}: ${value} not in (${lower}, ${upper}]`,
  );
}

for (const exporterKind of EXPORTERS) {
  describe(`traces over ${exporterKind.name}`, () => {
    let augur;
    const exportResults = [];

    before(async () => {
      // Pairing never times out in event time here: the card-gateway calls become virtual-node
      // edges through idle expiry (pipeline.idle_expiry=1s of wall time without data).
      augur = await startAugur({ sets: ['service_graph.pairing_ttl=1m'] });
      const providers = {};
      for (const service of ['frontend', 'checkout', 'payment']) {
        const exporter = exporterKind.make(augur);
        const results = recordExports(exporter, (spans) => spans.length);
        providers[service] = {
          results,
          provider: new BasicTracerProvider({
            resource: resourceFromAttributes({
              [ATTR_SERVICE_NAME]: service,
              'service.instance.id': `${service}-1`,
            }),
            spanProcessors: [
              new BatchSpanProcessor(exporter, {
                scheduledDelayMillis: 60_000,
                maxQueueSize: 4096,
                maxExportBatchSize: 1024,
              }),
            ],
          }),
        };
      }
      const tracer = (s) => providers[s].provider.getTracer('shop', '1.0.0');
      emitFleet(
        { frontend: tracer('frontend'), checkout: tracer('checkout'), payment: tracer('payment') },
        fleetBaseMs(),
      );
      // All services flush at once, as a fleet would: client and server spans of one request
      // reach Augur within the pairing time.
      await Promise.all(Object.values(providers).map((p) => p.provider.forceFlush()));
      await Promise.all(Object.values(providers).map((p) => p.provider.shutdown()));
      for (const p of Object.values(providers)) exportResults.push(...p.results);
    });

    after(async () => {
      if (augur?.alive()) await stopAugur(augur);
    });

    it('acknowledges every export', () => {
      assert.ok(exportResults.length >= 3, `only ${exportResults.length} exports`);
      for (const r of exportResults) {
        assert.equal(r.code, ExportResultCode.SUCCESS, `export failed: ${r.error}`);
      }
      assert.equal(
        exportResults.reduce((sum, r) => sum + r.items, 0),
        EXPECTED_SPANS,
      );
    });

    it('lists exactly the instrumented services with exact totals', async () => {
      await eventually(async () => {
        const data = await getJson(augur, '/api/v1/services');
        const got = data.services.map((s) => ({
          name: s.name,
          spans_total: s.spans_total,
          requests_total: s.requests_total,
          errors_total: s.errors_total,
          operations: s.operations,
        }));
        assert.deepEqual(got, EXPECTED_SERVICES);
        // The recent statistics describe the same requests: everything is within the last minute.
        for (const s of data.services) {
          const want = EXPECTED_SERVICES.find((e) => e.name === s.name);
          assert.equal(s.last_1m.requests, want.requests_total, `${s.name} last_1m.requests`);
          assert.equal(s.last_1m.errors, want.errors_total, `${s.name} last_1m.errors`);
          assert.equal(s.last_5m.requests, want.requests_total, `${s.name} last_5m.requests`);
          assert.ok(Math.abs(s.last_1m.rate - want.requests_total / 60) < 1e-9, `${s.name} rate`);
          assert.ok(
            Math.abs(s.last_1m.error_ratio - want.errors_total / want.requests_total) < 1e-9,
            `${s.name} error_ratio`,
          );
        }
      });
    });

    it('has latency quantiles in the buckets of the known durations', async () => {
      const data = await getJson(augur, '/api/v1/services');
      const byName = Object.fromEntries(data.services.map((s) => [s.name, s]));
      // checkout serves in 120 ms, payment in 30 ms; frontend 40 x 250 ms and 10 x 12 ms.
      assertInBucket(byName.checkout.last_1m.p50_ms, [100, 200], 'checkout p50');
      assertInBucket(byName.checkout.last_1m.p99_ms, [100, 200], 'checkout p99');
      assertInBucket(byName.payment.last_1m.p50_ms, [10, 50], 'payment p50');
      assertInBucket(byName.payment.last_5m.p95_ms, [10, 50], 'payment p95 (5m)');
      assertInBucket(byName.frontend.last_1m.p50_ms, [200, 400], 'frontend p50');
      assertInBucket(byName.frontend.last_1m.p95_ms, [200, 400], 'frontend p95');
    });

    it('lists the exact operations of each service', async () => {
      for (const [service, expected] of Object.entries(EXPECTED_OPERATIONS)) {
        const data = await getJson(augur, `/api/v1/services/${service}/operations`);
        assert.equal(data.service, service);
        assert.deepEqual(
          data.operations.map((o) => [o.span_name, o.span_kind, o.calls_total, o.errors_total]),
          expected,
          `operations of ${service}`,
        );
      }
      const ops = await getJson(augur, '/api/v1/services/payment/operations');
      const db = ops.operations.find((o) => o.span_name === 'SELECT orders');
      assertInBucket(db.last_1m.p50_ms, [4, 6], 'SELECT orders p50');
      const res = await fetch(`${augur.api}/api/v1/services/card-gateway/operations`);
      assert.equal(res.status, 404, 'a virtual node is not a service');
      const body = await res.json();
      assert.equal(body.status, 'error');
      assert.equal(body.errorType, 'not_found');
    });

    it('builds exactly the expected service graph', async () => {
      await eventually(async () => {
        const data = await getJson(augur, '/api/v1/graph');
        assert.deepEqual(
          data.edges.map((e) => ({
            client: e.client,
            server: e.server,
            connection_type: e.connection_type,
            requests_total: e.requests_total,
            failed_total: e.failed_total,
          })),
          EXPECTED_EDGES.map(({ p50, ...e }) => e),
        );
        assert.deepEqual(
          data.nodes.map((n) => ({ id: n.id, kind: n.kind })),
          EXPECTED_NODES,
        );
        for (const n of data.nodes.filter((x) => x.kind === 'service')) {
          const s = EXPECTED_SERVICES.find((e) => e.name === n.id);
          assert.equal(n.requests_total, s.requests_total, `node ${n.id} requests_total`);
          assert.equal(n.errors_total, s.errors_total, `node ${n.id} errors_total`);
        }
        for (const e of data.edges) {
          const want = EXPECTED_EDGES.find((x) => x.client === e.client && x.server === e.server);
          assert.equal(e.last_1m.requests, want.requests_total, `${e.client}->${e.server} last_1m`);
          assert.equal(e.last_1m.errors, want.failed_total, `${e.client}->${e.server} last_1m errors`);
          if (want.p50) assertInBucket(e.last_1m.p50_ms, want.p50, `${e.client}->${e.server} p50`);
        }
      });
    });

    it('exposes the exact span-metric, service-graph and ingest series on /metrics', async () => {
      const { contentType, body } = await getMetricsText(augur);
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(body);

      for (const [service, ops] of Object.entries(EXPECTED_OPERATIONS)) {
        const got = samplesOf(samples, 'traces_span_metrics_calls_total', { service_name: service })
          .map((s) => [s.labels.span_name, s.labels.span_kind, s.labels.status_code, s.value])
          .sort();
        const want = [];
        for (const [name, kind, calls, errors] of ops) {
          if (errors > 0) want.push([name, kind, 'STATUS_CODE_ERROR', errors]);
          if (calls > errors) want.push([name, kind, 'STATUS_CODE_UNSET', calls - errors]);
        }
        assert.deepEqual(got, want.sort(), `traces_span_metrics_calls_total of ${service}`);
      }
      // The exact line, as Grafana's span-metrics panels query it.
      assert.ok(
        body.includes(
          `traces_span_metrics_calls_total{service_name="checkout",span_name="POST /checkout",` +
            `span_kind="SPAN_KIND_SERVER",status_code="STATUS_CODE_ERROR"} ${PAYMENT_FAILS.size}\n`,
        ),
        'literal checkout SERVER error line',
      );

      // checkout's server spans all take 120 ms: bucket (100, 200].
      const checkoutServer = {
        service_name: 'checkout',
        span_name: 'POST /checkout',
        span_kind: 'SPAN_KIND_SERVER',
        status_code: 'STATUS_CODE_UNSET',
      };
      const ok = CHECKOUT_TRACES - PAYMENT_FAILS.size;
      const bucket = (le) =>
        sampleValue(samples, 'traces_span_metrics_duration_milliseconds_bucket', { ...checkoutServer, le });
      assert.equal(bucket('100'), 0);
      assert.equal(bucket('200'), ok);
      assert.equal(bucket('+Inf'), ok);
      assert.equal(sampleValue(samples, 'traces_span_metrics_duration_milliseconds_count', checkoutServer), ok);
      assert.ok(
        Math.abs(sampleValue(samples, 'traces_span_metrics_duration_milliseconds_sum', checkoutServer) - ok * 120) < 1e-6,
      );

      for (const e of EXPECTED_EDGES) {
        const labels = { client: e.client, server: e.server, connection_type: e.connection_type };
        assert.equal(
          sampleValue(samples, 'traces_service_graph_request_total', labels),
          e.requests_total,
          `traces_service_graph_request_total ${JSON.stringify(labels)}`,
        );
        assert.equal(
          sampleValue(samples, 'traces_service_graph_request_failed_total', labels),
          e.failed_total,
          `traces_service_graph_request_failed_total ${JSON.stringify(labels)}`,
        );
      }
      assert.equal(samplesOf(samples, 'traces_service_graph_request_total').length, EXPECTED_EDGES.length);
      assert.ok(
        body.includes(
          `traces_service_graph_request_total{client="frontend",server="checkout",connection_type=""} ${CHECKOUT_TRACES}\n`,
        ),
        'literal frontend->checkout edge line',
      );
      // frontend -> checkout: the server (checkout) saw 120 ms, the client (frontend) 150 ms.
      const edge = { client: 'frontend', server: 'checkout', connection_type: '' };
      const seconds = (side, le) =>
        sampleValue(samples, `traces_service_graph_request_${side}_seconds_bucket`, { ...edge, le });
      assert.equal(seconds('server', '0.1'), 0);
      assert.equal(seconds('server', '0.2'), CHECKOUT_TRACES);
      assert.equal(seconds('client', '0.1'), 0);
      assert.equal(seconds('client', '0.2'), CHECKOUT_TRACES);
      // The cache calls have neither a server span nor a peer attribute: unpaired.
      assert.equal(
        sampleValue(samples, 'traces_service_graph_unpaired_spans_total', { client: 'checkout', connection_type: '' }),
        CACHE_CALLS,
      );

      assert.equal(sampleValue(samples, 'augur_ingest_items_received_total', { signal: 'traces' }), EXPECTED_SPANS);
      assert.equal(sampleValue(samples, 'augur_ingest_items_accepted_total', { signal: 'traces' }), EXPECTED_SPANS);
      assert.equal(sampleValue(samples, 'augur_derive_spans_total'), EXPECTED_SPANS);
      assert.equal(
        sampleValue(samples, 'augur_ingest_requests_total', {
          protocol: exporterKind.protocol,
          signal: 'traces',
          outcome: 'ok',
        }),
        exportResults.length,
      );
    });

    it('speaks OpenMetrics when asked', async () => {
      const { contentType, body } = await getMetricsText(
        augur,
        'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
      );
      assert.match(contentType, /^application\/openmetrics-text; ?version=1\.0\.0/);
      assert.ok(body.endsWith('# EOF\n'), `OpenMetrics must end with "# EOF": ...${body.slice(-40)}`);
      assert.ok(body.includes('# TYPE traces_span_metrics_calls counter\n'), 'counter family without _total');
      const samples = parseExposition(body);
      assert.equal(
        sampleValue(samples, 'traces_span_metrics_calls_total', {
          service_name: 'payment',
          span_name: 'SELECT orders',
          span_kind: 'SPAN_KIND_CLIENT',
          status_code: 'STATUS_CODE_ERROR',
        }),
        4,
      );
    });

    it('exits 0 on SIGTERM', async () => {
      const { code, signal, timedOut } = await stopAugur(augur);
      assert.equal(timedOut, false, 'augur did not exit within 10 s of SIGTERM');
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, augur.stderr.slice(-2000));
    });
  });
}

// docs/api.md: "The last minute is measured back from the latest event time the pipeline has seen
// (the end times of the spans it received)", and data.time gives that instant. One export whose
// spans straddle a 10 s window boundary: the newest spans must count in last_1m.
describe('event time is the latest span end time', () => {
  let augur;
  const windowMs = 10_000;
  const w = Math.floor((Date.now() - 30_000) / windowMs) * windowMs;
  const endsMs = [w + 1_000, w + 2_000, w + 3_000, w + 4_000, w + 5_000, w + 11_000, w + 12_000];

  before(async () => {
    augur = await startAugur();
  });
  after(async () => {
    if (augur?.alive()) await stopAugur(augur);
  });

  it('counts the newest spans in last_1m and reports their end as data.time', async () => {
    const exporter = new ProtoTraceExporter({ url: `${augur.otlpHttp}/v1/traces` });
    const results = recordExports(exporter, (spans) => spans.length);
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'clock' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 })],
    });
    const tracer = provider.getTracer('clock');
    // One trace (one derive shard), called from an uninstrumented client.
    const caller = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    for (const end of endsMs) {
      tracer.startSpan('tick', { kind: SpanKind.SERVER, startTime: end - 20 }, caller).end(end);
    }
    await provider.shutdown();
    assert.deepEqual(results.map((r) => [r.code, r.items]), [[ExportResultCode.SUCCESS, endsMs.length]]);

    await eventually(async () => {
      const data = await getJson(augur, '/api/v1/services');
      assert.equal(data.services.length, 1);
      assert.equal(data.services[0].requests_total, endsMs.length);
      const latest = Math.max(...endsMs);
      assert.deepEqual(
        {
          time: data.time,
          time_unix_ms: Math.round(data.time_unix_nano / 1e6),
          last_1m_requests: data.services[0].last_1m.requests,
        },
        { time: new Date(latest).toISOString(), time_unix_ms: latest, last_1m_requests: endsMs.length },
      );
    });
  });

  it('exits 0 on SIGTERM', async () => {
    const { code, signal, timedOut } = await stopAugur(augur);
    assert.equal(timedOut, false);
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
  });
});
