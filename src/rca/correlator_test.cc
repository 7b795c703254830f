#include "rca/correlator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rca/rca_test_util.h"

namespace augur::rca {
namespace {

// `event` clears at `end`, and the correlator hears of it.
void Clear(Correlator& c, detect::AnomalyEvent& event, core::TimeNs end) {
  event.open = false;
  event.end_ns = end;
  c.OnEvent(event);
}

// Incidents listed at once (most tests feed events seconds apart).
CorrelatorConfig AtOnce() {
  CorrelatorConfig config;
  config.confirm_after_ns = 0;
  return config;
}

// A symptom lasting under confirm_after, alone, is a blip: no incident is listed, and none is
// left when it clears. One that lasts lists its incident, from its start.
TEST(CorrelatorTest, AnIncidentIsListedOnceASymptomHasLasted) {
  Correlator c;  // confirm_after: 1 minute
  c.UpdateGraph(ShopGraph());
  auto blip = ServiceEvent(1, "payment", "p95_latency_ms", kNoon);
  c.OnEvent(blip);
  EXPECT_TRUE(c.Advance(kNoon + 30 * kSec).empty());
  EXPECT_EQ(c.open_count(), 0u);
  EXPECT_TRUE(c.Incidents().empty());
  Clear(c, blip, kNoon + 40 * kSec);
  c.Advance(kNoon + 40 * kSec + CorrelatorConfig{}.grace_ns);
  EXPECT_TRUE(c.Incidents().empty());

  const core::TimeNs later = kNoon + 3600 * kSec;
  c.OnEvent(ServiceEvent(2, "cart", "error_ratio", later));
  EXPECT_TRUE(c.Advance(later + 50 * kSec).empty());
  auto listed = c.Advance(later + 60 * kSec);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(c.open_count(), 1u);
  ASSERT_EQ(c.Incidents().size(), 1u);
  EXPECT_EQ(c.Incidents()[0]->start_ns, later);
  EXPECT_EQ(c.Incidents()[0]->candidates[0].service, "cart");

  // Errors for 20 s as payment restarts: short, but a restart is a change at the symptom.
  const core::TimeNs restart = later + 7200 * kSec;
  c.OnChange({restart, "payment", "restart", "process restarted"});
  auto burst = ServiceEvent(3, "payment", "error_ratio", restart + 10 * kSec);
  c.OnEvent(burst);
  c.Advance(restart + 20 * kSec);
  Clear(c, burst, restart + 30 * kSec);
  c.Advance(restart + 30 * kSec + CorrelatorConfig{}.grace_ns);
  ASSERT_EQ(c.Incidents().size(), 2u);
  EXPECT_EQ(c.Incidents()[1]->candidates[0].service, "payment");  // closed, after the open one
}

// One high window of a sparse series: its event stays open until close_after has passed, but it
// was high only once, and lists no incident.
TEST(CorrelatorTest, ASymptomHighOnceIsABlipHoweverLongItStaysOpen) {
  Correlator c;  // confirm_after: 1 minute
  c.UpdateGraph(ShopGraph());
  auto once = EdgeEvent(1, "payment", "postgresql", "error_ratio", kNoon);
  once.last_high_ns = kNoon;
  c.OnEvent(once);
  EXPECT_TRUE(c.Advance(kNoon + 150 * kSec).empty());
  Clear(c, once, kNoon + 180 * kSec);
  c.Advance(kNoon + 190 * kSec);
  EXPECT_TRUE(c.Incidents().empty());
  EXPECT_EQ(c.open_count(), 0u);
  // High again and again for a minute: an incident.
  auto again = EdgeEvent(2, "payment", "postgresql", "error_ratio", kNoon + 600 * kSec);
  again.last_high_ns = again.start_ns;
  c.OnEvent(again);
  again.last_high_ns = again.start_ns + 60 * kSec;
  c.OnEvent(again);
  ASSERT_EQ(c.Advance(again.start_ns + 70 * kSec).size(), 1u);
  EXPECT_EQ(c.Incidents()[0]->candidates[0].service, "postgresql");
}

// A blip that has cleared holds nothing open: a fault nearby two minutes later is an incident of
// its own, from its own start.
TEST(CorrelatorTest, AClearedBlipTakesInNoLaterSymptom) {
  Correlator c;  // confirm_after: 1 minute
  c.UpdateGraph(ShopGraph());
  auto blip = ServiceEvent(1, "checkout", "p95_latency_ms", kNoon);
  c.OnEvent(blip);
  c.Advance(kNoon + 20 * kSec);
  Clear(c, blip, kNoon + 30 * kSec);
  c.Advance(kNoon + 40 * kSec);
  EXPECT_EQ(c.open_count(), 0u);
  const core::TimeNs fault = kNoon + 150 * kSec;
  c.OnEvent(ServiceEvent(2, "payment", "error_ratio", fault));
  c.Advance(fault + 2 * 60 * kSec);
  ASSERT_EQ(c.Incidents().size(), 1u);
  EXPECT_EQ(c.Incidents()[0]->start_ns, fault);
  EXPECT_EQ(c.Incidents()[0]->events.size(), 1u);
}

// The grace runs from the last symptom that lasted: a caller's brief error minutes after the rest
// cleared holds the incident only while it is open, so a fault nearby later is an incident of its
// own.
TEST(CorrelatorTest, ABriefLateSymptomDoesNotExtendTheGrace) {
  Correlator c;  // confirm_after: 1 minute, grace 5 minutes
  c.UpdateGraph(ShopGraph());
  auto outage = ServiceEvent(1, "cart", "error_ratio", kNoon);
  c.OnEvent(outage);
  ASSERT_EQ(c.Advance(kNoon + 90 * kSec).size(), 1u);
  Clear(c, outage, kNoon + 120 * kSec);
  // 4.5 minutes later, 40 seconds of errors next to it: they join, and hold it while open.
  const core::TimeNs late = outage.end_ns + 270 * kSec;
  auto brief = ServiceEvent(2, "checkout", "error_ratio", late);
  c.OnEvent(brief);
  c.Advance(late + 30 * kSec);
  EXPECT_EQ(c.open_count(), 1u);
  EXPECT_EQ(c.Incidents()[0]->events.size(), 2u);
  Clear(c, brief, late + 40 * kSec);
  c.Advance(late + 40 * kSec);
  EXPECT_EQ(c.open_count(), 0u) << "the grace after the outage has passed";
  // A slowdown of its neighbour 3 minutes after that is an incident of its own.
  const core::TimeNs fault = brief.end_ns + 180 * kSec;
  c.OnEvent(ServiceEvent(3, "payment", "p95_latency_ms", fault));
  c.Advance(fault + 90 * kSec);
  ASSERT_EQ(c.Incidents().size(), 2u);
  EXPECT_EQ(c.Incidents()[0]->start_ns, fault);
  EXPECT_EQ(c.Incidents()[0]->events.size(), 1u);
  EXPECT_EQ(c.Incidents()[1]->end_ns, late + 40 * kSec);

  // A second symptom that lasts does extend it.
  Correlator d;
  d.UpdateGraph(ShopGraph());
  d.OnEvent(outage);
  auto lasting = ServiceEvent(4, "checkout", "error_ratio", kNoon + 100 * kSec);
  d.OnEvent(lasting);
  d.Advance(kNoon + 200 * kSec);
  Clear(d, lasting, kNoon + 200 * kSec);
  d.Advance(outage.end_ns + CorrelatorConfig{}.grace_ns + kSec);
  EXPECT_EQ(d.open_count(), 1u);
  d.Advance(lasting.end_ns + CorrelatorConfig{}.grace_ns);
  EXPECT_EQ(d.open_count(), 0u);
}

TEST(CorrelatorTest, ConnectedEventsFormOneIncidentAndFarOnesAnother) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  c.OnEvent(ServiceEvent(1, "payment", "p95_latency_ms", kNoon));
  c.OnEvent(ServiceEvent(2, "frontend", "p95_latency_ms", kNoon + 20 * kSec));  // 2 hops away
  c.OnEvent(ServiceEvent(3, "search", "error_ratio", kNoon + 30 * kSec));       // not connected
  auto changed = c.Advance(kNoon + 40 * kSec);
  EXPECT_EQ(changed.size(), 2u);
  EXPECT_EQ(c.open_count(), 2u);
  const Incident* shop = c.Find(changed[0]);
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->events.size(), 2u);
  EXPECT_EQ(shop->start_ns, kNoon);
  // The user-facing entry point is listed first.
  ASSERT_EQ(shop->impacted.size(), 2u);
  EXPECT_EQ(shop->impacted[0], "frontend");
  EXPECT_EQ(shop->candidates[0].service, "payment");
  EXPECT_EQ(shop->severity, "major");
}

TEST(CorrelatorTest, AnEventBridgingTwoIncidentsMergesThem) {
  CorrelatorConfig config = AtOnce();
  config.max_hops = 1;
  Correlator c(config);
  c.UpdateGraph(ShopGraph());
  c.OnEvent(ServiceEvent(1, "frontend", "rate", kNoon));
  c.OnEvent(ServiceEvent(2, "payment", "rate", kNoon + kSec));  // 2 hops: separate at max_hops 1
  c.Advance(kNoon + 2 * kSec);
  EXPECT_EQ(c.open_count(), 2u);
  c.OnEvent(ServiceEvent(3, "checkout", "rate", kNoon + 3 * kSec));  // neighbour of both
  c.Advance(kNoon + 4 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  EXPECT_EQ(c.Incidents()[0]->events.size(), 3u);
}

TEST(CorrelatorTest, ClosesAfterEveryEventClearedAndTheGrace) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  auto e = ServiceEvent(1, "cart", "error_ratio", kNoon);
  c.OnEvent(e);
  auto ids = c.Advance(kNoon + kSec);
  ASSERT_EQ(ids.size(), 1u);
  Clear(c, e, kNoon + 60 * kSec);
  c.Advance(kNoon + 61 * kSec);
  EXPECT_EQ(c.open_count(), 1u);  // within the grace
  c.Advance(kNoon + 60 * kSec + CorrelatorConfig{}.grace_ns);
  EXPECT_EQ(c.open_count(), 0u);
  const Incident* closed = c.Find(ids[0]);
  ASSERT_NE(closed, nullptr);
  EXPECT_FALSE(closed->open());
  EXPECT_EQ(closed->end_ns, kNoon + 60 * kSec);
  EXPECT_EQ(closed->timeline.back().kind, "closed");
}

TEST(CorrelatorTest, MutedEventsDoNotOpenIncidentsButJoinThem) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  auto muted = ServiceEvent(1, "cart", "rate", kNoon);
  muted.muted = true;
  c.OnEvent(muted);
  c.Advance(kNoon + kSec);
  EXPECT_EQ(c.open_count(), 0u);
  c.OnEvent(ServiceEvent(2, "checkout", "rate", kNoon + 2 * kSec));
  auto muted2 = ServiceEvent(3, "cart", "error_ratio", kNoon + 3 * kSec);
  muted2.muted = true;
  c.OnEvent(muted2);
  c.Advance(kNoon + 4 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  EXPECT_EQ(c.Incidents()[0]->events.size(), 2u);
}

TEST(CorrelatorTest, ChangesAppearInTheTimelineAndTheEvidence) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  c.OnChange({kNoon - 30 * kSec, "payment", "deploy", "version 1.4.2 -> 1.5.0"});
  c.OnEvent(ServiceEvent(1, "payment", "error_ratio", kNoon));
  c.OnEvent(ServiceEvent(2, "checkout", "error_ratio", kNoon + 5 * kSec));
  c.OnChange({kNoon + 10 * kSec, "payment", "restart", "new instance payment-2"});
  c.Advance(kNoon + 20 * kSec);
  const Incident* i = c.Incidents()[0];
  ASSERT_FALSE(i->candidates.empty());
  EXPECT_EQ(i->candidates[0].service, "payment");
  bool deploy = false;
  for (const auto& line : i->candidates[0].evidence)
    deploy |= line.find("deploy: version 1.4.2") != std::string::npos;
  EXPECT_TRUE(deploy);
  bool restart = false;
  for (const auto& t : i->timeline)
    restart |= t.kind == "change" && t.text.find("restart") != std::string::npos;
  EXPECT_TRUE(restart);
}

TEST(CorrelatorTest, ErrorsAtAnEntryPointAreCritical) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  c.OnEvent(ServiceEvent(1, "frontend", "error_ratio", kNoon));
  c.Advance(kNoon + kSec);
  EXPECT_EQ(c.Incidents()[0]->severity, "critical");
}

TEST(CorrelatorTest, EventsFedInEventTimeOrderCloseQuietIncidentsBetweenThem) {
  // Two faults 20 minutes apart arrive in one batch (a replay at high speed): closing at each
  // event's time keeps them apart, as they would be in real time.
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  auto first = ServiceEvent(1, "payment", "error_ratio", kNoon);
  auto first_closed = first;
  first_closed.open = false;
  first_closed.end_ns = kNoon + 120 * kSec;
  auto second = ServiceEvent(2, "cart", "error_ratio", kNoon + 20 * 60 * kSec);
  for (const auto* e : {&first, &first_closed, &second}) {
    c.CloseIdle(EventTime(*e));
    c.OnEvent(*e);
  }
  c.Advance(kNoon + 21 * 60 * kSec);
  const auto incidents = c.Incidents();
  ASSERT_EQ(incidents.size(), 2u);
  EXPECT_TRUE(incidents[0]->open());
  EXPECT_EQ(incidents[0]->start_ns, second.start_ns);
  EXPECT_FALSE(incidents[1]->open());
  EXPECT_EQ(incidents[1]->end_ns, kNoon + 120 * kSec);
}

TEST(CorrelatorTest, EvidenceJoinsButDoesNotConnectIncidents) {
  CorrelatorConfig config = AtOnce();
  config.max_hops = 1;
  Correlator c(config);
  c.UpdateGraph(ShopGraph());
  c.OnEvent(ServiceEvent(1, "payment", "error_ratio", kNoon));
  // Checkout's CPU (an ingested metric: evidence) joins payment's incident (a neighbour)...
  auto cpu = ServiceEvent(2, "checkout", "value", kNoon + kSec);
  cpu.series.family = "process_cpu_utilization_ratio";
  c.OnEvent(cpu);
  // ... but frontend, a neighbour of checkout only, starts its own.
  c.OnEvent(ServiceEvent(3, "frontend", "p95_latency_ms", kNoon + 2 * kSec));
  c.Advance(kNoon + 3 * kSec);
  EXPECT_EQ(c.open_count(), 2u);
}

TEST(CorrelatorTest, EvidenceFromWellBeforeTheIncidentDoesNotJoinIt) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  auto old_gauge = ServiceEvent(1, "checkout", "value", kNoon - 30 * 60 * kSec);
  old_gauge.series.family = "queue_depth";  // odd for half an hour, still open
  auto fresh_logs = ServiceEvent(3, "checkout", "rate", kNoon + 20 * kSec);
  fresh_logs.series.family = "logs";
  c.OnEvent(old_gauge);
  c.OnEvent(ServiceEvent(2, "payment", "error_ratio", kNoon));
  c.OnEvent(fresh_logs);
  c.Advance(kNoon + 30 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  const Incident* i = c.Incidents()[0];
  ASSERT_EQ(i->events.size(), 2u);
  EXPECT_EQ(i->events[1].id, 3u);
}

TEST(CorrelatorTest, ACoLocatedServicesCpuJoinsButItsLogsDoNot) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  // index runs far from payment on the graph, but on the same node.
  c.OnPlacement({"payment", "node-1"});
  c.OnPlacement({"index", "node-1"});
  c.OnPlacement({"search", "node-2"});
  c.OnEvent(ServiceEvent(1, "payment", "p95_latency_ms", kNoon));
  c.OnEvent(RuntimeEvent(2, "index", "process_cpu_utilization_ratio", kNoon + kSec));
  auto logs = ServiceEvent(3, "index", "rate", kNoon + kSec);
  logs.series.family = "logs";
  c.OnEvent(logs);
  c.OnEvent(RuntimeEvent(4, "search", "process_cpu_utilization_ratio", kNoon + kSec));
  c.Advance(kNoon + 2 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  const Incident* i = c.Incidents()[0];
  ASSERT_EQ(i->events.size(), 2u);
  EXPECT_EQ(i->events[1].id, 2u);
}

// The ranker asks again at every pass. search's short spike was found first and has since left the
// series' points (the lookup no longer finds it): it is remembered. index's rise grows as it goes
// on: its larger excess counts, and index, not search, starves cart.
TEST(CorrelatorTest, CpuRisesFoundAreRememberedAndGrowAcrossRankings) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  for (const char* s : {"cart", "index", "search"}) c.OnPlacement({s, "node-1"});
  int pass = 0;
  std::vector<std::string> asked;
  c.SetCpuPeakLookup([&](const std::string& service, CpuSignal signal, core::TimeNs,
                         core::TimeNs) -> std::optional<CpuRise> {
    if (signal == CpuSignal::kThrottling || service == "cart") return std::nullopt;
    asked.push_back(service);
    detect::AnomalyEvent e = RuntimeEvent(9, service, "process_cpu_utilization_ratio", kNoon);
    e.peak_score = 0.995;
    if (service == "search") {
      if (pass > 0) return std::nullopt;  // gone from the recent points
      return CpuRise{e, 3.0};
    }
    if (pass == 0) return std::nullopt;  // not yet three points
    return CpuRise{e, pass == 1 ? 2.0 : 12.0};
  });
  c.OnEvent(ServiceEvent(1, "cart", "self_time_p95_ms", kNoon));
  c.OnEvent(RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", kNoon));
  auto starver = [&] {
    const Incident* i = c.Incidents()[0];
    for (const Candidate& cand : i->candidates) {
      for (const std::string& line : cand.evidence) {
        if (line.find("starves it of CPU") != std::string::npos) return cand.service;
      }
    }
    return std::string();
  };
  c.Advance(kNoon + 10 * kSec);
  EXPECT_EQ(starver(), "search");
  for (pass = 1; pass <= 2; ++pass) {
    c.OnEvent(ServiceEvent(3 + pass, "checkout", "p95_latency_ms", kNoon + pass * 10 * kSec));
    c.Advance(kNoon + (pass + 1) * 10 * kSec);
  }
  EXPECT_EQ(starver(), "index");  // 12 against search's remembered 3
  EXPECT_GE(std::count(asked.begin(), asked.end(), "search"), 3);
}

TEST(CorrelatorTest, FasterAnswersFewerErrorsTricklesAndTheMultiSignalViewOpenNoIncident) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  auto faster = ServiceEvent(1, "payment", "p95_latency_ms", kNoon);
  faster.observed = 50;  // below the expected 100
  auto fewer_errors = ServiceEvent(2, "cart", "error_ratio", kNoon);
  fewer_errors.observed = 10;
  c.OnEvent(faster);
  c.OnEvent(fewer_errors);
  c.OnEvent(ServiceEvent(3, "index", "multi_signal", kNoon));
  auto trickle = ServiceEvent(5, "index", "rate", kNoon);
  trickle.observed = 0.4;  // four calls on a path that is normally idle
  trickle.expected = 0.001;
  c.OnEvent(trickle);
  c.Advance(kNoon + kSec);
  EXPECT_EQ(c.open_count(), 0u);
  auto less_traffic = ServiceEvent(4, "search", "rate", kNoon + kSec);
  less_traffic.observed = 10;  // requests lost: that is an incident
  c.OnEvent(less_traffic);
  c.Advance(kNoon + 2 * kSec);
  EXPECT_EQ(c.open_count(), 1u);
}

TEST(CorrelatorTest, EvidenceThatCameFirstJoinsTheIncidentOpeningSoonAfter) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  c.OnPlacement({"payment", "node-1"});
  c.OnPlacement({"index", "node-1"});
  // index's CPU rises a window before payment's latency does: nothing to join yet.
  c.OnEvent(RuntimeEvent(1, "index", "process_cpu_utilization_ratio", kNoon));
  auto stale = RuntimeEvent(2, "checkout", "queue_depth", kNoon - 10 * 60 * kSec);
  c.OnEvent(stale);
  c.Advance(kNoon + 10 * kSec);
  EXPECT_EQ(c.open_count(), 0u);
  c.OnEvent(ServiceEvent(3, "payment", "p95_latency_ms", kNoon + 20 * kSec));
  c.Advance(kNoon + 30 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  const Incident* i = c.Incidents()[0];
  ASSERT_EQ(i->events.size(), 2u);  // the CPU joined; the queue odd for ten minutes did not
  EXPECT_EQ(i->events[1].id, 1u);
}

TEST(CorrelatorTest, TrailingTraceEvidenceOpensAnIncidentWhenItRises) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  // Only payment's own time rose (its callers' latency not yet): that is a symptom already.
  c.OnEvent(ServiceEvent(1, "payment", "self_time_p95_ms", kNoon));
  auto fell = ServiceEvent(2, "search", "self_time_p95_ms", kNoon);
  fell.observed = 10;  // less own time than usual: no symptom
  c.OnEvent(fell);
  c.Advance(kNoon + kSec);
  ASSERT_EQ(c.open_count(), 1u);
  EXPECT_EQ(c.Incidents()[0]->events[0].service, "payment");
}

// A service burning CPU to its limit and nothing else to see (its callers barely slowed): its CPU
// use and its throttling rising together open an incident, led by it; either alone, or a gauge
// odd for long with a fresh one, opens none.
TEST(CorrelatorTest, RuntimeMetricsOfTwoKindsRisingTogetherOpenAnIncident) {
  Correlator c;  // confirm_after: 1 minute
  c.UpdateGraph(ShopGraph());
  c.OnEvent(RuntimeEvent(1, "cart", "container_cpu_throttling_ratio", kNoon));
  c.Advance(kNoon + 90 * kSec);
  EXPECT_EQ(c.open_count(), 0u) << "throttling alone is evidence";
  c.OnEvent(RuntimeEvent(2, "cart", "process_cpu_utilization_ratio", kNoon + 20 * kSec));
  c.Advance(kNoon + 139 * kSec);
  EXPECT_EQ(c.open_count(), 0u) << "listed once both have been high for two minutes";
  c.Advance(kNoon + 140 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  ASSERT_EQ(c.Incidents().size(), 1u);
  const Incident* i = c.Incidents()[0];
  EXPECT_EQ(i->start_ns, kNoon);
  EXPECT_EQ(i->events.size(), 2u);
  EXPECT_EQ(i->candidates[0].service, "cart");

  // Another service: a queue odd for ten minutes and a fresh GC pause agree on nothing new.
  const core::TimeNs later = kNoon + 3600 * kSec;
  c.OnEvent(RuntimeEvent(3, "catalog", "queue_depth", later - 600 * kSec));
  c.OnEvent(RuntimeEvent(4, "catalog", "process_runtime_gc_pause_seconds", later));
  // Two instances of one kind are one kind.
  c.OnEvent(RuntimeEvent(5, "index", "container_cpu_throttling_ratio", later));
  c.OnEvent(RuntimeEvent(6, "index", "container_cpu_throttling_ratio", later + kSec));
  c.Advance(later + 5 * 60 * kSec);
  EXPECT_EQ(c.open_count(), 1u);
  EXPECT_EQ(c.Incidents().size(), 1u);

  CorrelatorConfig never;
  never.runtime_kinds_to_open = 0;
  Correlator off(never);
  off.OnEvent(RuntimeEvent(1, "cart", "container_cpu_throttling_ratio", kNoon));
  off.OnEvent(RuntimeEvent(2, "cart", "process_cpu_utilization_ratio", kNoon + 20 * kSec));
  off.Advance(kNoon + 5 * 60 * kSec);
  EXPECT_EQ(off.open_count(), 0u);
}

// Without symptoms, agreeing runtime metrics hold their incident open while two kinds are open;
// beside symptoms they hold nothing (a throttling gauge and a queue may stay odd long after).
TEST(CorrelatorTest, AgreeingRuntimeMetricsHoldAnIncidentOpenOnlyWithoutSymptoms) {
  const core::TimeNs grace = CorrelatorConfig{}.grace_ns;
  Correlator c;
  c.UpdateGraph(ShopGraph());
  auto cpu = RuntimeEvent(1, "cart", "process_cpu_utilization_ratio", kNoon);
  auto throttling = RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", kNoon + 10 * kSec);
  c.OnEvent(cpu);
  c.OnEvent(throttling);
  c.Advance(kNoon + 20 * 60 * kSec);
  ASSERT_EQ(c.open_count(), 1u) << "both still open after 20 minutes";
  Clear(c, cpu, kNoon + 21 * 60 * kSec);
  c.Advance(cpu.end_ns + grace - kSec);
  EXPECT_EQ(c.open_count(), 1u) << "the grace from the last agreement";
  c.Advance(cpu.end_ns + grace);
  EXPECT_EQ(c.open_count(), 0u) << "throttling alone holds nothing";
  ASSERT_EQ(c.Incidents().size(), 1u);
  EXPECT_EQ(c.Incidents()[0]->end_ns, cpu.end_ns);

  // The same with a symptom of cart's: the incident ends with the symptom.
  const core::TimeNs later = kNoon + 7200 * kSec;
  Correlator d;
  d.UpdateGraph(ShopGraph());
  d.OnEvent(RuntimeEvent(1, "cart", "process_cpu_utilization_ratio", later));
  d.OnEvent(RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", later + 10 * kSec));
  auto slow = ServiceEvent(3, "cart", "p95_latency_ms", later + 20 * kSec);
  d.OnEvent(slow);
  d.Advance(later + 3 * 60 * kSec);
  Clear(d, slow, later + 4 * 60 * kSec);
  d.Advance(slow.end_ns + grace);
  EXPECT_EQ(d.open_count(), 0u) << "the CPU and the throttling are still open";
  ASSERT_EQ(d.Incidents().size(), 1u);
  EXPECT_EQ(d.Incidents()[0]->start_ns, later);
}

// An incident of agreeing runtime metrics alone takes in symptoms near it that began with it, not
// a neighbour's errors minutes later (a deploy next door that its brief throttling explains not).
TEST(CorrelatorTest, RuntimeMetricsAloneTakeInNoSymptomThatBeganMinutesLater) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  c.OnEvent(RuntimeEvent(1, "cart", "process_cpu_utilization_ratio", kNoon));
  c.OnEvent(RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", kNoon + 10 * kSec));
  c.OnEvent(ServiceEvent(3, "checkout", "error_ratio", kNoon + 4 * 60 * kSec));
  // Checkout's CPU as it restarts, near both: it joins checkout's errors and bridges nothing.
  c.OnEvent(RuntimeEvent(4, "checkout", "process_cpu_utilization_ratio", kNoon + 250 * kSec));
  c.Advance(kNoon + 5 * 60 * kSec);
  ASSERT_EQ(c.open_count(), 2u);
  for (const Incident* i : c.Incidents()) {
    EXPECT_EQ(i->candidates[0].service, i->start_ns == kNoon ? "cart" : "checkout");
    EXPECT_EQ(i->events.size(), 2u);
  }

  // Its own slower answers, a minute in, are its.
  Correlator d(AtOnce());
  d.UpdateGraph(ShopGraph());
  d.OnEvent(RuntimeEvent(1, "cart", "process_cpu_utilization_ratio", kNoon));
  d.OnEvent(RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", kNoon + 10 * kSec));
  d.OnEvent(ServiceEvent(3, "checkout", "p95_latency_ms", kNoon + 60 * kSec));
  d.Advance(kNoon + 5 * 60 * kSec);
  ASSERT_EQ(d.open_count(), 1u);
  EXPECT_EQ(d.Incidents()[0]->events.size(), 3u);
}

// A database outage at midday: hundreds of callers, each with errors and latency on several
// operations and log templates, and the calls into the database, whose events come last. The
// incident takes every event, keeps in full only what the ranker reads, and ranks as the ranker
// does on all of them: the database first.
TEST(CorrelatorTest, AHugeIncidentKeepsWhatTheRankingReadsWhateverCameFirst) {
  constexpr int kCallers = 300;
  std::vector<GraphEdge> graph = {{"user", "frontend", "virtual_node"}};
  for (int i = 0; i < kCallers; ++i) {
    const std::string caller = fmt::format("svc-{}", i);
    graph.push_back({"frontend", caller, ""});
    graph.push_back({caller, "postgresql", "database"});
  }
  std::vector<detect::AnomalyEvent> all;
  uint64_t id = 1;
  // Scores vary, so that which event of a kind is the strongest matters.
  auto score = [&] { return 1 - std::pow(10.0, -2.0 - static_cast<double>(id * 7 % 9)); };
  for (int i = 0; i < kCallers; ++i) {
    const std::string caller = fmt::format("svc-{}", i);
    const core::TimeNs t = kNoon + (i % 60) * kSec;
    for (const char* signal : {"error_ratio", "p95_latency_ms"}) {
      all.push_back(ServiceEvent(id, caller, signal, t, score()));
      ++id;
      for (int op = 0; op < 8; ++op) {
        auto e = ServiceEvent(id, caller, signal, t + op * kSec, score());
        ++id;
        e.series =
            detect::SeriesRef{"span_metrics",
                              {{"service_name", caller},
                               {"span_kind", op % 2 == 0 ? "SPAN_KIND_SERVER" : "SPAN_KIND_CLIENT"},
                               {"span_name", fmt::format("op-{}", op)}},
                              signal};
        all.push_back(std::move(e));
      }
    }
    for (int k = 0; k < 6; ++k) {
      auto e = ServiceEvent(id, caller, "rate", t + 5 * kSec, score());
      ++id;
      e.series = detect::SeriesRef{
          "logs",
          {{"service_name", caller}, {"severity", "ERROR"}, {"template", fmt::format("t{}", k)}},
          "rate"};
      all.push_back(std::move(e));
    }
  }
  for (int i = 0; i < kCallers; ++i) {
    for (const char* signal : {"error_ratio", "p95_latency_ms"}) {
      all.push_back(
          EdgeEvent(id, fmt::format("svc-{}", i), "postgresql", signal, kNoon + 30 * kSec));
      all.back().peak_score = score();
      ++id;
    }
  }

  Correlator c(AtOnce());
  c.UpdateGraph(graph);
  for (const auto& e : all) c.OnEvent(e);
  c.Advance(kNoon + 2 * 60 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  const Incident& incident = *c.Incidents()[0];
  EXPECT_EQ(incident.event_count, all.size());
  // Of each caller's 7 kinds (error ratio and latency of the service, of its SERVER and of its
  // CLIENT operations; error logs) and the database's 2 (calls' error ratio and latency), the
  // strongest and the earliest.
  EXPECT_LE(incident.events.size(), 2u * (7 * kCallers + 2));
  ASSERT_FALSE(incident.candidates.empty());
  EXPECT_EQ(incident.candidates[0].service, "postgresql");
  EXPECT_EQ(incident.impacted.size(), static_cast<size_t>(kCallers) + 1);

  const Placements none;
  core::TimeNs latest = kNoon;
  for (const auto& e : all) latest = std::max(latest, EventTime(e));
  const std::vector<Candidate> direct =
      Ranker().Rank(all, graph, {}, incident.start_ns, &none, nullptr, latest);
  ASSERT_EQ(direct.size(), incident.candidates.size());
  for (size_t i = 0; i < direct.size(); ++i) {
    EXPECT_EQ(incident.candidates[i].service, direct[i].service) << i;
    EXPECT_DOUBLE_EQ(incident.candidates[i].score, direct[i].score) << i;
    EXPECT_EQ(incident.candidates[i].evidence, direct[i].evidence) << i;
  }

  // Every event it took holds it open, kept in full or not: it closes once all have cleared.
  for (auto e : all) {
    if (e.id % 2 == 1) Clear(c, e, kNoon + 3 * 60 * kSec);
  }
  c.Advance(kNoon + 3 * 60 * kSec + CorrelatorConfig{}.grace_ns + kSec);
  EXPECT_EQ(c.open_count(), 1u);
  for (auto e : all) {
    if (e.id % 2 == 0) Clear(c, e, kNoon + 4 * 60 * kSec);
  }
  c.Advance(kNoon + 4 * 60 * kSec + CorrelatorConfig{}.grace_ns + kSec);
  EXPECT_EQ(c.open_count(), 0u);
  ASSERT_EQ(c.Incidents().size(), 1u);
  EXPECT_EQ(c.Incidents()[0]->candidates[0].service, "postgresql");
}

// Of one kind of signal of a service, a stronger event displaces the strongest kept, an earlier
// one the earliest.
TEST(CorrelatorTest, AStrongerEventOfTheSameKindTakesTheKeptPlace) {
  Correlator c(AtOnce());
  c.UpdateGraph(ShopGraph());
  c.OnEvent(ServiceEvent(1, "payment", "error_ratio", kNoon, 0.999));
  auto op = [&](uint64_t id, const char* name, core::TimeNs t, double score) {
    auto e = ServiceEvent(id, "payment", "p95_latency_ms", t, score);
    e.series = detect::SeriesRef{
        "span_metrics",
        {{"service_name", "payment"}, {"span_kind", "SPAN_KIND_SERVER"}, {"span_name", name}},
        "p95_latency_ms"};
    return e;
  };
  c.OnEvent(op(2, "charge", kNoon + 10 * kSec, 0.999));
  c.OnEvent(op(3, "refund", kNoon + 20 * kSec, 0.99999));
  c.OnEvent(op(4, "verify", kNoon + 30 * kSec, 0.9999));
  auto ids = [&] {
    std::vector<uint64_t> out;
    for (const auto& e : c.Incidents()[0]->events) out.push_back(e.id);
    return out;
  };
  c.Advance(kNoon + 40 * kSec);
  EXPECT_EQ(ids(), (std::vector<uint64_t>{1, 2, 3}));  // 4 is neither
  EXPECT_EQ(c.Incidents()[0]->event_count, 4u);
  // The weaker one's peak rises above the kept one's.
  auto rising = op(4, "verify", kNoon + 30 * kSec, 0.999999);
  rising.peak_ns = kNoon + 45 * kSec;
  c.OnEvent(rising);
  // An event of the kind that began before the others.
  c.OnEvent(op(5, "settle", kNoon - 30 * kSec, 0.99));
  c.Advance(kNoon + 50 * kSec);
  EXPECT_EQ(ids(), (std::vector<uint64_t>{1, 4, 5}));  // 1: payment's strongest error ratio
  EXPECT_EQ(c.Incidents()[0]->event_count, 5u);
  EXPECT_EQ(c.Incidents()[0]->start_ns, kNoon - 30 * kSec);
}

// An incident follows at most max_events_per_incident events: later ones do not join.
TEST(CorrelatorTest, AFullIncidentTakesNoMoreEvents) {
  CorrelatorConfig config = AtOnce();
  config.max_events_per_incident = 2;
  Correlator c(config);
  c.UpdateGraph(ShopGraph());
  auto payment = ServiceEvent(1, "payment", "error_ratio", kNoon);
  auto checkout = ServiceEvent(2, "checkout", "error_ratio", kNoon);
  c.OnEvent(payment);
  c.OnEvent(checkout);
  c.OnEvent(ServiceEvent(3, "frontend", "error_ratio", kNoon + 10 * kSec));
  c.Advance(kNoon + 20 * kSec);
  ASSERT_EQ(c.open_count(), 1u);
  EXPECT_EQ(c.Incidents()[0]->event_count, 2u);
  EXPECT_EQ(c.Incidents()[0]->impacted, (std::vector<std::string>{"checkout", "payment"}));
  // Frontend's errors, still open, do not hold it.
  Clear(c, payment, kNoon + 30 * kSec);
  Clear(c, checkout, kNoon + 30 * kSec);
  c.Advance(kNoon + 30 * kSec + CorrelatorConfig{}.grace_ns);
  EXPECT_EQ(c.open_count(), 0u);
}

}  // namespace
}  // namespace augur::rca
