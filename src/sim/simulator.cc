#include "sim/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/printf.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/status_util.h"
#include "sim/export_dispatcher.h"
#include "sim/fault.h"
#include "sim/fleet.h"
#include "sim/log_generator.h"
#include "sim/otlp_request_builder.h"
#include "sim/otlp_resources.h"
#include "sim/otlp_sender.h"
#include "sim/otlp_wire_encoder.h"
#include "sim/request_recorder.h"
#include "sim/runtime_metrics.h"
#include "sim/scenario.h"
#include "sim/telemetry_buffer.h"
#include "sim/text.h"
#include "sim/trace_generator.h"
#include "sim/traffic.h"

namespace augur::sim {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Simulated time advances at most this much per loop turn, so generation, batching and sending
// interleave even when the speedup is huge.
constexpr core::TimeNs kMaxStepNs = core::kNsPerSecond;
// Partial batches go out at least this often (wall time), like a Collector's batch timeout.
constexpr auto kFlushInterval = std::chrono::milliseconds(200);
// Traces waiting for their last span to end; more than this are released early.
constexpr size_t kMaxPendingTraces = 200'000;

absl::Status Validate(const SimulatorOptions& o) {
  auto invalid = [](std::string_view key, std::string_view why) {
    return absl::InvalidArgumentError(Cat(key, ": ", why));
  };
  if (o.endpoint.empty()) return invalid("endpoint", "must not be empty");
  if (o.endpoint == "none" && o.record_path.empty()) {
    return invalid("endpoint", "none sends nothing: give record_path to record the requests");
  }
  if (o.services < kMinServices || o.services > kMaxServices) {
    return invalid("services", fmt::sprintf("%d is out of range [%d, %d]", o.services, kMinServices,
                                            kMaxServices));
  }
  if (!(o.rate > 0) || o.rate > 1e6) {
    return invalid("rate", fmt::sprintf("%g must be in (0, 1e6] requests/s", o.rate));
  }
  if (!(o.speedup > 0)) return invalid("speedup", fmt::sprintf("%g must be > 0", o.speedup));
  if (!(o.duration_s >= 0)) {
    return invalid("duration_s", fmt::sprintf("%g must be >= 0", o.duration_s));
  }
  if (o.start_time_ns < 0) return invalid("start_time_ns", "must be >= 0");
  if (o.batch_spans < 1 || o.batch_spans > 100'000) {
    return invalid("batch_spans", fmt::sprintf("%d is out of range [1, 100000]", o.batch_spans));
  }
  if (o.send_metrics && !(o.metrics_interval_s >= 0.1)) {
    return invalid("metrics_interval_s", fmt::sprintf("%g must be >= 0.1", o.metrics_interval_s));
  }
  if (o.max_in_flight < 1 || o.max_in_flight > 256) {
    return invalid("max_in_flight", fmt::sprintf("%d is out of range [1, 256]", o.max_in_flight));
  }
  return absl::OkStatus();
}

// With endpoint "none": every request is accepted at once (it has been recorded).
class NullSender : public OtlpSender {
 public:
  ExportAttempt Export(const ExportPayload&) override { return {}; }
  absl::Status CheckReachable(core::TimeNs) override { return absl::OkStatus(); }
};

// Generated traces held until their last span has ended in simulated time, as an SDK exports a
// span only when it ends: a min-heap on release time, over pooled buffers.
class PendingTraces {
 public:
  std::unique_ptr<TelemetryBuffer> Acquire() {
    if (pool_.empty()) return std::make_unique<TelemetryBuffer>();
    std::unique_ptr<TelemetryBuffer> b = std::move(pool_.back());
    pool_.pop_back();
    return b;
  }
  void Recycle(std::unique_ptr<TelemetryBuffer> b) {
    b->Clear();
    if (pool_.size() < 4096 && b->MemoryBytes() < (1 << 20)) pool_.push_back(std::move(b));
  }

  void Push(core::TimeNs release_ns, std::unique_ptr<TelemetryBuffer> buffer) {
    heap_.push_back({release_ns, sequence_++, std::move(buffer)});
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  core::TimeNs next_release_ns() const { return heap_.front().release_ns; }
  std::unique_ptr<TelemetryBuffer> Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    std::unique_ptr<TelemetryBuffer> b = std::move(heap_.back().buffer);
    heap_.pop_back();
    return b;
  }

 private:
  struct Entry {
    core::TimeNs release_ns;
    uint64_t sequence;  // ties release in generation order
    std::unique_ptr<TelemetryBuffer> buffer;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.release_ns != b.release_ns ? a.release_ns > b.release_ns : a.sequence > b.sequence;
  }

  std::vector<Entry> heap_;
  std::vector<std::unique_ptr<TelemetryBuffer>> pool_;
  uint64_t sequence_ = 0;
};

}  // namespace

struct Simulator::Impl {
  explicit Impl(SimulatorOptions o) : options(std::move(o)) {}

  absl::Status Run();

  const SimulatorOptions options;
  std::atomic<bool> stop{false};
  // The running dispatcher, so that Stop() can cut its retries short when the receiver is away.
  absl::Mutex mu;
  ExportDispatcher* active_dispatcher ABSL_GUARDED_BY(mu) = nullptr;
  std::vector<GroundTruth> ground_truths ABSL_GUARDED_BY(mu);
  std::atomic<bool> started{false};
  ExportCounters counters;
  std::atomic<double> simulated_seconds{0};
  std::atomic<bool> caught_up{false};
};

absl::Status Simulator::Impl::Run() {
  AUGUR_RETURN_IF_ERROR(Validate(options));
  FleetOptions fleet_options;
  fleet_options.services = options.services;
  fleet_options.seed = options.seed;
  AUGUR_ASSIGN_OR_RETURN(Fleet built, Fleet::Build(fleet_options));
  if (options.scenario.has_value()) ColocateNoisyNeighbours(*options.scenario, &built);
  // Spans hold views into the fleet: it stays put from here on.
  const auto fleet = std::make_unique<const Fleet>(std::move(built));
  const core::TimeNs start_ns =
      options.start_time_ns != 0 ? options.start_time_ns : core::Clock::Real().NowNs();
  std::vector<std::shared_ptr<const Fault>> all_faults = options.faults;
  std::vector<GroundTruth> truths;
  if (options.scenario.has_value()) {
    AUGUR_ASSIGN_OR_RETURN(ResolvedScenario resolved,
                           ResolveScenario(*options.scenario, *fleet, start_ns));
    all_faults.insert(all_faults.end(), resolved.faults.begin(), resolved.faults.end());
    truths = std::move(resolved.ground_truths);
  }
  AUGUR_ASSIGN_OR_RETURN(const FaultSchedule faults,
                         FaultSchedule::Create(*fleet, std::move(all_faults)));
  std::unique_ptr<RequestRecorder> recorder;
  if (!options.record_path.empty()) {
    AUGUR_ASSIGN_OR_RETURN(recorder, RequestRecorder::Open(options.record_path));
  }
  std::vector<std::unique_ptr<OtlpSender>> senders;
  if (options.endpoint == "none") {
    senders.push_back(std::make_unique<NullSender>());
  } else {
    AUGUR_ASSIGN_OR_RETURN(senders, MakeSenders(options, options.max_in_flight));
    AUGUR_RETURN_IF_ERROR(senders.front()->CheckReachable(10 * core::kNsPerSecond));
  }
  ExportDispatcher dispatcher(std::move(senders), 2 * static_cast<size_t>(options.max_in_flight),
                              RetryPolicy{}, &counters);
  {
    absl::MutexLock lock(&mu);
    active_dispatcher = &dispatcher;
    ground_truths = truths;
  }
  struct Unpublish {
    Impl* impl;
    ~Unpublish() {
      absl::MutexLock lock(&impl->mu);
      impl->active_dispatcher = nullptr;
    }
  } unpublish{this};
  if (options.on_start) options.on_start(truths);

  const core::TimeNs end_ns =
      options.duration_s > 0
          ? start_ns + static_cast<core::TimeNs>(std::llround(options.duration_s * 1e9))
          : INT64_MAX;
  const core::TimeNs interval_ns =
      static_cast<core::TimeNs>(std::llround(options.metrics_interval_s * 1e9));
  const int batch = options.batch_spans;

  const OtlpResources resources(*fleet, &faults);
  const TrafficShape traffic(options.rate, options.seed);
  RootArrivals arrivals(&traffic, *fleet, &faults, start_ns, options.seed);
  const std::vector<LifecycleEvent>& lifecycle = faults.lifecycle_events();
  size_t next_lifecycle = 0;
  absl::Status record_status;
  TraceGenerator traces(fleet.get(), faults.empty() ? nullptr : &faults, options.seed);
  std::optional<LogGenerator> logs;
  if (options.send_logs) {
    logs.emplace(fleet.get(), options.rate, options.seed);
    traces.set_log_generator(&*logs);
  }
  std::vector<InstanceLoad> load(fleet->instances.size());
  std::optional<RuntimeMetrics> metrics;
  if (options.send_metrics) {
    metrics.emplace(fleet.get(), &resources, options.rate, start_ns, options.seed);
    traces.set_instance_load(&load);
  }

  // Requests go out encoded straight to the wire, unless something needs them as messages (a
  // recording, or JSON bodies): then through the message builders.
  const bool as_messages = recorder != nullptr || options.protocol == Protocol::kHttpJson;
  const RequestEncoding encoding =
      as_messages ? RequestEncoding::kMessages : RequestEncoding::kWire;
  TraceRequestBuilder span_requests(&resources);
  LogRequestBuilder log_requests(&resources);
  TraceWireEncoder span_wire(&resources);
  LogWireEncoder log_wire(&resources);
  PendingTraces pending;
  TelemetryBuffer housekeeping;
  auto submit = [&](ExportPayload payload) {
    if (recorder != nullptr && record_status.ok()) {
      record_status = recorder->Write(*payload.message);
    }
    dispatcher.Submit(std::move(payload));
  };
  auto release_into = [&](auto& spans, auto& logs, const TelemetryBuffer& b) {
    for (const SimSpan& s : b.spans) {
      spans.Add(b, s);
      if (spans.size() >= static_cast<uint64_t>(batch)) submit(spans.Take());
    }
    for (const SimLogRecord& r : b.logs) {
      logs.Add(b, r);
      if (logs.size() >= static_cast<uint64_t>(batch)) submit(logs.Take());
    }
  };
  auto release = [&](const TelemetryBuffer& b) {
    if (as_messages) {
      release_into(span_requests, log_requests, b);
    } else {
      release_into(span_wire, log_wire, b);
    }
  };
  auto flush_from = [&](auto& spans, auto& logs) {
    if (!spans.empty()) submit(spans.Take());
    if (!logs.empty()) submit(logs.Take());
  };
  auto flush = [&] {
    if (as_messages) {
      flush_from(span_requests, log_requests);
    } else {
      flush_from(span_wire, log_wire);
    }
  };
  auto report = [&](core::TimeNs t) {
    if (metrics) {
      for (ExportPayload& p : metrics->Report(t, interval_ns, load, &faults, batch, encoding)) {
        submit(std::move(p));
      }
    }
    if (logs) {
      for (int i = 0; i < static_cast<int>(fleet->instances.size()); ++i) {
        logs->OnHousekeeping(i, t, housekeeping);
      }
      release(housekeeping);
      housekeeping.Clear();
    }
  };

  RootArrivals::Arrival next_arrival = arrivals.Next();
  core::TimeNs next_report_ns = options.send_metrics ? start_ns + interval_ns : INT64_MAX;
  core::TimeNs generated_ns = start_ns;  // everything before this is generated
  // Pacing: simulated time pace_origin_ns at wall time wall_start, then `speedup` times faster.
  SteadyClock::time_point wall_start = SteadyClock::now();
  core::TimeNs pace_origin_ns = start_ns;
  bool catching_up = options.catch_up;
  SteadyClock::time_point last_flush = wall_start;

  while (!stop.load() && !dispatcher.failed_fatally() && record_status.ok() &&
         generated_ns < end_ns) {
    // Targets in integer nanoseconds: a double cannot hold every nanosecond of today's clock,
    // and a rounded end would never be reached.
    core::TimeNs target_ns = end_ns;
    if (catching_up) {
      // As fast as the machine goes until the simulated clock is within a step of the wall
      // clock (which moves on while a step is generated: equal it would never be).
      const core::TimeNs now_ns = core::Clock::Real().NowNs();
      if (generated_ns >= now_ns - kMaxStepNs) {
        catching_up = false;
        caught_up = true;
        pace_origin_ns = generated_ns;
        wall_start = SteadyClock::now();
      } else {
        target_ns = now_ns;
      }
    }
    if (!catching_up) {
      const double wall_s = std::chrono::duration<double>(SteadyClock::now() - wall_start).count();
      const double ahead_ns = std::min(wall_s * options.speedup * 1e9, 1e18);
      target_ns = pace_origin_ns + static_cast<core::TimeNs>(ahead_ns);
    }
    target_ns = std::min({target_ns, generated_ns + kMaxStepNs, end_ns});
    if (target_ns <= generated_ns) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } else {
      // Arrivals up to each report first, so a report counts exactly the requests before it.
      for (;;) {
        const core::TimeNs until_ns = std::min(target_ns, next_report_ns);
        while (next_arrival.t < until_ns) {
          std::unique_ptr<TelemetryBuffer> buffer = pending.Acquire();
          const core::TimeNs t = next_arrival.t;
          const TraceSummary summary =
              traces.Generate(t, traffic.Multiplier(t), *buffer, next_arrival.entry_service);
          pending.Push(std::max(summary.end_ns, t), std::move(buffer));
          next_arrival = arrivals.Next();
        }
        if (next_report_ns > target_ns) break;
        report(next_report_ns);
        next_report_ns += interval_ns;
      }
      generated_ns = target_ns;
      // Deploys, restarts and out-of-memory kills write their own log lines.
      for (; next_lifecycle < lifecycle.size() && lifecycle[next_lifecycle].time_ns <= generated_ns;
           ++next_lifecycle) {
        if (logs) logs->OnLifecycle(lifecycle[next_lifecycle], housekeeping);
      }
      if (!housekeeping.logs.empty()) {
        release(housekeeping);
        housekeeping.Clear();
      }
      while (!pending.empty() &&
             (pending.next_release_ns() <= generated_ns || pending.size() > kMaxPendingTraces)) {
        std::unique_ptr<TelemetryBuffer> b = pending.Pop();
        release(*b);
        pending.Recycle(std::move(b));
      }
      simulated_seconds.store(static_cast<double>(generated_ns - start_ns) / 1e9);
    }
    if (SteadyClock::now() - last_flush >= kFlushInterval) {
      flush();
      last_flush = SteadyClock::now();
    }
  }

  // Whatever is still running in simulated time is sent as it is.
  while (!pending.empty()) {
    std::unique_ptr<TelemetryBuffer> b = pending.Pop();
    release(*b);
    pending.Recycle(std::move(b));
  }
  flush();
  if (stop.load()) dispatcher.Abandon();
  dispatcher.Close();
  if (recorder != nullptr) {
    AUGUR_RETURN_IF_ERROR(record_status);
    AUGUR_RETURN_IF_ERROR(recorder->Close());
  }

  if (dispatcher.failed_fatally()) return dispatcher.fatal_status();
  if (counters.requests.load() == 0 && counters.failed_requests.load() > 0) {
    return absl::UnavailableError(Cat("no Export request was accepted by ", options.endpoint, ": ",
                                      core::MessageOf(dispatcher.last_failure())));
  }
  return absl::OkStatus();
}

Simulator::Simulator(SimulatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

Simulator::~Simulator() = default;

absl::Status Simulator::Run() {
  if (impl_->started.exchange(true)) {
    return absl::FailedPreconditionError("Simulator::Run may be called once");
  }
  return impl_->Run();
}

void Simulator::Stop() {
  impl_->stop.store(true);
  absl::MutexLock lock(&impl_->mu);
  if (impl_->active_dispatcher != nullptr) impl_->active_dispatcher->Abandon();
}

std::vector<GroundTruth> Simulator::GroundTruths() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->ground_truths;
}

SimulatorStats Simulator::Stats() const {
  SimulatorStats s;
  const ExportCounters& c = impl_->counters;
  s.traces = c.traces.load();
  s.spans = c.spans.load();
  s.metric_points = c.metric_points.load();
  s.log_records = c.log_records.load();
  s.requests = c.requests.load();
  s.failed_requests = c.failed_requests.load();
  s.retries = c.retries.load();
  s.simulated_seconds = impl_->simulated_seconds.load();
  s.caught_up = impl_->caught_up.load();
  return s;
}

}  // namespace augur::sim
