#include "sim/fault.h"

#include <algorithm>
#include <utility>

#include <fmt/printf.h>

#include "absl/status/status.h"
#include "sim/fleet.h"

namespace augur::sim {

bool ServiceState::IsNormal() const {
  return latency_multiplier == 1 && added_latency_ns == 0 && error_probability == 0 &&
         cpu_utilization_add == 0 && memory_bytes_add == 0 && queue_depth_add == 0;
}

Fault::Fault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns)
    : target_(std::move(target)), start_ns_(start_ns), end_ns_(end_ns) {}

LatencyFault::LatencyFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                           double multiplier, core::TimeNs added_ns)
    : Fault(std::move(target), start_ns, end_ns), multiplier_(multiplier), added_ns_(added_ns) {}

void LatencyFault::Apply(ServiceState& state, core::TimeNs t) const {
  state.latency_multiplier *= multiplier_;
  state.added_latency_ns += added_ns_;
  // Requests that take longer pile up: by Little's law the queue grows with the latency.
  state.queue_depth_add += 2 * std::max(0.0, multiplier_ - 1) +
                           static_cast<double>(added_ns_) / (50 * core::kNsPerMillisecond);
  state.cpu_utilization_add += 0.03;
}

std::string LatencyFault::Describe() const {
  return fmt::sprintf("latency x%.2g +%dms on %s [%d, %d)", multiplier_,
                      added_ns_ / core::kNsPerMillisecond, target(), start_ns(), end_ns());
}

ErrorBurstFault::ErrorBurstFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                                 double probability, int http_status)
    : Fault(std::move(target), start_ns, end_ns),
      probability_(probability),
      http_status_(http_status) {}

void ErrorBurstFault::Apply(ServiceState& state, core::TimeNs t) const {
  // Independent chances of failing combine as 1 - (1 - p1)(1 - p2).
  state.error_probability = 1 - (1 - state.error_probability) * (1 - probability_);
  state.error_http_status = http_status_;
}

std::string ErrorBurstFault::Describe() const {
  return fmt::sprintf("errors %.3g (HTTP %d) on %s [%d, %d)", probability_, http_status_, target(),
                      start_ns(), end_ns());
}

absl::StatusOr<FaultSchedule> FaultSchedule::Create(
    const Fleet& fleet, std::vector<std::shared_ptr<const Fault>> faults) {
  FaultSchedule schedule;
  if (faults.empty()) return schedule;
  schedule.by_service_.resize(fleet.services.size());
  schedule.by_peer_.resize(fleet.peers.size());
  for (const std::shared_ptr<const Fault>& fault : faults) {
    if (fault == nullptr) return absl::InvalidArgumentError("faults: null fault");
    if (fault->end_ns() <= fault->start_ns()) {
      return absl::InvalidArgumentError(
          fmt::sprintf("faults: %s has an empty time window", fault->Describe()));
    }
    if (const int s = fleet.FindService(fault->target()); s >= 0) {
      schedule.by_service_[s].push_back(fault.get());
    } else if (const int p = fleet.FindPeer(fault->target()); p >= 0) {
      schedule.by_peer_[p].push_back(fault.get());
    } else {
      return absl::InvalidArgumentError(fmt::sprintf(
          "faults: %s targets \"%s\", which is neither a service nor a peer of the fleet",
          fault->Describe(), fault->target()));
    }
  }
  schedule.faults_ = std::move(faults);
  return schedule;
}

ServiceState FaultSchedule::StateAt(const std::vector<const Fault*>& faults, core::TimeNs t) {
  ServiceState state;
  for (const Fault* f : faults) {
    if (f->ActiveAt(t)) f->Apply(state, t);
  }
  return state;
}

ServiceState FaultSchedule::ServiceStateAt(int service, core::TimeNs t) const {
  if (by_service_.empty()) return {};
  return StateAt(by_service_[service], t);
}

ServiceState FaultSchedule::PeerStateAt(int peer, core::TimeNs t) const {
  if (by_peer_.empty()) return {};
  return StateAt(by_peer_[peer], t);
}

}  // namespace augur::sim
