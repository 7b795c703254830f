// End-to-end: the simulator against a small in-process OTLP/gRPC receiver on 127.0.0.1.
#include "sim/simulator.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "sim/fault.h"
#include "sim/runtime_metrics.h"
#include "sim/traffic.h"

namespace augur::sim {
namespace {

namespace logs_svc = opentelemetry::proto::collector::logs::v1;
namespace metrics_svc = opentelemetry::proto::collector::metrics::v1;
namespace trace_svc = opentelemetry::proto::collector::trace::v1;

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

// What the receiver got. Handlers run on gRPC's threads.
struct Received {
  absl::Mutex mu;
  uint64_t trace_requests = 0, metric_requests = 0, log_requests = 0;
  uint64_t spans = 0, roots = 0, points = 0, logs = 0;
  std::set<std::string> trace_ids;
  int unavailable_left = 0;  // answer this many trace requests with UNAVAILABLE first
  bool reject_logs = false;  // answer log requests with INVALID_ARGUMENT
};

class Traces final : public trace_svc::TraceService::Service {
 public:
  explicit Traces(Received* r) : r_(r) {}
  grpc::Status Export(grpc::ServerContext*, const trace_svc::ExportTraceServiceRequest* req,
                      trace_svc::ExportTraceServiceResponse*) override {
    absl::MutexLock lock(&r_->mu);
    if (r_->unavailable_left > 0) {
      --r_->unavailable_left;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up");
    }
    ++r_->trace_requests;
    for (const auto& rs : req->resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          ++r_->spans;
          r_->roots += span.parent_span_id().empty();
          r_->trace_ids.insert(span.trace_id());
        }
      }
    }
    return grpc::Status::OK;
  }

 private:
  Received* r_;
};

class Metrics final : public metrics_svc::MetricsService::Service {
 public:
  explicit Metrics(Received* r) : r_(r) {}
  grpc::Status Export(grpc::ServerContext*, const metrics_svc::ExportMetricsServiceRequest* req,
                      metrics_svc::ExportMetricsServiceResponse*) override {
    absl::MutexLock lock(&r_->mu);
    ++r_->metric_requests;
    for (const auto& rm : req->resource_metrics()) {
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) {
          r_->points += m.gauge().data_points_size() + m.sum().data_points_size() +
                        m.histogram().data_points_size();
        }
      }
    }
    return grpc::Status::OK;
  }

 private:
  Received* r_;
};

class Logs final : public logs_svc::LogsService::Service {
 public:
  explicit Logs(Received* r) : r_(r) {}
  grpc::Status Export(grpc::ServerContext*, const logs_svc::ExportLogsServiceRequest* req,
                      logs_svc::ExportLogsServiceResponse*) override {
    absl::MutexLock lock(&r_->mu);
    ++r_->log_requests;
    if (r_->reject_logs) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no logs here");
    for (const auto& rl : req->resource_logs()) {
      for (const auto& sl : rl.scope_logs()) r_->logs += sl.log_records_size();
    }
    return grpc::Status::OK;
  }

 private:
  Received* r_;
};

class Receiver {
 public:
  // A receiver with gzip disabled answers compressed requests with UNIMPLEMENTED.
  explicit Receiver(bool gzip = true) : traces_(&received), metrics_(&received), logs_(&received) {
    grpc::ServerBuilder builder;
    if (!gzip) builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&traces_);
    builder.RegisterService(&metrics_);
    builder.RegisterService(&logs_);
    server_ = builder.BuildAndStart();
  }
  ~Receiver() { Shutdown(); }
  void Shutdown() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

  Received received;

 private:
  Traces traces_;
  Metrics metrics_;
  Logs logs_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

SimulatorOptions FastOptions(const std::string& endpoint) {
  SimulatorOptions o;
  o.endpoint = endpoint;
  o.services = 60;
  o.rate = 50;
  o.speedup = 1e6;  // as fast as it generates
  o.seed = 3;
  o.duration_s = 30;
  o.start_time_ns = kStart;
  o.batch_spans = 256;
  o.metrics_interval_s = 10;
  return o;
}

TEST(SimulatorTest, DeliversExactlyWhatItCountsOverGrpc) {
  Receiver receiver;
  Simulator simulator(FastOptions(receiver.endpoint()));
  ASSERT_TRUE(simulator.Run().ok());
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.received.mu);
  const Received& r = receiver.received;
  EXPECT_EQ(stats.spans, r.spans);
  EXPECT_EQ(stats.traces, r.roots);
  EXPECT_EQ(stats.traces, r.trace_ids.size());
  EXPECT_EQ(stats.metric_points, r.points);
  EXPECT_EQ(stats.log_records, r.logs);
  EXPECT_EQ(stats.requests, r.trace_requests + r.metric_requests + r.log_requests);
  EXPECT_EQ(stats.failed_requests, 0u);
  EXPECT_EQ(stats.retries, 0u);
  EXPECT_DOUBLE_EQ(stats.simulated_seconds, 30);
  // 50 requests/s on average over the week, this many at noon on a Wednesday; reports at 10, 20
  // and 30 s.
  const TrafficShape traffic(50, 3);
  double expected = 0;
  for (int s = 0; s < 30; ++s) expected += traffic.RateAt(kStart + s * core::kNsPerSecond);
  EXPECT_NEAR(static_cast<double>(stats.traces), expected, 0.1 * expected);
  // Three reports of every instance.
  EXPECT_EQ(stats.metric_points % (3 * kRuntimeMetricsPerInstance), 0u);
  EXPECT_GT(stats.metric_points, 60u * 3 * kRuntimeMetricsPerInstance);
  EXPECT_GT(stats.log_records, 100u);
}

TEST(SimulatorTest, RetriesUnavailableAndCompresses) {
  Receiver receiver;
  {
    absl::MutexLock lock(&receiver.received.mu);
    receiver.received.unavailable_left = 3;
  }
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.gzip = true;
  options.duration_s = 10;
  options.send_logs = false;
  options.max_in_flight = 1;
  Simulator simulator(options);
  ASSERT_TRUE(simulator.Run().ok());
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.received.mu);
  EXPECT_EQ(stats.retries, 3u);
  EXPECT_EQ(stats.failed_requests, 0u);
  EXPECT_EQ(stats.spans, receiver.received.spans);
  EXPECT_EQ(stats.log_records, 0u);
  EXPECT_EQ(receiver.received.log_requests, 0u);
}

TEST(SimulatorTest, CompressesWithGzipWhenAsked) {
  // Proof by refusal: a receiver without gzip rejects every compressed request.
  Receiver plain_only(/*gzip=*/false);
  SimulatorOptions options = FastOptions(plain_only.endpoint());
  options.duration_s = 2;
  options.gzip = true;
  Simulator compressed(options);
  EXPECT_EQ(compressed.Run().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(compressed.Stats().requests, 0u);
  EXPECT_GT(compressed.Stats().failed_requests, 0u);
  options.gzip = false;
  Simulator plain(options);
  EXPECT_TRUE(plain.Run().ok());
  EXPECT_EQ(plain.Stats().failed_requests, 0u);
}

TEST(SimulatorTest, DropsAndCountsPermanentRejections) {
  Receiver receiver;
  {
    absl::MutexLock lock(&receiver.received.mu);
    receiver.received.reject_logs = true;
  }
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.duration_s = 10;
  Simulator simulator(options);
  ASSERT_TRUE(simulator.Run().ok());
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.received.mu);
  EXPECT_GT(receiver.received.log_requests, 0u);
  EXPECT_EQ(stats.failed_requests, receiver.received.log_requests);
  EXPECT_EQ(stats.log_records, 0u);
  EXPECT_EQ(stats.retries, 0u);
  EXPECT_EQ(stats.spans, receiver.received.spans);
}

TEST(SimulatorTest, FailsFastWhenTheReceiverIsUnreachable) {
  std::string endpoint;
  {
    Receiver gone;
    endpoint = gone.endpoint();
  }
  const auto started = std::chrono::steady_clock::now();
  Simulator simulator(FastOptions(endpoint));
  const absl::Status status = simulator.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
}

TEST(SimulatorTest, RejectsInvalidOptions) {
  SimulatorOptions o = FastOptions("127.0.0.1:1");
  o.rate = 0;
  EXPECT_EQ(Simulator(o).Run().code(), absl::StatusCode::kInvalidArgument);
  o = FastOptions("127.0.0.1:1");
  o.services = 3;
  EXPECT_EQ(Simulator(o).Run().code(), absl::StatusCode::kInvalidArgument);
  o = FastOptions("127.0.0.1:1");
  o.batch_spans = 0;
  EXPECT_EQ(Simulator(o).Run().code(), absl::StatusCode::kInvalidArgument);
  o = FastOptions("127.0.0.1:1");
  o.faults.push_back(std::make_shared<ErrorBurstFault>("nope", kStart, kStart + 1, 0.5));
  EXPECT_EQ(Simulator(o).Run().code(), absl::StatusCode::kInvalidArgument);
  o = FastOptions("https://127.0.0.1:1");
  EXPECT_EQ(Simulator(o).Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SimulatorTest, PacesSimulatedTimeAndStops) {
  Receiver receiver;
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.speedup = 20;
  options.duration_s = 0;  // until Stop()
  Simulator simulator(options);
  std::atomic<bool> done{false};
  absl::Status status;
  std::thread runner([&] {
    status = simulator.Run();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double midway = simulator.Stats().simulated_seconds;
  simulator.Stop();
  runner.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(done);
  // 20 simulated seconds per wall second, minus start-up (building the fleet, connecting).
  EXPECT_GT(midway, 2);
  EXPECT_LT(midway, 11);
  const SimulatorStats stats = simulator.Stats();
  absl::MutexLock lock(&receiver.received.mu);
  EXPECT_EQ(stats.spans, receiver.received.spans);
  EXPECT_GT(stats.spans, 0u);
}

// Today's clock in nanoseconds is beyond what a double holds exactly: a run that starts at an odd
// nanosecond still reaches its end.
TEST(SimulatorTest, EndsAtAnyNanosecond) {
  Receiver receiver;
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.start_time_ns = kStart + 123'456'789;
  options.duration_s = 5;
  Simulator simulator(options);
  EXPECT_TRUE(simulator.Run().ok());
  EXPECT_EQ(simulator.Stats().simulated_seconds, 5);
}

// A backfill: ten simulated minutes in the past go out at once, then simulated time follows the
// wall clock and never runs ahead of it.
TEST(SimulatorTest, CatchesUpWithTheWallClockThenKeepsPace) {
  Receiver receiver;
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.speedup = 1;
  options.catch_up = true;
  options.start_time_ns = core::Clock::Real().NowNs() - 600 * core::kNsPerSecond;
  options.duration_s = 0;  // until Stop()
  Simulator simulator(options);
  absl::Status status;
  std::thread runner([&] { status = simulator.Run(); });
  // The ten minutes are sent however long generating them takes.
  while (!simulator.Stats().caught_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(simulator.Stats().simulated_seconds, 600);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double ahead_s =
      static_cast<double>(options.start_time_ns - core::Clock::Real().NowNs()) / 1e9 +
      simulator.Stats().simulated_seconds;
  simulator.Stop();
  runner.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_LE(ahead_s, 0.01);  // at the wall clock, not beyond it
  EXPECT_GT(ahead_s, -5);    // and not far behind it either
}

TEST(SimulatorTest, StopsPromptlyWhileTheReceiverRefuses) {
  Receiver receiver;
  {
    absl::MutexLock lock(&receiver.received.mu);
    receiver.received.unavailable_left = 1 << 30;
  }
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.duration_s = 0;
  options.send_metrics = false;
  options.send_logs = false;
  Simulator simulator(options);
  absl::Status status;
  std::thread runner([&] { status = simulator.Run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto stopped = std::chrono::steady_clock::now();
  simulator.Stop();
  runner.join();
  // Retries give up within their grace period; nothing was accepted.
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(3));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_GT(simulator.Stats().retries, 0u);
  EXPECT_EQ(simulator.Stats().spans, 0u);
}

TEST(SimulatorTest, RunsOnlyOnce) {
  Receiver receiver;
  SimulatorOptions options = FastOptions(receiver.endpoint());
  options.duration_s = 1;
  Simulator simulator(options);
  EXPECT_TRUE(simulator.Run().ok());
  EXPECT_EQ(simulator.Run().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace augur::sim
