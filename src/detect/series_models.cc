#include "detect/series_models.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "core/binary_io.h"
#include "core/hash.h"

namespace augur::detect {
namespace {

constexpr std::string_view kCheckpointMagic = "AUGURMDL";
constexpr uint32_t kCheckpointVersion = 1;
constexpr std::string_view kForestPrefix = "forest:";

// History in float: enough for display, half the memory.
struct CompactPoint {
  core::TimeNs t = 0;
  float value = 0;
  float expected = 0;
  float lower = 0;
  float upper = 0;
  float score = 0;
};

// The label lookup selectors use: __name__ is the family, "signal" the signal.
auto LabelsOf(const SeriesRef& ref) {
  return [&ref](std::string_view name) -> std::string_view {
    if (name == "__name__") return ref.family;
    if (name == "signal") return ref.signal;
    return ref.Label(name);
  };
}

void SaveRef(core::BinaryWriter* w, const SeriesRef& ref) {
  w->PutString(ref.family);
  w->Put<uint32_t>(static_cast<uint32_t>(ref.labels.size()));
  for (const auto& [k, v] : ref.labels) {
    w->PutString(k);
    w->PutString(v);
  }
  w->PutString(ref.signal);
}

bool LoadRef(core::BinaryReader* r, SeriesRef* ref) {
  uint32_t n = 0;
  if (!r->GetString(&ref->family) || !r->Get(&n) || n > 1024) return false;
  ref->labels.resize(n);
  for (auto& [k, v] : ref->labels) {
    if (!r->GetString(&k) || !r->GetString(&v)) return false;
  }
  return r->GetString(&ref->signal);
}

// Adds the context's examples an event does not have yet, up to kMaxExamples.
void AddExamples(const ObserveContext* context, AnomalyEvent* e) {
  if (context == nullptr) return;
  if (e->log_template.empty() || !context->log_template.empty()) {
    e->log_template = std::string(context->log_template);
  }
  for (const std::string& line : context->examples) {
    if (e->examples.size() >= AnomalyEvent::kMaxExamples) break;
    if (std::find(e->examples.begin(), e->examples.end(), line) == e->examples.end()) {
      e->examples.push_back(line);
    }
  }
}

// A detector score from which the count's tail replaces it (up or down): the detector's own alarm
// level on NAB.
constexpr double kCountLiftFrom = 0.9;
// Windows scoring this much or more do not teach the count model.
constexpr double kCountLearnBelow = 0.999;

// The count behind an observation (ObserveContext), against the detector's expectation.
CountWindow CountOf(const ObserveContext& c, const Assessment& a) {
  CountWindow w;
  w.up = a.value > a.expected;
  w.clustered = c.clustered;
  switch (c.counting) {
    case ObserveContext::Counting::kBinomial:
      w.kind = CountWindow::Kind::kBinomial;
      w.trials = c.trials;
      w.events = std::clamp(a.value, 0.0, 1.0) * c.trials;
      w.expected = std::clamp(a.expected, 0.0, 1.0);
      break;
    case ObserveContext::Counting::kPoisson:
      w.kind = CountWindow::Kind::kPoisson;
      w.trials = c.trials;
      w.events = std::max(a.value, 0.0) * c.trials;
      w.expected = std::max(a.expected, 0.0);
      break;
    case ObserveContext::Counting::kExceedances: {
      w.kind = CountWindow::Kind::kExceedances;
      // Requests in buckets above the expected p95 count whole; in the bucket that holds it, by
      // the share of the bucket above it (spread evenly, as the quantile itself is interpolated:
      // a slowdown that stays inside one wide bucket, 10-50 ms, is otherwise not counted at all).
      double lower = 0;
      for (size_t i = 0; i < c.histogram.size(); ++i) {
        const double n = static_cast<double>(c.histogram[i]);
        w.trials += n;
        const double upper = i < c.bounds.size() ? c.bounds[i] * c.bounds_scale : lower;
        if (lower >= a.expected) {
          w.events += n;
        } else if (upper > a.expected) {
          w.events += n * (upper - a.expected) / (upper - lower);
        }
        lower = upper;
      }
      w.expected = CountEvidence::kExceedanceShare;
      break;
    }
    case ObserveContext::Counting::kNone:
      break;
  }
  return w;
}

}  // namespace

absl::Status DetectionConfig::Validate() const {
  if (!detector.empty() && MakeDetector(detector, options) == nullptr) {
    std::string known;
    for (const std::string& t : DetectorTypes()) known += known.empty() ? t : ", " + t;
    return absl::InvalidArgumentError(
        fmt::format("detection.detector: unknown type '{}' (known: {})", detector, known));
  }
  if (!(options.band_confidence > 0.5 && options.band_confidence < 1)) {
    return absl::InvalidArgumentError("detection.band_confidence must be in (0.5, 1)");
  }
  if (!(options.sensitivity > 0)) {
    return absl::InvalidArgumentError("detection.sensitivity must be positive");
  }
  if (absl::Status s = events.Validate(); !s.ok()) return s;
  if (multi_signal) {
    RandomCutForestOptions f = forest;
    f.dimensions = SeriesModels::kServiceSignals;
    if (absl::Status s = f.Validate(); !s.ok()) return s;
  }
  if (history_points > 1000) {
    return absl::InvalidArgumentError("detection.history_points must be at most 1000");
  }
  return absl::OkStatus();
}

struct SeriesModels::Model {
  SeriesRef ref;
  std::string service;
  std::unique_ptr<Detector> detector;
  EventTracker tracker;
  Assessment last;
  core::TimeNs last_seen = INT64_MIN;
  std::vector<CompactPoint> history;  // ring
  size_t history_next = 0;
  std::optional<AnomalyEvent> event;
  CountEvidence counts;  // the volume-aware rule's memory
  struct Rise {
    core::TimeNs start = 0;
    core::TimeNs end = 0;
    int points = 0;           // scoring kRiseScore or more
    int streak = 0;           // its longest run of consecutive points above the usual range
    double excess = 0;        // the sum over its points of how far each lay above expected or usual
    CompactPoint peak;        // its highest-scoring point
    CompactPoint shift_peak;  // its point furthest above the usual range, expected = usual mean
  };
  std::vector<Rise> rises;  // oldest first; ObserveContext::remember_rises
  // The series' long-run usual value (ObserveContext::remember_rises): what the detector's level
  // forgot within minutes of a step (SeriesModels::kUsualHalfLifeNs).
  struct Usual {
    double mean = 0;
    double deviation = 0;  // exponentially weighted mean absolute deviation from `mean`
    core::TimeNs since = INT64_MIN;
    core::TimeNs last = INT64_MIN;
    int streak = 0;  // consecutive points above it, up to the last one

    bool Above(core::TimeNs t, double value) const {
      return since != INT64_MIN && t - since >= kUsualWarmupNs &&
             value - mean > kShiftDeviations * deviation + kShiftFloor * std::abs(mean) +
                                std::numeric_limits<float>::epsilon();
    }
    void Learn(core::TimeNs t, double value) {
      if (since == INT64_MIN) {
        since = last = t;
        mean = value;
        return;
      }
      const double w = 1 - std::exp2(-static_cast<double>(std::max<core::TimeNs>(t - last, 0)) /
                                     static_cast<double>(kUsualHalfLifeNs));
      last = t;
      deviation += w * (std::abs(value - mean) - deviation);
      mean += w * (value - mean);
    }
  };
  Usual usual;

  static CompactPoint Compact(core::TimeNs t, const Assessment& a) {
    return {t,
            static_cast<float>(a.value),
            static_cast<float>(a.expected),
            static_cast<float>(a.lower),
            static_cast<float>(a.upper),
            static_cast<float>(a.score)};
  }

  void Remember(core::TimeNs t, const Assessment& a, size_t capacity) {
    if (capacity == 0) return;
    const CompactPoint p = Compact(t, a);
    if (history.size() < capacity) {
      history.push_back(p);
    } else {
      history[history_next] = p;
      history_next = (history_next + 1) % capacity;
    }
  }
};

struct SeriesModels::Forest {
  Forest(std::string s, const RandomCutForestOptions& options, const EventRule& rule)
      : service(std::move(s)), forest(options), tracker(rule) {}
  std::string service;
  RandomCutForest forest;
  EventTracker tracker;
  ForestAssessment last;
  core::TimeNs last_seen = INT64_MIN;
  std::optional<AnomalyEvent> event;
};

SeriesModels::SeriesModels(DetectionConfig config, int shard_index, core::SelfMetrics* metrics,
                           const core::Clock* wall_clock)
    : config_(std::move(config)), wall_clock_(wall_clock) {
  if (config_.detector.empty()) config_.detector = std::string(DefaultDetectorType());
  config_.forest.dimensions = kServiceSignals;
  // Unique across shards (low byte) and restarts (wall clock).
  next_event_id_ = static_cast<uint64_t>(wall_clock_->NowNs() / 1000) << 8 |
                   static_cast<uint64_t>(shard_index & 0xff);
  events_opened_ = metrics->GetCounter("augur_detect_events_opened",
                                       "Anomaly events opened (muted ones included).");
  points_ = metrics->GetCounter("augur_detect_points", "Points scored by the series models.");
  restored_ = metrics->GetCounter("augur_detect_models_restored",
                                  "Models resumed from a checkpoint instead of relearning.");
}

SeriesModels::~SeriesModels() = default;

double SeriesModels::SensitivityFor(const SeriesRef& ref) const {
  for (const SensitivityRule& rule : config_.sensitivity) {
    if (rule.selector.Matches(LabelsOf(ref))) return rule.sensitivity;
  }
  return config_.options.sensitivity;
}

bool SeriesModels::Muted(const SeriesRef& ref) const {
  core::TimeNs now = wall_clock_->NowNs();
  for (const auto* mutes : {&config_.mutes, &api_mutes_}) {
    for (const Mute& m : *mutes) {
      if ((m.until_ns == 0 || now < m.until_ns) && m.selector.Matches(LabelsOf(ref))) return true;
    }
  }
  return false;
}

SeriesModels::Model* SeriesModels::GetModel(const SeriesRef& ref, std::string_view service) {
  std::string key = ref.Key();
  auto it = models_.find(key);
  if (it != models_.end()) return it->second.get();
  auto m = std::make_unique<Model>();
  m->ref = ref;
  m->service = std::string(service);
  DetectorOptions options = config_.options;
  options.sensitivity = SensitivityFor(ref);
  options.alarm_score = config_.events.open_score;  // held alarms stay below what opens an event
  m->detector = MakeDetector(config_.detector, options);
  m->tracker = EventTracker(config_.events);
  auto parked = parked_.find(key);
  if (parked != parked_.end()) {
    core::BinaryReader r(parked->second.entry);
    std::string_view type, state, tracker_state;
    core::TimeNs last_seen = 0;
    bool ok = r.GetString(&type) && r.GetString(&state) && r.GetString(&tracker_state) &&
              r.Get(&last_seen);
    std::string_view counts;
    if (ok && !r.done()) ok = r.GetString(&counts) && m->counts.Restore(counts).ok();
    if (ok && type == m->detector->type() && m->detector->Restore(state).ok() &&
        m->tracker.Restore(&tracker_state).ok()) {
      m->detector->SetSensitivity(options.sensitivity);
      m->last_seen = last_seen;
      restored_->Add();
    } else {
      // Unusable (another detector type, another version): start fresh.
      m->detector = MakeDetector(config_.detector, options);
      m->tracker = EventTracker(config_.events);
      m->counts = CountEvidence();
    }
    parked_.erase(parked);
  }
  Model* raw = m.get();
  models_.emplace(std::move(key), std::move(m));
  return raw;
}

void SeriesModels::Track(Model& m, core::TimeNs t, const Assessment& a,
                         const std::vector<Contribution>* contributions,
                         const ObserveContext* context) {
  EventTracker::Transition transition = m.tracker.Update(t, a.score, a.learning);
  if (transition == EventTracker::Transition::kOpened) {
    AnomalyEvent e;
    e.id = next_event_id_;
    next_event_id_ += 256;
    e.service = m.service;
    e.series = m.ref;
    e.muted = Muted(m.ref);
    e.start_ns = m.tracker.opened_ns();
    e.peak_score = -1;
    m.event = std::move(e);
    events_opened_->Add();
  }
  bool changed = transition == EventTracker::Transition::kOpened;
  // The correlator reads how long a symptom has been high from its updates.
  if (m.event.has_value() && m.tracker.last_high_ns() > m.event->last_high_ns) {
    m.event->last_high_ns = m.tracker.last_high_ns();
    changed = true;
  }
  if (m.event.has_value() && a.score > m.event->peak_score) {
    changed = true;
    AnomalyEvent& e = *m.event;
    e.peak_ns = t;
    e.peak_score = a.score;
    e.observed = a.value;
    e.expected = a.expected;
    e.lower = a.lower;
    e.upper = a.upper;
    e.seasonality = a.seasonality;
    if (contributions != nullptr) e.contributions = *contributions;
  }
  if (m.event.has_value()) AddExamples(context, &*m.event);
  if (changed && sink_ && transition != EventTracker::Transition::kClosed) sink_(*m.event);
  if (transition == EventTracker::Transition::kClosed && m.event.has_value()) EndEvent(m, t);
}

void SeriesModels::EndEvent(Model& m, core::TimeNs t) {
  m.event->open = false;
  m.event->end_ns = t;
  CloseEvent(std::move(*m.event));
  m.event.reset();
}

void SeriesModels::CloseEvent(AnomalyEvent&& event) {
  if (sink_) sink_(event);
  recent_.push_back(std::move(event));
  while (recent_.size() > config_.max_recent_events) recent_.pop_front();
}

void SeriesModels::Observe(const SeriesRef& ref, std::string_view service, core::TimeNs t,
                           double value, const ObserveContext* context) {
  if (!config_.enabled) return;
  ObserveModel(*GetModel(ref, service), t, value, context);
}

void SeriesModels::Observe(Slot* slot, absl::FunctionRef<SeriesRef()> ref, std::string_view service,
                           core::TimeNs t, double value, const ObserveContext* context) {
  if (!config_.enabled) return;
  if (slot->model == nullptr || slot->generation != generation_) {
    slot->model = GetModel(ref(), service);
    slot->generation = generation_;
  }
  ObserveModel(*slot->model, t, value, context);
}

void SeriesModels::ObserveModel(Model& m, core::TimeNs t, double value,
                                const ObserveContext* context) {
  ++unreported_points_;
  m.last_seen = t;
  // A gap: nothing to show, and nothing for the detector (which learns nothing from one); a long
  // one ends an open event.
  if (std::isnan(value)) {
    if (m.event.has_value() && m.tracker.Gap(t) == EventTracker::Transition::kClosed) {
      EndEvent(m, t);
    }
    return;
  }
  Assessment a = m.detector->Observe(t, value);
  if (context != nullptr && context->upward_only && !(a.value > a.expected)) a.score = 0;
  if (context != nullptr && context->resolution > 0 &&
      std::abs(a.value - a.expected) <= context->resolution) {
    a.score = 0;
  }
  if (context != nullptr && context->counting != ObserveContext::Counting::kNone) {
    const CountWindow w = CountOf(*context, a);
    if (!a.learning && a.score > 0) {
      // The count decides how unusual the window is: it can only lower the detector's score,
      // except when the detector itself finds the point unusual — then the count's tail (an
      // exact probability at this volume) says how far beyond usual it is — and on a sparse
      // series, whose few events per window a detector of values cannot judge (its scale soon
      // widens to a one-event step and it stops hearing a lasting excess of single events).
      const double count_score = 1 - m.counts.Tail(w);
      const bool count_decides = a.score >= kCountLiftFrom || m.counts.Sparse(w);
      a.score = count_decides ? count_score : std::min(a.score, count_score);
    }
    if (a.score < kCountLearnBelow) m.counts.Learn(w);
    m.counts.Push(w);
  }
  m.last = a;
  m.Remember(t, a, config_.history_points);
  if (context != nullptr && context->remember_rises) RememberRise(m, t, a);
  Track(m, t, a, nullptr, context);
}

void SeriesModels::RememberRise(Model& m, core::TimeNs t, const Assessment& a) {
  const double usual = m.usual.mean;
  const bool shifted = m.usual.Above(t, a.value);
  m.usual.streak = shifted ? m.usual.streak + 1 : 0;
  m.usual.Learn(t, a.value);
  const bool high = a.value > a.expected && a.score >= kRiseScore;
  if (a.learning || !(high || shifted)) return;
  const CompactPoint p = Model::Compact(t, a);
  CompactPoint shift = p;
  shift.expected = static_cast<float>(usual);
  if (m.rises.empty() || t - m.rises.back().end > kRiseGapNs) {
    if (m.rises.size() == kRisesKept) {
      // The oldest blip (a point or two of noise) goes first, then the oldest rise.
      auto blip = std::find_if(m.rises.begin(), m.rises.end(), [](const Model::Rise& r) {
        return r.points < kRiseKeepPoints && r.streak < kShiftPoints;
      });
      m.rises.erase(blip != m.rises.end() ? blip : m.rises.begin());
    }
    Model::Rise& r = m.rises.emplace_back();
    r.start = t;
    r.peak.score = -1;                // no high point yet
    r.shift_peak.value = -HUGE_VALF;  // no point above the usual range yet
  }
  Model::Rise& r = m.rises.back();
  r.end = t;
  r.points += high;
  r.streak = std::max(r.streak, m.usual.streak);
  r.excess += std::max(high ? a.value - a.expected : 0.0, shifted ? a.value - usual : 0.0);
  if (high && p.score > r.peak.score) r.peak = p;
  if (shifted && shift.value - shift.expected > r.shift_peak.value - r.shift_peak.expected) {
    r.shift_peak = shift;
  }
}

bool SeriesModels::ObserveNewTemplate(const SeriesRef& ref, std::string_view service,
                                      core::TimeNs t, double lines, bool open,
                                      const ObserveContext& context) {
  if (!config_.enabled) return false;
  std::string key = ref.Key();
  auto it = new_templates_.find(key);
  if (it == new_templates_.end()) {
    if (!open) return false;
    NewTemplateEvent n;
    AnomalyEvent& e = n.event;
    e.id = next_event_id_;
    next_event_id_ += 256;
    e.service = std::string(service);
    e.series = ref;
    e.muted = Muted(ref);
    e.start_ns = t;
    e.peak_ns = t;
    e.peak_score = 1;  // never seen before: as unusual as it gets
    e.observed = lines;
    e.expected = 0;
    e.lower = 0;
    e.upper = 0;
    AddExamples(&context, &e);
    n.last_seen = t;
    events_opened_->Add();
    if (sink_) sink_(e);
    new_templates_.emplace(std::move(key), std::move(n));
    return true;
  }
  NewTemplateEvent& n = it->second;
  n.last_seen = std::max(n.last_seen, t);
  AddExamples(&context, &n.event);
  if (lines > n.event.observed) {
    n.event.observed = lines;
    n.event.peak_ns = t;
  }
  n.quiet_windows = lines > 0 ? 0 : n.quiet_windows + 1;
  if (n.quiet_windows < config_.events.close_m) return true;
  n.event.open = false;
  n.event.end_ns = t;
  CloseEvent(std::move(n.event));
  new_templates_.erase(it);
  return false;
}

void SeriesModels::ObserveService(std::string_view service, core::TimeNs t,
                                  std::span<const double, kServiceSignals> values) {
  if (!config_.enabled || !config_.multi_signal) return;
  std::string key(kForestPrefix);
  key += service;
  auto it = forests_.find(key);
  if (it == forests_.end()) {
    auto f = std::make_unique<Forest>(std::string(service), config_.forest, config_.events);
    auto parked = parked_.find(key);
    if (parked != parked_.end()) {
      core::BinaryReader r(parked->second.entry);
      std::string_view state, tracker_state;
      core::TimeNs last_seen = 0;
      if (r.GetString(&state) && r.GetString(&tracker_state) && r.Get(&last_seen) &&
          f->forest.Restore(state).ok() && f->tracker.Restore(&tracker_state).ok()) {
        f->last_seen = last_seen;
        restored_->Add();
      } else {
        f = std::make_unique<Forest>(std::string(service), config_.forest, config_.events);
      }
      parked_.erase(parked);
    }
    it = forests_.emplace(key, std::move(f)).first;
  }
  Forest& f = *it->second;
  f.last = f.forest.Update(values);
  f.last_seen = t;
  ++unreported_points_;

  // The forest's event runs through the same tracking as a univariate model's.
  std::vector<Contribution> contributions;
  if (f.last.raw_score > 0) {
    for (int d = 0; d < kServiceSignals && d < static_cast<int>(f.last.attribution.size()); ++d) {
      contributions.push_back(Contribution{std::string(kServiceSignalNames[d]),
                                           f.last.attribution[d] / f.last.raw_score});
    }
    std::sort(contributions.begin(), contributions.end(),
              [](const auto& a, const auto& b) { return a.share > b.share; });
  }
  Model shim;
  shim.ref = SeriesRef{"service", {{"service_name", std::string(service)}}, "multi_signal"};
  shim.service = std::string(service);
  shim.tracker = f.tracker;
  shim.event = std::move(f.event);
  Assessment a;
  a.score = f.last.score;
  a.learning = f.last.learning;
  a.value = f.last.raw_score;
  Track(shim, t, a, &contributions);
  f.tracker = shim.tracker;
  f.event = std::move(shim.event);
}

void SeriesModels::ReportPoints() {
  if (unreported_points_ == 0) return;
  points_->Add(unreported_points_);
  unreported_points_ = 0;
}

void SeriesModels::ExpireIdle(core::TimeNs now) {
  if (now == INT64_MIN) return;
  const core::TimeNs cutoff = now - config_.idle_timeout_ns;
  for (auto it = models_.begin(); it != models_.end();) {
    Model& m = *it->second;
    if (m.last_seen < cutoff) {
      if (m.event.has_value()) {
        m.event->open = false;
        m.event->end_ns = m.last_seen;
        CloseEvent(std::move(*m.event));
      }
      models_.erase(it++);
      ++generation_;
    } else {
      ++it;
    }
  }
  for (auto it = forests_.begin(); it != forests_.end();) {
    if (it->second->last_seen < cutoff) {
      if (it->second->event.has_value()) {
        it->second->event->open = false;
        it->second->event->end_ns = it->second->last_seen;
        CloseEvent(std::move(*it->second->event));
      }
      forests_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = new_templates_.begin(); it != new_templates_.end();) {
    if (it->second.last_seen < cutoff) {
      it->second.event.open = false;
      it->second.event.end_ns = it->second.last_seen;
      CloseEvent(std::move(it->second.event));
      new_templates_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = parked_.begin(); it != parked_.end();) {
    // The saved last-seen time sits at the end of every parked entry.
    core::TimeNs last_seen = INT64_MIN;
    const std::string& entry = it->second.entry;
    if (entry.size() >= sizeof(last_seen)) {
      std::memcpy(&last_seen, entry.data() + entry.size() - sizeof(last_seen), sizeof(last_seen));
    }
    if (last_seen < cutoff) {
      parked_.erase(it++);
    } else {
      ++it;
    }
  }
}

void SeriesModels::SetApiMutes(std::vector<Mute> mutes) { api_mutes_ = std::move(mutes); }

void SeriesModels::SetSensitivityRules(std::vector<SensitivityRule> rules) {
  config_.sensitivity = std::move(rules);
  for (auto& [key, m] : models_) m->detector->SetSensitivity(SensitivityFor(m->ref));
}

bool SeriesModels::Feedback(uint64_t event_id) {
  auto dismiss = [&](Model& m, AnomalyEvent& e) {
    if (!std::isnan(e.observed)) m.detector->AcceptAsNormal(e.peak_ns, e.observed);
  };
  for (auto& [key, m] : models_) {
    if (m->event.has_value() && m->event->id == event_id) {
      dismiss(*m, *m->event);
      m->event->open = false;
      m->event->end_ns = m->last_seen;
      m->event->dismissed = true;
      CloseEvent(std::move(*m->event));
      m->event.reset();
      m->tracker = EventTracker(config_.events);
      return true;
    }
  }
  for (auto& [key, f] : forests_) {
    if (f->event.has_value() && f->event->id == event_id) {
      f->event->open = false;
      f->event->end_ns = f->last_seen;
      f->event->dismissed = true;
      CloseEvent(std::move(*f->event));
      f->event.reset();
      f->tracker = EventTracker(config_.events);
      return true;
    }
  }
  for (auto it = new_templates_.begin(); it != new_templates_.end(); ++it) {
    if (it->second.event.id != event_id) continue;
    AnomalyEvent e = std::move(it->second.event);
    e.open = false;
    e.end_ns = it->second.last_seen;
    e.dismissed = true;
    new_templates_.erase(it);
    CloseEvent(std::move(e));
    return true;
  }
  for (AnomalyEvent& e : recent_) {
    if (e.id != event_id) continue;
    auto it = models_.find(e.series.Key());
    if (it != models_.end()) dismiss(*it->second, e);
    e.dismissed = true;
    return true;
  }
  return false;
}

void SeriesModels::CollectEvents(const EventFilter& filter, std::vector<AnomalyEvent>* out) const {
  auto keep = [&](const AnomalyEvent& e) {
    if (!filter.service.empty() && e.service != filter.service) return false;
    if (!filter.family.empty() && e.series.family != filter.family) return false;
    if (filter.open_only && !e.open) return false;
    core::TimeNs end = e.open ? INT64_MAX : e.end_ns;
    return end >= filter.since_ns && e.start_ns <= filter.until_ns;
  };
  for (const auto& [key, m] : models_) {
    if (m->event.has_value() && keep(*m->event)) out->push_back(*m->event);
  }
  for (const auto& [key, f] : forests_) {
    if (f->event.has_value() && keep(*f->event)) out->push_back(*f->event);
  }
  for (const auto& [key, n] : new_templates_) {
    if (keep(n.event)) out->push_back(n.event);
  }
  if (filter.open_only) return;
  for (const AnomalyEvent& e : recent_) {
    if (keep(e)) out->push_back(e);
  }
}

void SeriesModels::CollectSeries(const core::LabelSelector& selector, size_t limit,
                                 std::vector<SeriesSnapshot>* out) const {
  for (const auto& [key, m] : models_) {
    if (out->size() >= limit) return;
    if (!selector.Matches(LabelsOf(m->ref))) continue;
    SeriesSnapshot s;
    s.ref = m->ref;
    s.service = m->service;
    s.detector = std::string(m->detector->type());
    s.learning = m->last.learning;
    s.last = m->last;
    const size_t n = m->history.size();
    const size_t start = n < config_.history_points ? 0 : m->history_next;
    for (size_t i = 0; i < n; ++i) {
      const CompactPoint& p = m->history[(start + i) % n];
      s.history.push_back(HistoryPoint{p.t, p.value, p.expected, p.lower, p.upper, p.score});
    }
    out->push_back(std::move(s));
  }
}

void SeriesModels::PeakAbove(std::string_view service,
                             const std::function<bool(std::string_view)>& family_matches,
                             core::TimeNs from, core::TimeNs to, double min_score, int min_points,
                             int min_run, AnomalyEvent* best, double* excess) const {
  for (const auto& [key, m] : models_) {
    if (m->service != service || !family_matches(m->ref.family)) continue;
    const CompactPoint* peak = nullptr;
    core::TimeNs first_high = INT64_MAX;  // the history's first high point
    int high = 0;
    double sum = 0;
    for (const CompactPoint& p : m->history) {
      if (p.t < from || p.t > to || !(p.value > p.expected) || !(p.score >= min_score)) continue;
      ++high;
      sum += p.value - p.expected;
      first_high = std::min(first_high, p.t);
      if (peak == nullptr || p.score > peak->score) peak = &p;
    }
    if (high < min_points) {
      peak = nullptr;
      sum = 0;
    }
    bool peak_in_history = peak != nullptr;
    for (const Model::Rise& r : m->rises) {
      if (r.end < from || r.start > to) continue;
      const CompactPoint* p = nullptr;
      if (r.points >= min_points && r.peak.score >= min_score) {
        p = &r.peak;
      } else if (min_run > 0 && r.streak >= min_run) {
        p = &r.shift_peak;
      } else {
        continue;
      }
      if (peak == nullptr || p->score > peak->score) {
        peak = p;
        peak_in_history = false;
      }
      sum = std::max(sum, r.excess);  // the history holds the newest points of the newest rise
    }
    if (excess != nullptr) *excess = std::max(*excess, sum);
    if (peak == nullptr || !(peak->score > best->peak_score)) continue;
    // The peak's rise began at its first point: that of the kept rise holding the peak, or of the
    // history's high points when the peak is one of them.
    core::TimeNs start = peak_in_history ? first_high : peak->t;
    for (const Model::Rise& r : m->rises) {
      if (peak->t >= r.start && peak->t <= r.end) start = std::min(start, r.start);
    }
    best->service = m->service;
    best->series = m->ref;
    best->start_ns = start;
    best->peak_ns = peak->t;
    best->peak_score = peak->score;
    best->observed = peak->value;
    best->expected = peak->expected;
    best->lower = peak->lower;
    best->upper = peak->upper;
  }
}

void SeriesModels::WriteExposition(core::Exposition* out) const {
  auto& score = out->GetFamily("augur_anomaly_score", core::MetricKind::kGauge,
                               "Calibrated anomaly score of the latest window, in [0, 1].");
  auto& lower = out->GetFamily("augur_expected_lower", core::MetricKind::kGauge,
                               "Lower edge of the expected band of the latest window.");
  auto& upper = out->GetFamily("augur_expected_upper", core::MetricKind::kGauge,
                               "Upper edge of the expected band of the latest window.");
  std::vector<core::Label> labels;
  for (const auto& [key, m] : models_) {
    if (m->last_seen == INT64_MIN || std::isnan(m->last.value)) continue;
    labels.clear();
    labels.emplace_back("source", m->ref.family);
    for (const auto& [k, v] : m->ref.labels) labels.emplace_back(k, v);
    labels.emplace_back("signal", m->ref.signal);
    score.Gauge(labels, m->last.learning ? 0 : m->last.score);
    if (!std::isnan(m->last.lower)) lower.Gauge(labels, m->last.lower);
    if (!std::isnan(m->last.upper)) upper.Gauge(labels, m->last.upper);
  }
  for (const auto& [key, f] : forests_) {
    std::array<core::Label, 3> l = {core::Label{"source", "service"},
                                    core::Label{"service_name", f->service},
                                    core::Label{"signal", "multi_signal"}};
    score.Gauge(l, f->last.learning ? 0 : f->last.score);
  }
}

void SeriesModels::Save(std::string* out) const {
  core::BinaryWriter w(out);
  out->append(kCheckpointMagic);
  w.Put<uint32_t>(kCheckpointVersion);
  w.Put<uint64_t>(models_.size() + forests_.size() + parked_.size());
  for (const auto& [key, m] : models_) {
    w.PutString(key);
    w.PutString(m->service);
    SaveRef(&w, m->ref);
    std::string entry;
    core::BinaryWriter e(&entry);
    e.PutString(m->detector->type());
    std::string state;
    m->detector->Save(&state);
    e.PutString(state);
    std::string tracker;
    m->tracker.Save(&tracker);
    e.PutString(tracker);
    e.Put(m->last_seen);
    std::string counts;
    m->counts.Save(&counts);
    e.PutString(counts);  // absent in entries written before it existed
    w.PutString(entry);
  }
  for (const auto& [key, f] : forests_) {
    w.PutString(key);
    w.PutString(f->service);
    SaveRef(&w, SeriesRef{"service", {{"service_name", f->service}}, "multi_signal"});
    std::string entry;
    core::BinaryWriter e(&entry);
    std::string state;
    f->forest.Save(&state);
    e.PutString(state);
    std::string tracker;
    f->tracker.Save(&tracker);
    e.PutString(tracker);
    e.Put(f->last_seen);
    w.PutString(entry);
  }
  for (const auto& [key, parked] : parked_) {
    w.PutString(key);
    w.PutString(parked.service);
    SaveRef(&w, SeriesRef{});
    w.PutString(parked.entry);
  }
}

namespace {

// Calls fn(key, service, entry_bytes) for every entry of a checkpoint.
template <typename Fn>
absl::Status ForEachEntry(std::string_view checkpoint, Fn fn) {
  if (checkpoint.substr(0, kCheckpointMagic.size()) != kCheckpointMagic) {
    return absl::InvalidArgumentError("not an Augur model checkpoint");
  }
  core::BinaryReader r(checkpoint.substr(kCheckpointMagic.size()));
  uint32_t version = 0;
  uint64_t count = 0;
  if (!r.Get(&version) || version != kCheckpointVersion) {
    return absl::InvalidArgumentError(
        fmt::format("model checkpoint version {} is not supported (this build reads {})", version,
                    kCheckpointVersion));
  }
  if (!r.Get(&count)) return absl::InvalidArgumentError("model checkpoint truncated");
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key, service, entry;
    SeriesRef ref;
    if (!r.GetString(&key) || !r.GetString(&service) || !LoadRef(&r, &ref) ||
        !r.GetString(&entry)) {
      return absl::InvalidArgumentError(
          fmt::format("model checkpoint truncated or corrupt at entry {}", i));
    }
    fn(key, service, ref, entry);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SeriesModels::SplitCheckpoint(std::string_view checkpoint,
                                                                       int shards) {
  std::vector<std::string> parts(shards);
  std::vector<uint64_t> counts(shards, 0);
  std::vector<std::string> bodies(shards);
  absl::Status s = ForEachEntry(checkpoint, [&](std::string_view key, std::string_view service,
                                                const SeriesRef& ref, std::string_view entry) {
    const int shard = core::ShardOf(service, shards);
    core::BinaryWriter w(&bodies[shard]);
    w.PutString(key);
    w.PutString(service);
    SaveRef(&w, ref);
    w.PutString(entry);
    ++counts[shard];
  });
  if (!s.ok()) return s;
  for (int i = 0; i < shards; ++i) {
    parts[i].append(kCheckpointMagic);
    core::BinaryWriter w(&parts[i]);
    w.Put<uint32_t>(kCheckpointVersion);
    w.Put<uint64_t>(counts[i]);
    parts[i].append(bodies[i]);
  }
  return parts;
}

absl::Status SeriesModels::Restore(std::string_view checkpoint) {
  absl::flat_hash_map<std::string, Parked> parked;
  absl::Status s = ForEachEntry(checkpoint, [&](std::string_view key, std::string_view service,
                                                const SeriesRef&, std::string_view entry) {
    parked[std::string(key)] = Parked{std::string(service), std::string(entry)};
  });
  if (!s.ok()) return s;  // all or nothing
  for (auto& [key, p] : parked) parked_[key] = std::move(p);
  return absl::OkStatus();
}

size_t SeriesModels::open_events() const {
  size_t n = 0;
  for (const auto& [key, m] : models_) n += m->event.has_value() ? 1 : 0;
  for (const auto& [key, f] : forests_) n += f->event.has_value() ? 1 : 0;
  return n + new_templates_.size();
}

size_t SeriesModels::MemoryBytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& [key, m] : models_) {
    bytes += sizeof(Model) + key.capacity() + m->detector->MemoryBytes() +
             m->history.capacity() * sizeof(CompactPoint) + m->service.capacity() +
             m->rises.capacity() * sizeof(Model::Rise);
    for (const auto& [k, v] : m->ref.labels) bytes += k.capacity() + v.capacity() + 64;
  }
  for (const auto& [key, f] : forests_) bytes += sizeof(Forest) + f->forest.MemoryBytes();
  for (const auto& [key, p] : parked_) bytes += key.capacity() + p.entry.capacity();
  for (const auto& [key, n] : new_templates_) {
    bytes += sizeof(NewTemplateEvent) + 2 * key.capacity() + n.event.log_template.capacity();
    for (const std::string& line : n.event.examples) bytes += sizeof(line) + line.capacity();
  }
  for (const AnomalyEvent& e : recent_) {
    bytes += sizeof(e) + e.log_template.capacity();
    for (const std::string& line : e.examples) bytes += sizeof(line) + line.capacity();
  }
  return bytes;
}

}  // namespace augur::detect
