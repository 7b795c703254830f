#include "sim/fleet.h"

#include <algorithm>
#include <iostream>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "sim/routing.h"

namespace augur::sim {
namespace {

Fleet BuildOrDie(int services, uint64_t seed = 1) {
  FleetOptions options;
  options.services = services;
  options.seed = seed;
  absl::StatusOr<Fleet> fleet = Fleet::Build(options);
  EXPECT_TRUE(fleet.ok()) << fleet.status();
  return *std::move(fleet);
}

// The distinct services each service calls or publishes to.
std::vector<std::set<int>> Callees(const Fleet& fleet) {
  std::vector<std::set<int>> out(fleet.services.size());
  for (int u = 0; u < static_cast<int>(fleet.services.size()); ++u) {
    for (const Operation& op : fleet.services[u].operations) {
      for (const CallStep& step : op.steps) {
        if (step.kind == StepKind::kCall && step.probability > 0) out[u].insert(step.target);
        if (step.kind == StepKind::kPublish && step.probability > 0) {
          out[u].insert(step.consumers.begin(), step.consumers.end());
        }
      }
    }
  }
  return out;
}

// Longest path (in services) from an entry point to each service.
std::vector<int> Depths(const Fleet& fleet) {
  const std::vector<std::set<int>> callees = Callees(fleet);
  std::vector<int> order(fleet.services.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return fleet.services[a].level < fleet.services[b].level; });
  std::vector<int> depth(fleet.services.size(), 0);
  for (int u : order) {
    if (fleet.services[u].entry) depth[u] = std::max(depth[u], 1);
    for (int v : callees[u]) depth[v] = std::max(depth[v], depth[u] + 1);
  }
  return depth;
}

TEST(FleetTest, HasExactlyTheRequestedServicesWithUniqueNames) {
  for (int n : {10, 11, 20, 21, 57, 500, 1500}) {
    const Fleet fleet = BuildOrDie(n);
    ASSERT_EQ(static_cast<int>(fleet.services.size()), n);
    absl::flat_hash_set<std::string> names;
    for (const Service& s : fleet.services) {
      EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
      EXPECT_FALSE(s.name.empty());
      EXPECT_EQ(s.name.find(' '), std::string::npos) << s.name;
    }
    EXPECT_EQ(fleet.services[0].name, "frontend");
  }
}

TEST(FleetTest, RejectsSizesOutsideTheRange) {
  FleetOptions options;
  options.services = 9;
  EXPECT_EQ(Fleet::Build(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.services = kMaxServices + 1;
  EXPECT_EQ(Fleet::Build(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FleetTest, ContainsTheShopCoreAndItsPeers) {
  const Fleet fleet = BuildOrDie(500);
  for (const char* name :
       {"frontend", "product-catalog", "cart", "checkout", "payment", "shipping", "currency",
        "email", "recommendation", "ad", "api-gateway", "mobile-bff", "auth"}) {
    EXPECT_GE(fleet.FindService(name), 0) << name;
  }
  // The cache and the database are peers, never services.
  EXPECT_EQ(fleet.FindService("redis"), -1);
  EXPECT_EQ(fleet.FindService("postgresql"), -1);
  EXPECT_GE(fleet.FindPeer("redis"), 0);
  EXPECT_GE(fleet.FindPeer("postgresql"), 0);
  EXPECT_GE(fleet.FindPeer("payment-provider"), 0);
}

TEST(FleetTest, ServicesHaveThreeToThirtyOperationsAndOneToFiveInstances) {
  const Fleet fleet = BuildOrDie(500);
  absl::flat_hash_set<std::string> ids, pods;
  int with_many_operations = 0;
  for (const Service& s : fleet.services) {
    EXPECT_GE(s.operations.size(), 3u) << s.name;
    EXPECT_LE(s.operations.size(), 30u) << s.name;
    with_many_operations += s.operations.size() >= 12;
    EXPECT_GE(s.instances.size(), 1u) << s.name;
    EXPECT_LE(s.instances.size(), 5u) << s.name;
    absl::flat_hash_set<std::string> op_names;
    for (const Operation& op : s.operations) {
      EXPECT_TRUE(op_names.insert(op.name).second) << s.name << " " << op.name;
    }
    for (int i : s.instances) {
      EXPECT_EQ(fleet.instances[i].service, &s - fleet.services.data());
      EXPECT_TRUE(ids.insert(fleet.instances[i].instance_id).second);
      EXPECT_TRUE(pods.insert(fleet.instances[i].pod_name).second);
    }
  }
  // The operation count is heavy-tailed: a few services have many.
  EXPECT_GT(with_many_operations, 5);
}

TEST(FleetTest, CallGraphIsADagOfDepthThreeToEightWithEveryServiceReachable) {
  for (int n : {10, 30, 120, 500, 2000}) {
    const Fleet fleet = BuildOrDie(n, 7);
    const std::vector<std::set<int>> callees = Callees(fleet);
    for (int u = 0; u < n; ++u) {
      for (int v : callees[u]) {
        // Calls go strictly deeper: no cycles.
        EXPECT_LT(fleet.services[u].level, fleet.services[v].level)
            << fleet.services[u].name << " -> " << fleet.services[v].name;
      }
    }
    std::vector<bool> seen(n, false);
    std::queue<int> queue;
    for (const EntryPoint& e : fleet.entries) {
      if (!seen[e.service]) queue.push(e.service);
      seen[e.service] = true;
    }
    while (!queue.empty()) {
      const int u = queue.front();
      queue.pop();
      for (int v : callees[u]) {
        if (!seen[v]) queue.push(v);
        seen[v] = true;
      }
    }
    for (int v = 0; v < n; ++v) EXPECT_TRUE(seen[v]) << fleet.services[v].name << " unreachable";
    const std::vector<int> depth = Depths(fleet);
    const int max_depth = *std::max_element(depth.begin(), depth.end());
    EXPECT_GE(max_depth, 3) << n;
    EXPECT_LE(max_depth, 8) << n;
  }
}

TEST(FleetTest, DegreesAreHeavyTailedWithHubs) {
  const Fleet fleet = BuildOrDie(500);
  const std::vector<std::set<int>> callees = Callees(fleet);
  std::vector<int> in_degree(fleet.services.size(), 0);
  std::vector<int> out_degree;
  for (const std::set<int>& c : callees) {
    out_degree.push_back(static_cast<int>(c.size()));
    for (int v : c) ++in_degree[v];
  }
  const auto share = [](const std::vector<int>& d, int at_most) {
    return static_cast<double>(
               std::count_if(d.begin(), d.end(), [&](int x) { return x <= at_most; })) /
           static_cast<double>(d.size());
  };
  // Most services call at most two others and are called by at most two...
  EXPECT_GE(share(out_degree, 2), 0.6);
  EXPECT_GE(share(in_degree, 2), 0.7);
  // ...while a few call many, and a few hubs are called by many.
  EXPECT_GE(*std::max_element(out_degree.begin(), out_degree.end()), 15);
  int hubs = 0;
  for (int d : in_degree) hubs += d >= 20;
  EXPECT_GE(hubs, 3);
  for (const char* hub : {"auth", "currency", "product-catalog"}) {
    EXPECT_GE(in_degree[fleet.FindService(hub)], 10) << hub;
  }
}

TEST(FleetTest, SomeServicesCallTheCacheDatabaseAndExternalApis) {
  const Fleet fleet = BuildOrDie(500);
  std::vector<int> callers(fleet.peers.size(), 0);
  for (const Service& s : fleet.services) {
    std::set<int> peers;
    for (const Operation& op : s.operations) {
      for (const CallStep& step : op.steps) {
        if (step.kind == StepKind::kPeer) peers.insert(step.target);
      }
    }
    for (int p : peers) ++callers[p];
  }
  EXPECT_GE(callers[fleet.FindPeer("postgresql")], 100);
  EXPECT_GE(callers[fleet.FindPeer("redis")], 50);
  EXPECT_GE(callers[fleet.FindPeer("payment-provider")], 1);
}

TEST(FleetTest, RoutingReachesEveryServiceAndKeepsTracesModest) {
  const Fleet fleet = BuildOrDie(500);
  const ExpectedTraffic traffic = ComputeExpectedTraffic(fleet);
  for (size_t v = 0; v < fleet.services.size(); ++v) {
    EXPECT_GE(traffic.service_reach[v], 0.015 * 0.999) << fleet.services[v].name;
  }
  EXPECT_GT(traffic.spans_per_trace, 20);
  EXPECT_LT(traffic.spans_per_trace, 90);
}

TEST(FleetTest, SameSeedSameFleetOtherSeedOtherFleet) {
  const Fleet a = BuildOrDie(300, 42), b = BuildOrDie(300, 42), c = BuildOrDie(300, 43);
  ASSERT_EQ(a.services.size(), b.services.size());
  bool differs = false;
  for (size_t i = 0; i < a.services.size(); ++i) {
    EXPECT_EQ(a.services[i].name, b.services[i].name);
    EXPECT_EQ(a.services[i].level, b.services[i].level);
    ASSERT_EQ(a.services[i].operations.size(), b.services[i].operations.size());
    for (size_t j = 0; j < a.services[i].operations.size(); ++j) {
      const Operation& x = a.services[i].operations[j];
      const Operation& y = b.services[i].operations[j];
      EXPECT_EQ(x.name, y.name);
      ASSERT_EQ(x.steps.size(), y.steps.size());
      for (size_t k = 0; k < x.steps.size(); ++k) {
        EXPECT_EQ(x.steps[k].target, y.steps[k].target);
        EXPECT_EQ(x.steps[k].probability, y.steps[k].probability);
      }
    }
    differs |= a.services[i].name != c.services[i].name;
  }
  EXPECT_EQ(a.instances.size(), b.instances.size());
  EXPECT_TRUE(differs);
}

// Not a check: prints the topology numbers quoted in docs/simulator.md.
TEST(FleetTest, PrintsTopologySummary) {
  const Fleet fleet = BuildOrDie(500);
  const std::vector<int> depth = Depths(fleet);
  std::vector<int> by_depth(10, 0);
  for (int d : depth) ++by_depth[d];
  const std::vector<std::set<int>> callees = Callees(fleet);
  std::vector<int> in_degree(fleet.services.size(), 0), out_hist(64, 0);
  for (const std::set<int>& c : callees) {
    ++out_hist[std::min<size_t>(63, c.size())];
    for (int v : c) ++in_degree[v];
  }
  std::cout << "levels=" << fleet.levels << " instances=" << fleet.instances.size()
            << " spans/trace=" << fleet.spans_per_trace << "\ndepth:";
  for (int d = 1; d < 10; ++d) std::cout << " " << d << ":" << by_depth[d];
  std::cout << "\nout-degree:";
  for (int d = 0; d < 64; ++d) {
    if (out_hist[d] > 0) std::cout << " " << d << ":" << out_hist[d];
  }
  std::vector<std::pair<int, std::string>> hubs;
  for (size_t v = 0; v < fleet.services.size(); ++v) {
    hubs.emplace_back(in_degree[v], fleet.services[v].name);
  }
  std::sort(hubs.rbegin(), hubs.rend());
  std::cout << "\ntop in-degree:";
  for (int i = 0; i < 8; ++i) std::cout << " " << hubs[i].second << ":" << hubs[i].first;
  int operations = 0;
  for (const Service& s : fleet.services) operations += static_cast<int>(s.operations.size());
  std::cout << "\noperations=" << operations << "\n";
}

}  // namespace
}  // namespace augur::sim
