// What travels on the in-process queues between stages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <variant>
#include <vector>

#include "model/log_record.h"
#include "model/metric.h"
#include "model/partials.h"
#include "model/span.h"

namespace augur::bus {

// The spans of a shared batch that one derive shard owns (those whose trace id hashes to it).
struct SpanWork {
  std::shared_ptr<const model::SpanBatch> batch;
  std::vector<uint32_t> indices;
};

// The log records of a shared batch that one derive shard owns (by stream: the service).
struct LogWork {
  std::shared_ptr<const model::LogBatch> batch;
  std::vector<uint32_t> indices;
};

// The metric points of a shared batch that one series shard owns (by service).
struct MetricWork {
  std::shared_ptr<const model::MetricBatch> batch;
  std::vector<uint32_t> indices;
};

// A closure to run on a shard's thread (e.g. an API query); travels on the control lane.
using ShardTask = std::function<void()>;

struct DeriveMessage {
  std::variant<SpanWork, LogWork, ShardTask> payload;
  size_t units = 0;  // queue units this message holds (0 for control tasks)
};

struct SeriesMessage {
  std::variant<model::PartialBatch, MetricWork, ShardTask> payload;
  size_t units = 0;
};

}  // namespace augur::bus
