#include "app/incident_engine.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/status_util.h"
#include "rca/incident_json.h"

namespace augur::app {

using nlohmann::json;

IncidentEngine::IncidentEngine(IncidentEngineConfig config, core::SelfMetrics* metrics)
    : config_(std::move(config)), correlator_(config_.correlator) {
  dropped_total_ = metrics->GetCounter(
      "augur_rca_inputs_dropped",
      "Anomaly events and changes dropped because the correlator's queue was full.");
  opened_total_ = metrics->GetCounter("augur_rca_incidents_opened", "Incidents opened.");
  store_errors_total_ =
      metrics->GetCounter("augur_rca_store_errors", "Incident writes the store refused.");
  open_gauge_ = metrics->AddCallbackGauge("augur_incident_open", "Incidents open now.", {},
                                          [this] { return static_cast<double>(open_count()); });
}

IncidentEngine::~IncidentEngine() { Stop(); }

absl::Status IncidentEngine::Start(GraphSource graph, EventTimeSource now) {
  graph_ = std::move(graph);
  now_ = std::move(now);
  if (!config_.db_path.empty()) {
    absl::StatusOr<std::unique_ptr<store::IncidentStore>> s =
        store::IncidentStore::Open(config_.db_path);
    if (!s.ok()) return s.status();
    store_ = std::move(*s);
    correlator_.set_next_id(store_->MaxId() + 1);
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void IncidentEngine::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Pass(false, /*flush=*/true);
}

template <typename T>
void IncidentEngine::Enqueue(std::vector<T>& queue, const T& item, size_t limit) {
  {
    std::lock_guard lock(queue_mu_);
    if (events_.size() + changes_.size() + placements_.size() +
            waiting_count_.load(std::memory_order_relaxed) <
        limit) {
      queue.push_back(item);
      return;
    }
  }
  dropped_total_->Add();
}

void IncidentEngine::OnEvent(const detect::AnomalyEvent& event) {
  // Closes keep a reserve: without its close an event stays open in the correlator, and so does
  // its incident.
  Enqueue(events_, event, event.open ? config_.max_queued : 2 * config_.max_queued);
}

void IncidentEngine::OnChange(const model::ChangeEvent& change) {
  Enqueue(changes_, change, config_.max_queued);
}

void IncidentEngine::SetCpuPeakLookup(rca::CpuPeakLookup lookup) {
  std::lock_guard lock(mu_);
  correlator_.SetCpuPeakLookup(std::move(lookup));
}

void IncidentEngine::OnPlacement(const model::Placement& placement) {
  Enqueue(placements_, placement, config_.max_queued);
}

void IncidentEngine::Run() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::nanoseconds(config_.tick_ns), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const core::TimeNs wall = core::Clock::Real().NowNs();
    const bool refresh = wall - last_graph_refresh_ >= config_.graph_refresh_ns;
    if (refresh) last_graph_refresh_ = wall;
    Pass(refresh);
    lock.lock();
  }
}

void IncidentEngine::Pass(bool refresh_graph, bool flush) {
  // The event time first: every event at or before it is already queued (a series shard publishes
  // its watermark after raising its events).
  const core::TimeNs now = now_ ? now_() : INT64_MAX;
  std::vector<detect::AnomalyEvent> events;
  std::vector<model::ChangeEvent> changes;
  std::vector<model::Placement> placements;
  {
    std::lock_guard lock(queue_mu_);
    events.swap(events_);
    changes.swap(changes_);
    placements.swap(placements_);
  }
  std::vector<rca::GraphEdge> edges;
  if (refresh_graph && graph_) edges = graph_();

  std::lock_guard lock(mu_);
  if (refresh_graph && !edges.empty()) correlator_.UpdateGraph(std::move(edges));
  // Changes first: an incident that a deploy explains should see it when it is ranked.
  for (const model::ChangeEvent& c : changes) correlator_.OnChange(c);
  for (const model::Placement& p : placements) correlator_.OnPlacement(p);
  const size_t open_before = correlator_.open_count();
  // In event-time order, closing what went quiet before each: a pass may hold minutes of event
  // time when telemetry arrives faster than real time. Events ahead of `now` wait.
  for (detect::AnomalyEvent& e : events) waiting_.push_back(std::move(e));
  std::stable_sort(waiting_.begin(), waiting_.end(), [](const auto& a, const auto& b) {
    return rca::EventTime(a) < rca::EventTime(b);
  });
  size_t done = 0;
  for (; done < waiting_.size(); ++done) {
    const detect::AnomalyEvent& e = waiting_[done];
    if (!flush && rca::EventTime(e) > now) break;
    correlator_.CloseIdle(rca::EventTime(e));
    correlator_.OnEvent(e);
  }
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(done));
  waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
  if (now != INT64_MAX && now != INT64_MIN) last_now_ = std::max(last_now_, now);
  std::vector<uint64_t> changed = correlator_.Advance(last_now_);
  if (correlator_.open_count() > open_before) {
    opened_total_->Add(correlator_.open_count() - open_before);
  }
  open_count_.store(correlator_.open_count(), std::memory_order_relaxed);
  if (store_ == nullptr) return;
  for (uint64_t id : changed) {
    const rca::Incident* incident = correlator_.Find(id);
    if (incident == nullptr) continue;
    store::IncidentRecord r;
    r.id = incident->id;
    r.start_ns = incident->start_ns;
    r.end_ns = incident->end_ns;
    r.updated_ns = incident->updated_ns;
    r.severity = incident->severity;
    r.json = rca::IncidentToJson(*incident, last_now_).dump();
    if (absl::Status s = store_->Put(r); !s.ok()) {
      store_errors_total_->Add();
      spdlog::warn("incident store: {}", core::MessageOf(s));
    }
  }
}

namespace {

bool Overlaps(core::TimeNs start, core::TimeNs end, const store::IncidentQuery& q) {
  const core::TimeNs e = end == 0 ? INT64_MAX : end;
  return e >= q.since_ns && start <= q.until_ns && (!q.open_only || end == 0);
}

// The list form of a stored incident: its summary fields.
json SummaryOf(json full) {
  full.erase("timeline");
  if (full.contains("event_count")) {
    full["events"] = std::move(full["event_count"]);
    full.erase("event_count");
  } else if (full.contains("events") && full["events"].is_array()) {  // stored before event_count
    full["events"] = full["events"].size();
  }
  return full;
}

}  // namespace

std::vector<json> IncidentEngine::List(const store::IncidentQuery& query) {
  std::vector<std::pair<core::TimeNs, json>> found;
  std::set<uint64_t> seen;
  {
    std::lock_guard lock(mu_);
    for (const rca::Incident* i : correlator_.Incidents()) {
      seen.insert(i->id);
      if (!Overlaps(i->start_ns, i->end_ns, query)) continue;
      found.emplace_back(i->start_ns, rca::IncidentSummaryJson(*i, last_now_));
    }
  }
  if (store_ != nullptr && !query.open_only) {
    store::IncidentQuery q = query;
    q.limit = query.limit + seen.size();
    for (store::IncidentRecord& r : store_->List(q)) {
      if (seen.contains(r.id)) continue;
      json j = json::parse(r.json, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) continue;
      found.emplace_back(r.start_ns, SummaryOf(std::move(j)));
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<json> out;
  for (auto& [start, j] : found) {
    if (out.size() >= query.limit) break;
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<rca::Incident> IncidentEngine::Snapshot() {
  std::lock_guard lock(mu_);
  std::vector<rca::Incident> out;
  for (const rca::Incident* i : correlator_.Incidents()) out.push_back(*i);
  return out;
}

std::optional<json> IncidentEngine::Get(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    if (const rca::Incident* i = correlator_.Find(id)) return rca::IncidentToJson(*i, last_now_);
  }
  if (store_ == nullptr) return std::nullopt;
  std::optional<store::IncidentRecord> r = store_->Get(id);
  if (!r.has_value()) return std::nullopt;
  json j = json::parse(r->json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace augur::app
