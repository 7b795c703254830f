// Metrics and logs from the real OpenTelemetry JS SDK through each of its OTLP metrics and logs
// exporters (HTTP protobuf, HTTP JSON, gRPC) into one Augur: /metrics must re-expose the ingested
// metrics under their Prometheus names with exact values, and count the log records by service and
// severity exactly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';

import {
  eventually,
  getMetricsText,
  parseExposition,
  recordExports,
  sampleValue,
  samplesOf,
  startAugur,
  stopAugur,
} from './lib/augur.mjs';

// One service per exporter, so each exporter's data is told apart by its job label. The JSON
// exporter sends delta temporality: Augur must add the deltas up into the same counter values.
const EXPORTERS = [
  {
    name: 'OTLP/HTTP protobuf',
    protocol: 'http',
    service: 'inventory-proto',
    metrics: (a) => new ProtoMetricExporter({ url: `${a.otlpHttp}/v1/metrics` }),
    logs: (a) => new ProtoLogExporter({ url: `${a.otlpHttp}/v1/logs` }),
  },
  {
    name: 'OTLP/HTTP JSON (delta temporality)',
    protocol: 'http',
    service: 'inventory-json',
    metrics: (a) =>
      new JsonMetricExporter({
        url: `${a.otlpHttp}/v1/metrics`,
        temporalityPreference: AggregationTemporalityPreference.DELTA,
      }),
    logs: (a) => new JsonLogExporter({ url: `${a.otlpHttp}/v1/logs` }),
  },
  {
    name: 'OTLP/gRPC',
    protocol: 'grpc',
    service: 'inventory-grpc',
    metrics: (a) => new GrpcMetricExporter({ url: `http://${a.otlpGrpc}` }),
    logs: (a) => new GrpcLogExporter({ url: `http://${a.otlpGrpc}` }),
  },
];

const NAMESPACE = 'shop';

// Log records per exporter: [severityNumber or undefined, Augur's severity label, how many].
const LOGS = [
  [SeverityNumber.DEBUG2, 'DEBUG', 1],
  [SeverityNumber.INFO, 'INFO', 3],
  [SeverityNumber.INFO2, 'INFO', 2],
  [SeverityNumber.WARN, 'WARN', 3],
  [SeverityNumber.ERROR, 'ERROR', 2],
  [SeverityNumber.FATAL, 'FATAL', 1],
  [undefined, 'UNSPECIFIED', 1],
];
const LOGS_PER_SERVICE = LOGS.reduce((n, [, , count]) => n + count, 0);

const HISTOGRAM_VALUES = [[0.05, 0.2], [0.3, 0.7, 2]]; // seconds, phase 1 and 2

function countDataPoints(resourceMetrics) {
  let n = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) n += metric.dataPoints.length;
  }
  return n;
}

describe('metrics and logs over every OTLP exporter', () => {
  let augur;
  const metricExports = []; // {protocol, code, error, items}
  const logExports = [];

  before(async () => {
    augur = await startAugur();
    await Promise.all(
      EXPORTERS.map(async (kind) => {
        const resource = resourceFromAttributes({
          'service.name': kind.service,
          'service.namespace': NAMESPACE,
          'service.instance.id': `${kind.service}-1`,
        });

        const metricExporter = kind.metrics(augur);
        const mResults = recordExports(metricExporter, countDataPoints);
        const reader = new PeriodicExportingMetricReader({
          exporter: metricExporter,
          exportIntervalMillis: 600_000,
        });
        const meterProvider = new MeterProvider({ resource, readers: [reader] });
        const meter = meterProvider.getMeter('inventory', '1.0.0');
        const orders = meter.createCounter('app.orders.placed', { unit: '{order}' });
        const sent = meter.createCounter('app.network.sent', { unit: 'By' });
        const queue = meter.createUpDownCounter('app.queue.depth', { unit: '{item}' });
        const cpu = meter.createGauge('app.cpu.utilization', { unit: '1' });
        const latency = meter.createHistogram('app.request.duration', {
          unit: 's',
          advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
        });

        // Two export cycles, so cumulative series must keep the latest value and delta series
        // must add up.
        orders.add(4, { 'payment.method': 'card' });
        orders.add(2, { 'payment.method': 'paypal' });
        sent.add(1024);
        queue.add(10);
        cpu.record(0.5);
        for (const v of HISTOGRAM_VALUES[0]) latency.record(v);
        await meterProvider.forceFlush();
        orders.add(3, { 'payment.method': 'card' });
        orders.add(1, { 'payment.method': 'paypal' });
        sent.add(3072);
        queue.add(-3);
        cpu.record(0.25);
        for (const v of HISTOGRAM_VALUES[1]) latency.record(v);
        await meterProvider.forceFlush();
        await meterProvider.shutdown();
        metricExports.push(...mResults.map((r) => ({ ...r, protocol: kind.protocol })));

        const logExporter = kind.logs(augur);
        const lResults = recordExports(logExporter, (records) => records.length);
        const loggerProvider = new LoggerProvider({
          resource,
          processors: [
            new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 600_000 }),
          ],
        });
        const logger = loggerProvider.getLogger('inventory');
        for (const [severityNumber, , count] of LOGS) {
          for (let i = 0; i < count; i++) {
            logger.emit({
              severityNumber,
              severityText: severityNumber === undefined ? undefined : `S${severityNumber}`,
              body: `stock level checked (${i})`,
              attributes: { 'sku.id': `sku-${i}` },
            });
          }
        }
        await loggerProvider.forceFlush();
        await loggerProvider.shutdown();
        logExports.push(...lResults.map((r) => ({ ...r, protocol: kind.protocol })));
      }),
    );
  });

  after(async () => {
    if (augur?.alive()) await stopAugur(augur);
  });

  it('acknowledges every export', () => {
    assert.ok(metricExports.length >= 6, `${metricExports.length} metric exports`);
    assert.ok(logExports.length >= 3, `${logExports.length} log exports`);
    for (const r of [...metricExports, ...logExports]) {
      assert.equal(r.code, ExportResultCode.SUCCESS, `export failed: ${r.error}`);
    }
    assert.equal(
      logExports.reduce((n, r) => n + r.items, 0),
      LOGS_PER_SERVICE * EXPORTERS.length,
    );
  });

  for (const kind of EXPORTERS) {
    it(`re-exposes the metrics sent over ${kind.name} under their Prometheus names`, async () => {
      const base = { job: `${NAMESPACE}/${kind.service}`, instance: `${kind.service}-1` };
      await eventually(async () => {
        const samples = parseExposition((await getMetricsText(augur)).body);
        const value = (name, labels = {}) => sampleValue(samples, name, { ...base, ...labels });
        assert.equal(value('app_orders_placed_total', { payment_method: 'card' }), 7);
        assert.equal(value('app_orders_placed_total', { payment_method: 'paypal' }), 3);
        assert.equal(value('app_network_sent_bytes_total'), 4096);
        assert.equal(value('app_queue_depth'), 7);
        assert.equal(value('app_cpu_utilization_ratio'), 0.25);
        const bucket = (le) => value('app_request_duration_seconds_bucket', { le });
        assert.deepEqual(
          ['0.1', '0.5', '1', '+Inf'].map(bucket),
          [1, 3, 4, 5],
          'app_request_duration_seconds buckets',
        );
        assert.equal(value('app_request_duration_seconds_count'), 5);
        const sum = HISTOGRAM_VALUES.flat().reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(value('app_request_duration_seconds_sum') - sum) < 1e-9, 'histogram sum');
        // Nothing else of this service, and nothing under the raw OTLP names.
        const names = new Set(
          samples.filter((s) => s.labels.job === base.job).map((s) => s.name),
        );
        assert.deepEqual([...names].sort(), [
          'app_cpu_utilization_ratio',
          'app_network_sent_bytes_total',
          'app_orders_placed_total',
          'app_queue_depth',
          'app_request_duration_seconds_bucket',
          'app_request_duration_seconds_count',
          'app_request_duration_seconds_sum',
        ]);
      });
    });
  }

  it('declares the ingested families with their Prometheus types', async () => {
    const { body } = await getMetricsText(augur);
    for (const line of [
      '# TYPE app_orders_placed_total counter',
      '# TYPE app_network_sent_bytes_total counter',
      '# TYPE app_queue_depth gauge',
      '# TYPE app_cpu_utilization_ratio gauge',
      '# TYPE app_request_duration_seconds histogram',
    ]) {
      assert.ok(body.includes(`${line}\n`), `missing "${line}"`);
    }
  });

  it('counts the log records by service and severity exactly', async () => {
    await eventually(async () => {
      const samples = parseExposition((await getMetricsText(augur)).body);
      const got = samplesOf(samples, 'augur_log_records_total')
        .map((s) => [s.labels.service_name, s.labels.severity, s.value])
        .sort();
      const want = [];
      for (const kind of EXPORTERS) {
        const bySeverity = {};
        for (const [, severity, count] of LOGS) bySeverity[severity] = (bySeverity[severity] ?? 0) + count;
        for (const [severity, count] of Object.entries(bySeverity)) {
          want.push([kind.service, severity, count]);
        }
      }
      assert.deepEqual(got, want.sort());
    });
  });

  it('counts every accepted data point and log record in self-telemetry', async () => {
    const samples = parseExposition((await getMetricsText(augur)).body);
    const points = metricExports.reduce((n, r) => n + r.items, 0);
    const records = LOGS_PER_SERVICE * EXPORTERS.length;
    assert.equal(sampleValue(samples, 'augur_ingest_items_received_total', { signal: 'metrics' }), points);
    assert.equal(sampleValue(samples, 'augur_ingest_items_accepted_total', { signal: 'metrics' }), points);
    assert.equal(sampleValue(samples, 'augur_ingest_items_rejected_total', { signal: 'metrics' }), 0);
    assert.equal(sampleValue(samples, 'augur_series_metric_points_total'), points);
    assert.equal(sampleValue(samples, 'augur_ingest_items_received_total', { signal: 'logs' }), records);
    assert.equal(sampleValue(samples, 'augur_ingest_items_accepted_total', { signal: 'logs' }), records);
    assert.equal(sampleValue(samples, 'augur_ingest_items_rejected_total', { signal: 'logs' }), 0);
    assert.equal(sampleValue(samples, 'augur_derive_log_records_total'), records);
    assert.equal(sampleValue(samples, 'augur_ingest_items_accepted_total', { signal: 'traces' }), 0);
    for (const protocol of ['http', 'grpc']) {
      for (const [signal, exports] of [['metrics', metricExports], ['logs', logExports]]) {
        assert.equal(
          sampleValue(samples, 'augur_ingest_requests_total', { protocol, signal, outcome: 'ok' }),
          exports.filter((r) => r.protocol === protocol).length,
          `augur_ingest_requests_total{protocol="${protocol}",signal="${signal}",outcome="ok"}`,
        );
      }
    }
  });

  it('exits 0 on SIGTERM', async () => {
    const { code, signal, timedOut } = await stopAugur(augur);
    assert.equal(timedOut, false, 'augur did not exit within 10 s of SIGTERM');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, augur.stderr.slice(-2000));
  });
});
