#include "sim/scenario.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/config_node.h"
#include "core/json_text.h"
#include "core/status_util.h"
#include "sim/fault_library.h"
#include "sim/fleet.h"
#include "sim/random.h"
#include "sim/routing.h"

namespace augur::sim {

namespace {

constexpr std::string_view kTypeNames[] = {"latency",       "bad_deploy",     "cpu",
                                           "memory_leak",   "peer_outage",    "packet_loss",
                                           "traffic_surge", "noisy_neighbour"};

std::string TypeList() {
  std::string out;
  for (std::string_view name : kTypeNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

absl::Status KeyError(std::string_view key, std::string_view reason) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", key, reason));
}

bool NeedsOther(FaultType type) {
  return type == FaultType::kPacketLoss || type == FaultType::kNoisyNeighbour;
}

absl::StatusOr<FaultSpec> ParseFault(const core::ConfigNode& node) {
  AUGUR_RETURN_IF_ERROR(
      node.CheckKeys({"type", "target", "other", "operation", "intensity", "start", "duration"}));
  FaultSpec spec;
  std::string type;
  AUGUR_RETURN_IF_ERROR(node.Get("type", &type));
  if (type.empty()) return KeyError(node.KeyPath("type"), fmt::format("required ({})", TypeList()));
  const std::optional<FaultType> parsed = ParseFaultType(type);
  if (!parsed.has_value()) {
    return KeyError(node.KeyPath("type"),
                    fmt::format("\"{}\" is not a fault type ({})", type, TypeList()));
  }
  spec.type = *parsed;
  AUGUR_RETURN_IF_ERROR(node.Get("target", &spec.target));
  AUGUR_RETURN_IF_ERROR(node.Get("other", &spec.other));
  AUGUR_RETURN_IF_ERROR(node.Get("operation", &spec.operation));
  AUGUR_RETURN_IF_ERROR(node.Get("intensity", &spec.intensity));
  AUGUR_RETURN_IF_ERROR(node.GetDuration("start", &spec.start_offset_ns));
  AUGUR_RETURN_IF_ERROR(node.GetDuration("duration", &spec.duration_ns));
  if (spec.target.empty() && spec.type != FaultType::kTrafficSurge) {
    return KeyError(node.KeyPath("target"), "required (a service or peer of the fleet)");
  }
  if (NeedsOther(spec.type) && spec.other.empty()) {
    return KeyError(node.KeyPath("other"),
                    spec.type == FaultType::kPacketLoss
                        ? "required for packet_loss: the calling service"
                        : "required for noisy_neighbour: the victim on the same host");
  }
  if (!NeedsOther(spec.type) && !spec.other.empty()) {
    return KeyError(node.KeyPath("other"), "only packet_loss and noisy_neighbour take one");
  }
  if (spec.type != FaultType::kBadDeploy && !spec.operation.empty()) {
    return KeyError(node.KeyPath("operation"), "only bad_deploy takes one");
  }
  if (!(spec.intensity > 0 && spec.intensity <= 1)) {
    return KeyError(node.KeyPath("intensity"), fmt::format("{} is not in (0, 1]", spec.intensity));
  }
  if (spec.start_offset_ns < 0) return KeyError(node.KeyPath("start"), "must not be negative");
  if (!node.Has("duration")) return KeyError(node.KeyPath("duration"), "required (e.g. 15m)");
  if (spec.duration_ns <= 0) return KeyError(node.KeyPath("duration"), "must be positive");
  return spec;
}

// "1.4.7" -> "1.5.0": the next minor version, as a deploy usually brings.
std::string NextVersion(std::string_view version) {
  int major = 0, minor = 0;
  const char* p = version.data();
  const char* end = version.data() + version.size();
  auto [after_major, ec1] = std::from_chars(p, end, major);
  if (ec1 == std::errc() && after_major < end && *after_major == '.') {
    auto [after_minor, ec2] = std::from_chars(after_major + 1, end, minor);
    if (ec2 == std::errc()) return fmt::format("{}.{}.0", major, minor + 1);
  }
  return fmt::format("{}-next", version);
}

// Which services call which (synchronously), and which peers each service calls.
struct CallGraph {
  std::set<std::pair<int, int>> calls;  // (caller, callee)
  std::vector<bool> called;             // per service: has a synchronous caller
  std::vector<bool> peer_called;        // per peer: has a caller
};

CallGraph BuildCallGraph(const Fleet& fleet) {
  CallGraph g;
  g.called.assign(fleet.services.size(), false);
  g.peer_called.assign(fleet.peers.size(), false);
  for (int u = 0; u < static_cast<int>(fleet.services.size()); ++u) {
    for (const Operation& op : fleet.services[u].operations) {
      for (const CallStep& step : op.steps) {
        if (step.kind == StepKind::kCall && step.probability > 0) {
          g.calls.insert({u, step.target});
          g.called[step.target] = true;
        } else if (step.kind == StepKind::kPeer && step.probability > 0) {
          g.peer_called[step.target] = true;
        }
      }
    }
  }
  return g;
}

std::string EntryNames(const Fleet& fleet) {
  std::string out;
  for (const Service& s : fleet.services) {
    if (!s.entry) continue;
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

std::string OperationNames(const Service& s) {
  std::string out;
  for (const Operation& op : s.operations) {
    if (!out.empty()) out += ", ";
    out += op.name;
  }
  return out;
}

// The operation of `service` with the most expected calls, preferring request operations.
int BusiestOperation(const Fleet& fleet, int service) {
  const ExpectedTraffic traffic = ComputeExpectedTraffic(fleet);
  const Service& s = fleet.services[service];
  int best = 0;
  double best_calls = -1;
  for (int j = 0; j < static_cast<int>(s.operations.size()); ++j) {
    const double calls = traffic.operation_calls[service][j] +
                         (s.operations[j].kind == OperationKind::kConsumer ? -1e9 : 0);
    if (calls > best_calls) {
      best = j;
      best_calls = calls;
    }
  }
  return best;
}

// Resolves one fault: its faults, and its ground truth.
absl::Status ResolveFault(const Scenario& scenario, size_t k, const Fleet& fleet,
                          core::TimeNs sim_start_ns, const CallGraph& graph,
                          ResolvedScenario& out) {
  const FaultSpec& spec = scenario.faults[k];
  const std::string key = fmt::format("faults[{}]", k);
  const std::string target_key = key + ".target";
  if (!(spec.intensity > 0 && spec.intensity <= 1)) {
    return KeyError(key + ".intensity", fmt::format("{} is not in (0, 1]", spec.intensity));
  }
  if (spec.duration_ns <= 0) return KeyError(key + ".duration", "must be positive");
  if (spec.start_offset_ns < 0) return KeyError(key + ".start", "must not be negative");
  const double i = spec.intensity;
  const core::TimeNs start = sim_start_ns + spec.start_offset_ns;
  const core::TimeNs end = start + spec.duration_ns;
  const int service = fleet.FindService(spec.target);
  const int peer = fleet.FindPeer(spec.target);
  auto need_service = [&](const std::string& name, const std::string& name_key) -> absl::Status {
    if (fleet.FindService(name) >= 0) return absl::OkStatus();
    if (fleet.FindPeer(name) >= 0) {
      return KeyError(name_key, fmt::format("\"{}\" is a peer; {} needs a service", name,
                                            FaultTypeName(spec.type)));
    }
    return KeyError(name_key, fmt::format("\"{}\" is not a service of the fleet", name));
  };

  GroundTruth truth;
  truth.scenario = scenario.name;
  truth.type = spec.type;
  truth.root_cause = spec.target;
  truth.other = spec.other;
  truth.start_ns = start;
  truth.end_ns = end;
  std::shared_ptr<const Fault> main;
  switch (spec.type) {
    case FaultType::kLatency:
      if (service >= 0) {
        main = std::make_shared<LatencyFault>(
            spec.target, start, end, 1 + 4 * i,
            static_cast<core::TimeNs>(30 * i * core::kNsPerMillisecond), 1 + 3 * i);
      } else if (peer >= 0) {
        main = std::make_shared<LatencyFault>(spec.target, start, end, 1 + 9 * i, 0);
      } else {
        return KeyError(target_key, fmt::format("\"{}\" is neither a service nor a peer of the "
                                                "fleet",
                                                spec.target));
      }
      break;
    case FaultType::kBadDeploy: {
      AUGUR_RETURN_IF_ERROR(need_service(spec.target, target_key));
      const Service& s = fleet.services[service];
      int op = -1;
      if (spec.operation.empty()) {
        op = BusiestOperation(fleet, service);
      } else {
        for (int j = 0; j < static_cast<int>(s.operations.size()); ++j) {
          if (s.operations[j].name == spec.operation ||
              (!s.operations[j].rpc_method.empty() &&
               s.operations[j].rpc_method == spec.operation)) {
            op = j;
          }
        }
        if (op < 0) {
          return KeyError(key + ".operation",
                          fmt::format("\"{}\" is not an operation of {} ({})", spec.operation,
                                      spec.target, OperationNames(s)));
        }
      }
      main = std::make_shared<BadDeployFault>(spec.target, start, end, op, s.operations[op].name,
                                              0.25 + 0.5 * i, NextVersion(s.version));
      break;
    }
    case FaultType::kCpu:
      AUGUR_RETURN_IF_ERROR(need_service(spec.target, target_key));
      main = std::make_shared<CpuSaturationFault>(spec.target, start, end, i);
      break;
    case FaultType::kMemoryLeak:
      AUGUR_RETURN_IF_ERROR(need_service(spec.target, target_key));
      main = std::make_shared<MemoryLeakFault>(spec.target, start, end, i);
      break;
    case FaultType::kPeerOutage:
      if (peer < 0) {
        std::string peers;
        for (const Peer& p : fleet.peers) peers += (peers.empty() ? "" : ", ") + p.name;
        return KeyError(target_key,
                        fmt::format("\"{}\" is not a peer of the fleet ({})", spec.target, peers));
      }
      main = std::make_shared<PeerOutageFault>(spec.target, start, end, i);
      break;
    case FaultType::kPacketLoss: {
      AUGUR_RETURN_IF_ERROR(need_service(spec.target, target_key));
      AUGUR_RETURN_IF_ERROR(need_service(spec.other, key + ".other"));
      if (!graph.calls.contains({fleet.FindService(spec.other), service})) {
        return KeyError(key + ".other",
                        fmt::format("\"{}\" does not call \"{}\"", spec.other, spec.target));
      }
      main = std::make_shared<PacketLossFault>(spec.other, spec.target, start, end, i);
      break;
    }
    case FaultType::kTrafficSurge: {
      const std::string entry = spec.target.empty() ? fleet.services[0].name : spec.target;
      const int e = fleet.FindService(entry);
      if (e < 0 || !fleet.services[e].entry) {
        return KeyError(target_key, fmt::format("\"{}\" is not an entry point of the fleet ({})",
                                                entry, EntryNames(fleet)));
      }
      truth.root_cause = entry;
      const core::TimeNs ramp =
          std::min<core::TimeNs>(60 * core::kNsPerSecond, spec.duration_ns / 10);
      main = std::make_shared<TrafficSurgeFault>(entry, start, end, i, ramp);
      // Services that get most of their traffic through the entry saturate, the busier the more.
      const ExpectedTraffic all = ComputeExpectedTraffic(fleet);
      const ExpectedTraffic through = ComputeExpectedTraffic(fleet, e);
      for (int v = 0; v < static_cast<int>(fleet.services.size()); ++v) {
        if (all.service_calls[v] <= 0) continue;
        const double factor = 1 + 4 * i * through.service_calls[v] / all.service_calls[v];
        const double busy = std::clamp(fleet.services[v].calls_per_trace / 0.5, 0.3, 1.0);
        const double level = std::clamp((factor - 1.5) / 3.5, 0.0, 1.0) * busy;
        if (level > 0.05) {
          out.faults.push_back(
              std::make_shared<SaturationFault>(fleet.services[v].name, start, end, level, ramp));
        }
      }
      break;
    }
    case FaultType::kNoisyNeighbour: {
      AUGUR_RETURN_IF_ERROR(need_service(spec.target, target_key));
      AUGUR_RETURN_IF_ERROR(need_service(spec.other, key + ".other"));
      if (spec.other == spec.target) {
        return KeyError(key + ".other", "must differ from the target");
      }
      main = std::make_shared<CpuHogFault>(spec.target, start, end, i);
      auto victim = std::make_shared<CpuContentionFault>(spec.other, spec.target, start, end, i);
      // Both halves: the hog's names no victim.
      truth.description = main->Describe() + "; " + victim->Describe();
      out.faults.push_back(std::move(victim));
      break;
    }
  }
  if (truth.description.empty()) truth.description = main->Describe();
  out.faults.push_back(std::move(main));
  out.ground_truths.push_back(std::move(truth));
  return absl::OkStatus();
}

// Random scenarios are usually drawn many at a time for one fleet: the last one built is kept.
absl::StatusOr<std::shared_ptr<const Fleet>> CachedFleet(int services, uint64_t seed) {
  static absl::Mutex mu;
  static std::shared_ptr<const Fleet> cached;  // guarded by mu
  static std::pair<int, uint64_t> key;         // guarded by mu
  absl::MutexLock lock(&mu);
  if (cached == nullptr || key != std::pair{services, seed}) {
    FleetOptions options;
    options.services = services;
    options.seed = seed;
    AUGUR_ASSIGN_OR_RETURN(Fleet fleet, Fleet::Build(options));
    cached = std::make_shared<const Fleet>(std::move(fleet));
    key = {services, seed};
  }
  return cached;
}

}  // namespace

std::string_view FaultTypeName(FaultType type) { return kTypeNames[static_cast<int>(type)]; }

std::optional<FaultType> ParseFaultType(std::string_view name) {
  for (FaultType type : kAllFaultTypes) {
    if (FaultTypeName(type) == name) return type;
  }
  return std::nullopt;
}

absl::StatusOr<Scenario> ParseScenario(std::string_view yaml_text) {
  AUGUR_ASSIGN_OR_RETURN(YAML::Node root, core::ConfigNode::Parse(yaml_text, "scenario"));
  try {
    const core::ConfigNode top(root, "");
    AUGUR_RETURN_IF_ERROR(top.CheckKeys({"name", "faults"}));
    Scenario scenario;
    AUGUR_RETURN_IF_ERROR(top.Get("name", &scenario.name));
    if (scenario.name.empty()) return KeyError("name", "required");
    const YAML::Node faults = root["faults"];
    if (!faults || !faults.IsSequence() || faults.size() == 0) {
      return KeyError("faults", "required: a list of faults");
    }
    for (size_t k = 0; k < faults.size(); ++k) {
      const core::ConfigNode node(faults[k], fmt::format("faults[{}]", k));
      if (!faults[k].IsMap()) return KeyError(fmt::format("faults[{}]", k), "expected a mapping");
      AUGUR_ASSIGN_OR_RETURN(FaultSpec spec, ParseFault(node));
      scenario.faults.push_back(std::move(spec));
    }
    return scenario;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("scenario: {}", e.what()));
  }
}

absl::StatusOr<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot be read", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Scenario> scenario = ParseScenario(text.str());
  if (!scenario.ok()) {
    return absl::Status(scenario.status().code(),
                        fmt::format("{}: {}", path, core::MessageOf(scenario.status())));
  }
  return scenario;
}

void ColocateNoisyNeighbours(const Scenario& scenario, Fleet* fleet) {
  for (const FaultSpec& spec : scenario.faults) {
    if (spec.type != FaultType::kNoisyNeighbour) continue;
    const int noisy = fleet->FindService(spec.target);
    const int victim = fleet->FindService(spec.other);
    if (noisy < 0 || victim < 0 || noisy == victim) continue;
    const std::vector<int>& noisy_pods = fleet->services[noisy].instances;
    const std::vector<int>& victim_pods = fleet->services[victim].instances;
    if (noisy_pods.empty() || victim_pods.empty()) continue;
    std::set<std::string_view> victim_nodes;
    for (int pod : victim_pods) victim_nodes.insert(fleet->instances[pod].node_name);
    const bool shared = std::any_of(noisy_pods.begin(), noisy_pods.end(), [&](int pod) {
      return victim_nodes.contains(fleet->instances[pod].node_name);
    });
    if (!shared) {
      fleet->instances[noisy_pods.front()].node_name =
          fleet->instances[victim_pods.front()].node_name;
    }
  }
}

absl::StatusOr<ResolvedScenario> ResolveScenario(const Scenario& scenario, const Fleet& fleet,
                                                 core::TimeNs start_ns) {
  const CallGraph graph = BuildCallGraph(fleet);
  ResolvedScenario out;
  for (size_t k = 0; k < scenario.faults.size(); ++k) {
    absl::Status status = ResolveFault(scenario, k, fleet, start_ns, graph, out);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("scenario {}: {}", scenario.name, core::MessageOf(status)));
    }
  }
  return out;
}

absl::StatusOr<Scenario> RandomScenario(FaultType type, int services, uint64_t fleet_seed,
                                        uint64_t scenario_seed, core::TimeNs start_offset_ns,
                                        core::TimeNs duration_ns) {
  if (duration_ns <= 0) return KeyError("duration", "must be positive");
  if (start_offset_ns < 0) return KeyError("start", "must not be negative");
  AUGUR_ASSIGN_OR_RETURN(const std::shared_ptr<const Fleet> built,
                         CachedFleet(services, fleet_seed));
  const Fleet& fleet = *built;
  const CallGraph graph = BuildCallGraph(fleet);
  Rng rng(scenario_seed, 0x5CE0A210ULL + static_cast<uint64_t>(type));

  FaultSpec spec;
  spec.type = type;
  spec.intensity = rng.Uniform(0.5, 1.0);
  spec.start_offset_ns = start_offset_ns;
  spec.duration_ns = duration_ns;
  const int n = static_cast<int>(fleet.services.size());
  // Busy enough that its telemetry shows the fault: at 100 root requests/s, several calls a second.
  auto busy = [&](int v, double min_calls) {
    return fleet.services[v].calls_per_trace >= min_calls;
  };
  auto pick = [&](const std::vector<int>& candidates) {
    return candidates[rng.Below(candidates.size())];
  };
  switch (type) {
    case FaultType::kLatency:
    case FaultType::kBadDeploy:
    case FaultType::kCpu:
    case FaultType::kMemoryLeak: {
      std::vector<int> candidates;
      for (double min_calls : {0.05, 0.0}) {
        for (int v = 0; v < n; ++v) {
          if (!fleet.services[v].entry && graph.called[v] && busy(v, min_calls)) {
            candidates.push_back(v);
          }
        }
        if (!candidates.empty()) break;
      }
      if (candidates.empty()) return absl::InternalError("no service with callers in the fleet");
      spec.target = fleet.services[pick(candidates)].name;
      break;
    }
    case FaultType::kPeerOutage: {
      std::vector<int> candidates;
      for (int p = 0; p < static_cast<int>(fleet.peers.size()); ++p) {
        if (graph.peer_called[p] && fleet.peers[p].kind != PeerKind::kHttpApi) {
          candidates.push_back(p);
        }
      }
      if (candidates.empty()) return absl::InternalError("no database or cache with callers");
      spec.target = fleet.peers[pick(candidates)].name;
      break;
    }
    case FaultType::kPacketLoss: {
      // The edge itself must carry traffic: a lossy link that is used once an hour shows nothing.
      const std::map<std::pair<int, int>, double> edge_calls =
          ExpectedEdgeCalls(fleet, ComputeExpectedTraffic(fleet));
      std::vector<std::pair<int, int>> edges;
      for (double min_calls : {0.05, 0.0}) {
        for (const auto& [u, v] : graph.calls) {
          auto it = edge_calls.find({u, v});
          const double calls = it == edge_calls.end() ? 0 : it->second;
          if (calls >= min_calls && busy(u, min_calls) && busy(v, min_calls)) {
            edges.emplace_back(u, v);
          }
        }
        if (!edges.empty()) break;
      }
      if (edges.empty()) return absl::InternalError("no call edge in the fleet");
      const auto [u, v] = edges[rng.Below(edges.size())];
      spec.other = fleet.services[u].name;
      spec.target = fleet.services[v].name;
      break;
    }
    case FaultType::kTrafficSurge:
      spec.target = fleet.services[0].name;
      break;
    case FaultType::kNoisyNeighbour: {
      // Pairs of busy services with instances on one node; the victim has callers.
      std::map<std::string_view, std::set<int>> services_on_node;
      for (const Instance& inst : fleet.instances) {
        services_on_node[inst.node_name].insert(inst.service);
      }
      std::vector<std::pair<int, int>> pairs;
      for (double min_calls : {0.05, 0.0}) {
        for (int victim = 0; victim < n; ++victim) {
          if (fleet.services[victim].entry || !graph.called[victim] || !busy(victim, min_calls)) {
            continue;
          }
          std::set<int> neighbours;
          for (int inst : fleet.services[victim].instances) {
            const std::set<int>& on_node = services_on_node[fleet.instances[inst].node_name];
            neighbours.insert(on_node.begin(), on_node.end());
          }
          neighbours.erase(victim);
          for (int noisy : neighbours) pairs.emplace_back(noisy, victim);
        }
        if (!pairs.empty()) break;
      }
      if (pairs.empty()) {
        for (int victim = 1; victim < n; ++victim) {
          if (graph.called[victim]) pairs.emplace_back(victim == 1 ? 2 : 1, victim);
        }
      }
      if (pairs.empty()) return absl::InternalError("no two services for a noisy neighbour");
      const auto [noisy, victim] = pairs[rng.Below(pairs.size())];
      spec.target = fleet.services[noisy].name;
      spec.other = fleet.services[victim].name;
      break;
    }
  }
  Scenario scenario;
  scenario.name = fmt::format("random-{}-{}", FaultTypeName(type), scenario_seed);
  scenario.faults.push_back(std::move(spec));
  return scenario;
}

std::string GroundTruthJson(const std::vector<GroundTruth>& truths) {
  std::string out = "{\"faults\":[";
  for (size_t k = 0; k < truths.size(); ++k) {
    const GroundTruth& t = truths[k];
    if (k > 0) out += ",";
    out += "{\"scenario\":";
    core::AppendJsonString(t.scenario, &out);
    out += ",\"type\":";
    core::AppendJsonString(FaultTypeName(t.type), &out);
    out += ",\"root_cause\":";
    core::AppendJsonString(t.root_cause, &out);
    out += ",\"other\":";
    core::AppendJsonString(t.other, &out);
    out += ",\"start\":";
    core::AppendJsonString(core::FormatRfc3339(t.start_ns), &out);
    out += ",\"end\":";
    core::AppendJsonString(core::FormatRfc3339(t.end_ns), &out);
    out += fmt::format(",\"start_ns\":{},\"end_ns\":{},\"description\":", t.start_ns, t.end_ns);
    core::AppendJsonString(t.description, &out);
    out += "}";
  }
  out += "]}\n";
  return out;
}

}  // namespace augur::sim
