#include "ingest/otlp_http_receiver.h"

#include <google/protobuf/util/json_util.h>

#include <fmt/format.h>

#include "core/gzip.h"
#include "core/status_util.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace augur::ingest {
namespace {

namespace otlp_trace = opentelemetry::proto::collector::trace::v1;
namespace otlp_metrics = opentelemetry::proto::collector::metrics::v1;
namespace otlp_logs = opentelemetry::proto::collector::logs::v1;

constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

// The media type without parameters, lowercased: "application/json; charset=utf-8" -> ...
std::string MediaType(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void WriteMessage(const google::protobuf::Message& message, Encoding encoding,
                  core::HttpResponse* response) {
  if (encoding == Encoding::kJson) {
    response->content_type = std::string(kJsonType);
    google::protobuf::util::JsonPrintOptions options;
    (void)google::protobuf::util::MessageToJsonString(message, &response->body, options);
  } else {
    response->content_type = std::string(kProtobufType);
    message.SerializeToString(&response->body);
  }
}

void WriteError(int http_status, int grpc_code, std::string_view message, Encoding encoding,
                core::HttpResponse* response) {
  google::rpc::Status status;
  status.set_code(grpc_code);
  status.set_message(std::string(message));
  response->status = http_status;
  WriteMessage(status, encoding, response);
}

void WriteSuccess(Signal signal, const IngestOutcome& outcome, Encoding encoding,
                  core::HttpResponse* response) {
  response->status = 200;
  switch (signal) {
    case Signal::kTraces: {
      otlp_trace::ExportTraceServiceResponse r;
      if (outcome.rejected > 0) {
        r.mutable_partial_success()->set_rejected_spans(static_cast<int64_t>(outcome.rejected));
        r.mutable_partial_success()->set_error_message(outcome.error_message);
      }
      WriteMessage(r, encoding, response);
      break;
    }
    case Signal::kMetrics: {
      otlp_metrics::ExportMetricsServiceResponse r;
      if (outcome.rejected > 0) {
        r.mutable_partial_success()->set_rejected_data_points(
            static_cast<int64_t>(outcome.rejected));
        r.mutable_partial_success()->set_error_message(outcome.error_message);
      }
      WriteMessage(r, encoding, response);
      break;
    }
    case Signal::kLogs: {
      otlp_logs::ExportLogsServiceResponse r;
      if (outcome.rejected > 0) {
        r.mutable_partial_success()->set_rejected_log_records(
            static_cast<int64_t>(outcome.rejected));
        r.mutable_partial_success()->set_error_message(outcome.error_message);
      }
      WriteMessage(r, encoding, response);
      break;
    }
  }
}

// gRPC status codes carried in google.rpc.Status.code.
constexpr int kInvalidArgument = 3;
constexpr int kResourceExhausted = 8;
constexpr int kUnavailable = 14;

}  // namespace

void OtlpHttpReceiver::Register(core::HttpServer* server) {
  server->Handle("POST", "/v1/traces", [this](const core::HttpRequest& q, core::HttpResponse* r) {
    Handle(Signal::kTraces, q, r);
  });
  server->Handle("POST", "/v1/metrics", [this](const core::HttpRequest& q, core::HttpResponse* r) {
    Handle(Signal::kMetrics, q, r);
  });
  server->Handle("POST", "/v1/logs", [this](const core::HttpRequest& q, core::HttpResponse* r) {
    Handle(Signal::kLogs, q, r);
  });
}

void OtlpHttpReceiver::OnRefused(const core::HttpRequest& request, core::HttpResponse* response) {
  Signal signal;
  if (request.path == "/v1/traces") {
    signal = Signal::kTraces;
  } else if (request.path == "/v1/metrics") {
    signal = Signal::kMetrics;
  } else if (request.path == "/v1/logs") {
    signal = Signal::kLogs;
  } else {
    return;
  }
  ingester_->CountRequest(Protocol::kHttp, signal, Outcome::kTooLarge);
  Encoding encoding = MediaType(request.Header("Content-Type")) == kJsonType ? Encoding::kJson
                                                                             : Encoding::kProtobuf;
  std::string message = std::move(response->body);
  WriteError(response->status, kResourceExhausted, message, encoding, response);
}

void OtlpHttpReceiver::Handle(Signal signal, const core::HttpRequest& request,
                              core::HttpResponse* response) {
  const OtlpReceiverConfig& config = ingester_->config();
  std::string media = MediaType(request.Header("Content-Type"));
  Encoding encoding;
  if (media == kProtobufType || media == "application/protobuf") {
    encoding = Encoding::kProtobuf;
  } else if (media == kJsonType) {
    encoding = Encoding::kJson;
  } else {
    ingester_->CountRequest(Protocol::kHttp, signal, Outcome::kUnsupported);
    WriteError(415, kInvalidArgument,
               fmt::format("unsupported Content-Type '{}': OTLP/HTTP takes "
                           "application/x-protobuf or application/json",
                           request.Header("Content-Type")),
               Encoding::kProtobuf, response);
    return;
  }

  // The body is shared with the batch, which keeps it alive without a copy.
  std::shared_ptr<const std::string> body = request.body;
  std::string content_encoding = MediaType(request.Header("Content-Encoding"));
  if (content_encoding == "gzip" || content_encoding == "deflate") {
    absl::StatusOr<std::string> inflated =
        core::GunzipBounded(*request.body, config.max_request_bytes);
    if (!inflated.ok()) {
      bool too_large = inflated.status().code() == absl::StatusCode::kResourceExhausted;
      ingester_->CountRequest(Protocol::kHttp, signal,
                              too_large ? Outcome::kTooLarge : Outcome::kInvalid);
      WriteError(too_large ? 413 : 400, too_large ? kResourceExhausted : kInvalidArgument,
                 core::MessageOf(inflated.status()), encoding, response);
      return;
    }
    body = std::make_shared<const std::string>(std::move(inflated).value());
  } else if (!content_encoding.empty() && content_encoding != "identity") {
    ingester_->CountRequest(Protocol::kHttp, signal, Outcome::kUnsupported);
    WriteError(415, kInvalidArgument,
               fmt::format("unsupported Content-Encoding '{}': use gzip, deflate or none",
                           request.Header("Content-Encoding")),
               encoding, response);
    return;
  } else if (body->size() > config.max_request_bytes) {
    ingester_->CountRequest(Protocol::kHttp, signal, Outcome::kTooLarge);
    WriteError(413, kResourceExhausted,
               fmt::format("request body of {} bytes exceeds the limit of {} bytes", body->size(),
                           config.max_request_bytes),
               encoding, response);
    return;
  }

  std::string_view bytes = *body;
  IngestOutcome outcome = ingester_->Ingest(signal, encoding, bytes, body, Protocol::kHttp);
  switch (outcome.status.code()) {
    case absl::StatusCode::kOk:
      WriteSuccess(signal, outcome, encoding, response);
      return;
    case absl::StatusCode::kUnavailable:
      response->headers.emplace_back("Retry-After", std::to_string(config.retry_after_s));
      WriteError(503, kUnavailable, core::MessageOf(outcome.status), encoding, response);
      return;
    default:
      WriteError(400, kInvalidArgument, core::MessageOf(outcome.status), encoding, response);
      return;
  }
}

}  // namespace augur::ingest
