#include "derive/service_log_miners.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "core/hash.h"
#include "model/partials.h"

namespace augur::derive {
namespace {

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;
constexpr core::TimeNs kS = core::kNsPerSecond;

TEST(ServiceLogMinersTest, OneMinerPerServiceWithFirstSeenTimes) {
  ServiceLogMiners miners(LogMiningConfig{});
  auto* cart = miners.Get("cart", kT0);
  auto* pay = miners.Get("payment", kT0 + kS);
  ASSERT_NE(cart, nullptr);
  ASSERT_NE(pay, nullptr);
  EXPECT_EQ(miners.Get("cart", kT0 + 5 * kS), cart);  // the same service, the same miner
  const uint32_t a =
      miners.Learn(cart, "Connection from 10.0.0.1 closed", kT0, model::Severity::kInfo);
  const uint32_t b =
      miners.Learn(cart, "Connection from 10.0.0.2 closed", kT0 + kS, model::Severity::kInfo);
  EXPECT_EQ(a, b);
  const uint32_t c =
      miners.Learn(cart, "Payment declined for order 17", kT0 + 2 * kS, model::Severity::kError);
  EXPECT_NE(a, c);
  // Ids are per service: payment's first template is its own id 0.
  EXPECT_EQ(miners.Learn(pay, "Payment declined for order 18", kT0, model::Severity::kError), 0u);
  EXPECT_EQ(cart->first_seen_ns, kT0);
  ASSERT_GT(cart->templates.size(), c);
  EXPECT_EQ(cart->templates[a].first_seen_ns, kT0);
  EXPECT_EQ(cart->templates[c].first_seen_ns, kT0 + 2 * kS);
  EXPECT_EQ(cart->templates[c].first_severity, model::Severity::kError);
  EXPECT_EQ(cart->miner.TemplateText(a), "Connection from <*> closed");
}

TEST(ServiceLogMinersTest, ServicesBeyondTheBoundGetTheOverflowTemplate) {
  LogMiningConfig config;
  config.max_services = 2;
  ServiceLogMiners miners(config);
  ASSERT_NE(miners.Get("a", kT0), nullptr);
  ASSERT_NE(miners.Get("b", kT0), nullptr);
  EXPECT_EQ(miners.Get("c", kT0), nullptr);
  EXPECT_EQ(miners.Learn(nullptr, "anything at all", kT0, model::Severity::kInfo),
            model::kOverflowTemplateId);
  EXPECT_EQ(miners.overflow_lines(), 1u);
  EXPECT_EQ(miners.services(), 2u);
}

TEST(ServiceLogMinersTest, AMillionDistinctLinesStayWithinTheMemoryBound) {
  LogMiningConfig config;
  config.max_services = 3;
  ServiceLogMiners miners(config);
  std::mt19937_64 random(7);
  const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
                         "hotel", "india", "juliet",  "kilo",  "lima", "mike",    "oscar"};
  std::uniform_int_distribution<int> word(0, 13), length(3, 20), service(0, 4);
  std::string line;
  for (int i = 0; i < 1'000'000; ++i) {
    line.clear();
    const int n = length(random);
    for (int k = 0; k < n; ++k) {
      if (k > 0) line += ' ';
      line += words[word(random)];
      line += words[word(random)];
    }
    const std::string svc = "svc-" + std::to_string(service(random));
    miners.Learn(miners.Get(svc, kT0), line, kT0, model::Severity::kInfo);
  }
  EXPECT_EQ(miners.services(), 3u);
  EXPECT_GT(miners.overflow_lines(), 0u);  // two services had no room, and the miners filled up
  const size_t bound = config.max_services * config.miner.MemoryBoundBytes() + 64 * 1024;
  EXPECT_LE(miners.MemoryBytes(), bound);
  for (std::string_view s : {"svc-0", "svc-1", "svc-2", "svc-3", "svc-4"}) {
    if (const auto* m = miners.Find(s)) {
      EXPECT_LE(m->miner.template_count(), config.miner.max_templates);
    }
  }
}

TEST(ServiceLogMinersTest, CheckpointRestoresIdsAndSplitsByService) {
  ServiceLogMiners miners(LogMiningConfig{});
  std::vector<std::string> services = {"cart", "payment", "search", "auth", "mail"};
  std::map<std::string, uint32_t> ids;
  for (size_t i = 0; i < services.size(); ++i) {
    auto* s = miners.Get(services[i], kT0 + static_cast<core::TimeNs>(i) * kS);
    miners.Learn(s, "worker started", kT0, model::Severity::kInfo);
    ids[services[i]] =
        miners.Learn(s, "user 42 logged in from 10.1.2.3", kT0 + kS, model::Severity::kWarn);
  }
  std::string saved;
  miners.Save(&saved);

  // The same shard count: everything comes back.
  ServiceLogMiners restored(LogMiningConfig{});
  ASSERT_TRUE(restored.Restore(saved).ok());
  for (const std::string& svc : services) {
    auto* s = restored.Get(svc, kT0 + 100 * kS);
    EXPECT_EQ(
        restored.Learn(s, "user 7 logged in from 10.9.9.9", kT0 + 200 * kS, model::Severity::kWarn),
        ids[svc]);
    EXPECT_EQ(s->templates[ids[svc]].first_seen_ns, kT0 + kS);
    EXPECT_EQ(s->templates[ids[svc]].first_severity, model::Severity::kWarn);
  }
  EXPECT_EQ(restored.Find("payment")->first_seen_ns, kT0 + kS);

  // Three shards: each service goes to the shard that owns it.
  auto parts = ServiceLogMiners::SplitCheckpoint(saved, 3);
  ASSERT_TRUE(parts.ok());
  for (int shard = 0; shard < 3; ++shard) {
    ServiceLogMiners part(LogMiningConfig{});
    ASSERT_TRUE(part.Restore((*parts)[shard]).ok());
    for (const std::string& svc : services) {
      EXPECT_EQ(part.Find(svc) != nullptr, core::ShardOf(svc, 3) == shard) << svc;
    }
  }

  // Corrupt checkpoints are refused whole.
  ServiceLogMiners other(LogMiningConfig{});
  EXPECT_FALSE(other.Restore(saved.substr(0, saved.size() / 2)).ok());
  EXPECT_FALSE(other.Restore("garbage").ok());
  EXPECT_EQ(other.services(), 0u);
}

}  // namespace
}  // namespace augur::derive
