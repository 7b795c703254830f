#include "sim/otlp_request_builder.h"

#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

namespace augur::sim {

namespace {

using google::protobuf::Arena;
using google::protobuf::RepeatedPtrField;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::KeyValue;
namespace trace_pb = opentelemetry::proto::trace::v1;
namespace logs_pb = opentelemetry::proto::logs::v1;
namespace metrics_pb = opentelemetry::proto::metrics::v1;

// W3C trace flags: sampled.
constexpr uint32_t kSampled = 0x01;
// OTLP span flags bits 8 and 9: whether the parent is known to be local or remote.
constexpr uint32_t kHasIsRemote = 0x100;
constexpr uint32_t kIsRemote = 0x200;

void CopyAttributes(std::span<const SimAttribute> attributes, RepeatedPtrField<KeyValue>* out) {
  out->Reserve(static_cast<int>(attributes.size()));
  for (const SimAttribute& a : attributes) {
    KeyValue* kv = out->Add();
    kv->set_key(a.key.data(), a.key.size());
    auto* value = kv->mutable_value();
    switch (a.type) {
      case SimAttribute::Type::kString:
        value->set_string_value(a.string_value.data(), a.string_value.size());
        break;
      case SimAttribute::Type::kInt:
        value->set_int_value(a.int_value);
        break;
      case SimAttribute::Type::kDouble:
        value->set_double_value(a.double_value);
        break;
      case SimAttribute::Type::kBool:
        value->set_bool_value(a.int_value != 0);
        break;
    }
  }
}

std::span<const SimAttribute> AttributesOf(const TelemetryBuffer& buffer, uint32_t begin,
                                           uint32_t count) {
  return std::span<const SimAttribute>(buffer.attributes).subspan(begin, count);
}

void SetGauge(metrics_pb::Metric* m, std::string_view name, std::string_view unit, double value,
              core::TimeNs t) {
  m->set_name(name.data(), name.size());
  m->set_unit(unit.data(), unit.size());
  auto* p = m->mutable_gauge()->add_data_points();
  p->set_time_unix_nano(static_cast<uint64_t>(t));
  p->set_as_double(value);
}

void SetIntGauge(metrics_pb::Metric* m, std::string_view name, std::string_view unit, int64_t value,
                 core::TimeNs t) {
  m->set_name(name.data(), name.size());
  m->set_unit(unit.data(), unit.size());
  auto* p = m->mutable_gauge()->add_data_points();
  p->set_time_unix_nano(static_cast<uint64_t>(t));
  p->set_as_int(value);
}

// A cumulative sum; `value` is an int64_t or a double.
template <typename T>
void SetSum(metrics_pb::Metric* m, std::string_view name, std::string_view unit, bool monotonic,
            T value, core::TimeNs start, core::TimeNs t) {
  m->set_name(name.data(), name.size());
  m->set_unit(unit.data(), unit.size());
  auto* sum = m->mutable_sum();
  sum->set_aggregation_temporality(metrics_pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->set_is_monotonic(monotonic);
  auto* p = sum->add_data_points();
  p->set_start_time_unix_nano(static_cast<uint64_t>(start));
  p->set_time_unix_nano(static_cast<uint64_t>(t));
  if constexpr (std::is_same_v<T, double>) {
    p->set_as_double(value);
  } else {
    p->set_as_int(value);
  }
}

}  // namespace

std::unique_ptr<Arena> NewRequestArena() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return std::make_unique<Arena>(options);
}

void TraceRequestBuilder::Add(const TelemetryBuffer& buffer, const SimSpan& span) {
  trace_pb::ScopeSpans* scope_spans =
      request_.ScopeFor(span.instance, span.start_ns, [](ExportTraceServiceRequest* request) {
        trace_pb::ResourceSpans* group = request->add_resource_spans();
        return std::pair(group->mutable_resource(), group->add_scope_spans());
      });
  trace_pb::Span* s = scope_spans->add_spans();
  s->set_trace_id(reinterpret_cast<const char*>(span.trace_id.data()), span.trace_id.size());
  s->set_span_id(reinterpret_cast<const char*>(span.span_id.data()), span.span_id.size());
  const bool root = model::IsZeroId(span.parent_span_id);
  if (!root) {
    s->set_parent_span_id(reinterpret_cast<const char*>(span.parent_span_id.data()),
                          span.parent_span_id.size());
  }
  // A SERVER or CONSUMER span's parent lives in another process.
  const bool remote_parent =
      !root && (span.kind == SimSpanKind::kServer || span.kind == SimSpanKind::kConsumer);
  s->set_flags(kSampled | kHasIsRemote | (remote_parent ? kIsRemote : 0));
  s->set_name(span.name.data(), span.name.size());
  s->set_kind(static_cast<trace_pb::Span::SpanKind>(span.kind));
  s->set_start_time_unix_nano(static_cast<uint64_t>(span.start_ns));
  s->set_end_time_unix_nano(static_cast<uint64_t>(span.end_ns));
  CopyAttributes(AttributesOf(buffer, span.attributes_begin, span.attributes_count),
                 s->mutable_attributes());
  if (span.error) {
    auto* status = s->mutable_status();
    status->set_code(trace_pb::Status::STATUS_CODE_ERROR);
    status->set_message(span.status_message.data(), span.status_message.size());
  }
  ++request_.payload().items;
  if (root) ++request_.payload().roots;
}

void LogRequestBuilder::Add(const TelemetryBuffer& buffer, const SimLogRecord& record) {
  logs_pb::ScopeLogs* scope_logs =
      request_.ScopeFor(record.instance, record.time_ns, [](ExportLogsServiceRequest* request) {
        logs_pb::ResourceLogs* group = request->add_resource_logs();
        return std::pair(group->mutable_resource(), group->add_scope_logs());
      });
  logs_pb::LogRecord* r = scope_logs->add_log_records();
  r->set_time_unix_nano(static_cast<uint64_t>(record.time_ns));
  // A Collector's filelog or SDK exporter sees the record a little after it was written.
  r->set_observed_time_unix_nano(static_cast<uint64_t>(record.time_ns) + 250'000);
  r->set_severity_number(static_cast<logs_pb::SeverityNumber>(record.severity_number));
  r->set_severity_text(record.severity_text.data(), record.severity_text.size());
  r->mutable_body()->set_string_value(record.body.data(), record.body.size());
  if (record.in_span) {
    r->set_trace_id(reinterpret_cast<const char*>(record.trace_id.data()), record.trace_id.size());
    r->set_span_id(reinterpret_cast<const char*>(record.span_id.data()), record.span_id.size());
    r->set_flags(kSampled);
  }
  CopyAttributes(AttributesOf(buffer, record.attributes_begin, record.attributes_count),
                 r->mutable_attributes());
  ++request_.payload().items;
}

void MetricRequestBuilder::Add(const SimInstanceMetrics& m) {
  metrics_pb::ScopeMetrics* sm =
      request_.ScopeFor(m.instance, m.time_ns, [](ExportMetricsServiceRequest* request) {
        metrics_pb::ResourceMetrics* group = request->add_resource_metrics();
        return std::pair(group->mutable_resource(), group->add_scope_metrics());
      });
  SetGauge(sm->add_metrics(), "process.cpu.utilization", "1", m.cpu_utilization, m.time_ns);
  SetSum(sm->add_metrics(), "process.cpu.time", "s", /*monotonic=*/true, m.cpu_time_s, m.start_ns,
         m.time_ns);
  SetGauge(sm->add_metrics(), "container.cpu.throttling_ratio", "1", m.throttling_ratio, m.time_ns);
  SetSum(sm->add_metrics(), "process.memory.usage", "By", /*monotonic=*/false, m.memory_bytes,
         m.start_ns, m.time_ns);

  metrics_pb::Metric* gc = sm->add_metrics();
  gc->set_name(m.java ? "jvm.gc.duration" : "process.runtime.gc.pause");
  gc->set_unit("s");
  auto* hist = gc->mutable_histogram();
  hist->set_aggregation_temporality(metrics_pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* hp = hist->add_data_points();
  hp->set_start_time_unix_nano(static_cast<uint64_t>(m.start_ns));
  hp->set_time_unix_nano(static_cast<uint64_t>(m.time_ns));
  hp->set_count(m.gc_count);
  hp->set_sum(m.gc_sum_s);
  for (uint64_t c : m.gc_bucket_counts) hp->add_bucket_counts(c);
  for (double b : m.gc_bounds_s) hp->add_explicit_bounds(b);
  if (m.java) {
    auto* name = hp->add_attributes();
    name->set_key("jvm.gc.name");
    name->mutable_value()->set_string_value("G1 Young Generation");
    auto* action = hp->add_attributes();
    action->set_key("jvm.gc.action");
    action->mutable_value()->set_string_value("end of minor GC");
  }

  SetIntGauge(sm->add_metrics(), "queue.depth", "{request}", m.queue_depth, m.time_ns);
  SetSum(sm->add_metrics(), "app.server.requests", "{request}", /*monotonic=*/true,
         m.requests_total, m.start_ns, m.time_ns);
  request_.payload().items += kRuntimeMetricsPerInstance;
}

}  // namespace augur::sim
