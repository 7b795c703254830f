#include "sim/scenario.h"
#include "sim/routing.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "sim/fleet.h"
#include "sim/simulator.h"

#ifndef AUGUR_SCENARIOS_DIR
#error "AUGUR_SCENARIOS_DIR must name deploy/scenarios"
#endif

namespace augur::sim {
namespace {

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;
constexpr core::TimeNs kMinute = core::kNsPerMinute;

const Fleet& FleetOf(int services) {
  static const Fleet* small = [] {
    FleetOptions options;
    options.services = 50;
    return new Fleet(*Fleet::Build(options));
  }();
  static const Fleet* large = [] {
    FleetOptions options;
    options.services = 500;
    return new Fleet(*Fleet::Build(options));
  }();
  return services == 50 ? *small : *large;
}

TEST(ScenarioTest, FaultTypesRoundTripByName) {
  std::set<std::string_view> names;
  for (FaultType type : kAllFaultTypes) {
    names.insert(FaultTypeName(type));
    EXPECT_EQ(ParseFaultType(FaultTypeName(type)), type);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"latency", "bad_deploy", "cpu", "memory_leak",
                                               "peer_outage", "packet_loss", "traffic_surge",
                                               "noisy_neighbour"}));
  EXPECT_EQ(ParseFaultType("Latency"), std::nullopt);
}

TEST(ScenarioTest, ParsesTheDocumentedFormat) {
  const absl::StatusOr<Scenario> s = ParseScenario(R"(
name: payment-bad-deploy
faults:
  - type: bad_deploy
    target: payment
    operation: "POST /charge"   # optional
    intensity: 0.8
    start: 30m       # offset from the simulation start
    duration: 15m
  - {type: packet_loss, target: payment, other: checkout, start: 1h, duration: 90s}
  - {type: traffic_surge, duration: 5m}
)");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "payment-bad-deploy");
  ASSERT_EQ(s->faults.size(), 3u);
  const FaultSpec& a = s->faults[0];
  EXPECT_EQ(a.type, FaultType::kBadDeploy);
  EXPECT_EQ(a.target, "payment");
  EXPECT_EQ(a.operation, "POST /charge");
  EXPECT_DOUBLE_EQ(a.intensity, 0.8);
  EXPECT_EQ(a.start_offset_ns, 30 * kMinute);
  EXPECT_EQ(a.duration_ns, 15 * kMinute);
  const FaultSpec& b = s->faults[1];
  EXPECT_EQ(b.type, FaultType::kPacketLoss);
  EXPECT_EQ(b.other, "checkout");
  EXPECT_DOUBLE_EQ(b.intensity, 1);  // the default
  EXPECT_EQ(b.start_offset_ns, 60 * kMinute);
  EXPECT_EQ(b.duration_ns, 90 * core::kNsPerSecond);
  EXPECT_EQ(s->faults[2].target, "");  // the entry, resolved later
}

TEST(ScenarioTest, ParseErrorsNameTheKey) {
  const struct {
    const char* yaml;
    const char* key;
  } cases[] = {
      {"faults: [{type: cpu, target: cart, duration: 1m}]", "name"},
      {"name: x", "faults"},
      {"name: x\nfaults: [{type: slow, target: cart, duration: 1m}]", "faults[0].type"},
      {"name: x\nfaults: [{target: cart, duration: 1m}]", "faults[0].type"},
      {"name: x\nfaults: [{type: cpu, duration: 1m}]", "faults[0].target"},
      {"name: x\nfaults: [{type: cpu, target: cart}]", "faults[0].duration"},
      {"name: x\nfaults: [{type: cpu, target: cart, duration: soon}]", "faults[0].duration"},
      {"name: x\nfaults: [{type: cpu, target: cart, duration: 1m, start: later}]",
       "faults[0].start"},
      {"name: x\nfaults: [{type: cpu, target: cart, duration: 1m},\n"
       "         {type: cpu, target: cart, duration: 1m, intensity: 1.5}]",
       "faults[1].intensity"},
      {"name: x\nfaults: [{type: cpu, target: cart, duration: 1m, intensity: 0}]",
       "faults[0].intensity"},
      {"name: x\nfaults: [{type: cpu, target: cart, duration: 1m, targte: cart}]",
       "faults[0].targte"},
      {"name: x\nfaults: [{type: packet_loss, target: cart, duration: 1m}]", "faults[0].other"},
      {"name: x\nfaults: [{type: cpu, target: cart, other: ad, duration: 1m}]", "faults[0].other"},
      {"name: x\nfaults: [{type: cpu, target: cart, operation: GetCart, duration: 1m}]",
       "faults[0].operation"},
      {"name: x\nfaults: [cpu]", "faults[0]"},
      {"name: x\nfault: []", "fault"},
      {"name: [x\n", "scenario"},
  };
  for (const auto& c : cases) {
    const absl::StatusOr<Scenario> s = ParseScenario(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(std::string(s.status().message()).find(c.key), std::string::npos)
        << c.yaml << " -> " << s.status();
  }
}

TEST(ScenarioTest, ResolveErrorsNameTheTarget) {
  const struct {
    FaultSpec spec;
    const char* expected;
  } cases[] = {
      {{FaultType::kCpu, "no-such-service", "", "", 1, 0, kMinute}, "\"no-such-service\""},
      {{FaultType::kCpu, "postgresql", "", "", 1, 0, kMinute}, "\"postgresql\" is a peer"},
      {{FaultType::kPeerOutage, "payment", "", "", 1, 0, kMinute}, "\"payment\" is not a peer"},
      {{FaultType::kPacketLoss, "checkout", "payment", "", 1, 0, kMinute},
       "\"payment\" does not call \"checkout\""},
      {{FaultType::kTrafficSurge, "payment", "", "", 1, 0, kMinute},
       "\"payment\" is not an entry point"},
      {{FaultType::kNoisyNeighbour, "ad", "ad", "", 1, 0, kMinute}, "faults[0].other"},
      {{FaultType::kBadDeploy, "payment", "", "Teleport", 1, 0, kMinute},
       "\"Teleport\" is not an operation of payment"},
      {{FaultType::kLatency, "cart", "", "", 2, 0, kMinute}, "faults[0].intensity"},
  };
  for (const auto& c : cases) {
    const absl::StatusOr<ResolvedScenario> r =
        ResolveScenario(Scenario{"bad", {c.spec}}, FleetOf(50), kStart);
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find(c.expected), std::string::npos) << r.status();
  }
}

TEST(ScenarioTest, ResolvesToFaultsAndAbsoluteGroundTruth) {
  Scenario s{"mixed",
             {{FaultType::kBadDeploy, "payment", "", "", 0.8, 30 * kMinute, 15 * kMinute},
              {FaultType::kPeerOutage, "postgresql", "", "", 1, 60 * kMinute, 5 * kMinute},
              {FaultType::kTrafficSurge, "", "", "", 1, 0, 10 * kMinute},
              {FaultType::kNoisyNeighbour, "ad", "recommendation", "", 1, 0, kMinute}}};
  const absl::StatusOr<ResolvedScenario> r = ResolveScenario(s, FleetOf(50), kStart);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->ground_truths.size(), 4u);
  const GroundTruth& deploy = r->ground_truths[0];
  EXPECT_EQ(deploy.scenario, "mixed");
  EXPECT_EQ(deploy.type, FaultType::kBadDeploy);
  EXPECT_EQ(deploy.root_cause, "payment");
  EXPECT_EQ(deploy.start_ns, kStart + 30 * kMinute);
  EXPECT_EQ(deploy.end_ns, kStart + 45 * kMinute);
  // The busiest operation, named in the description.
  EXPECT_NE(deploy.description.find("oteldemo.PaymentService/Charge"), std::string::npos)
      << deploy.description;
  EXPECT_NE(deploy.description.find("1.5.0"), std::string::npos) << deploy.description;
  EXPECT_EQ(r->ground_truths[1].root_cause, "postgresql");
  EXPECT_EQ(r->ground_truths[2].root_cause, "frontend");
  EXPECT_EQ(r->ground_truths[3].root_cause, "ad");
  EXPECT_EQ(r->ground_truths[3].other, "recommendation");
  EXPECT_NE(r->ground_truths[3].description.find("recommendation starved of CPU by ad"),
            std::string::npos)
      << r->ground_truths[3].description;
  // A surge also saturates the services behind the entry; a noisy neighbour has two halves.
  EXPECT_GT(r->faults.size(), 6u);
  EXPECT_TRUE(FaultSchedule::Create(FleetOf(50), r->faults).ok());
}

TEST(ScenarioTest, EveryLibraryScenarioLoadsAndResolves) {
  std::set<FaultType> types;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(AUGUR_SCENARIOS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    const absl::StatusOr<Scenario> s = LoadScenario(entry.path().string());
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->name, entry.path().stem().string()) << "the name is the file's";
    const absl::StatusOr<ResolvedScenario> r = ResolveScenario(*s, FleetOf(50), kStart);
    ASSERT_TRUE(r.ok()) << entry.path() << ": " << r.status();
    EXPECT_TRUE(FaultSchedule::Create(FleetOf(50), r->faults).ok()) << entry.path();
    EXPECT_EQ(r->ground_truths.size(), s->faults.size());
    for (const FaultSpec& f : s->faults) types.insert(f.type);
  }
  EXPECT_GE(files, 8);
  EXPECT_EQ(types.size(), std::size(kAllFaultTypes)) << "a file for every fault type";
  EXPECT_EQ(LoadScenario("/no/such/file.yaml").status().code(), absl::StatusCode::kNotFound);
}

bool ShareANode(const Fleet& fleet, int a, int b) {
  for (int pa : fleet.services[a].instances) {
    for (int pb : fleet.services[b].instances) {
      if (fleet.instances[pa].node_name == fleet.instances[pb].node_name) return true;
    }
  }
  return false;
}

TEST(ScenarioTest, ANamedNoisyNeighbourIsScheduledOntoItsVictimsNode) {
  Fleet fleet = FleetOf(50);
  // The first pair of services sharing no node, and one sharing a node.
  int noisy = -1, victim = -1, near = -1;
  const int n = static_cast<int>(fleet.services.size());
  for (int a = 1; a < n && noisy < 0; ++a) {
    for (int b = 1; b < n; ++b) {
      if (a != b && !ShareANode(fleet, a, b)) {
        noisy = a;
        victim = b;
        break;
      }
    }
  }
  ASSERT_GE(noisy, 0) << "a fleet of 50 has services on different nodes";
  for (int c = 1; c < n; ++c) {
    if (c != noisy && c != victim && ShareANode(fleet, c, victim)) near = c;
  }
  ASSERT_GE(near, 0);
  Scenario scenario;
  scenario.faults.push_back({.type = FaultType::kNoisyNeighbour,
                             .target = fleet.services[noisy].name,
                             .other = fleet.services[victim].name});
  scenario.faults.push_back({.type = FaultType::kNoisyNeighbour,
                             .target = fleet.services[near].name,
                             .other = fleet.services[victim].name});
  scenario.faults.push_back({.type = FaultType::kNoisyNeighbour,
                             .target = "no-such-service",
                             .other = fleet.services[victim].name});
  const Fleet before = fleet;
  ColocateNoisyNeighbours(scenario, &fleet);
  EXPECT_TRUE(ShareANode(fleet, noisy, victim));
  // One pod moved: the one of the pair that shared no node.
  int moved = 0;
  for (size_t i = 0; i < fleet.instances.size(); ++i) {
    if (fleet.instances[i].node_name == before.instances[i].node_name) continue;
    ++moved;
    EXPECT_EQ(fleet.instances[i].service, noisy);
  }
  EXPECT_EQ(moved, 1);
  EXPECT_TRUE(ResolveScenario(scenario, fleet, kStart).status().code() ==
              absl::StatusCode::kInvalidArgument)
      << "an unknown name is still ResolveScenario's to report";
}

TEST(ScenarioTest, RandomScenariosAreDeterministicAndResolveOnSmallAndLargeFleets) {
  for (int services : {50, 500}) {
    for (FaultType type : kAllFaultTypes) {
      std::set<std::string> targets;
      for (uint64_t seed = 1; seed <= 6; ++seed) {
        const absl::StatusOr<Scenario> s =
            RandomScenario(type, services, 1, seed, 30 * kMinute, 15 * kMinute);
        ASSERT_TRUE(s.ok()) << s.status();
        const absl::StatusOr<Scenario> again =
            RandomScenario(type, services, 1, seed, 30 * kMinute, 15 * kMinute);
        ASSERT_EQ(s->faults.size(), 1u);
        const FaultSpec& f = s->faults[0];
        const FaultSpec& g = again->faults[0];
        EXPECT_EQ(f.target, g.target);
        EXPECT_EQ(f.other, g.other);
        EXPECT_EQ(f.intensity, g.intensity);
        EXPECT_EQ(f.type, type);
        EXPECT_GE(f.intensity, 0.5);
        EXPECT_LE(f.intensity, 1.0);
        EXPECT_EQ(f.start_offset_ns, 30 * kMinute);
        EXPECT_EQ(f.duration_ns, 15 * kMinute);
        EXPECT_FALSE(f.target.empty());
        const Fleet& fleet = FleetOf(services);
        const absl::StatusOr<ResolvedScenario> r = ResolveScenario(*s, fleet, kStart);
        ASSERT_TRUE(r.ok()) << FaultTypeName(type) << " " << services << ": " << r.status();
        targets.insert(f.target + "/" + f.other);
        switch (type) {
          case FaultType::kPeerOutage:
            EXPECT_GE(fleet.FindPeer(f.target), 0);
            break;
          case FaultType::kTrafficSurge:
            EXPECT_EQ(f.target, "frontend");
            break;
          case FaultType::kNoisyNeighbour:
            EXPECT_FALSE(f.other.empty());
            EXPECT_NE(f.other, f.target);
            break;
          case FaultType::kPacketLoss: {
            EXPECT_NE(f.other, f.target);
            // The lossy edge carries traffic (the callee's calls from that caller).
            const auto calls = ExpectedEdgeCalls(fleet, ComputeExpectedTraffic(fleet));
            auto it = calls.find({fleet.FindService(f.other), fleet.FindService(f.target)});
            ASSERT_NE(it, calls.end()) << f.other << " -> " << f.target;
            EXPECT_GE(it->second, 0.05) << f.other << " -> " << f.target;
            break;
          }
          default:
            EXPECT_GE(fleet.FindService(f.target), 0);
            EXPECT_FALSE(fleet.services[fleet.FindService(f.target)].entry);
        }
      }
      // The seed varies the target (but there is one entry to surge at and few peers).
      if (type != FaultType::kTrafficSurge && type != FaultType::kPeerOutage) {
        EXPECT_GT(targets.size(), 1u) << FaultTypeName(type) << " on " << services;
      }
    }
  }
}

TEST(ScenarioTest, GroundTruthJsonHasEveryField) {
  GroundTruth t;
  t.scenario = "s \"1\"";
  t.type = FaultType::kPacketLoss;
  t.root_cause = "payment";
  t.other = "checkout";
  t.start_ns = kStart;
  t.end_ns = kStart + 15 * kMinute;
  t.description = "packet loss\non calls";
  const nlohmann::json doc = nlohmann::json::parse(GroundTruthJson({t, t}));
  ASSERT_EQ(doc.at("faults").size(), 2u);
  const nlohmann::json& f = doc["faults"][0];
  EXPECT_EQ(f.at("scenario"), "s \"1\"");
  EXPECT_EQ(f.at("type"), "packet_loss");
  EXPECT_EQ(f.at("root_cause"), "payment");
  EXPECT_EQ(f.at("other"), "checkout");
  EXPECT_EQ(f.at("start"), "2026-01-07T12:00:00.000Z");
  EXPECT_EQ(f.at("end"), "2026-01-07T12:15:00.000Z");
  EXPECT_EQ(f.at("start_ns").get<int64_t>(), kStart);
  EXPECT_EQ(f.at("end_ns").get<int64_t>(), kStart + 15 * kMinute);
  EXPECT_EQ(f.at("description"), "packet loss\non calls");
  EXPECT_EQ(nlohmann::json::parse(GroundTruthJson({})).at("faults").size(), 0u);
}

SimulatorOptions RecordOnly() {
  SimulatorOptions o;
  o.endpoint = "none";
  o.record_path = "/dev/null";
  o.services = 20;
  o.rate = 5;
  o.speedup = 1e6;
  o.duration_s = 5;
  o.start_time_ns = kStart;
  return o;
}

TEST(ScenarioTest, SimulatorPublishesGroundTruthAndRejectsBadTargets) {
  SimulatorOptions o = RecordOnly();
  o.scenario = Scenario{"one", {{FaultType::kCpu, "cart", "", "", 1, kMinute, kMinute}}};
  std::vector<GroundTruth> at_start;
  o.on_start = [&](const std::vector<GroundTruth>& truths) { at_start = truths; };
  Simulator sim(o);
  ASSERT_TRUE(sim.Run().ok());
  ASSERT_EQ(at_start.size(), 1u);
  EXPECT_EQ(at_start[0].root_cause, "cart");
  EXPECT_EQ(at_start[0].start_ns, kStart + kMinute);
  EXPECT_EQ(sim.GroundTruths().size(), 1u);

  SimulatorOptions bad = RecordOnly();
  bad.scenario = Scenario{"bad", {{FaultType::kCpu, "kart", "", "", 1, 0, kMinute}}};
  const absl::Status status = Simulator(bad).Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("\"kart\""), std::string::npos) << status;

  SimulatorOptions nowhere = RecordOnly();
  nowhere.record_path.clear();
  EXPECT_EQ(Simulator(nowhere).Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace augur::sim
