#include "detect/count_evidence.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace augur::detect {
namespace {

CountWindow Errors(double requests, double errors, double expected) {
  return CountWindow{CountWindow::Kind::kBinomial, requests, errors, expected,
                     errors > requests * expected};
}

TEST(CountEvidenceTest, BinomialTailMatchesTheTextbookForIntegers) {
  CountEvidence c;
  // Nothing learned: the frequency bound is 0.5 / 1; with expected 0.6 the bound is 0.6.
  // P(X >= 9 | n = 10, p = 0.6) = 10 * 0.6^9 * 0.4 + 0.6^10 = 0.0463574...
  const double one = 10 * std::pow(0.6, 9) * 0.4 + std::pow(0.6, 10);
  EXPECT_NEAR(c.Tail(Errors(10, 9, 0.6)), one, 1e-9);  // one window, one tail taken
  // After a normal window, the three windows and the longer memory are tested too: three tails.
  c.Push(Errors(10, 6, 0.6));
  const double again = c.Tail(Errors(10, 9, 0.6));
  EXPECT_LE(again, 3 * one + 1e-12);
  EXPECT_GT(again, one);
}

TEST(CountEvidenceTest, PoissonTailMatchesTheTextbookForIntegers) {
  CountEvidence c;
  for (int i = 0; i < 2000; ++i) c.Learn({CountWindow::Kind::kPoisson, 1, 0.0, 0.0, false});
  // P(X <= 0 | lambda = 3) = e^-3; the expectation 3/s over 1 s, a downward window with no events.
  CountWindow w{CountWindow::Kind::kPoisson, 1, 0, 3, false};
  // Downward tests use the smaller of the expectation and the frequency (about 0.00025/s).
  EXPECT_GT(c.Tail(w), 0.99);
  CountEvidence fresh;
  for (int i = 0; i < 50; ++i) fresh.Learn({CountWindow::Kind::kPoisson, 1, 3, 3, true});
  EXPECT_NEAR(fresh.Tail(w), std::exp(-3.0), 0.01);
}

TEST(CountEvidenceTest, ALargeExcessAtVolumeIsExtremeAndAtLowVolumeIsNot) {
  CountEvidence c;
  for (int i = 0; i < 5000; ++i) {
    c.Learn(Errors(20, i % 250 == 0 ? 1 : 0, 0.004));
    c.Push(Errors(20, i % 250 == 0 ? 1 : 0, 0.004));
  }
  EXPECT_LT(c.Tail(Errors(18, 7, 0.004)), 1e-9);  // 7 errors of 18 where 1 in 5,000 is usual
  EXPECT_GT(c.Tail(Errors(2, 1, 0.004)), 1e-3);   // 1 of 2: not evidence of much
}

// A rarely called operation whose calls come four at a time (one request, four calls): a burst in
// one window followed by quiet is not evidence; four calls in each of two windows is.
TEST(CountEvidenceTest, ASparseSeriesNeedsTwoWindowsOfExcess) {
  CountEvidence c;
  auto calls = [](double n) {
    return CountWindow{CountWindow::Kind::kPoisson, 10, n, 1e-4, n > 0, /*clustered=*/true};
  };
  for (int i = 0; i < 8640; ++i) {
    c.Learn(calls(0));
    c.Push(calls(0));
  }
  EXPECT_GT(c.Tail(calls(4)), 0.01);
  c.Push(calls(4));
  EXPECT_GT(c.Tail(calls(0)), 0.01);
  c.Push(calls(0));
  EXPECT_GT(c.Tail(calls(1)), 1e-4);  // one more call after the burst: little
  c.Push(calls(0));
  c.Push(calls(0));
  c.Push(calls(4));
  EXPECT_LT(c.Tail(calls(4)), 1e-6);  // the burst again in the next window: sustained
  // Failed requests are not clustered: four in one window is heard at once.
  CountWindow failed = calls(4);
  failed.clustered = false;
  EXPECT_LT(c.Tail(failed), 1e-6);
}

// A sparse series is tested against its long-run frequency, not a model's expectation that has
// followed a lasting excess of single events.
TEST(CountEvidenceTest, ASparseSeriesIsJudgedByItsLongRunFrequency) {
  CountEvidence c;
  for (int i = 0; i < 8640; ++i) c.Learn(Errors(3, 0, 0.001));
  // Two errors of three where the model, having followed them, now expects 30%.
  EXPECT_LT(c.Tail(Errors(3, 2, 0.3)), 1e-6);
}

// Requests to an entry point over a day: 10/s by day, 3/s by night. At night a surge to 8/s is
// tested against the model's 3/s, not against the day's mean of 6.5/s, which would hide it.
TEST(CountEvidenceTest, ARiseAtNightIsJudgedByTheModelsExpectation) {
  std::mt19937_64 rng(11);
  CountEvidence c;
  for (int i = 0; i < 8640; ++i) {
    const double rate = i < 4320 ? 10 : 3;
    std::poisson_distribution<int> requests(rate * 10);
    const CountWindow w{CountWindow::Kind::kPoisson, 10, static_cast<double>(requests(rng)), rate,
                        false};
    c.Learn(w);
    c.Push(w);
  }
  EXPECT_NEAR(c.frequency(CountWindow::Kind::kPoisson), 6.5, 1);
  EXPECT_LT(c.dispersion(), 1.5);
  EXPECT_LT(c.Tail({CountWindow::Kind::kPoisson, 10, 80, 3, true}), 1e-6);
  // Under ten expected events a window the long-run bound stays: 8 where the model expects 3 but
  // the series usually sees 5 is tested against 5 (P(X >= 8) = 0.13), not 3 (0.012).
  CountEvidence quiet;
  for (int i = 0; i < 8640; ++i) {
    std::poisson_distribution<int> requests(5);
    quiet.Learn({CountWindow::Kind::kPoisson, 10, static_cast<double>(requests(rng)), 0.5, false});
  }
  EXPECT_GT(quiet.Tail({CountWindow::Kind::kPoisson, 10, 8, 0.3, true}), 0.05);
}

// A low-volume series a little off in every window: no window alone, nor three together, says much,
// but two minutes of it do.
TEST(CountEvidenceTest, ASteadySmallExcessAtLowVolumeIsHeardWithinMinutes) {
  CountEvidence c;
  auto slow = [](double requests, double slower) {
    return CountWindow{CountWindow::Kind::kExceedances, requests, slower,
                       CountEvidence::kExceedanceShare, true};
  };
  for (int i = 0; i < 3000; ++i) {
    const CountWindow w = slow(5, i % 4 == 0 ? 1 : 0);  // 5% of requests above the p95
    c.Learn(w);
    c.Push(w);
  }
  std::vector<double> tails;
  for (int i = 0; i < 12; ++i) {
    const CountWindow w = slow(5, 2);  // 40% above it
    tails.push_back(c.Tail(w));
    c.Push(w);
  }
  EXPECT_GT(tails[0], 1e-3);
  EXPECT_GT(tails[2], 1e-6);
  EXPECT_LT(tails[11], 1e-6);  // the event threshold (0.999999) within two minutes
}

// A sparse series (an error in a thousand calls, a few calls a window) after an outage that
// failed most of its calls for minutes: the outage was heard window by window; a single error a
// few windows after it ended is a single error, not more of the outage.
TEST(CountEvidenceTest, ABurstHeardAloneDoesNotMakeALaterSingleEventNews) {
  CountEvidence c;
  for (int i = 0; i < 20000; ++i) {
    const CountWindow w = Errors(3, i % 400 == 0 ? 1 : 0, 0.001);
    c.Learn(w);
    c.Push(w);
  }
  for (int i = 0; i < 30; ++i) {
    const CountWindow outage = Errors(3, 2, 0.001);
    if (i > 0) EXPECT_LT(c.Tail(outage), 1e-6) << i;  // an event from its second window
    c.Push(outage);
  }
  for (int i = 0; i < 6; ++i) c.Push(Errors(3, 0, 0.001));
  // One error in 3 calls with one in 1,000 usual: unusual (about 0.01 with the windows before),
  // but not an event (the open score is 1 - 1e-6).
  EXPECT_GT(c.Tail(Errors(3, 1, 0.001)), 1e-4);
}

TEST(CountEvidenceTest, OverDispersedCountsAreJudgedByTheirOwnSpread) {
  // Counts that come in bursts (a trace fans out into 10 calls): mean 100, variance about 10x.
  std::mt19937_64 rng(5);
  std::poisson_distribution<int> bursts(10);
  CountEvidence poisson_like, bursty;
  for (int i = 0; i < 3000; ++i) {
    const double k = 10.0 * bursts(rng);
    bursty.Learn({CountWindow::Kind::kPoisson, 10, k, 10, k > 100});
    std::poisson_distribution<int> plain(100);
    const double j = plain(rng);
    poisson_like.Learn({CountWindow::Kind::kPoisson, 10, j, 10, j > 100});
  }
  EXPECT_GT(bursty.dispersion(), 5);
  EXPECT_LT(poisson_like.dispersion(), 1.5);
  // 150 where 100 is expected: extreme for Poisson counts, ordinary for bursty ones.
  const CountWindow w{CountWindow::Kind::kPoisson, 10, 150, 10, true};
  EXPECT_LT(poisson_like.Tail(w), 1e-4);
  EXPECT_GT(bursty.Tail(w), 0.01);
}

TEST(CountEvidenceTest, SustainedModerateExcessAddsUp) {
  CountEvidence c;
  for (int i = 0; i < 3000; ++i) c.Learn(Errors(20, i % 100 == 0 ? 1 : 0, 0.01));
  const CountWindow moderate = Errors(20, 3, 0.01);
  const double alone = c.Tail(moderate);
  c.Push(moderate);
  c.Push(moderate);
  EXPECT_LT(c.Tail(moderate), alone / 100);  // three windows of 3 errors in 20
}

TEST(CountEvidenceTest, ExceedancesUseFivePercentUntilTheSeriesShowsMore) {
  CountEvidence c;
  const CountWindow slow{CountWindow::Kind::kExceedances, 20, 15, 0.05, true};
  EXPECT_LT(c.Tail(slow), 1e-12);  // 15 of 20 requests slower than the expected p95
  for (int i = 0; i < 3000; ++i) c.Learn({CountWindow::Kind::kExceedances, 20, 6, 0.05, true});
  EXPECT_NEAR(c.frequency(CountWindow::Kind::kExceedances), 0.3, 0.01);
  EXPECT_GT(c.Tail(slow), 1e-6);  // a model whose p95 is usually exceeded by 30%
}

TEST(CountEvidenceTest, SaveAndRestoreKeepEveryAnswer) {
  CountEvidence c;
  for (int i = 0; i < 100; ++i) {
    c.Learn(Errors(20, i % 7 == 0 ? 2 : 0, 0.02));
    c.Push(Errors(20, i % 7 == 0 ? 2 : 0, 0.02));
  }
  std::string state;
  c.Save(&state);
  CountEvidence d;
  ASSERT_TRUE(d.Restore(state).ok());
  EXPECT_EQ(c.Tail(Errors(20, 5, 0.02)), d.Tail(Errors(20, 5, 0.02)));
  EXPECT_EQ(c.dispersion(), d.dispersion());
  EXPECT_FALSE(d.Restore(state.substr(1)).ok());
  EXPECT_FALSE(d.Restore("").ok());
  // A state saved before the longer memory existed (four doubles shorter) restores without it;
  // one cut inside it does not.
  EXPECT_TRUE(d.Restore(state.substr(0, state.size() - 4 * sizeof(double))).ok());
  EXPECT_FALSE(d.Restore(state.substr(0, state.size() - sizeof(double))).ok());
}

}  // namespace
}  // namespace augur::detect
