#include "rca/correlator.h"

#include <algorithm>
#include <deque>
#include <utility>

#include <fmt/format.h>

#include "absl/hash/hash.h"

namespace augur::rca {
namespace {

constexpr size_t kMaxChanges = 10000;
constexpr core::TimeNs kDuplicateWithinNs = 10 * core::kNsPerMinute;
constexpr std::string_view kUser = "user";
constexpr double kIdleRatePerS = 0.1;

bool IsErrorSignal(const detect::AnomalyEvent& e) {
  return e.series.signal == "error_ratio" || e.series.signal == "error_origin_rate" ||
         (e.series.family == "logs" &&
          (e.series.Label("severity") == "ERROR" || e.series.Label("severity") == "FATAL"));
}

}  // namespace

RuntimeKind RuntimeKindOf(const detect::SeriesRef& series) {
  if (!IsRuntimeMetric(series)) return RuntimeKind::kNone;
  const std::string_view f = series.family;
  if (IsCpuThrottlingFamily(f)) return RuntimeKind::kThrottling;
  if (IsCpuUseFamily(f)) return RuntimeKind::kCpu;
  if (f.find("memory") != std::string_view::npos) return RuntimeKind::kMemory;
  if (f.find("queue") != std::string_view::npos) return RuntimeKind::kQueue;
  if (f.find("gc") != std::string_view::npos) return RuntimeKind::kGc;
  return RuntimeKind::kNone;
}

Correlator::Correlator(CorrelatorConfig config) : config_(config), ranker_(config.ranker) {}

void Correlator::UpdateGraph(std::vector<GraphEdge> edges) {
  edges_ = std::move(edges);
  adjacency_.clear();
  for (const GraphEdge& e : edges_) {
    if (e.client == kUser || e.client == e.server) continue;
    adjacency_[e.client].insert(e.server);
    adjacency_[e.server].insert(e.client);
  }
}

std::set<std::string> Correlator::Neighbourhood(const std::string& service) const {
  std::set<std::string> seen = {service};
  std::vector<std::string> frontier = {service};
  for (int hop = 0; hop < config_.max_hops && !frontier.empty(); ++hop) {
    std::vector<std::string> next;
    for (const std::string& s : frontier) {
      auto it = adjacency_.find(s);
      if (it == adjacency_.end()) continue;
      for (const std::string& n : it->second) {
        if (seen.insert(n).second) next.push_back(n);
      }
    }
    frontier = std::move(next);
  }
  return seen;
}

void Correlator::AddTimeline(Incident& incident, TimelineEntry entry) {
  if (incident.timeline.size() >= config_.max_timeline) return;
  incident.timeline.push_back(std::move(entry));
}

void Correlator::Merge(uint64_t into, uint64_t from) {
  Open& a = open_.at(into);
  Open& b = open_.at(from);
  for (auto& [id, m] : b.members) {
    event_incident_[id] = into;
    m.roles = 0;
    a.members.emplace(id, std::move(m));
  }
  for (const detect::AnomalyEvent& e : b.incident.events) Offer(a, a.members.at(e.id), e);
  a.places.merge(b.places);
  a.symptom_places.merge(b.symptom_places);
  a.symptoms |= b.symptoms;
  a.open_symptoms += b.open_symptoms;
  a.latest = std::max(a.latest, b.latest);
  a.incident.event_count = a.members.size();
  for (TimelineEntry& t : b.incident.timeline) AddTimeline(a.incident, std::move(t));
  std::stable_sort(a.incident.timeline.begin(), a.incident.timeline.end(),
                   [](const auto& x, const auto& y) { return x.t < y.t; });
  a.incident.start_ns = std::min(a.incident.start_ns, b.incident.start_ns);
  a.incident.updated_ns = std::max(a.incident.updated_ns, b.incident.updated_ns);
  a.incident.confirmed |= b.incident.confirmed;
  open_.erase(from);
  dirty_.erase(from);
  dirty_.insert(into);
}

void Correlator::Release(Open& o, uint64_t id) {
  auto m = o.members.find(id);
  if (m == o.members.end() || --m->second.roles > 0) return;
  auto at = o.kept_at.find(id);
  if (at == o.kept_at.end()) return;
  std::vector<detect::AnomalyEvent>& events = o.incident.events;
  const size_t i = at->second;
  o.kept_at.erase(at);
  events.erase(events.begin() + static_cast<std::ptrdiff_t>(i));
  for (size_t j = i; j < events.size(); ++j) o.kept_at[events[j].id] = j;
}

void Correlator::Offer(Open& o, Member& m, const detect::AnomalyEvent& event) {
  std::vector<detect::AnomalyEvent>& events = o.incident.events;
  auto at = o.kept_at.find(event.id);
  const bool kept = at != o.kept_at.end();
  if (kept) events[at->second] = event;
  if (!kept && events.size() >= config_.max_events_kept) return;
  auto held = [&](uint64_t id) -> const detect::AnomalyEvent& { return events[o.kept_at.at(id)]; };
  std::vector<uint64_t> displaced;
  // The strongest of its slot, and the earliest.
  auto [slot, new_slot] = o.strongest.try_emplace(m.slot, event.id);
  if (new_slot) {
    ++m.roles;
  } else if (slot->second != event.id && event.peak_score > held(slot->second).peak_score) {
    displaced.push_back(std::exchange(slot->second, event.id));
    ++m.roles;
  }
  auto [first, new_first] = o.earliest.try_emplace(m.slot, event.id);
  if (new_first) {
    ++m.roles;
  } else if (first->second != event.id && event.start_ns < held(first->second).start_ns) {
    displaced.push_back(std::exchange(first->second, event.id));
    ++m.roles;
  }
  if (!kept && m.roles > 0) {
    o.kept_at[event.id] = events.size();
    events.push_back(event);
  }
  for (uint64_t id : displaced) Release(o, id);
}

bool IsSymptom(const detect::AnomalyEvent& event) {
  const std::string& f = event.series.family;
  if (IsTraceEvidenceSignal(event.series)) return event.observed > event.expected;
  if (f != "span_metrics" && f != "service" && f != "service_graph") return false;
  // Faster or fewer failures than usual is no incident (a rate that falls is: traffic is lost).
  const std::string& s = event.series.signal;
  if ((s == "error_ratio" || s.starts_with("p95")) && event.observed < event.expected) return false;
  // A trickle on a path that is normally idle (less than one request per 10 s window expected) is
  // a change worth reading in an incident, not one to open it.
  if (s == "rate" && event.observed > event.expected && event.expected < kIdleRatePerS) {
    return false;
  }
  // The multi-signal detector's view joins incidents; it takes a signal unusual on its own to
  // open one.
  return s != "multi_signal";
}

uint64_t Correlator::IncidentFor(const detect::AnomalyEvent& event) {
  std::set<std::string> near = Neighbourhood(NodeOf(event));
  near.insert(event.service);
  // A service's runtime metrics (its CPU) also join incidents of services on the same hosts.
  std::set<std::string> sharing;
  if (IsRuntimeMetric(event.series)) {
    auto hosts = hosts_.find(event.service);
    if (hosts != hosts_.end()) {
      for (const std::string& host : hosts->second) {
        const std::set<std::string>& on_host = tenants_[host];
        sharing.insert(on_host.begin(), on_host.end());
      }
    }
  }
  std::vector<uint64_t> matches;
  std::vector<uint64_t> with_symptoms;  // of matches
  for (const auto& [id, o] : open_) {
    const Incident& incident = o.incident;
    if (event.start_ns > incident.updated_ns + config_.join_window_ns) continue;
    // Evidence that was there well before the incident began (a gauge that has been odd for an
    // hour) does not explain it.
    if (!Symptom(event) && event.start_ns < incident.start_ns - config_.evidence_lead_ns) {
      continue;
    }
    // Connected through a symptom: evidence (a service's CPU, its logs) joins an incident but
    // does not draw others into it. An incident of agreeing runtime metrics alone takes in
    // symptoms that began with it, not ones that began minutes later (a busy service's brief
    // throttling explains no deploy's errors next door).
    const bool late_symptom =
        IsSymptom(event) && event.start_ns > incident.start_ns + config_.evidence_lead_ns;
    auto touches = [&](const std::set<std::string>& places) {
      const bool fewer = o.symptom_places.size() < places.size();
      const std::set<std::string>& walk = fewer ? o.symptom_places : places;
      const std::set<std::string>& look = fewer ? places : o.symptom_places;
      return std::any_of(walk.begin(), walk.end(),
                         [&](const std::string& p) { return look.contains(p); });
    };
    const bool connected = touches(near) || touches(sharing);
    if (connected && (o.symptoms || !late_symptom)) {
      matches.push_back(id);
      if (o.symptoms) with_symptoms.push_back(id);
    }
  }
  // Evidence does not bridge an incident of agreeing runtime metrics alone to one with symptoms
  // (a restart's CPU next to a neighbour's brief throttling): it joins the latter.
  if (!Symptom(event) && !with_symptoms.empty()) matches = std::move(with_symptoms);
  if (matches.empty()) {
    if (event.muted || event.dismissed || !event.open) return 0;
    if (!Symptom(event) && !Corroborated(event)) return 0;
    const uint64_t id = next_id_++;
    Incident& incident = open_[id].incident;
    incident.id = id;
    incident.start_ns = event.start_ns;
    incident.updated_ns = event.start_ns;
    AddTimeline(incident, {event.start_ns, "opened", event.service, "incident opened"});
    return id;
  }
  for (size_t i = 1; i < matches.size(); ++i) Merge(matches[0], matches[i]);
  return matches[0];
}

void Correlator::OnEvent(const detect::AnomalyEvent& event) {
  now_ = std::max(now_, EventTime(event));
  auto known = event_incident_.find(event.id);
  uint64_t id = 0;
  if (known != event_incident_.end() && open_.contains(known->second)) {
    id = known->second;
  } else {
    id = IncidentFor(event);
    if (id == 0) {
      // Evidence seen before any symptom near it (a neighbour's CPU rising a window before the
      // victim's latency) waits to join an incident that opens soon after.
      if (!Symptom(event) && !event.muted && !event.dismissed &&
          (waiting_.contains(event.id) || waiting_.size() < kMaxWaitingEvidence)) {
        waiting_[event.id] = event;
      }
      return;
    }
    // A full incident follows no more events (they neither join nor wait).
    if (open_.at(id).members.size() >= config_.max_events_per_incident) return;
    event_incident_[event.id] = id;
    waiting_.erase(event.id);
  }
  Open& o = open_.at(id);
  Incident& incident = o.incident;
  auto [member, first_sight] = o.members.try_emplace(event.id);
  Member& m = member->second;
  // Still high, nothing else new: how long it has been high is all that changed (read when
  // confirming); the ranking stands.
  if (!first_sight && m.open && event.open && m.peak_ns == event.peak_ns &&
      m.peak_score == event.peak_score) {
    m.last_high_ns = event.last_high_ns;
    if (auto at = o.kept_at.find(event.id); at != o.kept_at.end()) {
      incident.events[at->second].last_high_ns = event.last_high_ns;
    }
    if (Symptom(event)) incident.updated_ns = std::max(incident.updated_ns, event.last_high_ns);
    return;
  }
  const bool was_open_symptom = !first_sight && m.open && m.symptom;
  if (first_sight) {
    m.service = event.service;
    m.node = NodeOf(event);
    m.kind = RuntimeKindOf(event.series);
    m.slot = absl::HashOf(m.node, EvidenceClass(event));
    o.places.insert(m.node);
    o.places.insert(m.service);
    incident.event_count = o.members.size();
    AddTimeline(incident, {event.start_ns, "anomaly", event.service,
                           detect::ExplainEvent(event, event.peak_ns)});
  }
  m.start_ns = event.start_ns;
  m.end_ns = event.end_ns;
  m.last_high_ns = event.last_high_ns;
  m.peak_ns = event.peak_ns;
  m.peak_score = event.peak_score;
  m.open = event.open;
  m.symptom = IsSymptom(event);
  m.error = IsErrorSignal(event);
  o.open_symptoms += static_cast<size_t>(m.open && m.symptom);
  o.open_symptoms -= static_cast<size_t>(was_open_symptom);
  o.symptoms |= m.symptom;
  if (Symptom(event)) {
    o.symptom_places.insert(m.node);
    o.symptom_places.insert(m.service);
  }
  o.latest = std::max(o.latest, EventTime(event));
  Offer(o, m, event);
  if (!event.open) {
    AddTimeline(incident, {event.end_ns, "cleared", event.service,
                           fmt::format("{} of {} back to normal", event.series.signal,
                                       detect::DescribeSeries(event.series))});
  }
  if (Symptom(event)) {
    incident.start_ns = std::min(incident.start_ns, event.start_ns);
    incident.updated_ns =
        std::max({incident.updated_ns, event.start_ns, event.open ? event.peak_ns : event.end_ns});
  }
  dirty_.insert(id);
  if (first_sight && Symptom(event) && !waiting_.empty()) AttachWaiting();
}

bool Correlator::Corroborated(const detect::AnomalyEvent& event) {
  if (config_.runtime_kinds_to_open <= 0) return false;
  const RuntimeKind kind = RuntimeKindOf(event.series);
  // Rising at once: each began within evidence_lead_ns of the latest event time (a gauge odd for
  // an hour agrees with nothing new).
  if (kind == RuntimeKind::kNone || !(event.observed > event.expected) ||
      now_ - event.start_ns > config_.evidence_lead_ns) {
    return false;
  }
  // The service's other open rises of runtime metrics that wait for an incident.
  std::vector<uint64_t> agreeing;
  std::set<RuntimeKind> kinds = {kind};
  for (const auto& [id, e] : waiting_) {
    if (id == event.id || e.service != event.service || !e.open || e.muted || e.dismissed ||
        !(e.observed > e.expected) || now_ - e.start_ns > config_.evidence_lead_ns) {
      continue;
    }
    const RuntimeKind k = RuntimeKindOf(e.series);
    if (k == RuntimeKind::kNone) continue;
    kinds.insert(k);
    agreeing.push_back(id);
  }
  if (static_cast<int>(kinds.size()) < config_.runtime_kinds_to_open ||
      corroborated_.size() >= kMaxWaitingEvidence) {
    return false;
  }
  corroborated_.insert(event.id);
  corroborated_.insert(agreeing.begin(), agreeing.end());
  return true;
}

void Correlator::AttachWaiting() {
  std::vector<detect::AnomalyEvent> joining;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (IncidentFor(it->second) != 0) {
      joining.push_back(std::move(it->second));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (const detect::AnomalyEvent& e : joining) OnEvent(e);
}

void Correlator::OnChange(const ChangeEvent& change) {
  // Every stage-1 shard that sees a deploy reports it: keep one.
  for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) {
    if (it->service == change.service && it->kind == change.kind &&
        it->description == change.description && change.t - it->t < kDuplicateWithinNs &&
        it->t - change.t < kDuplicateWithinNs) {
      return;
    }
  }
  changes_.push_back(change);
  if (changes_.size() > kMaxChanges) changes_.erase(changes_.begin());
  for (auto& [id, o] : open_) {
    if (o.places.contains(change.service)) {
      AddTimeline(o.incident, {change.t, "change", change.service,
                               fmt::format("{}: {}", change.kind, change.description)});
      dirty_.insert(id);
    }
  }
}

void Correlator::SetCpuPeakLookup(CpuPeakLookup lookup) {
  if (!lookup) {
    cpu_peak_ = nullptr;
    return;
  }
  // The series shards forget points the ranker asks about again on the next pass: keep what was
  // found, and the larger excess as a rise goes on.
  cpu_peak_ = [this, lookup = std::move(lookup)](const std::string& service, CpuSignal signal,
                                                 core::TimeNs from,
                                                 core::TimeNs to) -> std::optional<CpuRise> {
    auto key = std::make_tuple(service, static_cast<int>(signal), from);
    std::optional<CpuRise> found = lookup(service, signal, from, to);
    auto it = peaks_found_.find(key);
    if (!found.has_value()) {
      if (it != peaks_found_.end()) return it->second;
      return std::nullopt;
    }
    if (it != peaks_found_.end()) {
      if (found->peak.peak_score < it->second.peak.peak_score) found->peak = it->second.peak;
      found->excess = std::max(found->excess, it->second.excess);
      it->second = *found;
      return found;
    }
    if (peaks_found_.size() >= kMaxPeaksKept) peaks_found_.clear();
    peaks_found_.emplace(std::move(key), *found);
    return found;
  };
}

void Correlator::OnPlacement(const model::Placement& placement) {
  if (placement_count_ >= kMaxPlacements) return;
  if (hosts_[placement.service].insert(placement.host).second) {
    tenants_[placement.host].insert(placement.service);
    ++placement_count_;
  }
}

void Correlator::Rank(Open& o) {
  Incident& incident = o.incident;
  incident.candidates = ranker_.Rank(incident.events, edges_, changes_, incident.start_ns, &hosts_,
                                     &cpu_peak_, o.latest);

  // Impacted services: user-facing entry points (called by "user") first, then by first anomaly.
  std::set<std::string> entry_points;
  for (const GraphEdge& e : edges_) {
    if (e.client == kUser) entry_points.insert(e.server);
  }
  std::map<std::string, core::TimeNs> first;
  bool entry_errors = false;
  for (const auto& [id, m] : o.members) {
    if (m.service.empty()) continue;
    auto [it, inserted] = first.try_emplace(m.service, m.start_ns);
    if (!inserted) it->second = std::min(it->second, m.start_ns);
    entry_errors |= entry_points.contains(m.service) && m.error;
  }
  incident.impacted.clear();
  for (const auto& [s, t] : first) incident.impacted.push_back(s);
  std::sort(incident.impacted.begin(), incident.impacted.end(), [&](const auto& a, const auto& b) {
    bool ea = entry_points.contains(a), eb = entry_points.contains(b);
    if (ea != eb) return ea;
    return first[a] != first[b] ? first[a] < first[b] : a < b;
  });
  const bool entry_impacted =
      !incident.impacted.empty() && entry_points.contains(incident.impacted[0]);
  incident.severity = entry_errors || incident.impacted.size() >= 5     ? "critical"
                      : entry_impacted || incident.impacted.size() >= 3 ? "major"
                                                                        : "minor";
}

core::TimeNs EventTime(const detect::AnomalyEvent& event) {
  return event.open ? std::max(event.start_ns, event.peak_ns) : event.end_ns;
}

bool Correlator::ChangedAtASymptom(const Open& o, core::TimeNs now) const {
  for (auto c = changes_.rbegin(); c != changes_.rend(); ++c) {
    if (c->t > now) continue;
    if (c->t < o.incident.start_ns - config_.evidence_lead_ns) break;
    if (o.symptom_places.contains(c->service)) return true;
  }
  return false;
}

void Correlator::CloseIdle(core::TimeNs now) {
  now_ = std::max(now_, now);
  for (auto it = open_.begin(); it != open_.end();) {
    Open& o = it->second;
    Incident& incident = o.incident;
    // A symptom still open keeps a confirmed incident open (whatever else it holds).
    if (incident.confirmed && o.open_symptoms > 0) {
      ++it;
      continue;
    }
    bool all_cleared = true;
    bool lasted = false;  // a symptom has lasted confirm_after
    core::TimeNs last_end = incident.start_ns;
    // The grace runs from the end of the last symptom that lasted: a brief one that joined later
    // holds the incident only while it is open.
    core::TimeNs lasting_end = INT64_MIN;
    // Runtime evidence that opened an incident without symptoms holds it open while it still
    // agrees: kinds of it open per service. Beside symptoms it holds nothing (a throttling or a
    // queue gauge may stay odd long after the rest is over).
    std::map<std::string_view, std::set<RuntimeKind>> agreeing;
    std::map<std::string_view, std::set<RuntimeKind>> agreed_long;  // each high runtime_confirm
    bool symptoms = false;
    for (const auto& [id, e] : o.members) {
      if (!Symptom(id, e)) continue;  // evidence does not hold an incident open
      const core::TimeNs until = e.open ? now : e.end_ns;
      if (!e.symptom) {
        if (e.open) {
          agreeing[e.service].insert(e.kind);
        } else {
          last_end = std::max(last_end, until);
          lasting_end = std::max(lasting_end, until);
        }
      } else {
        symptoms = true;
        all_cleared &= !e.open;
        last_end = std::max(last_end, until);
      }
      // How long it was high: a sparse series' one high window stays open for close_after.
      const core::TimeNs high_until = e.last_high_ns > 0 ? e.last_high_ns : until;
      if (e.symptom) {
        if (high_until - e.start_ns >= config_.confirm_after_ns) {
          lasted = true;
          lasting_end = std::max(lasting_end, until);
        }
      } else if (high_until - e.start_ns >= config_.runtime_confirm_after_ns) {
        agreed_long[e.service].insert(e.kind);
      }
    }
    for (const auto& [service, kinds] : agreed_long) {
      lasted |= static_cast<int>(kinds.size()) >= config_.runtime_kinds_to_open;
    }
    for (const auto& [service, kinds] : agreeing) {
      if (!symptoms && static_cast<int>(kinds.size()) >= config_.runtime_kinds_to_open) {
        all_cleared = false;
        last_end = lasting_end = now;
      }
    }
    if (!incident.confirmed && (lasted || ChangedAtASymptom(o, now))) {
      incident.confirmed = true;
      dirty_.insert(incident.id);
    }
    // A confirmed incident waits out the grace period after its last symptom that lasted (a
    // symptom that flaps stays one incident; a caller's last error minutes after the rest does
    // not carry the incident into the next fault); an unconfirmed one was a blip once its
    // symptoms cleared, and takes in no later symptom.
    const core::TimeNs held_from = lasting_end != INT64_MIN ? lasting_end : last_end;
    if (!all_cleared || (incident.confirmed && now < held_from + config_.grace_ns)) {
      ++it;
      continue;
    }
    for (const auto& [id, e] : o.members) {
      event_incident_.erase(id);
      corroborated_.erase(id);
    }
    dirty_.erase(incident.id);
    if (incident.confirmed) {
      Rank(o);
      incident.end_ns = last_end;
      AddTimeline(incident, {last_end, "closed", "", "all anomalies cleared"});
      closed_since_.push_back(incident.id);
      closed_events_ += incident.events.size();
      closed_.push_back(std::move(incident));
      while (closed_.size() > 1 && (closed_.size() > config_.max_closed_kept ||
                                    closed_events_ > config_.max_closed_events)) {
        closed_events_ -= closed_.front().events.size();
        closed_.pop_front();
      }
    }  // else a blip, gone before it was confirmed: dropped
    it = open_.erase(it);
  }
}

std::vector<uint64_t> Correlator::Advance(core::TimeNs now) {
  CloseIdle(now);
  // Waiting evidence that began this long ago can no longer join an incident opening now (once per
  // pass: IncidentFor turns it away meanwhile).
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    it = it->second.start_ns < now - config_.evidence_lead_ns ? waiting_.erase(it) : std::next(it);
  }
  std::vector<uint64_t> changed = std::move(closed_since_);
  closed_since_.clear();
  for (uint64_t id : dirty_) {
    auto it = open_.find(id);
    if (it == open_.end() || !it->second.incident.confirmed) continue;
    Rank(it->second);
    changed.push_back(id);
  }
  dirty_.clear();
  return changed;
}

const Incident* Correlator::Find(uint64_t id) const {
  auto it = open_.find(id);
  if (it != open_.end()) return &it->second.incident;
  for (const Incident& i : closed_) {
    if (i.id == id) return &i;
  }
  return nullptr;
}

std::vector<const Incident*> Correlator::Incidents() const {
  std::vector<const Incident*> out;
  for (const auto& [id, o] : open_) {
    if (o.incident.confirmed) out.push_back(&o.incident);
  }
  for (auto it = closed_.rbegin(); it != closed_.rend(); ++it) out.push_back(&*it);
  return out;
}

size_t Correlator::open_count() const {
  return std::count_if(open_.begin(), open_.end(),
                       [](const auto& entry) { return entry.second.incident.confirmed; });
}

}  // namespace augur::rca
