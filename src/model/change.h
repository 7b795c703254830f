// A change to a service that can explain an incident: a deploy (its `service.version` changed) or
// a restart (its process started again: cumulative counters reset, a new start time). Stage 1
// sees deploys in span resources, stage 2 restarts in ingested counters; the correlator collects
// both.
#pragma once

#include <string>

#include "core/time.h"

namespace augur::model {

struct ChangeEvent {
  core::TimeNs t = 0;  // event time of the change
  std::string service;
  std::string kind;         // "deploy" or "restart"
  std::string description;  // "version 1.4.2 -> 1.5.0"
};

// Where a service runs: one (service, host) pair, the host being the resource's `k8s.node.name`
// (else `host.name`). Stage 1 reports each pair once; the correlator uses them to find services
// that share a machine (a noisy neighbour starves the others of CPU).
struct Placement {
  std::string service;
  std::string host;
};

}  // namespace augur::model
