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

}  // namespace augur::model
