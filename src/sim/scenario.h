// Scenarios: named sets of faults, each one of eight types with a target, an intensity and a
// window relative to the simulation start, read from YAML (deploy/scenarios/) or drawn at random
// for a fleet; and the ground truth of a run: which service (or peer) an SRE should blame for
// each fault, and when, so that root-cause analysis can be scored against it.
//
// A Scenario names its targets; ResolveScenario turns it into faults (fault_library.h) against a
// built fleet, checking that every target exists and suits its fault type. Everything here is a
// pure function of its arguments; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/time.h"
#include "sim/fault.h"

namespace augur::sim {

struct Fleet;

enum class FaultType {
  kLatency,
  kBadDeploy,
  kCpu,
  kMemoryLeak,
  kPeerOutage,
  kPacketLoss,
  kTrafficSurge,
  kNoisyNeighbour
};
inline constexpr FaultType kAllFaultTypes[] = {
    FaultType::kLatency,      FaultType::kBadDeploy,     FaultType::kCpu,
    FaultType::kMemoryLeak,   FaultType::kPeerOutage,    FaultType::kPacketLoss,
    FaultType::kTrafficSurge, FaultType::kNoisyNeighbour};

// "latency", "bad_deploy", "cpu", "memory_leak", "peer_outage", "packet_loss", "traffic_surge",
// "noisy_neighbour".
std::string_view FaultTypeName(FaultType type);
std::optional<FaultType> ParseFaultType(std::string_view name);

struct FaultSpec {
  FaultType type = FaultType::kLatency;
  std::string target;     // service or peer name ("" in a random scenario until resolved)
  std::string other;      // packet_loss: the caller; noisy_neighbour: the victim; else ""
  std::string operation;  // bad_deploy: the failing operation ("" = the busiest)
  double intensity = 1;   // (0, 1]; 1 = severe
  core::TimeNs start_offset_ns = 0;  // after the simulation start
  core::TimeNs duration_ns = 0;
};

struct Scenario {
  std::string name;
  std::vector<FaultSpec> faults;
};

// One per fault, in absolute simulated time.
struct GroundTruth {
  std::string scenario;
  FaultType type = FaultType::kLatency;
  std::string root_cause;  // the service (or peer name) an SRE should blame
  std::string other;       // the FaultSpec's other ("" if none)
  core::TimeNs start_ns = 0, end_ns = 0;
  std::string description;
};

// Parses the YAML form (docs/simulator.md):
//   name: payment-bad-deploy
//   faults:
//     - {type: bad_deploy, target: payment, operation: Charge, intensity: 0.8, start: 30m,
//        duration: 15m}
// Errors name the key ("faults[0].intensity: 1.5 is not in (0, 1]").
absl::StatusOr<Scenario> ParseScenario(std::string_view yaml_text);
// Reads and parses a scenario file; errors start with the path.
absl::StatusOr<Scenario> LoadScenario(const std::string& path);

// A seeded scenario with one fault of `type` on the fleet built from (services, fleet_seed):
// picks an appropriate target (a service with callers for latency/cpu/bad_deploy/memory_leak; a
// cache or database with callers for peer_outage; a busy call edge for packet_loss; two services
// sharing a node for noisy_neighbour; the frontend for traffic_surge), varied by scenario_seed,
// intensity drawn in [0.5, 1]. The same arguments give the same scenario.
absl::StatusOr<Scenario> RandomScenario(FaultType type, int services, uint64_t fleet_seed,
                                        uint64_t scenario_seed, core::TimeNs start_offset_ns,
                                        core::TimeNs duration_ns);

// {"faults":[{"scenario":..,"type":..,"root_cause":..,"other":..,"start":"RFC 3339",
//  "end":..,"start_ns":..,"end_ns":..,"description":..}]}
std::string GroundTruthJson(const std::vector<GroundTruth>& truths);

// A scenario turned into faults for a fleet whose simulation starts at `start_ns`, with the
// ground truth of each of its faults.
struct ResolvedScenario {
  std::vector<std::shared_ptr<const Fault>> faults;
  std::vector<GroundTruth> ground_truths;
};
// Fails with InvalidArgument, naming the key and the target, when a target is not in the fleet or
// does not suit its type (a peer_outage on a service, packet_loss between services that do not
// call each other, a traffic_surge at a service that is not an entry point, ...).
absl::StatusOr<ResolvedScenario> ResolveScenario(const Scenario& scenario, const Fleet& fleet,
                                                 core::TimeNs start_ns);

// A noisy neighbour starves the services it shares a node with: when a scenario names a
// noisy_neighbour pair that shares none in `fleet` (a fleet of another size or seed than the one
// the scenario was written for), one of the target's pods is scheduled onto a node of the other's
// first pod, as the scenario describes. Unknown names are left to ResolveScenario to report.
void ColocateNoisyNeighbours(const Scenario& scenario, Fleet* fleet);

}  // namespace augur::sim
