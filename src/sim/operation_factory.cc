#include "sim/operation_factory.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include "sim/text.h"

namespace augur::sim {

LatencyDistribution Latency(double median_ms, double sigma, double tail_probability,
                            double tail_alpha) {
  LatencyDistribution d;
  d.median_ms = median_ms;
  d.sigma = sigma;
  d.tail_probability = tail_probability;
  d.tail_alpha = tail_alpha;
  return d;
}

Operation HttpOperation(std::string_view method, std::string_view route, double weight,
                        LatencyDistribution self_latency) {
  Operation op;
  op.kind = OperationKind::kHttp;
  op.name = Cat(method, " ", route);
  op.http_method = std::string(method);
  op.http_route = std::string(route);
  op.weight = weight;
  op.self_latency = self_latency;
  return op;
}

Operation GrpcOperation(std::string_view rpc_service, std::string_view method, double weight,
                        LatencyDistribution self_latency) {
  Operation op;
  op.kind = OperationKind::kGrpc;
  op.name = Cat(rpc_service, "/", method);
  op.rpc_service = std::string(rpc_service);
  op.rpc_method = std::string(method);
  op.weight = weight;
  op.self_latency = self_latency;
  return op;
}

Operation ConsumerOperation(std::string_view topic, LatencyDistribution self_latency) {
  Operation op;
  op.kind = OperationKind::kConsumer;
  op.name = Cat("process ", topic);
  op.topic = std::string(topic);
  op.weight = 0;
  op.self_latency = self_latency;
  return op;
}

CallStep CallTo(int service, int operation, double probability) {
  CallStep step;
  step.kind = StepKind::kCall;
  step.target = service;
  step.target_operation = operation;
  step.probability = step.base_probability = probability;
  step.timeout_ns = 5 * core::kNsPerSecond;
  return step;
}

CallStep PublishTo(std::string_view topic, double probability) {
  CallStep step;
  step.kind = StepKind::kPublish;
  step.name = Cat("publish ", topic);
  step.topic = std::string(topic);
  step.probability = step.base_probability = probability;
  step.critical = false;
  step.latency = Latency(1.2, 0.5, 0.01, 2.0);  // the broker's acknowledgement
  return step;
}

CallStep DatabaseQuery(int peer, std::string_view operation, std::string_view table,
                       double probability, LatencyDistribution latency) {
  CallStep step;
  step.kind = StepKind::kPeer;
  step.target = peer;
  step.name = Cat(operation, " ", table);
  step.db_operation = std::string(operation);
  step.db_table = std::string(table);
  if (operation == "SELECT") {
    step.statement = Cat("SELECT * FROM ", table, " WHERE id = $1");
  } else if (operation == "INSERT") {
    step.statement = Cat("INSERT INTO ", table, " VALUES ($1, $2, $3, $4)");
  } else if (operation == "UPDATE") {
    step.statement = Cat("UPDATE ", table, " SET status = $1 WHERE id = $2");
  } else {
    step.statement = Cat(operation, " FROM ", table, " WHERE id = $1");
  }
  step.probability = step.base_probability = probability;
  step.latency = latency;
  step.timeout_ns = 3 * core::kNsPerSecond;
  return step;
}

CallStep CacheCommand(int peer, std::string_view command, std::string_view key_prefix,
                      double probability, double miss_probability, LatencyDistribution latency) {
  CallStep step;
  step.kind = StepKind::kPeer;
  step.target = peer;
  step.name = std::string(command);
  step.db_operation = std::string(command);
  step.db_table = std::string(key_prefix);
  step.statement = Cat(command, " ", key_prefix, ":?");
  step.probability = step.base_probability = probability;
  step.miss_probability = miss_probability;
  step.latency = latency;
  step.critical = false;  // services fall back to the database
  step.timeout_ns = 1 * core::kNsPerSecond;
  return step;
}

CallStep ExternalApiCall(int peer, std::string_view method, std::string_view path,
                         double probability, LatencyDistribution latency) {
  CallStep step;
  step.kind = StepKind::kPeer;
  step.target = peer;
  step.name = Cat(method, " ", path);
  step.http_method = std::string(method);
  step.statement = std::string(path);
  step.probability = step.base_probability = probability;
  step.latency = latency;
  step.timeout_ns = 10 * core::kNsPerSecond;
  return step;
}

CallStep InternalWork(std::string_view name, double probability, LatencyDistribution latency) {
  CallStep step;
  step.kind = StepKind::kInternal;
  step.name = std::string(name);
  step.statement = PascalCase(name);  // code.function
  if (!step.statement.empty()) {
    step.statement[0] =
        static_cast<char>(std::tolower(static_cast<unsigned char>(step.statement[0])));
  }
  step.probability = step.base_probability = probability;
  step.latency = latency;
  step.critical = false;
  return step;
}

std::string PascalCase(std::string_view words) {
  std::string out;
  bool upper = true;
  for (char c : words) {
    if (c == '-' || c == '_' || c == '.' || c == ' ') {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

namespace {

struct RouteShape {
  std::string_view method;
  std::string_view suffix;  // after "/api/v1/{domain}"
};

// The first four are the ones nearly every resource has.
constexpr RouteShape kRouteShapes[] = {
    {"GET", "/{id}"},
    {"GET", ""},
    {"POST", ""},
    {"PUT", "/{id}"},
    {"DELETE", "/{id}"},
    {"PATCH", "/{id}"},
    {"GET", "/{id}/status"},
    {"POST", "/{id}/sync"},
    {"GET", "/search"},
    {"POST", "/batch"},
    {"GET", "/{id}/history"},
    {"POST", "/{id}/validate"},
    {"GET", "/summary"},
    {"POST", "/import"},
    {"GET", "/export"},
    {"GET", "/{id}/items"},
    {"POST", "/{id}/items"},
    {"DELETE", "/{id}/items/{itemId}"},
    {"GET", "/stats"},
    {"POST", "/{id}/refresh"},
    {"GET", "/config"},
    {"PUT", "/config"},
    {"POST", "/{id}/approve"},
    {"POST", "/{id}/cancel"},
    {"GET", "/{id}/events"},
    {"POST", "/recalculate"},
    {"GET", "/lookup"},
    {"POST", "/{id}/notify"},
    {"GET", "/{id}/preview"},
    {"POST", "/{id}/archive"},
    {"GET", "/pending"},
    {"POST", "/{id}/retry"},
};
constexpr int kCommonRouteShapes = 4;

constexpr std::string_view kVerbs[] = {
    "Get",     "List",      "Create", "Update",   "Delete",   "Validate", "Compute", "Search",
    "Resolve", "Sync",      "Score",  "Reserve",  "Release",  "Refresh",  "Lookup",  "BatchGet",
    "Apply",   "Calculate", "Check",  "Estimate", "Register", "Export",   "Import",  "Reconcile",
};
constexpr int kCommonVerbs = 4;
constexpr std::string_view kObjectSuffixes[] = {"",        "Status",   "History",
                                                "Summary", "Settings", "Items"};

// Self-time medians by role (ms): data stores answer fast, workers do heavier work.
std::pair<double, double> MedianRangeMs(ServiceRole role) {
  switch (role) {
    case ServiceRole::kApi:
      return {1.0, 8.0};
    case ServiceRole::kRpc:
      return {0.5, 15.0};
    case ServiceRole::kWorker:
      return {2.0, 30.0};
    case ServiceRole::kDataStore:
      return {0.3, 3.0};
  }
  return {1.0, 10.0};
}

LatencyDistribution DrawLatency(ServiceRole role, Rng& rng) {
  auto [lo, hi] = MedianRangeMs(role);
  const double median = std::exp(rng.Uniform(std::log(lo), std::log(hi)));
  return Latency(median, rng.Uniform(0.25, 0.65), rng.Uniform(0.004, 0.02), rng.Uniform(1.5, 3.0));
}

// Background failure rate of one operation: heavy-tailed, most around 0.015-0.05 %, a few near 1 %.
double DrawErrorProbability(Rng& rng) { return std::min(0.01, 0.00015 * rng.Pareto(1.0, 1.1)); }

}  // namespace

std::vector<Operation> GenerateOperations(std::string_view service_name, std::string_view domain,
                                          ServiceRole role, OperationKind protocol, int count,
                                          Rng& rng) {
  std::vector<std::pair<std::string, std::string>> names;  // (method or verb, route or object)
  if (protocol == OperationKind::kHttp) {
    std::vector<int> order;
    for (int i = kCommonRouteShapes; i < static_cast<int>(std::size(kRouteShapes)); ++i) {
      order.push_back(i);
    }
    rng.Shuffle(order);
    std::vector<int> common = {0, 1, 2, 3};
    rng.Shuffle(common);
    order.insert(order.begin(), common.begin(), common.end());
    const std::string base = Cat("/api/v1/", domain);
    for (int i : order) {
      names.emplace_back(std::string(kRouteShapes[i].method), Cat(base, kRouteShapes[i].suffix));
    }
  } else {
    const std::string object = PascalCase(domain);
    std::vector<std::pair<int, int>> pool;
    for (int v = 0; v < static_cast<int>(std::size(kVerbs)); ++v) {
      for (int o = 0; o < static_cast<int>(std::size(kObjectSuffixes)); ++o) {
        if (v < kCommonVerbs && o == 0) continue;
        pool.emplace_back(v, o);
      }
    }
    rng.Shuffle(pool);
    std::vector<std::pair<int, int>> common;
    for (int v = 0; v < kCommonVerbs; ++v) common.emplace_back(v, 0);
    rng.Shuffle(common);
    pool.insert(pool.begin(), common.begin(), common.end());
    for (auto [v, o] : pool) {
      names.emplace_back(std::string(kVerbs[v]), Cat(object, kObjectSuffixes[o]));
    }
  }
  count = std::clamp<int>(count, 1, static_cast<int>(names.size()));

  const std::string rpc_service = Cat("shop.", domain, ".v1.", PascalCase(service_name), "Service");
  std::vector<Operation> ops;
  ops.reserve(count);
  for (int i = 0; i < count; ++i) {
    // Zipf-like popularity: the i-th operation gets 1/(i+1)^1.2 of the calls.
    const double weight = 1.0 / std::pow(i + 1, 1.2);
    Operation op =
        protocol == OperationKind::kHttp
            ? HttpOperation(names[i].first, names[i].second, weight, DrawLatency(role, rng))
            : GrpcOperation(rpc_service, names[i].first + names[i].second, weight,
                            DrawLatency(role, rng));
    op.error_probability = DrawErrorProbability(rng);
    ops.push_back(std::move(op));
  }
  return ops;
}

int EnsureConsumerOperation(Service& service, std::string_view topic, Rng& rng) {
  for (int i = 0; i < static_cast<int>(service.operations.size()); ++i) {
    if (service.operations[i].kind == OperationKind::kConsumer &&
        service.operations[i].topic == topic) {
      return i;
    }
  }
  Operation op = ConsumerOperation(topic, DrawLatency(ServiceRole::kWorker, rng));
  op.error_probability = DrawErrorProbability(rng);
  service.operations.push_back(std::move(op));
  return static_cast<int>(service.operations.size()) - 1;
}

}  // namespace augur::sim
