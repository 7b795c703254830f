// OTLP/gRPC on :4317: the TraceService, MetricsService and LogsService Export methods.
//
// Requests arrive as raw bytes (no libprotobuf parse) and go through the same decoders as
// OTLP/HTTP. Answers: OK with the Export*ServiceResponse (partial_success when items were
// rejected), INVALID_ARGUMENT naming the problem for undecodable requests, UNAVAILABLE when the
// pipeline is full or shutting down (clients retry with backoff), RESOURCE_EXHAUSTED from gRPC
// itself over the message size limit. gzip (grpc-encoding) is handled by gRPC.
//
// Threads: Start()/Stop() from the controlling thread; Export runs on gRPC's callback threads.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ingest/otlp_ingester.h"

namespace grpc {
class Server;
}

namespace augur::ingest {

class OtlpGrpcReceiver {
 public:
  // `ingester` must outlive the receiver.
  OtlpGrpcReceiver(OtlpIngester* ingester, std::string address);
  ~OtlpGrpcReceiver();

  // Binds (e.g. "0.0.0.0:4317"; port 0 picks one) and starts serving.
  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting; waits up to `grace_ms` for calls in flight.
  void Stop(int grace_ms = 5000);

 private:
  class TraceService;
  class MetricsService;
  class LogsService;

  OtlpIngester* ingester_;
  std::string address_;
  int port_ = 0;
  std::unique_ptr<TraceService> traces_;
  std::unique_ptr<MetricsService> metrics_;
  std::unique_ptr<LogsService> logs_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace augur::ingest
