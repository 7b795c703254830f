#include "store/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace augur::store {
namespace {

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("augur-store-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(CheckpointStoreTest, WritesReadsListsAndReplaces) {
  std::string dir = TempDir();
  CheckpointStore store(dir + "/nested");
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Write("models/a.ckpt", "one").ok());
  ASSERT_TRUE(store.Write("models/b.ckpt", std::string("t\0wo", 4)).ok());
  ASSERT_TRUE(store.Write("models/a.ckpt", "three").ok());
  EXPECT_EQ(*store.Read("models/a.ckpt"), "three");
  EXPECT_EQ(*store.Read("models/b.ckpt"), std::string("t\0wo", 4));
  EXPECT_EQ(store.List("models"), (std::vector<std::string>{"models/a.ckpt", "models/b.ckpt"}));
  EXPECT_EQ(store.Read("models/c.ckpt").status().code(), absl::StatusCode::kNotFound);
  store.Remove("models/a.ckpt");
  EXPECT_EQ(store.List("models").size(), 1u);
  EXPECT_TRUE(store.List("nothing-here").empty());
  std::filesystem::remove_all(dir);
}

TEST(CheckpointStoreTest, AsyncWritesLandAndTheNewestWins) {
  std::string dir = TempDir();
  {
    CheckpointStore store(dir);
    ASSERT_TRUE(store.Open().ok());
    for (int i = 0; i < 50; ++i) store.WriteAsync("x", std::to_string(i));
    store.WriteAsync("y", "last");
    store.Flush();
    EXPECT_EQ(*store.Read("x"), "49");
    EXPECT_EQ(*store.Read("y"), "last");
    store.WriteAsync("z", "written at destruction");
  }
  CheckpointStore again(dir);
  EXPECT_EQ(*again.Read("z"), "written at destruction");
  std::filesystem::remove_all(dir);
}

TEST(CheckpointStoreTest, ReportsAnUnwritableDirectory) {
  CheckpointStore store("/proc/augur-cannot-exist");
  absl::Status s = store.Open();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("/proc/augur-cannot-exist"), std::string::npos);
}

}  // namespace
}  // namespace augur::store
