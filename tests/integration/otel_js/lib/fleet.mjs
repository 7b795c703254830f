// A small shop fleet traced with the real OpenTelemetry JS SDK: three instrumented services, each
// with its own TracerProvider and Resource, calling each other with W3C trace context propagated
// between the providers as it would be over HTTP headers. Every span has explicit start and end
// times, so counts, errors and latencies are known exactly (EXPECTED below).
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

// What one service sends with its outgoing request, and what the callee makes of it.
function overTheWire(clientSpan) {
  const headers = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, clientSpan), headers, defaultTextMapSetter);
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

const within = (span) => trace.setSpan(ROOT_CONTEXT, span);

function fail(span, message) {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

export const CHECKOUT_TRACES = 40;
export const PRODUCT_TRACES = 10;
// Checkout traces whose card payment fails (7 of 40): the error travels up to the frontend's
// client span; the frontend's own server span fails in FRONTEND_FAILS of them only.
export const PAYMENT_FAILS = new Set([0, 6, 12, 18, 24, 30, 36]);
export const FRONTEND_FAILS = new Set([0, 12, 24]);
// Database errors (4 of 40) that payment handles (retries elsewhere): only the DB span fails.
export const DB_FAILS = new Set([5, 15, 25, 35]);
// Traces in which checkout also asks an uninstrumented cache with no peer attribute: unpaired.
export const CACHE_CALLS = 5;

// Emits the fleet's spans through the tracers of `frontend`, `checkout`, `payment`. Times are
// epoch milliseconds from `baseMs`.
export function emitFleet({ frontend, checkout, payment }, baseMs) {
  for (let i = 0; i < CHECKOUT_TRACES; i++) {
    const t0 = baseMs + i * 50;
    const paymentFails = PAYMENT_FAILS.has(i);

    const fs = frontend.startSpan(
      'GET /cart/checkout',
      { kind: SpanKind.SERVER, startTime: t0, attributes: { 'http.request.method': 'GET' } },
      ROOT_CONTEXT,
    );
    const fc = frontend.startSpan(
      'POST /checkout',
      { kind: SpanKind.CLIENT, startTime: t0 + 10, attributes: { 'http.request.method': 'POST' } },
      within(fs),
    );
    const cs = checkout.startSpan(
      'POST /checkout',
      { kind: SpanKind.SERVER, startTime: t0 + 15 },
      overTheWire(fc),
    );
    if (i < CACHE_CALLS) {
      const cache = checkout.startSpan(
        'cache GET',
        { kind: SpanKind.CLIENT, startTime: t0 + 16 },
        within(cs),
      );
      cache.end(t0 + 18);
    }
    const cc = checkout.startSpan(
      'payment.Charge',
      { kind: SpanKind.CLIENT, startTime: t0 + 20 },
      within(cs),
    );
    const ps = payment.startSpan(
      'payment.Charge',
      { kind: SpanKind.SERVER, startTime: t0 + 25 },
      overTheWire(cc),
    );
    const db = payment.startSpan(
      'SELECT orders',
      {
        kind: SpanKind.CLIENT,
        startTime: t0 + 26,
        attributes: { 'db.system': 'postgresql', 'db.namespace': 'orders' },
      },
      within(ps),
    );
    if (DB_FAILS.has(i)) fail(db, 'deadlock detected');
    db.end(t0 + 31); // 5 ms
    const gw = payment.startSpan(
      'POST /v1/charges',
      {
        kind: SpanKind.CLIENT,
        startTime: t0 + 33,
        attributes: { 'peer.service': 'card-gateway', 'http.request.method': 'POST' },
      },
      within(ps),
    );
    if (paymentFails) {
      fail(gw, 'card declined');
      fail(ps, 'card declined');
      fail(cc, 'payment failed');
      fail(cs, 'payment failed');
      fail(fc, 'checkout failed');
    }
    if (FRONTEND_FAILS.has(i)) fail(fs, 'checkout failed');
    gw.end(t0 + 48); // 15 ms
    ps.end(t0 + 55); // 30 ms
    cc.end(t0 + 80); // 60 ms
    cs.end(t0 + 135); // 120 ms
    fc.end(t0 + 160); // 150 ms
    fs.end(t0 + 250); // 250 ms
  }
  for (let i = 0; i < PRODUCT_TRACES; i++) {
    const t0 = baseMs + 2_500 + i * 20;
    const s = frontend.startSpan('GET /products', { kind: SpanKind.SERVER, startTime: t0 }, ROOT_CONTEXT);
    const r = frontend.startSpan(
      'render products',
      { kind: SpanKind.INTERNAL, startTime: t0 + 2 },
      within(s),
    );
    r.end(t0 + 9); // 7 ms
    s.end(t0 + 12); // 12 ms
  }
}

const n = CHECKOUT_TRACES;
const payFails = PAYMENT_FAILS.size;

// operations per service: [span_name, span_kind, calls, errors]
export const EXPECTED_OPERATIONS = {
  checkout: [
    ['POST /checkout', 'SPAN_KIND_SERVER', n, payFails],
    ['cache GET', 'SPAN_KIND_CLIENT', CACHE_CALLS, 0],
    ['payment.Charge', 'SPAN_KIND_CLIENT', n, payFails],
  ],
  frontend: [
    ['GET /cart/checkout', 'SPAN_KIND_SERVER', n, FRONTEND_FAILS.size],
    ['GET /products', 'SPAN_KIND_SERVER', PRODUCT_TRACES, 0],
    ['POST /checkout', 'SPAN_KIND_CLIENT', n, payFails],
    ['render products', 'SPAN_KIND_INTERNAL', PRODUCT_TRACES, 0],
  ],
  payment: [
    ['POST /v1/charges', 'SPAN_KIND_CLIENT', n, payFails],
    ['SELECT orders', 'SPAN_KIND_CLIENT', n, DB_FAILS.size],
    ['payment.Charge', 'SPAN_KIND_SERVER', n, payFails],
  ],
};

// /api/v1/services: name, spans_total, requests_total, errors_total, operations
export const EXPECTED_SERVICES = [
  { name: 'checkout', spans_total: 2 * n + CACHE_CALLS, requests_total: n, errors_total: payFails, operations: 3 },
  {
    name: 'frontend',
    spans_total: 2 * n + 2 * PRODUCT_TRACES,
    requests_total: n + PRODUCT_TRACES,
    errors_total: FRONTEND_FAILS.size,
    operations: 4,
  },
  { name: 'payment', spans_total: 3 * n, requests_total: n, errors_total: payFails, operations: 3 },
];

export const EXPECTED_SPANS = EXPECTED_SERVICES.reduce((sum, s) => sum + s.spans_total, 0);

// /api/v1/graph edges (sorted by client, server, connection_type) with the client-side latency
// bucket (ms) their p50 must fall in; user edges have no client side.
export const EXPECTED_EDGES = [
  { client: 'checkout', server: 'payment', connection_type: '', requests_total: n, failed_total: payFails, p50: [50, 100] },
  { client: 'frontend', server: 'checkout', connection_type: '', requests_total: n, failed_total: payFails, p50: [100, 200] },
  { client: 'payment', server: 'card-gateway', connection_type: 'virtual_node', requests_total: n, failed_total: payFails, p50: [10, 50] },
  { client: 'payment', server: 'postgresql', connection_type: 'database', requests_total: n, failed_total: DB_FAILS.size, p50: [4, 6] },
  {
    client: 'user',
    server: 'frontend',
    connection_type: 'virtual_node',
    requests_total: n + PRODUCT_TRACES,
    failed_total: FRONTEND_FAILS.size,
    p50: null,
  },
];

export const EXPECTED_NODES = [
  { id: 'card-gateway', kind: 'virtual' },
  { id: 'checkout', kind: 'service' },
  { id: 'frontend', kind: 'service' },
  { id: 'payment', kind: 'service' },
  { id: 'postgresql', kind: 'virtual' },
  { id: 'user', kind: 'virtual' },
];
