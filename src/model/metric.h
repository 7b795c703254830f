// Metric data points (OTLP metrics.proto) decoded into flat, view-based records.
//
// A MetricBatch is what one Export request (or one remote-write request) carried. Descriptors,
// points and the numeric arrays of histograms live in flat vectors; strings are views into
// `storage`. Build on one thread, then share read-only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "model/attributes.h"
#include "model/batch_storage.h"
#include "model/resource.h"

namespace augur::model {

enum class MetricType : uint8_t {
  kGauge,
  kSum,
  kHistogram,
  kExponentialHistogram,
  kSummary,
};

// Values match OTLP's AggregationTemporality.
enum class Temporality : uint8_t {
  kUnspecified = 0,
  kDelta = 1,
  kCumulative = 2,
};

// A contiguous range in one of MetricBatch's numeric pools.
struct PoolRange {
  uint32_t begin = 0;
  uint32_t count = 0;
};

struct Metric {
  std::string_view name;
  std::string_view description;
  std::string_view unit;
  MetricType type = MetricType::kGauge;
  Temporality temporality = Temporality::kUnspecified;  // sums and histograms
  bool is_monotonic = false;                            // sums
  uint32_t resource_index = 0;                          // into MetricBatch::resources
  PoolRange points;                                     // into MetricBatch::points
};

// One data point of any type; only the fields of its metric's type are meaningful.
struct MetricPoint {
  uint32_t metric_index = 0;  // into MetricBatch::metrics
  AttributeRange attributes;  // in MetricBatch::attributes
  core::TimeNs start_time_ns = 0;
  core::TimeNs time_ns = 0;
  uint32_t flags = 0;  // bit 0: no recorded value

  // Gauge and sum: the value (as_int converted to double; `is_int` keeps the original kind).
  double value = 0;
  int64_t int_value = 0;
  bool is_int = false;

  // Histogram, exponential histogram, summary.
  uint64_t count = 0;
  double sum = 0;
  bool has_sum = false;
  double min = 0;
  double max = 0;
  bool has_min = false;
  bool has_max = false;

  // Histogram: bucket_counts has explicit_bounds.count + 1 entries (or 0 for none).
  PoolRange bucket_counts;    // in MetricBatch::bucket_counts
  PoolRange explicit_bounds;  // in MetricBatch::explicit_bounds

  // Exponential histogram (base = 2^(2^-scale)).
  int32_t scale = 0;
  uint64_t zero_count = 0;
  double zero_threshold = 0;
  int32_t positive_offset = 0;
  PoolRange positive_counts;  // in MetricBatch::bucket_counts
  int32_t negative_offset = 0;
  PoolRange negative_counts;  // in MetricBatch::bucket_counts

  // Summary: (quantile, value) pairs.
  PoolRange quantiles;  // in MetricBatch::quantiles

  bool NoRecordedValue() const { return (flags & 1u) != 0; }
};

struct Quantile {
  double quantile = 0;
  double value = 0;
};

struct MetricBatch {
  std::vector<Resource> resources;
  std::vector<Metric> metrics;
  std::vector<MetricPoint> points;
  std::vector<KeyValue> attributes;  // pool for resources and points
  std::vector<uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
  std::vector<Quantile> quantiles;
  BatchStorage storage;

  std::span<const KeyValue> AttributesOf(AttributeRange range) const {
    return model::AttributesOf(attributes, range);
  }
};

}  // namespace augur::model
