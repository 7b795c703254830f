#include "eval/rca_score.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace augur::eval {
namespace {

bool InWindow(core::TimeNs t, const RcaFault& f, const MatchWindow& w) {
  return t >= f.start_ns - w.before_ns && t <= f.end_ns + w.after_ns;
}

}  // namespace

std::vector<FaultOutcome> MatchFaults(std::vector<RcaFault> faults,
                                      const std::vector<RcaIncident>& incidents,
                                      const MatchWindow& window) {
  std::stable_sort(faults.begin(), faults.end(),
                   [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
  std::vector<const RcaIncident*> by_start;
  for (const RcaIncident& i : incidents) by_start.push_back(&i);
  std::stable_sort(by_start.begin(), by_start.end(),
                   [](const auto* a, const auto* b) { return a->start_ns < b->start_ns; });
  std::set<uint64_t> taken;
  std::vector<FaultOutcome> out;
  for (RcaFault& f : faults) {
    FaultOutcome o;
    for (const RcaIncident* i : by_start) {
      if (taken.contains(i->id) || !InWindow(i->start_ns, f, window)) continue;
      taken.insert(i->id);
      o.detected = true;
      o.incident_id = i->id;
      o.delay_ns = std::max<core::TimeNs>(0, i->start_ns + window.window_ns - f.start_ns);
      for (size_t k = 0; k < i->candidates.size(); ++k) {
        if (k < 5) o.top.push_back(i->candidates[k]);
        if (o.rank == 0 && i->candidates[k] == f.root_cause) o.rank = static_cast<int>(k) + 1;
      }
      break;
    }
    o.fault = std::move(f);
    out.push_back(std::move(o));
  }
  return out;
}

RcaScores Score(const std::vector<FaultOutcome>& outcomes) {
  RcaScores s;
  s.faults = outcomes.size();
  if (outcomes.empty()) {
    s.median_delay_s = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  std::vector<double> at(6, 0);  // at[k]: faults with rank in 1..k
  std::vector<double> delays;
  for (const FaultOutcome& o : outcomes) {
    if (!o.detected) continue;
    ++s.detected;
    delays.push_back(static_cast<double>(o.delay_ns) / core::kNsPerSecond);
    for (int k = 1; k <= 5; ++k) at[k] += o.rank >= 1 && o.rank <= k ? 1 : 0;
  }
  const double n = static_cast<double>(outcomes.size());
  s.ac1 = at[1] / n;
  s.ac3 = at[3] / n;
  for (int k = 1; k <= 5; ++k) s.avg5 += at[k] / n / 5;
  if (delays.empty()) {
    s.median_delay_s = std::numeric_limits<double>::quiet_NaN();
  } else {
    std::sort(delays.begin(), delays.end());
    const size_t m = delays.size() / 2;
    s.median_delay_s = delays.size() % 2 == 1 ? delays[m] : (delays[m - 1] + delays[m]) / 2;
  }
  return s;
}

size_t FalseIncidents(const std::vector<RcaIncident>& incidents,
                      const std::vector<RcaFault>& faults, core::TimeNs from, core::TimeNs to,
                      const MatchWindow& window) {
  size_t n = 0;
  for (const RcaIncident& i : incidents) {
    if (i.start_ns < from || i.start_ns >= to) continue;
    bool near_fault = std::any_of(faults.begin(), faults.end(), [&](const RcaFault& f) {
      return InWindow(i.start_ns, f, window);
    });
    n += near_fault ? 0 : 1;
  }
  return n;
}

double FaultFreeDays(const std::vector<RcaFault>& faults, core::TimeNs from, core::TimeNs to,
                     const MatchWindow& window) {
  // The union of the fault windows clipped to [from, to), subtracted from its length.
  std::vector<std::pair<core::TimeNs, core::TimeNs>> spans;
  for (const RcaFault& f : faults) {
    core::TimeNs a = std::max(from, f.start_ns - window.before_ns);
    core::TimeNs b = std::min(to, f.end_ns + window.after_ns);
    if (a < b) spans.emplace_back(a, b);
  }
  std::sort(spans.begin(), spans.end());
  core::TimeNs covered = 0, reach = from;
  for (auto [a, b] : spans) {
    a = std::max(a, reach);
    if (b > a) covered += b - a;
    reach = std::max(reach, b);
  }
  const double free_ns = static_cast<double>(std::max<core::TimeNs>(0, to - from) - covered);
  return free_ns / (86400.0 * core::kNsPerSecond);
}

}  // namespace augur::eval
