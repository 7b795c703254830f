// How OTLP metrics are named in Prometheus exposition (after the OpenTelemetry "Prometheus and
// OpenMetrics compatibility" specification): the name sanitized, the UCUM unit spelled out as a
// suffix ("By" -> "_bytes", "s" -> "_seconds", "1" -> "_ratio" for gauges), and "_total" on
// monotonic counters (added by the exposition writer, not here).
#pragma once

#include <string>
#include <string_view>

namespace augur::model {

// The Prometheus family name for an OTLP metric. `is_counter`: a monotonic sum (the unit "1" is
// then dropped rather than named "ratio").
std::string PrometheusMetricName(std::string_view name, std::string_view unit, bool is_counter);

}  // namespace augur::model
