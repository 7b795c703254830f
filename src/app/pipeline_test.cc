#include "app/pipeline.h"

#include <gtest/gtest.h>

#include <set>

#include <filesystem>
#include <map>
#include <thread>

#include "model/span_batch_builder.h"

namespace augur::app {
namespace {

using model::MakeSpanId;
using model::MakeTraceId;
using model::SpanKind;
using model::StatusCode;

constexpr core::TimeNs kMs = core::kNsPerMillisecond;

PipelineConfig TestConfig(int shards) {
  PipelineConfig c;
  c.shards = shards;
  c.flush_interval_ns = 20 * kMs;
  c.data_dir = "";  // tests that need one set it
  return c;
}

// A frontend -> checkout -> payment trace, with payment failing when `fail`.
void AddTrace(model::SpanBatchBuilder& b, uint64_t n, core::TimeNs t0, bool fail) {
  uint32_t frontend = b.AddResource("frontend");
  uint32_t checkout = b.AddResource("checkout");
  uint32_t payment = b.AddResource("payment");
  auto trace = MakeTraceId(n);
  b.AddSpan(frontend, "POST /checkout", SpanKind::kServer, trace, MakeSpanId(1), {}, t0,
            t0 + 90 * kMs, fail ? StatusCode::kError : StatusCode::kUnset);
  b.AddSpan(frontend, "checkout.Place", SpanKind::kClient, trace, MakeSpanId(2), MakeSpanId(1),
            t0 + 5 * kMs, t0 + 80 * kMs);
  b.AddSpan(checkout, "Place", SpanKind::kServer, trace, MakeSpanId(3), MakeSpanId(2), t0 + 6 * kMs,
            t0 + 78 * kMs);
  b.AddSpan(checkout, "payment.Charge", SpanKind::kClient, trace, MakeSpanId(4), MakeSpanId(3),
            t0 + 10 * kMs, t0 + 60 * kMs);
  b.AddSpan(payment, "Charge", SpanKind::kServer, trace, MakeSpanId(5), MakeSpanId(4),
            t0 + 11 * kMs, t0 + 58 * kMs, fail ? StatusCode::kError : StatusCode::kUnset);
  b.AddSpan(payment, "SELECT cards", SpanKind::kClient, trace, MakeSpanId(6), MakeSpanId(5),
            t0 + 12 * kMs, t0 + 20 * kMs, StatusCode::kUnset,
            {{"db.system", "postgresql"}, {"peer.service", "cards-db"}});
}

TEST(PipelineTest, SpansBecomeServicesOperationsAndEdges) {
  core::SelfMetrics metrics;
  Pipeline pipeline(TestConfig(3), &metrics);
  ASSERT_TRUE(pipeline.Start().ok());
  core::TimeNs t0 = core::Clock::Real().NowNs();
  for (int batch = 0; batch < 4; ++batch) {
    model::SpanBatchBuilder b;
    for (int i = 0; i < 25; ++i) AddTrace(b, batch * 100 + i + 1, t0 + i * kMs, i % 5 == 0);
    ASSERT_TRUE(pipeline.bus()->PublishSpans(std::make_shared<model::SpanBatch>(b.Take())).ok());
  }
  pipeline.Drain();  // everything acknowledged is now in the series

  core::TimeNs now = pipeline.Now();
  EXPECT_GE(now, t0);
  auto services = pipeline.Services(now);
  ASSERT_EQ(services.size(), 3u);
  EXPECT_EQ(services[0].name, "checkout");
  EXPECT_EQ(services[1].name, "frontend");
  EXPECT_EQ(services[1].requests_total, 100u);
  EXPECT_EQ(services[1].errors_total, 20u);
  EXPECT_EQ(services[1].spans_total, 200u);
  EXPECT_EQ(services[2].name, "payment");
  EXPECT_EQ(services[2].errors_total, 20u);
  EXPECT_EQ(services[1].last_1m.count, 100u);

  auto ops = pipeline.Operations("payment", now);
  ASSERT_TRUE(ops.has_value());
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[0].span_name, "Charge");
  EXPECT_EQ((*ops)[0].calls_total, 100u);
  EXPECT_EQ((*ops)[1].span_name, "SELECT cards");
  EXPECT_FALSE(pipeline.Operations("nobody", now).has_value());

  std::map<std::string, detect::EdgeSummary> edges;
  for (auto& e : pipeline.Edges(now)) edges[e.client + "->" + e.server] = e;
  ASSERT_EQ(edges.size(), 4u);
  EXPECT_EQ(edges["user->frontend"].requests_total, 100u);
  EXPECT_EQ(edges["frontend->checkout"].requests_total, 100u);
  EXPECT_EQ(edges["checkout->payment"].requests_total, 100u);
  EXPECT_EQ(edges["checkout->payment"].failed_total, 20u);
  EXPECT_EQ(edges["payment->cards-db"].connection_type, "database");

  core::Exposition e;
  pipeline.WriteMetrics(&e);
  std::string text = e.Render(core::ExpositionFormat::kPrometheusText);
  EXPECT_NE(
      text.find("traces_span_metrics_calls_total{service_name=\"payment\",span_name=\"Charge\""
                ",span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_ERROR\"} 20"),
      std::string::npos);
  EXPECT_NE(text.find("augur_derive_spans_total 600"), std::string::npos);
}

TEST(PipelineTest, QueriesWhileRunningSeeDataWithinAFlush) {
  core::SelfMetrics metrics;
  Pipeline pipeline(TestConfig(2), &metrics);
  ASSERT_TRUE(pipeline.Start().ok());
  model::SpanBatchBuilder b;
  AddTrace(b, 1, core::Clock::Real().NowNs(), false);
  ASSERT_TRUE(pipeline.bus()->PublishSpans(std::make_shared<model::SpanBatch>(b.Take())).ok());
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& s : pipeline.Services(pipeline.Now())) seen |= s.name == "payment";
  }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(pipeline.Ready());
  pipeline.Drain();
  EXPECT_FALSE(pipeline.Ready());
}

TEST(PipelineTest, RefusesWhenFullWithoutLosingWhatWasAccepted) {
  core::SelfMetrics metrics;
  PipelineConfig config = TestConfig(1);
  config.queue_units = 1024;
  Pipeline pipeline(config, &metrics);
  // Not started: nothing drains the queue, so it fills.
  int accepted = 0, refused = 0;
  core::TimeNs t0 = core::Clock::Real().NowNs();
  for (int batch = 0; batch < 20; ++batch) {
    model::SpanBatchBuilder b;
    for (int i = 0; i < 20; ++i) AddTrace(b, batch * 100 + i + 1, t0, false);  // 120 spans
    absl::Status s = pipeline.bus()->PublishSpans(std::make_shared<model::SpanBatch>(b.Take()));
    (s.ok() ? accepted : refused) += 1;
  }
  EXPECT_GT(refused, 0);
  ASSERT_TRUE(pipeline.Start().ok());
  pipeline.Drain();
  auto services = pipeline.Services(pipeline.Now());
  ASSERT_EQ(services.size(), 3u);
  EXPECT_EQ(services[1].requests_total, static_cast<uint64_t>(accepted) * 20);
}

}  // namespace
}  // namespace augur::app

namespace augur::app {
namespace {

std::string TempDataDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("augur-pipeline-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

// Spans of one frontend operation in each of `windows` consecutive 10 s windows.
void SendWindows(Pipeline& pipeline, core::TimeNs t0, int windows, uint64_t first_trace) {
  for (int w = 0; w < windows; ++w) {
    model::SpanBatchBuilder b;
    for (int i = 0; i < 20; ++i) {
      core::TimeNs t = t0 + w * 10 * core::kNsPerSecond + i * kMs;
      AddTrace(b, first_trace + w * 100 + i, t, false);
    }
    while (!pipeline.bus()->PublishSpans(std::make_shared<model::SpanBatch>(b.Take())).ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

TEST(PipelineDetectionTest, ClosedWindowsAreModelledAndModelsSurviveARestart) {
  const std::string dir = TempDataDir("restart");
  const core::TimeNs t0 = core::FloorTo(core::Clock::Real().NowNs(), 10 * core::kNsPerSecond) -
                          3600 * core::kNsPerSecond;
  PipelineConfig config = TestConfig(2);
  config.data_dir = dir;
  config.derive.allowed_lateness_ns = 0;
  size_t modelled = 0;
  {
    core::SelfMetrics metrics;
    Pipeline pipeline(config, &metrics);
    ASSERT_TRUE(pipeline.Start().ok());
    SendWindows(pipeline, t0, 30, 1);
    pipeline.Drain();  // saves the checkpoint
    auto series =
        pipeline.Series(*core::LabelSelector::Parse("service{service_name=\"frontend\"}"), 10);
    // RED (rate, error_ratio, p95_latency_ms) and trace evidence (error_origin_rate,
    // self_time_p95_ms, wire_p95_ms).
    ASSERT_EQ(series.size(), 6u) << "points " << metrics.Value("augur_detect_points") << " skipped "
                                 << metrics.Value("augur_series_windows_skipped") << " partials "
                                 << metrics.Value("augur_series_partials");
    std::set<std::string> signals;
    for (const auto& s : series) {
      signals.insert(s.ref.signal);
      if (s.ref.signal == "rate") modelled = s.history.size();
    }
    EXPECT_TRUE(signals.contains("self_time_p95_ms"));
    EXPECT_TRUE(signals.contains("error_origin_rate"));
    EXPECT_GE(modelled, 20u);  // most of the 30 windows closed (the last ones stay open)
    EXPECT_GT(metrics.Value("augur_detect_points"), 0);
  }
  ASSERT_FALSE(store::CheckpointStore(dir).List("models").empty());
  {
    core::SelfMetrics metrics;
    config.shards = 3;  // another shard count: entries are routed to their new owners
    Pipeline pipeline(config, &metrics);
    ASSERT_TRUE(pipeline.Start().ok());
    SendWindows(pipeline, t0 + 300 * core::kNsPerSecond, 5, 100000);
    pipeline.Drain();
    EXPECT_GT(metrics.Value("augur_detect_models_restored"), 0);
  }
  std::filesystem::remove_all(dir);
}

TEST(PipelineDetectionTest, MutesAndSensitivityPersistAcrossRestarts) {
  const std::string dir = TempDataDir("user-state");
  PipelineConfig config = TestConfig(1);
  config.data_dir = dir;
  {
    core::SelfMetrics metrics;
    Pipeline pipeline(config, &metrics);
    ASSERT_TRUE(pipeline.Start().ok());
    pipeline.AddMute(*core::LabelSelector::Parse("{service_name=\"batch\"}"), 0, "nightly job");
    pipeline.SetSensitivityRules({{*core::LabelSelector::Parse("{signal=\"error_ratio\"}"), 0.5}});
    pipeline.Drain();
  }
  {
    core::SelfMetrics metrics;
    Pipeline pipeline(config, &metrics);
    ASSERT_TRUE(pipeline.Start().ok());
    auto mutes = pipeline.Mutes();
    ASSERT_EQ(mutes.size(), 1u);
    EXPECT_EQ(mutes[0].comment, "nightly job");
    EXPECT_EQ(mutes[0].selector.text(), "{service_name=\"batch\"}");
    auto rules = pipeline.SensitivityRules();
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].sensitivity, 0.5);
    EXPECT_TRUE(pipeline.RemoveMute(mutes[0].id));
    EXPECT_TRUE(pipeline.Mutes().empty());
    pipeline.Drain();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace augur::app
