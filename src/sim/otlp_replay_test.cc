// Record -> replay: a short simulated run recorded to a file, replayed into a local OTLP/HTTP
// server, arrives complete and in order; pacing follows the data's clock; retries and rejections.
#include "sim/otlp_replay.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "absl/synchronization/mutex.h"
#include "core/http_server.h"
#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/otlp_json.h"
#include "sim/simulator.h"

namespace augur::sim {
namespace {

using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;
constexpr core::TimeNs kSecond = core::kNsPerSecond;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".jsonl"))
      .string();
}

// One request as the server saw it: its path and how many items it held.
struct Arrival {
  std::string path;
  uint64_t items = 0;
  std::string first_id;  // the first span's id, for order checks
  bool operator==(const Arrival&) const = default;
};

uint64_t CountItems(const std::string& path, const google::protobuf::Message& m,
                    std::string* first_id) {
  uint64_t n = 0;
  if (path == "/v1/traces") {
    for (const auto& rs : static_cast<const ExportTraceServiceRequest&>(m).resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          if (n++ == 0) *first_id = s.span_id();
        }
      }
    }
  } else if (path == "/v1/metrics") {
    for (const auto& rm : static_cast<const ExportMetricsServiceRequest&>(m).resource_metrics()) {
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& metric : sm.metrics()) {
          n += metric.gauge().data_points_size() + metric.sum().data_points_size() +
               metric.histogram().data_points_size();
        }
      }
    }
  } else {
    for (const auto& rl : static_cast<const ExportLogsServiceRequest&>(m).resource_logs()) {
      for (const auto& sl : rl.scope_logs()) n += sl.log_records_size();
    }
  }
  return n;
}

std::unique_ptr<google::protobuf::Message> NewRequest(const std::string& path) {
  if (path == "/v1/traces") return std::make_unique<ExportTraceServiceRequest>();
  if (path == "/v1/metrics") return std::make_unique<ExportMetricsServiceRequest>();
  return std::make_unique<ExportLogsServiceRequest>();
}

// An OTLP/HTTP receiver that decodes JSON or protobuf and records what arrived, in order.
class Receiver {
 public:
  Receiver() : server_(core::HttpServerOptions{"127.0.0.1", 0}) {
    for (const char* path : {"/v1/traces", "/v1/metrics", "/v1/logs"}) {
      server_.Handle("POST", path, [this](const core::HttpRequest& req, core::HttpResponse* resp) {
        Handle(req, resp);
      });
    }
    EXPECT_TRUE(server_.Start().ok());
  }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<Arrival> arrivals() {
    absl::MutexLock lock(&mu_);
    return arrivals_;
  }
  void RefuseNext(int count, std::string retry_after) {
    absl::MutexLock lock(&mu_);
    refuse_ = count;
    retry_after_ = std::move(retry_after);
  }
  void RejectLogs() {
    absl::MutexLock lock(&mu_);
    reject_logs_ = true;
  }

 private:
  void Handle(const core::HttpRequest& req, core::HttpResponse* resp) {
    absl::MutexLock lock(&mu_);
    if (refuse_ > 0) {
      --refuse_;
      resp->status = 503;
      resp->headers.emplace_back("Retry-After", retry_after_);
      return;
    }
    if (reject_logs_ && req.path == "/v1/logs") {
      resp->status = 400;
      resp->body = "bad logs";
      return;
    }
    std::unique_ptr<google::protobuf::Message> m = NewRequest(req.path);
    const bool json = req.Header("Content-Type") == "application/json";
    const bool ok = json ? FromOtlpJson(*req.body, m.get()).ok() : m->ParseFromString(*req.body);
    if (!ok) {
      resp->status = 400;
      return;
    }
    Arrival a;
    a.path = req.path;
    a.items = CountItems(req.path, *m, &a.first_id);
    arrivals_.push_back(std::move(a));
    resp->content_type = json ? "application/json" : "application/x-protobuf";
    resp->body = json ? "{}" : "";
  }

  core::HttpServer server_;
  absl::Mutex mu_;
  std::vector<Arrival> arrivals_ ABSL_GUARDED_BY(mu_);
  int refuse_ ABSL_GUARDED_BY(mu_) = 0;
  std::string retry_after_ ABSL_GUARDED_BY(mu_);
  bool reject_logs_ ABSL_GUARDED_BY(mu_) = false;
};

// What the recording holds, line by line, decoded the way the receiver decodes.
std::vector<Arrival> ReadRecording(const std::string& file) {
  std::vector<Arrival> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    Arrival a;
    a.path = line.starts_with("{\"resourceSpans\"")     ? "/v1/traces"
             : line.starts_with("{\"resourceMetrics\"") ? "/v1/metrics"
                                                        : "/v1/logs";
    std::unique_ptr<google::protobuf::Message> m = NewRequest(a.path);
    EXPECT_TRUE(FromOtlpJson(line, m.get()).ok()) << line.substr(0, 200);
    a.items = CountItems(a.path, *m, &a.first_id);
    out.push_back(std::move(a));
  }
  return out;
}

// A recording of 20 simulated seconds of a 20-service shop (with a fault, so identities change).
class RecordReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    file_ = new std::string(TempPath("augur-record"));
    SimulatorOptions o;
    o.endpoint = "none";
    o.record_path = *file_;
    o.services = 20;
    o.rate = 10;
    o.speedup = 1e6;
    o.duration_s = 20;
    o.start_time_ns = kStart;
    o.metrics_interval_s = 5;
    o.batch_spans = 200;
    o.scenario =
        Scenario{"r", {{FaultType::kBadDeploy, "payment", "", "", 1, 5 * kSecond, 10 * kSecond}}};
    Simulator sim(o);
    ASSERT_TRUE(sim.Run().ok());
    stats_ = new SimulatorStats(sim.Stats());
    lines_ = new std::vector<Arrival>(ReadRecording(*file_));
  }
  static void TearDownTestSuite() {
    std::remove(file_->c_str());
    delete file_;
    delete stats_;
    delete lines_;
  }

  static std::string* file_;
  static SimulatorStats* stats_;
  static std::vector<Arrival>* lines_;  // the recording, decoded
};
std::string* RecordReplayTest::file_ = nullptr;
SimulatorStats* RecordReplayTest::stats_ = nullptr;
std::vector<Arrival>* RecordReplayTest::lines_ = nullptr;

TEST_F(RecordReplayTest, RecordingHoldsEveryRequestAsOtlpJson) {
  const std::vector<Arrival>& lines = *lines_;
  ASSERT_EQ(lines.size(), stats_->requests);
  uint64_t spans = 0, points = 0, logs = 0;
  for (const Arrival& a : lines) {
    (a.path == "/v1/traces" ? spans : a.path == "/v1/metrics" ? points : logs) += a.items;
  }
  EXPECT_EQ(spans, stats_->spans);
  EXPECT_EQ(points, stats_->metric_points);
  EXPECT_EQ(logs, stats_->log_records);
  EXPECT_GT(spans, 1000u);
  EXPECT_GT(points, 100u);
  EXPECT_GT(logs, 10u);
  EXPECT_GT(lines.size(), 20u);
  // The OTLP JSON mapping: hex ids, lowerCamelCase, integer enums.
  std::ifstream in(*file_);
  std::string first;
  std::getline(in, first);
  EXPECT_TRUE(first.starts_with("{\"resourceSpans\":[")) << first.substr(0, 100);
  EXPECT_NE(first.find("\"startTimeUnixNano\":\""), std::string::npos);
  EXPECT_NE(first.find("\"kind\":"), std::string::npos);
  const size_t id = first.find("\"traceId\":\"");
  ASSERT_NE(id, std::string::npos);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef", id + 11), id + 11 + 32);
}

TEST_F(RecordReplayTest, ReplayDeliversEverythingInOrderWithoutSleepingAtHugeSpeedup) {
  for (bool protobuf : {false, true}) {
    Receiver receiver;
    ReplayOptions options;
    options.endpoint = receiver.endpoint();
    options.protobuf = protobuf;
    options.speedup = 1e9;
    core::TimeNs slept = 0;
    options.sleep = [&](core::TimeNs ns) { slept += ns; };
    const absl::StatusOr<ReplayStats> stats = ReplayFiles({*file_}, options);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->requests, stats_->requests);
    EXPECT_EQ(stats->spans, stats_->spans);
    EXPECT_EQ(stats->metric_points, stats_->metric_points);
    EXPECT_EQ(stats->log_records, stats_->log_records);
    EXPECT_EQ(stats->bad_lines, 0u);
    EXPECT_EQ(stats->rejected, 0u);
    EXPECT_EQ(stats->paced_ns, 0);
    EXPECT_EQ(slept, 0);
    EXPECT_EQ(receiver.arrivals(), *lines_) << (protobuf ? "protobuf" : "json");
  }
}

// Three trace requests whose latest span ends at the given offsets from kStart.
std::string WriteTraceLines(const std::string& name, const std::vector<int>& end_offsets_s) {
  const std::string path = TempPath(name);
  std::ofstream out(path);
  int n = 0;
  for (int offset : end_offsets_s) {
    const core::TimeNs end = kStart + offset * kSecond;
    out << R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"00000000000000)"
        << fmt::format("{:02x}", ++n) << R"(","name":"op","kind":2,"startTimeUnixNano":")"
        << end - kSecond << R"(","endTimeUnixNano":")" << end << R"("}]}]}]})"
        << "\n";
  }
  return path;
}

// A clock that moves only when replay sleeps, and remembers each sleep.
struct FakeClock {
  core::TimeNs now = 0;
  std::vector<core::TimeNs> waits;
  void Drive(ReplayOptions& options) {
    options.now = [this] { return now; };
    options.sleep = [this](core::TimeNs ns) {
      waits.push_back(ns);
      now += ns;
    };
  }
};

TEST(ReplayTest, PacesByTheDataClockAndNeverReorders) {
  // Ends at 0 s, 10 s, 5 s (late: goes at once), 20 s; at speedup 2 the waits are 5 s and 5 s.
  const std::string path = WriteTraceLines("augur-pace", {0, 10, 5, 20});
  Receiver receiver;
  ReplayOptions options;
  options.endpoint = receiver.endpoint();
  options.speedup = 2;
  FakeClock clock;
  clock.Drive(options);
  const absl::StatusOr<ReplayStats> stats = ReplayFiles({path}, options);
  std::remove(path.c_str());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(clock.waits, (std::vector<core::TimeNs>{5 * kSecond, 5 * kSecond}));
  EXPECT_EQ(stats->paced_ns, 10 * kSecond);
  const std::vector<Arrival> got = receiver.arrivals();
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first_id, std::string(7, '\0') + static_cast<char>(i + 1));
  }
}

TEST(ReplayTest, RetriesHonourRetryAfterAndReportBadLinesAndRejections) {
  const std::string path = TempPath("augur-mixed");
  {
    std::ofstream out(path);
    out << R"({"resourceSpans":[]})"
        << "\n";
    out << "not json\n";
    out << R"({"resourceWidgets":[]})"
        << "\n";
    out << "\n";
    out << R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"x"}}]}]}]})"
        << "\n";
    out << R"({"resourceMetrics":[]})"
        << "\n";
  }
  Receiver receiver;
  receiver.RefuseNext(2, "3");
  receiver.RejectLogs();
  ReplayOptions options;
  options.endpoint = receiver.endpoint();
  options.speedup = 1e9;
  FakeClock clock;
  clock.Drive(options);
  std::vector<std::string> reports;
  options.report = [&](std::string_view line) { reports.emplace_back(line); };
  const absl::StatusOr<ReplayStats> stats = ReplayFiles({path}, options);
  std::remove(path.c_str());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->lines, 5u);
  EXPECT_EQ(stats->bad_lines, 2u);
  EXPECT_EQ(stats->retries, 2u);
  EXPECT_EQ(clock.waits, (std::vector<core::TimeNs>{3 * kSecond, 3 * kSecond}));
  EXPECT_EQ(stats->requests, 2u);  // traces (after two 503s) and metrics
  EXPECT_EQ(stats->log_records, 0u);
  EXPECT_EQ(stats->rejected, 1u);
  EXPECT_NE(stats->first_rejection.find(path + ":5:"), std::string::npos) << stats->first_rejection;
  EXPECT_NE(stats->first_rejection.find("HTTP 400"), std::string::npos);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_NE(reports[0].find(path + ":2: skipped: not a JSON object"), std::string::npos)
      << reports[0];
  EXPECT_NE(reports[1].find(path + ":3: skipped: unknown signal \"resourceWidgets\""),
            std::string::npos)
      << reports[1];

  EXPECT_EQ(ReplayFiles({"/no/such.jsonl"}, options).status().code(), absl::StatusCode::kNotFound);
  options.speedup = 0;
  EXPECT_EQ(ReplayFiles({path}, options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace augur::sim
