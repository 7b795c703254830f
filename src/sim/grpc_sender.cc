// OTLP/gRPC export: unary calls to TraceService, MetricsService and LogsService's Export through
// a generic stub.
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "sim/otlp_sender.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

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

// The full name of the signal's Export method (the generic stub takes a std::string).
const std::string& MethodOf(Signal signal) {
  static const std::string kTraces = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
  static const std::string kMetrics =
      "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
  static const std::string kLogs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
  switch (signal) {
    case Signal::kTraces:
      return kTraces;
    case Signal::kMetrics:
      return kMetrics;
    case Signal::kLogs:
      return kLogs;
  }
  return kLogs;  // every signal is named above
}

// Sends the request's bytes through a generic stub: a message payload is serialized here, a
// wire-encoded one goes out as it is. Calls wait on the sender's own completion queue.
class GrpcSender : public OtlpSender {
 public:
  GrpcSender(std::shared_ptr<grpc::Channel> channel, std::string target, bool gzip)
      : channel_(std::move(channel)), target_(std::move(target)), gzip_(gzip), stub_(channel_) {}

  ~GrpcSender() override {
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  ExportAttempt Export(const ExportPayload& payload) override {
    grpc::ByteBuffer request;
    if (payload.message == nullptr) {
      grpc::Slice slice(payload.bytes);
      request = grpc::ByteBuffer(&slice, 1);
    } else {
      bool own_buffer = false;
      const grpc::Status serialized =
          grpc::SerializationTraits<google::protobuf::Message>::Serialize(*payload.message,
                                                                          &request, &own_buffer);
      if (!serialized.ok()) return Classify(serialized);
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    if (gzip_) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> call =
        stub_.PrepareUnaryCall(&context, MethodOf(payload.signal), request, &cq_);
    call->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    call->Finish(&response, &status, this);
    void* tag = nullptr;
    bool ok = false;
    if (!cq_.Next(&tag, &ok) || tag != this || !ok) {
      return {ExportAttempt::Outcome::kFatal, absl::InternalError("OTLP/gRPC export: call lost"),
              0};
    }
    return Classify(status);
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
  grpc::GenericStub stub_;
  grpc::CompletionQueue cq_;  // this sender's calls, one at a time
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
