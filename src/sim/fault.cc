#include "sim/fault.h"

#include <algorithm>
#include <utility>

#include <fmt/printf.h>

#include "absl/status/status.h"
#include "sim/fleet.h"
#include "sim/random.h"

namespace augur::sim {

bool ServiceState::IsNormal() const {
  return latency_multiplier == 1 && added_latency_ns == 0 && queue_wait_mean_ns == 0 &&
         error_probability == 0 && operation_error_probability == 0 &&
         unavailable_probability == 0 && cpu_utilization_add == 0 && cpu_utilization_floor == 0 &&
         cpu_throttled_add == 0 && memory_bytes_add == 0 && queue_depth_add == 0 &&
         gc_pause_multiplier == 1;
}

bool EdgeState::IsNormal() const { return retransmit_probability == 0 && stall_probability == 0; }

Fault::Fault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns)
    : target_(std::move(target)), start_ns_(start_ns), end_ns_(end_ns) {}

const std::string& Fault::caller() const {
  static const std::string kNone;
  return kNone;
}
void Fault::Apply(ServiceState&, core::TimeNs) const {}
void Fault::ApplyEdge(EdgeState&, core::TimeNs) const {}
double Fault::ExtraArrivalsAt(core::TimeNs) const { return 0; }
double Fault::MaxExtraArrivals() const { return 0; }
std::string_view Fault::deployed_version() const { return {}; }
core::TimeNs Fault::restart_downtime_ns() const { return 0; }

LatencyFault::LatencyFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                           double multiplier, core::TimeNs added_ns, double gc_pause_multiplier)
    : Fault(std::move(target), start_ns, end_ns),
      multiplier_(multiplier),
      added_ns_(added_ns),
      gc_pause_multiplier_(gc_pause_multiplier) {}

void LatencyFault::Apply(ServiceState& state, core::TimeNs) const {
  state.latency_multiplier *= multiplier_;
  state.added_latency_ns += added_ns_;
  state.gc_pause_multiplier *= gc_pause_multiplier_;
  // Requests that take longer pile up: by Little's law the queue grows with the latency.
  state.queue_depth_add += 2 * std::max(0.0, multiplier_ - 1) +
                           static_cast<double>(added_ns_) / (50 * core::kNsPerMillisecond);
  state.cpu_utilization_add += 0.03;
}

std::string LatencyFault::Describe() const {
  return fmt::sprintf("latency x%.2g +%dms on %s [%s, %s)", multiplier_,
                      added_ns_ / core::kNsPerMillisecond, target(),
                      core::FormatRfc3339(start_ns()), core::FormatRfc3339(end_ns()));
}

ErrorBurstFault::ErrorBurstFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                                 double probability, int http_status)
    : Fault(std::move(target), start_ns, end_ns),
      probability_(probability),
      http_status_(http_status) {}

void ErrorBurstFault::Apply(ServiceState& state, core::TimeNs) const {
  // Independent chances of failing combine as 1 - (1 - p1)(1 - p2).
  state.error_probability = 1 - (1 - state.error_probability) * (1 - probability_);
  state.error_http_status = http_status_;
}

std::string ErrorBurstFault::Describe() const {
  return fmt::sprintf("errors %.3g (HTTP %d) on %s [%s, %s)", probability_, http_status_, target(),
                      core::FormatRfc3339(start_ns()), core::FormatRfc3339(end_ns()));
}

std::string RestartedInstanceId(std::string_view instance_id, int generation) {
  if (generation == 0) return std::string(instance_id);
  uint64_t h = 0x1D0C0FFEEULL;
  for (unsigned char c : instance_id) h = Mix64(h ^ c);
  const uint64_t hi = Mix64(h + static_cast<uint64_t>(generation));
  const uint64_t lo = Mix64(hi ^ 0xA5A5A5A5ULL);
  return fmt::sprintf("%08x-%04x-4%03x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFF,
                      0x8000 | ((lo >> 48) & 0x3FFF), lo & 0xFFFFFFFFFFFFULL);
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
    if (!fault->caller().empty()) {
      const int caller = fleet.FindService(fault->caller());
      const int callee = fleet.FindService(fault->target());
      if (caller < 0 || callee < 0) {
        return absl::InvalidArgumentError(
            fmt::sprintf("faults: %s names \"%s\", which is not a service of the fleet",
                         fault->Describe(), caller < 0 ? fault->caller() : fault->target()));
      }
      schedule.edges_.push_back({caller, callee, fault.get()});
      continue;
    }
    if (const int s = fleet.FindService(fault->target()); s >= 0) {
      schedule.by_service_[s].push_back(fault.get());
      if (fault->MaxExtraArrivals() > 0) schedule.surges_.push_back({s, fault.get()});
    } else if (const int p = fleet.FindPeer(fault->target()); p >= 0) {
      schedule.by_peer_[p].push_back(fault.get());
    } else {
      return absl::InvalidArgumentError(fmt::sprintf(
          "faults: %s targets \"%s\", which is neither a service nor a peer of the fleet",
          fault->Describe(), fault->target()));
    }
  }
  schedule.faults_ = std::move(faults);
  schedule.BuildIdentities(fleet);
  return schedule;
}

// Works out, per service whose identity some fault changes, the versions and process generations
// over time, and the lifecycle log events that go with them.
void FaultSchedule::BuildIdentities(const Fleet& fleet) {
  identities_.resize(fleet.instances.size());
  restarts_.resize(fleet.services.size());
  service_of_instance_.resize(fleet.instances.size());
  for (size_t i = 0; i < fleet.instances.size(); ++i) {
    service_of_instance_[i] = fleet.instances[i].service;
  }
  for (int v = 0; v < static_cast<int>(fleet.services.size()); ++v) {
    const Service& svc = fleet.services[v];
    std::vector<const Fault*> deploys, restarts;
    for (const Fault* f : by_service_[v]) {
      if (!f->deployed_version().empty()) deploys.push_back(f);
      if (f->restart_downtime_ns() > 0) restarts.push_back(f);
    }
    if (deploys.empty() && restarts.empty()) continue;
    std::vector<core::TimeNs> boundaries;
    for (const Fault* f : deploys) {
      boundaries.push_back(f->start_ns());
      boundaries.push_back(f->end_ns());
    }
    for (const Fault* f : restarts) {
      const core::TimeNs down = std::max(f->start_ns(), f->end_ns() - f->restart_downtime_ns());
      restarts_[v].push_back({down, f->end_ns()});
      boundaries.push_back(f->end_ns());
    }
    std::sort(restarts_[v].begin(), restarts_[v].end(),
              [](const Restart& a, const Restart& b) { return a.up_ns < b.up_ns; });
    std::sort(boundaries.begin(), boundaries.end());
    boundaries.erase(std::unique(boundaries.begin(), boundaries.end()), boundaries.end());

    // The version at `t`: that of the latest-started deploy active then, else the fleet's.
    auto version_at = [&](core::TimeNs t) -> std::string_view {
      const Fault* latest = nullptr;
      for (const Fault* f : deploys) {
        if (f->ActiveAt(t) && (latest == nullptr || f->start_ns() >= latest->start_ns())) {
          latest = f;
        }
      }
      return latest != nullptr ? latest->deployed_version() : std::string_view(svc.version);
    };
    auto generation_at = [&](core::TimeNs t) {
      int g = 0;
      for (const Restart& r : restarts_[v]) g += r.up_ns <= t;
      return g;
    };
    for (int i : svc.instances) {
      const Instance& inst = fleet.instances[i];
      std::vector<IdentitySegment>& segments = identities_[i];
      segments.push_back({INT64_MIN, svc.version, inst.instance_id});
      for (core::TimeNs b : boundaries) {
        IdentitySegment next{b, std::string(version_at(b)),
                             RestartedInstanceId(inst.instance_id, generation_at(b))};
        const IdentitySegment& last = segments.back();
        if (next.version == last.version && next.instance_id == last.instance_id) continue;
        const bool restarted = next.instance_id != last.instance_id;
        segments.push_back(std::move(next));
        if (!restarted) {
          // A deploy or rollback replaces the process too; its logs say which version started.
          versions_.push_back(std::make_unique<std::string>(segments.back().version));
          lifecycle_.push_back({b, i, LifecycleEvent::Kind::kStarted, *versions_.back(), 0});
        }
      }
      for (const Restart& r : restarts_[v]) {
        // The heap fills in the last part of the leak; the kill comes when it is full.
        const Fault* f = nullptr;
        for (const Fault* candidate : restarts) {
          if (candidate->end_ns() == r.up_ns) f = candidate;
        }
        const core::TimeNs leak_ns = r.down_ns - f->start_ns();
        lifecycle_.push_back(
            {f->start_ns() + leak_ns * 8 / 10, i, LifecycleEvent::Kind::kHeapWarning, {}, 0.85});
        lifecycle_.push_back(
            {f->start_ns() + leak_ns * 19 / 20, i, LifecycleEvent::Kind::kHeapWarning, {}, 0.95});
        lifecycle_.push_back({r.down_ns, i, LifecycleEvent::Kind::kOutOfMemory, {}, 1.0});
        versions_.push_back(std::make_unique<std::string>(version_at(r.up_ns)));
        lifecycle_.push_back({r.up_ns, i, LifecycleEvent::Kind::kStarted, *versions_.back(), 0});
      }
    }
  }
  std::stable_sort(
      lifecycle_.begin(), lifecycle_.end(),
      [](const LifecycleEvent& a, const LifecycleEvent& b) { return a.time_ns < b.time_ns; });
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

EdgeState FaultSchedule::EdgeStateAt(int caller, int callee, core::TimeNs t) const {
  EdgeState state;
  for (const EdgeFault& e : edges_) {
    if (e.caller == caller && e.callee == callee && e.fault->ActiveAt(t)) {
      e.fault->ApplyEdge(state, t);
    }
  }
  return state;
}

const std::vector<FaultSchedule::IdentitySegment>& FaultSchedule::IdentityChanges(
    int instance) const {
  static const std::vector<IdentitySegment> kNone;
  return identities_.empty() ? kNone : identities_[instance];
}

core::TimeNs FaultSchedule::ProcessStartAt(int instance, core::TimeNs t) const {
  core::TimeNs start = INT64_MIN;
  if (restarts_.empty()) return start;
  for (const Restart& r : restarts_[service_of_instance_[instance]]) {
    if (r.up_ns <= t) start = r.up_ns;
  }
  return start;
}

bool FaultSchedule::InstanceDownAt(int instance, core::TimeNs t) const {
  if (restarts_.empty()) return false;
  for (const Restart& r : restarts_[service_of_instance_[instance]]) {
    if (t >= r.down_ns && t < r.up_ns) return true;
  }
  return false;
}

}  // namespace augur::sim
