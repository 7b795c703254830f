#include "sim/otlp_replay.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "core/http_client.h"
#include "core/status_util.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/otlp_json.h"
#include "sim/otlp_sender.h"

namespace augur::sim {

namespace {

using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

using SteadyClock = std::chrono::steady_clock;

// Waits shorter than this are not worth a sleep: the request goes a little early instead.
constexpr core::TimeNs kMinSleepNs = core::kNsPerMillisecond;

// What replay needs to know of a request: its signal, how many items it holds, and its latest
// time. Found by one pass over the JSON (no message is built): parsing OTLP/JSON into protobuf
// costs ten times more than sending it.
struct Summary {
  Signal signal = Signal::kTraces;
  uint64_t items = 0;        // spans, data points or log records
  core::TimeNs data_ns = 0;  // latest end, data point or (observed) log time; 0 if none
};

// A minimal JSON walker (RFC 8259 structure; escapes are skipped, not decoded) that counts the
// objects in arrays named like OTLP's item lists and takes the maximum of the time fields.
class SummaryScanner {
 public:
  explicit SummaryScanner(std::string_view json) : s_(json) {}

  absl::Status Scan(Summary* out) {
    out_ = out;
    Space();
    if (i_ >= s_.size() || s_[i_] != '{') return Error("not a JSON object");
    AUGUR_RETURN_IF_ERROR(Value(/*key=*/"", /*in_items=*/false, /*depth=*/0));
    Space();
    if (i_ != s_.size()) return Error("text after the JSON object");
    if (!signal_seen_) {
      return Error("no signal: expected resourceSpans, resourceMetrics or resourceLogs");
    }
    return absl::OkStatus();
  }

 private:
  static constexpr int kMaxDepth = 64;

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(i_ < s_.size() && what.starts_with("invalid")
                                          ? fmt::format("{} at byte {}", what, i_)
                                          : std::string(what));
  }
  void Space() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  static bool IsItemList(std::string_view key) {
    return key == "spans" || key == "logRecords" || key == "log_records" || key == "dataPoints" ||
           key == "data_points";
  }
  static bool IsTime(std::string_view key) {
    return key == "endTimeUnixNano" || key == "timeUnixNano" || key == "observedTimeUnixNano" ||
           key == "end_time_unix_nano" || key == "time_unix_nano" ||
           key == "observed_time_unix_nano";
  }
  // A string starting at i_ (the quote); its raw contents (escapes left as they are).
  absl::StatusOr<std::string_view> String() {
    const size_t begin = ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') ++i_;
      ++i_;
    }
    if (i_ >= s_.size()) return Error("invalid JSON: unterminated string");
    return s_.substr(begin, i_++ - begin);
  }
  void SeeTime(std::string_view digits) {
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && v <= INT64_MAX) {
      out_->data_ns = std::max(out_->data_ns, static_cast<core::TimeNs>(v));
    }
  }

  absl::Status Value(std::string_view key, bool in_items, int depth) {
    if (depth > kMaxDepth) return Error("invalid JSON: nested too deeply");
    Space();
    if (i_ >= s_.size()) return Error("invalid JSON: truncated");
    const char c = s_[i_];
    if (c == '{') {
      if (in_items) ++out_->items;
      ++i_;
      Space();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return absl::OkStatus();
      }
      for (;;) {
        Space();
        if (i_ >= s_.size() || s_[i_] != '"') return Error("invalid JSON: expected a key");
        AUGUR_ASSIGN_OR_RETURN(const std::string_view name, String());
        if (depth == 0 && !signal_seen_) {
          if (name == "resourceSpans" || name == "resource_spans") {
            out_->signal = Signal::kTraces;
          } else if (name == "resourceMetrics" || name == "resource_metrics") {
            out_->signal = Signal::kMetrics;
          } else if (name == "resourceLogs" || name == "resource_logs") {
            out_->signal = Signal::kLogs;
          } else {
            return absl::InvalidArgumentError(
                fmt::format("unknown signal \"{}\": expected resourceSpans, resourceMetrics or "
                            "resourceLogs",
                            name));
          }
          signal_seen_ = true;
        }
        Space();
        if (i_ >= s_.size() || s_[i_] != ':') return Error("invalid JSON: expected ':'");
        ++i_;
        AUGUR_RETURN_IF_ERROR(Value(name, false, depth + 1));
        Space();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') {
          ++i_;
          return absl::OkStatus();
        }
        return Error("invalid JSON: expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++i_;
      Space();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return absl::OkStatus();
      }
      const bool items = IsItemList(key);
      for (;;) {
        AUGUR_RETURN_IF_ERROR(Value(key, items, depth + 1));
        Space();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') {
          ++i_;
          return absl::OkStatus();
        }
        return Error("invalid JSON: expected ',' or ']'");
      }
    }
    if (c == '"') {
      AUGUR_ASSIGN_OR_RETURN(const std::string_view text, String());
      if (IsTime(key)) SeeTime(text);
      return absl::OkStatus();
    }
    // A number or a literal.
    const size_t begin = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
           s_[i_] != '\t' && s_[i_] != '\n' && s_[i_] != '\r') {
      ++i_;
    }
    const std::string_view token = s_.substr(begin, i_ - begin);
    if (token.empty()) return Error("invalid JSON: expected a value");
    if (token != "true" && token != "false" && token != "null" &&
        token.find_first_not_of("0123456789+-.eE") != std::string_view::npos) {
      return Error("invalid JSON: bad literal");
    }
    if (IsTime(key)) SeeTime(token);
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t i_ = 0;
  Summary* out_ = nullptr;
  bool signal_seen_ = false;
};

absl::StatusOr<Summary> Summarize(std::string_view line) {
  Summary summary;
  AUGUR_RETURN_IF_ERROR(SummaryScanner(line).Scan(&summary));
  return summary;
}

// The protobuf encoding of a line whose signal is known.
absl::StatusOr<std::string> ToProtobuf(Signal signal, std::string_view line) {
  std::unique_ptr<google::protobuf::Message> request;
  switch (signal) {
    case Signal::kTraces:
      request = std::make_unique<ExportTraceServiceRequest>();
      break;
    case Signal::kMetrics:
      request = std::make_unique<ExportMetricsServiceRequest>();
      break;
    case Signal::kLogs:
      request = std::make_unique<ExportLogsServiceRequest>();
      break;
  }
  AUGUR_RETURN_IF_ERROR(FromOtlpJson(line, request.get()));
  std::string out;
  if (!request->SerializeToString(&out)) {
    return absl::InternalError("protobuf serialization failed");
  }
  return out;
}

core::TimeNs SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

class Replayer {
 public:
  Replayer(const ReplayOptions& options, const Endpoint& endpoint)
      : options_(options), client_(endpoint.host, endpoint.port) {
    sleep_ = options.sleep ? options.sleep : [](core::TimeNs ns) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
    };
    now_ = options.now ? options.now : SteadyNs;
  }

  absl::Status ReplayFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(fmt::format("replay: cannot read {}", path));
    std::string line;
    uint64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ++stats_.lines;
      absl::StatusOr<Summary> summary = Summarize(line);
      std::string protobuf_body;
      if (summary.ok() && options_.protobuf) {
        absl::StatusOr<std::string> encoded = ToProtobuf(summary->signal, line);
        if (encoded.ok()) {
          protobuf_body = *std::move(encoded);
        } else {
          summary = encoded.status();
        }
      }
      if (!summary.ok()) {
        ++stats_.bad_lines;
        Report(fmt::format("{}:{}: skipped: {}", path, number, core::MessageOf(summary.status())));
        continue;
      }
      Pace(summary->data_ns);
      Send(path, number, options_.protobuf ? std::string_view(protobuf_body) : line, *summary);
    }
    if (in.bad()) return absl::DataLossError(fmt::format("replay: reading {} failed", path));
    return absl::OkStatus();
  }

  const ReplayStats& stats() const { return stats_; }

 private:
  void Report(std::string_view message) {
    if (options_.report) options_.report(message);
  }

  // Waits until the request stamped `data_ns` is due.
  void Pace(core::TimeNs data_ns) {
    if (data_ns <= 0) return;
    if (first_data_ns_ == 0) {
      first_data_ns_ = data_ns;
      latest_data_ns_ = data_ns;
      first_wall_ns_ = now_();
      return;
    }
    latest_data_ns_ = std::max(latest_data_ns_, data_ns);
    const double due_ns = static_cast<double>(first_wall_ns_) +
                          static_cast<double>(latest_data_ns_ - first_data_ns_) / options_.speedup;
    const double wait_ns = due_ns - static_cast<double>(now_());
    if (wait_ns < static_cast<double>(kMinSleepNs)) return;
    const auto wait = static_cast<core::TimeNs>(wait_ns);
    stats_.paced_ns += wait;
    sleep_(wait);
  }

  void Send(const std::string& path, uint64_t number, std::string_view body, const Summary& p) {
    const core::HttpHeaders headers = {
        {"Content-Type", options_.protobuf ? "application/x-protobuf" : "application/json"}};
    const core::TimeNs first_ns = now_();
    core::TimeNs backoff_ns = 100 * core::kNsPerMillisecond;
    for (;;) {
      absl::StatusOr<core::HttpResponse> response =
          client_.Send("POST", OtlpHttpPath(p.signal), headers, body);
      std::string why;
      core::TimeNs retry_after_ns = 0;
      bool retryable = false;
      if (!response.ok()) {
        const absl::StatusCode code = response.status().code();
        retryable =
            code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded;
        why = std::string(core::MessageOf(response.status()));
      } else if (response->status >= 200 && response->status < 300) {
        ++stats_.requests;
        switch (p.signal) {
          case Signal::kTraces:
            stats_.spans += p.items;
            break;
          case Signal::kMetrics:
            stats_.metric_points += p.items;
            break;
          case Signal::kLogs:
            stats_.log_records += p.items;
            break;
        }
        return;
      } else {
        const int status = response->status;
        retryable = status == 429 || status == 502 || status == 503 || status == 504;
        retry_after_ns = ParseRetryAfter(response->Header("Retry-After"));
        why = fmt::format("HTTP {} {}", status, response->body.substr(0, 200));
      }
      const core::TimeNs wait_ns = std::max(backoff_ns, retry_after_ns);
      if (retryable && now_() + wait_ns - first_ns <= options_.max_retry_ns) {
        ++stats_.retries;
        sleep_(wait_ns);
        backoff_ns = std::min(5 * core::kNsPerSecond, 2 * backoff_ns);
        continue;
      }
      ++stats_.rejected;
      std::string message =
          fmt::format("{}:{}: {} request {}: {}", path, number, OtlpHttpPath(p.signal),
                      retryable ? "gave up after retries" : "rejected", why);
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
        message.pop_back();
      }
      if (stats_.first_rejection.empty()) stats_.first_rejection = message;
      Report(message);
      return;
    }
  }

  const ReplayOptions& options_;
  core::HttpClient client_;
  std::function<void(core::TimeNs)> sleep_;
  std::function<core::TimeNs()> now_;
  ReplayStats stats_;
  core::TimeNs first_data_ns_ = 0;
  core::TimeNs latest_data_ns_ = 0;
  core::TimeNs first_wall_ns_ = 0;
};

}  // namespace

absl::StatusOr<ReplayStats> ReplayFiles(const std::vector<std::string>& files,
                                        const ReplayOptions& options) {
  if (files.empty()) return absl::InvalidArgumentError("replay: no files");
  if (!(options.speedup > 0)) {
    return absl::InvalidArgumentError(fmt::format("speedup: {} must be > 0", options.speedup));
  }
  AUGUR_ASSIGN_OR_RETURN(const Endpoint endpoint, ParseEndpoint(options.endpoint, 4318));
  for (const std::string& path : files) {
    std::ifstream probe(path);
    if (!probe) return absl::NotFoundError(fmt::format("replay: cannot read {}", path));
  }
  Replayer replayer(options, endpoint);
  for (const std::string& path : files) AUGUR_RETURN_IF_ERROR(replayer.ReplayFile(path));
  return replayer.stats();
}

}  // namespace augur::sim
