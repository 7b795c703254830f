// The detection state of one series shard: a streaming model, an event tracker and a short
// history for every signal of every series the shard owns, plus a Random Cut Forest per service
// over [request rate, error ratio, p95 latency, saturation].
//
// The series table hands it one value per signal per closed event-time window (Observe /
// ObserveService). Scores above the event rule open anomaly events with their evidence; mutes
// keep events from alerting; sensitivity rules and feedback adjust the models. State is saved in
// a versioned checkpoint; restored models wait ("parked") until their series shows up again and
// then continue exactly where they were.
//
// Owned by one shard thread; every method runs there.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/exposition.h"
#include "core/label_selector.h"
#include "core/self_metrics.h"
#include "core/time.h"
#include "detect/anomaly_event.h"
#include "detect/count_evidence.h"
#include "detect/detector.h"
#include "detect/event_tracker.h"
#include "detect/random_cut_forest.h"

namespace augur::detect {

struct SensitivityRule {
  core::LabelSelector selector;  // over the series' labels, signal and __name__ (the family)
  double sensitivity = 1;
};

struct Mute {
  uint64_t id = 0;
  core::LabelSelector selector;
  core::TimeNs until_ns = 0;  // wall time; 0 = until removed
  std::string comment;
};

struct DetectionConfig {
  bool enabled = true;
  std::string detector;  // "" = DefaultDetectorType()
  DetectorOptions options;
  EventRule events;
  // Volume rule: error ratio and latency are modelled only for windows with at least this many
  // requests, so that two errors out of three calls on a quiet operation are not an anomaly.
  uint64_t min_requests = 3;
  bool multi_signal = true;  // a Random Cut Forest per service
  // Lighter than the forest's own defaults (50 trees of 256): one forest per service has to fit
  // hundreds of services (about 100 KB each at these sizes; each window of each service walks
  // every tree through memory the caches no longer hold, so the trees are few).
  RandomCutForestOptions forest = [] {
    RandomCutForestOptions o;
    o.trees = 10;
    o.sample_size = 128;
    o.output_after = 360;  // an hour of 10 s windows, as the univariate models learn
    return o;
  }();
  // The ingested gauge read as a service's saturation (mean over its instances), if present.
  std::string saturation_metric = "process_cpu_utilization_ratio";
  size_t history_points = 30;                             // per signal, for /api/v1/series
  size_t max_recent_events = 2000;                        // closed events kept per shard
  core::TimeNs idle_timeout_ns = 5 * core::kNsPerMinute;  // event time
  std::vector<SensitivityRule> sensitivity;               // first match wins
  std::vector<Mute> mutes;                                // from configuration

  absl::Status Validate() const;
};

struct HistoryPoint {
  core::TimeNs t = 0;
  double value = 0;
  double expected = 0;
  double lower = 0;
  double upper = 0;
  double score = 0;
};

struct SeriesSnapshot {
  SeriesRef ref;
  std::string service;
  std::string detector;
  bool learning = true;
  Assessment last;
  std::vector<HistoryPoint> history;  // oldest first
};

struct EventFilter {
  std::string service;        // "" = all
  std::string family;         // "" = all, e.g. "logs"
  core::TimeNs since_ns = 0;  // events overlapping [since, until]
  core::TimeNs until_ns = INT64_MAX;
  bool open_only = false;
};

// What a log series adds to an observation: only rises are anomalous (a template falling quiet is
// not an incident), and its events carry the template and example lines.
struct ObserveContext {
  bool upward_only = false;  // values at or below the expectation score 0
  // Volume-aware rule (CountEvidence): a count behind the value, so a deviation must also be
  // unlikely by chance at this volume. kBinomial: the value is a ratio of `trials` (errors of
  // requests); kPoisson: the value is a rate, `trials` the window's seconds (value * trials
  // events); kExceedances: the value is a high quantile (p95) of `histogram`, and the requests in
  // buckets wholly above the expected value are the count (5% of them when normal). The score
  // becomes the smaller of the detector's and the count's; when the detector scores the point
  // 0.9 or more, or the series is sparse (CountEvidence::Sparse), the count's alone (so 7 errors
  // in 18 requests where 1 in 250 is usual scores 1 - 1e-12, beyond what a detector calibrated on
  // a day of history can say).
  enum class Counting { kNone, kBinomial, kPoisson, kExceedances };
  Counting counting = Counting::kNone;
  double trials = 0;
  bool clustered = false;  // CountWindow::clustered: calls and log lines
  // kExceedances: per-bucket counts (the last for +Inf) and the buckets' upper bounds; a bound
  // times `bounds_scale` is in the value's unit.
  std::span<const uint64_t> histogram;
  std::span<const double> bounds;
  double bounds_scale = 1;
  // Deviations from the expected value no larger than this score 0: within what the measurement
  // resolves (a quantile interpolated inside a histogram bucket; one unit of a gauge that counts,
  // such as a queue of 1 where 0 is usual).
  double resolution = 0;
  std::string_view log_template;
  std::span<const std::string> examples;  // newest first; events keep up to kMaxExamples
  // Keep the series' recent rises (SeriesModels::kRiseScore) for PeakAbove after its points have
  // left the history: runtime metrics, which explain incidents from below the event threshold.
  bool remember_rises = false;
};

class SeriesModels {
  struct Model;

 public:
  // Where a series' model lives, kept by the caller with its series so that a window's
  // observation skips building, hashing and comparing the series key. It goes stale when any
  // model is dropped (ExpireIdle); the next observation through it then looks the model up again.
  struct Slot {
    Model* model = nullptr;
    uint64_t generation = 0;
  };

  SeriesModels(DetectionConfig config, int shard_index, core::SelfMetrics* metrics,
               const core::Clock* wall_clock = &core::Clock::Real());
  ~SeriesModels();

  // One closed window's value of a signal (NaN = no value this window: a gap).
  void Observe(const SeriesRef& ref, std::string_view service, core::TimeNs t, double value,
               const ObserveContext* context = nullptr);
  // The same through `slot`; `ref` makes the series' reference when the slot has to be filled.
  void Observe(Slot* slot, absl::FunctionRef<SeriesRef()> ref, std::string_view service,
               core::TimeNs t, double value, const ObserveContext* context = nullptr);
  // A new log template (signal "new_template"): `open` raises its event at window `t` unless one
  // is open for `ref`; each later call reports the window's `lines` of it, and the event closes
  // after events.close_m windows without any. Returns whether the event is open afterwards.
  bool ObserveNewTemplate(const SeriesRef& ref, std::string_view service, core::TimeNs t,
                          double lines, bool open, const ObserveContext& context);
  // One closed window's multi-signal vector of a service (kServiceSignals values, no NaN).
  static constexpr int kServiceSignals = 4;
  static constexpr std::array<std::string_view, kServiceSignals> kServiceSignalNames = {
      "rate", "error_ratio", "p95_latency_ms", "saturation"};
  void ObserveService(std::string_view service, core::TimeNs t,
                      std::span<const double, kServiceSignals> values);

  // Called on the owning thread whenever an event opens, reaches a new peak, or closes (muted,
  // dismissed and expired ones too): how the correlator learns about events.
  using EventSink = std::function<void(const AnomalyEvent&)>;
  void SetEventSink(EventSink sink) { sink_ = std::move(sink); }

  // Drops models not observed for the idle timeout (event time) and parked models as old.
  void ExpireIdle(core::TimeNs now);
  // Adds the points scored since the last call to augur_detect_points. The counter is shared by
  // the shards, so the owner reports after each batch of work, not at each point (that bounced
  // the counter's cache line between the shards' cores at every point).
  void ReportPoints();

  void SetApiMutes(std::vector<Mute> mutes);
  void SetSensitivityRules(std::vector<SensitivityRule> rules);
  // "Not an anomaly": the event's series learns its peak as normal and the event closes.
  bool Feedback(uint64_t event_id);

  void CollectEvents(const EventFilter& filter, std::vector<AnomalyEvent>* out) const;
  // Series whose labels match; at most `limit`.
  void CollectSeries(const core::LabelSelector& selector, size_t limit,
                     std::vector<SeriesSnapshot>* out) const;
  // Besides the history, the series observed with remember_rises keep their last kRisesKept
  // rises (blips go first): runs of points above the expectation scoring kRiseScore or more, each
  // point within kRiseGapNs of the one before (the ranker asks about a time the series shards may
  // have left minutes behind when telemetry arrives faster than real time). A rise also counts with
  // kShiftPoints or more consecutive points above the series' usual range: its exponentially
  // weighted mean (half-life kUsualHalfLifeNs, after kUsualWarmupNs of learning) plus
  // kShiftDeviations mean absolute deviations (about its 90th percentile) plus kShiftFloor of the
  // mean. Each point lies there about one time in ten; a run of twelve is a step, however noisy the
  // gauge: one whose band is wide and whose level follows the step within minutes, so that its
  // points score below kRiseScore (a hog's CPU at 0.96 on a service that idles between 0.03 and 1
  // by the requests of each window).
  static constexpr double kRiseScore = 0.98;
  static constexpr size_t kRisesKept = 4;
  static constexpr int kRiseKeepPoints = 3;  // fewer high points: a blip, dropped first
  static constexpr core::TimeNs kRiseGapNs = core::kNsPerMinute;
  static constexpr core::TimeNs kUsualHalfLifeNs = 60 * core::kNsPerMinute;
  static constexpr core::TimeNs kUsualWarmupNs = 30 * core::kNsPerMinute;
  static constexpr double kShiftDeviations = 1.6;
  static constexpr double kShiftFloor = 0.05;
  static constexpr int kShiftPoints = 12;
  // The recent point (history_points per series, and the kept rises) of `service` in [from, to]
  // with the highest score, among its series whose family passes `family_matches`, whose value
  // lies above the expectation, and that have at least `min_points` such points scoring
  // `min_score` or more in the range (a sustained rise, not one noisy point), or, when `min_run`
  // is positive, a kept rise with a run of at least `min_run` points above the usual range (then
  // its point furthest above it, with the usual mean as the expectation); into `best` when it
  // beats best->peak_score. `excess`, when given, rises to the largest sum of (value - expected)
  // over such points of one series, or over one kept rise: how much more than usual it took in
  // all (a hog's CPU for minutes, not a busy service's one-window spike). For evidence below the
  // event threshold (a neighbour's CPU use: the root-cause ranker asks when it suspects one).
  void PeakAbove(std::string_view service,
                 const std::function<bool(std::string_view)>& family_matches, core::TimeNs from,
                 core::TimeNs to, double min_score, int min_points, int min_run, AnomalyEvent* best,
                 double* excess = nullptr) const;
  // augur_anomaly_score, augur_expected_lower, augur_expected_upper per modelled signal.
  void WriteExposition(core::Exposition* out) const;

  // Checkpoint: every model (live and parked), versioned.
  void Save(std::string* out) const;
  // Parks the models of a checkpoint; each resumes when its series is next observed. Models of
  // series this shard does not own wait harmlessly until they expire.
  absl::Status Restore(std::string_view checkpoint);
  // Splits a checkpoint into one per shard, each holding the entries of the services that shard
  // owns (core::ShardOf(service, shards)): how a restart with another shard count resumes.
  static absl::StatusOr<std::vector<std::string>> SplitCheckpoint(std::string_view checkpoint,
                                                                  int shards);

  size_t model_count() const { return models_.size() + forests_.size(); }
  size_t open_events() const;
  size_t MemoryBytes() const;

 private:
  struct Forest;

  Model* GetModel(const SeriesRef& ref, std::string_view service);
  void ObserveModel(Model& m, core::TimeNs t, double value, const ObserveContext* context);
  // Records a point of a remember_rises series in its rises (kRiseScore, or above its usual range).
  static void RememberRise(Model& m, core::TimeNs t, const Assessment& a);
  double SensitivityFor(const SeriesRef& ref) const;
  bool Muted(const SeriesRef& ref) const;
  void Track(Model& m, core::TimeNs t, const Assessment& a,
             const std::vector<Contribution>* contributions,
             const ObserveContext* context = nullptr);
  void CloseEvent(AnomalyEvent&& event);
  // Closes the model's open event at t (its tracker has just closed it).
  void EndEvent(Model& m, core::TimeNs t);

  DetectionConfig config_;
  uint64_t next_event_id_;
  const core::Clock* wall_clock_;
  absl::flat_hash_map<std::string, std::unique_ptr<Model>> models_;  // by SeriesRef::Key()
  uint64_t generation_ = 1;  // counts drops from models_: older Slots are stale
  absl::flat_hash_map<std::string, std::unique_ptr<Forest>> forests_;  // by service
  struct Parked {
    std::string service;
    std::string entry;  // the saved model; its last 8 bytes are its last-seen time
  };
  absl::flat_hash_map<std::string, Parked> parked_;  // by key
  std::vector<Mute> api_mutes_;
  std::deque<AnomalyEvent> recent_;  // closed, newest last
  struct NewTemplateEvent {
    AnomalyEvent event;
    int quiet_windows = 0;
    core::TimeNs last_seen = INT64_MIN;
  };
  absl::flat_hash_map<std::string, NewTemplateEvent> new_templates_;  // open, by SeriesRef::Key()

  EventSink sink_;
  core::Counter* events_opened_;
  core::Counter* points_;  // augur_detect_points: ReportPoints adds unreported_points_
  uint64_t unreported_points_ = 0;
  core::Counter* restored_;
};

}  // namespace augur::detect
