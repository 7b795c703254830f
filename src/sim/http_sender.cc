// OTLP/HTTP export: POST /v1/traces, /v1/metrics or /v1/logs with a protobuf or JSON body,
// optionally gzip-compressed, over one keep-alive connection (core::HttpClient).
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/gzip.h"
#include "core/http_client.h"
#include "sim/otlp_json.h"
#include "sim/otlp_sender.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

class HttpSender : public OtlpSender {
 public:
  HttpSender(const Endpoint& endpoint, bool json, bool gzip)
      : endpoint_(endpoint), json_(json), gzip_(gzip), client_(endpoint.host, endpoint.port) {}

  ExportAttempt Export(const ExportPayload& payload) override {
    ExportAttempt attempt;
    std::string body;
    if (payload.message == nullptr && !json_) {
      body = payload.bytes;  // already serialized
    } else if (payload.message == nullptr) {
      return {ExportAttempt::Outcome::kFatal,
              absl::InternalError("OTLP/HTTP JSON: the request was serialized, not a message"), 0};
    } else if (json_) {
      absl::StatusOr<std::string> encoded = ToOtlpJson(*payload.message);
      if (!encoded.ok()) return {ExportAttempt::Outcome::kRejected, encoded.status(), 0};
      body = *std::move(encoded);
    } else if (!payload.message->SerializeToString(&body)) {
      return {ExportAttempt::Outcome::kRejected,
              absl::InternalError("OTLP/HTTP: protobuf serialization failed"), 0};
    }
    core::HttpHeaders headers = {
        {"Content-Type", json_ ? "application/json" : "application/x-protobuf"}};
    if (gzip_) {
      body = core::Gzip(body);
      headers.emplace_back("Content-Encoding", "gzip");
    }
    absl::StatusOr<core::HttpResponse> response =
        client_.Send("POST", OtlpHttpPath(payload.signal), headers, body);
    if (!response.ok()) {
      const absl::StatusCode code = response.status().code();
      attempt.status = response.status();
      // Refused, reset or timed out: the receiver may come back. Anything else is the client
      // itself failing and will fail for every request.
      attempt.outcome =
          code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded
              ? ExportAttempt::Outcome::kRetryable
              : ExportAttempt::Outcome::kFatal;
      return attempt;
    }
    const int status = response->status;
    if (status >= 200 && status < 300) return attempt;
    attempt.status = absl::UnknownError(Cat("OTLP/HTTP export to ", endpoint_.HostPort(),
                                            OtlpHttpPath(payload.signal), ": HTTP ", status, " ",
                                            response->body.substr(0, 200)));
    if (status == 429 || status == 502 || status == 503 || status == 504) {
      attempt.outcome = ExportAttempt::Outcome::kRetryable;
      attempt.retry_after_ns = ParseRetryAfter(response->Header("Retry-After"));
    } else {
      attempt.outcome = ExportAttempt::Outcome::kRejected;
    }
    return attempt;
  }

  absl::Status CheckReachable(core::TimeNs) override { return absl::OkStatus(); }

 private:
  Endpoint endpoint_;
  bool json_;
  bool gzip_;
  core::HttpClient client_;
};

}  // namespace

std::unique_ptr<OtlpSender> MakeHttpSender(const Endpoint& endpoint, bool json, bool gzip) {
  return std::make_unique<HttpSender>(endpoint, json, gzip);
}

}  // namespace augur::sim
