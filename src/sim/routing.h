// How often each service is called per root request, and the tuning of call probabilities that
// makes the mean trace a chosen size while no service is left (almost) idle.
//
// Expected counts are exact for the model (ignoring early aborts on errors): the entry weights
// flow down the DAG in level order, each step passing on probability x mean repeats.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "sim/fleet.h"

namespace augur::sim {

struct ExpectedTraffic {
  // Invocations per root request, repeats counted.
  std::vector<double> service_calls;
  // The same with every step counted once: for small values, about the share of root requests
  // that reach the service at all.
  std::vector<double> service_reach;
  std::vector<std::vector<double>> operation_calls;  // [service][operation]
  double spans_per_trace = 0;
};

// `entry_service` >= 0 counts only the root requests entering there (still per root request of
// all entries): the part of every service's traffic that comes through that entry.
ExpectedTraffic ComputeExpectedTraffic(const Fleet& fleet, int entry_service = -1);

// Calls per root request from each service to each service it calls (caller, callee), repeats
// counted, from the operation flows of `traffic`.
std::map<std::pair<int, int>, double> ExpectedEdgeCalls(const Fleet& fleet,
                                                        const ExpectedTraffic& traffic);

// Sets the probability of every tunable step to base_probability times one common factor, chosen
// so the mean trace has about `target_spans_per_trace` spans; then, in level order, raises the
// calls into any service reached by fewer than `min_reach` of root requests (up to calling it
// from every operation of its callers). Fills Service::calls_per_trace and
// Fleet::spans_per_trace.
void TuneRouting(double min_reach, double target_spans_per_trace, Fleet* fleet);

}  // namespace augur::sim
