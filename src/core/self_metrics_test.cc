#include "core/self_metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace augur::core {
namespace {

TEST(SelfMetricsTest, SameNameAndLabelsShareOneCounter) {
  SelfMetrics m;
  Counter* a = m.GetCounter("augur_x", "X.", {{"k", "v"}});
  Counter* b = m.GetCounter("augur_x", "X.", {{"k", "v"}});
  Counter* c = m.GetCounter("augur_x", "X.", {{"k", "w"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  a->Add(2);
  b->Add();
  EXPECT_EQ(m.Value("augur_x", {{"k", "v"}}), 3);
  EXPECT_EQ(m.Value("augur_x", {{"k", "w"}}), 0);
}

TEST(SelfMetricsTest, CountsFromManyThreads) {
  SelfMetrics m;
  Counter* c = m.GetCounter("augur_y", "Y.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([c] {
      for (int i = 0; i < 10000; ++i) c->Add();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value(), 40000u);
}

TEST(SelfMetricsTest, CallbackGaugesAppearUntilTheirHandleIsGone) {
  SelfMetrics m;
  m.GetGauge("augur_g", "G.")->Set(1.5);
  {
    auto handle = m.AddCallbackGauge("augur_q", "Q.", {{"shard", "0"}}, [] { return 7.0; });
    Exposition e;
    m.WriteTo(&e);
    std::string text = e.Render(ExpositionFormat::kPrometheusText);
    EXPECT_NE(text.find("augur_q{shard=\"0\"} 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("augur_g 1.5\n"), std::string::npos) << text;
  }
  Exposition e;
  m.WriteTo(&e);
  EXPECT_EQ(e.Render(ExpositionFormat::kPrometheusText).find("augur_q"), std::string::npos);
}

}  // namespace
}  // namespace augur::core
