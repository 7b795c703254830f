// OTLP/gRPC export with the generated TraceService, MetricsService and LogsService stubs.
#include <chrono>
#include <memory>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "sim/otlp_sender.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

namespace logs_svc = opentelemetry::proto::collector::logs::v1;
namespace metrics_svc = opentelemetry::proto::collector::metrics::v1;
namespace trace_svc = opentelemetry::proto::collector::trace::v1;

constexpr auto kCallTimeout = std::chrono::seconds(10);

ExportAttempt Classify(const grpc::Status& status) {
  ExportAttempt attempt;
  if (status.ok()) return attempt;
  attempt.status = absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                Cat("OTLP/gRPC export: ", status.error_message()));
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::CANCELLED:
      attempt.outcome = ExportAttempt::Outcome::kRetryable;
      break;
    default:
      attempt.outcome = ExportAttempt::Outcome::kRejected;
  }
  return attempt;
}

class GrpcSender : public OtlpSender {
 public:
  GrpcSender(std::shared_ptr<grpc::Channel> channel, std::string target, bool gzip)
      : channel_(std::move(channel)),
        target_(std::move(target)),
        gzip_(gzip),
        traces_(trace_svc::TraceService::NewStub(channel_)),
        metrics_(metrics_svc::MetricsService::NewStub(channel_)),
        logs_(logs_svc::LogsService::NewStub(channel_)) {}

  ExportAttempt Export(const ExportPayload& payload) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    if (gzip_) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    switch (payload.signal) {
      case Signal::kTraces: {
        trace_svc::ExportTraceServiceResponse response;
        return Classify(traces_->Export(
            &context, static_cast<const trace_svc::ExportTraceServiceRequest&>(*payload.message),
            &response));
      }
      case Signal::kMetrics: {
        metrics_svc::ExportMetricsServiceResponse response;
        return Classify(metrics_->Export(
            &context,
            static_cast<const metrics_svc::ExportMetricsServiceRequest&>(*payload.message),
            &response));
      }
      case Signal::kLogs: {
        logs_svc::ExportLogsServiceResponse response;
        return Classify(logs_->Export(
            &context, static_cast<const logs_svc::ExportLogsServiceRequest&>(*payload.message),
            &response));
      }
    }
    return {ExportAttempt::Outcome::kFatal, absl::InternalError("unknown signal"), 0};
  }

  absl::Status CheckReachable(core::TimeNs timeout_ns) override {
    const auto deadline = std::chrono::system_clock::now() + std::chrono::nanoseconds(timeout_ns);
    grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY) {
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
        return absl::UnavailableError(Cat("cannot connect to the OTLP/gRPC receiver at ", target_));
      }
      if (!channel_->WaitForStateChange(state, deadline)) {
        return absl::UnavailableError(
            Cat("timed out connecting to the OTLP/gRPC receiver at ", target_));
      }
      state = channel_->GetState(/*try_to_connect=*/true);
    }
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string target_;
  bool gzip_;
  std::unique_ptr<trace_svc::TraceService::Stub> traces_;
  std::unique_ptr<metrics_svc::MetricsService::Stub> metrics_;
  std::unique_ptr<logs_svc::LogsService::Stub> logs_;
};

}  // namespace

std::vector<std::unique_ptr<OtlpSender>> MakeGrpcSenders(const Endpoint& endpoint, bool gzip,
                                                         int count) {
  const std::string target = endpoint.HostPort();
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  std::vector<std::unique_ptr<OtlpSender>> out;
  for (int i = 0; i < count; ++i)
    out.push_back(std::make_unique<GrpcSender>(channel, target, gzip));
  return out;
}

}  // namespace augur::sim
