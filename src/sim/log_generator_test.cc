#include "sim/log_generator.h"

#include <map>
#include <memory>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "sim/fault.h"
#include "sim/trace_generator.h"

namespace augur::sim {
namespace {

// 2026-01-07 (a Wednesday) 12:00 UTC.
constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

const Fleet& SharedFleet() {
  static const Fleet* fleet = [] {
    FleetOptions options;
    options.services = 200;
    options.seed = 2;
    return new Fleet(*Fleet::Build(options));
  }();
  return *fleet;
}

struct LogRun {
  TelemetryBuffer buffer;
  int traces = 0;
};

// `seconds` of traffic at `per_second` evenly spaced root requests.
std::unique_ptr<LogRun> Generate(double per_second, int seconds, const FaultSchedule* faults,
                                 uint64_t seed) {
  const Fleet& fleet = SharedFleet();
  auto run = std::make_unique<LogRun>();
  LogGenerator logs(&fleet, 100, seed);
  TraceGenerator traces(&fleet, faults, seed);
  traces.set_log_generator(&logs);
  const auto step = static_cast<core::TimeNs>(core::kNsPerSecond / per_second);
  for (core::TimeNs t = kStart; t < kStart + seconds * core::kNsPerSecond; t += step) {
    traces.Generate(t, 1.0, run->buffer);
    ++run->traces;
  }
  return run;
}

TEST(LogGeneratorTest, ErrorSpansComeWithAnErrorLogCarryingTheirIds) {
  const std::unique_ptr<LogRun> run = Generate(100, 30, nullptr, 1);
  std::map<std::pair<model::TraceId, model::SpanId>, int> error_logs;
  for (const SimLogRecord& r : run->buffer.logs) {
    if (r.severity_number >= 17) {
      ASSERT_TRUE(r.in_span);
      ++error_logs[{r.trace_id, r.span_id}];
    }
  }
  int error_spans = 0;
  for (const SimSpan& s : run->buffer.spans) {
    if (!s.error || (s.kind != SimSpanKind::kServer && s.kind != SimSpanKind::kConsumer)) continue;
    ++error_spans;
    EXPECT_EQ(error_logs.count({s.trace_id, s.span_id}), 1u) << s.name;
  }
  EXPECT_GT(error_spans, 10);
}

TEST(LogGeneratorTest, AccessLogsLookLikeAccessLogs) {
  const std::unique_ptr<LogRun> run = Generate(100, 10, nullptr, 2);
  const std::regex http(R"(^(GET|POST|PUT|DELETE|PATCH) /\S* \d{3} \d+ms user=u-\d+ ip=[\d.]+$)");
  const std::regex grpc(
      R"(^finished unary call grpc\.method=\S+ grpc\.code=\w+ duration=[\d.]+ms peer=[\d.]+$)");
  int http_lines = 0, grpc_lines = 0;
  for (const SimLogRecord& r : run->buffer.logs) {
    const std::string body(r.body);
    if (std::regex_match(body, http)) ++http_lines;
    if (std::regex_match(body, grpc)) ++grpc_lines;
    EXPECT_FALSE(body.empty());
    EXPECT_EQ(r.severity_text == "ERROR", r.severity_number == 17);
  }
  EXPECT_GT(http_lines, 100);
  EXPECT_GT(grpc_lines, 100);
}

TEST(LogGeneratorTest, VolumeFollowsTrafficAndIsBounded) {
  const std::unique_ptr<LogRun> low = Generate(50, 30, nullptr, 3);
  const std::unique_ptr<LogRun> high = Generate(100, 30, nullptr, 3);
  const double ratio =
      static_cast<double>(high->buffer.logs.size()) / static_cast<double>(low->buffer.logs.size());
  EXPECT_NEAR(ratio, 2.0, 0.4);
  // About half a line per instance per second at the mean load, plus warnings and errors.
  const double per_second = static_cast<double>(high->buffer.logs.size()) / 30;
  EXPECT_GT(per_second, 50);
  EXPECT_LT(per_second, 1500);

  // Every request of the frontend fails: its error lines stop at the token bucket's rate.
  const Fleet& fleet = SharedFleet();
  const FaultSchedule all_fail = *FaultSchedule::Create(
      fleet, {std::make_shared<ErrorBurstFault>("frontend", kStart,
                                                kStart + 3600 * core::kNsPerSecond, 1.0, 500)});
  const std::unique_ptr<LogRun> burst = Generate(100, 30, &all_fail, 3);
  int frontend_errors = 0;
  for (const SimLogRecord& r : burst->buffer.logs) {
    if (r.severity_number >= 17 && fleet.instances[r.instance].service == 0) ++frontend_errors;
  }
  // The burst of 50, then 10 a second over the 30 s (and the last requests' few seconds).
  EXPECT_LE(frontend_errors, 50 + 10 * 33);
  EXPECT_GE(frontend_errors, 10 * 30);
}

TEST(LogGeneratorTest, HousekeepingLinesHaveNoTraceContext) {
  const Fleet& fleet = SharedFleet();
  LogGenerator logs(&fleet, 100, 1);
  TelemetryBuffer buffer;
  for (int i = 0; i < static_cast<int>(fleet.instances.size()); ++i) {
    logs.OnHousekeeping(i, kStart, buffer);
  }
  ASSERT_FALSE(buffer.logs.empty());
  for (const SimLogRecord& r : buffer.logs) {
    EXPECT_FALSE(r.in_span);
    EXPECT_LE(r.time_ns, kStart);
  }
}

}  // namespace
}  // namespace augur::sim
