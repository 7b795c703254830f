#include "detect/series_table.h"

#include <gtest/gtest.h>

#include <cmath>

namespace augur::detect {
namespace {

using model::SpanKind;
using model::StatusCode;

constexpr core::TimeNs kS = core::kNsPerSecond;
constexpr core::TimeNs kT0 = 1'700'000'400 * kS;

model::RedPartial Red(std::string service, std::string name, SpanKind kind, StatusCode status,
                      core::TimeNs window, uint64_t count, size_t bucket) {
  model::RedPartial p;
  p.service = std::move(service);
  p.span_name = std::move(name);
  p.kind = kind;
  p.status = status;
  p.window_start = window;
  p.count = count;
  p.sum_ms = static_cast<double>(count) * 5;
  p.buckets[bucket] = count;
  return p;
}

TEST(SeriesTableTest, MergesPartialsFromSeveralShardsIntoOneSeries) {
  core::SelfMetrics metrics;
  SeriesTableConfig config;
  config.stage1_shards = 2;
  SeriesTable table(config, &metrics);
  model::PartialBatch a, b;
  a.source_shard = 0;
  a.watermark = kT0 + 50 * kS;
  a.red.push_back(Red("cart", "GET /cart", SpanKind::kServer, StatusCode::kUnset, kT0, 3, 2));
  b.source_shard = 1;
  b.watermark = kT0 + 40 * kS;
  b.red.push_back(Red("cart", "GET /cart", SpanKind::kServer, StatusCode::kUnset, kT0, 4, 2));
  b.red.push_back(Red("cart", "GET /cart", SpanKind::kServer, StatusCode::kError, kT0, 1, 5));
  table.ConsumePartials(a);
  EXPECT_EQ(table.watermark(), INT64_MIN);  // shard 1 has not reported yet
  table.ConsumePartials(b);
  EXPECT_EQ(table.watermark(), kT0 + 40 * kS);
  EXPECT_EQ(table.span_metric_series(), 2u);

  core::Exposition e;
  table.WriteExposition(&e);
  std::string text = e.Render(core::ExpositionFormat::kPrometheusText);
  EXPECT_NE(
      text.find("traces_span_metrics_calls_total{service_name=\"cart\",span_name=\"GET "
                "/cart\",span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_UNSET\"} 7"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("traces_span_metrics_duration_milliseconds_bucket{service_name=\"cart\","
                      "span_name=\"GET /cart\",span_kind=\"SPAN_KIND_SERVER\",status_code="
                      "\"STATUS_CODE_UNSET\",le=\"6\"} 7"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE traces_span_metrics_duration_milliseconds histogram"),
            std::string::npos);

  std::vector<ServiceSummary> services;
  table.CollectServices(kT0 + 30 * kS, &services);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "cart");
  EXPECT_EQ(services[0].requests_total, 8u);
  EXPECT_EQ(services[0].errors_total, 1u);
  EXPECT_EQ(services[0].last_1m.count, 8u);
  EXPECT_NEAR(services[0].last_1m.rate_per_s, 8.0 / 60, 1e-12);
  EXPECT_NEAR(services[0].last_1m.error_ratio, 1.0 / 8, 1e-12);
  // 7 of 8 in (4, 6] ms, 1 in (10, 50]: the median interpolates inside (4, 6].
  EXPECT_GT(services[0].last_1m.p50_ms, 4);
  EXPECT_LE(services[0].last_1m.p50_ms, 6);
  EXPECT_GT(services[0].last_1m.p99_ms, 10);
  EXPECT_LE(services[0].last_1m.p99_ms, 50);

  std::vector<OperationSummary> ops;
  EXPECT_TRUE(table.CollectOperations("cart", kT0 + 30 * kS, &ops));
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].calls_total, 8u);
  EXPECT_EQ(ops[0].errors_total, 1u);
  EXPECT_FALSE(table.CollectOperations("nope", kT0, &ops));
}

TEST(SeriesTableTest, EdgesAreKeptByServerAndExposedWithConnectorNames) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  model::PartialBatch b;
  model::EdgePartial e;
  e.client = "frontend";
  e.server = "cart";
  e.window_start = kT0;
  e.count = 5;
  e.failed = 1;
  e.client_count = 5;
  e.client_sum_s = 0.1;
  e.client_buckets[5] = 5;
  e.server_count = 5;
  e.server_sum_s = 0.05;
  e.server_buckets[4] = 5;
  b.edges.push_back(e);
  table.ConsumePartials(b);
  std::vector<EdgeSummary> edges;
  table.CollectEdges(kT0 + 5 * kS, &edges);
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].client, "frontend");
  EXPECT_EQ(edges[0].server, "cart");
  EXPECT_EQ(edges[0].requests_total, 5u);
  EXPECT_EQ(edges[0].failed_total, 1u);
  EXPECT_EQ(edges[0].last_1m.count, 5u);
  EXPECT_GT(edges[0].last_1m.p50_ms, 10);  // client buckets (0.01, 0.05] s
  EXPECT_LE(edges[0].last_1m.p50_ms, 50);
  core::Exposition x;
  table.WriteExposition(&x);
  std::string text = x.Render(core::ExpositionFormat::kPrometheusText);
  EXPECT_NE(text.find("traces_service_graph_request_total{client=\"frontend\",server=\"cart\","
                      "connection_type=\"\"} 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("traces_service_graph_request_failed_total{client=\"frontend\","
                      "server=\"cart\",connection_type=\"\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("traces_service_graph_request_server_seconds_count{client=\"frontend\","
                      "server=\"cart\",connection_type=\"\"} 5"),
            std::string::npos);
  // A service known only as an edge's server is not listed among instrumented services.
  std::vector<ServiceSummary> services;
  table.CollectServices(kT0, &services);
  EXPECT_TRUE(services.empty());
}

TEST(SeriesTableTest, FoldsSeriesBeyondTheLimitIntoOverflow) {
  core::SelfMetrics metrics;
  SeriesTableConfig config;
  config.max_series_per_service = 3;
  SeriesTable table(config, &metrics);
  model::PartialBatch b;
  for (int i = 0; i < 10; ++i) {
    b.red.push_back(Red("svc", "GET /user/" + std::to_string(i), SpanKind::kServer,
                        StatusCode::kUnset, kT0, 1, 0));
  }
  table.ConsumePartials(b);
  EXPECT_EQ(table.span_metric_series(), 4u);  // 3 + the overflow series
  EXPECT_EQ(metrics.Value("augur_series_overflow"), 7);
  std::vector<OperationSummary> ops;
  table.CollectOperations("svc", kT0, &ops);
  uint64_t total = 0;
  for (const auto& op : ops) {
    total += op.calls_total;
    if (op.span_name == "overflow_operation") EXPECT_EQ(op.calls_total, 7u);
  }
  EXPECT_EQ(total, 10u);  // nothing lost
}

TEST(SeriesTableTest, IdleSeriesExpireByEventTime) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  model::PartialBatch b;
  b.red.push_back(Red("old", "op", SpanKind::kServer, StatusCode::kUnset, kT0, 1, 0));
  b.red.push_back(
      Red("new", "op", SpanKind::kServer, StatusCode::kUnset, kT0 + 10 * 60 * kS, 1, 0));
  table.ConsumePartials(b);
  table.ExpireIdle(kT0 + 4 * 60 * kS);
  EXPECT_EQ(table.span_metric_series(), 2u);
  table.ExpireIdle(kT0 + 11 * 60 * kS);
  EXPECT_EQ(table.span_metric_series(), 1u);
  std::vector<ServiceSummary> services;
  table.CollectServices(kT0 + 11 * 60 * kS, &services);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "new");
  EXPECT_EQ(metrics.Value("augur_series_expired"), 1);
}

TEST(SeriesTableTest, LateDataCountsInTotalsButInNoWindow) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  model::PartialBatch b;
  b.red.push_back(
      Red("svc", "op", SpanKind::kServer, StatusCode::kUnset, model::kLateWindow, 4, 0));
  table.ConsumePartials(b);
  std::vector<ServiceSummary> services;
  table.CollectServices(kT0, &services);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].requests_total, 4u);
  EXPECT_EQ(services[0].last_5m.count, 0u);
}

TEST(SeriesTableTest, IngestedMetricsAreExposedWithPrometheusNames) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  model::MetricBatch batch;
  model::Resource res;
  res.service_name = "cart";
  res.service_instance_id = "cart-1";
  batch.resources.push_back(res);
  model::Metric gauge;
  gauge.name = "process.memory.usage";
  gauge.unit = "By";
  gauge.type = model::MetricType::kGauge;
  model::Metric counter;
  counter.name = "app.requests";
  counter.type = model::MetricType::kSum;
  counter.is_monotonic = true;
  counter.temporality = model::Temporality::kDelta;
  batch.metrics = {gauge, counter};
  model::MetricPoint g;
  g.metric_index = 0;
  g.time_ns = kT0;
  g.value = 1024;
  model::MetricPoint c1;
  c1.metric_index = 1;
  c1.time_ns = kT0;
  c1.value = 3;
  model::MetricPoint c2 = c1;
  c2.time_ns = kT0 + kS;
  c2.value = 4;
  batch.points = {g, c1, c2};
  table.ConsumeMetrics(batch, std::vector<uint32_t>{0, 1, 2});
  core::Exposition x;
  table.WriteExposition(&x);
  std::string text = x.Render(core::ExpositionFormat::kPrometheusText);
  EXPECT_NE(text.find("process_memory_usage_bytes{instance=\"cart-1\",job=\"cart\"} 1024"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("app_requests_total{instance=\"cart-1\",job=\"cart\"} 7"), std::string::npos)
      << text;
  EXPECT_EQ(metrics.Value("augur_series_metric_points"), 3);
}

}  // namespace
}  // namespace augur::detect

namespace augur::detect {
namespace {

std::vector<SeriesSnapshot> Snapshots(const SeriesTable& table, std::string_view selector) {
  std::vector<SeriesSnapshot> out;
  table.models().CollectSeries(*core::LabelSelector::Parse(selector), 100, &out);
  return out;
}

// Hands the table one batch from derive shard 0: `red` partials, then the watermark.
void Feed(SeriesTable& table, core::TimeNs watermark, std::vector<model::RedPartial> red = {}) {
  model::PartialBatch b;
  b.source_shard = 0;
  b.red = std::move(red);
  b.watermark = watermark;
  table.ConsumePartials(b);
}

// A batch of `metrics` from one resource of service cart (no points yet).
model::MetricBatch CartMetrics(std::vector<model::Metric> metrics) {
  model::MetricBatch batch;
  model::Resource res;
  res.service_name = "cart";
  batch.resources.push_back(res);
  batch.metrics = std::move(metrics);
  return batch;
}

// Hands the table one point of each of the batch's metrics at t (`values` in metric order), then
// a watermark that closes t's window.
void ReportAndClose(SeriesTable& table, model::MetricBatch& batch, core::TimeNs t,
                    const std::vector<double>& values) {
  batch.points.clear();
  std::vector<uint32_t> points;
  for (uint32_t m = 0; m < values.size(); ++m) {
    model::MetricPoint p;
    p.metric_index = m;
    p.time_ns = t;
    p.value = values[m];
    batch.points.push_back(p);
    points.push_back(m);
  }
  table.ConsumeMetrics(batch, points);
  Feed(table, t + 10 * kS + 1);
}

TEST(SeriesTableDetectionTest, ClosedWindowsFeedRatesRatiosAndLatencyToTheModels) {
  core::SelfMetrics metrics;
  SeriesTableConfig config;
  config.detection.min_requests = 10;
  SeriesTable table(config, &metrics);
  // Six windows: 30 calls each (3 errors), then a quiet window with 4 calls.
  for (int w = 0; w < 7; ++w) {
    core::TimeNs start = kT0 + w * 10 * kS;
    uint64_t calls = w < 6 ? 27 : 4;
    std::vector<model::RedPartial> red = {
        Red("cart", "GET /cart", SpanKind::kServer, StatusCode::kUnset, start, calls, 2)};
    if (w < 6)
      red.push_back(Red("cart", "GET /cart", SpanKind::kServer, StatusCode::kError, start, 3, 5));
    Feed(table, start, std::move(red));  // closes the windows before this one
  }
  Feed(table, kT0 + 80 * kS);

  auto rate = Snapshots(table, R"(span_metrics{service_name="cart",signal="rate"})");
  ASSERT_EQ(rate.size(), 1u);
  ASSERT_EQ(rate[0].history.size(), 8u);           // windows 0..7 (the last one empty)
  EXPECT_FLOAT_EQ(rate[0].history[0].value, 3.0);  // 30 calls / 10 s
  EXPECT_FLOAT_EQ(rate[0].history[6].value, 0.4);
  EXPECT_FLOAT_EQ(rate[0].history[7].value, 0.0);
  EXPECT_EQ(rate[0].history[0].t, kT0);

  auto ratio = Snapshots(table, R"(span_metrics{service_name="cart",signal="error_ratio"})");
  ASSERT_EQ(ratio.size(), 1u);
  // The quiet windows (4 and 0 calls) are below min_requests: no point.
  ASSERT_EQ(ratio[0].history.size(), 6u);
  EXPECT_FLOAT_EQ(ratio[0].history[0].value, 0.1);

  auto latency = Snapshots(table, R"(span_metrics{service_name="cart",signal="p95_latency_ms"})");
  ASSERT_EQ(latency.size(), 1u);
  EXPECT_GT(latency[0].history[0].value, 10);  // the errors sit in (10, 50] ms
  EXPECT_LE(latency[0].history[0].value, 50);

  auto service = Snapshots(table, R"(service{service_name="cart"})");
  EXPECT_EQ(service.size(), 3u);  // rate, error_ratio, p95_latency_ms
  EXPECT_EQ(metrics.Value("augur_series_windows_skipped"), 0);
}

// Telemetry sent faster than real time arrives windows ahead of the watermark: a service's WARN
// and ERROR lines count in the windows their records carry, not in the window closing when they
// arrived.
TEST(SeriesTableDetectionTest, LogLinesCountInTheirOwnWindowsWhenTheyArriveEarly) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  auto lines = [](core::TimeNs window, model::Severity severity, uint64_t count) {
    model::LogPartial p;
    p.service = "cart";
    p.template_id = severity == model::Severity::kWarn ? 1 : 2;
    p.severity = severity;
    p.window_start = window;
    p.count = count;
    return p;
  };
  // One batch with the watermark at window 0 carries lines of windows 0 to 3: 1 WARN line in
  // each, and in window 3 also 20 WARN and 5 ERROR lines.
  model::PartialBatch b;
  b.source_shard = 0;
  b.watermark = kT0;
  for (int w = 0; w < 4; ++w) b.logs.push_back(lines(kT0 + w * 10 * kS, model::Severity::kWarn, 1));
  b.logs.push_back(lines(kT0 + 30 * kS, model::Severity::kWarn, 20));
  b.logs.push_back(lines(kT0 + 30 * kS, model::Severity::kError, 5));
  table.ConsumePartials(b);
  Feed(table, kT0 + 50 * kS);  // closes windows 0 to 4

  auto warn = Snapshots(table, R"(logs{service_name="cart",severity="WARN",template_id=""})");
  ASSERT_EQ(warn.size(), 1u);
  ASSERT_EQ(warn[0].history.size(), 5u);
  EXPECT_EQ(warn[0].history[0].t, kT0);
  for (int w = 0; w < 3; ++w) EXPECT_FLOAT_EQ(warn[0].history[w].value, 0.1) << w;
  EXPECT_FLOAT_EQ(warn[0].history[3].value, 2.1);  // 21 lines in 10 s
  EXPECT_FLOAT_EQ(warn[0].history[4].value, 0.0);
  auto error = Snapshots(table, R"(logs{service_name="cart",severity="ERROR",template_id=""})");
  ASSERT_EQ(error.size(), 1u);
  ASSERT_EQ(error[0].history.size(), 5u);
  EXPECT_FLOAT_EQ(error[0].history[0].value, 0.0);
  EXPECT_FLOAT_EQ(error[0].history[3].value, 0.5);
}

// After a restart the first watermark (the newest data less the allowed lateness) lies before the
// first data: the windows in between are the downtime, not windows without requests.
TEST(SeriesTableDetectionTest, WindowsBeforeTheFirstDataAreNotClosedAsEmpty) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  for (int w = 0; w < 4; ++w) {
    const core::TimeNs start = kT0 + w * 10 * kS;
    Feed(table, start - 30 * kS,
         {Red("cart", "op", SpanKind::kServer, StatusCode::kUnset, start, 20, 2)});
  }
  Feed(table, kT0 + 40 * kS);
  auto rate = Snapshots(table, R"(span_metrics{service_name="cart",signal="rate"})");
  ASSERT_EQ(rate.size(), 1u);
  ASSERT_EQ(rate[0].history.size(), 4u);  // windows 0..3, none before
  EXPECT_EQ(rate[0].history[0].t, kT0);
  EXPECT_FLOAT_EQ(rate[0].history[0].value, 2.0);
}

// One request per window, three needed to judge: the windows not judged yet pool, so the ratio and
// the latency are judged every third window (of the operation and of the service alike); the rate
// stays per window.
TEST(SeriesTableDetectionTest, AQuietPathPoolsWindowsUntilItHasEnoughRequests) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  ASSERT_EQ(SeriesTableConfig{}.detection.min_requests, 3u);
  for (int w = 0; w < 9; ++w) {
    const core::TimeNs start = kT0 + w * 10 * kS;
    const StatusCode status = w == 4 ? StatusCode::kError : StatusCode::kUnset;
    Feed(table, start - 30 * kS, {Red("cart", "op", SpanKind::kServer, status, start, 1, 2)});
  }
  Feed(table, kT0 + 90 * kS);
  for (std::string_view selector : {R"(span_metrics{service_name="cart",signal="error_ratio"})",
                                    R"(service{service_name="cart",signal="error_ratio"})",
                                    R"(span_metrics{service_name="cart",signal="p95_latency_ms"})",
                                    R"(service{service_name="cart",signal="p95_latency_ms"})"}) {
    auto s = Snapshots(table, selector);
    ASSERT_EQ(s.size(), 1u) << selector;
    ASSERT_EQ(s[0].history.size(), 3u) << selector;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(s[0].history[i].t, kT0 + (3 * i + 2) * 10 * kS);
    if (selector.find("error_ratio") != std::string_view::npos) {
      EXPECT_DOUBLE_EQ(s[0].history[0].value, 0);
      EXPECT_FLOAT_EQ(s[0].history[1].value, 1.0 / 3);  // windows 3 to 5, one failed
    }
  }
  auto rate = Snapshots(table, R"(span_metrics{service_name="cart",signal="rate"})");
  ASSERT_EQ(rate.size(), 1u);
  EXPECT_EQ(rate[0].history.size(), 9u);
}

TEST(SeriesTableDetectionTest, AWatermarkJumpSkipsWindowsTheRingNoLongerHolds) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  Feed(table, kT0, {Red("cart", "op", SpanKind::kServer, StatusCode::kUnset, kT0, 5, 0)});
  Feed(table, kT0 + 3600 * kS);
  EXPECT_GT(metrics.Value("augur_series_windows_skipped"), 300);
}

TEST(SeriesTableDetectionTest, IngestedCountersAreModelledAsRates) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  model::Metric counter;
  counter.name = "app.requests";
  counter.type = model::MetricType::kSum;
  counter.is_monotonic = true;
  counter.temporality = model::Temporality::kCumulative;
  model::MetricBatch batch = CartMetrics({counter});
  for (int i = 0; i < 3; ++i) ReportAndClose(table, batch, kT0 + i * 10 * kS, {100.0 * i});
  auto s = Snapshots(table, R"(app_requests{signal="rate"})");
  ASSERT_EQ(s.size(), 1u);
  // Each closed window models the newest point: the first sets the baseline, the next is a rate.
  ASSERT_EQ(s[0].history.size(), 1u);
  EXPECT_FLOAT_EQ(s[0].history[0].value, 10.0);  // 100 per 10 s
}

// A quiet service's queue: 0, now and then 1 — a count, whose step of one is within its
// resolution; a flag (up: 1, then 0) and a ratio that never moved (0, then 0.3) keep their full
// weight.
TEST(SeriesTableDetectionTest, AQueueOfOneWhereZeroIsUsualIsNoAnomalyButUpFallingIs) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  model::Metric queue;
  queue.name = "queue_depth";
  queue.type = model::MetricType::kGauge;
  model::Metric up = queue;
  up.name = "up";
  model::Metric throttled = queue;  // a ratio that has not moved: 0.3 is no step of a count
  throttled.name = "container.cpu.throttling";
  throttled.unit = "1";
  model::MetricBatch batch = CartMetrics({queue, up, throttled});
  constexpr int kPoints = 1500;  // beyond the models' learning time at 10 s
  for (int i = 0; i < kPoints; ++i) ReportAndClose(table, batch, kT0 + i * 10 * kS, {0, 1, 0});
  ReportAndClose(table, batch, kT0 + kPoints * 10 * kS, {1, 0, 0.3});
  auto queue_series = Snapshots(table, R"(queue_depth{signal="value"})");
  auto up_series = Snapshots(table, R"(up{signal="value"})");
  ASSERT_EQ(queue_series.size(), 1u);
  ASSERT_EQ(up_series.size(), 1u);
  ASSERT_FALSE(queue_series[0].learning);
  EXPECT_DOUBLE_EQ(queue_series[0].last.value, 1);
  EXPECT_EQ(queue_series[0].last.score, 0);
  EXPECT_DOUBLE_EQ(up_series[0].last.value, 0);
  EXPECT_GT(up_series[0].last.score, 0.99);
  auto ratio = Snapshots(table, R"(container_cpu_throttling_ratio{signal="value"})");
  ASSERT_EQ(ratio.size(), 1u);
  EXPECT_GT(ratio[0].last.score, 0.99);
}

}  // namespace
}  // namespace augur::detect

namespace augur::detect {
namespace {

TEST(SeriesTableDetectionTest, ACounterResetWithANewStartTimeIsARestartReportedOnce) {
  core::SelfMetrics metrics;
  SeriesTable table(SeriesTableConfig{}, &metrics);
  std::vector<model::ChangeEvent> changes;
  table.SetChangeSink([&](const model::ChangeEvent& c) { changes.push_back(c); });
  model::MetricBatch batch;
  model::Resource res;
  res.service_name = "cart";
  res.service_instance_id = "cart-1";
  batch.resources.push_back(res);
  model::Metric counter;
  counter.name = "app.requests";
  counter.type = model::MetricType::kSum;
  counter.is_monotonic = true;
  counter.temporality = model::Temporality::kCumulative;
  model::Metric cpu = counter;
  cpu.name = "process.cpu.time";
  batch.metrics = {counter, cpu};
  const core::TimeNs kStart = kT0 - 3600 * kS;
  auto report = [&](core::TimeNs t, core::TimeNs start, double value) {
    batch.points.clear();
    for (uint32_t m = 0; m < 2; ++m) {
      model::MetricPoint p;
      p.metric_index = m;
      p.time_ns = t;
      p.start_time_ns = start;
      p.value = value;
      batch.points.push_back(p);
    }
    table.ConsumeMetrics(batch, std::vector<uint32_t>{0, 1});
  };
  for (int i = 0; i < 30; ++i) report(kT0 + i * 10 * kS, kStart, 100.0 * i);
  EXPECT_TRUE(changes.empty());  // the process was running before Augur saw it
  const core::TimeNs restart = kT0 + 300 * kS;
  for (int i = 0; i < 5; ++i) report(restart + (i + 1) * 10 * kS, restart, 10.0 * i);
  ASSERT_EQ(changes.size(), 1u);  // two counters reset, one restart
  EXPECT_EQ(changes[0].service, "cart");
  EXPECT_EQ(changes[0].kind, "restart");
  EXPECT_EQ(changes[0].t, restart);
  EXPECT_NE(changes[0].description.find("cart-1"), std::string::npos);
}

}  // namespace
}  // namespace augur::detect
