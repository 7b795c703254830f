#include "detect/series_models.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <fmt/format.h>

#include "core/hash.h"
#include "detect/recent_windows.h"
#include "model/partials.h"

namespace augur::detect {
namespace {

constexpr core::TimeNs kStep = 10 * core::kNsPerSecond;
constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;

class FixedClock : public core::Clock {
 public:
  core::TimeNs NowNs() const override { return now; }
  core::TimeNs now = kT0;
};

SeriesRef Rate(std::string service, std::string op = "GET /") {
  return SeriesRef{
      "span_metrics",
      {{"service_name", service}, {"span_kind", "SPAN_KIND_SERVER"}, {"span_name", op}},
      "rate"};
}

// A daily-periodic, noisy, always-positive signal.
double Normal(core::TimeNs t, std::mt19937_64& rng) {
  double day =
      static_cast<double>(t % (86400 * core::kNsPerSecond)) / (86400.0 * core::kNsPerSecond);
  return 100 + 20 * std::sin(2 * M_PI * day) + std::normal_distribution<double>(0, 2)(rng);
}

class SeriesModelsTest : public ::testing::Test {
 protected:
  SeriesModelsTest() : models_(DetectionConfig{}, 3, &metrics_, &clock_) {}

  // Feeds normal points until the model has finished learning (at most `max` points); returns
  // the time after the last one.
  core::TimeNs Warm(SeriesModels& models, const SeriesRef& ref, core::TimeNs t, size_t max) {
    for (size_t i = 0; i < max; ++i, t += kStep) {
      models.Observe(ref, ref.Label("service_name"), t, Normal(t, rng_));
      std::vector<SeriesSnapshot> s;
      models.CollectSeries(*core::LabelSelector::Parse(""), 10, &s);
      if (i > 10 && !s.empty() && !s[0].learning) return t + kStep;
    }
    ADD_FAILURE() << "the model was still learning after " << max << " points";
    return t;
  }

  std::vector<AnomalyEvent> Events(const SeriesModels& models, bool open_only = false) {
    std::vector<AnomalyEvent> out;
    EventFilter f;
    f.open_only = open_only;
    models.CollectEvents(f, &out);
    return out;
  }

  core::SelfMetrics metrics_;
  FixedClock clock_;
  SeriesModels models_;
  std::mt19937_64 rng_{7};
};

TEST_F(SeriesModelsTest, ASustainedSpikeOpensAnEventWithItsEvidenceAndCloses) {
  const SeriesRef ref = Rate("cart");
  core::TimeNs t = Warm(models_, ref, kT0, 50'000);
  for (int i = 0; i < 200; ++i, t += kStep) models_.Observe(ref, "cart", t, Normal(t, rng_));
  EXPECT_TRUE(Events(models_).empty()) << "normal traffic raised an event";

  const core::TimeNs spike = t;
  for (int i = 0; i < 12; ++i, t += kStep) models_.Observe(ref, "cart", t, 1000);
  auto open = Events(models_, true);
  ASSERT_EQ(open.size(), 1u);
  const AnomalyEvent& e = open[0];
  EXPECT_TRUE(e.open);
  EXPECT_EQ(e.service, "cart");
  EXPECT_EQ(e.series.signal, "rate");
  EXPECT_GE(e.start_ns, spike);
  EXPECT_DOUBLE_EQ(e.observed, 1000);
  EXPECT_LT(e.expected, 200);
  EXPECT_LT(e.upper, 1000);
  EXPECT_GE(e.peak_score, DetectionConfig{}.events.open_score);
  EXPECT_EQ(e.id & 0xff, 3u);  // the shard is in the low byte
  std::string why = ExplainEvent(e, t);
  EXPECT_NE(why.find("rate of operation \"GET /\" (SPAN_KIND_SERVER) of service \"cart\" was 1000"),
            std::string::npos)
      << why;

  for (int i = 0; i < 500 && !Events(models_, true).empty(); ++i, t += kStep) {
    models_.Observe(ref, "cart", t, Normal(t, rng_));
  }
  EXPECT_TRUE(Events(models_, true).empty()) << "the event never closed";
  auto all = Events(models_);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].open);
  EXPECT_GT(all[0].end_ns, all[0].start_ns);
  EXPECT_EQ(metrics_.Value("augur_detect_events_opened"), 1);
}

TEST_F(SeriesModelsTest, AnEventOnASeriesThatFallsSilentClosesAfterCloseAfter) {
  // A path called rarely: its windows have too few requests to judge (NaN) once the spike ends.
  const SeriesRef ref = Rate("cart");
  core::TimeNs t = Warm(models_, ref, kT0, 50'000);
  for (int i = 0; i < 6; ++i, t += kStep) models_.Observe(ref, "cart", t, 1000);
  ASSERT_EQ(Events(models_, true).size(), 1u);
  const core::TimeNs quiet_from = t;
  const core::TimeNs close_after = DetectionConfig{}.events.close_after_ns;
  for (; t < quiet_from + core::kNsPerMinute; t += kStep) {
    models_.Observe(ref, "cart", t, std::nan(""));
  }
  EXPECT_EQ(Events(models_, true).size(), 1u) << "closed long before close_after";
  for (; t <= quiet_from + close_after; t += kStep) models_.Observe(ref, "cart", t, std::nan(""));
  EXPECT_TRUE(Events(models_, true).empty()) << "a silent series held its event open";
  auto all = Events(models_);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_GE(all[0].end_ns, quiet_from + close_after - 6 * kStep);
  // It was high from its start to the last spike window, not until it closed.
  EXPECT_GT(all[0].last_high_ns, all[0].start_ns);
  EXPECT_LE(all[0].last_high_ns, quiet_from - kStep);
}

TEST_F(SeriesModelsTest, PeakAboveFindsTheStrongestRecentRiseOfMatchingSeries) {
  const SeriesRef cpu{"process_cpu_utilization_ratio", {{"job", "shop/index"}}, "value"};
  const SeriesRef rate = Rate("index");
  core::TimeNs t = kT0;
  for (int i = 0; i < 2000; ++i, t += kStep) {
    models_.Observe(cpu, "index", t, Normal(t, rng_));
    models_.Observe(rate, "index", t, Normal(t, rng_));
  }
  const core::TimeNs rise = t;
  for (int i = 0; i < 3; ++i, t += kStep) models_.Observe(cpu, "index", t, 150 - i);  // sustained
  auto is_cpu = [](std::string_view family) { return family.starts_with("process_cpu"); };
  AnomalyEvent best;
  best.peak_score = -1;
  models_.PeakAbove("index", is_cpu, rise - 5 * kStep, t, 0.9, 3, 0, &best);
  EXPECT_EQ(best.series.family, "process_cpu_utilization_ratio");
  EXPECT_GE(best.peak_ns, rise);
  EXPECT_GT(best.observed, 140);
  EXPECT_GT(best.peak_score, 0.9);
  AnomalyEvent none;
  none.peak_score = -1;
  models_.PeakAbove("index", is_cpu, rise + kStep, t, 0.9, 3, 0, &none);     // only two points left
  models_.PeakAbove("cart", is_cpu, rise - 5 * kStep, t, 0.9, 3, 0, &none);  // another service
  EXPECT_LT(none.peak_score, 0);
}

TEST_F(SeriesModelsTest, RisesOfRuntimeMetricsOutliveTheirHistory) {
  // The ranker may ask about a rise the series shards have left minutes behind.
  DetectionConfig config;
  config.history_points = 5;
  SeriesModels models(config, 3, &metrics_, &clock_);
  const SeriesRef cpu{"process_cpu_utilization_ratio", {{"job", "shop/index"}}, "value"};
  const SeriesRef quiet{"process_cpu_utilization_ratio", {{"job", "shop/other"}}, "value"};
  ObserveContext runtime;
  runtime.remember_rises = true;
  core::TimeNs t = kT0;
  for (int i = 0; i < 2000; ++i, t += kStep) {
    models.Observe(cpu, "index", t, Normal(t, rng_), &runtime);
    models.Observe(quiet, "index", t, Normal(t, rng_));  // no remember_rises
  }
  const core::TimeNs rise = t;
  for (int i = 0; i < 4; ++i, t += kStep) {
    models.Observe(cpu, "index", t, 150 - i, &runtime);
    models.Observe(quiet, "index", t, 150 - i);
  }
  for (int i = 0; i < 30; ++i, t += kStep) {  // back to normal: the rise leaves the history
    models.Observe(cpu, "index", t, Normal(t, rng_), &runtime);
    models.Observe(quiet, "index", t, Normal(t, rng_));
  }
  auto is_cpu = [](std::string_view family) { return family.starts_with("process_cpu"); };
  AnomalyEvent best;
  best.peak_score = -1;
  models.PeakAbove("index", is_cpu, rise - kStep, rise + 10 * kStep, 0.98, 3, 0, &best);
  EXPECT_EQ(best.series.Label("job"), "shop/index");
  EXPECT_GE(best.peak_ns, rise);
  EXPECT_GT(best.observed, 140);
  AnomalyEvent none;
  none.peak_score = -1;
  models.PeakAbove("index", is_cpu, rise + 20 * kStep, t, 0.98, 3, 0, &none);  // after it
  models.PeakAbove("index", is_cpu, rise - kStep, t, 0.98, 5, 0, &none);       // four points only
  EXPECT_LT(none.peak_score, 0);
}

// Kept rises are few (kRisesKept): blips that came after a rise push out older blips first, not
// the rise the ranker may still ask about.
TEST_F(SeriesModelsTest, BlipsDoNotPushOutAKeptRise) {
  DetectionConfig config;
  config.history_points = 5;
  SeriesModels models(config, 3, &metrics_, &clock_);
  const SeriesRef cpu{"process_cpu_utilization_ratio", {{"job", "shop/index"}}, "value"};
  ObserveContext runtime;
  runtime.remember_rises = true;
  auto is_cpu = [](std::string_view family) { return family.starts_with("process_cpu"); };
  core::TimeNs t = kT0;
  for (int i = 0; i < 2000; ++i, t += kStep)
    models.Observe(cpu, "index", t, Normal(t, rng_), &runtime);
  const core::TimeNs rise = t;
  for (int i = 0; i < 4; ++i, t += kStep) models.Observe(cpu, "index", t, 150 - i, &runtime);
  const core::TimeNs rise_end = t;
  for (size_t blip = 0; blip < SeriesModels::kRisesKept + 1; ++blip) {
    for (int i = 0; i < 30; ++i, t += kStep)
      models.Observe(cpu, "index", t, Normal(t, rng_), &runtime);
    models.Observe(cpu, "index", t, 150, &runtime);
    AnomalyEvent one;
    one.peak_score = -1;
    models.PeakAbove("index", is_cpu, t, t, 0.98, 1, 0, &one);
    ASSERT_GE(one.peak_score, 0.98) << "blip " << blip << " is kept as a rise of one point";
    t += kStep;
  }
  for (int i = 0; i < 30; ++i, t += kStep)
    models.Observe(cpu, "index", t, Normal(t, rng_), &runtime);
  AnomalyEvent best;
  best.peak_score = -1;
  models.PeakAbove("index", is_cpu, rise, rise_end, 0.98, 3, 0, &best);
  EXPECT_GE(best.peak_ns, rise);
  EXPECT_LT(best.peak_ns, rise_end);
}

// A service's CPU at a few requests per window, as the ranker's lookups see it (remember_rises):
// each window 0.03 plus 0.47 per request (0, 1 or 2 of them), or a hog's steady 0.96.
class FewRequestsCpu {
 public:
  explicit FewRequestsCpu(SeriesModels* models) : models_(models) {
    runtime_.remember_rises = true;
  }

  // `n` windows from `t` of the idling service (or the hog, or `value` when given); returns the
  // time after the last.
  core::TimeNs Idle(core::TimeNs t, int n) {
    for (int i = 0; i < n; ++i, t += kStep) Observe(t, 0.03 + 0.47 * requests_(rng_) + Noise());
    return t;
  }
  core::TimeNs Hog(core::TimeNs t, int n) {
    for (int i = 0; i < n; ++i, t += kStep) Observe(t, 0.96 + Noise());
    return t;
  }
  core::TimeNs Steady(core::TimeNs t, int n, double value) {
    for (int i = 0; i < n; ++i, t += kStep) Observe(t, value);
    return t;
  }
  // Its strongest rise in [from, to] by a run above the usual range alone (min_score above 1:
  // no score qualifies); peak_score < 0 when there is none.
  AnomalyEvent RiseByRun(core::TimeNs from, core::TimeNs to) const {
    AnomalyEvent found;
    found.peak_score = -1;
    models_->PeakAbove(
        "accounting", [](std::string_view family) { return family.starts_with("process_cpu"); },
        from, to, 1.01, 3, SeriesModels::kShiftPoints, &found);
    return found;
  }

 private:
  void Observe(core::TimeNs t, double value) {
    models_->Observe(cpu_, "accounting", t, value, &runtime_);
  }
  double Noise() { return noise_(rng_); }

  SeriesModels* models_;
  const SeriesRef cpu_{"process_cpu_utilization_ratio", {{"job", "shop/accounting"}}, "value"};
  ObserveContext runtime_;
  std::mt19937_64 rng_{7};
  std::discrete_distribution<int> requests_{0.6, 0.3, 0.1};
  std::normal_distribution<double> noise_{0, 0.01};
};

// The hog holds the CPU at 0.96 for eight minutes, inside the range the gauge swings through
// anyway (in the simulator the detector's scores stayed below 0.98 as its level followed within
// minutes): twelve and more points in a row above its usual range are a rise by themselves, and
// the gauge's own swings are none.
TEST_F(SeriesModelsTest, ASustainedStepOfANoisyGaugeIsARiseByItsRunAlone) {
  FewRequestsCpu cpu(&models_);
  core::TimeNs t = cpu.Idle(kT0, 3000);
  const AnomalyEvent none = cpu.RiseByRun(t - 2000 * kStep, t);
  EXPECT_LT(none.peak_score, 0) << "a rise in the gauge's own noise at " << none.peak_ns;

  const core::TimeNs step = t;
  t = cpu.Idle(cpu.Hog(t, 48), 60);
  const AnomalyEvent best = cpu.RiseByRun(step, t);
  ASSERT_GE(best.peak_score, 0);
  EXPECT_GE(best.peak_ns, step);
  EXPECT_LT(best.peak_ns, step + 48 * kStep);
  EXPECT_GT(best.observed, 0.9);
  EXPECT_LT(best.expected, 0.4);  // the usual level, not the detector's that followed the step
  EXPECT_GE(best.start_ns, step - SeriesModels::kRiseGapNs);
  EXPECT_LE(best.start_ns, step + kStep);

  // A rise reports where it began (the ranker asks whether a neighbour rose before a node was
  // throttled), not its strongest point: here a minute at 0.85 before the hog's 0.96, after two
  // minutes without requests.
  const core::TimeNs second = cpu.Steady(cpu.Idle(t, 360), 12, 0.03);
  t = cpu.Idle(cpu.Hog(cpu.Steady(second, 6, 0.85), 42), 60);
  const AnomalyEvent ramp = cpu.RiseByRun(second, t);
  ASSERT_GE(ramp.peak_score, 0);
  EXPECT_GE(ramp.peak_ns, second + 6 * kStep);
  EXPECT_EQ(ramp.start_ns, second);
}

// Above the usual range, a run of kShiftPoints is a rise and one point fewer is not.
TEST_F(SeriesModelsTest, ARunAboveTheUsualRangeNeedsKShiftPoints) {
  FewRequestsCpu cpu(&models_);
  core::TimeNs t = cpu.Idle(kT0, 3000);
  for (int points : {SeriesModels::kShiftPoints - 1, SeriesModels::kShiftPoints}) {
    const core::TimeNs run = t;
    t = cpu.Steady(cpu.Hog(t, points), 1, 0.03) + SeriesModels::kRiseGapNs;
    t = cpu.Steady(t, 30, 0.03);
    EXPECT_EQ(cpu.RiseByRun(run, t).peak_score >= 0, points == SeriesModels::kShiftPoints)
        << points << " points";
  }
}

TEST_F(SeriesModelsTest, ASlotReachesTheSameModelAsTheKeyAndFollowsExpiry) {
  SeriesModels::Slot slot;
  int made = 0;
  auto ref = [&] {
    ++made;
    return Rate("cart");
  };
  models_.Observe(&slot, ref, "cart", kT0, 5);
  models_.Observe(&slot, ref, "cart", kT0 + kStep, 6);
  models_.Observe(Rate("cart"), "cart", kT0 + 2 * kStep, 7);  // by key: the same model
  EXPECT_EQ(made, 1);
  EXPECT_EQ(models_.model_count(), 1u);
  std::vector<SeriesSnapshot> s;
  models_.CollectSeries(*core::LabelSelector::Parse(""), 10, &s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].history.size(), 3u);
  EXPECT_EQ(s[0].last.value, 7);
  // Another series expires: the slot is looked up again, and still finds its own model.
  models_.Observe(Rate("old"), "old", kT0 - 10 * core::kNsPerMinute, 1);
  models_.ExpireIdle(kT0);
  models_.Observe(&slot, ref, "cart", kT0 + 3 * kStep, 8);
  EXPECT_EQ(made, 2);
  s.clear();
  models_.CollectSeries(*core::LabelSelector::Parse(""), 10, &s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].history.size(), 4u);
  // Its own model expires: the next observation starts a new one through the slot.
  models_.ExpireIdle(kT0 + 3 * kStep + 10 * core::kNsPerMinute);
  EXPECT_EQ(models_.model_count(), 0u);
  models_.Observe(&slot, ref, "cart", kT0 + 3 * kStep + 11 * core::kNsPerMinute, 9);
  EXPECT_EQ(made, 3);
  EXPECT_EQ(models_.model_count(), 1u);
}

TEST_F(SeriesModelsTest, DeviationsWithinTheResolutionScoreZero) {
  // Two queues that are always empty; one of them is known to count in whole requests.
  const SeriesRef counted{"queue_depth", {{"job", "shop/cart"}}, "value"};
  const SeriesRef plain{"queue_depth", {{"job", "shop/ad"}}, "value"};
  ObserveContext counting;
  counting.resolution = 1;
  core::TimeNs t = kT0;
  for (int i = 0; i < 1000; ++i, t += kStep) {
    models_.Observe(counted, "cart", t, 0, &counting);
    models_.Observe(plain, "ad", t, 0);
  }
  auto last_score = [&](std::string_view job) {
    std::vector<SeriesSnapshot> s;
    models_.CollectSeries(*core::LabelSelector::Parse(fmt::format("{{job=\"{}\"}}", job)), 1, &s);
    return s.empty() ? -1.0 : s[0].last.score;
  };
  models_.Observe(counted, "cart", t, 1, &counting);  // one request queued
  models_.Observe(plain, "ad", t, 1);
  EXPECT_EQ(last_score("shop/cart"), 0);
  EXPECT_GT(last_score("shop/ad"), 0.9);                       // nothing to judge its scale by
  models_.Observe(counted, "cart", t + kStep, 12, &counting);  // a queue building up
  EXPECT_GT(last_score("shop/cart"), 0.9);
}

TEST_F(SeriesModelsTest, ASlowdownWithinOneWideBucketIsCountedByItsShareOfTheBucket) {
  // A quiet operation's own time: eight requests a window, most of them 0.5 to 5 ms, one in
  // twelve an outlier of 10 to 60 ms, so the p95 of a window is often its one outlier and its band
  // is wide. Then every request takes four times as long plus 22 ms (slow code): the requests that
  // were almost all under the expected p95 are now almost all over it, but inside the 10-50 ms
  // bucket of the default bounds, which also holds the expected p95, so only the share of that
  // bucket above it shows them. (Counting whole buckets only, this fails: no event in 5 minutes.)
  const SeriesRef ref{"span_metrics",
                      {{"service_name", "discount"},
                       {"span_kind", "SPAN_KIND_SERVER"},
                       {"span_name", "CreateDiscount"}},
                      "self_time_p95_ms"};
  const std::vector<double>& bounds = model::kDefaultLatencyBoundsMs;
  std::uniform_real_distribution<double> unit(0, 1);
  core::TimeNs t = kT0;
  auto observe = [&](bool slow) {
    WindowStats w;
    w.buckets.assign(bounds.size() + 1, 0);
    for (int i = 0; i < 8; ++i) {
      double ms = unit(rng_) < 0.08 ? 10 * std::pow(6, unit(rng_)) : 0.5 + 4.5 * unit(rng_);
      if (slow) ms = 4 * ms + 22;
      ++w.buckets[model::BucketIndex(bounds, ms)];
      ++w.count;
      w.sum += ms;
    }
    const double p95 = w.Quantile(bounds, 0.95);
    ObserveContext c;  // as the series table builds it for a p95
    c.upward_only = true;
    c.counting = ObserveContext::Counting::kExceedances;
    c.histogram = w.buckets;
    c.bounds = bounds;
    const size_t b = model::BucketIndex(bounds, p95);
    c.resolution = b < bounds.size() ? (bounds[b] - (b > 0 ? bounds[b - 1] : 0)) / 2 : 0;
    models_.Observe(ref, "discount", t, p95, &c);
    t += kStep;
  };
  for (int i = 0; i < 6 * 360; ++i) observe(false);  // six hours
  EXPECT_TRUE(Events(models_).empty()) << "a false alarm before the slowdown";
  const core::TimeNs slow_from = t;
  for (int i = 0; i < 30 && Events(models_, true).empty(); ++i) observe(true);
  const std::vector<AnomalyEvent> open = Events(models_, true);
  ASSERT_EQ(open.size(), 1u) << "five minutes of the slowdown and no event";
  EXPECT_LE(open[0].start_ns - slow_from, 2 * core::kNsPerMinute);
}

TEST_F(SeriesModelsTest, MutedEventsAreKeptAndMarked) {
  const SeriesRef ref = Rate("batch");
  models_.SetApiMutes(
      {Mute{1, *core::LabelSelector::Parse("{service_name=\"batch\"}"), 0, "noisy"}});
  core::TimeNs t = Warm(models_, ref, kT0, 50'000);
  // The running-evidence calibrators need a few dozen points after learning.
  for (int i = 0; i < 100; ++i, t += kStep) models_.Observe(ref, "batch", t, Normal(t, rng_));
  for (int i = 0; i < 12; ++i, t += kStep) models_.Observe(ref, "batch", t, 5000);
  auto open = Events(models_, true);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(open[0].muted);
}

TEST_F(SeriesModelsTest, FeedbackClosesTheEventAndMarksItDismissed) {
  const SeriesRef ref = Rate("search");
  core::TimeNs t = Warm(models_, ref, kT0, 50'000);
  // The running-evidence calibrators need a few dozen points after learning.
  for (int i = 0; i < 100; ++i, t += kStep) models_.Observe(ref, "search", t, Normal(t, rng_));
  for (int i = 0; i < 12; ++i, t += kStep) models_.Observe(ref, "search", t, 900);
  auto open = Events(models_, true);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(models_.Feedback(open[0].id));
  EXPECT_TRUE(Events(models_, true).empty());
  auto all = Events(models_);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].dismissed);
  EXPECT_FALSE(models_.Feedback(12345));
}

TEST_F(SeriesModelsTest, CheckpointResumesWithIdenticalScores) {
  const SeriesRef a = Rate("cart");
  const SeriesRef b = Rate("payment", "POST /charge");
  core::TimeNs t = kT0;
  std::mt19937_64 rng(11);
  std::vector<double> values;
  for (int i = 0; i < 3000; ++i)
    values.push_back(Normal(kT0 + i * kStep, rng) + (i % 700 == 0 ? 400 : 0));
  // An error ratio with its count behind it (the volume-aware rule's state is saved too).
  SeriesRef errors = Rate("payment", "POST /charge");
  errors.signal = "error_ratio";
  ObserveContext of_requests;
  of_requests.counting = ObserveContext::Counting::kBinomial;
  of_requests.trials = 40;
  auto ratio = [](int i) { return i % 700 == 350 ? 0.5 : (i % 37 == 0 ? 0.025 : 0.0); };
  for (int i = 0; i < 2000; ++i, t += kStep) {
    models_.Observe(a, "cart", t, values[i]);
    models_.Observe(b, "payment", t, values[i] * 0.5);
    models_.Observe(errors, "payment", t, ratio(i), &of_requests);
    std::array<double, 4> v = {values[i], 0.01, 120, 0.4};
    models_.ObserveService("cart", t, v);
  }
  std::string checkpoint;
  models_.Save(&checkpoint);

  SeriesModels restored(DetectionConfig{}, 3, &metrics_, &clock_);
  ASSERT_TRUE(restored.Restore(checkpoint).ok());
  EXPECT_EQ(restored.model_count(), 0u);  // parked until the series show up
  for (int i = 2000; i < 3000; ++i, t += kStep) {
    for (SeriesModels* m : {&models_, &restored}) {
      m->Observe(a, "cart", t, values[i]);
      m->Observe(b, "payment", t, values[i] * 0.5);
      m->Observe(errors, "payment", t, ratio(i), &of_requests);
      std::array<double, 4> v = {values[i], 0.01, 120, 0.4};
      m->ObserveService("cart", t, v);
    }
    std::vector<SeriesSnapshot> x, y;
    models_.CollectSeries(*core::LabelSelector::Parse(""), 10, &x);
    restored.CollectSeries(*core::LabelSelector::Parse(""), 10, &y);
    ASSERT_EQ(x.size(), y.size());
    std::sort(x.begin(), x.end(), [](auto& p, auto& q) { return p.ref.Key() < q.ref.Key(); });
    std::sort(y.begin(), y.end(), [](auto& p, auto& q) { return p.ref.Key() < q.ref.Key(); });
    for (size_t k = 0; k < x.size(); ++k) {
      ASSERT_EQ(x[k].last.score, y[k].last.score) << "diverged at point " << i;
      ASSERT_EQ(x[k].last.expected, y[k].last.expected);
    }
  }
  EXPECT_EQ(metrics_.Value("augur_detect_models_restored"), 4);  // three models and a forest
}

TEST_F(SeriesModelsTest, RestoreRejectsGarbageAndForeignVersions) {
  EXPECT_FALSE(models_.Restore("not a checkpoint").ok());
  std::string checkpoint;
  models_.Save(&checkpoint);
  checkpoint[8] = 99;  // version
  EXPECT_NE(std::string(models_.Restore(checkpoint).message()).find("version"), std::string::npos);
  std::string truncated;
  models_.Observe(Rate("x"), "x", kT0, 1);
  models_.Save(&truncated);
  truncated.resize(truncated.size() - 3);
  EXPECT_FALSE(models_.Restore(truncated).ok());
}

TEST_F(SeriesModelsTest, SplitCheckpointRoutesEntriesToTheOwningShard) {
  for (std::string s : {"a", "b", "c", "d", "e", "f", "g"}) models_.Observe(Rate(s), s, kT0, 1);
  std::string checkpoint;
  models_.Save(&checkpoint);
  auto parts = SeriesModels::SplitCheckpoint(checkpoint, 3);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 3u);
  for (int shard = 0; shard < 3; ++shard) {
    SeriesModels m(DetectionConfig{}, shard, &metrics_, &clock_);
    ASSERT_TRUE(m.Restore((*parts)[shard]).ok());
    for (std::string s : {"a", "b", "c", "d", "e", "f", "g"}) {
      double before = metrics_.Value("augur_detect_models_restored");
      m.Observe(Rate(s), s, kT0 + kStep, 1);
      bool resumed = metrics_.Value("augur_detect_models_restored") > before;
      EXPECT_EQ(resumed, core::ShardOf(s, 3) == shard) << s;
    }
  }
}

TEST_F(SeriesModelsTest, ExposesScoresAndBandsWithTheSeriesLabels) {
  core::TimeNs t = Warm(models_, Rate("cart"), kT0, 50'000);
  models_.Observe(Rate("cart"), "cart", t, 100);
  core::Exposition e;
  models_.WriteExposition(&e);
  std::string text = e.Render(core::ExpositionFormat::kPrometheusText);
  EXPECT_NE(text.find("augur_anomaly_score{source=\"span_metrics\",service_name=\"cart\","
                      "span_kind=\"SPAN_KIND_SERVER\",span_name=\"GET /\",signal=\"rate\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("augur_expected_lower{source=\"span_metrics\""), std::string::npos);
  EXPECT_NE(text.find("augur_expected_upper{source=\"span_metrics\""), std::string::npos);
}

TEST_F(SeriesModelsTest, SensitivityRulesWidenOrNarrowTheBand) {
  SeriesModels wide(DetectionConfig{}, 0, &metrics_, &clock_);
  wide.SetSensitivityRules(
      {SensitivityRule{*core::LabelSelector::Parse("{service_name=\"cart\"}"), 0.25}});
  std::mt19937_64 rng1(3), rng2(3);
  core::TimeNs t = kT0;
  for (int i = 0; i < 5000; ++i, t += kStep) {
    models_.Observe(Rate("cart"), "cart", t, Normal(t, rng1));
    wide.Observe(Rate("cart"), "cart", t, Normal(t, rng2));
  }
  std::vector<SeriesSnapshot> normal, widened;
  models_.CollectSeries(*core::LabelSelector::Parse(""), 1, &normal);
  wide.CollectSeries(*core::LabelSelector::Parse(""), 1, &widened);
  ASSERT_EQ(normal.size(), 1u);
  ASSERT_EQ(widened.size(), 1u);
  EXPECT_GT(widened[0].last.upper - widened[0].last.lower,
            normal[0].last.upper - normal[0].last.lower);
}

TEST_F(SeriesModelsTest, IdleModelsExpireByEventTime) {
  models_.Observe(Rate("old"), "old", kT0, 1);
  models_.Observe(Rate("new"), "new", kT0 + 10 * core::kNsPerMinute, 1);
  EXPECT_EQ(models_.model_count(), 2u);
  models_.ExpireIdle(kT0 + 11 * core::kNsPerMinute);
  EXPECT_EQ(models_.model_count(), 1u);
}

TEST_F(SeriesModelsTest, SeriesSelectorChoosesByLabelsAndSignal) {
  models_.Observe(Rate("cart"), "cart", kT0, 1);
  SeriesRef err = Rate("cart");
  err.signal = "error_ratio";
  models_.Observe(err, "cart", kT0, 0.1);
  models_.Observe(Rate("pay"), "pay", kT0, 1);
  std::vector<SeriesSnapshot> s;
  models_.CollectSeries(
      *core::LabelSelector::Parse("span_metrics{service_name=\"cart\",signal=\"rate\"}"), 10, &s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].ref.signal, "rate");
  EXPECT_EQ(s[0].history.size(), 1u);
}

}  // namespace
}  // namespace augur::detect
