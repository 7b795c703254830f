#include "ingest/otlp_grpc_receiver.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace augur::ingest {
namespace {

namespace otlp_trace = opentelemetry::proto::collector::trace::v1;
namespace otlp_metrics = opentelemetry::proto::collector::metrics::v1;
namespace otlp_logs = opentelemetry::proto::collector::logs::v1;

// The request's bytes in one piece: the single slice itself when gRPC delivered one, else a copy.
// The returned owner keeps the bytes alive.
std::pair<std::string_view, std::shared_ptr<const void>> Bytes(const grpc::ByteBuffer& buffer) {
  grpc::Slice single;
  if (buffer.TrySingleSlice(&single).ok()) {
    auto owner = std::make_shared<const grpc::Slice>(std::move(single));
    return {std::string_view(reinterpret_cast<const char*>(owner->begin()), owner->size()), owner};
  }
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  auto joined = std::make_shared<std::string>();
  joined->reserve(buffer.Length());
  for (const grpc::Slice& s : slices) {
    joined->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return {std::string_view(*joined), joined};
}

grpc::Status ToGrpc(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, message);
    case absl::StatusCode::kResourceExhausted:
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message);
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
  }
}

void Serialize(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
}

// Runs one Export: decode + publish, then the signal's response message.
template <typename Response, typename SetPartial>
grpc::ServerUnaryReactor* Export(OtlpIngester* ingester, Signal signal,
                                 grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                 SetPartial set_partial) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const size_t limit = ingester->config().max_request_bytes;
  if (request->Length() > limit) {
    ingester->CountRequest(Protocol::kGrpc, signal, Outcome::kTooLarge);
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 fmt::format("request of {} bytes exceeds the limit of {} bytes",
                                             request->Length(), limit)));
    return reactor;
  }
  auto [bytes, owner] = Bytes(*request);
  IngestOutcome outcome =
      ingester->Ingest(signal, Encoding::kProtobuf, bytes, std::move(owner), Protocol::kGrpc);
  if (!outcome.status.ok()) {
    reactor->Finish(ToGrpc(outcome.status));
    return reactor;
  }
  Response r;
  if (outcome.rejected > 0) set_partial(&r, outcome);
  Serialize(r, response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace

class OtlpGrpcReceiver::TraceService final
    : public otlp_trace::TraceService::WithRawCallbackMethod_Export<
          otlp_trace::TraceService::Service> {
 public:
  explicit TraceService(OtlpIngester* ingester) : ingester_(ingester) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return augur::ingest::Export<otlp_trace::ExportTraceServiceResponse>(
        ingester_, Signal::kTraces, context, request, response, [](auto* r, const auto& o) {
          r->mutable_partial_success()->set_rejected_spans(static_cast<int64_t>(o.rejected));
          r->mutable_partial_success()->set_error_message(o.error_message);
        });
  }

 private:
  OtlpIngester* ingester_;
};

class OtlpGrpcReceiver::MetricsService final
    : public otlp_metrics::MetricsService::WithRawCallbackMethod_Export<
          otlp_metrics::MetricsService::Service> {
 public:
  explicit MetricsService(OtlpIngester* ingester) : ingester_(ingester) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return augur::ingest::Export<otlp_metrics::ExportMetricsServiceResponse>(
        ingester_, Signal::kMetrics, context, request, response, [](auto* r, const auto& o) {
          r->mutable_partial_success()->set_rejected_data_points(static_cast<int64_t>(o.rejected));
          r->mutable_partial_success()->set_error_message(o.error_message);
        });
  }

 private:
  OtlpIngester* ingester_;
};

class OtlpGrpcReceiver::LogsService final
    : public otlp_logs::LogsService::WithRawCallbackMethod_Export<otlp_logs::LogsService::Service> {
 public:
  explicit LogsService(OtlpIngester* ingester) : ingester_(ingester) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return augur::ingest::Export<otlp_logs::ExportLogsServiceResponse>(
        ingester_, Signal::kLogs, context, request, response, [](auto* r, const auto& o) {
          r->mutable_partial_success()->set_rejected_log_records(static_cast<int64_t>(o.rejected));
          r->mutable_partial_success()->set_error_message(o.error_message);
        });
  }

 private:
  OtlpIngester* ingester_;
};

OtlpGrpcReceiver::OtlpGrpcReceiver(OtlpIngester* ingester, std::string address)
    : ingester_(ingester), address_(std::move(address)) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() { Stop(0); }

absl::Status OtlpGrpcReceiver::Start() {
  traces_ = std::make_unique<TraceService>(ingester_);
  metrics_ = std::make_unique<MetricsService>(ingester_);
  logs_ = std::make_unique<LogsService>(ingester_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address_, grpc::InsecureServerCredentials(), &port_);
  // gRPC refuses messages over its own limit before Export sees them (uncounted); leave headroom so
  // that requests just over max_request_bytes reach Export, which refuses and counts them.
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(2 * ingester_->config().max_request_bytes, INT32_MAX)));
  builder.RegisterService(traces_.get());
  builder.RegisterService(metrics_.get());
  builder.RegisterService(logs_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(fmt::format("cannot listen for OTLP/gRPC on {}", address_));
  }
  return absl::OkStatus();
}

void OtlpGrpcReceiver::Stop(int grace_ms) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  server_->Wait();
  server_.reset();
}

}  // namespace augur::ingest
