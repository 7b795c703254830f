// The correlator's home in the embedded pipeline: anomaly events (from the series shards) and
// changes (deploys from stage 1, restarts from stage 2) queue here from any thread; one thread
// feeds them to the rca::Correlator, refreshes its service graph, advances it in event time, and
// writes every incident that changed to the incident store (SQLite under the data directory).
//
// Events reach the correlator in event-time order once every series shard's watermark has
// passed them (shards progress at different speeds when telemetry arrives faster than real time).
// Bounded: at most `max_queued` events, changes and placements wait; beyond that they are dropped
// and counted (augur_rca_inputs_dropped_total), except an event's close, which may take as many
// places again (a dropped close would hold its incident open for good). Queries take a snapshot
// under the engine's mutex.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "core/self_metrics.h"
#include "core/time.h"
#include "detect/anomaly_event.h"
#include "model/change.h"
#include "rca/correlator.h"
#include "store/incident_store.h"

namespace augur::app {

struct IncidentEngineConfig {
  bool enabled = true;
  rca::CorrelatorConfig correlator;
  std::string db_path;                                     // "" keeps incidents in memory only
  core::TimeNs tick_ns = 250 * core::kNsPerMillisecond;    // wall time between passes
  core::TimeNs graph_refresh_ns = 5 * core::kNsPerSecond;  // wall time between graph refreshes
  size_t max_queued = 100'000;
};

class IncidentEngine {
 public:
  using GraphSource = std::function<std::vector<rca::GraphEdge>()>;
  using EventTimeSource = std::function<core::TimeNs()>;  // the pipeline's watermark

  IncidentEngine(IncidentEngineConfig config, core::SelfMetrics* metrics);
  ~IncidentEngine();  // Stop()s

  // Opens the store (ids continue after the highest stored one) and starts the thread.
  absl::Status Start(GraphSource graph, EventTimeSource now);
  // A final pass over what is queued, then joins the thread.
  void Stop();

  void OnEvent(const detect::AnomalyEvent& event);
  void OnChange(const model::ChangeEvent& change);
  void OnPlacement(const model::Placement& placement);
  // Where the ranker reads a neighbour's recent CPU (rca::CpuPeakLookup); set before Start.
  void SetCpuPeakLookup(rca::CpuPeakLookup lookup);
  // Runs one pass on the calling thread (tests and tools; the engine thread does this each tick).
  // Events wait until the event-time source has passed them (every series shard has scored that
  // far, so no earlier event can still come), then go to the correlator in event-time order;
  // `flush` hands over all of them (at shutdown).
  void Pass(bool refresh_graph, bool flush = false);

  // Summaries (rca::IncidentSummaryJson) overlapping [since, until], newest first; in-memory
  // incidents and, beyond them, stored ones.
  std::vector<nlohmann::json> List(const store::IncidentQuery& query);
  // One incident in full (rca::IncidentToJson).
  std::optional<nlohmann::json> Get(uint64_t id);
  size_t open_count() const { return open_count_.load(std::memory_order_relaxed); }
  // Copies of the incidents the correlator holds (open first); for tools such as `augur eval rca`.
  std::vector<rca::Incident> Snapshot();

 private:
  void Run();
  // Queues `item` unless `limit` events, changes and placements already wait (then counts it
  // dropped).
  template <typename T>
  void Enqueue(std::vector<T>& queue, const T& item, size_t limit);

  IncidentEngineConfig config_;
  GraphSource graph_;
  EventTimeSource now_;
  std::unique_ptr<store::IncidentStore> store_;

  std::mutex queue_mu_;
  std::condition_variable wake_;
  std::vector<detect::AnomalyEvent> events_;
  std::vector<model::ChangeEvent> changes_;
  std::vector<model::Placement> placements_;
  bool stopping_ = false;
  std::atomic<size_t> waiting_count_{0};  // waiting_.size(), for the queue bound

  std::mutex mu_;  // the correlator and the pass
  rca::Correlator correlator_;
  std::vector<detect::AnomalyEvent> waiting_;  // taken from the queue, ahead of the event time
  core::TimeNs last_graph_refresh_ = 0;        // wall
  core::TimeNs last_now_ = 0;                  // event time of the last pass

  std::thread thread_;
  std::atomic<size_t> open_count_{0};
  core::Counter* dropped_total_;
  core::Counter* opened_total_;
  core::Counter* store_errors_total_;
  std::unique_ptr<core::SelfMetrics::CallbackHandle> open_gauge_;
};

}  // namespace augur::app
