// The bounds of log mining as the pipeline runs it: through a DeriveShard with the pipeline's
// defaults (LogMiningConfig: 1000 templates per service, lines cut at 4096 bytes and 128 tokens),
// a service that logs a million distinct lines, and lines of a megabyte, must stay within the
// memory docs/logs.md promises, with the lines beyond the bound counted under the overflow
// template rather than lost.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/self_metrics.h"
#include "core/utf8.h"
#include "derive/derive_shard.h"

namespace augur::derive {
namespace {

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;

// The per-service worst case docs/logs.md states for the pipeline's defaults ("6.8 MB").
constexpr size_t kDocumentedServiceBoundBytes = 6'800'000;

// A line of `words` random lowercase words (no digits, so masking keeps them: every line is its
// own event until the miner is full).
std::string RandomLine(std::mt19937_64& rng, int words) {
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyz";
  std::string line;
  for (int w = 0; w < words; ++w) {
    if (w > 0) line.push_back(' ');
    const int letters = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < letters; ++i) line.push_back(kLetters[rng() % 26]);
  }
  return line;
}

model::AnyValue Str(std::string_view s) {
  model::AnyValue v;
  v.type = model::ValueType::kString;
  v.str = s;
  return v;
}

TEST(LogMiningBoundsTest, AMillionDistinctLinesOfOneServiceStayWithinTheDocumentedBound) {
  core::SelfMetrics metrics;
  const DeriveConfig config;  // the pipeline's defaults
  ASSERT_EQ(config.logs.miner.max_templates, 1000u);
  ASSERT_LE(config.logs.miner.MemoryBoundBytes(), kDocumentedServiceBoundBytes);
  DeriveShard shard(config, 1, &metrics);
  uint64_t exported_overflow = 0;
  uint64_t exported = 0;
  shard.SetLogSink([&](std::shared_ptr<const model::MinedLogBatch> batch) {
    for (const model::MinedLogRecord& r : *batch) {
      ++exported;
      if (r.template_id == model::kOverflowTemplateId) {
        EXPECT_EQ(r.template_text, "<overflow>");
        ++exported_overflow;
      }
    }
  });

  std::mt19937_64 rng(2024);
  constexpr int kLines = 1'000'000;
  constexpr int kBatch = 20'000;
  std::vector<std::string> bodies;
  std::vector<uint32_t> indices;
  uint64_t counted = 0, overflow_counted = 0;
  size_t peak = 0;
  size_t max_template_bytes = 0;
  for (int first = 0; first < kLines; first += kBatch) {
    model::LogBatch batch;
    model::Resource resource;
    resource.service_name = "checkout";
    batch.resources.push_back(resource);
    bodies.clear();
    for (int i = first; i < first + kBatch; ++i) {
      // Now and then a line of a megabyte (some 190,000 words).
      bodies.push_back(i % 100'000 == 7 ? RandomLine(rng, 190'000)
                                        : RandomLine(rng, 3 + static_cast<int>(rng() % 40)));
    }
    for (size_t i = 0; i < bodies.size(); ++i) {
      model::LogRecord record;
      record.body = Str(bodies[i]);
      record.time_ns = kT0 + static_cast<core::TimeNs>(first + i) * core::kNsPerMillisecond;
      record.severity_number = i % 10 == 0 ? 17 : 9;
      batch.records.push_back(record);
    }
    indices.resize(bodies.size());
    for (uint32_t i = 0; i < indices.size(); ++i) indices[i] = i;
    shard.ConsumeLogs(batch, indices);
    for (const model::PartialBatch& out : shard.Flush(false)) {
      for (const model::LogPartial& p : out.logs) {
        counted += p.count;
        if (p.template_id == model::kOverflowTemplateId) overflow_counted += p.count;
        max_template_bytes = std::max(max_template_bytes, p.template_text.size());
        EXPECT_LE(p.example.size(), config.logs.max_example_bytes);
      }
    }
    peak = std::max(peak, shard.log_miners().MemoryBytes());
  }

  const ServiceLogMiners::Service* service = shard.log_miners().Find("checkout");
  ASSERT_NE(service, nullptr);
  // The miner filled up to its bound and no further...
  EXPECT_EQ(service->miner.template_count(), config.logs.miner.max_templates);
  EXPECT_LE(service->templates.size(), config.logs.miner.max_templates);
  // ...and every line is counted: those beyond the bound under the overflow template, in the
  // partials stage 2 models, in the exported records and in self-telemetry alike.
  EXPECT_EQ(counted, static_cast<uint64_t>(kLines));
  EXPECT_EQ(exported, static_cast<uint64_t>(kLines));
  EXPECT_GT(overflow_counted, static_cast<uint64_t>(kLines) * 9 / 10);
  EXPECT_EQ(exported_overflow, overflow_counted);
  EXPECT_EQ(service->miner.TemplateCount(LogTemplateMiner::kOverflowTemplate), overflow_counted);
  EXPECT_EQ(metrics.Value("augur_derive_log_overflow_lines"),
            static_cast<double>(overflow_counted));
  // Memory: within the computed bound and the documented figure, and not trivially small (the
  // bound is not vacuous: 1000 templates of up to 40 words).
  EXPECT_LE(peak, config.logs.miner.MemoryBoundBytes());
  EXPECT_LE(peak, kDocumentedServiceBoundBytes);
  EXPECT_GT(peak, config.logs.miner.max_templates * 200);
  EXPECT_LE(max_template_bytes, config.logs.miner.max_line_bytes);
  RecordProperty("miner_peak_bytes", std::to_string(peak));
  RecordProperty("overflow_lines", std::to_string(overflow_counted));
}

// A megabyte on one line (as a client could send it if the receiver's limits allowed it): the
// template keeps at most max_tokens tokens in at most max_line_bytes bytes, the example at most
// max_example_bytes, and the same line again finds the same template.
TEST(LogMiningBoundsTest, AMegabyteLineIsMinedWithinTheTokenAndByteBounds) {
  core::SelfMetrics metrics;
  const DeriveConfig config;
  DeriveShard shard(config, 1, &metrics);
  std::mt19937_64 rng(5);
  const std::string many_tokens = RandomLine(rng, 190'000);
  std::string one_token(1 << 20, 'z');
  std::string multibyte = "x";
  while (multibyte.size() < (1 << 20)) multibyte += "\xe2\x82\xac ";  // "€ ", 250,000 tokens

  model::LogBatch batch;
  model::Resource resource;
  resource.service_name = "cart";
  batch.resources.push_back(resource);
  const std::vector<const std::string*> bodies = {&many_tokens, &one_token, &multibyte,
                                                  &many_tokens};
  for (const std::string* body : bodies) {
    model::LogRecord record;
    record.body = Str(*body);
    record.time_ns = kT0;
    batch.records.push_back(record);
  }
  std::vector<model::MinedLogRecord> mined;
  shard.SetLogSink(
      [&](std::shared_ptr<const model::MinedLogBatch> b) { mined.assign(b->begin(), b->end()); });
  shard.ConsumeLogs(batch, std::vector<uint32_t>{0, 1, 2, 3});
  ASSERT_EQ(mined.size(), 4u);
  const LogTemplateMinerOptions& limits = config.logs.miner;
  for (const model::MinedLogRecord& r : mined) {
    EXPECT_LE(r.template_text.size(), limits.max_line_bytes);
    EXPECT_TRUE(core::IsValidUtf8(r.template_text));
    EXPECT_LE(static_cast<size_t>(std::count(r.template_text.begin(), r.template_text.end(), ' ')),
              limits.max_tokens - 1);
  }
  EXPECT_EQ(mined[0].template_id, mined[3].template_id);
  for (const model::PartialBatch& out : shard.Flush(false)) {
    for (const model::LogPartial& p : out.logs) {
      EXPECT_LE(p.example.size(), config.logs.max_example_bytes);
      EXPECT_TRUE(core::IsValidUtf8(p.example));
    }
  }
  // Three templates of at most 4 KiB each, not megabytes.
  EXPECT_LE(shard.log_miners().MemoryBytes(), 256u << 10);
  EXPECT_LE(shard.log_miners().MemoryBytes(), limits.MemoryBoundBytes());
}

}  // namespace
}  // namespace augur::derive
