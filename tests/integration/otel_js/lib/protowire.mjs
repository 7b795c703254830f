// A few lines of protobuf wire format, enough to craft OTLP request bodies byte by byte (including
// bodies a real SDK would never produce, such as a span name that is not UTF-8) and to read the
// small responses Augur sends back (ExportTraceServiceResponse, google.rpc.Status).

// One field = tag + payload. Messages are concatenations of fields.
function varint(value) {
  let v = BigInt(value);
  const out = [];
  while (v > 0x7fn) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

function tag(field, wireType) {
  return varint((field << 3) | wireType);
}

export function bytesField(field, bytes) {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return Buffer.concat([tag(field, 2), varint(b.length), b]);
}

export function stringField(field, s) {
  return bytesField(field, Buffer.from(s, 'utf8'));
}

export function messageField(field, ...parts) {
  return bytesField(field, Buffer.concat(parts));
}

export function varintField(field, value) {
  return Buffer.concat([tag(field, 0), varint(value)]);
}

export function fixed64Field(field, value) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return Buffer.concat([tag(field, 1), b]);
}

export function doubleField(field, value) {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([tag(field, 1), b]);
}

// Decodes one message level into {field: [values]}: varints as BigInt, length-delimited fields as
// Buffers (decode nested messages with another call), fixed64/fixed32 as Buffers.
export function decodeFields(buf) {
  const fields = {};
  let i = 0;
  const readVarint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const byte = buf[i++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wireType = key & 7;
    let value;
    if (wireType === 0) {
      value = readVarint();
    } else if (wireType === 2) {
      const len = Number(readVarint());
      if (i + len > buf.length) throw new Error('truncated length-delimited field');
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wireType === 1) {
      value = buf.subarray(i, i + 8);
      i += 8;
    } else if (wireType === 5) {
      value = buf.subarray(i, i + 4);
      i += 4;
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
    (fields[field] ??= []).push(value);
  }
  return fields;
}

// --- OTLP trace requests (opentelemetry/proto/trace/v1/trace.proto field numbers) ---

export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 };

function attributes(field, attrs) {
  return Object.entries(attrs ?? {}).map(([k, v]) => {
    const any = typeof v === 'number' ? varintField(3, v) : stringField(1, v);
    return messageField(field, stringField(1, k), messageField(2, any));
  });
}
// span: {traceId: Buffer, spanId: Buffer, parentSpanId?: Buffer, name: string | Buffer (raw bytes),
//        kind, startNs: bigint, endNs: bigint, status?: StatusCode, attributes?: {k: v}}
export function encodeSpan(span) {
  const name = Buffer.isBuffer(span.name) ? span.name : Buffer.from(span.name, 'utf8');
  const parts = [
    bytesField(1, span.traceId),
    bytesField(2, span.spanId),
  ];
  if (span.parentSpanId) parts.push(bytesField(4, span.parentSpanId));
  parts.push(bytesField(5, name));
  parts.push(varintField(6, span.kind ?? SpanKind.INTERNAL));
  parts.push(fixed64Field(7, span.startNs));
  parts.push(fixed64Field(8, span.endNs));
  parts.push(...attributes(9, span.attributes));
  if (span.status) parts.push(messageField(15, varintField(3, span.status)));
  return Buffer.concat(parts);
}

// resources: [{serviceName, spans: [span]}] -> ExportTraceServiceRequest bytes.
export function encodeTraceRequest(resources) {
  return Buffer.concat(
    resources.map((r) =>
      messageField(
        1,
        messageField(1, ...attributes(1, { 'service.name': r.serviceName, ...r.attributes })),
        messageField(
          2,
          messageField(1, stringField(1, 'augur-integration-test'), stringField(2, '1.0.0')),
          ...r.spans.map((s) => messageField(2, encodeSpan(s))),
        ),
      ),
    ),
  );
}

// ExportTraceServiceResponse -> {rejectedSpans: number, errorMessage: string} (zeros when absent).
export function decodeTraceResponse(buf) {
  const top = decodeFields(buf);
  if (!top[1]) return { rejectedSpans: 0, errorMessage: '' };
  const partial = decodeFields(top[1][0]);
  return {
    rejectedSpans: Number(partial[1]?.[0] ?? 0n),
    errorMessage: partial[2]?.[0]?.toString('utf8') ?? '',
  };
}

// google.rpc.Status -> {code, message}.
export function decodeStatus(buf) {
  const f = decodeFields(buf);
  return { code: Number(f[1]?.[0] ?? 0n), message: f[2]?.[0]?.toString('utf8') ?? '' };
}
