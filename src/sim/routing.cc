#include "sim/routing.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace augur::sim {

namespace {

// Services in an order where every caller comes before its callees.
std::vector<int> LevelOrder(const Fleet& fleet) {
  std::vector<int> order(fleet.services.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return fleet.services[a].level < fleet.services[b].level; });
  return order;
}

double MeanRepeats(const CallStep& step) { return (1.0 + step.max_repeat) / 2.0; }

// The chance that each step of `steps` runs, given that its operation runs: its probability,
// times the miss rate of the cache step before it when it only runs on a miss.
std::vector<double> RunProbabilities(const std::vector<CallStep>& steps) {
  std::vector<double> out(steps.size());
  double last_miss = 1;
  for (size_t k = 0; k < steps.size(); ++k) {
    const CallStep& step = steps[k];
    out[k] = step.probability * (step.after_cache_miss ? last_miss : 1.0);
    if (step.kind == StepKind::kPeer && !step.after_cache_miss) last_miss = step.miss_probability;
  }
  return out;
}

// Spreads `amount` calls of a service over its operations by weight.
void AddUntargeted(const Service& service, double amount, std::vector<double>& per_operation) {
  const double total = service.operation_weights_cumulative.empty()
                           ? 0
                           : service.operation_weights_cumulative.back();
  if (total <= 0) return;
  for (size_t j = 0; j < service.operations.size(); ++j) {
    per_operation[j] += amount * service.operations[j].weight / total;
  }
}

struct StepRef {
  int service;
  int operation;
  int step;
};

// Steps that call or publish to each service.
std::vector<std::vector<StepRef>> IncomingSteps(const Fleet& fleet) {
  std::vector<std::vector<StepRef>> in(fleet.services.size());
  for (int u = 0; u < static_cast<int>(fleet.services.size()); ++u) {
    const Service& s = fleet.services[u];
    for (int j = 0; j < static_cast<int>(s.operations.size()); ++j) {
      const std::vector<CallStep>& steps = s.operations[j].steps;
      for (int k = 0; k < static_cast<int>(steps.size()); ++k) {
        if (steps[k].kind == StepKind::kCall) in[steps[k].target].push_back({u, j, k});
        if (steps[k].kind == StepKind::kPublish) {
          for (int c : steps[k].consumers) in[c].push_back({u, j, k});
        }
      }
    }
  }
  return in;
}

// The chance that call or publication `ref` runs when its operation runs. Only peer steps wait
// on a cache miss, so this is the step's own probability.
double RunProbability(const Fleet& fleet, const StepRef& ref) {
  return fleet.services[ref.service].operations[ref.operation].steps[ref.step].probability;
}

// Invocations per root request of every operation, filled in level order: a service's numbers
// are pulled from its callers' once they are final.
struct Flow {
  std::vector<std::vector<double>> calls;  // [service][operation], repeats counted
  std::vector<std::vector<double>> reach;  // [service][operation], steps counted once

  // Root requests at every entry, or at `entry_service` only (still per root request overall).
  explicit Flow(const Fleet& fleet, int entry_service = -1) {
    for (const Service& s : fleet.services) {
      calls.emplace_back(s.operations.size(), 0.0);
      reach.emplace_back(s.operations.size(), 0.0);
    }
    double total = 0;
    for (const EntryPoint& e : fleet.entries) total += e.weight;
    for (const EntryPoint& e : fleet.entries) {
      if (entry_service >= 0 && e.service != entry_service) continue;
      calls[e.service][e.operation] += e.weight / total;
      reach[e.service][e.operation] += e.weight / total;
    }
  }

  // Adds the calls into service `v` through `in` (its callers are final).
  void Pull(const Fleet& fleet, int v, const std::vector<StepRef>& in) {
    double untargeted_calls = 0, untargeted_reach = 0;
    for (const StepRef& ref : in) {
      const CallStep& step = fleet.services[ref.service].operations[ref.operation].steps[ref.step];
      const double run = RunProbability(fleet, ref);
      const double c = calls[ref.service][ref.operation] * run * MeanRepeats(step);
      const double r = reach[ref.service][ref.operation] * run;
      if (step.kind == StepKind::kCall) {
        if (step.target_operation < 0) {
          untargeted_calls += c;
          untargeted_reach += r;
        } else {
          calls[v][step.target_operation] += c;
          reach[v][step.target_operation] += r;
        }
      } else {
        for (size_t i = 0; i < step.consumers.size(); ++i) {
          if (step.consumers[i] != v) continue;
          calls[v][step.consumer_operations[i]] += c;
          reach[v][step.consumer_operations[i]] += r;
        }
      }
    }
    AddUntargeted(fleet.services[v], untargeted_calls, calls[v]);
    AddUntargeted(fleet.services[v], untargeted_reach, reach[v]);
  }
};

// Reach of `v` from its (finished) callers' current step probabilities.
double IncomingReach(const Fleet& fleet, const Flow& flow, const std::vector<StepRef>& in) {
  double r = 0;
  for (const StepRef& ref : in)
    r += flow.reach[ref.service][ref.operation] * RunProbability(fleet, ref);
  return r;
}

// Raises the calls into `v` until it is reached by `min_reach` of root requests, if its callers
// allow it. The missing reach comes from the callers' busiest operations first, with small
// probabilities, rather than from always calling v in a rare operation: the expected cost in spans
// is the same, but traces stay alike instead of a few growing huge.
void EnsureReach(double min_reach, int v, Flow& flow, std::vector<StepRef>& in, Fleet* fleet) {
  double r = IncomingReach(*fleet, flow, in);
  if (r >= min_reach || in.empty()) return;
  std::vector<int> callers;
  for (const StepRef& ref : in) callers.push_back(ref.service);
  std::sort(callers.begin(), callers.end());
  callers.erase(std::unique(callers.begin(), callers.end()), callers.end());
  struct Candidate {
    double reach;
    int service;
    int operation;
  };
  std::vector<Candidate> candidates;
  for (int u : callers) {
    for (int j = 0; j < static_cast<int>(fleet->services[u].operations.size()); ++j) {
      if (flow.reach[u][j] > 0) candidates.push_back({flow.reach[u][j], u, j});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.reach != b.reach
               ? a.reach > b.reach
               : std::make_pair(a.service, a.operation) < std::make_pair(b.service, b.operation);
  });
  for (const Candidate& c : candidates) {
    if (r >= min_reach) break;
    const double missing = (min_reach - r) * 1.001;
    // The operation's existing tunable call of v, else a new one copied from the caller's.
    CallStep* existing = nullptr;
    const CallStep* model = nullptr;
    for (const StepRef& ref : in) {
      if (ref.service != c.service) continue;
      CallStep& step = fleet->services[ref.service].operations[ref.operation].steps[ref.step];
      if (model == nullptr) model = &step;
      if (ref.operation == c.operation && step.tunable) existing = &step;
    }
    if (existing != nullptr) {
      const double before = existing->probability;
      existing->probability = std::min(1.0, before + missing / c.reach);
      r += (existing->probability - before) * c.reach;
      continue;
    }
    if (model == nullptr) continue;
    CallStep step = *model;
    step.tunable = true;
    step.after_cache_miss = false;
    step.probability = std::min(1.0, missing / c.reach);
    std::vector<CallStep>& steps = fleet->services[c.service].operations[c.operation].steps;
    steps.push_back(std::move(step));
    in.push_back({c.service, c.operation, static_cast<int>(steps.size()) - 1});
    r += steps.back().probability * c.reach;
  }
}

// Applies `scale` and the reach floor to `fleet` in place; returns the expected spans per trace.
double ApplyRouting(double scale, double min_reach, Fleet* fleet) {
  for (Service& s : fleet->services) {
    for (Operation& op : s.operations) {
      for (CallStep& step : op.steps) {
        if (step.tunable) step.probability = std::min(1.0, step.base_probability * scale);
      }
    }
  }
  std::vector<std::vector<StepRef>> in = IncomingSteps(*fleet);
  Flow flow(*fleet);
  for (int v : LevelOrder(*fleet)) {
    if (!fleet->services[v].entry) EnsureReach(min_reach, v, flow, in[v], fleet);
    flow.Pull(*fleet, v, in[v]);
  }
  return ComputeExpectedTraffic(*fleet).spans_per_trace;
}

}  // namespace

ExpectedTraffic ComputeExpectedTraffic(const Fleet& fleet, int entry_service) {
  const std::vector<std::vector<StepRef>> in = IncomingSteps(fleet);
  Flow flow(fleet, entry_service);
  for (int v : LevelOrder(fleet)) flow.Pull(fleet, v, in[v]);

  ExpectedTraffic out;
  out.operation_calls = flow.calls;
  for (int v = 0; v < static_cast<int>(fleet.services.size()); ++v) {
    const Service& service = fleet.services[v];
    double calls = 0, reach = 0;
    for (size_t j = 0; j < service.operations.size(); ++j) {
      calls += flow.calls[v][j];
      reach += flow.reach[v][j];
      // The operation's own SERVER or CONSUMER span, and one span per step that runs (CLIENT,
      // PRODUCER or INTERNAL); the callee's spans are counted with the callee.
      double spans = 1;
      const std::vector<CallStep>& steps = service.operations[j].steps;
      const std::vector<double> run = RunProbabilities(steps);
      for (size_t k = 0; k < steps.size(); ++k) spans += run[k] * MeanRepeats(steps[k]);
      out.spans_per_trace += flow.calls[v][j] * spans;
    }
    out.service_calls.push_back(calls);
    out.service_reach.push_back(reach);
  }
  return out;
}

std::map<std::pair<int, int>, double> ExpectedEdgeCalls(const Fleet& fleet,
                                                        const ExpectedTraffic& traffic) {
  std::map<std::pair<int, int>, double> out;
  for (int u = 0; u < static_cast<int>(fleet.services.size()); ++u) {
    const Service& service = fleet.services[u];
    for (size_t j = 0; j < service.operations.size() && j < traffic.operation_calls[u].size();
         ++j) {
      const std::vector<CallStep>& steps = service.operations[j].steps;
      const std::vector<double> run = RunProbabilities(steps);
      for (size_t k = 0; k < steps.size(); ++k) {
        if (steps[k].kind != StepKind::kCall) continue;
        out[{u, steps[k].target}] += traffic.operation_calls[u][j] * run[k] * MeanRepeats(steps[k]);
      }
    }
  }
  return out;
}

void TuneRouting(double min_reach, double target_spans_per_trace, Fleet* fleet) {
  // Spans grow with the scale; bisect on a copy, since the floor pass may add steps.
  double lo = 0.01, hi = 2.0;
  for (int i = 0; i < 14; ++i) {
    const double mid = std::sqrt(lo * hi);
    Fleet trial;
    trial.services = fleet->services;
    trial.entries = fleet->entries;
    if (ApplyRouting(mid, min_reach, &trial) > target_spans_per_trace) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  ApplyRouting(lo, min_reach, fleet);
  const ExpectedTraffic traffic = ComputeExpectedTraffic(*fleet);
  for (size_t v = 0; v < fleet->services.size(); ++v) {
    fleet->services[v].calls_per_trace = traffic.service_calls[v];
  }
  fleet->spans_per_trace = traffic.spans_per_trace;
}

}  // namespace augur::sim
