// Constructors for the parts of a fleet: operations (HTTP routes, gRPC methods, message
// consumers) and the steps inside them (calls, queries, cache commands, external API calls), with
// names and statements that follow the OpenTelemetry semantic conventions. Used by the hand-written
// core shop and by the generator of the long tail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/fleet.h"
#include "sim/random.h"
#include "sim/service_names.h"

namespace augur::sim {

LatencyDistribution Latency(double median_ms, double sigma = 0.4, double tail_probability = 0.01,
                            double tail_alpha = 2.0);

// Span name "{method} {route}".
Operation HttpOperation(std::string_view method, std::string_view route, double weight,
                        LatencyDistribution self_latency);
// Span name "{rpc_service}/{method}".
Operation GrpcOperation(std::string_view rpc_service, std::string_view method, double weight,
                        LatencyDistribution self_latency);
// Span name "process {topic}". Consumers get no share of direct calls (weight 0).
Operation ConsumerOperation(std::string_view topic, LatencyDistribution self_latency);

// A synchronous call of `operation` of `service` (-1: drawn by the callee's weights).
CallStep CallTo(int service, int operation, double probability);
// Publishes to `topic`; the consumers are added by the caller of this function.
CallStep PublishTo(std::string_view topic, double probability);
// A PostgreSQL statement: span "SELECT orders", db.statement "SELECT * FROM orders WHERE id = $1".
CallStep DatabaseQuery(int peer, std::string_view operation, std::string_view table,
                       double probability, LatencyDistribution latency);
// A Redis command: span "HGETALL", db.statement "HGETALL cart:?".
CallStep CacheCommand(int peer, std::string_view command, std::string_view key_prefix,
                      double probability, double miss_probability, LatencyDistribution latency);
// An HTTPS call of a third-party API: span "POST /v1/charges".
CallStep ExternalApiCall(int peer, std::string_view method, std::string_view path,
                         double probability, LatencyDistribution latency);
// Local work worth its own INTERNAL span ("render template", "compute score").
CallStep InternalWork(std::string_view name, double probability, LatencyDistribution latency);

// "inventory" -> "Inventory", "gift-card" -> "GiftCard".
std::string PascalCase(std::string_view words);

// `count` request operations (HTTP routes or gRPC methods by `protocol`) for a generated service of
// `domain` and `role`, with Zipf-like weights (a few operations take most calls).
std::vector<Operation> GenerateOperations(std::string_view service_name, std::string_view domain,
                                          ServiceRole role, OperationKind protocol, int count,
                                          Rng& rng);

// Index of the operation consuming `topic` in `service`, adding one if there is none.
int EnsureConsumerOperation(Service& service, std::string_view topic, Rng& rng);

}  // namespace augur::sim
