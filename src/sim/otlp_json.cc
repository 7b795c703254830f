#include "sim/otlp_json.h"

#include <cmath>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "core/base64.h"
#include "core/json_text.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

void AppendHex(std::string_view bytes, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
}

// Rewrites the base64 values of the id fields as hex. The printer writes `"traceId":"..."` with
// no spaces; the same characters inside a string value would be escaped (\"), so a plain scan
// finds only real fields.
absl::StatusOr<std::string> HexIds(std::string_view json) {
  static constexpr std::string_view kKeys[] = {"\"traceId\":\"", "\"spanId\":\"",
                                               "\"parentSpanId\":\""};
  std::string out;
  out.reserve(json.size() + json.size() / 8);
  size_t i = 0;
  while (i < json.size()) {
    size_t next = std::string_view::npos;
    std::string_view key;
    for (std::string_view k : kKeys) {
      const size_t at = json.find(k, i);
      if (at < next) {
        next = at;
        key = k;
      }
    }
    if (next == std::string_view::npos) {
      out.append(json.substr(i));
      break;
    }
    const size_t value_begin = next + key.size();
    const size_t value_end = json.find('"', value_begin);
    if (value_end == std::string_view::npos) return absl::InternalError("OTLP/JSON: torn id field");
    out.append(json.substr(i, value_begin - i));
    std::optional<std::string> bytes =
        core::Base64Decode(json.substr(value_begin, value_end - value_begin));
    if (!bytes.has_value()) return absl::InternalError("OTLP/JSON: id is not base64");
    AppendHex(*bytes, out);
    i = value_end;
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// Rewrites the hex values of the id fields as base64, for the protobuf JSON parser. Tolerates
// whitespace around the colon; a key inside a string value is escaped (\"traceId\") and skipped.
absl::StatusOr<std::string> Base64Ids(std::string_view json) {
  static constexpr std::string_view kKeys[] = {"\"traceId\"", "\"spanId\"", "\"parentSpanId\""};
  std::string out;
  out.reserve(json.size());
  size_t i = 0;
  for (;;) {
    size_t next = std::string_view::npos;
    std::string_view key;
    for (std::string_view k : kKeys) {
      const size_t at = json.find(k, i);
      if (at < next) {
        next = at;
        key = k;
      }
    }
    if (next == std::string_view::npos) {
      out.append(json.substr(i));
      return out;
    }
    size_t j = next + key.size();
    if (next > 0 && json[next - 1] == '\\') {
      out.append(json.substr(i, j - i));
      i = j;
      continue;
    }
    j = SkipSpace(json, j);
    if (j >= json.size() || json[j] != ':') {
      out.append(json.substr(i, j - i));
      i = j;
      continue;
    }
    j = SkipSpace(json, j + 1);
    if (j >= json.size() || json[j] != '"') {
      out.append(json.substr(i, j - i));
      i = j;
      continue;
    }
    const size_t value_begin = j + 1;
    const size_t value_end = json.find('"', value_begin);
    if (value_end == std::string_view::npos) {
      return absl::InvalidArgumentError("OTLP/JSON: unterminated id");
    }
    const std::string_view hex = json.substr(value_begin, value_end - value_begin);
    if (hex.size() % 2 != 0) {
      return absl::InvalidArgumentError(Cat("OTLP/JSON: id \"", hex, "\" is not hex"));
    }
    std::string bytes;
    for (size_t k = 0; k < hex.size(); k += 2) {
      const int hi = HexDigit(hex[k]), lo = HexDigit(hex[k + 1]);
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(Cat("OTLP/JSON: id \"", hex, "\" is not hex"));
      }
      bytes.push_back(static_cast<char>(hi << 4 | lo));
    }
    out.append(json.substr(i, value_begin - i));
    out.append(core::Base64Encode(bytes));
    i = value_end;
  }
}

// The OTLP/JSON of the three Export requests written field by field, as protobuf's JSON printer
// would with OTLP's options (proto3 JSON mapping: lowerCamelCase names, default values left out,
// 64-bit integers as strings, NaN and infinities as strings; enums as integers; trace and span ids
// as hex), about ten times faster than the generic printer.
class OtlpJsonWriter {
 public:
  explicit OtlpJsonWriter(std::string& out) : out_(out) {}

  void Write(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& r) {
    Envelope(
        "resourceSpans", r.resource_spans(), "scopeSpans",
        [](const auto& rs) -> const auto& { return rs.scope_spans(); }, "spans",
        [](const auto& ss) -> const auto& { return ss.spans(); },
        [&](const auto& span) { Span(span); });
  }

  void Write(const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& r) {
    Envelope(
        "resourceMetrics", r.resource_metrics(), "scopeMetrics",
        [](const auto& rm) -> const auto& { return rm.scope_metrics(); }, "metrics",
        [](const auto& sm) -> const auto& { return sm.metrics(); },
        [&](const auto& m) { Metric(m); });
  }

  void Write(const opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest& r) {
    Envelope(
        "resourceLogs", r.resource_logs(), "scopeLogs",
        [](const auto& rl) -> const auto& { return rl.scope_logs(); }, "logRecords",
        [](const auto& sl) -> const auto& { return sl.log_records(); },
        [&](const auto& lr) { LogRecord(lr); });
  }

 private:
  using KeyValues = google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>;

  // The one shape of the three requests: resources, each with its scopes, each with its items.
  template <typename Resources, typename ScopesOf, typename ItemsOf, typename Item>
  void Envelope(std::string_view resources_key, const Resources& resources,
                std::string_view scopes_key, ScopesOf scopes_of, std::string_view items_key,
                ItemsOf items_of, Item item) {
    Open();
    Array(resources_key, resources, [&](const auto& r) {
      Open();
      if (r.has_resource()) Object("resource", [&] { Resource(r.resource()); });
      Array(scopes_key, scopes_of(r), [&](const auto& sc) {
        Open();
        if (sc.has_scope()) Object("scope", [&] { Scope(sc.scope()); });
        Array(items_key, items_of(sc), item);
        String("schemaUrl", sc.schema_url());
        Close();
      });
      String("schemaUrl", r.schema_url());
      Close();
    });
    Close();
  }

  void Open() {
    out_.push_back('{');
    first_ = true;
  }
  void Close() {
    out_.push_back('}');
    first_ = false;
  }
  void Key(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(name);
    out_.append("\":");
  }
  void Quoted(std::string_view s) { core::AppendJsonString(s, &out_); }
  template <typename F>
  void Object(std::string_view name, F&& body) {
    Key(name);
    Open();
    body();
    Close();
  }
  template <typename List, typename F>
  void Array(std::string_view name, const List& items, F&& each) {
    if (items.empty()) return;
    Key(name);
    out_.push_back('[');
    bool first = true;
    for (const auto& item : items) {
      if (!first) out_.push_back(',');
      first = false;
      each(item);
    }
    out_.push_back(']');
    first_ = false;
  }
  void String(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    Key(name);
    Quoted(value);
  }
  void Hex(std::string_view name, std::string_view bytes) {
    if (bytes.empty()) return;
    Key(name);
    out_.push_back('"');
    AppendHex(bytes, out_);
    out_.push_back('"');
  }
  // 64-bit integers: strings. 32-bit ones: numbers.
  void U64(std::string_view name, uint64_t v) {
    if (v == 0) return;
    Key(name);
    fmt::format_to(std::back_inserter(out_), "\"{}\"", v);
  }
  void I64Always(std::string_view name, int64_t v) {
    Key(name);
    fmt::format_to(std::back_inserter(out_), "\"{}\"", v);
  }
  void I32(std::string_view name, int64_t v) {
    if (v == 0) return;
    Key(name);
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void Bool(std::string_view name, bool v) {
    if (!v) return;
    Key(name);
    out_.append("true");
  }
  void DoubleValue(double v) {
    if (std::isnan(v)) {
      out_.append("\"NaN\"");
    } else if (std::isinf(v)) {
      out_.append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      fmt::format_to(std::back_inserter(out_), "{}", v);
    }
  }
  void DoubleAlways(std::string_view name, double v) {
    Key(name);
    DoubleValue(v);
  }
  void Double(std::string_view name, double v) {
    if (v == 0 && !std::signbit(v)) return;
    DoubleAlways(name, v);
  }

  void Any(const opentelemetry::proto::common::v1::AnyValue& v) {
    using opentelemetry::proto::common::v1::AnyValue;
    Open();
    switch (v.value_case()) {
      case AnyValue::kStringValue:
        Key("stringValue");
        Quoted(v.string_value());
        break;
      case AnyValue::kBoolValue:
        Key("boolValue");
        out_.append(v.bool_value() ? "true" : "false");
        break;
      case AnyValue::kIntValue:
        I64Always("intValue", v.int_value());
        break;
      case AnyValue::kDoubleValue:
        DoubleAlways("doubleValue", v.double_value());
        break;
      case AnyValue::kArrayValue:
        Object("arrayValue",
               [&] { Array("values", v.array_value().values(), [&](const auto& x) { Any(x); }); });
        break;
      case AnyValue::kKvlistValue:
        Object("kvlistValue", [&] { Attributes("values", v.kvlist_value().values()); });
        break;
      case AnyValue::kBytesValue:
        Key("bytesValue");
        Quoted(core::Base64Encode(v.bytes_value()));
        break;
      case AnyValue::VALUE_NOT_SET:
        break;
    }
    Close();
  }
  void Attributes(std::string_view name, const KeyValues& attributes) {
    Array(name, attributes, [&](const auto& kv) {
      Open();
      String("key", kv.key());
      if (kv.has_value()) {
        Key("value");
        Any(kv.value());
      }
      Close();
    });
  }
  void Resource(const opentelemetry::proto::resource::v1::Resource& r) {
    Attributes("attributes", r.attributes());
    I32("droppedAttributesCount", r.dropped_attributes_count());
  }
  void Scope(const opentelemetry::proto::common::v1::InstrumentationScope& s) {
    String("name", s.name());
    String("version", s.version());
    Attributes("attributes", s.attributes());
    I32("droppedAttributesCount", s.dropped_attributes_count());
  }

  void Span(const opentelemetry::proto::trace::v1::Span& s) {
    Open();
    Hex("traceId", s.trace_id());
    Hex("spanId", s.span_id());
    String("traceState", s.trace_state());
    Hex("parentSpanId", s.parent_span_id());
    I32("flags", s.flags());
    String("name", s.name());
    I32("kind", s.kind());
    U64("startTimeUnixNano", s.start_time_unix_nano());
    U64("endTimeUnixNano", s.end_time_unix_nano());
    Attributes("attributes", s.attributes());
    I32("droppedAttributesCount", s.dropped_attributes_count());
    Array("events", s.events(), [&](const auto& e) {
      Open();
      U64("timeUnixNano", e.time_unix_nano());
      String("name", e.name());
      Attributes("attributes", e.attributes());
      I32("droppedAttributesCount", e.dropped_attributes_count());
      Close();
    });
    I32("droppedEventsCount", s.dropped_events_count());
    Array("links", s.links(), [&](const auto& l) {
      Open();
      Hex("traceId", l.trace_id());
      Hex("spanId", l.span_id());
      String("traceState", l.trace_state());
      Attributes("attributes", l.attributes());
      I32("droppedAttributesCount", l.dropped_attributes_count());
      I32("flags", l.flags());
      Close();
    });
    I32("droppedLinksCount", s.dropped_links_count());
    if (s.has_status()) {
      Object("status", [&] {
        String("message", s.status().message());
        I32("code", s.status().code());
      });
    }
    Close();
  }

  template <typename Point>
  void PointCommon(const Point& p) {
    U64("startTimeUnixNano", p.start_time_unix_nano());
    U64("timeUnixNano", p.time_unix_nano());
  }
  void Exemplars(
      const google::protobuf::RepeatedPtrField<opentelemetry::proto::metrics::v1::Exemplar>&
          exemplars) {
    using opentelemetry::proto::metrics::v1::Exemplar;
    Array("exemplars", exemplars, [&](const auto& e) {
      Open();
      Attributes("filteredAttributes", e.filtered_attributes());
      U64("timeUnixNano", e.time_unix_nano());
      if (e.value_case() == Exemplar::kAsDouble) DoubleAlways("asDouble", e.as_double());
      if (e.value_case() == Exemplar::kAsInt) I64Always("asInt", e.as_int());
      Hex("spanId", e.span_id());
      Hex("traceId", e.trace_id());
      Close();
    });
  }
  void NumberPoints(
      const google::protobuf::RepeatedPtrField<opentelemetry::proto::metrics::v1::NumberDataPoint>&
          points) {
    using opentelemetry::proto::metrics::v1::NumberDataPoint;
    Array("dataPoints", points, [&](const auto& p) {
      Open();
      Attributes("attributes", p.attributes());
      PointCommon(p);
      if (p.value_case() == NumberDataPoint::kAsDouble) DoubleAlways("asDouble", p.as_double());
      if (p.value_case() == NumberDataPoint::kAsInt) I64Always("asInt", p.as_int());
      Exemplars(p.exemplars());
      I32("flags", p.flags());
      Close();
    });
  }
  template <typename List>
  void U64List(std::string_view name, const List& values) {
    Array(name, values, [&](uint64_t v) { fmt::format_to(std::back_inserter(out_), "\"{}\"", v); });
  }
  void Buckets(std::string_view name,
               const opentelemetry::proto::metrics::v1::ExponentialHistogramDataPoint::Buckets& b) {
    Object(name, [&] {
      I32("offset", b.offset());
      U64List("bucketCounts", b.bucket_counts());
    });
  }
  void Metric(const opentelemetry::proto::metrics::v1::Metric& m) {
    using opentelemetry::proto::metrics::v1::Metric;
    Open();
    String("name", m.name());
    String("description", m.description());
    String("unit", m.unit());
    switch (m.data_case()) {
      case Metric::kGauge:
        Object("gauge", [&] { NumberPoints(m.gauge().data_points()); });
        break;
      case Metric::kSum:
        Object("sum", [&] {
          NumberPoints(m.sum().data_points());
          I32("aggregationTemporality", m.sum().aggregation_temporality());
          Bool("isMonotonic", m.sum().is_monotonic());
        });
        break;
      case Metric::kHistogram:
        Object("histogram", [&] {
          Array("dataPoints", m.histogram().data_points(), [&](const auto& p) {
            Open();
            Attributes("attributes", p.attributes());
            PointCommon(p);
            U64("count", p.count());
            if (p.has_sum()) DoubleAlways("sum", p.sum());
            U64List("bucketCounts", p.bucket_counts());
            Array("explicitBounds", p.explicit_bounds(), [&](double b) { DoubleValue(b); });
            Exemplars(p.exemplars());
            I32("flags", p.flags());
            if (p.has_min()) DoubleAlways("min", p.min());
            if (p.has_max()) DoubleAlways("max", p.max());
            Close();
          });
          I32("aggregationTemporality", m.histogram().aggregation_temporality());
        });
        break;
      case Metric::kExponentialHistogram:
        Object("exponentialHistogram", [&] {
          Array("dataPoints", m.exponential_histogram().data_points(), [&](const auto& p) {
            Open();
            Attributes("attributes", p.attributes());
            PointCommon(p);
            U64("count", p.count());
            if (p.has_sum()) DoubleAlways("sum", p.sum());
            I32("scale", p.scale());
            U64("zeroCount", p.zero_count());
            if (p.has_positive()) Buckets("positive", p.positive());
            if (p.has_negative()) Buckets("negative", p.negative());
            I32("flags", p.flags());
            Exemplars(p.exemplars());
            if (p.has_min()) DoubleAlways("min", p.min());
            if (p.has_max()) DoubleAlways("max", p.max());
            Double("zeroThreshold", p.zero_threshold());
            Close();
          });
          I32("aggregationTemporality", m.exponential_histogram().aggregation_temporality());
        });
        break;
      case Metric::kSummary:
        Object("summary", [&] {
          Array("dataPoints", m.summary().data_points(), [&](const auto& p) {
            Open();
            Attributes("attributes", p.attributes());
            PointCommon(p);
            U64("count", p.count());
            Double("sum", p.sum());
            Array("quantileValues", p.quantile_values(), [&](const auto& q) {
              Open();
              Double("quantile", q.quantile());
              Double("value", q.value());
              Close();
            });
            I32("flags", p.flags());
            Close();
          });
        });
        break;
      case Metric::DATA_NOT_SET:
        break;
    }
    Attributes("metadata", m.metadata());
    Close();
  }

  void LogRecord(const opentelemetry::proto::logs::v1::LogRecord& r) {
    Open();
    U64("timeUnixNano", r.time_unix_nano());
    U64("observedTimeUnixNano", r.observed_time_unix_nano());
    I32("severityNumber", r.severity_number());
    String("severityText", r.severity_text());
    if (r.has_body()) {
      Key("body");
      Any(r.body());
    }
    Attributes("attributes", r.attributes());
    I32("droppedAttributesCount", r.dropped_attributes_count());
    I32("flags", r.flags());
    Hex("traceId", r.trace_id());
    Hex("spanId", r.span_id());
    String("eventName", r.event_name());
    Close();
  }

  std::string& out_;
  bool first_ = true;  // no key written yet in the innermost object
};

}  // namespace

absl::Status FromOtlpJson(std::string_view json, google::protobuf::Message* request) {
  absl::StatusOr<std::string> rewritten = Base64Ids(json);
  if (!rewritten.ok()) return rewritten.status();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(*rewritten, request, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(Cat("OTLP/JSON: ", status.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ToOtlpJson(const google::protobuf::Message& request) {
  namespace collector = opentelemetry::proto::collector;
  std::string out;
  out.reserve(static_cast<size_t>(request.ByteSizeLong()) * 2 + 64);
  OtlpJsonWriter w(out);
  if (const auto* traces =
          dynamic_cast<const collector::trace::v1::ExportTraceServiceRequest*>(&request)) {
    w.Write(*traces);
  } else if (const auto* metrics =
                 dynamic_cast<const collector::metrics::v1::ExportMetricsServiceRequest*>(
                     &request)) {
    w.Write(*metrics);
  } else if (const auto* logs =
                 dynamic_cast<const collector::logs::v1::ExportLogsServiceRequest*>(&request)) {
    w.Write(*logs);
  } else {
    return ToOtlpJsonByReflection(request);
  }
  return out;
}

absl::StatusOr<std::string> ToOtlpJsonByReflection(const google::protobuf::Message& request) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(request, &json, options);
  if (!status.ok()) {
    return absl::InternalError(Cat("OTLP/JSON encoding failed: ", status.ToString()));
  }
  return HexIds(json);
}

}  // namespace augur::sim
