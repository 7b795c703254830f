#include "detect/time_decayed_reservoir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace augur::detect {
namespace {

// Runs the stream 0..n-1 (item t weighing exp(decay * t)) through a reservoir; returns the items
// it holds at the end.
std::vector<int> Sampled(int capacity, int n, double decay, uint64_t seed, int rebase_every = 0) {
  TimeDecayedReservoir reservoir(capacity);
  RandomCutTree::Rng rng(seed);
  int base = 0;
  for (int t = 0; t < n; ++t) {
    if (rebase_every > 0 && t > 0 && t % rebase_every == 0) {
      reservoir.Rebase(decay * (t - base));
      base = t;
    }
    double log_weight = decay * (t - base);
    int evicted = -2;
    if (reservoir.Offer(std::exp(log_weight), log_weight, &rng, &evicted)) {
      EXPECT_EQ(evicted >= 0, reservoir.size() == capacity);
      reservoir.Admit(static_cast<uint16_t>(t), &rng);
    }
    EXPECT_EQ(reservoir.size(), std::min(t + 1, capacity));
  }
  std::vector<int> items;
  items.reserve(reservoir.size());
  for (int i = 0; i < reservoir.size(); ++i) items.push_back(reservoir.handle(i));
  std::sort(items.begin(), items.end());
  return items;
}

// How often each of the n items ends up in the sample: exponential jumps against the definition
// (every item gets the key E / w, the `capacity` smallest are kept).
TEST(TimeDecayedReservoirTest, JumpsSampleLikeKeepingTheSmallestKeys) {
  constexpr int kCapacity = 20, kItems = 200, kTrials = 3000;
  for (double decay : {0.0, 0.02}) {
    std::vector<double> jumps(kItems, 0), keys(kItems, 0);
    std::mt19937_64 gen(1);
    std::exponential_distribution<double> exponential(1);
    for (int trial = 0; trial < kTrials; ++trial) {
      for (int item : Sampled(kCapacity, kItems, decay, 1000 + trial)) jumps[item] += 1.0 / kTrials;
      std::vector<std::pair<double, int>> k;
      k.reserve(kItems);
      for (int t = 0; t < kItems; ++t) k.emplace_back(exponential(gen) / std::exp(decay * t), t);
      std::partial_sort(k.begin(), k.begin() + kCapacity, k.end());
      for (int i = 0; i < kCapacity; ++i) keys[k[i].second] += 1.0 / kTrials;
    }
    // Per block of 20 consecutive items: the mean inclusion probability.
    for (int block = 0; block < kItems; block += 20) {
      double a = 0, b = 0;
      for (int t = block; t < block + 20; ++t) a += jumps[t] / 20, b += keys[t] / 20;
      EXPECT_NEAR(a, b, 0.02) << "decay " << decay << " items " << block << "..";
      if (decay == 0) {
        EXPECT_NEAR(a, 0.1, 0.02);  // uniform: capacity / items
      }
    }
  }
}

TEST(TimeDecayedReservoirTest, RebasingDoesNotChangeTheSample) {
  EXPECT_EQ(Sampled(64, 20000, 0.01, 7), Sampled(64, 20000, 0.01, 7, 1000));
}

TEST(TimeDecayedReservoirTest, DecayForgetsOldItems) {
  // With decay 0.01 an item 1000 items old weighs e^-10 of a new one.
  for (int item : Sampled(64, 5000, 0.01, 3)) EXPECT_GT(item, 4000);
}

TEST(TimeDecayedReservoirTest, SaveRestoreContinuesTheSameSample) {
  TimeDecayedReservoir a(16);
  RandomCutTree::Rng rng_a(5);
  auto feed = [](TimeDecayedReservoir* r, RandomCutTree::Rng* rng, int from, int to) {
    for (int t = from; t < to; ++t) {
      int evicted = -1;
      if (r->Offer(std::exp(0.01 * t), 0.01 * t, rng, &evicted)) {
        r->Admit(static_cast<uint16_t>(t), rng);
      }
    }
  };
  feed(&a, &rng_a, 0, 300);
  std::string bytes;
  core::BinaryWriter w(&bytes);
  a.Save(&w);
  TimeDecayedReservoir b(16);
  core::BinaryReader r(bytes);
  ASSERT_TRUE(b.Restore(&r).ok());
  RandomCutTree::Rng rng_b = rng_a;
  feed(&a, &rng_a, 300, 600);
  feed(&b, &rng_b, 300, 600);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(a.handle(i), b.handle(i));

  std::string not_a_heap = bytes;
  std::swap_ranges(not_a_heap.begin() + 4, not_a_heap.begin() + 12, not_a_heap.begin() + 12);
  core::BinaryReader bad(not_a_heap);
  TimeDecayedReservoir c(16);
  EXPECT_FALSE(c.Restore(&bad).ok());
  core::BinaryReader too_big(bytes);
  TimeDecayedReservoir d(8);
  EXPECT_FALSE(d.Restore(&too_big).ok());
}

}  // namespace
}  // namespace augur::detect
