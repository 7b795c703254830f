// The simulated online shop: its services, their operations and calls, their instances, and the
// uninstrumented peers (cache, database, external APIs) they call.
//
// The call graph is a DAG over "levels": entry points (frontend, api-gateway, mobile-bff) sit at
// level 0 and every call goes to a strictly higher level, so a trace is at most `levels` services
// deep. The core of the shop (the OpenTelemetry demo's services) is written out in core_shop.cc;
// the long tail up to the requested size is generated in fleet.cc from the seed.
//
// A Fleet is built once and then only read, from any number of threads. Strings in the telemetry
// are views into it, so it must outlive everything generated from it (hold it by pointer; moving
// the struct keeps its heap storage and therefore the views valid).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/latency_distribution.h"

namespace augur::sim {

// The SDK language of a service (the resource's telemetry.sdk.language). All have a garbage
// collector, so every instance reports GC pauses.
enum class Language : uint8_t { kGo, kJava, kPython, kNodeJs, kDotNet, kRuby, kPhp };
std::string_view LanguageName(Language language);

// How an operation is invoked.
enum class OperationKind : uint8_t {
  kHttp,     // SERVER span with http.* attributes
  kGrpc,     // SERVER span with rpc.system=grpc
  kConsumer  // CONSUMER span processing a message from `topic`
};

enum class StepKind : uint8_t {
  kCall,      // synchronous call of another service: CLIENT span here, SERVER span there
  kPublish,   // PRODUCER span here; the callee's CONSUMER span follows after a queue delay
  kPeer,      // CLIENT span to an uninstrumented peer (cache, database, external API)
  kInternal,  // INTERNAL span for a chunk of local work
};

// One thing an operation may do while it runs, in order.
struct CallStep {
  StepKind kind = StepKind::kCall;
  int target = -1;             // callee service (kCall) or peer index (kPeer)
  int target_operation = -1;   // kCall: callee operation; -1 draws it by the callee's weights
  std::vector<int> consumers;  // kPublish: the services consuming `topic`
  std::vector<int> consumer_operations;  // kPublish: their operations processing `topic`
  double probability = 1;                // per invocation of the owning operation (set by routing)
  double base_probability = 1;           // as designed, before routing scaled it
  bool tunable = true;                   // whether routing may scale `probability`
  int max_repeat = 1;             // runs 1..max_repeat times in a row (one lookup per cart item)
  bool parallel = false;          // starts together with the previous step instead of after it
  bool critical = true;           // whether its failure usually fails the caller
  bool after_cache_miss = false;  // runs only if the previous (cache) step missed
  double miss_probability = 0;    // for cache steps: share of lookups that miss
  core::TimeNs timeout_ns = 0;    // the caller gives up after this (0: never)

  // kPeer, kInternal, kPublish: the span's name ("SELECT orders", "HGETALL", "publish
  // order.created", "render page").
  std::string name;
  std::string db_operation;  // "SELECT", "HGETALL"
  std::string db_table;      // "orders"
  // db.statement; the URL path of an external API call; code.function of internal work.
  std::string statement;
  std::string http_method;      // external API calls
  std::string topic;            // kPublish
  LatencyDistribution latency;  // the peer's or the local work's own time
};

struct Operation {
  OperationKind kind = OperationKind::kGrpc;
  std::string name;         // the span name: "GET /api/cart", "oteldemo.CartService/GetCart"
  std::string http_method;  // kHttp
  std::string http_route;   // kHttp, with {placeholders}: "/api/products/{productId}"
  std::string rpc_service;  // kGrpc: "oteldemo.CartService"
  std::string rpc_method;   // kGrpc: "GetCart"
  std::string topic;        // kConsumer
  double weight = 1;        // share of the service's calls it receives (0 for consumers)
  LatencyDistribution self_latency;
  double error_probability = 0.0005;  // fails on its own, before any fault
  std::vector<CallStep> steps;
};

enum class PeerKind : uint8_t { kCache, kDatabase, kHttpApi };

// An uninstrumented dependency: it appears only in its callers' CLIENT spans.
struct Peer {
  PeerKind kind = PeerKind::kDatabase;
  std::string name;            // peer.service: "redis", "postgresql", "payment-provider"
  std::string db_system;       // "redis", "postgresql"; "" for HTTP APIs
  std::string server_address;  // "redis", "postgresql", "api.payment-provider.example"
  int port = 0;
  std::string ip;  // network.peer.address
  double error_probability = 0.0001;
};

struct Instance {
  int service = 0;
  std::string instance_id;  // service.instance.id (a UUID)
  std::string pod_name;     // k8s.pod.name, also host.name
  std::string node_name;    // k8s.node.name
  std::string ip;           // the pod IP, network.peer.address as its peers see it
  double speed = 1;         // multiplies self-time: instances are not all alike
};

struct Service {
  std::string name;
  std::string domain;  // the noun in its operations and log lines: "cart", "inventory"
  int level = 0;       // 0 for entry points; calls go to strictly higher levels
  bool entry = false;
  bool hub = false;  // called by many services (auth, currency, product-catalog, ...)
  OperationKind protocol = OperationKind::kGrpc;  // how it serves: kHttp or kGrpc
  int port = 8080;
  Language language = Language::kGo;
  std::string version;  // service.version
  std::string db_name;  // its PostgreSQL database, "" if none
  std::vector<Operation> operations;
  // Running sums of operation weights, for drawing the operation of an untargeted call.
  std::vector<double> operation_weights_cumulative;
  std::vector<int> instances;  // into Fleet::instances
  // Expected invocations per root request, after routing (repeats included).
  double calls_per_trace = 0;
};

struct EntryPoint {
  int service = 0;
  int operation = 0;
  double weight = 0;
};

struct FleetOptions {
  int services = 500;
  uint64_t seed = 1;
  // Every service is reached by at least this share of root requests: with 100 requests/s at the
  // weekly trough (about 40/s) that is 18 expected calls in 30 s. Fleets above 500 services get
  // this times 500 / services.
  double min_reach_per_trace = 0.015;
  // Routing aims the mean trace at this many spans (0: chosen from the fleet size).
  double target_spans_per_trace = 0;
};

struct Fleet {
  std::vector<Service> services;  // services[0] is the frontend
  std::vector<Peer> peers;
  std::vector<Instance> instances;
  std::vector<EntryPoint> entries;
  std::vector<double> entry_weights_cumulative;
  int levels = 0;              // calls go from level l to levels in (l, levels)
  double spans_per_trace = 0;  // expected, after routing

  // Builds the fleet for `options`. Fails on fewer than 10 services (the core shop) or more than
  // 20000.
  static absl::StatusOr<Fleet> Build(const FleetOptions& options);

  // Index of the service or peer called `name`, or -1.
  int FindService(std::string_view name) const;
  int FindPeer(std::string_view name) const;
};

inline constexpr int kMinServices = 10;
inline constexpr int kMaxServices = 20'000;

}  // namespace augur::sim
