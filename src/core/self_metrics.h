// Self-telemetry: Augur's own counters and gauges (augur_<component>_<what>), exposed on /metrics.
//
// Components declare their metrics once, at construction, and keep the returned pointers; updates
// are relaxed atomic operations, safe from any thread. Declaring the same name and labels twice
// returns the same metric. A registry outlives every component that holds its pointers; callback
// gauges are removed when the handle returned for them is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/exposition.h"

namespace augur::core {

using OwnedLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class SelfMetrics {
 public:
  class CallbackHandle;

  SelfMetrics() = default;
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;

  // `name` without "_total"; exposed as name_total.
  Counter* GetCounter(std::string_view name, std::string_view help, OwnedLabels labels = {});
  Gauge* GetGauge(std::string_view name, std::string_view help, OwnedLabels labels = {});
  // A gauge read at exposition time. The callback runs on the scraping thread and must be
  // thread-safe; it is removed when the returned handle is destroyed.
  [[nodiscard]] std::unique_ptr<CallbackHandle> AddCallbackGauge(std::string_view name,
                                                                 std::string_view help,
                                                                 OwnedLabels labels,
                                                                 std::function<double()> callback);

  // Value of a counter or gauge by name and labels; 0 if undeclared. For tests and the API.
  double Value(std::string_view name, const OwnedLabels& labels = {}) const;

  void WriteTo(Exposition* exposition) const;

  struct Sample {
    std::string name;  // counters with their "_total" suffix, as exposed
    OwnedLabels labels;
    double value;
  };
  // Every metric's current value, in declaration order.
  std::vector<Sample> Snapshot() const;

  class CallbackHandle {
   public:
    ~CallbackHandle();

   private:
    friend class SelfMetrics;
    CallbackHandle(SelfMetrics* owner, uint64_t id) : owner_(owner), id_(id) {}
    SelfMetrics* owner_;
    uint64_t id_;
  };

 private:
  struct Entry {
    std::string name;
    std::string help;
    OwnedLabels labels;
    MetricKind kind;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
    uint64_t callback_id = 0;
  };
  Entry* Find(std::string_view name, const OwnedLabels& labels) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Entry* Find(std::string_view name, const OwnedLabels& labels) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_callback_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace augur::core
