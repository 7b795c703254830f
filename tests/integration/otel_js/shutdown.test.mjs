// Graceful shutdown: SIGTERM while OTLP/HTTP and OTLP/gRPC exports are in flight. Augur must stop
// taking data, answer or close every open request (no hang, no 5xx other than 503 "retry"), drain
// its pipeline and exit 0 with "stopped cleanly" in its log on stderr.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import grpc from '@grpc/grpc-js';

import { startAugur, stopAugur } from './lib/augur.mjs';
import { SpanKind, decodeTraceResponse, encodeTraceRequest } from './lib/protowire.mjs';

const EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

function batch(service, n) {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const spans = [];
  for (let i = 0; i < n; i++) {
    const traceId = crypto.randomBytes(16);
    const root = crypto.randomBytes(8);
    spans.push(
      { traceId, spanId: root, name: 'GET /home', kind: SpanKind.SERVER, startNs: nowNs - 9_000_000n, endNs: nowNs },
      {
        traceId,
        spanId: crypto.randomBytes(8),
        parentSpanId: root,
        name: 'SELECT',
        kind: SpanKind.CLIENT,
        startNs: nowNs - 5_000_000n,
        endNs: nowNs - 1_000_000n,
        attributes: { 'db.system': 'mysql' },
      },
    );
  }
  return encodeTraceRequest([{ serviceName: service, spans }]);
}

describe('graceful shutdown', () => {
  let augur;
  let grpcClient;

  before(async () => {
    augur = await startAugur();
    grpcClient = new grpc.Client(augur.otlpGrpc, grpc.credentials.createInsecure());
  });

  after(async () => {
    grpcClient?.close();
    if (augur?.alive()) await stopAugur(augur);
  });

  it('drains in-flight exports and exits 0 on SIGTERM', async () => {
    const outcomes = { http: {}, grpc: {} };
    const count = (protocol, what) => (outcomes[protocol][what] = (outcomes[protocol][what] ?? 0) + 1);
    let stop = false;
    let signalled = false;

    // Each loop exports back to back until Augur stops answering; any answer it does give must
    // be a success or a retryable refusal.
    const httpLoop = async (i) => {
      const body = batch(`shutdown-http-${i}`, 100);
      while (!stop) {
        try {
          const res = await fetch(`${augur.otlpHttp}/v1/traces`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-protobuf' },
            body,
            signal: AbortSignal.timeout(5_000),
          });
          const bytes = Buffer.from(await res.arrayBuffer());
          if (res.status === 200) {
            assert.equal(decodeTraceResponse(bytes).rejectedSpans, 0);
            count('http', signalled ? 'ok_after_sigterm' : 'ok');
          } else {
            assert.equal(res.status, 503, `unexpected HTTP ${res.status}: ${bytes}`);
            count('http', '503');
          }
        } catch (e) {
          if (e.name === 'TimeoutError') throw new Error('an export hung for 5 s during shutdown');
          if (e.code === 'ERR_ASSERTION' || !signalled) throw e;
          count('http', 'connection closed');
          if (signalled) return; // the listener is gone
        }
      }
    };
    const grpcLoop = async (i) => {
      const body = batch(`shutdown-grpc-${i}`, 100);
      while (!stop) {
        const err = await new Promise((resolve) =>
          grpcClient.makeUnaryRequest(
            EXPORT_METHOD,
            (b) => b,
            (b) => b,
            body,
            new grpc.Metadata(),
            { deadline: Date.now() + 5_000 },
            (e) => resolve(e),
          ),
        );
        if (!err) {
          count('grpc', signalled ? 'ok_after_sigterm' : 'ok');
          continue;
        }
        if (!signalled) throw err;
        assert.notEqual(err.code, grpc.status.DEADLINE_EXCEEDED, 'an export hung for 5 s during shutdown');
        assert.ok(
          [grpc.status.UNAVAILABLE, grpc.status.CANCELLED].includes(err.code),
          `unexpected gRPC status ${err.code}: ${err.details}`,
        );
        count('grpc', grpc.status[err.code]);
        if (signalled) return;
      }
    };

    const loops = [0, 1, 2, 3].map(httpLoop).concat([0, 1].map(grpcLoop));
    // Let the load run until both protocols have been acknowledged a few times.
    const deadline = Date.now() + 10_000;
    while ((outcomes.http.ok ?? 0) < 5 || (outcomes.grpc.ok ?? 0) < 5) {
      assert.ok(Date.now() < deadline, `no steady load: ${JSON.stringify(outcomes)}`);
      await sleep(20);
    }
    signalled = true;
    const exit = stopAugur(augur, 15_000);
    const { code, signal, timedOut } = await exit;
    stop = true;
    await Promise.all(loops);

    assert.equal(timedOut, false, `augur did not exit within 15 s of SIGTERM:\n${augur.stderr.slice(-2000)}`);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, augur.stderr.slice(-2000));
    assert.match(augur.stderr, /received SIGTERM/);
    assert.match(augur.stderr, /pipeline drained/);
    assert.match(augur.stderr, /stopped cleanly/);
    console.log(`# outcomes: ${JSON.stringify(outcomes)}`);
    assert.doesNotMatch(augur.stdout, /stopped cleanly/, 'logs belong on stderr, not with the listening line');
  });
});
