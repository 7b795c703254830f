// Names for the generated long tail of the shop: "<domain>-<role>" from two word lists, such as
// "inventory-sync", "fraud-scoring", "loyalty-points" or "search-indexer".
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "sim/random.h"

namespace augur::sim {

// What a role word says about how the service works; it shapes the service's operations.
enum class ServiceRole {
  kApi,       // request/response over HTTP ("-api", "-gateway", "-proxy", "-adapter")
  kRpc,       // request/response, gRPC or HTTP ("-service", "-engine", "-resolver", ...)
  kWorker,    // consumes messages ("-worker", "-indexer", "-consumer", "-processor", ...)
  kDataStore  // fronts a database or cache ("-store", "-cache", "-registry", "-ledger")
};

struct GeneratedServiceName {
  std::string name;    // "inventory-sync"
  std::string domain;  // "inventory": the noun in its operations and log lines
  ServiceRole role = ServiceRole::kRpc;
};

// `count` unique names, none in `taken`, in an order drawn from `rng`. Pairs run out after a few
// thousand; later names get a numeric suffix ("inventory-sync-2").
std::vector<GeneratedServiceName> GenerateServiceNames(
    int count, const absl::flat_hash_set<std::string>& taken, Rng& rng);

}  // namespace augur::sim
