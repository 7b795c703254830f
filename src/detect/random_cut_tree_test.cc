#include "detect/random_cut_tree.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace augur::detect {
namespace {

// Padded with zeros as the tree expects.
std::vector<float> RandomPoint(std::mt19937_64* rng, int dimensions) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> p(RandomCutTree::PaddedDimensions(dimensions), 0.0f);
  for (int i = 0; i < dimensions; ++i) p[i] = normal(*rng);
  return p;
}

TEST(RandomCutTreeTest, InsertAndRemoveKeepMassAndEmptyTheTree) {
  RandomCutTree tree(3, 64);
  RandomCutTree::Rng rng(1);
  std::mt19937_64 gen(7);
  std::vector<int> slots;
  for (int i = 0; i < 64; ++i) {
    slots.push_back(tree.Insert(RandomPoint(&gen, 3).data(), &rng));
    EXPECT_EQ(tree.mass(), i + 1);
  }
  EXPECT_EQ(tree.distinct(), 64);
  std::vector<int32_t> path;
  for (size_t i = 0; i < slots.size(); ++i) {
    tree.Remove(slots[(i * 37) % slots.size()], &path);  // an arbitrary order
    EXPECT_EQ(tree.mass(), 63 - static_cast<int>(i));
  }
  EXPECT_EQ(tree.distinct(), 0);
  float origin[4] = {0, 0, 0, 0};
  double attribution[4] = {0, 0, 0, 0};
  EXPECT_EQ(tree.Score(origin, attribution), 0);
}

TEST(RandomCutTreeTest, EqualPointsShareALeaf) {
  RandomCutTree tree(2, 8);
  RandomCutTree::Rng rng(1);
  float a[4] = {1, 2, 0, 0};
  float b[4] = {3, 4, 0, 0};
  int first = tree.Insert(a, &rng);
  tree.Insert(b, &rng);
  EXPECT_EQ(tree.Insert(a, &rng), first);
  EXPECT_EQ(tree.count(first), 2);
  EXPECT_EQ(tree.mass(), 3);
  EXPECT_EQ(tree.distinct(), 2);
  std::vector<int32_t> path;
  tree.Remove(first, &path);
  EXPECT_EQ(tree.count(first), 1);
  EXPECT_EQ(tree.distinct(), 2);
}

TEST(RandomCutTreeTest, FarPointIsCutOffAtTheRootAndAttributedToItsCoordinate) {
  RandomCutTree tree(2, 256);
  RandomCutTree::Rng rng(3);
  std::mt19937_64 gen(11);
  for (int i = 0; i < 256; ++i) tree.Insert(RandomPoint(&gen, 2).data(), &rng);
  float far[4] = {0, 1000, 0, 0};
  double attribution[4] = {0, 0, 0, 0};
  double score = tree.Score(far, attribution);
  // Cut off at the root with probability about 1 - 8/1000: displacement 256.
  EXPECT_GT(score, 240);
  EXPECT_LE(score, 256);
  EXPECT_NEAR(attribution[0] + attribution[1], score, 1e-9 * score);
  EXPECT_GT(attribution[1], 0.98 * score);
}

TEST(RandomCutTreeTest, SaveRestoreRebuildsAnEquivalentTree) {
  RandomCutTree tree(4, 128);
  RandomCutTree::Rng rng(5);
  std::mt19937_64 gen(13);
  std::vector<int> slots;
  for (int i = 0; i < 300; ++i) {
    if (tree.mass() == tree.capacity()) {
      std::vector<int32_t> path;
      tree.Remove(slots.front(), &path);
      slots.erase(slots.begin());
    }
    slots.push_back(tree.Insert(RandomPoint(&gen, 4).data(), &rng));
  }
  std::string bytes;
  core::BinaryWriter w(&bytes);
  tree.Save(&w);
  core::BinaryReader r(bytes);
  absl::StatusOr<RandomCutTree> restored = RandomCutTree::Restore(4, 128, &r);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(r.done());
  EXPECT_EQ(restored->mass(), tree.mass());
  // Same scores, and the same future under the same random draws.
  RandomCutTree::Rng rng_copy = rng;
  for (int i = 0; i < 200; ++i) {
    std::vector<float> p = RandomPoint(&gen, 4);
    double a1[4] = {}, a2[4] = {};
    ASSERT_EQ(tree.Score(p.data(), a1), restored->Score(p.data(), a2));
    for (int d = 0; d < 4; ++d) ASSERT_EQ(a1[d], a2[d]);
    std::vector<int32_t> path;
    tree.Remove(slots.front(), &path);
    restored->Remove(slots.front(), &path);
    slots.erase(slots.begin());
    int s1 = tree.Insert(p.data(), &rng);
    int s2 = restored->Insert(p.data(), &rng_copy);
    ASSERT_EQ(s1, s2);
    slots.push_back(s1);
  }
}

TEST(RandomCutTreeTest, RestoreRejectsCorruptStructure) {
  RandomCutTree tree(2, 16);
  RandomCutTree::Rng rng(5);
  std::mt19937_64 gen(17);
  for (int i = 0; i < 10; ++i) tree.Insert(RandomPoint(&gen, 2).data(), &rng);
  std::string bytes;
  core::BinaryWriter w(&bytes);
  tree.Save(&w);
  // Any single flipped byte either fails or yields a tree that passes every check.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 0x5a;
    core::BinaryReader r(bad);
    absl::StatusOr<RandomCutTree> restored = RandomCutTree::Restore(2, 16, &r);
    if (restored.ok()) {
      EXPECT_LE(restored->mass(), 16);
    }
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    core::BinaryReader r(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(RandomCutTree::Restore(2, 16, &r).ok()) << "truncated at " << n;
  }
}

}  // namespace
}  // namespace augur::detect
