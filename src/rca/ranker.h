// Ranks the candidate root causes of an incident and writes the evidence for each.
//
// Candidates are the services and peers of the incident's subgraph: those with anomalous signals
// and the callees they depend on. Evidence combined (weights in RankerConfig):
//  - graph: a personalized random walk on the anomalous subgraph in the direction of calls
//    (caller -> callee, weighted by the callee's anomaly; a node keeps the walk in proportion to
//    the anomaly its callees do not explain), personalized by anomaly strength — an anomalous
//    callee explains anomalous callers (in the spirit of MicroRCA, Wu et al. NOMS 2020, and
//    personalized PageRank, Haveliwala 2002);
//  - own evidence: the node's own trace-derived signals (errors that originate in its spans, its
//    exclusive self time), its error logs, its saturation — it is broken, not just slow because of
//    someone else;
//  - which anomaly started first;
//  - changes: a deploy or restart of the node shortly before the incident, or a change from
//    outside: users sending clearly more requests into an entry point.
// Load: a node that serves 1.5 times its usual requests is busier; its latency, own time and
// runtime metrics count for less (slow because busier), and when users flooded an entry point,
// everything downstream of it counts for less. Noisy neighbours: a node throttled without using
// more CPU itself, on a host (Placements) where another node's CPU use rose, is starved by that
// neighbour, which takes its evidence and to which the walk may move as to a callee.
// Not thread-safe; stateless between calls.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rca/incident.h"

namespace augur::rca {

struct RankerConfig {
  double damping = 0.85;  // random walk: probability of following an edge (vs. restarting)
  int iterations = 40;
  double weight_graph = 0.35;
  double weight_own = 0.35;
  double weight_first = 0.1;
  double weight_change = 0.2;
  size_t max_candidates = 10;
  core::TimeNs first_scale_ns = 2 * core::kNsPerMinute;  // how fast "started later" stops counting
  core::TimeNs change_lookback_ns = 15 * core::kNsPerMinute;
  // A rise of requests from outside (IsOutsideLoad) is a cause, a change from outside, only when
  // it began at most this long after the incident's start; later, it follows from the incident
  // (users retrying, a messaging consumer working off its backlog once an outage is over).
  core::TimeNs outside_lead_ns = 2 * core::kNsPerMinute;
  // A starved node's neighbour counts as burning CPU when its CPU use scored at least this at
  // least neighbour_min_points times in the incident or this long before it, or stayed above its
  // usual range for two minutes (the pipeline's CpuPeakLookup, CpuSignal::kNeighbourUse; one noisy
  // point is no burn).
  double neighbour_min_score = 0.98;
  int neighbour_min_points = 3;
  core::TimeNs neighbour_lookback_ns = 2 * core::kNsPerMinute;
  // A neighbour whose CPU rise began more than this after a node's throttling did not starve it
  // (it rose later, by chance or as a consequence).
  core::TimeNs neighbour_lead_ns = 2 * core::kNsPerMinute;
};

// Signals of a node that are its own evidence, not symptoms others cause: its trace evidence
// (derive::TraceEvidenceBuilder: errors that originate in it, its own time, the wire time of calls
// into it), its error logs, its runtime metrics.
bool IsOwnEvidenceSignal(const detect::SeriesRef& series);
bool IsTraceEvidenceSignal(const detect::SeriesRef& series);
// An ingested runtime metric of the service (CPU, memory, GC, queues), not a RED signal or a log.
bool IsRuntimeMetric(const detect::SeriesRef& series);
// A clear rise (1.5 times or more) of the requests arriving from outside the fleet: on a call from
// "user", or the node's own rate when `at_entry_point` (its node is called by "user" and no other
// node that users flood feeds it). Never on a call from another service.
bool IsOutsideLoad(const detect::AnomalyEvent& event, bool at_entry_point);
// How much an event counts as its node's own evidence, 0 to 1: trace evidence that rises and a
// rise of requests from outside (IsOutsideLoad) fully; error logs 0.7 and runtime metrics 0.5
// (noisier, and often consequences); 0 for symptoms.
double OwnEvidenceWeight(const detect::AnomalyEvent& event, bool at_entry_point = false);

// A family of CPU-use series (process.cpu.utilization, process.cpu.time, container CPU usage), and
// of CPU-throttling series (container.cpu.throttling_ratio, cAdvisor's cfs_throttled).
bool IsCpuUseFamily(std::string_view family);
bool IsCpuThrottlingFamily(std::string_view family);

// Throttling and kNeighbourUse (the CPU use of a neighbour of a starved node) count a sustained run
// above the series' usual range as a rise as well as high scores (a detector that lived through
// an earlier throttling, a surge's, scores the next one low); kUse, a node's own CPU use, takes
// high scores only (a victim's own CPU, lifted a little and steadily by its callers' retries, is
// no burn).
enum class CpuSignal { kUse, kThrottling, kNeighbourUse };
// A recent rise of a service's CPU use (or throttling): its strongest point as an event, and how
// much more than expected it took over the whole rise (the sum of value - expected over its
// points; a one-point spike's excess is its own height).
struct CpuRise {
  detect::AnomalyEvent peak;
  double excess = 0;
};
// The strongest recent rise of a service's CPU use (or throttling) in [from, to], below the event
// threshold too (the series' recent points and kept rises); nullopt when it did not rise. The
// lookup decides what counts as a rise (RankerConfig::neighbour_min_score). The ranker asks for
// the throttling of a node that slowed by itself without using more CPU, and for the CPU use of
// the services on the hosts of a node starved of CPU.
using CpuPeakLookup = std::function<std::optional<CpuRise>(
    const std::string& service, CpuSignal signal, core::TimeNs from, core::TimeNs to)>;

class Ranker {
 public:
  explicit Ranker(RankerConfig config = {}) : config_(config) {}

  std::vector<Candidate> Rank(const std::vector<detect::AnomalyEvent>& events,
                              const std::vector<GraphEdge>& edges,
                              const std::vector<ChangeEvent>& changes, core::TimeNs incident_start,
                              const Placements* hosts = nullptr,
                              const CpuPeakLookup* cpu_peak = nullptr,
                              core::TimeNs incident_latest = INT64_MIN) const;

 private:
  RankerConfig config_;
};

// What the ranker tells apart in an event of a node besides its strength (peak score) and its
// start: its source, signal, direction, severity, whether it is a SERVER operation, a call from
// users, a clear rise of arrivals. Of the events of one node and class, the ranker reads the
// strongest and the earliest: given only those (and `incident_latest`, the latest time of all of
// them), Rank gives the same candidates (unless the class's strongest event that began in time
// for a change from outside, RankerConfig::outside_lead_ns, is neither).
std::string EvidenceClass(const detect::AnomalyEvent& event);

// The node (service or peer) an event speaks about: the service of a service, span-metric or log
// series; the callee of a service-graph edge series.
std::string NodeOf(const detect::AnomalyEvent& event);

}  // namespace augur::rca
