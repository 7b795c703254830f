// Sends Export requests with up to N in flight: a bounded queue in front of N worker threads, each
// with its own OtlpSender. Retryable answers are retried with exponential backoff and jitter (100
// ms doubling to 5 s, or the receiver's Retry-After if longer) until the request is accepted or
// has been retried for a minute; permanent rejections are dropped and counted. A fatal answer
// (the client cannot work at all) is recorded for the owner to stop on.
//
// Submit() is called by one producer thread and blocks while the queue is full (backpressure).
// Counters are atomics readable from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sim/export_payload.h"
#include "sim/otlp_sender.h"

namespace augur::sim {

struct ExportCounters {
  std::atomic<uint64_t> traces{0};  // root spans accepted
  std::atomic<uint64_t> spans{0};
  std::atomic<uint64_t> metric_points{0};
  std::atomic<uint64_t> log_records{0};
  std::atomic<uint64_t> requests{0};         // accepted
  std::atomic<uint64_t> failed_requests{0};  // dropped: rejected, or retried too long
  std::atomic<uint64_t> retries{0};
};

struct RetryPolicy {
  core::TimeNs initial_backoff_ns = 100 * core::kNsPerMillisecond;
  core::TimeNs max_backoff_ns = 5 * core::kNsPerSecond;
  core::TimeNs max_elapsed_ns = 60 * core::kNsPerSecond;  // then the request is dropped
  // After Abandon(): retries stop this long after the call.
  core::TimeNs abandon_grace_ns = 1 * core::kNsPerSecond;
};

class ExportDispatcher {
 public:
  // Starts one worker per sender. `counters` must outlive the dispatcher.
  ExportDispatcher(std::vector<std::unique_ptr<OtlpSender>> senders, size_t queue_capacity,
                   RetryPolicy policy, ExportCounters* counters);
  // Closes and joins.
  ~ExportDispatcher();
  ExportDispatcher(const ExportDispatcher&) = delete;
  ExportDispatcher& operator=(const ExportDispatcher&) = delete;

  // Queues `payload`, waiting while the queue is full. Returns false (and drops it) once closed or
  // after a fatal failure.
  bool Submit(ExportPayload payload);
  // Stops accepting; the workers send what is queued and exit. Waits for them.
  void Close();
  // Makes retries give up soon: for shutting down while the receiver is away.
  void Abandon();

  // The first fatal failure, or OK.
  absl::Status fatal_status() const;
  bool failed_fatally() const { return fatal_.load(std::memory_order_relaxed); }
  // Why the most recently dropped request was dropped, or OK.
  absl::Status last_failure() const;

 private:
  void Work(size_t index);
  void Send(OtlpSender& sender, ExportPayload& payload, uint64_t jitter_seed);

  std::vector<std::unique_ptr<OtlpSender>> senders_;
  const size_t capacity_;
  const RetryPolicy policy_;
  ExportCounters* counters_;

  mutable absl::Mutex mu_;
  std::deque<ExportPayload> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  core::TimeNs abandon_at_ns_ ABSL_GUARDED_BY(mu_) = 0;  // steady-clock ns; 0 while not abandoned
  absl::Status fatal_status_ ABSL_GUARDED_BY(mu_);
  absl::Status last_failure_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> fatal_{false};
  std::vector<std::thread> workers_;
};

}  // namespace augur::sim
