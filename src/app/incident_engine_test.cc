#include "app/incident_engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "rca/rca_test_util.h"

namespace augur::app {
namespace {

using rca::kNoon;
using rca::kSec;

class IncidentEngineTest : public ::testing::Test {
 protected:
  IncidentEngineTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("augur-incidents-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~IncidentEngineTest() override { std::filesystem::remove_all(dir_); }

  IncidentEngineConfig Config() {
    IncidentEngineConfig c;
    c.db_path = (dir_ / "incidents.db").string();
    c.tick_ns = 3600 * kSec;  // passes run only when the test asks
    return c;
  }
  std::filesystem::path dir_;
  core::TimeNs now_ = kNoon;
};

TEST_F(IncidentEngineTest, EventsBecomeARankedIncidentThatIsStoredAndOutlivesARestart) {
  core::SelfMetrics metrics;
  uint64_t id = 0;
  {
    IncidentEngine engine(Config(), &metrics);
    ASSERT_TRUE(engine.Start([] { return rca::ShopGraph(); }, [this] { return now_; }).ok());
    engine.OnChange(model::ChangeEvent{kNoon - 60 * kSec, "payment", "deploy", "version 1 -> 2"});
    engine.OnEvent(rca::ServiceEvent(1, "payment", "error_ratio", kNoon));
    engine.OnEvent(rca::ServiceEvent(2, "checkout", "error_ratio", kNoon + 20 * kSec));
    engine.OnEvent(rca::ServiceEvent(3, "frontend", "error_ratio", kNoon + 30 * kSec));
    now_ = kNoon + 60 * kSec;
    engine.Pass(/*refresh_graph=*/true);
    EXPECT_EQ(engine.open_count(), 1u);
    EXPECT_EQ(metrics.Value("augur_incident_open"), 1);
    std::vector<nlohmann::json> list = engine.List({});
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["root_cause"], "payment");
    EXPECT_TRUE(list[0]["open"].get<bool>());
    id = std::stoull(list[0]["id"].get<std::string>());
    std::optional<nlohmann::json> full = engine.Get(id);
    ASSERT_TRUE(full.has_value());
    std::string evidence = (*full)["candidates"][0]["evidence"].dump();
    EXPECT_NE(evidence.find("version 1 -> 2"), std::string::npos) << evidence;
    EXPECT_EQ(list[0]["events"], 3);  // how many it took
    EXPECT_EQ((*full)["event_count"], 3);
    EXPECT_EQ((*full)["events"].size(), 3u);  // and the ones it keeps in full

    // Everything clears; after the grace the incident closes.
    for (uint64_t e : {1, 2, 3}) {
      detect::AnomalyEvent closed = rca::ServiceEvent(e, "payment", "error_ratio", kNoon);
      closed.service = e == 1 ? "payment" : e == 2 ? "checkout" : "frontend";
      closed.series.labels = {{"service_name", closed.service}};
      closed.open = false;
      closed.end_ns = kNoon + 120 * kSec;
      engine.OnEvent(closed);
    }
    now_ = kNoon + 120 * kSec + rca::CorrelatorConfig{}.grace_ns;
    engine.Pass(false);
    EXPECT_EQ(engine.open_count(), 0u);
    engine.Stop();
  }
  // A new engine on the same database: the closed incident is served from the store and new ids
  // continue after it.
  IncidentEngine again(Config(), &metrics);
  ASSERT_TRUE(again.Start([] { return rca::ShopGraph(); }, [this] { return now_; }).ok());
  std::optional<nlohmann::json> stored = again.Get(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE((*stored)["open"].get<bool>());
  EXPECT_EQ((*stored)["root_cause"], "payment");
  EXPECT_FALSE((*stored)["timeline"].empty());
  std::vector<nlohmann::json> list = again.List({});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].contains("timeline"));  // the list form
  EXPECT_FALSE(list[0].contains("event_count"));
  EXPECT_EQ(list[0]["events"], 3);
  now_ += 600 * kSec;
  again.OnEvent(rca::ServiceEvent(9, "cart", "p95_latency_ms", now_ - 60 * kSec));
  again.Pass(true);
  list = again.List({});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_GT(std::stoull(list[0]["id"].get<std::string>()), id);  // newest first
  store::IncidentQuery open_only;
  open_only.open_only = true;
  EXPECT_EQ(again.List(open_only).size(), 1u);
}

// Series shards score at different speeds when telemetry arrives faster than real time: an event
// ahead of the slowest shard waits, so the earlier events of the other shard still group with it.
TEST_F(IncidentEngineTest, EventsWaitForTheSlowestShardAndGroupInEventTimeOrder) {
  core::SelfMetrics metrics;
  IncidentEngineConfig c = Config();
  c.db_path.clear();
  IncidentEngine engine(c, &metrics);
  ASSERT_TRUE(engine.Start([] { return rca::ShopGraph(); }, [this] { return now_; }).ok());
  engine.Pass(/*refresh_graph=*/true);
  // One shard is 20 minutes ahead: a cart anomaly there, long after a payment fault.
  detect::AnomalyEvent late = rca::ServiceEvent(7, "cart", "p95_latency_ms", kNoon + 1200 * kSec);
  engine.OnEvent(late);
  now_ = kNoon + 30 * kSec;  // the slowest shard
  engine.Pass(false);
  EXPECT_EQ(engine.open_count(), 0u);  // waits: the slowest shard has not scored that far
  // The slow shard catches up: payment's fault (open, then cleared) and checkout behind it.
  engine.OnEvent(rca::ServiceEvent(1, "payment", "error_ratio", kNoon));
  engine.OnEvent(rca::ServiceEvent(2, "checkout", "error_ratio", kNoon + 20 * kSec));
  for (uint64_t e : {1, 2}) {
    detect::AnomalyEvent closed =
        rca::ServiceEvent(e, e == 1 ? "payment" : "checkout", "error_ratio", kNoon);
    closed.open = false;
    closed.end_ns = kNoon + 180 * kSec;
    engine.OnEvent(closed);
  }
  now_ = kNoon + 1300 * kSec;
  engine.Pass(false);
  // The payment incident closed (in event time, before the cart anomaly) and cart opened its own.
  std::vector<nlohmann::json> list = engine.List({});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["root_cause"], "cart");
  EXPECT_TRUE(list[0]["open"].get<bool>());
  EXPECT_EQ(list[1]["root_cause"], "payment");
  EXPECT_FALSE(list[1]["open"].get<bool>());
}

TEST_F(IncidentEngineTest, AFullQueueDropsAndCounts) {
  core::SelfMetrics metrics;
  IncidentEngineConfig c = Config();
  c.max_queued = 2;
  c.db_path.clear();
  IncidentEngine engine(c, &metrics);
  ASSERT_TRUE(engine.Start(nullptr, [] { return kNoon; }).ok());
  for (uint64_t i = 1; i <= 5; ++i) engine.OnEvent(rca::ServiceEvent(i, "cart", "rate", kNoon));
  EXPECT_EQ(metrics.Value("augur_rca_inputs_dropped"), 3);
  // Closes have as many places again: a dropped one would hold its incident open for good.
  for (uint64_t i = 1; i <= 3; ++i) {
    engine.OnEvent(rca::ServiceEvent(i, "cart", "rate", kNoon, 0.99999, /*open=*/false));
  }
  EXPECT_EQ(metrics.Value("augur_rca_inputs_dropped"), 4);
}

}  // namespace
}  // namespace augur::app
