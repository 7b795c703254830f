// Incidents: anomaly events that belong together in time and on the service graph, with the
// candidates for their root cause ranked and the evidence behind each rank.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "detect/anomaly_event.h"
#include "model/change.h"

namespace augur::rca {

// A deploy or restart (model/change.h).
using ChangeEvent = model::ChangeEvent;

// The hosts each service runs on (model::Placement), for services that share a machine.
using Placements = std::map<std::string, std::set<std::string>>;

// One edge of the service graph as the correlator sees it.
struct GraphEdge {
  std::string client;
  std::string server;
  std::string connection_type;  // "", "database", "messaging_system", "virtual_node"
};

struct Candidate {
  std::string service;                // a service, or a peer (database, cache, external API)
  double score = 0;                   // in [0, 1]; candidates are sorted by it
  std::vector<std::string> evidence;  // sentences a person can check
};

struct TimelineEntry {
  core::TimeNs t = 0;
  std::string kind;  // "anomaly", "cleared", "change", "opened", "closed"
  std::string service;
  std::string text;
};

struct Incident {
  uint64_t id = 0;
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;  // 0 while open
  core::TimeNs updated_ns = 0;
  std::string severity;  // "critical", "major" or "minor"
  // Services whose signals are anomalous, user-facing entry points first.
  std::vector<std::string> impacted;
  std::vector<Candidate> candidates;  // best first
  std::vector<TimelineEntry> timeline;
  // The latest state of its member events kept in full (CorrelatorConfig::max_events_kept: the
  // strongest and the earliest of each kind of signal of each service), and how many
  // events it took in all.
  std::vector<detect::AnomalyEvent> events;
  size_t event_count = 0;
  // Until a symptom has lasted CorrelatorConfig::confirm_after_ns the incident is pending: it
  // gathers events but is not listed, and dropped if it closes so.
  bool confirmed = false;

  bool open() const { return end_ns == 0; }
};

}  // namespace augur::rca
