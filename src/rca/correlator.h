// The correlator: the one place that sees every anomaly event, the service graph and the changes
// (deploys, restarts), and turns them into incidents with ranked root-cause candidates.
//
// Grouping: an event joins an open incident when its service lies within `max_hops` of one of the
// incident's services on the (undirected) service graph (runtime metrics also when the service
// shares a host with one of them) and the incident has been active within `join_window_ns`; an
// event that would join two incidents merges them; otherwise it opens a new incident. Evidence that
// began more than `evidence_lead_ns` before an incident does not join it. An incident closes when
// all its events have cleared and `grace_ns` of event time has passed since the last symptom that
// lasted `confirm_after_ns` (a brief one holds it only while open). Muted events, evidence (see
// IsSymptom) and events that have already closed never open incidents (they join ones that exist).
//
// Time is event time (the events' own timestamps and the pipeline's watermark).
// Not thread-safe: the pipeline runs one correlator on one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "rca/incident.h"
#include "rca/ranker.h"

namespace augur::rca {

struct CorrelatorConfig {
  int max_hops = 2;
  core::TimeNs join_window_ns = 10 * core::kNsPerMinute;
  core::TimeNs grace_ns = 5 * core::kNsPerMinute;
  // An incident is listed once one of its symptoms has been high this long (from its start to its
  // last high point: a one-window blip of one series is no incident, Prometheus' `for:`, however
  // long a sparse series takes to close it), or a service with a symptom was deployed or
  // restarted (evidence_lead_ns before it or since); 0 lists it at once.
  core::TimeNs confirm_after_ns = core::kNsPerMinute;
  // Evidence (not symptoms) joins only when it began at most this long before the incident.
  core::TimeNs evidence_lead_ns = 2 * core::kNsPerMinute;
  // A service's runtime metrics of this many kinds (RuntimeKind: CPU use, throttling, memory,
  // queue, GC) rising at once open an incident as symptoms do (a service burning CPU to its
  // limit, a leak that pauses GC); 0 never.
  int runtime_kinds_to_open = 2;
  // ... and list it once that many kinds have each been high this long (CPU throttling for a
  // moment on a busy service, with a GC pause, is no incident).
  core::TimeNs runtime_confirm_after_ns = 2 * core::kNsPerMinute;
  // An incident follows at most this many anomaly events (a database outage at midday touches
  // hundreds of services, each with several operations, calls and log templates); later ones do
  // not join it.
  size_t max_events_per_incident = 50'000;
  // Of them it keeps in full, for the ranking and the API, the strongest event of each kind of
  // signal of each node (its slot: source, signal, direction, severity, server or client
  // operation, call from users, rise of arrivals; EvidenceClass) and the earliest: what the ranker
  // reads, whichever of a slot's events came first. The others are counted
  // (Incident::event_count). At most this many are kept.
  size_t max_events_kept = 20'000;
  size_t max_timeline = 500;
  // Closed incidents kept in memory (the store keeps all): at most this many, holding at most
  // max_closed_events kept events together.
  size_t max_closed_kept = 1000;
  size_t max_closed_events = 100'000;
  core::TimeNs change_lookback_ns = 15 * core::kNsPerMinute;  // changes before an incident
  RankerConfig ranker;
};

// Symptoms (RED signals of services, operations and calls: span_metrics, service and
// service_graph events — rates either way (a rise only where at least 0.1 requests/s are usual),
// error ratios and latencies when they rise — and a rise
// of a service's trace evidence: errors that originate in it, its own time, the wire time of calls
// into it) open incidents and hold them open. The multi-signal detector's events join as evidence.
// Everything else — ingested metrics (CPU, memory, queues), log anomalies — is evidence: it joins
// an incident near its service and informs the ranking, but neither opens nor prolongs one.
bool IsSymptom(const detect::AnomalyEvent& event);

// What a runtime metric measures, for evidence that agrees
// (CorrelatorConfig::runtime_kinds_to_open).
enum class RuntimeKind { kNone, kCpu, kThrottling, kMemory, kQueue, kGc };
RuntimeKind RuntimeKindOf(const detect::SeriesRef& series);

// When an event's latest state happened: its end once closed, else its latest peak or its start.
core::TimeNs EventTime(const detect::AnomalyEvent& event);

class Correlator {
 public:
  explicit Correlator(CorrelatorConfig config = {});

  // Replaces the known graph (edges from the series shards).
  void UpdateGraph(std::vector<GraphEdge> edges);
  // The current state of an anomaly event (opened, updated or closed).
  void OnEvent(const detect::AnomalyEvent& event);
  void OnChange(const ChangeEvent& change);
  // How the ranker looks up a neighbour's CPU below the event threshold (optional).
  // Rises found are remembered (the series keep only minutes of points, and an incident is ranked
  // again when it closes).
  void SetCpuPeakLookup(CpuPeakLookup lookup);
  // A service runs on a host (at most kMaxPlacements pairs are kept).
  void OnPlacement(const model::Placement& placement);
  static constexpr size_t kMaxPlacements = 200'000;
  // Confirms the incidents whose symptoms have lasted (CorrelatorConfig::confirm_after_ns), and
  // closes those whose grace has passed at event time `now` (ranked as they close; dropped if
  // still unconfirmed). Feeding events in event-time order with CloseIdle(EventTime(event)) before
  // each keeps grouping the same however many of them arrive at once (a replay at high speed).
  void CloseIdle(core::TimeNs now);
  // CloseIdle(now), then re-ranks the incidents that changed. Returns the ids of incidents that
  // were opened, changed or closed since the last call.
  std::vector<uint64_t> Advance(core::TimeNs now);

  const Incident* Find(uint64_t id) const;
  std::vector<const Incident*> Incidents() const;  // open first, then recently closed
  size_t open_count() const;
  // Ids continue from here (after a restart: one past the highest stored id).
  void set_next_id(uint64_t id) { next_id_ = std::max(next_id_, id); }

 private:
  // What the correlator knows of each event an open incident follows, kept in full or not: enough
  // to group, confirm and close it.
  struct Member {
    std::string service;
    core::TimeNs start_ns = 0;
    core::TimeNs end_ns = 0;
    core::TimeNs last_high_ns = 0;
    core::TimeNs peak_ns = 0;
    double peak_score = 0;
    bool open = true;
    bool symptom = false;  // IsSymptom, at its latest state
    bool error = false;    // an error ratio, errors that originate in it, or error logs
    RuntimeKind kind = RuntimeKind::kNone;
    uint64_t slot = 0;  // its kind of signal at its node (CorrelatorConfig::max_events_kept)
    std::string node;
    int roles = 0;  // 0 to 2: the strongest of its slot, the earliest of its slot
  };
  struct Open {
    Incident incident;
    absl::flat_hash_map<uint64_t, Member> members;      // by event id
    absl::flat_hash_map<uint64_t, size_t> kept_at;      // event id -> index in incident.events
    absl::flat_hash_map<uint64_t, uint64_t> strongest;  // slot -> event id
    absl::flat_hash_map<uint64_t, uint64_t> earliest;   // slot -> event id
    std::set<std::string> places;                       // nodes and services of its members
    std::set<std::string> symptom_places;  // ... of the members that have been symptoms (Symptom)
    bool symptoms = false;                 // a member has been a symptom (IsSymptom)
    size_t open_symptoms = 0;              // members that are symptoms (IsSymptom) and open
    core::TimeNs latest = INT64_MIN;       // the latest EventTime of a member
  };
  // Whether a deploy or restart of a service with a symptom in `o` happened from shortly
  // before it up to `now`: a short burst of errors as a service restarts is an incident at once.
  bool ChangedAtASymptom(const Open& o, core::TimeNs now) const;
  uint64_t IncidentFor(const detect::AnomalyEvent& event);
  void Merge(uint64_t into, uint64_t from);
  // Takes the event's latest state into `o`'s member `m`: updates it where kept, and keeps it when
  // it is the strongest or the earliest of its slot (releasing the one it displaces).
  void Offer(Open& o, Member& m, const detect::AnomalyEvent& event);
  // `id` gives up one of its roles; dropped from the kept events when it holds none.
  void Release(Open& o, uint64_t id);
  // Services within max_hops of `service` (itself included).
  std::set<std::string> Neighbourhood(const std::string& service) const;
  void Rank(Open& o);
  // Symptoms, and runtime evidence that opened an incident as one (Corroborated).
  bool Symptom(const detect::AnomalyEvent& event) const {
    return IsSymptom(event) || corroborated_.contains(event.id);
  }
  bool Symptom(uint64_t id, const Member& m) const {
    return m.symptom || corroborated_.contains(id);
  }
  // Whether the event, an open rise of a runtime metric, and the service's waiting ones are of
  // runtime_kinds_to_open kinds: then all of them count as symptoms from here on.
  bool Corroborated(const detect::AnomalyEvent& event);
  // Joins the waiting evidence that now connects to an open incident.
  void AttachWaiting();
  void AddTimeline(Incident& incident, TimelineEntry entry);

  CorrelatorConfig config_;
  Ranker ranker_;
  std::vector<GraphEdge> edges_;
  std::map<std::string, std::set<std::string>> adjacency_;  // undirected
  std::map<uint64_t, Open> open_;
  std::deque<Incident> closed_;                             // oldest first
  size_t closed_events_ = 0;                                // kept events of closed_
  absl::flat_hash_map<uint64_t, uint64_t> event_incident_;  // event id -> incident id
  // Evidence no incident took yet, by event id (latest state), for evidence_lead_ns.
  std::map<uint64_t, detect::AnomalyEvent> waiting_;
  static constexpr size_t kMaxWaitingEvidence = 10'000;
  std::vector<ChangeEvent> changes_;  // recent, oldest first
  Placements hosts_;                  // service -> hosts
  CpuPeakLookup cpu_peak_;
  // Rises the lookup found, by (service, signal, from); oldest dropped beyond kMaxPeaksKept.
  std::map<std::tuple<std::string, int, core::TimeNs>, CpuRise> peaks_found_;
  static constexpr size_t kMaxPeaksKept = 10'000;
  std::map<std::string, std::set<std::string>> tenants_;  // host -> services
  size_t placement_count_ = 0;
  core::TimeNs now_ = INT64_MIN;  // the latest event time seen
  // Event ids (Symptom), erased as their incident closes; at most kMaxWaitingEvidence of them (an
  // event that a full incident could not take keeps its id here).
  std::set<uint64_t> corroborated_;
  std::set<uint64_t> dirty_;
  std::vector<uint64_t> closed_since_;  // closed since the last Advance
  uint64_t next_id_ = 1;
};

}  // namespace augur::rca
