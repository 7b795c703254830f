// Scoring of root-cause analysis against injected faults (`augur eval rca`), as the RCA literature
// does it: each fault is matched to the incident Augur opened for it, and the rank of the true
// root cause among the incident's candidates gives AC@k (the fraction of faults whose root cause
// is among the first k candidates; a fault with no incident counts as a miss at every k) and
// Avg@5 (the mean of AC@1..AC@5). Detection delay is fault start to the end of the incident's
// first anomalous window (when the window closed and the alarm could be raised). Incidents that
// match no fault are false; their rate is per simulated day of fault-free time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"

namespace augur::eval {

struct RcaFault {
  std::string type;  // "latency", "bad_deploy", ...
  std::string root_cause;
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;
  std::string description;  // what was injected, for people reading a run
};

struct RcaIncident {
  uint64_t id = 0;
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;              // 0 while open
  std::vector<std::string> candidates;  // best first
};

struct MatchWindow {
  core::TimeNs before_ns = 30 * core::kNsPerSecond;  // an incident may start this early...
  core::TimeNs after_ns = 2 * core::kNsPerMinute;    // ...or this long after the fault ends
  core::TimeNs window_ns = 10 * core::kNsPerSecond;  // the detection window length
};

struct FaultOutcome {
  RcaFault fault;
  bool detected = false;
  uint64_t incident_id = 0;
  core::TimeNs delay_ns = 0;
  int rank = 0;  // 1-based rank of the root cause among the candidates; 0 = not among them
  std::vector<std::string> top;  // the first five candidates
};

// Each fault (in start order) takes the earliest incident starting within its match window that
// no earlier fault took.
std::vector<FaultOutcome> MatchFaults(std::vector<RcaFault> faults,
                                      const std::vector<RcaIncident>& incidents,
                                      const MatchWindow& window = {});

struct RcaScores {
  size_t faults = 0;
  size_t detected = 0;
  double ac1 = 0;
  double ac3 = 0;
  double avg5 = 0;
  double median_delay_s = 0;  // over detected faults; NaN when none was
};

RcaScores Score(const std::vector<FaultOutcome>& outcomes);

// Incidents starting in [from, to) outside every fault's match window, and the fault-free time of
// [from, to) in days.
size_t FalseIncidents(const std::vector<RcaIncident>& incidents,
                      const std::vector<RcaFault>& faults, core::TimeNs from, core::TimeNs to,
                      const MatchWindow& window = {});
double FaultFreeDays(const std::vector<RcaFault>& faults, core::TimeNs from, core::TimeNs to,
                     const MatchWindow& window = {});

}  // namespace augur::eval
