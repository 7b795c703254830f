#include "detect/service_log_templates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "detect/series_table.h"

namespace augur::detect {
namespace {

constexpr core::TimeNs kS = core::kNsPerSecond;
constexpr core::TimeNs kT0 = 1'700'000'400 * kS;
constexpr core::TimeNs kWindow = 10 * kS;

model::LogPartial Log(std::string service, uint32_t id, model::Severity severity,
                      core::TimeNs window, uint64_t count, std::string text,
                      std::string example = "") {
  model::LogPartial p;
  p.service = std::move(service);
  p.template_id = id;
  p.severity = severity;
  p.window_start = window;
  p.count = count;
  p.template_text = std::move(text);
  p.example = std::move(example);
  p.template_first_seen_ns = 0;
  p.template_first_severity = severity;
  p.service_first_seen_ns = kT0;
  return p;
}

// Drives a one-service series table window by window: each call adds the window's partials and
// moves the watermark to its start, which closes the window before it.
class LogScenario {
 public:
  explicit LogScenario(SeriesTableConfig config = {}) : table_(WithDefaults(config), &metrics_) {}

  void Window(int w, std::vector<model::LogPartial> partials) {
    model::PartialBatch b;
    b.source_shard = 0;
    b.logs = std::move(partials);
    b.watermark = Start(w);
    table_.ConsumePartials(b);
  }
  static core::TimeNs Start(int w) { return kT0 + w * kWindow; }

  std::vector<AnomalyEvent> Events(std::string_view signal = "") const {
    EventFilter filter;
    filter.family = "logs";
    std::vector<AnomalyEvent> all, out;
    table_.models().CollectEvents(filter, &all);
    for (auto& e : all) {
      if (signal.empty() || e.series.signal == signal) out.push_back(std::move(e));
    }
    return out;
  }
  SeriesTable& table() { return table_; }
  core::SelfMetrics& metrics() { return metrics_; }

 private:
  static SeriesTableConfig WithDefaults(SeriesTableConfig c) {
    c.detection.multi_signal = false;
    c.series_idle_timeout_ns = 24 * 60 * core::kNsPerMinute;
    return c;
  }
  core::SelfMetrics metrics_;
  SeriesTable table_;
};

constexpr std::string_view kSteady = "Served request <*> in <*>";

TEST(LogAnomalyTest, ANewErrorTemplateAfterLearningRaisesAnEventWithExamples) {
  SeriesTableConfig config;
  config.logs.learning_period_ns = 10 * core::kNsPerMinute;
  LogScenario s(config);
  using model::Severity;
  // Before the learning period ends: a new error template is part of what the service does.
  for (int w = 0; w < 100; ++w) {
    std::vector<model::LogPartial> p = {
        Log("cart", 0, Severity::kInfo, LogScenario::Start(w), 50, std::string(kSteady))};
    if (w == 5) {
      p.push_back(Log("cart", 1, Severity::kError, LogScenario::Start(w), 2,
                      "Cache warmup failed for <*>", "Cache warmup failed for shard-3"));
      p.back().template_first_seen_ns = LogScenario::Start(w);
    }
    if (w == 70) {  // after learning, an error, but one stray line: no event
      p.push_back(Log("cart", 3, Severity::kError, LogScenario::Start(w), 1,
                      "Exception on GET <*>: KeyError: 'sku'",
                      "Exception on GET /x: KeyError: 'sku'"));
      p.back().template_first_seen_ns = LogScenario::Start(w);
    }
    if (w == 80) {  // after learning, but not an error: no event
      p.push_back(Log("cart", 2, Severity::kInfo, LogScenario::Start(w), 3,
                      "Rebalanced <*> partitions", "Rebalanced 12 partitions"));
      p.back().template_first_seen_ns = LogScenario::Start(w);
    }
    s.Window(w, std::move(p));
  }
  EXPECT_TRUE(s.Events("new_template").empty());

  // After it: three windows of a new error template, each with another example line.
  const std::string text = "Payment gateway <*> refused connection: <*>";
  const std::vector<std::string> lines = {"Payment gateway gw-1 refused connection: ECONNREFUSED",
                                          "Payment gateway gw-2 refused connection: ECONNREFUSED",
                                          "Payment gateway gw-1 refused connection: timeout",
                                          "Payment gateway gw-3 refused connection: ECONNRESET"};
  for (int w = 100; w < 104; ++w) {
    std::vector<model::LogPartial> p = {
        Log("cart", 0, Severity::kInfo, LogScenario::Start(w), 50, std::string(kSteady))};
    p.push_back(Log("cart", 7, Severity::kError, LogScenario::Start(w), 4 + w % 3, text,
                    lines[static_cast<size_t>(w - 100)]));
    p.back().template_first_seen_ns = LogScenario::Start(100) + 3 * kS;
    p.back().template_first_severity = Severity::kError;
    s.Window(w, std::move(p));
  }
  s.Window(104,
           {Log("cart", 0, Severity::kInfo, LogScenario::Start(104), 50, std::string(kSteady))});
  auto events = s.Events("new_template");
  ASSERT_EQ(events.size(), 1u);
  const AnomalyEvent& e = events[0];
  EXPECT_TRUE(e.open);
  EXPECT_EQ(e.service, "cart");
  EXPECT_EQ(e.series.family, "logs");
  EXPECT_EQ(e.series.Label("template_id"), "7");
  EXPECT_EQ(e.series.Label("severity"), "ERROR");
  EXPECT_EQ(e.start_ns, LogScenario::Start(100));
  EXPECT_EQ(e.log_template, text);
  ASSERT_EQ(e.examples.size(), AnomalyEvent::kMaxExamples);
  // Lines of the first windows are among them (the ring keeps the newest first).
  EXPECT_NE(std::find(e.examples.begin(), e.examples.end(), lines[0]), e.examples.end());
  EXPECT_EQ(e.peak_score, 1);
  EXPECT_EQ(e.observed, 6);  // the most lines in one window
  EXPECT_NE(ExplainEvent(e, LogScenario::Start(104)).find("new log template 7 (ERROR)"),
            std::string::npos)
      << ExplainEvent(e, LogScenario::Start(104));

  // Quiet for events.close_m windows: the event closes, once.
  for (int w = 105; w < 112; ++w) {
    s.Window(w, {Log("cart", 0, Severity::kInfo, LogScenario::Start(w), 50, std::string(kSteady))});
  }
  events = s.Events("new_template");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].open);
  EXPECT_EQ(s.metrics().Value("augur_detect_events_opened"), 1);
}

// Lines per window around `mean`, deterministic.
class Noise {
 public:
  explicit Noise(uint64_t seed) : random_(seed) {}
  uint64_t Around(double mean) {
    std::normal_distribution<double> d(mean, std::sqrt(mean));
    return static_cast<uint64_t>(std::max(0.0, std::round(d(random_))));
  }

 private:
  std::mt19937_64 random_;
};

TEST(LogAnomalyTest, ASurgingTemplateRaisesAnEventAndAQuietOneDoesNot) {
  LogScenario s;
  using model::Severity;
  Noise noise(11);
  const int kLearn = 2 * 360;  // two hours of 10 s windows, past every model's learning period
  auto window = [&](int w, uint64_t surge) {
    const core::TimeNs t = LogScenario::Start(w);
    s.Window(w, {Log("cart", 0, Severity::kInfo, t, noise.Around(40), std::string(kSteady),
                     "Served request 17 in 4ms"),
                 Log("cart", 1, Severity::kWarn, t, surge > 0 ? surge : noise.Around(5),
                     "Retrying call to <*> after <*>", "Retrying call to inventory after 100ms")});
  };
  for (int w = 0; w < kLearn; ++w) window(w, 0);
  EXPECT_TRUE(s.Events().empty());  // steady templates raise nothing
  for (int w = kLearn; w < kLearn + 3; ++w) window(w, 400);
  window(kLearn + 3, 0);
  // The template's rate raises one event (the WARN count of the service may raise its own).
  std::vector<AnomalyEvent> events;
  for (auto& ev : s.Events("rate")) {
    if (!ev.series.Label("template_id").empty()) events.push_back(std::move(ev));
  }
  ASSERT_EQ(events.size(), 1u);
  const AnomalyEvent& e = events[0];
  EXPECT_EQ(e.series.Label("template_id"), "1");
  EXPECT_EQ(e.series.Label("severity"), "WARN");
  EXPECT_GT(e.observed, e.upper);
  EXPECT_EQ(e.log_template, "Retrying call to <*> after <*>");
  ASSERT_FALSE(e.examples.empty());
  EXPECT_EQ(e.examples[0], "Retrying call to inventory after 100ms");
}

TEST(LogAnomalyTest, ATemplateFallingQuietIsNoAnomaly) {
  LogScenario s;
  Noise noise(5);
  const int kLearn = 2 * 360;
  for (int w = 0; w < kLearn + 20; ++w) {
    const uint64_t lines = w < kLearn ? noise.Around(60) : 0;
    s.Window(w, {Log("cart", 0, model::Severity::kInfo, LogScenario::Start(w), lines,
                     std::string(kSteady))});
  }
  EXPECT_TRUE(s.Events("rate").empty());
}

TEST(LogAnomalyTest, ARisingShareOfErrorsRaisesAnEventWithTheErrorLines) {
  SeriesTableConfig config;
  config.detection.min_requests = 20;
  LogScenario s(config);
  using model::Severity;
  Noise noise(3);
  const int kLearn = 2 * 360;
  auto window = [&](int w, double info, double errors) {
    const core::TimeNs t = LogScenario::Start(w);
    s.Window(w, {Log("cart", 0, Severity::kInfo, t, noise.Around(info), std::string(kSteady)),
                 Log("cart", 3, Severity::kError, t, noise.Around(errors), "Order <*> failed: <*>",
                     "Order 991 failed: card declined")});
  };
  for (int w = 0; w < kLearn; ++w) window(w, 200, 4);
  for (int w = kLearn; w < kLearn + 4; ++w) window(w, 80, 120);
  auto events = s.Events("error_ratio");
  ASSERT_EQ(events.size(), 1u);
  const AnomalyEvent& e = events[0];
  EXPECT_EQ(e.series.labels.size(), 1u);  // service_name only
  EXPECT_GT(e.observed, 0.4);
  EXPECT_EQ(e.log_template, "Order <*> failed: <*>");
  ASSERT_EQ(e.examples.size(), 1u);
  EXPECT_EQ(e.examples[0], "Order 991 failed: card declined");
}

TEST(LogAnomalyTest, ModelsTheMostFrequentTemplatesAndEveryErrorTemplate) {
  SeriesTableConfig config;
  config.logs.max_modelled_templates = 2;
  LogScenario s(config);
  for (int w = 0; w < 5; ++w) {
    std::vector<model::LogPartial> p;
    for (uint32_t id = 0; id < 6; ++id) {
      p.push_back(Log("cart", id, model::Severity::kInfo, LogScenario::Start(w), 10 + id,
                      "info " + std::to_string(id)));
    }
    p.push_back(Log("cart", 9, model::Severity::kError, LogScenario::Start(w), 1, "error"));
    s.Window(w, std::move(p));
  }
  std::vector<SeriesSnapshot> series;
  s.table().models().CollectSeries(
      *core::LabelSelector::Parse(R"(logs{template_id!="",signal="rate"})"), 100, &series);
  std::set<std::string> modelled;
  for (const auto& snap : series) modelled.insert(std::string(snap.ref.Label("template_id")));
  EXPECT_EQ(modelled, (std::set<std::string>{"4", "5", "9"}));

  std::vector<LogTemplateSummary> templates;
  s.table().CollectLogTemplates("cart", &templates);
  ASSERT_EQ(templates.size(), 7u);
  for (const auto& t : templates) {
    if (t.id == 5) {
      EXPECT_EQ(t.count, 75u);
      EXPECT_EQ(t.first_seen_ns, kT0);
      EXPECT_EQ(t.last_seen_ns, LogScenario::Start(4));
      EXPECT_EQ(t.by_severity[static_cast<size_t>(model::Severity::kInfo)], 75u);
      EXPECT_TRUE(t.modelled);
    }
    if (t.id == 0) EXPECT_FALSE(t.modelled);
  }
}

TEST(LogAnomalyTest, TemplatesPerServiceAreBounded) {
  SeriesTableConfig config;
  config.logs.max_templates = 150;
  config.logs.max_modelled_templates = 20;
  config.logs.max_error_templates = 20;
  LogScenario s(config);
  std::vector<model::LogPartial> p;
  for (uint32_t id = 0; id < 1000; ++id) {
    p.push_back(Log("cart", id, model::Severity::kInfo, kT0, 1, "t" + std::to_string(id)));
  }
  s.Window(0, std::move(p));
  std::vector<LogTemplateSummary> templates;
  s.table().CollectLogTemplates("", &templates);
  EXPECT_EQ(templates.size(), 150u);
  EXPECT_EQ(s.metrics().Value("augur_series_log_templates_dropped"), 850);
}

}  // namespace
}  // namespace augur::detect
