#include "sim/otlp_wire_encoder.h"

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

// Span and log record flags, as in the request builders: sampled, and whether the parent is
// remote.
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

void PutBytes(std::string& out, uint32_t field, std::span<const uint8_t> id) {
  PutLenField(out, field, std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

void PutAttribute(std::string& out, uint32_t field, const SimAttribute& a) {
  PutTag(out, field, kLen);
  PutVarint(out, KeyValueSize(a));
  PutLenField(out, 1, a.key);
  PutTag(out, 2, kLen);
  PutVarint(out, AnyValueSize(a));
  PutAnyValue(out, a);
}

// A length-delimited field whose content `build` appends (small nested messages: the content is
// built first to know its length).
template <typename Build>
void PutMessage(std::string& out, uint32_t field, Build&& build) {
  std::string inner;
  build(inner);
  PutLenField(out, field, inner);
}

void PutDouble(std::string& out, uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  PutFixed64(out, field, bits);
}

// A NumberDataPoint: start 2 (left out when 0), time 3, as_double 4 or as_int 6 (sfixed64).
struct NumberPoint {
  core::TimeNs start_ns = 0;
  core::TimeNs time_ns = 0;
  bool is_double = true;
  double as_double = 0;
  int64_t as_int = 0;
};

void PutNumberPoint(std::string& out, const NumberPoint& p) {
  PutMessage(out, 1, [&](std::string& o) {  // Gauge / Sum .data_points
    if (p.start_ns != 0) PutFixed64(o, 2, static_cast<uint64_t>(p.start_ns));
    PutFixed64(o, 3, static_cast<uint64_t>(p.time_ns));
    if (p.is_double) {
      PutDouble(o, 4, p.as_double);
    } else {
      PutFixed64(o, 6, static_cast<uint64_t>(p.as_int));
    }
  });
}

constexpr uint32_t kCumulative = 2;  // AggregationTemporality

// ScopeMetrics.metrics (2): a Metric with name 1, unit 3 and its data (gauge 5, sum 7,
// histogram 9) as `data` appends it.
template <typename Data>
void PutMetric(std::string& out, std::string_view name, std::string_view unit, Data&& data) {
  PutMessage(out, 2, [&](std::string& m) {
    PutLenField(m, 1, name);
    if (!unit.empty()) PutLenField(m, 3, unit);
    data(m);
  });
}

void PutGauge(std::string& out, std::string_view name, std::string_view unit,
              const NumberPoint& p) {
  PutMetric(out, name, unit, [&](std::string& m) {
    PutMessage(m, 5, [&](std::string& g) { PutNumberPoint(g, p); });
  });
}

void PutSum(std::string& out, std::string_view name, std::string_view unit, bool monotonic,
            const NumberPoint& p) {
  PutMetric(out, name, unit, [&](std::string& m) {
    PutMessage(m, 7, [&](std::string& sum) {
      PutNumberPoint(sum, p);
      PutTag(sum, 2, kVarint);
      PutVarint(sum, kCumulative);
      if (monotonic) {
        PutTag(sum, 3, kVarint);
        sum.push_back(1);
      }
    });
  });
}

std::span<const SimAttribute> AttributesOf(const TelemetryBuffer& buffer, uint32_t begin,
                                           uint32_t count) {
  return std::span<const SimAttribute>(buffer.attributes).subspan(begin, count);
}

}  // namespace

WireRequestFrame::WireRequestFrame(const OtlpResources* resources)
    : resources_(resources),
      records_(resources->resource_count()),
      instance_of_(resources->resource_count(), 0) {
  for (size_t i = 0; i < resources->resource_count(); ++i) {
    resource_bytes_.push_back(resources->resource(static_cast<int>(i)).SerializeAsString());
  }
  for (size_t i = 0; i < resources->size(); ++i) {
    scope_bytes_.push_back(resources->scope(static_cast<int>(i)).SerializeAsString());
  }
}

std::string& WireRequestFrame::Records(uint32_t instance, core::TimeNs t) {
  // A process's records carry the identity it had at their time.
  const auto resource =
      static_cast<uint32_t>(resources_->ResourceIndexAt(static_cast<int>(instance), t));
  std::string& out = records_[resource];
  if (out.empty()) {
    order_.push_back(resource);
    instance_of_[resource] = instance;
  }
  return out;
}

std::string WireRequestFrame::Finish() {
  auto scope_group_size = [&](uint32_t r) {
    return LenFieldSize(1, scope_bytes_[instance_of_[r]].size()) + records_[r].size();
  };
  auto resource_group_size = [&](uint32_t r) {
    return LenFieldSize(1, resource_bytes_[r].size()) + LenFieldSize(2, scope_group_size(r));
  };
  size_t total = 0;
  for (uint32_t r : order_) total += LenFieldSize(1, resource_group_size(r));
  std::string out;
  out.reserve(total);
  for (uint32_t r : order_) {
    PutTag(out, 1, kLen);
    PutVarint(out, resource_group_size(r));
    PutLenField(out, 1, resource_bytes_[r]);
    PutTag(out, 2, kLen);
    PutVarint(out, scope_group_size(r));
    PutLenField(out, 1, scope_bytes_[instance_of_[r]]);
    out.append(records_[r]);
    records_[r].clear();  // keeps its capacity for the next request
  }
  order_.clear();
  return out;
}

void TraceWireEncoder::Add(const TelemetryBuffer& buffer, const SimSpan& span) {
  const std::span<const SimAttribute> attributes =
      AttributesOf(buffer, span.attributes_begin, span.attributes_count);
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

  std::string& out = frame_.Records(span.instance, span.start_ns);
  PutTag(out, 2, kLen);  // ScopeSpans.spans
  PutVarint(out, size);
  PutBytes(out, 1, span.trace_id);
  PutBytes(out, 2, span.span_id);
  if (!root) PutBytes(out, 4, span.parent_span_id);
  PutLenField(out, 5, span.name);
  PutTag(out, 6, kVarint);
  PutVarint(out, static_cast<uint32_t>(span.kind));
  PutFixed64(out, 7, static_cast<uint64_t>(span.start_ns));
  PutFixed64(out, 8, static_cast<uint64_t>(span.end_ns));
  for (const SimAttribute& a : attributes) PutAttribute(out, 9, a);
  if (span.error) {
    PutTag(out, 15, kLen);
    PutVarint(out, status_size);
    if (!span.status_message.empty()) PutLenField(out, 2, span.status_message);
    PutTag(out, 3, kVarint);
    PutVarint(out, kStatusCodeError);
  }
  PutFixed32(out, 16, flags);
  ++spans_;
  if (root) ++roots_;
}

ExportPayload TraceWireEncoder::Take() {
  ExportPayload out;
  out.signal = Signal::kTraces;
  out.bytes = frame_.Finish();
  out.items = spans_;
  out.roots = roots_;
  spans_ = roots_ = 0;
  return out;
}

void LogWireEncoder::Add(const TelemetryBuffer& buffer, const SimLogRecord& record) {
  const std::span<const SimAttribute> attributes =
      AttributesOf(buffer, record.attributes_begin, record.attributes_count);
  // A Collector's filelog or SDK exporter sees the record a little after it was written.
  const uint64_t observed_ns = static_cast<uint64_t>(record.time_ns) + 250'000;
  // LogRecord fields in number order: time 1, severity_number 2, severity_text 3, body 5
  // (an AnyValue with string_value 1), attributes 6, flags 8, trace_id 9, span_id 10,
  // observed time 11. Zero and empty scalars are left out, as proto3 does.
  const size_t body_size = LenFieldSize(1, record.body.size());
  size_t size = TagSize(1) + 8 + LenFieldSize(5, body_size) + TagSize(11) + 8;
  if (record.severity_number != 0) size += TagSize(2) + VarintSize(record.severity_number);
  if (!record.severity_text.empty()) size += LenFieldSize(3, record.severity_text.size());
  for (const SimAttribute& a : attributes) size += LenFieldSize(6, KeyValueSize(a));
  if (record.in_span) {
    size += TagSize(8) + 4 + LenFieldSize(9, record.trace_id.size()) +
            LenFieldSize(10, record.span_id.size());
  }

  std::string& out = frame_.Records(record.instance, record.time_ns);
  PutTag(out, 2, kLen);  // ScopeLogs.log_records
  PutVarint(out, size);
  PutFixed64(out, 1, static_cast<uint64_t>(record.time_ns));
  if (record.severity_number != 0) {
    PutTag(out, 2, kVarint);
    PutVarint(out, record.severity_number);
  }
  if (!record.severity_text.empty()) PutLenField(out, 3, record.severity_text);
  PutTag(out, 5, kLen);
  PutVarint(out, body_size);
  PutLenField(out, 1, record.body);
  for (const SimAttribute& a : attributes) PutAttribute(out, 6, a);
  if (record.in_span) {
    PutFixed32(out, 8, kSampled);
    PutBytes(out, 9, record.trace_id);
    PutBytes(out, 10, record.span_id);
  }
  PutFixed64(out, 11, observed_ns);
  ++records_;
}

ExportPayload LogWireEncoder::Take() {
  ExportPayload out;
  out.signal = Signal::kLogs;
  out.bytes = frame_.Finish();
  out.items = records_;
  records_ = 0;
  return out;
}

void MetricWireEncoder::Add(const SimInstanceMetrics& m) {
  std::string& out = frame_.Records(m.instance, m.time_ns);
  const core::TimeNs t = m.time_ns;
  PutGauge(out, "process.cpu.utilization", "1", {.time_ns = t, .as_double = m.cpu_utilization});
  PutSum(out, "process.cpu.time", "s", /*monotonic=*/true,
         {.start_ns = m.start_ns, .time_ns = t, .as_double = m.cpu_time_s});
  PutGauge(out, "container.cpu.throttling_ratio", "1",
           {.time_ns = t, .as_double = m.throttling_ratio});
  PutSum(out, "process.memory.usage", "By", /*monotonic=*/false,
         {.start_ns = m.start_ns, .time_ns = t, .is_double = false, .as_int = m.memory_bytes});
  // HistogramDataPoint: start 2, time 3, count 4 (left out when 0), sum 5 (optional: always
  // written once set), bucket_counts 6 and explicit_bounds 7 (packed), attributes 9.
  PutMetric(out, m.java ? "jvm.gc.duration" : "process.runtime.gc.pause", "s", [&](std::string& h) {
    PutMessage(h, 9, [&](std::string& hist) {
      PutMessage(hist, 1, [&](std::string& p) {
        PutFixed64(p, 2, static_cast<uint64_t>(m.start_ns));
        PutFixed64(p, 3, static_cast<uint64_t>(t));
        if (m.gc_count != 0) PutFixed64(p, 4, m.gc_count);
        PutDouble(p, 5, m.gc_sum_s);
        if (!m.gc_bucket_counts.empty()) {
          PutTag(p, 6, kLen);
          PutVarint(p, 8 * m.gc_bucket_counts.size());
          p.append(reinterpret_cast<const char*>(m.gc_bucket_counts.data()),
                   8 * m.gc_bucket_counts.size());
        }
        if (!m.gc_bounds_s.empty()) {
          PutTag(p, 7, kLen);
          PutVarint(p, 8 * m.gc_bounds_s.size());
          p.append(reinterpret_cast<const char*>(m.gc_bounds_s.data()), 8 * m.gc_bounds_s.size());
        }
        if (m.java) {
          SimAttribute name, action;
          name.key = "jvm.gc.name";
          name.string_value = "G1 Young Generation";
          action.key = "jvm.gc.action";
          action.string_value = "end of minor GC";
          PutAttribute(p, 9, name);
          PutAttribute(p, 9, action);
        }
      });
      PutTag(hist, 2, kVarint);
      PutVarint(hist, kCumulative);
    });
  });
  PutGauge(out, "queue.depth", "{request}",
           {.time_ns = t, .is_double = false, .as_int = m.queue_depth});
  PutSum(out, "app.server.requests", "{request}", /*monotonic=*/true,
         {.start_ns = m.start_ns, .time_ns = t, .is_double = false, .as_int = m.requests_total});
  points_ += kRuntimeMetricsPerInstance;
}

ExportPayload MetricWireEncoder::Take() {
  ExportPayload out;
  out.signal = Signal::kMetrics;
  out.bytes = frame_.Finish();
  out.items = points_;
  points_ = 0;
  return out;
}

}  // namespace augur::sim
