#include "derive/log_template_miner.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/utf8.h"

// Counts heap allocations, to show that Match allocates nothing once warm. Replacing the global
// operator new is allowed in one translation unit of a program; the rest of the binary only pays
// an atomic increment.
namespace {
std::atomic<uint64_t> allocations{0};
}  // namespace

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace augur::derive {
namespace {

TEST(LogTemplateMinerTest, LinesDifferingOnlyInValuesShareATemplate) {
  LogTemplateMiner miner;
  uint32_t a = miner.Learn("Received block blk_-1608 of size 67108864 from /10.251.91.84");
  uint32_t b = miner.Learn("Received block blk_7503 of size 3542 from /10.250.19.102");
  uint32_t c = miner.Learn("Received block blk_99 of size 1 from 10.0.0.1");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(miner.TemplateText(a), "Received block <*> of size <*> from <*>");
  EXPECT_EQ(miner.TemplateCount(a), 3u);
  EXPECT_EQ(miner.template_count(), 1u);
}

TEST(LogTemplateMinerTest, DifferentEventsGetDifferentTemplates) {
  LogTemplateMiner miner;
  uint32_t open = miner.Learn("Connection opened from 10.0.0.1:80");
  uint32_t closed = miner.Learn("Connection closed by 10.0.0.1:80");
  uint32_t ok = miner.Learn("Link ok");
  uint32_t error = miner.Learn("Link error");
  uint32_t disk = miner.Learn("Disk /dev/sda1 is full");
  EXPECT_NE(open, closed);  // two of four positions differ
  EXPECT_NE(ok, error);
  EXPECT_NE(disk, open);
  EXPECT_EQ(miner.template_count(), 5u);
  EXPECT_EQ(miner.Learn("Link ok"), ok);
  EXPECT_EQ(miner.Learn("Connection closed by 10.9.8.7:443"), closed);
}

TEST(LogTemplateMinerTest, IdsAreAssignedInOrderAndStayAsTemplatesGeneralise) {
  LogTemplateMiner miner;
  uint32_t session = miner.Learn("session closed for user alice");
  uint32_t other = miner.Learn("cupsd startup succeeded");
  EXPECT_EQ(session, 0u);
  EXPECT_EQ(other, 1u);
  EXPECT_EQ(miner.Learn("session closed for user bob"), session);
  EXPECT_EQ(miner.TemplateText(session), "session closed for user <*>");
  EXPECT_EQ(miner.Learn("session closed for user carol"), session);
  EXPECT_EQ(miner.Learn("cupsd startup succeeded"), other);
  EXPECT_EQ(miner.Learn("a brand new event"), 2u);
}

TEST(LogTemplateMinerTest, SettledTemplateKeepsItsWordsUntilAThirdValue) {
  LogTemplateMiner miner;
  std::string https = "q1.cnzz.com:80 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS";
  uint32_t first = miner.Learn(https);
  for (int i = 0; i < 20; ++i) miner.Learn(https);
  // A different word in a long-stable place is another event...
  uint32_t socks =
      miner.Learn("183.62.156.108:22 open through proxy socks.cse.cuhk.edu.hk:5070 SOCKS5");
  EXPECT_NE(socks, first);
  EXPECT_EQ(miner.TemplateText(first), "<*> open through proxy <*> HTTPS");
  // ...until a third word shows the place holds values.
  uint32_t third = miner.Learn("1.2.3.4:22 open through proxy a.b.edu:5070 SOCKS4");
  EXPECT_EQ(third, first);
  EXPECT_EQ(miner.Canonical(socks), first);
  EXPECT_EQ(miner.TemplateText(socks), "<*> open through proxy <*> <*>");
  EXPECT_EQ(miner.template_count(), 1u);
}

TEST(LogTemplateMinerTest, ConvergingTemplatesMergeIntoTheOlderId) {
  LogTemplateMiner miner;
  uint32_t alice = miner.Learn("alice started job now");
  uint32_t bob = miner.Learn("bob started job now");
  ASSERT_NE(alice, bob);  // different first words: different branches of the tree
  // A value where both have a word: the older generalises and covers the newer.
  EXPECT_EQ(miner.Learn("4711 started job now"), alice);
  EXPECT_EQ(miner.Canonical(bob), alice);
  EXPECT_EQ(miner.Canonical(alice), alice);
  EXPECT_EQ(miner.TemplateText(bob), "<*> started job now");
  EXPECT_EQ(miner.TemplateCount(alice), 3u);
  EXPECT_EQ(miner.template_count(), 1u);
  EXPECT_EQ(miner.Learn("bob started job now"), alice);
  EXPECT_EQ(miner.Match("carol started job now"), alice);
}

TEST(LogTemplateMinerTest, NewerTemplateThatCoversAnOlderOneLivesOnAsTheOlderId) {
  LogTemplateMiner miner;
  uint32_t older = miner.Learn("job alpha started now ok");
  uint32_t newer = miner.Learn("job beta started now 5");
  ASSERT_NE(older, newer);
  // Fits the newer template only; generalised, it covers the older one.
  EXPECT_EQ(miner.Learn("job 7 started now 9"), older);
  EXPECT_EQ(miner.Canonical(newer), older);
  EXPECT_EQ(miner.TemplateText(older), "job <*> started now <*>");
  EXPECT_EQ(miner.template_count(), 1u);
  EXPECT_EQ(miner.Learn("a later event"), 2u);  // ids are never reused
}

TEST(LogTemplateMinerTest, MatchDoesNotLearn) {
  LogTemplateMiner miner;
  EXPECT_EQ(miner.Match("session closed for user alice"), LogTemplateMiner::kNoTemplate);
  EXPECT_EQ(miner.template_count(), 0u);
  uint32_t id = miner.Learn("session closed for user alice");
  EXPECT_EQ(miner.Match("session closed for user alice"), id);
  // Would generalise the template if learned; Match leaves it as it is.
  EXPECT_EQ(miner.Match("session closed for user bob"), id);
  EXPECT_EQ(miner.TemplateText(id), "session closed for user alice");
  EXPECT_EQ(miner.TemplateCount(id), 1u);
  EXPECT_EQ(miner.Match("something else entirely"), LogTemplateMiner::kNoTemplate);
  EXPECT_EQ(miner.template_count(), 1u);
  std::string before, after;
  miner.Save(&before);
  for (int i = 0; i < 100; ++i) miner.Match("session closed for user u" + std::to_string(i));
  miner.Save(&after);
  EXPECT_EQ(before, after);
}

TEST(LogTemplateMinerTest, MatchDoesNotAllocateOnceWarm) {
  LogTemplateMiner miner;
  std::vector<std::string> lines = {
      "Received block blk_-1608 of size 67108864 from /10.251.91.84",
      "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005",
      "t12.baidu.com:80 close, 451 bytes sent, 18846 bytes (18.4 KB) received, lifetime <1 sec",
      "session opened for user cyrus by (uid=0)",
      "no template for this one at all",
  };
  for (size_t i = 0; i + 1 < lines.size(); ++i) miner.Learn(lines[i]);
  for (const std::string& line : lines) miner.Match(line);  // grows the per-thread buffer
  uint64_t before = allocations.load();
  uint64_t matched = 0;
  for (int round = 0; round < 100; ++round) {
    for (const std::string& line : lines)
      matched += miner.Match(line) != LogTemplateMiner::kNoTemplate;
  }
  EXPECT_EQ(allocations.load(), before);
  EXPECT_EQ(matched, 400u);
}

TEST(LogTemplateMinerTest, EmptyLinesShareOneTemplate) {
  LogTemplateMiner miner;
  uint32_t id = miner.Learn("");
  EXPECT_NE(id, LogTemplateMiner::kNoTemplate);
  EXPECT_EQ(miner.Learn("   \t\r\n"), id);
  EXPECT_EQ(miner.TemplateText(id), "");
  EXPECT_EQ(miner.TemplateCount(id), 2u);
  EXPECT_EQ(miner.Match(""), id);
  EXPECT_NE(miner.Learn("x"), id);
}

TEST(LogTemplateMinerTest, UnknownIdsAreHarmless) {
  LogTemplateMiner miner;
  EXPECT_EQ(miner.TemplateText(17), "");
  EXPECT_EQ(miner.TemplateCount(17), 0u);
  EXPECT_EQ(miner.Canonical(17), 17u);
  EXPECT_EQ(miner.TemplateText(LogTemplateMiner::kNoTemplate), "");
}

// A random line of random words: nothing repeats, so every line is a new template until the
// bound.
std::string RandomLine(std::mt19937_64& rng) {
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyz";
  std::string line;
  int words = 1 + static_cast<int>(rng() % 12);
  for (int w = 0; w < words; ++w) {
    if (w > 0) line.push_back(' ');
    int letters = 1 + static_cast<int>(rng() % 10);
    for (int i = 0; i < letters; ++i) line.push_back(kLetters[rng() % 26]);
  }
  return line;
}

TEST(LogTemplateMinerTest, MemoryStaysBoundedOverAMillionDistinctLines) {
  LogTemplateMinerOptions options;
  options.max_templates = 1000;
  options.max_line_bytes = 256;
  options.max_tokens = 32;
  ASSERT_TRUE(options.Validate().ok());
  LogTemplateMiner miner(options);
  std::mt19937_64 rng(42);
  size_t peak = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    uint32_t id = miner.Learn(RandomLine(rng));
    ASSERT_TRUE(id < options.max_templates || id == LogTemplateMiner::kOverflowTemplate);
    if (i % 10'000 == 0) peak = std::max(peak, miner.MemoryBytes());
  }
  peak = std::max(peak, miner.MemoryBytes());
  EXPECT_LE(miner.template_count(), options.max_templates);
  EXPECT_GT(miner.TemplateCount(LogTemplateMiner::kOverflowTemplate), 900'000u);
  EXPECT_EQ(miner.TemplateText(LogTemplateMiner::kOverflowTemplate), "<overflow>");
  EXPECT_LE(peak, options.MemoryBoundBytes());
  // Full of templates, the miner holds more than a token amount: the bound is not vacuous.
  EXPECT_GT(peak, options.max_templates * 64);
}

TEST(LogTemplateMinerTest, InvalidUtf8AndHugeLinesAreCutAndSafe) {
  LogTemplateMinerOptions options;
  LogTemplateMiner miner(options);
  std::string garbage;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10'000; ++i) garbage.push_back(static_cast<char>(rng()));
  uint32_t a = miner.Learn(garbage);
  EXPECT_TRUE(core::IsValidUtf8(miner.TemplateText(a)));
  EXPECT_TRUE(core::IsValidUtf8(miner.TemplateText(miner.Learn("bad \xC3 byte \xFF here"))));

  std::string huge;
  while (huge.size() < (1 << 20)) huge += "word" + std::to_string(huge.size() % 97) + " x ";
  uint32_t h = miner.Learn(huge);
  EXPECT_LE(miner.TemplateText(h).size(), options.max_line_bytes + options.max_tokens);
  std::string one_token(1 << 20, 'z');
  uint32_t z = miner.Learn(one_token);
  EXPECT_LE(miner.TemplateText(z).size(), options.max_line_bytes);
  EXPECT_EQ(miner.Match(one_token), z);
  EXPECT_LE(miner.MemoryBytes(), options.MemoryBoundBytes());
}

std::vector<std::string> SampleStream() {
  std::vector<std::string> lines;
  const std::vector<std::string> users = {"alice", "bob", "carol", "dave"};
  for (int i = 0; i < 400; ++i) {
    std::string n = std::to_string(i);
    lines.push_back("Received block blk_" + n + " of size " + n + "00 from /10.0.0." +
                    std::to_string(i % 250));
    lines.push_back("session opened for user " + users[i % 4] + " by (uid=" + n + ")");
    if (i % 7 == 0) lines.push_back(users[i % 4] + " started job now");
    if (i % 11 == 0) lines.push_back("Link " + std::string(i % 2 ? "ok" : "error"));
    if (i % 13 == 0) lines.push_back("event " + n + " of kind k" + std::to_string(i % 3));
  }
  return lines;
}

TEST(LogTemplateMinerTest, SaveRestoreContinuesWithIdenticalIds) {
  std::vector<std::string> lines = SampleStream();
  size_t half = lines.size() / 2;
  LogTemplateMiner original;
  for (size_t i = 0; i < half; ++i) original.Learn(lines[i]);
  std::string state;
  original.Save(&state);

  LogTemplateMiner restored;
  ASSERT_TRUE(restored.Restore(state).ok());
  EXPECT_EQ(restored.template_count(), original.template_count());
  std::string again;
  restored.Save(&again);
  EXPECT_EQ(again, state);

  for (size_t i = half; i < lines.size(); ++i) {
    ASSERT_EQ(restored.Match(lines[i]), original.Match(lines[i])) << lines[i];
    uint32_t a = original.Learn(lines[i]);
    uint32_t b = restored.Learn(lines[i]);
    ASSERT_EQ(a, b) << lines[i];
    ASSERT_EQ(original.TemplateText(a), restored.TemplateText(b));
    ASSERT_EQ(original.TemplateCount(a), restored.TemplateCount(b));
  }
  for (uint32_t id = 0; id < 64; ++id) {
    EXPECT_EQ(original.Canonical(id), restored.Canonical(id));
    EXPECT_EQ(original.TemplateText(id), restored.TemplateText(id));
  }
  original.Save(&state);
  restored.Save(&again);
  EXPECT_EQ(again, state);
}

TEST(LogTemplateMinerTest, RestoreRejectsBadStateAndKeepsTheMiner) {
  LogTemplateMiner miner;
  uint32_t id = miner.Learn("session closed for user alice");
  std::string state;
  miner.Save(&state);

  EXPECT_FALSE(miner.Restore("").ok());
  EXPECT_FALSE(miner.Restore("not a state at all").ok());
  for (size_t cut = 0; cut < state.size(); ++cut) {
    EXPECT_FALSE(miner.Restore(std::string_view(state).substr(0, cut)).ok()) << cut;
  }
  std::string newer = state;
  newer[4] = 9;  // format version
  EXPECT_EQ(miner.Restore(newer).code(), absl::StatusCode::kFailedPrecondition);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string flipped = state;
    flipped[rng() % flipped.size()] ^= static_cast<char>(1 + rng() % 255);
    (void)miner.Restore(flipped);  // may succeed or fail; must not crash
  }
  ASSERT_TRUE(miner.Restore(state).ok());
  EXPECT_EQ(miner.Match("session closed for user alice"), id);

  LogTemplateMinerOptions small;
  small.max_templates = 1;
  LogTemplateMiner tiny(small);
  LogTemplateMiner two;
  two.Learn("first event here");
  two.Learn("second thing entirely");
  two.Save(&state);
  EXPECT_EQ(tiny.Restore(state).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(LogTemplateMinerTest, OptionsAreValidated) {
  LogTemplateMinerOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.max_templates = 0;
  EXPECT_FALSE(options.Validate().ok());
  options = {};
  options.similarity_threshold = 0;
  EXPECT_FALSE(options.Validate().ok());
  options = {};
  options.max_line_bytes = 1;
  EXPECT_FALSE(options.Validate().ok());
}

}  // namespace
}  // namespace augur::derive
