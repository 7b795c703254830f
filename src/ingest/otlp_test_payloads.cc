#include "ingest/otlp_test_payloads.h"

#include <array>
#include <cstdlib>
#include <random>
#include <string_view>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "core/base64.h"

namespace augur::ingest {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;

constexpr std::array<std::string_view, 10> kServices = {
    "frontend", "checkout",       "cart", "payment",         "shipping",
    "currency", "recommendation", "ad",   "product-catalog", "email"};
constexpr std::array<std::string_view, 6> kRoutes = {"/api/products/{id}", "/api/cart",
                                                     "/api/checkout",      "/api/recommendations",
                                                     "/api/ads",           "/api/currency/convert"};
constexpr std::array<std::string_view, 4> kMethods = {"GET", "POST", "PUT", "DELETE"};
constexpr uint64_t kBaseTimeNs = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

std::string RandomBytes(std::mt19937_64& rng, int n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  if (out.find_first_not_of('\0') == std::string::npos) out[0] = 1;
  return out;
}

void AddString(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, std::string_view key,
               std::string_view value) {
  common::KeyValue* kv = attrs->Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}

void AddInt(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, std::string_view key,
            int64_t value) {
  common::KeyValue* kv = attrs->Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_int_value(value);
}

void FillResource(int index, uint32_t seed,
                  google::protobuf::RepeatedPtrField<common::KeyValue>* attrs) {
  std::string_view service = kServices[index % kServices.size()];
  std::string name = index < static_cast<int>(kServices.size())
                         ? std::string(service)
                         : fmt::format("{}-{}", service, index / kServices.size());
  AddString(attrs, "service.name", name);
  AddString(attrs, "service.namespace", "shop");
  AddString(attrs, "service.version", fmt::format("1.{}.{}", index % 7, seed % 13));
  AddString(attrs, "service.instance.id",
            fmt::format("{:08x}-4a2b-9c3d-{:012x}", 0x5eed0000u + index, seed * 7919ull + index));
  AddString(attrs, "host.name", fmt::format("node-{}.eu-west-1.compute.internal", 10 + index));
  AddString(attrs, "k8s.namespace.name", "shop");
  AddString(attrs, "k8s.pod.name", fmt::format("{}-7d9f8c6b5-x{:04x}", name, index * 31 + seed));
  AddString(attrs, "k8s.deployment.name", name);
  AddString(attrs, "telemetry.sdk.language", index % 2 == 0 ? "go" : "java");
  AddString(attrs, "telemetry.sdk.version", "1.28.0");
}

}  // namespace

opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest SampleTraceRequest(
    int resources, int spans, uint32_t seed) {
  std::mt19937_64 rng(seed);
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  std::vector<trace::ScopeSpans*> scopes;
  for (int r = 0; r < resources; ++r) {
    trace::ResourceSpans* rs = request.add_resource_spans();
    FillResource(r, seed, rs->mutable_resource()->mutable_attributes());
    trace::ScopeSpans* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("io.opentelemetry.instrumentation.http");
    ss->mutable_scope()->set_version("2.4.0");
    scopes.push_back(ss);
  }
  for (int i = 0; i < spans; ++i) {
    trace::Span* span = scopes[i % resources]->add_spans();
    span->set_trace_id(RandomBytes(rng, 16));
    span->set_span_id(RandomBytes(rng, 8));
    if (i % 5 != 0) span->set_parent_span_id(RandomBytes(rng, 8));
    std::string_view method = kMethods[rng() % kMethods.size()];
    std::string_view route = kRoutes[rng() % kRoutes.size()];
    span->set_name(fmt::format("{} {}", method, route));
    static constexpr trace::Span::SpanKind kKinds[] = {
        trace::Span::SPAN_KIND_SERVER,   trace::Span::SPAN_KIND_CLIENT,
        trace::Span::SPAN_KIND_SERVER,   trace::Span::SPAN_KIND_CLIENT,
        trace::Span::SPAN_KIND_INTERNAL, trace::Span::SPAN_KIND_PRODUCER,
        trace::Span::SPAN_KIND_CONSUMER};
    span->set_kind(kKinds[rng() % std::size(kKinds)]);
    uint64_t start = kBaseTimeNs + static_cast<uint64_t>(i) * 1'000'000 + rng() % 1000;
    span->set_start_time_unix_nano(start);
    span->set_end_time_unix_nano(start + 100'000 + rng() % 50'000'000);
    bool error = rng() % 20 == 0;
    int status = error ? 500 + static_cast<int>(rng() % 4) : (rng() % 10 == 0 ? 404 : 200);
    auto* attrs = span->mutable_attributes();
    AddString(attrs, "http.request.method", method);
    AddString(attrs, "http.route", route);
    AddInt(attrs, "http.response.status_code", status);
    AddString(attrs, "server.address",
              fmt::format("{}.shop.svc.cluster.local", kServices[rng() % kServices.size()]));
    AddInt(attrs, "server.port", 8080);
    AddString(attrs, "url.path", fmt::format("/api/products/{}", rng() % 100000));
    AddString(attrs, "url.scheme", "http");
    AddString(attrs, "network.peer.address", fmt::format("10.0.{}.{}", rng() % 256, rng() % 256));
    AddString(attrs, "network.protocol.version", "1.1");
    AddString(attrs, "rpc.system", span->kind() == trace::Span::SPAN_KIND_CLIENT ? "grpc" : "http");
    if (error) {
      span->mutable_status()->set_code(trace::Status::STATUS_CODE_ERROR);
      span->mutable_status()->set_message("upstream connect error");
      trace::Span::Event* event = span->add_events();
      event->set_name("exception");
      event->set_time_unix_nano(start + 50'000);
      AddString(event->mutable_attributes(), "exception.type", "TimeoutError");
    } else if (rng() % 3 == 0) {
      span->mutable_status()->set_code(trace::Status::STATUS_CODE_OK);
    }
  }
  return request;
}

opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest SampleMetricsRequest(
    int resources, int metrics_per_type, int points_per_metric, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest request;
  for (int r = 0; r < resources; ++r) {
    metrics::ResourceMetrics* rm = request.add_resource_metrics();
    FillResource(r, seed, rm->mutable_resource()->mutable_attributes());
    metrics::ScopeMetrics* sm = rm->add_scope_metrics();
    sm->mutable_scope()->set_name("io.opentelemetry.runtime");
    for (int m = 0; m < metrics_per_type; ++m) {
      auto add_point_common = [&](auto* p, int i) {
        AddString(p->mutable_attributes(), "http.route", kRoutes[i % kRoutes.size()]);
        AddString(p->mutable_attributes(), "http.request.method", kMethods[i % kMethods.size()]);
        AddInt(p->mutable_attributes(), "http.response.status_code", i % 5 == 0 ? 500 : 200);
        p->set_start_time_unix_nano(kBaseTimeNs);
        p->set_time_unix_nano(kBaseTimeNs + 10'000'000'000ull * (i + 1));
      };
      metrics::Metric* gauge = sm->add_metrics();
      gauge->set_name(fmt::format("process.cpu.utilization.{}", m));
      gauge->set_unit("1");
      for (int i = 0; i < points_per_metric; ++i) {
        auto* p = gauge->mutable_gauge()->add_data_points();
        add_point_common(p, i);
        p->set_as_double(unit(rng));
      }
      metrics::Metric* sum = sm->add_metrics();
      sum->set_name(fmt::format("http.server.request.count.{}", m));
      sum->set_unit("{request}");
      sum->mutable_sum()->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
      sum->mutable_sum()->set_is_monotonic(true);
      for (int i = 0; i < points_per_metric; ++i) {
        auto* p = sum->mutable_sum()->add_data_points();
        add_point_common(p, i);
        p->set_as_int(static_cast<int64_t>(rng() % 100000));
      }
      metrics::Metric* hist = sm->add_metrics();
      hist->set_name(fmt::format("http.server.request.duration.{}", m));
      hist->set_description("Duration of HTTP server requests.");
      hist->set_unit("s");
      hist->mutable_histogram()->set_aggregation_temporality(
          metrics::AGGREGATION_TEMPORALITY_DELTA);
      for (int i = 0; i < points_per_metric; ++i) {
        auto* p = hist->mutable_histogram()->add_data_points();
        add_point_common(p, i);
        static constexpr double kBounds[] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                             0.5,   0.75, 1,     2.5,  5,     7.5, 10};
        uint64_t total = 0;
        for (double b : kBounds) p->add_explicit_bounds(b);
        for (size_t k = 0; k <= std::size(kBounds); ++k) {
          uint64_t c = rng() % 50;
          total += c;
          p->add_bucket_counts(c);
        }
        p->set_count(total);
        p->set_sum(unit(rng) * static_cast<double>(total));
        p->set_min(0.001);
        p->set_max(9.5);
      }
      metrics::Metric* exp = sm->add_metrics();
      exp->set_name(fmt::format("rpc.client.duration.{}", m));
      exp->set_unit("ms");
      exp->mutable_exponential_histogram()->set_aggregation_temporality(
          metrics::AGGREGATION_TEMPORALITY_DELTA);
      for (int i = 0; i < points_per_metric; ++i) {
        auto* p = exp->mutable_exponential_histogram()->add_data_points();
        add_point_common(p, i);
        p->set_scale(3);
        p->set_zero_count(rng() % 3);
        p->set_zero_threshold(1e-9);
        p->mutable_positive()->set_offset(-2 + static_cast<int>(rng() % 5));
        for (int k = 0; k < 12; ++k) p->mutable_positive()->add_bucket_counts(rng() % 300);
        p->mutable_negative()->set_offset(1);
        p->mutable_negative()->add_bucket_counts(rng() % 2);
        p->set_count(1000);
        p->set_sum(1234.5);
      }
      metrics::Metric* summary = sm->add_metrics();
      summary->set_name(fmt::format("jvm.gc.pause.{}", m));
      summary->set_unit("ms");
      for (int i = 0; i < points_per_metric; ++i) {
        auto* p = summary->mutable_summary()->add_data_points();
        add_point_common(p, i);
        p->set_count(100 + rng() % 100);
        p->set_sum(unit(rng) * 1000);
        for (double q : {0.5, 0.9, 0.99}) {
          auto* qv = p->add_quantile_values();
          qv->set_quantile(q);
          qv->set_value(q * 100);
        }
      }
    }
  }
  return request;
}

opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest SampleLogsRequest(
    int resources, int records, uint32_t seed) {
  std::mt19937_64 rng(seed);
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest request;
  std::vector<logs::ScopeLogs*> scopes;
  for (int r = 0; r < resources; ++r) {
    logs::ResourceLogs* rl = request.add_resource_logs();
    FillResource(r, seed, rl->mutable_resource()->mutable_attributes());
    logs::ScopeLogs* sl = rl->add_scope_logs();
    sl->mutable_scope()->set_name("org.slf4j");
    scopes.push_back(sl);
  }
  static constexpr std::pair<logs::SeverityNumber, std::string_view> kSeverities[] = {
      {logs::SEVERITY_NUMBER_INFO, "INFO"},   {logs::SEVERITY_NUMBER_INFO, "INFO"},
      {logs::SEVERITY_NUMBER_DEBUG, "DEBUG"}, {logs::SEVERITY_NUMBER_WARN, "WARN"},
      {logs::SEVERITY_NUMBER_ERROR, "ERROR"},
  };
  for (int i = 0; i < records; ++i) {
    logs::LogRecord* record = scopes[i % resources]->add_log_records();
    uint64_t t = kBaseTimeNs + static_cast<uint64_t>(i) * 1'000'000;
    record->set_time_unix_nano(t);
    record->set_observed_time_unix_nano(t + 1'000'000);
    const auto& [severity, text] = kSeverities[rng() % std::size(kSeverities)];
    record->set_severity_number(severity);
    record->set_severity_text(std::string(text));
    record->mutable_body()->set_string_value(
        fmt::format("order {} for user {} processed in {} ms by {}", rng() % 1000000, rng() % 5000,
                    rng() % 900, kRoutes[rng() % kRoutes.size()]));
    auto* attrs = record->mutable_attributes();
    AddString(attrs, "code.function", "handleRequest");
    AddString(attrs, "code.filepath", "src/main/java/shop/CheckoutService.java");
    AddInt(attrs, "code.lineno", static_cast<int64_t>(rng() % 400));
    AddString(attrs, "thread.name", fmt::format("http-nio-8080-exec-{}", rng() % 16));
    AddString(attrs, "log.logger", "shop.CheckoutService");
    if (i % 4 != 0) {
      record->set_trace_id(RandomBytes(rng, 16));
      record->set_span_id(RandomBytes(rng, 8));
      record->set_flags(1);
    }
  }
  return request;
}

namespace {

// Rewrites the base64 ids of protobuf's JSON mapping to OTLP's hex, wherever they are.
void IdsToHex(nlohmann::json* j) {
  if (j->is_array()) {
    for (auto& item : *j) IdsToHex(&item);
    return;
  }
  if (!j->is_object()) return;
  for (auto it = j->begin(); it != j->end(); ++it) {
    const std::string& key = it.key();
    bool is_id = key == "traceId" || key == "spanId" || key == "parentSpanId" ||
                 key == "trace_id" || key == "span_id" || key == "parent_span_id";
    if (is_id && it->is_string()) {
      std::optional<std::string> bytes = core::Base64Decode(it->get<std::string>());
      std::string hex;
      for (unsigned char c : bytes.value_or("")) hex += fmt::format("{:02x}", c);
      *it = hex;
    } else {
      IdsToHex(&*it);
    }
  }
}

}  // namespace

std::string ToOtlpJson(const google::protobuf::Message& message, bool proto_field_names) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = proto_field_names;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) std::abort();
  nlohmann::json doc = nlohmann::json::parse(json);
  IdsToHex(&doc);
  return doc.dump();
}

}  // namespace augur::ingest
