// Builders of anomaly events and graphs for the correlator's and ranker's tests.
#pragma once

#include <string>
#include <vector>

#include "detect/anomaly_event.h"
#include "rca/incident.h"

namespace augur::rca {

inline constexpr core::TimeNs kNoon = 1'795'262'400 * core::kNsPerSecond;  // 2026-11-21T12:00Z
inline constexpr core::TimeNs kSec = core::kNsPerSecond;

inline detect::AnomalyEvent ServiceEvent(uint64_t id, std::string service, std::string signal,
                                         core::TimeNs start, double score = 0.99999,
                                         bool open = true) {
  detect::AnomalyEvent e;
  e.id = id;
  e.service = service;
  e.series = detect::SeriesRef{"service", {{"service_name", service}}, std::move(signal)};
  e.open = open;
  e.start_ns = start;
  e.end_ns = open ? 0 : start + 60 * kSec;
  e.peak_ns = start + 10 * kSec;
  e.peak_score = score;
  e.observed = 500;
  e.expected = 100;
  e.lower = 80;
  e.upper = 130;
  return e;
}

inline detect::AnomalyEvent EdgeEvent(uint64_t id, std::string client, std::string server,
                                      std::string signal, core::TimeNs start) {
  detect::AnomalyEvent e = ServiceEvent(id, server, std::move(signal), start);
  e.series = detect::SeriesRef{"service_graph",
                               {{"client", client}, {"connection_type", ""}, {"server", server}},
                               e.series.signal};
  // Edge series are owned (and reported) by the callee's shard.
  e.service = server;
  return e;
}

// An ingested runtime metric of `service` (family e.g. "process_cpu_utilization_ratio"), rising.
inline detect::AnomalyEvent RuntimeEvent(uint64_t id, std::string service, std::string family,
                                         core::TimeNs start) {
  detect::AnomalyEvent e = ServiceEvent(id, service, "value", start);
  e.series = detect::SeriesRef{std::move(family), {{"job", "shop/" + service}}, "value"};
  return e;
}

// user -> frontend -> checkout -> payment -> postgresql; frontend -> catalog; checkout -> cart.
inline std::vector<GraphEdge> ShopGraph() {
  return {{"user", "frontend", "virtual_node"},
          {"frontend", "checkout", ""},
          {"frontend", "catalog", ""},
          {"checkout", "payment", ""},
          {"checkout", "cart", ""},
          {"payment", "postgresql", "database"},
          {"search", "index", ""}};
}

}  // namespace augur::rca
