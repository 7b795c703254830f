// Bad input against one running Augur: every malformed, oversized or mislabelled OTLP request gets
// the right status and a message that names the problem, invalid spans are rejected one by one
// (partial success) while their valid neighbours are kept, and afterwards the process is healthy
// with exactly the valid data counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

import grpc from '@grpc/grpc-js';

import {
  eventually,
  getJson,
  getMetricsText,
  parseExposition,
  sampleValue,
  startAugur,
  stopAugur,
} from './lib/augur.mjs';
import {
  SpanKind,
  StatusCode,
  decodeStatus,
  decodeTraceResponse,
  encodeTraceRequest,
} from './lib/protowire.mjs';

const LIMIT_BYTES = 256 * 1024;
const PROTOBUF = 'application/x-protobuf';
const EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const nowNs = BigInt(Date.now()) * 1_000_000n;

function span(overrides = {}) {
  return {
    traceId: crypto.randomBytes(16),
    spanId: crypto.randomBytes(8),
    name: 'GET /item',
    kind: SpanKind.SERVER,
    startNs: nowNs - 20_000_000n,
    endNs: nowNs,
    ...overrides,
  };
}

function spans(n, overrides) {
  return Array.from({ length: n }, () => span(overrides));
}

// The OTLP/JSON form of a span: hex ids, enum numbers, nanoseconds as strings.
function jsonSpan(overrides = {}) {
  return {
    traceId: crypto.randomBytes(16).toString('hex'),
    spanId: crypto.randomBytes(8).toString('hex'),
    name: 'GET /item',
    kind: 2,
    startTimeUnixNano: String(nowNs - 20_000_000n),
    endTimeUnixNano: String(nowNs),
    status: { code: 0 },
    ...overrides,
  };
}

function jsonRequest(serviceName, spanList) {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [{ scope: { name: 'handwritten' }, spans: spanList }],
      },
    ],
  });
}

// Valid spans per service, including those kept from partially rejected requests.
const expected = { 'bad-input-grpc': 0, 'bad-input-json': 0, 'bad-input-proto': 0 };
let rejectedSpans = 0;

describe('bad input', () => {
  let augur;
  let grpcClient;

  const post = async (body, { contentType = PROTOBUF, headers = {}, path = '/v1/traces' } = {}) => {
    const res = await fetch(augur.otlpHttp + path, {
      method: 'POST',
      headers: { 'Content-Type': contentType, ...headers },
      body,
    });
    return { status: res.status, contentType: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
  };

  const grpcExport = (bytes) =>
    new Promise((resolve) => {
      grpcClient.makeUnaryRequest(EXPORT_METHOD, (b) => b, (b) => b, bytes, (err, response) =>
        resolve({ err, response }),
      );
    });

  before(async () => {
    augur = await startAugur({ sets: [`limits.max_request_bytes=${LIMIT_BYTES / 1024}KiB`] });
    grpcClient = new grpc.Client(augur.otlpGrpc, grpc.credentials.createInsecure());
  });

  after(async () => {
    grpcClient?.close();
    if (augur?.alive()) await stopAugur(augur);
  });

  it('accepts valid protobuf, JSON and gRPC exports first', async () => {
    const proto = await post(
      encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: spans(6, { status: StatusCode.ERROR }) }]),
    );
    assert.equal(proto.status, 200);
    assert.equal(proto.contentType, PROTOBUF);
    assert.deepEqual(decodeTraceResponse(proto.body), { rejectedSpans: 0, errorMessage: '' });
    expected['bad-input-proto'] += 6;

    const json = await post(jsonRequest('bad-input-json', [jsonSpan(), jsonSpan(), jsonSpan(), jsonSpan()]), {
      contentType: 'application/json',
    });
    assert.equal(json.status, 200, json.body.toString());
    assert.equal(json.contentType, 'application/json');
    assert.equal(JSON.parse(json.body).partialSuccess, undefined);
    expected['bad-input-json'] += 4;

    const { err, response } = await grpcExport(
      encodeTraceRequest([{ serviceName: 'bad-input-grpc', spans: spans(3) }]),
    );
    assert.equal(err, null);
    assert.deepEqual(decodeTraceResponse(response), { rejectedSpans: 0, errorMessage: '' });
    expected['bad-input-grpc'] += 3;

    await eventually(async () => {
      const data = await getJson(augur, '/api/v1/services');
      assert.deepEqual(
        Object.fromEntries(data.services.map((s) => [s.name, s.spans_total])),
        expected,
      );
    });
  });

  it('answers a truncated protobuf body with 400 and a google.rpc.Status naming the problem', async () => {
    const body = encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: spans(4) }]);
    const res = await post(body.subarray(0, Math.floor(body.length / 2)));
    assert.equal(res.status, 400);
    assert.equal(res.contentType, PROTOBUF);
    const status = decodeStatus(res.body);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.message, /malformed protobuf: length \d+ exceeds remaining \d+ bytes/);
  });

  it('answers a wrong Content-Type with 415 naming the type', async () => {
    const body = encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: spans(2) }]);
    const res = await post(body, { contentType: 'text/plain' });
    assert.equal(res.status, 415);
    assert.match(res.body.toString(), /unsupported Content-Type 'text\/plain'/);
  });

  it('answers an unknown Content-Encoding with 415 naming it', async () => {
    const body = encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: spans(2) }]);
    const res = await post(body, { headers: { 'Content-Encoding': 'br' } });
    assert.equal(res.status, 415);
    assert.match(decodeStatus(res.body).message, /unsupported Content-Encoding 'br'/);
  });

  it('answers invalid JSON with 400 "invalid JSON"', async () => {
    const res = await post('{"resourceSpans": [{"resource": ', { contentType: 'application/json' });
    assert.equal(res.status, 400);
    assert.equal(res.contentType, 'application/json');
    const status = JSON.parse(res.body);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.message, /^invalid JSON/);
  });

  it('answers a body that is not gzip, labelled gzip, with 400', async () => {
    const res = await post(Buffer.from('definitely not gzip'), { headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(res.status, 400);
    assert.equal(decodeStatus(res.body).code, grpc.status.INVALID_ARGUMENT);
    assert.ok(decodeStatus(res.body).message.length > 0);
  });

  it('answers a body over limits.max_request_bytes with 413', async () => {
    const res = await post(crypto.randomBytes(LIMIT_BYTES + 150 * 1024));
    assert.equal(res.status, 413);
    assert.match(res.body.toString(), new RegExp(`exceeds the limit of ${LIMIT_BYTES} bytes`));
  });

  it('answers a gzip bomb with 413 naming the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < LIMIT_BYTES, `compressed bomb is ${bomb.length} bytes`);
    const res = await post(bomb, { headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(res.status, 413);
    const status = decodeStatus(res.body);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.message, new RegExp(`exceeds ${LIMIT_BYTES} bytes`));
  });

  it('rejects only the span whose name is not UTF-8', async () => {
    const bad = span({ name: Buffer.from([0x47, 0x45, 0x54, 0x20, 0xff, 0xfe]) });
    const res = await post(
      encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: [span(), bad, span()] }]),
    );
    assert.equal(res.status, 200);
    const partial = decodeTraceResponse(res.body);
    assert.equal(partial.rejectedSpans, 1);
    assert.match(partial.errorMessage, /spans\[1\].*invalid UTF-8 in name/);
    expected['bad-input-proto'] += 2;
    rejectedSpans += 1;
  });

  it('rejects a span with an empty trace id', async () => {
    const res = await post(
      encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: [span({ traceId: Buffer.alloc(0) }), span()] }]),
    );
    assert.equal(res.status, 200);
    const partial = decodeTraceResponse(res.body);
    assert.equal(partial.rejectedSpans, 1);
    assert.match(partial.errorMessage, /spans\[0\]: trace_id is 0 bytes, want 16/);
    expected['bad-input-proto'] += 1;
    rejectedSpans += 1;
  });

  it('rejects a span with a 15-byte span id', async () => {
    const res = await post(
      encodeTraceRequest([{ serviceName: 'bad-input-proto', spans: [span(), span({ spanId: crypto.randomBytes(15) })] }]),
    );
    assert.equal(res.status, 200);
    const partial = decodeTraceResponse(res.body);
    assert.equal(partial.rejectedSpans, 1);
    assert.match(partial.errorMessage, /spans\[1\]: span_id is 15 bytes, want 8/);
    expected['bad-input-proto'] += 1;
    rejectedSpans += 1;
  });

  it('rejects a JSON span without a trace id, keeping the other', async () => {
    const res = await post(jsonRequest('bad-input-json', [jsonSpan(), jsonSpan({ traceId: '' })]), {
      contentType: 'application/json',
    });
    assert.equal(res.status, 200);
    const partial = JSON.parse(res.body).partialSuccess;
    assert.equal(Number(partial.rejectedSpans), 1);
    assert.match(partial.errorMessage, /spans\[1\].*trace_id/);
    expected['bad-input-json'] += 1;
    rejectedSpans += 1;
  });

  it('answers an unknown path with 404 and GET /v1/traces with 405', async () => {
    const unknown = await post(encodeTraceRequest([{ serviceName: 'x', spans: spans(1) }]), { path: '/v1/spans' });
    assert.equal(unknown.status, 404);
    const get = await fetch(`${augur.otlpHttp}/v1/traces`);
    assert.equal(get.status, 405);
    assert.match(get.headers.get('allow') ?? '', /POST/);
    await get.arrayBuffer();
  });

  it('answers a malformed gRPC message with INVALID_ARGUMENT and a message', async () => {
    const body = encodeTraceRequest([{ serviceName: 'bad-input-grpc', spans: spans(3) }]);
    const { err } = await grpcExport(body.subarray(0, body.length - 7));
    assert.ok(err, 'the export must fail');
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /malformed protobuf/);

    const garbage = await grpcExport(Buffer.from('this is not protobuf at all'));
    assert.equal(garbage.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.ok(garbage.err.details.length > 0);
  });

  it('answers a gRPC message over limits.max_request_bytes with RESOURCE_EXHAUSTED', async () => {
    const { err } = await grpcExport(crypto.randomBytes(LIMIT_BYTES + 1024));
    assert.equal(err?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.ok(err.details.length > 0);
  });

  it('stays healthy with exactly the valid data counted', async () => {
    const health = await fetch(`${augur.api}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    assert.ok(augur.alive(), 'augur exited');

    const accepted = Object.values(expected).reduce((a, b) => a + b, 0);
    await eventually(async () => {
      const data = await getJson(augur, '/api/v1/services');
      assert.deepEqual(
        Object.fromEntries(data.services.map((s) => [s.name, s.spans_total])),
        expected,
      );
      const proto = data.services.find((s) => s.name === 'bad-input-proto');
      assert.equal(proto.errors_total, 6, 'the six ERROR spans of the first request');
    });
    const samples = parseExposition((await getMetricsText(augur)).body);
    const value = (name, labels) => sampleValue(samples, name, labels);
    assert.equal(value('augur_ingest_items_accepted_total', { signal: 'traces' }), accepted);
    assert.equal(value('augur_ingest_items_rejected_total', { signal: 'traces' }), rejectedSpans);
    assert.equal(value('augur_derive_spans_total'), accepted);
    const outcomes = ['ok', 'partial', 'invalid', 'unsupported', 'too_large', 'refused'];
    const requests = (protocol) =>
      Object.fromEntries(
        outcomes.map((outcome) => [
          outcome,
          value('augur_ingest_requests_total', { protocol, signal: 'traces', outcome }),
        ]),
      );
    assert.deepEqual(
      { http: requests('http'), grpc: requests('grpc') },
      {
        // ok: valid protobuf + JSON; partial: UTF-8, trace id, span id, JSON trace id; invalid:
        // truncated, bad JSON, not gzip; unsupported: text/plain, br; too_large: the oversized
        // body and the gzip bomb.
        http: { ok: 2, partial: 4, invalid: 3, unsupported: 2, too_large: 2, refused: 0 },
        // invalid: truncated and garbage; too_large: the oversized message.
        grpc: { ok: 1, partial: 0, invalid: 2, unsupported: 0, too_large: 1, refused: 0 },
      },
    );
  });

  it('exits 0 on SIGTERM', async () => {
    const { code, signal, timedOut } = await stopAugur(augur);
    assert.equal(timedOut, false, 'augur did not exit within 10 s of SIGTERM');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, augur.stderr.slice(-2000));
  });
});
