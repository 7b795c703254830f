#include "sim/trace_wire_encoder.h"

#include <cstring>
#include <span>
#include <string_view>

namespace augur::sim {

namespace {

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLen = 2;
constexpr uint32_t kFixed32 = 5;

// Span flags, as in TraceRequestBuilder: sampled, and whether the parent is remote.
constexpr uint32_t kSampled = 0x01;
constexpr uint32_t kHasIsRemote = 0x100;
constexpr uint32_t kIsRemote = 0x200;
constexpr uint32_t kStatusCodeError = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

size_t TagSize(uint32_t field) { return VarintSize(field << 3); }

// A length-delimited field of `len` bytes.
size_t LenFieldSize(uint32_t field, size_t len) { return TagSize(field) + VarintSize(len) + len; }

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutTag(std::string& out, uint32_t field, uint32_t wire_type) {
  PutVarint(out, field << 3 | wire_type);
}

void PutLenField(std::string& out, uint32_t field, std::string_view bytes) {
  PutTag(out, field, kLen);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

void PutFixed64(std::string& out, uint32_t field, uint64_t v) {
  PutTag(out, field, kFixed64);
  char b[8];
  std::memcpy(b, &v, 8);  // little-endian hosts only, as the rest of Augur
  out.append(b, 8);
}

void PutFixed32(std::string& out, uint32_t field, uint32_t v) {
  PutTag(out, field, kFixed32);
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

// AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4 (a oneof, so
// written even when zero).
size_t AnyValueSize(const SimAttribute& a) {
  switch (a.type) {
    case SimAttribute::Type::kString:
      return LenFieldSize(1, a.string_value.size());
    case SimAttribute::Type::kBool:
      return TagSize(2) + 1;
    case SimAttribute::Type::kInt:
      return TagSize(3) + VarintSize(static_cast<uint64_t>(a.int_value));
    case SimAttribute::Type::kDouble:
      return TagSize(4) + 8;
  }
  return 0;
}

void PutAnyValue(std::string& out, const SimAttribute& a) {
  switch (a.type) {
    case SimAttribute::Type::kString:
      PutLenField(out, 1, a.string_value);
      break;
    case SimAttribute::Type::kBool:
      PutTag(out, 2, kVarint);
      out.push_back(a.int_value != 0 ? 1 : 0);
      break;
    case SimAttribute::Type::kInt:
      PutTag(out, 3, kVarint);
      PutVarint(out, static_cast<uint64_t>(a.int_value));
      break;
    case SimAttribute::Type::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &a.double_value, 8);
      PutFixed64(out, 4, bits);
      break;
    }
  }
}

// KeyValue: key = 1, value = 2.
size_t KeyValueSize(const SimAttribute& a) {
  return LenFieldSize(1, a.key.size()) + LenFieldSize(2, AnyValueSize(a));
}

}  // namespace

TraceWireEncoder::TraceWireEncoder(const OtlpResources* resources)
    : spans_bytes_(resources->size()) {
  for (size_t i = 0; i < resources->size(); ++i) {
    resource_bytes_.push_back(resources->resource(static_cast<int>(i)).SerializeAsString());
    scope_bytes_.push_back(resources->scope(static_cast<int>(i)).SerializeAsString());
  }
}

void TraceWireEncoder::Add(const TelemetryBuffer& buffer, const SimSpan& span) {
  const std::span<const SimAttribute> attributes =
      std::span<const SimAttribute>(buffer.attributes)
          .subspan(span.attributes_begin, span.attributes_count);
  const bool root = model::IsZeroId(span.parent_span_id);
  const bool remote_parent =
      !root && (span.kind == SimSpanKind::kServer || span.kind == SimSpanKind::kConsumer);
  const uint32_t flags = kSampled | kHasIsRemote | (remote_parent ? kIsRemote : 0);

  // Span fields in number order, as protobuf serializes them: trace_id 1, span_id 2,
  // parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9, status 15, flags 16.
  size_t status_size = 0;
  if (span.error) {
    status_size = (span.status_message.empty() ? 0 : LenFieldSize(2, span.status_message.size())) +
                  TagSize(3) + VarintSize(kStatusCodeError);
  }
  size_t size = LenFieldSize(1, span.trace_id.size()) + LenFieldSize(2, span.span_id.size()) +
                (root ? 0 : LenFieldSize(4, span.parent_span_id.size())) +
                LenFieldSize(5, span.name.size()) + TagSize(6) +
                VarintSize(static_cast<uint32_t>(span.kind)) + 2 * (TagSize(7) + 8) +
                (span.error ? LenFieldSize(15, status_size) : 0) + TagSize(16) + 4;
  for (const SimAttribute& a : attributes) size += LenFieldSize(9, KeyValueSize(a));

  if (spans_bytes_[span.instance].empty()) order_.push_back(span.instance);
  std::string& out = spans_bytes_[span.instance];
  PutTag(out, 2, kLen);  // ScopeSpans.spans
  PutVarint(out, size);
  PutLenField(
      out, 1,
      std::string_view(reinterpret_cast<const char*>(span.trace_id.data()), span.trace_id.size()));
  PutLenField(
      out, 2,
      std::string_view(reinterpret_cast<const char*>(span.span_id.data()), span.span_id.size()));
  if (!root) {
    PutLenField(out, 4,
                std::string_view(reinterpret_cast<const char*>(span.parent_span_id.data()),
                                 span.parent_span_id.size()));
  }
  PutLenField(out, 5, span.name);
  PutTag(out, 6, kVarint);
  PutVarint(out, static_cast<uint32_t>(span.kind));
  PutFixed64(out, 7, static_cast<uint64_t>(span.start_ns));
  PutFixed64(out, 8, static_cast<uint64_t>(span.end_ns));
  for (const SimAttribute& a : attributes) {
    PutTag(out, 9, kLen);
    PutVarint(out, KeyValueSize(a));
    PutLenField(out, 1, a.key);
    PutTag(out, 2, kLen);
    PutVarint(out, AnyValueSize(a));
    PutAnyValue(out, a);
  }
  if (span.error) {
    PutTag(out, 15, kLen);
    PutVarint(out, status_size);
    if (!span.status_message.empty()) PutLenField(out, 2, span.status_message);
    PutTag(out, 3, kVarint);
    PutVarint(out, kStatusCodeError);
  }
  PutFixed32(out, 16, flags);
  ++spans_;
}

std::string TraceWireEncoder::Finish() {
  // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans: resource = 1, scope_spans = 2;
  // ScopeSpans: scope = 1, spans = 2 (already encoded).
  size_t total = 0;
  for (uint32_t i : order_) {
    const size_t scope_spans = LenFieldSize(1, scope_bytes_[i].size()) + spans_bytes_[i].size();
    const size_t resource_spans =
        LenFieldSize(1, resource_bytes_[i].size()) + LenFieldSize(2, scope_spans);
    total += LenFieldSize(1, resource_spans);
  }
  std::string out;
  out.reserve(total);
  for (uint32_t i : order_) {
    const size_t scope_spans = LenFieldSize(1, scope_bytes_[i].size()) + spans_bytes_[i].size();
    const size_t resource_spans =
        LenFieldSize(1, resource_bytes_[i].size()) + LenFieldSize(2, scope_spans);
    PutTag(out, 1, kLen);
    PutVarint(out, resource_spans);
    PutLenField(out, 1, resource_bytes_[i]);
    PutTag(out, 2, kLen);
    PutVarint(out, scope_spans);
    PutLenField(out, 1, scope_bytes_[i]);
    out.append(spans_bytes_[i]);
    spans_bytes_[i].clear();
  }
  order_.clear();
  spans_ = 0;
  return out;
}

}  // namespace augur::sim
