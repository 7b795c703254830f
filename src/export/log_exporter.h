// Sends mined log records to one log store (a LogTarget) without ever holding up the pipeline:
//  - Offer() is called by derive shards and never blocks: records go into a bounded queue
//    (`queue_size` records); what does not fit is dropped and counted;
//  - a sender thread takes up to `batch_size` records as soon as that many are queued, or every
//    `flush_interval`, and sends them with core::HttpClient;
//  - retryable failures (connection errors, timeouts, 429, 5xx — and per record, what the target's
//    Judge says) are retried up to `max_retries` times with exponential backoff and jitter
//    (each wait drawn uniformly from [backoff/2, backoff], backoff doubling from
//    `initial_backoff` up to `max_backoff`); then the records are dropped and counted;
//  - permanent failures (other 4xx, records a store refuses) are dropped and counted at once.
//
// Self-telemetry: augur_export_<name>_sent_total, _dropped_total, _retries_total, _errors_total
// (failed attempts), and the gauge augur_export_<name>_queue_records.
//
// Thread-safe: Offer() from any thread; Start() and Stop() from the controlling thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "core/http_client.h"
#include "core/self_metrics.h"
#include "core/time.h"
#include "export/log_target.h"
#include "model/mined_log.h"

namespace augur::exporter {

struct LogExporterConfig {
  bool enabled = false;
  std::string endpoint;  // http://host:port, optionally with a path prefix
  size_t batch_size = 1000;
  core::TimeNs flush_interval_ns = core::kNsPerSecond;
  size_t queue_size = 100'000;  // records
  int max_retries = 5;
  core::TimeNs initial_backoff_ns = 200 * core::kNsPerMillisecond;
  core::TimeNs max_backoff_ns = 10 * core::kNsPerSecond;
  core::TimeNs timeout_ns = 10 * core::kNsPerSecond;  // connect and per request

  // `key` names the section in errors ("exporters.clickhouse").
  absl::Status Validate(std::string_view key) const;
};

class LogExporter {
 public:
  LogExporter(LogExporterConfig config, std::unique_ptr<LogTarget> target,
              core::SelfMetrics* metrics, uint64_t seed = std::random_device{}());
  ~LogExporter();  // Stop()s with no drain time if still running.
  LogExporter(const LogExporter&) = delete;
  LogExporter& operator=(const LogExporter&) = delete;

  // Checks the endpoint and starts the sender thread (which connects lazily).
  absl::Status Start();
  // Queues the records that fit; never blocks. Before Start() or after Stop() it drops.
  void Offer(std::shared_ptr<const model::MinedLogBatch> batch);
  // Sends what is queued for at most `drain_ns` (retries included), drops and counts the rest,
  // and joins the sender thread. Idempotent.
  void Stop(core::TimeNs drain_ns = 5 * core::kNsPerSecond);

  std::string_view name() const { return target_->name(); }
  size_t queued() const;

 private:
  struct Chunk {
    std::shared_ptr<const model::MinedLogBatch> batch;
    size_t begin = 0;
    size_t end = 0;
  };
  void Run();
  // Sends `records` until stored, refused or out of retries.
  void Send(std::vector<const model::MinedLogRecord*> records, core::HttpClient* client);
  bool RunSetup(core::HttpClient* client, std::string* error);
  // Waits `ns` unless stopping past the drain deadline; false when the exporter must give up.
  bool Backoff(core::TimeNs ns);

  LogExporterConfig config_;
  std::unique_ptr<LogTarget> target_;
  core::ParsedUrl url_;
  std::string path_prefix_;
  std::mt19937_64 random_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  core::TimeNs drain_deadline_ ABSL_GUARDED_BY(mu_) = 0;
  bool prepared_ = false;  // sender thread only
  std::thread sender_;

  core::Counter* sent_;
  core::Counter* dropped_;
  core::Counter* retries_;
  core::Counter* errors_;
  std::unique_ptr<core::SelfMetrics::CallbackHandle> queue_gauge_;
};

}  // namespace augur::exporter
