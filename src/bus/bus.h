// Where receivers hand decoded telemetry to the pipeline.
//
// Publish* takes a whole batch or none of it: OK means every item is enqueued and may be
// acknowledged to the sender; Unavailable means the pipeline is full (or shutting down) and
// nothing was enqueued, so the sender should retry later. In the embedded shape this is LocalBus
// (in-process sharded queues); in the distributed shape a Kafka producer.
//
// Thread-safe: receivers call it from many threads.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "model/log_record.h"
#include "model/metric.h"
#include "model/span.h"

namespace augur::bus {

class Bus {
 public:
  virtual ~Bus() = default;
  virtual absl::Status PublishSpans(std::shared_ptr<const model::SpanBatch> batch) = 0;
  virtual absl::Status PublishMetrics(std::shared_ptr<const model::MetricBatch> batch) = 0;
  virtual absl::Status PublishLogs(std::shared_ptr<const model::LogBatch> batch) = 0;
};

}  // namespace augur::bus
