#include "store/incident_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace augur::store {
namespace {

IncidentRecord Record(uint64_t id, core::TimeNs start, core::TimeNs end) {
  return IncidentRecord{id,
                        start,
                        end,
                        start + 1,
                        end == 0 ? "critical" : "minor",
                        "{\"id\":\"" + std::to_string(id) + "\"}"};
}

TEST(IncidentStoreTest, PutsReplacesListsAndSurvivesReopening) {
  auto dir =
      std::filesystem::temp_directory_path() / ("augur-incidents-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto path = dir / "incidents.db";  // SQLite adds -wal and -shm beside it
  {
    auto store = IncidentStore::Open(path.string());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Put(Record(1, 100, 200)).ok());
    ASSERT_TRUE((*store)->Put(Record(2, 300, 0)).ok());
    ASSERT_TRUE((*store)->Put(Record(3, 50, 60)).ok());
    ASSERT_TRUE((*store)->Put(Record(1, 100, 250)).ok());  // updated
    EXPECT_EQ((*store)->Get(1)->end_ns, 250);
    EXPECT_FALSE((*store)->Get(9).has_value());
    auto all = (*store)->List(IncidentQuery{});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].id, 2u);  // open first
    EXPECT_EQ(all[1].id, 1u);  // then newest
    auto open = (*store)->List(IncidentQuery{.open_only = true});
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].json, "{\"id\":\"2\"}");
    auto window = (*store)->List(IncidentQuery{.since_ns = 70, .until_ns = 150});
    ASSERT_EQ(window.size(), 1u);
    EXPECT_EQ(window[0].id, 1u);
    EXPECT_EQ((*store)->MaxId(), 3u);
  }
  {
    auto again = IncidentStore::Open(path.string());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again)->List(IncidentQuery{}).size(), 3u);
  }
  std::filesystem::remove_all(dir);
}

TEST(IncidentStoreTest, ReportsAnUnopenablePath) {
  auto store = IncidentStore::Open("/proc/augur/no/such/dir/incidents.db");
  EXPECT_FALSE(store.ok());
  EXPECT_NE(std::string(store.status().message()).find("cannot open incident store"),
            std::string::npos);
}

}  // namespace
}  // namespace augur::store
