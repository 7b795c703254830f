#include "derive/derive_shard.h"

#include <gtest/gtest.h>

#include <map>

#include "core/hash.h"
#include "model/span_batch_builder.h"

namespace augur::derive {
namespace {

using model::MakeSpanId;
using model::MakeTraceId;
using model::SpanKind;

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;
constexpr core::TimeNs kS = core::kNsPerSecond;

class FixedClock : public core::Clock {
 public:
  core::TimeNs NowNs() const override { return now; }
  core::TimeNs now = kT0;
};

uint64_t TotalRed(const std::vector<model::PartialBatch>& out, bool late_only) {
  uint64_t n = 0;
  for (const auto& b : out) {
    for (const auto& p : b.red) {
      if (!late_only || p.window_start == model::kLateWindow) n += p.count;
    }
  }
  return n;
}

TEST(DeriveShardTest, WindowsFollowEventTimeAndLateSpansAreCounted) {
  core::SelfMetrics metrics;
  DeriveConfig config;  // 10 s windows, 30 s lateness
  DeriveShard shard(config, 3, &metrics);

  model::SpanBatchBuilder live;
  uint32_t r = live.AddResource("svc");
  for (int i = 0; i < 5; ++i) {
    live.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(i + 1), MakeSpanId(1), {}, kT0 + 100 * kS,
                 kT0 + 100 * kS + 5);
  }
  shard.ConsumeSpans(live.batch(), live.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 100 * kS + 5);

  // 20 s behind the watermark: within lateness. 90 s behind: late.
  model::SpanBatchBuilder old;
  uint32_t r2 = old.AddResource("svc");
  old.AddSpan(r2, "op", SpanKind::kServer, MakeTraceId(10), MakeSpanId(1), {}, kT0 + 80 * kS,
              kT0 + 80 * kS + 1);
  old.AddSpan(r2, "op", SpanKind::kServer, MakeTraceId(11), MakeSpanId(1), {}, kT0 + 10 * kS,
              kT0 + 10 * kS + 1);
  shard.ConsumeSpans(old.batch(), old.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 100 * kS + 5);  // older data does not move it back

  auto out = shard.Flush(false);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(TotalRed(out, false), 7u);
  EXPECT_EQ(TotalRed(out, true), 1u);
  EXPECT_EQ(metrics.Value("augur_derive_spans"), 7);
  EXPECT_EQ(metrics.Value("augur_derive_late_spans"), 1);
  // Everything for "svc" goes to its stage-2 shard, and every batch carries the watermark.
  int owner = core::ShardOf("svc", 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].red.empty(), i != owner);
    EXPECT_EQ(out[i].watermark, kT0 + 100 * kS + 5 - config.allowed_lateness_ns);
  }
  // Windows are aligned to 10 s of event time.
  for (const auto& p : out[owner].red) {
    if (p.window_start != model::kLateWindow) EXPECT_EQ(p.window_start % (10 * kS), 0);
  }
}

TEST(DeriveShardTest, AFewSpansWithAFutureClockDoNotMoveTheWatermark) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  for (int i = 0; i < 9; ++i) {
    b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(i + 1), MakeSpanId(1), {}, kT0, kT0 + 1);
  }
  b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(99), MakeSpanId(1), {}, kT0 + 3600 * kS,
            kT0 + 3600 * kS + 1);
  shard.ConsumeSpans(b.batch(), b.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 1);
  EXPECT_EQ(shard.latest_event_time(), kT0 + 1);
}

TEST(DeriveShardTest, LatestEventTimeIsTheNewestPlausibleSpan) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  // Ends at +1..+5 s and +11, +12 s: the median is +4 s, the latest +12 s.
  int i = 0;
  for (int end_s : {1, 2, 3, 4, 5, 11, 12}) {
    b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(++i), MakeSpanId(1), {}, kT0,
              kT0 + end_s * kS);
  }
  shard.ConsumeSpans(b.batch(), b.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 4 * kS);
  EXPECT_EQ(shard.latest_event_time(), kT0 + 12 * kS);
}

TEST(DeriveShardTest, WindowAdvancedAfterEventTimeCrossesABoundary) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  EXPECT_FALSE(shard.WindowAdvanced());
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(1), MakeSpanId(1), {}, kT0, kT0 + 1);
  shard.ConsumeSpans(b.batch(), b.AllIndices());
  EXPECT_TRUE(shard.WindowAdvanced());
  shard.Flush(false);
  EXPECT_FALSE(shard.WindowAdvanced());
  model::SpanBatchBuilder later;
  uint32_t r2 = later.AddResource("svc");
  later.AddSpan(r2, "op", SpanKind::kServer, MakeTraceId(2), MakeSpanId(1), {}, kT0 + 15 * kS,
                kT0 + 15 * kS);
  shard.ConsumeSpans(later.batch(), later.AllIndices());
  EXPECT_TRUE(shard.WindowAdvanced());
}

model::AnyValue Str(std::string_view s) {
  model::AnyValue v;
  v.type = model::ValueType::kString;
  v.str = s;
  return v;
}

TEST(DeriveShardTest, CountsLogsBySeverityAndStampsUntimedRecords) {
  core::SelfMetrics metrics;
  FixedClock clock;
  DeriveShard shard(DeriveConfig{}, 1, &metrics, &clock);
  model::LogBatch logs;
  model::Resource res;
  res.service_name = "cart";
  logs.resources.push_back(res);
  for (uint8_t sev : {9, 9, 17, 0}) {
    model::LogRecord rec;
    rec.severity_number = sev;
    rec.time_ns = sev == 0 ? 0 : kT0 + 3 * kS;
    logs.records.push_back(rec);
  }
  shard.ConsumeLogs(logs, std::vector<uint32_t>{0, 1, 2, 3});
  auto out = shard.Flush(false);
  std::map<model::Severity, uint64_t> by_severity;
  for (const auto& p : out[0].logs) {
    by_severity[p.severity] += p.count;
    EXPECT_EQ(p.service, "cart");
    EXPECT_EQ(p.window_start, kT0);
  }
  EXPECT_EQ(by_severity[model::Severity::kInfo], 2u);
  EXPECT_EQ(by_severity[model::Severity::kError], 1u);
  EXPECT_EQ(by_severity[model::Severity::kUnspecified], 1u);
}

TEST(DeriveShardTest, MinesBodiesIntoTemplatePartialsWithExamples) {
  core::SelfMetrics metrics;
  FixedClock clock;
  DeriveShard shard(DeriveConfig{}, 2, &metrics, &clock);
  std::vector<std::shared_ptr<const model::MinedLogBatch>> mined;
  shard.SetLogSink([&](std::shared_ptr<const model::MinedLogBatch> b) { mined.push_back(b); });

  model::LogBatch logs;
  model::Resource cart;
  cart.service_name = "cart";
  logs.resources.push_back(cart);
  model::Resource pay;
  pay.service_name = "payment";
  logs.resources.push_back(pay);
  auto add = [&](uint32_t resource, std::string_view body, uint8_t severity, core::TimeNs t) {
    model::LogRecord rec;
    rec.resource_index = resource;
    rec.body = Str(body);
    rec.severity_number = severity;
    rec.time_ns = t;
    rec.trace_id = model::MakeTraceId(77);
    logs.records.push_back(rec);
  };
  add(0, "Connection from 10.0.0.1 closed after 12ms", 9, kT0 + kS);
  add(0, "Connection from 10.0.0.2 closed after 40ms", 9, kT0 + 2 * kS);
  add(0, "Connection from 10.0.0.3 closed after 7ms", 9, kT0 + 3 * kS);
  add(0, "Payment gateway timed out after 3000ms", 17, kT0 + 4 * kS);
  add(1, "charge 4711 accepted", 9, kT0 + 5 * kS);
  // A non-string body is mined as its text; the severity may come as text only.
  model::LogRecord kv;
  kv.resource_index = 0;
  kv.body.type = model::ValueType::kInt;
  kv.body.int_value = 42;
  kv.severity_text = "warning";
  kv.time_ns = kT0 + 6 * kS;
  logs.records.push_back(kv);
  std::vector<uint32_t> all(logs.records.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  shard.ConsumeLogs(logs, all);
  EXPECT_EQ(shard.watermark(), kT0 + 4 * kS);  // log records move event time too

  auto out = shard.Flush(false);
  std::map<std::pair<std::string, std::string>, model::LogPartial> by_text;
  for (const auto& b : out) {
    for (const auto& p : b.logs) {
      EXPECT_EQ(core::ShardOf(p.service, 2), &b - out.data());
      by_text[{p.service, p.template_text}] = p;
    }
  }
  ASSERT_EQ(by_text.size(), 4u);
  const auto& conn = by_text[{"cart", "Connection from <*> closed after <*>"}];
  EXPECT_EQ(conn.count, 3u);
  EXPECT_EQ(conn.severity, model::Severity::kInfo);
  EXPECT_EQ(conn.example, "Connection from 10.0.0.1 closed after 12ms");  // the first line
  EXPECT_EQ(conn.template_first_seen_ns, kT0 + kS);
  EXPECT_EQ(conn.service_first_seen_ns, kT0 + kS);
  const auto& timeout = by_text[{"cart", "Payment gateway timed out after <*>"}];
  EXPECT_EQ(timeout.count, 1u);
  EXPECT_EQ(timeout.severity, model::Severity::kError);
  EXPECT_EQ(timeout.template_first_severity, model::Severity::kError);
  EXPECT_NE(timeout.template_id, conn.template_id);
  EXPECT_EQ(by_text[(std::pair<std::string, std::string>{"cart", "<*>"})].severity,
            model::Severity::kWarn);
  EXPECT_EQ(
      by_text[(std::pair<std::string, std::string>{"payment", "charge <*> accepted"})].template_id,
      0u);

  // The exporters get every record with its template.
  ASSERT_EQ(mined.size(), 1u);
  ASSERT_EQ(mined[0]->size(), logs.records.size());
  const model::MinedLogRecord& r = (*mined[0])[3];
  EXPECT_EQ(r.service, "cart");
  EXPECT_EQ(r.body, "Payment gateway timed out after 3000ms");
  EXPECT_EQ(r.template_id, timeout.template_id);
  EXPECT_EQ(r.template_text, "Payment gateway timed out after <*>");
  EXPECT_EQ(r.severity, model::Severity::kError);
  EXPECT_EQ(r.trace_id, model::MakeTraceId(77));
  EXPECT_EQ(r.time_ns, kT0 + 4 * kS);
  EXPECT_EQ((*mined[0])[5].body, "42");
}

TEST(DeriveShardTest, ExamplesAreBoundedAndTemplatesSurviveARestore) {
  core::SelfMetrics metrics;
  DeriveConfig config;
  config.logs.max_example_bytes = 32;
  DeriveShard shard(config, 1, &metrics);
  model::LogBatch logs;
  model::Resource res;
  res.service_name = "cart";
  logs.resources.push_back(res);
  const std::string long_line = "error " + std::string(100'000, 'x') + " end";
  model::LogRecord rec;
  rec.body = Str(long_line);
  rec.time_ns = kT0;
  logs.records.push_back(rec);
  rec.body = Str("job 17 finished in 3s");
  logs.records.push_back(rec);
  shard.ConsumeLogs(logs, std::vector<uint32_t>{0, 1});
  auto out = shard.Flush(false);
  uint32_t job_id = 0;
  for (const auto& p : out[0].logs) {
    EXPECT_LE(p.example.size(), 32u);
    EXPECT_LE(p.template_text.size(), config.logs.miner.max_line_bytes);
    if (p.example.starts_with("job")) job_id = p.template_id;
  }

  std::string saved;
  shard.log_miners().Save(&saved);
  DeriveShard again(config, 1, &metrics);
  ASSERT_TRUE(again.log_miners().Restore(saved).ok());
  model::LogBatch more;
  more.resources.push_back(res);
  rec.body = Str("job 99 finished in 12s");
  more.records.push_back(rec);
  again.ConsumeLogs(more, std::vector<uint32_t>{0});
  auto out2 = again.Flush(false);
  ASSERT_EQ(out2[0].logs.size(), 1u);
  EXPECT_EQ(out2[0].logs[0].template_id, job_id);
}

TEST(DeriveShardTest, ServicesBeyondTheMinerBoundAreCountedWithoutTemplates) {
  core::SelfMetrics metrics;
  DeriveConfig config;
  config.logs.max_services = 1;
  DeriveShard shard(config, 1, &metrics);
  model::LogBatch logs;
  for (std::string_view name : {"a", "b"}) {
    model::Resource res;
    res.service_name = name;
    logs.resources.push_back(res);
  }
  for (uint32_t r : {0u, 1u, 1u}) {
    model::LogRecord rec;
    rec.resource_index = r;
    rec.body = Str("hello world");
    rec.time_ns = kT0;
    rec.severity_number = 17;
    logs.records.push_back(rec);
  }
  shard.ConsumeLogs(logs, std::vector<uint32_t>{0, 1, 2});
  auto out = shard.Flush(false);
  uint64_t overflow = 0;
  for (const auto& p : out[0].logs) {
    if (p.service == "b") {
      EXPECT_EQ(p.template_id, model::kOverflowTemplateId);
      EXPECT_EQ(p.template_text, "<overflow>");
      overflow += p.count;
    }
  }
  EXPECT_EQ(overflow, 2u);
  EXPECT_EQ(metrics.Value("augur_derive_log_overflow_lines"), 2);
}

TEST(DeriveConfigTest, RejectsBadBuckets) {
  DeriveConfig config;
  config.latency_bounds_ms = {5, 3};
  EXPECT_EQ(config.Validate().message(), "span_metrics.buckets_ms must be strictly increasing");
  config.latency_bounds_ms = {};
  EXPECT_FALSE(config.Validate().ok());
  EXPECT_TRUE(DeriveConfig{}.Validate().ok());
}

}  // namespace
}  // namespace augur::derive

namespace augur::derive {
namespace {

// One span of `service` at version `version` at `t`.
void SpanAtVersion(DeriveShard& shard, std::string_view service, std::string_view version,
                   core::TimeNs t) {
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource(service);
  b.batch().resources[r].service_version = b.batch().storage.Copy(version);
  b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(static_cast<uint64_t>(t)), MakeSpanId(1), {}, t,
            t + 5);
  shard.ConsumeSpans(b.batch(), b.AllIndices());
}

TEST(DeriveShardTest, ANewVersionIsADeployAndOldOnesAreNot) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  SpanAtVersion(shard, "payment", "1.4.2", kT0);
  SpanAtVersion(shard, "payment", "1.4.2", kT0 + kS);
  EXPECT_TRUE(shard.TakeChanges().empty());  // the first version seen is no change
  SpanAtVersion(shard, "payment", "1.5.0", kT0 + 2 * kS);
  std::vector<model::ChangeEvent> changes = shard.TakeChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].service, "payment");
  EXPECT_EQ(changes[0].kind, "deploy");
  EXPECT_EQ(changes[0].description, "version 1.4.2 -> 1.5.0");
  EXPECT_EQ(changes[0].t, kT0 + 2 * kS);
  // Replicas of both versions during the rollout, then a rollback: nothing new.
  SpanAtVersion(shard, "payment", "1.4.2", kT0 + 3 * kS);
  SpanAtVersion(shard, "payment", "1.5.0", kT0 + 4 * kS);
  SpanAtVersion(shard, "payment", "1.4.2", kT0 + 5 * kS);
  EXPECT_TRUE(shard.TakeChanges().empty());
}

TEST(DeriveShardTest, EachServiceAndHostPairIsReportedOnce) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  auto span_on = [&](std::string_view service, std::string_view key, std::string_view host,
                     core::TimeNs t) {
    model::SpanBatchBuilder b;
    uint32_t r = b.AddResource(service);
    b.AddResourceAttribute(r, "service.namespace", "shop");
    if (!key.empty()) b.AddResourceAttribute(r, key, host);
    b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(static_cast<uint64_t>(t)), MakeSpanId(1), {},
              t, t + 5);
    shard.ConsumeSpans(b.batch(), b.AllIndices());
  };
  span_on("cart", "k8s.node.name", "node-1", kT0);
  span_on("cart", "k8s.node.name", "node-1", kT0 + kS);
  span_on("index", "host.name", "node-1", kT0 + kS);
  span_on("search", "", "", kT0 + kS);  // no host: nothing to report
  std::vector<model::Placement> placements = shard.TakePlacements();
  ASSERT_EQ(placements.size(), 2u);
  EXPECT_EQ(placements[0].service, "cart");
  EXPECT_EQ(placements[0].host, "node-1");
  EXPECT_EQ(placements[1].service, "index");
  span_on("cart", "k8s.node.name", "node-2", kT0 + 2 * kS);  // rescheduled: a new pair
  placements = shard.TakePlacements();
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].host, "node-2");
}

}  // namespace
}  // namespace augur::derive
