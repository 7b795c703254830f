#include "export/log_exporter.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/status_util.h"
#include "core/utf8.h"

namespace augur::exporter {
namespace {

core::TimeNs WallNs() { return core::Clock::Real().NowNs(); }

std::chrono::nanoseconds Ns(core::TimeNs ns) { return std::chrono::nanoseconds(ns); }

// Logs at most once per 10 s per exporter, so a store that is down does not flood the log.
class RateLimitedLog {
 public:
  template <typename... Args>
  void Warn(fmt::format_string<Args...> format, Args&&... args) {
    const core::TimeNs now = WallNs();
    if (now - last_ < 10 * core::kNsPerSecond) return;
    last_ = now;
    spdlog::warn(format, std::forward<Args>(args)...);
  }

 private:
  core::TimeNs last_ = INT64_MIN / 2;
};

thread_local RateLimitedLog log_limit;

}  // namespace

absl::Status LogExporterConfig::Validate(std::string_view key) const {
  if (!enabled) return absl::OkStatus();
  absl::StatusOr<core::ParsedUrl> url = core::ParseHttpUrl(endpoint);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}.endpoint: {}", key, core::MessageOf(url.status())));
  }
  if (batch_size < 1 || batch_size > 1'000'000) {
    return absl::InvalidArgumentError(fmt::format("{}.batch_size must be 1 to 1000000", key));
  }
  if (queue_size < batch_size) {
    return absl::InvalidArgumentError(
        fmt::format("{}.queue_size must be at least batch_size", key));
  }
  if (flush_interval_ns < core::kNsPerMillisecond) {
    return absl::InvalidArgumentError(fmt::format("{}.flush_interval must be at least 1ms", key));
  }
  if (max_retries < 0 || max_retries > 100) {
    return absl::InvalidArgumentError(fmt::format("{}.max_retries must be 0 to 100", key));
  }
  if (initial_backoff_ns < core::kNsPerMillisecond || max_backoff_ns < initial_backoff_ns) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: initial_backoff must be at least 1ms and max_backoff at least initial_backoff", key));
  }
  if (timeout_ns < core::kNsPerMillisecond) {
    return absl::InvalidArgumentError(fmt::format("{}.timeout must be at least 1ms", key));
  }
  return absl::OkStatus();
}

LogExporter::LogExporter(LogExporterConfig config, std::unique_ptr<LogTarget> target,
                         core::SelfMetrics* metrics, uint64_t seed)
    : config_(std::move(config)), target_(std::move(target)), random_(seed) {
  const std::string prefix = fmt::format("augur_export_{}", target_->name());
  sent_ = metrics->GetCounter(prefix + "_sent", "Log records the store accepted.");
  dropped_ = metrics->GetCounter(
      prefix + "_dropped",
      "Log records given up: queue full, refused by the store, or out of retries.");
  retries_ = metrics->GetCounter(prefix + "_retries", "Batches sent again after a failure.");
  errors_ = metrics->GetCounter(
      prefix + "_errors", "Failed attempts: connection errors, error statuses, refused records.");
  queue_gauge_ =
      metrics->AddCallbackGauge(prefix + "_queue_records", "Log records waiting to be sent.", {},
                                [this] { return static_cast<double>(queued()); });
}

LogExporter::~LogExporter() {
  Stop(0);
  queue_gauge_.reset();
}

absl::Status LogExporter::Start() {
  absl::StatusOr<core::ParsedUrl> url = core::ParseHttpUrl(config_.endpoint);
  if (!url.ok()) return url.status();
  url_ = *url;
  path_prefix_ = url_.target == "/" ? "" : url_.target;
  while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
  {
    std::lock_guard lock(mu_);
    accepting_ = true;
  }
  sender_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

size_t LogExporter::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void LogExporter::Offer(std::shared_ptr<const model::MinedLogBatch> batch) {
  if (batch == nullptr || batch->empty()) return;
  const size_t n = batch->size();
  size_t fit = 0;
  {
    std::lock_guard lock(mu_);
    if (accepting_) {
      fit = std::min(n, config_.queue_size - queued_);
      if (fit > 0) {
        queue_.push_back(Chunk{std::move(batch), 0, fit});
        queued_ += fit;
      }
      if (queued_ >= config_.batch_size) cv_.notify_all();
    }
  }
  if (fit < n) dropped_->Add(n - fit);
}

void LogExporter::Stop(core::TimeNs drain_ns) {
  {
    std::lock_guard lock(mu_);
    accepting_ = false;
    if (!stopping_) {
      stopping_ = true;
      drain_deadline_ = WallNs() + drain_ns;
    }
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  std::lock_guard lock(mu_);
  if (queued_ > 0) dropped_->Add(queued_);
  queue_.clear();
  queued_ = 0;
}

bool LogExporter::Backoff(core::TimeNs ns) {
  std::unique_lock lock(mu_);
  if (stopping_ && WallNs() + ns > drain_deadline_) return false;
  // Wakes early only to give up (stopping past the deadline).
  cv_.wait_for(lock, Ns(ns), [&] { return stopping_ && WallNs() >= drain_deadline_; });
  return !(stopping_ && WallNs() >= drain_deadline_);
}

void LogExporter::Run() {
  core::HttpClientOptions options;
  options.connect_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(Ns(config_.timeout_ns));
  options.request_timeout = options.connect_timeout;
  core::HttpClient client(url_.host, url_.port, options);
  std::vector<std::shared_ptr<const model::MinedLogBatch>> holders;
  while (true) {
    std::vector<const model::MinedLogRecord*> records;
    holders.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, Ns(config_.flush_interval_ns),
                   [&] { return stopping_ || queued_ >= config_.batch_size; });
      if (stopping_ && WallNs() >= drain_deadline_) break;  // Stop() counts what is left
      while (!queue_.empty() && records.size() < config_.batch_size) {
        Chunk& c = queue_.front();
        const size_t take = std::min(c.end - c.begin, config_.batch_size - records.size());
        for (size_t i = 0; i < take; ++i) records.push_back(&(*c.batch)[c.begin + i]);
        holders.push_back(c.batch);
        c.begin += take;
        queued_ -= take;
        if (c.begin == c.end) queue_.pop_front();
      }
      if (records.empty() && stopping_) break;
    }
    if (!records.empty()) Send(std::move(records), &client);
  }
}

bool LogExporter::RunSetup(core::HttpClient* client, std::string* error) {
  for (const SetupCall& s : target_->Setup()) {
    absl::StatusOr<core::HttpResponse> r =
        client->Send(s.call.method, path_prefix_ + s.call.target, s.call.headers, s.call.body);
    const bool ok = r.ok() && r->status >= 200 && r->status < 300;
    if (ok) continue;
    const std::string why =
        r.ok() ? fmt::format("HTTP {}: {}", r->status, core::TruncateUtf8(r->body, 300))
               : std::string(core::MessageOf(r.status()));
    if (s.optional) {
      spdlog::info("{} exporter: {} skipped ({})", target_->name(), s.what, why);
      continue;
    }
    *error = fmt::format("{}: {}", s.what, why);
    return false;
  }
  prepared_ = true;
  return true;
}

void LogExporter::Send(std::vector<const model::MinedLogRecord*> records,
                       core::HttpClient* client) {
  core::TimeNs backoff = config_.initial_backoff_ns;
  int attempt = 0;
  while (!records.empty()) {
    Verdict verdict;
    bool whole_batch_failed = false;
    std::string error;
    if (!prepared_ && !RunSetup(client, &error)) {
      whole_batch_failed = true;
    } else {
      HttpCall call = target_->Encode(records);
      absl::StatusOr<core::HttpResponse> response =
          client->Send(call.method, path_prefix_ + call.target, call.headers, call.body);
      if (!response.ok()) {
        whole_batch_failed = true;
        error = std::string(core::MessageOf(response.status()));
      } else {
        verdict = target_->Judge(*response, records.size());
        // After an error status the store may have lost its table: set it up again first.
        if (response->status < 200 || response->status >= 300) prepared_ = false;
      }
    }
    if (whole_batch_failed) {
      prepared_ = false;
      verdict = Verdict{};
      verdict.error = std::move(error);
      verdict.retry.resize(records.size());
      for (size_t i = 0; i < records.size(); ++i) verdict.retry[i] = static_cast<uint32_t>(i);
    }
    const uint64_t not_stored = verdict.retry.size() + verdict.failed;
    if (records.size() > not_stored) sent_->Add(records.size() - not_stored);
    if (verdict.failed > 0) dropped_->Add(verdict.failed);
    if (not_stored == 0) return;
    errors_->Add();
    log_limit.Warn("{} exporter: {} of {} records not stored: {}", target_->name(), not_stored,
                   records.size(), verdict.error);
    if (verdict.retry.empty()) return;
    std::vector<const model::MinedLogRecord*> again;
    again.reserve(verdict.retry.size());
    for (uint32_t i : verdict.retry) {
      if (i < records.size()) again.push_back(records[i]);
    }
    records = std::move(again);
    // Equal jitter: half the backoff for sure, the other half at random.
    const core::TimeNs wait =
        backoff / 2 + static_cast<core::TimeNs>(std::uniform_int_distribution<int64_t>(
                          0, std::max<int64_t>(0, backoff / 2))(random_));
    if (attempt >= config_.max_retries || !Backoff(wait)) {
      dropped_->Add(records.size());
      log_limit.Warn("{} exporter: dropped {} records after {} retries", target_->name(),
                     records.size(), attempt);
      return;
    }
    ++attempt;
    retries_->Add();
    backoff = std::min(2 * backoff, config_.max_backoff_ns);
  }
}

}  // namespace augur::exporter
