#include "rca/ranker.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/config_node.h"

namespace augur::rca {
namespace {

// Surprise of a calibrated score: 0.99 -> 2, 0.9999 -> 4; capped so one extreme cannot dominate.
double Surprise(double score) {
  return std::min(12.0, -std::log10(std::max(1e-12, 1 - std::clamp(score, 0.0, 1.0))));
}

std::string Clock(core::TimeNs t) { return core::FormatRfc3339(t).substr(11, 8); }

// A node that serves this many times its usual requests is busier because of its callers (or of
// users, at an entry point).
constexpr double kBusier = 1.5;
// What its latency, own time, runtime metrics and rising rates still count for then: slow and
// saturated because busier, not broken.
constexpr double kBusierWeight = 0.3;
// A starved node's neighbours that took at least this share of the most CPU any of them took
// more than usual are the ones that starve it.
constexpr double kStarverShare = 0.75;

// An event that shows clearly more requests arriving at its node: the rate of the node as a
// whole, of one of its SERVER operations, or of a call into it.
bool IsArrivalRise(const detect::AnomalyEvent& e) {
  if (e.series.signal != "rate" || !(e.expected > 0) || e.observed < kBusier * e.expected) {
    return false;
  }
  if (e.series.family == "service" || e.series.family == "service_graph") return true;
  return e.series.family == "span_metrics" && e.series.Label("span_kind") == "SPAN_KIND_SERVER";
}

// What being busier explains by itself: latency, own time, saturation, more of everything (not
// errors: a broken service under retries is busier too).
bool ExplainedByLoad(const detect::AnomalyEvent& e) {
  const std::string& s = e.series.signal;
  if (e.series.family == "logs") return false;
  if (s == "error_ratio" || s == "error_origin_rate") return false;
  if (s == "rate" && e.observed < e.expected) return false;
  return true;
}

struct Node {
  double anomaly = 0;  // strongest surprise of its own symptoms
  double own = 0;      // strongest surprise of its own evidence
  core::TimeNs first = INT64_MAX;
  const detect::AnomalyEvent* strongest = nullptr;
  const detect::AnomalyEvent* strongest_own = nullptr;
  std::vector<const ChangeEvent*> changes;
  const detect::AnomalyEvent* cpu_rise = nullptr;  // its CPU use rose
  double cpu_excess = -1;  // how much more CPU it took over its rise (CpuRise); < 0: not known
  const detect::AnomalyEvent* throttled = nullptr;  // it got less CPU than it asked for
  std::vector<std::string> starves;                 // co-located nodes it starves of CPU
  const detect::AnomalyEvent* flood = nullptr;      // more requests from outside (a change too)
  const detect::AnomalyEvent* slow_call = nullptr;  // calls into it, as their callers waited
  double slow_call_surprise = 0;
  bool slow_itself = false;  // its own latency or own time rose
  bool symptom = false;      // anything besides runtime metrics and logs
};

bool IsLatency(const detect::SeriesRef& s) {
  return s.signal.starts_with("p95") || s.signal == "self_time_p95_ms";
}

bool IsCpuUse(const detect::SeriesRef& s) { return IsCpuUseFamily(s.family); }

bool IsCpuThrottling(const detect::SeriesRef& s) { return IsCpuThrottlingFamily(s.family); }

bool ShareAHost(const Placements& hosts, const std::string& a, const std::string& b) {
  auto ia = hosts.find(a);
  auto ib = hosts.find(b);
  if (ia == hosts.end() || ib == hosts.end()) return false;
  for (const std::string& h : ia->second) {
    if (ib->second.contains(h)) return true;
  }
  return false;
}

std::string Short(const detect::AnomalyEvent& e) {
  if (!e.contributions.empty()) {
    std::string parts;
    for (const auto& c : e.contributions) {
      if (c.share < 0.2) continue;
      parts += parts.empty() ? "" : ", ";
      parts += fmt::format("{} {:.0f}%", c.signal, 100 * c.share);
    }
    return fmt::format("its signals together are unusual (score {:.4g}; {})", e.peak_score, parts);
  }
  auto num = [](double v) {
    return std::fabs(v) >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v);
  };
  return fmt::format("{} of {} was {} against an expected {} (score {:.4g}) at {}", e.series.signal,
                     detect::DescribeSeries(e.series), num(e.observed), num(e.expected),
                     e.peak_score, Clock(e.peak_ns));
}

}  // namespace

bool IsTraceEvidenceSignal(const detect::SeriesRef& series) {
  return series.family == "service" &&
         (series.signal == "error_origin_rate" || series.signal == "self_time_p95_ms" ||
          series.signal == "wire_p95_ms");
}

bool IsOwnEvidenceSignal(const detect::SeriesRef& series) {
  // Trace-derived signals of the service itself, its error logs, and its saturation.
  if (IsTraceEvidenceSignal(series)) return true;
  if (series.family == "logs") {
    const std::string_view severity = series.Label("severity");
    return severity == "ERROR" || severity == "FATAL" || series.signal == "error_ratio";
  }
  // The service's own runtime metrics (CPU, memory, GC, queues, restarts): anything ingested.
  return IsRuntimeMetric(series);
}

bool IsCpuUseFamily(std::string_view family) {
  return family.find("cpu_utilization") != std::string_view::npos ||
         family.find("cpu_time") != std::string_view::npos ||
         family.find("cpu_usage") != std::string_view::npos;
}

bool IsCpuThrottlingFamily(std::string_view family) {
  return family.find("cpu_throttl") != std::string_view::npos ||
         family.find("cpu_cfs_throttled") != std::string_view::npos;
}

bool IsRuntimeMetric(const detect::SeriesRef& series) {
  return series.family != "span_metrics" && series.family != "service" &&
         series.family != "service_graph" && series.family != "logs";
}

bool IsOutsideLoad(const detect::AnomalyEvent& event, bool at_entry_point) {
  if (!IsArrivalRise(event)) return false;
  // A call from inside the fleet is never load from outside, even into an entry point.
  if (event.series.family == "service_graph") return event.series.Label("client") == "user";
  return at_entry_point;
}

double OwnEvidenceWeight(const detect::AnomalyEvent& event, bool at_entry_point) {
  const detect::SeriesRef& series = event.series;
  const bool up = event.observed > event.expected;
  // Trace evidence rising: the node itself fails or slows.
  if (IsTraceEvidenceSignal(series)) return up ? 1.0 : 0.0;
  // More requests from outside than usual enter here: a cause from outside the fleet.
  if (IsOutsideLoad(event, at_entry_point)) return 1.0;
  if (!IsOwnEvidenceSignal(series)) return 0;
  // Logs and runtime metrics: its own, but noisier and often a consequence (queues grow when
  // callees are slow).
  return series.family == "logs" ? 0.7 : 0.5;
}

std::string EvidenceClass(const detect::AnomalyEvent& event) {
  const detect::SeriesRef& s = event.series;
  return fmt::format("{}\x1f{}\x1f{}\x1f{}{}{}{}", s.family, s.signal, s.Label("severity"),
                     s.Label("span_kind") == "SPAN_KIND_SERVER" ? 'S' : '-',
                     s.Label("client") == "user" ? 'U' : '-',
                     event.observed > event.expected ? '+' : '-', IsArrivalRise(event) ? 'A' : '-');
}

std::string NodeOf(const detect::AnomalyEvent& event) {
  if (event.series.family == "service_graph") return std::string(event.series.Label("server"));
  return event.service;
}

std::vector<Candidate> Ranker::Rank(const std::vector<detect::AnomalyEvent>& events,
                                    const std::vector<GraphEdge>& edges,
                                    const std::vector<ChangeEvent>& changes,
                                    core::TimeNs incident_start, const Placements* hosts,
                                    const CpuPeakLookup* cpu_peak,
                                    core::TimeNs incident_latest) const {
  // Load: nodes that serve clearly more requests than usual, and entry points whose rise came from
  // outside (users). What load explains counts for less at the busier nodes; everything downstream
  // of an entry point that users flood is explained by the flood (errors and logs too).
  std::set<std::string> entry_points;
  for (const GraphEdge& edge : edges) {
    if (edge.client == "user") entry_points.insert(edge.server);
  }
  // What `from` calls, directly or through others.
  auto below = [&](const std::set<std::string>& from) {
    std::set<std::string> reached;
    std::vector<std::string> todo(from.begin(), from.end());
    while (!todo.empty()) {
      const std::string node = std::move(todo.back());
      todo.pop_back();
      for (const GraphEdge& edge : edges) {
        if (edge.client == node && edge.server != node && reached.insert(edge.server).second) {
          todo.push_back(edge.server);
        }
      }
    }
    return reached;
  };
  // Where load came in from outside: users' calls into a node rose, or an entry point got busier
  // without another such node above it to pass the load on (users may call services that the
  // flooded entry point calls too: their rise is the entry point's doing).
  // A rise that began well into the incident is a consequence (users retrying, a consumer's
  // backlog once an outage is over), not a cause from outside.
  auto in_time = [&](const detect::AnomalyEvent& e) {
    return e.start_ns <= incident_start + config_.outside_lead_ns;
  };
  std::set<std::string> busier;
  std::set<std::string> user_calls;    // users' calls into it rose
  std::set<std::string> entry_busier;  // an entry point with more requests
  for (const detect::AnomalyEvent& e : events) {
    if (!IsArrivalRise(e)) continue;
    const std::string node = NodeOf(e);
    busier.insert(node);
    if (!in_time(e)) continue;
    if (IsOutsideLoad(e, false)) user_calls.insert(node);
    if (IsOutsideLoad(e, entry_points.contains(node))) entry_busier.insert(node);
  }
  std::set<std::string> outside = user_calls;
  const std::set<std::string> below_users = below(user_calls);
  std::map<std::string, std::set<std::string>> reach;  // what each busier entry point calls
  for (const std::string& node : entry_busier) reach[node] = below({node});
  for (const auto& [node, mine] : reach) {
    if (below_users.contains(node)) continue;
    // Fed by another busier entry point that it does not feed in turn?
    const bool fed = std::any_of(reach.begin(), reach.end(), [&](const auto& other) {
      return other.first != node && other.second.contains(node) && !mine.contains(other.first);
    });
    if (!fed) outside.insert(node);
  }
  const std::set<std::string> downstream = below(outside);
  std::map<std::string, Node> nodes;
  for (const detect::AnomalyEvent& e : events) {
    std::string name = NodeOf(e);
    if (name.empty() || name == "user") continue;
    Node& n = nodes[name];
    const bool entry = outside.contains(name);  // its own rise of requests came from outside
    const bool outside_load = IsOutsideLoad(e, entry);
    const bool from_outside = outside_load && in_time(e);
    double s = Surprise(e.peak_score);
    if (!from_outside &&
        (downstream.contains(name) || (busier.contains(name) && ExplainedByLoad(e)))) {
      s *= kBusierWeight;
    }
    if (from_outside && (n.flood == nullptr || e.peak_score > n.flood->peak_score)) {
      n.flood = &e;
    }
    // A late rise of arrivals is a symptom like any other.
    const double weight = outside_load && !from_outside ? 0 : OwnEvidenceWeight(e, entry);
    if (weight > 0) {
      if (weight * s > n.own) {
        n.own = weight * s;
        n.strongest_own = &e;
      }
    }
    if (s > n.anomaly) {
      n.anomaly = s;
      n.strongest = &e;
    }
    n.first = std::min(n.first, e.start_ns);
    n.symptom |= !IsRuntimeMetric(e.series) && e.series.family != "logs" &&
                 e.series.signal != "multi_signal";
    if (e.observed > e.expected && IsRuntimeMetric(e.series)) {
      if (IsCpuUse(e.series)) n.cpu_rise = &e;
      if (IsCpuThrottling(e.series)) n.throttled = &e;
    }
    if (e.observed > e.expected && IsLatency(e.series) && e.series.signal != "wire_p95_ms") {
      const bool call_into =
          e.series.family == "service_graph" && e.series.Label("client") != "user";
      if (call_into && s > n.slow_call_surprise) {
        n.slow_call = &e;
        n.slow_call_surprise = s;
      }
      // Its own: the service's latency, a SERVER operation's, or its own time.
      n.slow_itself |=
          e.series.family == "service" ||
          (e.series.family == "span_metrics" && e.series.Label("span_kind") == "SPAN_KIND_SERVER");
    }
  }
  if (nodes.empty()) return {};
  core::TimeNs latest = std::max(incident_start, incident_latest);  // its latest event
  for (const detect::AnomalyEvent& e : events) {
    latest = std::max(latest, e.open ? std::max(e.start_ns, e.peak_ns) : e.end_ns);
  }

  // Calls into a node slowed while the node itself answered as fast as usual (no latency or own
  // time of its own rose; a database shows none anyway): the time went on the way, between the
  // callers and it (the network, a connection pool) — its own evidence, as the wire time is.
  for (auto& [name, n] : nodes) {
    if (n.slow_call == nullptr || n.slow_itself) continue;
    if (n.slow_call_surprise > n.own) {
      n.own = n.slow_call_surprise;
      n.strongest_own = n.slow_call;
    }
  }

  // A node with nothing but runtime metrics and logs that began well after the incident's first
  // anomaly (a neighbour throttled minutes later) followed it or joined by chance: what it shows
  // counts for as much less as it came later (as "started first" does), and so does what a
  // neighbour takes from it when it was starved.
  core::TimeNs earliest_event = INT64_MAX;
  for (const auto& [name, n] : nodes) earliest_event = std::min(earliest_event, n.first);
  for (auto& [name, n] : nodes) {
    if (n.symptom || n.first == INT64_MAX) continue;
    const double later = std::exp(-static_cast<double>(n.first - earliest_event) /
                                  static_cast<double>(config_.first_scale_ns));
    n.anomaly *= later;
    n.own *= later;
  }

  // Noisy neighbours: a node starved of CPU (throttled, its own CPU use not up) next to a node
  // whose CPU use rose on a shared host is slowed by that neighbour. The neighbour takes the
  // starved node's evidence (and the walk may move to it as to a callee); the starved node's own
  // evidence counts for less.
  std::map<std::string, std::vector<std::string>> starved_by;
  std::deque<detect::AnomalyEvent> found_cpu;  // CPU rises found below the event threshold
  if (hosts != nullptr) {
    // Load explains CPU too: neither a busier node's CPU nor its throttling says anything about
    // its neighbours.
    auto loaded = [&](const std::string& node) {
      return busier.contains(node) || downstream.contains(node);
    };
    // CPU gauges are noisy: a hog's step often scores 0.99, not the event threshold. Below it,
    // the series' recent points still show a sustained rise (CpuPeakLookup).
    const bool look = cpu_peak != nullptr && *cpu_peak;
    auto look_up = [&](const std::string& service, CpuSignal signal) -> detect::AnomalyEvent* {
      std::optional<CpuRise> found =
          (*cpu_peak)(service, signal, incident_start - config_.neighbour_lookback_ns, latest);
      if (!found.has_value()) return nullptr;
      if (signal != CpuSignal::kThrottling) nodes[service].cpu_excess = found->excess;
      found_cpu.push_back(std::move(found->peak));
      return &found_cpu.back();
    };
    // A node that slowed by itself without using more CPU: was it throttled, below the event
    // threshold?
    if (look) {
      for (auto& [name, n] : nodes) {
        if (!n.slow_itself || n.throttled != nullptr || n.cpu_rise != nullptr || loaded(name) ||
            !hosts->contains(name)) {
          continue;
        }
        n.throttled = look_up(name, CpuSignal::kThrottling);
      }
      // A throttled node's own CPU use, then the CPU use of the services on its hosts.
      std::vector<std::string> starved;
      for (auto& [name, n] : nodes) {
        if (n.throttled == nullptr || n.cpu_rise != nullptr || loaded(name)) continue;
        // Its own CPU use may have risen below the event threshold too: then it burns the CPU
        // itself.
        n.cpu_rise = look_up(name, CpuSignal::kUse);
        if (n.cpu_rise == nullptr) starved.push_back(name);
      }
      for (const std::string& victim : starved) {
        for (const auto& [other, other_hosts] : *hosts) {
          if (other == victim || loaded(other) || !ShareAHost(*hosts, victim, other)) continue;
          auto known = nodes.find(other);
          if (known != nodes.end() && known->second.cpu_rise != nullptr) continue;
          detect::AnomalyEvent* rise = look_up(other, CpuSignal::kNeighbourUse);
          if (rise == nullptr) continue;
          Node& h = nodes[other];
          h.cpu_rise = rise;
          h.first = std::min(h.first, rise->start_ns);
        }
      }
    }
    // A host's CPU goes to whoever takes most of it: of the neighbours whose CPU use rose, those
    // that took about as much more as the one that took most, over their whole rise (a busy
    // service's one-window spike to a full core is not what starves a neighbour for minutes).
    auto rise = [&](const std::string& name) {
      Node& n = nodes[name];
      if (n.cpu_excess < 0 && look) look_up(name, CpuSignal::kNeighbourUse);
      if (n.cpu_excess < 0) n.cpu_excess = n.cpu_rise->observed - n.cpu_rise->expected;
      return n.cpu_excess;
    };
    for (auto& [name, n] : nodes) {
      if (n.throttled == nullptr || n.cpu_rise != nullptr || loaded(name)) continue;
      std::vector<std::string> neighbours;
      double most = 0;
      for (auto& [other, m] : nodes) {
        // A neighbour whose CPU rose only after the node was throttled did not starve it.
        if (other == name || m.cpu_rise == nullptr || loaded(other) ||
            !ShareAHost(*hosts, name, other) ||
            m.cpu_rise->start_ns > n.throttled->start_ns + config_.neighbour_lead_ns) {
          continue;
        }
        neighbours.push_back(other);
        most = std::max(most, rise(other));
      }
      for (const std::string& other : neighbours) {
        if (rise(other) >= kStarverShare * most) starved_by[name].push_back(other);
      }
    }
    for (const auto& [victim, neighbours] : starved_by) {
      Node& v = nodes[victim];
      for (const std::string& other : neighbours) {
        Node& h = nodes[other];
        h.own = std::max(h.own, v.own);
        h.anomaly = std::max(h.anomaly, v.anomaly);
        h.starves.push_back(victim);
      }
      v.own *= kBusierWeight;
    }
  }

  // Callees of anomalous nodes are candidates too (an uninstrumented database shows only through
  // its callers' edges, which already name it; a quiet callee scores from the walk alone).
  std::map<std::string, std::vector<std::string>> callees;
  std::map<std::string, std::vector<std::string>> callers;
  for (const GraphEdge& edge : edges) {
    if (edge.client == "user" || edge.client == edge.server) continue;
    if (nodes.contains(edge.client) || nodes.contains(edge.server)) {
      callees[edge.client].push_back(edge.server);
      callers[edge.server].push_back(edge.client);
    }
  }
  for (const auto& [victim, neighbours] : starved_by) {
    for (const std::string& other : neighbours) callees[victim].push_back(other);
  }
  for (const auto& [client, list] : callees) {
    if (!nodes.contains(client)) continue;
    for (const std::string& server : list) nodes.try_emplace(server);
  }
  // Changes from shortly before the incident up to its latest event (stage 1 reports deploys ahead
  // of the anomalies scored after them: a later deploy explains nothing here).
  for (const ChangeEvent& c : changes) {
    auto it = nodes.find(c.service);
    if (it != nodes.end() && c.t >= incident_start - config_.change_lookback_ns && c.t <= latest) {
      it->second.changes.push_back(&c);
    }
  }

  // Personalized random walk (power iteration) over the candidate subgraph.
  std::vector<std::string> names;
  std::map<std::string, size_t> index;
  for (const auto& [name, n] : nodes) {
    index[name] = names.size();
    names.push_back(name);
  }
  const size_t k = names.size();
  double anomaly_total = 0;
  for (const auto& [name, n] : nodes) anomaly_total += n.anomaly + n.own;
  std::vector<double> personal(k, 1.0 / static_cast<double>(k));
  if (anomaly_total > 0) {
    for (size_t i = 0; i < k; ++i) {
      const Node& n = nodes[names[i]];
      personal[i] = (n.anomaly + n.own) / anomaly_total;
    }
  }
  // Out-weights: to each callee by its anomaly (plus a little, so quiet callees are reachable);
  // to itself by the anomaly its callees do not explain.
  std::vector<std::vector<std::pair<size_t, double>>> out(k);
  for (size_t i = 0; i < k; ++i) {
    const Node& n = nodes[names[i]];
    double strongest_callee = 0;
    auto it = callees.find(names[i]);
    if (it != callees.end()) {
      std::set<std::string> seen;
      for (const std::string& callee : it->second) {
        if (!seen.insert(callee).second || !index.contains(callee)) continue;
        const Node& c = nodes[callee];
        double w = c.anomaly + c.own + 0.1;
        strongest_callee = std::max(strongest_callee, c.anomaly + c.own);
        out[i].push_back({index[callee], w});
      }
    }
    double unexplained = std::max(0.0, n.anomaly + n.own - strongest_callee) + n.own + 0.1;
    out[i].push_back({i, unexplained});
  }
  std::vector<double> rank = personal;
  for (int iter = 0; iter < config_.iterations; ++iter) {
    std::vector<double> next(k, 0);
    for (size_t i = 0; i < k; ++i) {
      double total = 0;
      for (const auto& [j, w] : out[i]) total += w;
      for (const auto& [j, w] : out[i]) next[j] += config_.damping * rank[i] * w / total;
    }
    for (size_t i = 0; i < k; ++i) next[i] += (1 - config_.damping) * personal[i];
    rank = std::move(next);
  }
  const double rank_max = *std::max_element(rank.begin(), rank.end());
  double own_max = 0;
  core::TimeNs earliest = INT64_MAX;
  for (const auto& [name, n] : nodes) {
    own_max = std::max(own_max, n.own);
    earliest = std::min(earliest, n.first);
  }

  const double weights =
      config_.weight_graph + config_.weight_own + config_.weight_first + config_.weight_change;
  std::vector<Candidate> out_candidates;
  for (size_t i = 0; i < k; ++i) {
    const std::string& name = names[i];
    const Node& n = nodes[name];
    const double graph = rank_max > 0 ? rank[i] / rank_max : 0;
    const double own = own_max > 0 ? n.own / own_max : 0;
    const double first = n.first == INT64_MAX
                             ? 0
                             : std::exp(-static_cast<double>(n.first - earliest) /
                                        static_cast<double>(config_.first_scale_ns));
    // A deploy, a restart, or a change from outside: users sending clearly more requests.
    const double change = n.changes.empty() && n.flood == nullptr ? 0 : 1;
    Candidate c;
    c.service = name;
    c.score = (config_.weight_graph * graph + config_.weight_own * own +
               config_.weight_first * first + config_.weight_change * change) /
              weights;
    if (n.strongest_own != nullptr && n.strongest_own == n.slow_call) {
      c.evidence.push_back(
          fmt::format("calls into it slowed on the way while it answered as fast as usual: {}",
                      Short(*n.strongest_own)));
    } else if (n.strongest_own != nullptr) {
      c.evidence.push_back(fmt::format("its own signals: {}", Short(*n.strongest_own)));
    }
    if (n.strongest != nullptr && n.strongest != n.strongest_own) {
      c.evidence.push_back(fmt::format("anomalous: {}", Short(*n.strongest)));
    }
    if (n.strongest == nullptr) {
      c.evidence.push_back("no anomaly of its own; called by anomalous services");
    }
    std::vector<std::string> explained;
    auto cit = callers.find(name);
    if (cit != callers.end()) {
      std::set<std::string> seen;
      for (const std::string& caller : cit->second) {
        auto nit = nodes.find(caller);
        if (nit != nodes.end() && nit->second.anomaly > 0 && seen.insert(caller).second) {
          explained.push_back(caller);
        }
      }
    }
    if (!explained.empty()) {
      std::string list;
      for (size_t j = 0; j < explained.size() && j < 5; ++j) {
        list += (j == 0 ? "" : ", ") + explained[j];
      }
      if (explained.size() > 5) list += fmt::format(" and {} more", explained.size() - 5);
      c.evidence.push_back(fmt::format("called by {} anomalous service{}: {}", explained.size(),
                                       explained.size() == 1 ? "" : "s", list));
    }
    if (n.first != INT64_MAX) {
      c.evidence.push_back(
          n.first == earliest
              ? fmt::format("the first anomaly of the incident, at {}", Clock(n.first))
              : fmt::format(
                    "anomalous from {}, {} after the first anomaly", Clock(n.first),
                    core::FormatDuration(core::FloorTo(n.first - earliest, core::kNsPerSecond))));
    }
    for (const std::string& victim : n.starves) {
      const Node& v = nodes[victim];
      c.evidence.push_back(
          fmt::format("shares a host with {} and starves it of CPU: {}, while {}'s own CPU use did "
                      "not rise; {}",
                      victim, Short(*v.throttled), victim, Short(*n.cpu_rise)));
    }
    if (auto it = starved_by.find(name); it != starved_by.end()) {
      std::string list;
      for (const std::string& other : it->second) list += (list.empty() ? "" : ", ") + other;
      c.evidence.push_back(fmt::format("starved of CPU on a shared host by {}", list));
    }
    if (n.flood != nullptr) {
      c.evidence.push_back(fmt::format(
          "a change from outside: {:.3g} requests/s arrive against an "
          "expected {:.3g} (score {:.4g}) at {}",
          n.flood->observed, n.flood->expected, n.flood->peak_score, Clock(n.flood->peak_ns)));
    }
    for (const ChangeEvent* ch : n.changes) {
      c.evidence.push_back(fmt::format("{}: {} at {}", ch->kind, ch->description, Clock(ch->t)));
    }
    out_candidates.push_back(std::move(c));
  }
  std::sort(out_candidates.begin(), out_candidates.end(), [](const auto& a, const auto& b) {
    return a.score != b.score ? a.score > b.score : a.service < b.service;
  });
  if (out_candidates.size() > config_.max_candidates) {
    out_candidates.resize(config_.max_candidates);
  }
  return out_candidates;
}

}  // namespace augur::rca
