// End-to-end over OTLP/HTTP: the simulator against core::HttpServer on 127.0.0.1.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/synchronization/mutex.h"
#include "core/gzip.h"
#include "core/http_server.h"
#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/simulator.h"

namespace augur::sim {
namespace {

namespace logs_svc = opentelemetry::proto::collector::logs::v1;
namespace metrics_svc = opentelemetry::proto::collector::metrics::v1;
namespace trace_svc = opentelemetry::proto::collector::trace::v1;

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

class HttpReceiver {
 public:
  HttpReceiver() : server_(core::HttpServerOptions{.address = "127.0.0.1"}) {
    server_.Handle("POST", "/v1/traces", [this](const core::HttpRequest& r, core::HttpResponse* w) {
      Receive(r, w, &spans, &trace_requests);
    });
    server_.Handle("POST", "/v1/metrics",
                   [this](const core::HttpRequest& r, core::HttpResponse* w) {
                     Receive(r, w, &points, &metric_requests);
                   });
    server_.Handle("POST", "/v1/logs", [this](const core::HttpRequest& r, core::HttpResponse* w) {
      Receive(r, w, &logs, &log_requests);
    });
    EXPECT_TRUE(server_.Start().ok());
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  absl::Mutex mu;
  uint64_t spans ABSL_GUARDED_BY(mu) = 0;
  uint64_t points ABSL_GUARDED_BY(mu) = 0;
  uint64_t logs ABSL_GUARDED_BY(mu) = 0;
  uint64_t trace_requests ABSL_GUARDED_BY(mu) = 0;
  uint64_t metric_requests ABSL_GUARDED_BY(mu) = 0;
  uint64_t log_requests ABSL_GUARDED_BY(mu) = 0;
  uint64_t bad_ids ABSL_GUARDED_BY(mu) = 0;
  int unavailable_left ABSL_GUARDED_BY(mu) = 0;  // traces answered 503 first
  bool reject_logs ABSL_GUARDED_BY(mu) = false;  // logs answered 400
  bool gzip_seen ABSL_GUARDED_BY(mu) = false;
  bool json_seen ABSL_GUARDED_BY(mu) = false;

 private:
  void Receive(const core::HttpRequest& request, core::HttpResponse* response, uint64_t* items,
               uint64_t* requests) {
    absl::MutexLock lock(&mu);
    const bool traces = items == &spans;
    if (traces && unavailable_left > 0) {
      --unavailable_left;
      response->status = 503;
      response->headers.emplace_back("Retry-After", "0");
      return;
    }
    ++*requests;
    if (items == &logs && reject_logs) {
      response->status = 400;
      response->body = "bad logs";
      return;
    }
    std::string body = *request.body;
    if (request.Header("Content-Encoding") == "gzip") {
      gzip_seen = true;
      absl::StatusOr<std::string> inflated = core::GunzipBounded(body, 64 << 20);
      ASSERT_TRUE(inflated.ok());
      body = *inflated;
    }
    if (request.Header("Content-Type") == "application/json") {
      json_seen = true;
      *items += CountJson(body);
    } else {
      ASSERT_EQ(request.Header("Content-Type"), "application/x-protobuf");
      *items += CountProtobuf(body, items);
    }
    response->content_type = request.Header("Content-Type") == "application/json"
                                 ? "application/json"
                                 : "application/x-protobuf";
    response->body = request.Header("Content-Type") == "application/json" ? "{}" : "";
  }

  uint64_t CountProtobuf(const std::string& body, uint64_t* items) {
    uint64_t n = 0;
    if (items == &spans) {
      trace_svc::ExportTraceServiceRequest req;
      EXPECT_TRUE(req.ParseFromString(body));
      for (const auto& rs : req.resource_spans()) {
        for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
      }
    } else if (items == &points) {
      metrics_svc::ExportMetricsServiceRequest req;
      EXPECT_TRUE(req.ParseFromString(body));
      for (const auto& rm : req.resource_metrics()) {
        for (const auto& sm : rm.scope_metrics()) {
          for (const auto& m : sm.metrics()) {
            n += m.gauge().data_points_size() + m.sum().data_points_size() +
                 m.histogram().data_points_size();
          }
        }
      }
    } else {
      logs_svc::ExportLogsServiceRequest req;
      EXPECT_TRUE(req.ParseFromString(body));
      for (const auto& rl : req.resource_logs()) {
        for (const auto& sl : rl.scope_logs()) n += sl.log_records_size();
      }
    }
    return n;
  }

  uint64_t CountJson(const std::string& body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const nlohmann::json doc = nlohmann::json::parse(body);
    uint64_t n = 0;
    auto check_id = [&](const nlohmann::json& item, const char* key, size_t hex_len) {
      if (!item.contains(key)) return;
      const std::string id = item.at(key).get<std::string>();
      if (id.size() != hex_len || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
        ++bad_ids;
      }
    };
    if (doc.contains("resourceSpans")) {
      for (const auto& rs : doc["resourceSpans"]) {
        for (const auto& ss : rs["scopeSpans"]) {
          for (const auto& span : ss["spans"]) {
            check_id(span, "traceId", 32);
            check_id(span, "spanId", 16);
            check_id(span, "parentSpanId", 16);
            ++n;
          }
        }
      }
    } else if (doc.contains("resourceMetrics")) {
      for (const auto& rm : doc["resourceMetrics"]) {
        for (const auto& sm : rm["scopeMetrics"]) {
          for (const auto& m : sm["metrics"]) {
            for (const char* kind : {"gauge", "sum", "histogram"}) {
              if (m.contains(kind)) n += m[kind]["dataPoints"].size();
            }
          }
        }
      }
    } else {
      for (const auto& rl : doc["resourceLogs"]) {
        for (const auto& sl : rl["scopeLogs"]) {
          for (const auto& record : sl["logRecords"]) {
            check_id(record, "traceId", 32);
            check_id(record, "spanId", 16);
            ++n;
          }
        }
      }
    }
    return n;
  }

  core::HttpServer server_;
};

SimulatorOptions HttpOptions(const std::string& endpoint, Protocol protocol) {
  SimulatorOptions o;
  o.endpoint = endpoint;
  o.protocol = protocol;
  o.services = 40;
  o.rate = 30;
  o.speedup = 1e6;
  o.duration_s = 20;
  o.start_time_ns = kStart;
  o.batch_spans = 300;
  o.max_in_flight = 2;
  return o;
}

TEST(HttpSenderTest, ProtobufWithGzipDeliversExactlyWhatItCounts) {
  HttpReceiver receiver;
  SimulatorOptions options = HttpOptions(receiver.endpoint(), Protocol::kHttpProtobuf);
  options.gzip = true;
  Simulator simulator(options);
  const absl::Status status = simulator.Run();
  ASSERT_TRUE(status.ok()) << status;
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.mu);
  EXPECT_TRUE(receiver.gzip_seen);
  EXPECT_GT(stats.spans, 1000u);
  EXPECT_EQ(stats.spans, receiver.spans);
  EXPECT_EQ(stats.metric_points, receiver.points);
  EXPECT_EQ(stats.log_records, receiver.logs);
  EXPECT_EQ(stats.requests,
            receiver.trace_requests + receiver.metric_requests + receiver.log_requests);
  EXPECT_EQ(stats.failed_requests, 0u);
}

TEST(HttpSenderTest, JsonUsesHexIdsAndDeliversExactlyWhatItCounts) {
  HttpReceiver receiver;
  SimulatorOptions options = HttpOptions(receiver.endpoint(), Protocol::kHttpJson);
  options.duration_s = 10;
  Simulator simulator(options);
  const absl::Status status = simulator.Run();
  ASSERT_TRUE(status.ok()) << status;
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.mu);
  EXPECT_TRUE(receiver.json_seen);
  EXPECT_EQ(receiver.bad_ids, 0u);
  EXPECT_EQ(stats.spans, receiver.spans);
  EXPECT_EQ(stats.metric_points, receiver.points);
  EXPECT_EQ(stats.log_records, receiver.logs);
}

TEST(HttpSenderTest, RetriesOn503AndDropsOn400) {
  HttpReceiver receiver;
  {
    absl::MutexLock lock(&receiver.mu);
    receiver.unavailable_left = 2;
    receiver.reject_logs = true;
  }
  SimulatorOptions options = HttpOptions(receiver.endpoint(), Protocol::kHttpProtobuf);
  options.max_in_flight = 1;
  options.duration_s = 10;
  Simulator simulator(options);
  ASSERT_TRUE(simulator.Run().ok());
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.mu);
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.spans, receiver.spans);
  EXPECT_GT(receiver.log_requests, 0u);
  EXPECT_EQ(stats.failed_requests, receiver.log_requests);
  EXPECT_EQ(stats.log_records, 0u);
}

}  // namespace
}  // namespace augur::sim
