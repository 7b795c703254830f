#include "sim/fault_library.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/printf.h>

#include "core/time.h"

namespace augur::sim {

namespace {

constexpr double kMs = core::kNsPerMillisecond;

std::string Window(const Fault& f) {
  return fmt::sprintf("[%s, %s)", core::FormatRfc3339(f.start_ns()),
                      core::FormatRfc3339(f.end_ns()));
}

// Independent chances of failing combine as 1 - (1 - p1)(1 - p2).
double Combine(double p, double q) { return 1 - (1 - p) * (1 - q); }

}  // namespace

double RampAt(core::TimeNs t, core::TimeNs start_ns, core::TimeNs end_ns, core::TimeNs ramp_ns) {
  if (t < start_ns || t >= end_ns) return 0;
  if (ramp_ns <= 0) return 1;
  const double up = static_cast<double>(t - start_ns) / static_cast<double>(ramp_ns);
  const double down = static_cast<double>(end_ns - t) / static_cast<double>(ramp_ns);
  return std::clamp(std::min(up, down), 0.0, 1.0);
}

BadDeployFault::BadDeployFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                               int operation, std::string operation_name, double error_probability,
                               std::string version)
    : Fault(std::move(target), start_ns, end_ns),
      operation_(operation),
      operation_name_(std::move(operation_name)),
      error_probability_(error_probability),
      version_(std::move(version)) {}

void BadDeployFault::Apply(ServiceState& state, core::TimeNs) const {
  state.failing_operation = operation_;
  state.operation_error_probability =
      Combine(state.operation_error_probability, error_probability_);
  // The new code also does a little more work.
  state.cpu_utilization_add += 0.02;
}

std::string BadDeployFault::Describe() const {
  return fmt::sprintf("bad deploy of %s %s: %s fails %.0f%% of requests %s", target(), version_,
                      operation_name_, 100 * error_probability_, Window(*this));
}

CpuSaturationFault::CpuSaturationFault(std::string target, core::TimeNs start_ns,
                                       core::TimeNs end_ns, double intensity)
    : Fault(std::move(target), start_ns, end_ns), intensity_(intensity) {}

void CpuSaturationFault::Apply(ServiceState& state, core::TimeNs) const {
  const double i = intensity_;
  state.cpu_utilization_floor = std::max(state.cpu_utilization_floor, 0.75 + 0.2 * i);
  state.latency_multiplier *= 1 + 1.5 * i;
  // Near saturation requests wait in the run queue (M/M/1: rho / (1 - rho) service times).
  state.queue_wait_mean_ns += (5 + 25 * i) * kMs;
  state.queue_depth_add += 5 + 20 * i;
  state.cpu_throttled_add += 0.1 + 0.3 * i;
  state.gc_pause_multiplier *= 1 + i;
}

std::string CpuSaturationFault::Describe() const {
  return fmt::sprintf("CPU saturation (intensity %.2g) on %s %s", intensity_, target(),
                      Window(*this));
}

MemoryLeakFault::MemoryLeakFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                                 double intensity)
    : Fault(std::move(target), start_ns, end_ns),
      intensity_(intensity),
      leak_bytes_((0.3 + 1.2 * intensity) * 1e9),
      downtime_ns_(std::min<core::TimeNs>(
          static_cast<core::TimeNs>((3 + 4 * intensity) * core::kNsPerSecond),
          (end_ns - start_ns) / 4)) {}

void MemoryLeakFault::Apply(ServiceState& state, core::TimeNs t) const {
  const core::TimeNs down_ns = end_ns() - downtime_ns_;
  if (t >= down_ns) {
    state.unavailable_probability = 1;  // killed; the new process is not up yet
    return;
  }
  const double share = static_cast<double>(t - start_ns()) /
                       static_cast<double>(std::max<core::TimeNs>(1, down_ns - start_ns()));
  state.memory_bytes_add += share * leak_bytes_;
  // Garbage collection thrashes once the heap is nearly full.
  const double late = std::pow(std::clamp((share - 0.6) / 0.4, 0.0, 1.0), 2);
  state.latency_multiplier *= 1 + 4 * intensity_ * late;
  state.gc_pause_multiplier *= 1 + 20 * intensity_ * late;
  state.cpu_utilization_add += 0.4 * intensity_ * late;
  state.queue_depth_add += 10 * intensity_ * late;
}

std::string MemoryLeakFault::Describe() const {
  return fmt::sprintf("memory leak of %.1f GB in %s, killed and restarted (%.0fs down) %s",
                      leak_bytes_ / 1e9, target(),
                      static_cast<double>(downtime_ns_) / core::kNsPerSecond, Window(*this));
}

PeerOutageFault::PeerOutageFault(std::string peer, core::TimeNs start_ns, core::TimeNs end_ns,
                                 double intensity)
    : Fault(std::move(peer), start_ns, end_ns), intensity_(intensity) {}

void PeerOutageFault::Apply(ServiceState& state, core::TimeNs) const {
  state.error_probability = Combine(state.error_probability, failure_probability());
  state.error_style = ErrorStyle::kRefused;
}

std::string PeerOutageFault::Describe() const {
  return fmt::sprintf("outage of %s: %.0f%% of connections fail %s", target(),
                      100 * failure_probability(), Window(*this));
}

PacketLossFault::PacketLossFault(std::string caller, std::string callee, core::TimeNs start_ns,
                                 core::TimeNs end_ns, double intensity)
    : Fault(std::move(callee), start_ns, end_ns),
      caller_(std::move(caller)),
      intensity_(intensity) {}

void PacketLossFault::ApplyEdge(EdgeState& state, core::TimeNs) const {
  const double i = intensity_;
  state.retransmit_probability = Combine(state.retransmit_probability, 0.1 + 0.3 * i);
  state.repeat_loss_probability = std::max(state.repeat_loss_probability, 0.2 + 0.3 * i);
  state.stall_probability = Combine(state.stall_probability, 0.01 + 0.04 * i);
}

std::string PacketLossFault::Describe() const {
  return fmt::sprintf("packet loss (intensity %.2g) on calls from %s to %s %s", intensity_, caller_,
                      target(), Window(*this));
}

TrafficSurgeFault::TrafficSurgeFault(std::string entry, core::TimeNs start_ns, core::TimeNs end_ns,
                                     double intensity, core::TimeNs ramp_ns)
    : Fault(std::move(entry), start_ns, end_ns), intensity_(intensity), ramp_ns_(ramp_ns) {}

double TrafficSurgeFault::ExtraArrivalsAt(core::TimeNs t) const {
  return 4 * intensity_ * RampAt(t, start_ns(), end_ns(), ramp_ns_);
}

std::string TrafficSurgeFault::Describe() const {
  return fmt::sprintf("traffic surge at %s: x%.2g root requests %s", target(), 1 + 4 * intensity_,
                      Window(*this));
}

SaturationFault::SaturationFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                                 double level, core::TimeNs ramp_ns)
    : Fault(std::move(target), start_ns, end_ns), level_(level), ramp_ns_(ramp_ns) {}

void SaturationFault::Apply(ServiceState& state, core::TimeNs t) const {
  const double e = level_ * RampAt(t, start_ns(), end_ns(), ramp_ns_);
  if (e <= 0) return;
  state.latency_multiplier *= 1 + 2 * e;
  state.queue_wait_mean_ns += 20 * kMs * e;
  state.queue_depth_add += 25 * e;
  state.cpu_utilization_floor = std::max(state.cpu_utilization_floor, 0.5 + 0.45 * e);
  state.error_probability = Combine(state.error_probability, 0.02 * e * e);
  state.error_http_status = 503;
  state.error_style = ErrorStyle::kOverload;
}

std::string SaturationFault::Describe() const {
  return fmt::sprintf("saturation %.2g of %s %s", level_, target(), Window(*this));
}

CpuHogFault::CpuHogFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                         double intensity)
    : Fault(std::move(target), start_ns, end_ns), intensity_(intensity) {}

void CpuHogFault::Apply(ServiceState& state, core::TimeNs) const {
  state.cpu_utilization_floor = std::max(state.cpu_utilization_floor, 0.85 + 0.13 * intensity_);
  state.latency_multiplier *= 1 + 0.2 * intensity_;
}

std::string CpuHogFault::Describe() const {
  return fmt::sprintf("%s burns CPU (intensity %.2g) %s", target(), intensity_, Window(*this));
}

CpuContentionFault::CpuContentionFault(std::string target, std::string neighbour,
                                       core::TimeNs start_ns, core::TimeNs end_ns, double intensity)
    : Fault(std::move(target), start_ns, end_ns),
      neighbour_(std::move(neighbour)),
      intensity_(intensity) {}

void CpuContentionFault::Apply(ServiceState& state, core::TimeNs) const {
  const double i = intensity_;
  state.latency_multiplier *= 1 + 2 * i;
  state.queue_wait_mean_ns += (3 + 12 * i) * kMs;
  state.cpu_throttled_add += 0.15 + 0.45 * i;
  state.queue_depth_add += 3 + 12 * i;
}

std::string CpuContentionFault::Describe() const {
  return fmt::sprintf("%s starved of CPU by %s on a shared host (intensity %.2g) %s", target(),
                      neighbour_, intensity_, Window(*this));
}

}  // namespace augur::sim
