// What the REST API and /metrics read from the running pipeline. Implemented by the pipeline
// (app/), which answers by asking each shard on its own thread. Thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/exposition.h"
#include "core/time.h"
#include "detect/series_table.h"

namespace augur::api {

class Backend {
 public:
  virtual ~Backend() = default;

  // The event time that "the last minute" is measured back from: the latest event time the
  // pipeline has seen (the wall clock before any data).
  virtual core::TimeNs Now() = 0;
  virtual std::vector<detect::ServiceSummary> Services(core::TimeNs now) = 0;
  // nullopt when no such service is known.
  virtual std::optional<std::vector<detect::OperationSummary>> Operations(std::string_view service,
                                                                          core::TimeNs now) = 0;
  virtual std::vector<detect::EdgeSummary> Edges(core::TimeNs now) = 0;
  // Series and self-telemetry, for /metrics.
  virtual void WriteMetrics(core::Exposition* out) = 0;
  // Accepting and processing telemetry (false while starting or draining).
  virtual bool Ready() = 0;
};

}  // namespace augur::api
