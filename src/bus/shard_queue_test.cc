#include "bus/shard_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace augur::bus {
namespace {

using namespace std::chrono_literals;

TEST(ShardQueueTest, ReservesByUnitsAndReleasesAfterProcessing) {
  ShardQueue<int> q(10, 100);
  EXPECT_TRUE(q.TryReserve(6));
  q.PushReserved(1);
  EXPECT_FALSE(q.TryReserve(5));  // 6 + 5 > 10
  EXPECT_TRUE(q.TryReserve(4));
  q.PushReserved(2);
  EXPECT_EQ(q.units_in_use(), 10u);
  int v = 0;
  bool control = true;
  ASSERT_TRUE(q.Pop(&v, &control, 0ms));
  EXPECT_EQ(v, 1);
  EXPECT_FALSE(control);
  EXPECT_EQ(q.units_in_use(), 10u);  // still in work until released
  q.Release(6);
  EXPECT_TRUE(q.TryReserve(5));
}

TEST(ShardQueueTest, AdmitsAnOversizedItemOnlyIntoAnEmptyQueue) {
  ShardQueue<int> q(10, 100);
  EXPECT_TRUE(q.TryReserve(50));
  q.PushReserved(1);
  EXPECT_FALSE(q.TryReserve(1));
}

TEST(ShardQueueTest, BoundsItemCount) {
  ShardQueue<int> q(1000, 2);
  EXPECT_TRUE(q.TryReserve(1));
  EXPECT_TRUE(q.TryReserve(1));
  EXPECT_FALSE(q.TryReserve(1));
  q.CancelReservation(1);
  EXPECT_TRUE(q.TryReserve(1));
}

TEST(ShardQueueTest, ControlLaneIsServedFirstAndIgnoresCapacity) {
  ShardQueue<int> q(1, 100);
  ASSERT_TRUE(q.TryReserve(1));
  q.PushReserved(1);
  q.PushControl(99);
  int v = 0;
  bool control = false;
  ASSERT_TRUE(q.Pop(&v, &control, 0ms));
  EXPECT_EQ(v, 99);
  EXPECT_TRUE(control);
  ASSERT_TRUE(q.Pop(&v, &control, 0ms));
  EXPECT_EQ(v, 1);
}

TEST(ShardQueueTest, PopTimesOutWhenEmptyAndCloseRefusesNewWork) {
  ShardQueue<int> q(10, 10);
  int v;
  bool control;
  EXPECT_FALSE(q.Pop(&v, &control, 5ms));
  ASSERT_TRUE(q.TryReserve(1));
  q.PushReserved(7);
  q.Close();
  EXPECT_FALSE(q.TryReserve(1));
  ASSERT_TRUE(q.Pop(&v, &control, 1000ms));  // queued work is still delivered
  EXPECT_EQ(v, 7);
  EXPECT_FALSE(q.Pop(&v, &control, 1000ms));  // closed and empty: returns at once
}

TEST(ShardQueueTest, ManyProducersOneConsumerLoseNothing) {
  ShardQueue<int> q(64, 64);
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 20000;
  std::atomic<int64_t> consumed_sum{0};
  std::atomic<int> consumed{0};
  std::thread consumer([&] {
    int v;
    bool control;
    while (consumed.load() < kProducers * kPerProducer) {
      if (q.Pop(&v, &control, 10ms)) {
        consumed_sum += v;
        consumed += 1;
        q.Release(1);
      }
    }
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q] {
      for (int i = 1; i <= kPerProducer; ++i) {
        while (!q.TryReserve(1)) std::this_thread::yield();
        q.PushReserved(i);
      }
    });
  }
  for (auto& t : producers) t.join();
  consumer.join();
  EXPECT_EQ(consumed.load(), kProducers * kPerProducer);
  EXPECT_EQ(consumed_sum.load(), int64_t{kProducers} * kPerProducer * (kPerProducer + 1) / 2);
  EXPECT_EQ(q.units_in_use(), 0u);
}

}  // namespace
}  // namespace augur::bus
