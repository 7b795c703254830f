#include "sim/export_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/time/time.h"
#include "sim/random.h"

namespace augur::sim {

namespace {

core::TimeNs SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ExportDispatcher::ExportDispatcher(std::vector<std::unique_ptr<OtlpSender>> senders,
                                   size_t queue_capacity, RetryPolicy policy,
                                   ExportCounters* counters)
    : senders_(std::move(senders)),
      capacity_(std::max<size_t>(1, queue_capacity)),
      policy_(policy),
      counters_(counters) {
  for (size_t i = 0; i < senders_.size(); ++i) workers_.emplace_back([this, i] { Work(i); });
}

ExportDispatcher::~ExportDispatcher() { Close(); }

bool ExportDispatcher::Submit(ExportPayload payload) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ExportDispatcher* d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(d->mu_) {
        return d->closed_ || d->fatal_.load() || d->queue_.size() < d->capacity_;
      },
      this));
  if (closed_ || fatal_.load()) return false;
  queue_.push_back(std::move(payload));
  return true;
}

void ExportDispatcher::Close() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void ExportDispatcher::Abandon() {
  absl::MutexLock lock(&mu_);
  if (abandon_at_ns_ == 0) abandon_at_ns_ = SteadyNowNs() + policy_.abandon_grace_ns;
}

absl::Status ExportDispatcher::fatal_status() const {
  absl::MutexLock lock(&mu_);
  return fatal_status_;
}

absl::Status ExportDispatcher::last_failure() const {
  absl::MutexLock lock(&mu_);
  return last_failure_;
}

void ExportDispatcher::Work(size_t index) {
  uint64_t sent = 0;
  for (;;) {
    ExportPayload payload;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ExportDispatcher* d)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(d->mu_) { return d->closed_ || !d->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // closed and drained
      payload = std::move(queue_.front());
      queue_.pop_front();
    }
    if (fatal_.load()) {
      counters_->failed_requests.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    Send(*senders_[index], payload, Mix64(index * 0x1000003 + sent++));
  }
}

void ExportDispatcher::Send(OtlpSender& sender, ExportPayload& payload, uint64_t jitter_seed) {
  Rng jitter(jitter_seed);
  const core::TimeNs first_ns = SteadyNowNs();
  core::TimeNs backoff_ns = policy_.initial_backoff_ns;
  for (;;) {
    const ExportAttempt attempt = sender.Export(payload);
    switch (attempt.outcome) {
      case ExportAttempt::Outcome::kAccepted:
        counters_->requests.fetch_add(1, std::memory_order_relaxed);
        switch (payload.signal) {
          case Signal::kTraces:
            counters_->spans.fetch_add(payload.items, std::memory_order_relaxed);
            counters_->traces.fetch_add(payload.roots, std::memory_order_relaxed);
            break;
          case Signal::kMetrics:
            counters_->metric_points.fetch_add(payload.items, std::memory_order_relaxed);
            break;
          case Signal::kLogs:
            counters_->log_records.fetch_add(payload.items, std::memory_order_relaxed);
            break;
        }
        return;
      case ExportAttempt::Outcome::kRejected: {
        counters_->failed_requests.fetch_add(1, std::memory_order_relaxed);
        absl::MutexLock lock(&mu_);
        last_failure_ = attempt.status;
        return;
      }
      case ExportAttempt::Outcome::kFatal: {
        counters_->failed_requests.fetch_add(1, std::memory_order_relaxed);
        absl::MutexLock lock(&mu_);
        if (fatal_status_.ok()) fatal_status_ = attempt.status;
        last_failure_ = attempt.status;
        fatal_.store(true);
        return;
      }
      case ExportAttempt::Outcome::kRetryable:
        break;
    }
    // Full jitter around the backoff (+-20 %), at least what the receiver asked for.
    core::TimeNs wait_ns = static_cast<core::TimeNs>(backoff_ns * jitter.Uniform(0.8, 1.2));
    wait_ns = std::max(wait_ns, attempt.retry_after_ns);
    backoff_ns = std::min(policy_.max_backoff_ns, 2 * backoff_ns);
    const core::TimeNs now_ns = SteadyNowNs();
    absl::MutexLock lock(&mu_);
    const core::TimeNs give_up_ns =
        abandon_at_ns_ != 0 ? std::min(first_ns + policy_.max_elapsed_ns, abandon_at_ns_)
                            : first_ns + policy_.max_elapsed_ns;
    if (now_ns + wait_ns > give_up_ns || fatal_.load()) {
      counters_->failed_requests.fetch_add(1, std::memory_order_relaxed);
      last_failure_ = attempt.status;
      return;
    }
    counters_->retries.fetch_add(1, std::memory_order_relaxed);
    // Sleep, but wake early when Abandon() moves the deadline closer.
    const core::TimeNs seen = abandon_at_ns_;
    auto abandoned = [this, seen]()
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return abandon_at_ns_ != seen; };
    mu_.AwaitWithTimeout(absl::Condition(&abandoned), absl::Nanoseconds(wait_ns));
  }
}

}  // namespace augur::sim
