// An incident as the REST API shows it (docs/api.md) and the incident store keeps it.
#pragma once

#include <nlohmann/json.hpp>

#include "rca/incident.h"

namespace augur::rca {

// `now` dates the duration of an open incident.
nlohmann::json IncidentToJson(const Incident& incident, core::TimeNs now);
// The short form for lists: without events and timeline.
nlohmann::json IncidentSummaryJson(const Incident& incident, core::TimeNs now);

}  // namespace augur::rca
