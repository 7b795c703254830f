#include "sim/fleet.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include <fmt/printf.h>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "sim/core_shop.h"
#include "sim/operation_factory.h"
#include "sim/routing.h"
#include "sim/service_names.h"
#include "sim/text.h"

namespace augur::sim {

std::string_view LanguageName(Language language) {
  switch (language) {
    case Language::kGo:
      return "go";
    case Language::kJava:
      return "java";
    case Language::kPython:
      return "python";
    case Language::kNodeJs:
      return "nodejs";
    case Language::kDotNet:
      return "dotnet";
    case Language::kRuby:
      return "ruby";
    case Language::kPhp:
      return "php";
  }
  return "unknown";
}

int Fleet::FindService(std::string_view name) const {
  for (int i = 0; i < static_cast<int>(services.size()); ++i) {
    if (services[i].name == name) return i;
  }
  return -1;
}

int Fleet::FindPeer(std::string_view name) const {
  for (int i = 0; i < static_cast<int>(peers.size()); ++i) {
    if (peers[i].name == name) return i;
  }
  return -1;
}

namespace {

constexpr size_t kMaxOperations = 30;
// A handler makes at most this many different downstream calls (routing may add a few more).
constexpr int kMaxCallsPerOperation = 10;
// Expected generated calls per invocation of a handler, before routing scales them.
constexpr double kMaxExpectedFanout = 1.5;

// Shape of the call graph's levels: deeper for bigger fleets, 4 (the core shop's depth) to 8.
int LevelsFor(int services) {
  return std::clamp(2 + static_cast<int>(std::lround(0.67 * std::log2(services))), 4, 8);
}

// How a generated service's calls are drawn.
struct TailTraits {
  ServiceRole role = ServiceRole::kRpc;
  double fitness = 1;  // heavy-tailed attractiveness as a caller: makes fan-out heavy-tailed
};

// An edge of the service graph before it becomes steps in operations.
struct Edge {
  int caller;
  int callee;
  bool hub;    // one of the many calls into a hub
  bool async;  // a message instead of a call
};

class TailBuilder {
 public:
  TailBuilder(Rng& rng, Fleet* fleet) : rng_(rng), fleet_(fleet) {}

  void Build(int count) {
    core_count_ = static_cast<int>(fleet_->services.size());
    traits_.resize(core_count_);
    for (int i = 0; i < core_count_; ++i) {
      // The entry points and the checkout flow call most; the frontend most of all.
      traits_[i].fitness = fleet_->services[i].entry ? 4.0 : 1.5;
    }
    traits_[0].fitness = 8.0;
    AddServices(count);
    DrawEdges();
    AddHubEdges();
    for (const Edge& e : edges_) AttachEdge(e);
    for (int v = core_count_; v < static_cast<int>(fleet_->services.size()); ++v) AddLocalSteps(v);
    for (int v = core_count_; v < static_cast<int>(fleet_->services.size()); ++v) OrderSteps(v);
  }

 private:
  static Language DrawLanguage(Rng& rng) {
    static constexpr double kWeights[] = {0.28, 0.25, 0.15, 0.12, 0.10, 0.05, 0.05};
    return static_cast<Language>(rng.PickWeighted(kWeights));
  }

  void AddServices(int count) {
    absl::flat_hash_set<std::string> taken;
    for (const Service& s : fleet_->services) taken.insert(s.name);
    for (const Peer& p : fleet_->peers) taken.insert(p.name);  // "carrier-api" is a peer
    std::vector<GeneratedServiceName> names = GenerateServiceNames(count, taken, rng_);

    const int levels = fleet_->levels;
    std::vector<double> level_weights(levels, 0.0);
    for (int l = 1; l < levels; ++l) {
      level_weights[l] = std::sin(std::numbers::pi * l / levels) + 0.35;
    }
    for (int i = 0; i < count; ++i) {
      Service s;
      s.name = std::move(names[i].name);
      s.domain = std::move(names[i].domain);
      // The first few fill every level so the graph reaches its full depth.
      s.level = i < levels - 1 ? i + 1 : static_cast<int>(rng_.PickWeighted(level_weights));
      const ServiceRole role = names[i].role;
      const double grpc_share = role == ServiceRole::kApi         ? 0.0
                                : role == ServiceRole::kDataStore ? 0.75
                                : role == ServiceRole::kWorker    ? 0.5
                                                                  : 0.65;
      s.protocol = rng_.Bernoulli(grpc_share) ? OperationKind::kGrpc : OperationKind::kHttp;
      static constexpr int kHttpPorts[] = {8080, 8080, 8000, 3000, 5000, 9000};
      static constexpr int kGrpcPorts[] = {50051, 50051, 9090, 8443, 7000};
      s.port = s.protocol == OperationKind::kHttp ? kHttpPorts[rng_.Below(std::size(kHttpPorts))]
                                                  : kGrpcPorts[rng_.Below(std::size(kGrpcPorts))];
      s.language = DrawLanguage(rng_);
      s.version =
          fmt::sprintf("%d.%d.%d", rng_.Between(0, 3), rng_.Between(0, 20), rng_.Between(0, 15));
      const int op_count =
          std::clamp(static_cast<int>(std::lround(2 + rng_.Pareto(1.5, 1.3))), 3, 30);
      s.operations = GenerateOperations(s.name, s.domain, role, s.protocol, op_count, rng_);
      fleet_->services.push_back(std::move(s));
      traits_.push_back({role, std::min(60.0, rng_.Pareto(1.0, 1.2))});
    }

    // About one generated service in 80 becomes a hub, from the deeper half of the graph.
    std::vector<int> deep;
    for (int v = core_count_; v < static_cast<int>(fleet_->services.size()); ++v) {
      if (fleet_->services[v].level >= (levels + 1) / 2) deep.push_back(v);
    }
    rng_.Shuffle(deep);
    const int hubs = std::min<int>(deep.size(), count / 80);
    for (int i = 0; i < hubs; ++i) fleet_->services[deep[i]].hub = true;
  }

  int Level(int v) const { return fleet_->services[v].level; }

  // Generated callees a quiet (generated, level 2 or deeper) service may take.
  static int MaxQuietCallees(int level) { return level <= 2 ? 12 : 6; }

  // A caller for a service at `level`, by preferential attachment weighted by fitness; from the
  // level just above when `adjacent`, else from any shallower level (the adjacent one preferred).
  int DrawCaller(int level, bool adjacent) {
    std::vector<int> candidates;
    std::vector<double> weights;
    for (int u = 0; u < static_cast<int>(fleet_->services.size()); ++u) {
      const int l = Level(u);
      if (adjacent ? l != level - 1 : l >= level) continue;
      candidates.push_back(u);
      // Busy services (entry points, the core, services with many callers) gather the most
      // callees; deep, quiet ones only a few: a quiet service with many callees that nobody else
      // calls would have to call all of them on every request to keep them alive.
      const bool busy = u < core_count_ || l <= 1;
      const double room = busy || out_degree_[u] < MaxQuietCallees(l) ? 1.0 : 0.0;
      weights.push_back(traits_[u].fitness * (1.0 + out_degree_[u]) * (1.0 + in_degree_[u]) *
                        (l == level - 1 ? 1 : 0.5) * room);
    }
    if (candidates.empty()) return -1;
    if (std::all_of(weights.begin(), weights.end(), [](double w) { return w == 0; })) {
      return candidates[rng_.Below(candidates.size())];
    }
    return candidates[rng_.PickWeighted(weights)];
  }

  bool HasEdge(int u, int v) const { return edge_set_.contains({u, v}); }

  void AddEdge(int u, int v, bool hub) {
    if (u < 0 || u == v || HasEdge(u, v)) return;
    const bool worker = v >= core_count_ && traits_[v].role == ServiceRole::kWorker;
    const bool async = v >= core_count_ && !hub && rng_.Bernoulli(worker ? 0.6 : 0.03);
    edges_.push_back({u, v, hub, async});
    edge_set_.insert({u, v});
    ++out_degree_[u];
    ++in_degree_[v];
  }

  // Every generated service gets one caller from the level above (so it is reachable and its
  // depth is its level + 1) and sometimes a few more from anywhere above.
  void DrawEdges() {
    out_degree_.assign(fleet_->services.size(), 0);
    in_degree_.assign(fleet_->services.size(), 0);
    std::vector<int> order;
    for (int v = core_count_; v < static_cast<int>(fleet_->services.size()); ++v) {
      order.push_back(v);
    }
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return Level(a) < Level(b); });
    for (int v : order) {
      AddEdge(DrawCaller(Level(v), /*adjacent=*/true), v, false);
      for (int64_t k = rng_.Poisson(0.4); k > 0; --k) {
        AddEdge(DrawCaller(Level(v), /*adjacent=*/false), v, false);
      }
    }
  }

  // Hubs are called by a share of all shallower services: auth by a quarter of them.
  void AddHubEdges() {
    for (int h = 0; h < static_cast<int>(fleet_->services.size()); ++h) {
      const Service& hub = fleet_->services[h];
      if (!hub.hub) continue;
      double share = rng_.Uniform(0.04, 0.12);
      if (hub.name == "auth") share = 0.25;
      if (hub.name == "feature-flags") share = 0.18;
      if (hub.name == "user-profile") share = 0.08;
      if (hub.name == "currency" || hub.name == "product-catalog") share = 0.12;
      for (int u = 0; u < static_cast<int>(fleet_->services.size()); ++u) {
        if (Level(u) < hub.level && rng_.Bernoulli(share)) AddEdge(u, h, true);
      }
    }
  }

  // Operations of `u` that may take one more outgoing call: popular ones more likely, but not
  // steeply (a service's calls spread over its handlers), and none that already makes many.
  std::vector<double> AttachWeights(int u) const {
    const Service& s = fleet_->services[u];
    double mean = 0;
    for (const Operation& op : s.operations) mean += op.weight;
    mean /= std::max<size_t>(1, s.operations.size());
    std::vector<double> w;
    bool any = false;
    for (const Operation& op : s.operations) {
      int calls = 0;
      for (const CallStep& step : op.steps) calls += step.kind == StepKind::kCall;
      const double base = op.kind == OperationKind::kConsumer ? mean : op.weight;
      w.push_back(calls < kMaxCallsPerOperation ? std::pow(base, 0.7) : 0.0);
      any |= w.back() > 0;
    }
    if (!any) {  // every handler is full: spread evenly
      std::fill(w.begin(), w.end(), 1.0);
    }
    return w;
  }

  void AttachEdge(const Edge& e) {
    Service& caller = fleet_->services[e.caller];
    CallStep step;
    // A consumer is an operation too: a service with 30 already takes messages by call instead.
    if (e.async && fleet_->services[e.callee].operations.size() < kMaxOperations) {
      static constexpr std::string_view kEvents[] = {"created",   "updated",   "deleted",
                                                     "completed", "requested", "changed"};
      const std::string topic = Cat(caller.domain, ".", kEvents[rng_.Below(std::size(kEvents))]);
      step = PublishTo(topic, rng_.Uniform(0.3, 0.9));
      step.consumers.push_back(e.callee);
      step.consumer_operations.push_back(
          EnsureConsumerOperation(fleet_->services[e.callee], topic, rng_));
    } else {
      step = CallTo(e.callee, -1, e.hub ? rng_.Uniform(0.1, 0.5) : rng_.Uniform(0.3, 0.9));
      if (e.hub && rng_.Bernoulli(0.15)) step.max_repeat = static_cast<int>(rng_.Between(2, 4));
      step.critical = rng_.Bernoulli(0.7);
      static constexpr int kTimeoutsS[] = {3, 5, 5, 10, 10};
      step.timeout_ns = kTimeoutsS[rng_.Below(std::size(kTimeoutsS))] * core::kNsPerSecond;
    }
    step.tunable = true;
    std::vector<double> weights = AttachWeights(e.caller);
    const int attach = std::min<int>(1 + rng_.Poisson(0.5), weights.size());
    for (int i = 0; i < attach; ++i) {
      const size_t j = rng_.PickWeighted(weights);
      weights[j] = 0;
      caller.operations[j].steps.push_back(step);
      if (std::all_of(weights.begin(), weights.end(), [](double w) { return w == 0; })) break;
    }
  }

  static std::string_view DatabaseOperationFor(const Operation& op) {
    std::string_view verb = op.kind == OperationKind::kHttp ? op.http_method : op.rpc_method;
    if (op.kind == OperationKind::kConsumer) return "INSERT";
    for (std::string_view read :
         {"GET", "Get", "List", "Search", "Lookup", "Check", "BatchGet", "Export", "Estimate"}) {
      if (verb.starts_with(read)) return "SELECT";
    }
    for (std::string_view write : {"POST", "Create", "Register", "Import"}) {
      if (verb.starts_with(write)) return "INSERT";
    }
    for (std::string_view del : {"DELETE", "Delete", "Release"}) {
      if (verb.starts_with(del)) return "DELETE";
    }
    return "UPDATE";
  }

  static std::string_view CacheCommandFor(std::string_view db_operation, Rng& rng) {
    if (db_operation == "SELECT") {
      static constexpr std::string_view kReads[] = {"GET", "GET", "HGETALL", "MGET"};
      return kReads[rng.Below(std::size(kReads))];
    }
    if (db_operation == "DELETE") return "DEL";
    static constexpr std::string_view kWrites[] = {"SET", "HSET", "SETEX"};
    return kWrites[rng.Below(std::size(kWrites))];
  }

  // External APIs a few generated services call, by what their domain is about.
  static int ExternalPeerFor(std::string_view domain) {
    for (std::string_view d : {"payout", "refund", "chargeback", "billing", "settlement"}) {
      if (domain == d) return kPaymentProviderPeer;
    }
    for (std::string_view d : {"delivery", "carrier", "tracking", "label", "dispatch", "pickup"}) {
      if (domain == d) return kCarrierApiPeer;
    }
    for (std::string_view d : {"notification", "newsletter", "sms", "push"}) {
      if (domain == d) return kEmailProviderPeer;
    }
    return -1;
  }

  // Database, cache, external API and internal-work steps of a generated service.
  void AddLocalSteps(int v) {
    Service& s = fleet_->services[v];
    const ServiceRole role = traits_[v].role;
    const bool data_store = role == ServiceRole::kDataStore;
    const bool has_db = rng_.Bernoulli(data_store ? 0.9 : 0.3);
    const bool has_cache = rng_.Bernoulli(data_store ? 0.5 : 0.25);
    const int external = ExternalPeerFor(s.domain);
    if (has_db) s.db_name = s.domain;

    std::string table_base = s.domain;
    std::replace(table_base.begin(), table_base.end(), '-', '_');
    std::vector<std::string> tables = {table_base};
    for (std::string_view suffix : {"_items", "_events", "_history", "_snapshots"}) {
      if (rng_.Bernoulli(0.35)) tables.push_back(Cat(table_base, suffix));
    }
    static constexpr std::string_view kWork[] = {
        "validate request", "serialize response", "compute score", "apply rules",
        "render view",      "encode payload",     "build index",   "merge results"};

    for (Operation& op : s.operations) {
      const std::string_view db_operation = DatabaseOperationFor(op);
      const std::string& table = tables[rng_.Below(tables.size())];
      bool cached = false;
      if (has_cache && rng_.Bernoulli(0.6)) {
        const double miss = db_operation == "SELECT" ? rng_.Uniform(0.05, 0.4) : 0.0;
        op.steps.push_back(CacheCommand(kRedisPeer, CacheCommandFor(db_operation, rng_), table_base,
                                        1.0, miss, Latency(rng_.Uniform(0.2, 0.6), 0.35)));
        cached = db_operation == "SELECT";
      }
      if (has_db && (cached || rng_.Bernoulli(data_store ? 0.95 : 0.7))) {
        CallStep query = DatabaseQuery(
            kPostgresPeer, db_operation, table, 1.0,
            Latency(std::exp(rng_.Uniform(std::log(0.6), std::log(8.0))), rng_.Uniform(0.3, 0.6),
                    rng_.Uniform(0.005, 0.02), rng_.Uniform(1.5, 2.5)));
        query.after_cache_miss = cached;
        if (!cached && rng_.Bernoulli(0.2)) query.max_repeat = static_cast<int>(rng_.Between(2, 3));
        op.steps.push_back(std::move(query));
      }
      if (external >= 0 && rng_.Bernoulli(0.5)) {
        op.steps.push_back(ExternalApiCall(external, "POST", Cat("/v1/", s.domain), 1.0,
                                           Latency(rng_.Uniform(60, 200), 0.4, 0.02, 1.8)));
      }
      if (rng_.Bernoulli(0.2)) {
        op.steps.push_back(
            InternalWork(kWork[rng_.Below(std::size(kWork))], 1.0,
                         Latency(std::exp(rng_.Uniform(std::log(0.2), std::log(3.0))), 0.4)));
      }
      for (CallStep& step : op.steps) {
        if (step.kind == StepKind::kPeer || step.kind == StepKind::kInternal) step.tunable = false;
      }
    }
  }

  // A handler usually checks auth and flags first, then reads its own data, then calls on, then
  // publishes its events; a cache lookup stays right before the query it saves.
  void OrderSteps(int v) {
    for (Operation& op : fleet_->services[v].operations) {
      auto phase = [&](const CallStep& step) {
        switch (step.kind) {
          case StepKind::kCall:
            return fleet_->services[step.target].hub ? 0 : 2;
          case StepKind::kPeer:
            return 1;
          case StepKind::kPublish:
            return 3;
          case StepKind::kInternal:
            return 4;
        }
        return 2;
      };
      std::stable_sort(op.steps.begin(), op.steps.end(),
                       [&](const CallStep& a, const CallStep& b) { return phase(a) < phase(b); });
      // Handlers that call many services fan out concurrently; a few calls go one by one.
      int calls = 0;
      for (const CallStep& step : op.steps) calls += step.kind == StepKind::kCall;
      const double parallel = calls >= 4 ? 0.7 : 0.25;
      for (size_t k = 1; k < op.steps.size(); ++k) {
        CallStep& step = op.steps[k];
        if (step.kind == StepKind::kCall && op.steps[k - 1].kind == StepKind::kCall) {
          step.parallel = rng_.Bernoulli(parallel);
        }
      }
      if (!op.steps.empty()) op.steps.front().parallel = false;
    }
  }

  Rng& rng_;
  Fleet* fleet_;
  int core_count_ = 0;
  std::vector<TailTraits> traits_;
  std::vector<Edge> edges_;
  absl::flat_hash_set<std::pair<int, int>> edge_set_;
  std::vector<int> out_degree_;
  std::vector<int> in_degree_;
};

void FinishOperations(Fleet* fleet) {
  for (Service& s : fleet->services) {
    // A handler that may call many services calls each of them less often: its expected
    // generated fan-out stays bounded, so a few services with many callees do not turn every trace
    // through them into hundreds of spans.
    for (Operation& op : s.operations) {
      double fanout = 0;
      for (const CallStep& step : op.steps) {
        if (step.tunable && step.kind != StepKind::kPeer) {
          fanout += step.base_probability * (1 + step.max_repeat) / 2;
        }
      }
      if (fanout <= kMaxExpectedFanout) continue;
      for (CallStep& step : op.steps) {
        if (step.tunable && step.kind != StepKind::kPeer) {
          step.base_probability *= kMaxExpectedFanout / fanout;
          step.probability = step.base_probability;
        }
      }
    }
    std::vector<double> weights;
    for (const Operation& op : s.operations) {
      weights.push_back(op.kind == OperationKind::kConsumer ? 0.0 : op.weight);
    }
    s.operation_weights_cumulative = CumulativeWeights(weights);
  }
}

void AddEntries(Fleet* fleet) {
  for (int v = 0; v < static_cast<int>(fleet->services.size()); ++v) {
    const Service& s = fleet->services[v];
    if (!s.entry) continue;
    double share = 0.12;  // mobile-bff
    if (s.name == "frontend") share = 0.70;
    if (s.name == "api-gateway") share = 0.18;
    const double total = s.operation_weights_cumulative.back();
    for (int j = 0; j < static_cast<int>(s.operations.size()); ++j) {
      const double w = s.operations[j].kind == OperationKind::kConsumer
                           ? 0.0
                           : share * s.operations[j].weight / total;
      if (w > 0) fleet->entries.push_back({v, j, w});
    }
  }
  std::vector<double> weights;
  for (const EntryPoint& e : fleet->entries) weights.push_back(e.weight);
  fleet->entry_weights_cumulative = CumulativeWeights(weights);
}

std::string RandomChars(Rng& rng, int n) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";  // Kubernetes'
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(kAlphabet[rng.Below(kAlphabet.size())]);
  return out;
}

std::string RandomUuid(Rng& rng) {
  const uint64_t hi = rng.Next(), lo = rng.Next();
  return fmt::sprintf("%08x-%04x-4%03x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFF,
                      0x8000 | ((lo >> 48) & 0x3FFF), lo & 0xFFFFFFFFFFFFULL);
}

// 1 to 5 instances per service, more for busier ones; pods spread over a pool of nodes.
void AddInstances(Rng& rng, Fleet* fleet) {
  const int nodes = std::max<int>(3, fleet->services.size() / 4);
  std::vector<std::string> node_names;
  for (int n = 0; n < nodes; ++n) {
    node_names.push_back(
        fmt::sprintf("ip-10-0-%d-%d.ec2.internal", rng.Between(0, 63), rng.Between(1, 254)));
  }
  std::vector<int> pods_on_node(nodes, 0);
  for (int v = 0; v < static_cast<int>(fleet->services.size()); ++v) {
    Service& s = fleet->services[v];
    int count = 1 + static_cast<int>(std::floor(std::log10(1 + s.calls_per_trace * 300))) +
                static_cast<int>(rng.Below(2)) + (s.entry ? 1 : 0);
    count = std::clamp(count, 1, 5);
    const std::string replica_set = RandomChars(rng, 10);
    for (int i = 0; i < count; ++i) {
      Instance inst;
      inst.service = v;
      inst.instance_id = RandomUuid(rng);
      inst.pod_name = Cat(s.name, "-", replica_set, "-", RandomChars(rng, 5));
      const int node = static_cast<int>(rng.Below(nodes));
      inst.node_name = node_names[node];
      inst.ip = fmt::sprintf("10.244.%d.%d", node, 2 + pods_on_node[node]++);
      inst.speed = rng.LogNormal(1.0, 0.08);
      s.instances.push_back(static_cast<int>(fleet->instances.size()));
      fleet->instances.push_back(std::move(inst));
    }
  }
}

}  // namespace

absl::StatusOr<Fleet> Fleet::Build(const FleetOptions& options) {
  if (options.services < kMinServices || options.services > kMaxServices) {
    return absl::InvalidArgumentError(
        fmt::sprintf("services: %d is out of range [%d, %d] (the core shop alone has %d services)",
                     options.services, kMinServices, kMaxServices, kMinServices));
  }
  Rng rng(options.seed, /*stream=*/1);
  Fleet fleet;
  fleet.levels = LevelsFor(options.services);
  fleet.peers = ShopPeers();
  AddCoreShop(options.services, rng, &fleet);
  TailBuilder(rng, &fleet).Build(options.services - static_cast<int>(fleet.services.size()));
  FinishOperations(&fleet);
  AddEntries(&fleet);
  const double target = options.target_spans_per_trace > 0
                            ? options.target_spans_per_trace
                            : std::clamp(10 + 0.08 * options.services, 15.0, 60.0);
  // Beyond 500 services the floor shrinks with the fleet, or it alone would make traces huge.
  const double min_reach =
      options.min_reach_per_trace * std::min(1.0, 500.0 / static_cast<double>(options.services));
  TuneRouting(min_reach, target, &fleet);
  AddInstances(rng, &fleet);
  return fleet;
}

}  // namespace augur::sim
