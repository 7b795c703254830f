#include "app/run_command.h"

#include <csignal>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/detection_api.h"
#include "api/http_api.h"
#include "api/incidents_api.h"
#include "api/inference_api.h"
#include "api/logs_api.h"
#include "core/status_util.h"
#include "ingest/loki_push_receiver.h"
#include "ingest/otlp_grpc_receiver.h"
#include "ingest/otlp_http_receiver.h"

namespace augur::app {
namespace {

core::HttpServerOptions ServerOptions(const std::string& endpoint, size_t max_body, int threads) {
  core::HttpServerOptions options;
  std::string host;
  uint16_t port = 0;
  (void)ParseEndpoint(endpoint, "", &host, &port);  // validated with the configuration
  options.address = host;
  options.port = port;
  options.max_body_bytes = max_body;
  options.threads = threads;
  return options;
}

std::string HostOf(const std::string& endpoint) {
  std::string host;
  uint16_t port;
  (void)ParseEndpoint(endpoint, "", &host, &port);
  return host == "0.0.0.0" || host == "::" ? "localhost" : host;
}

}  // namespace

int RunAugur(const AugurConfig& config) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  core::SelfMetrics metrics;
  Pipeline pipeline(config.pipeline, &metrics);
  if (absl::Status s = pipeline.Start(); !s.ok()) {
    spdlog::error("{}", core::MessageOf(s));
    return 1;
  }
  ingest::OtlpIngester ingester(config.receiver, pipeline.bus(), &metrics);

  ingest::OtlpHttpReceiver http_receiver(&ingester);
  core::HttpServerOptions otlp_options = ServerOptions(
      config.otlp_http_endpoint, config.receiver.max_request_bytes, config.http_threads);
  otlp_options.on_refused = [&http_receiver](const core::HttpRequest& q, core::HttpResponse* r) {
    http_receiver.OnRefused(q, r);
  };
  core::HttpServer otlp_http(std::move(otlp_options));
  http_receiver.Register(&otlp_http);
  ingest::OtlpGrpcReceiver grpc_receiver(&ingester, config.otlp_grpc_endpoint);
  // The API server also takes Loki pushes (and remote-write bodies later); the same limit applies.
  core::HttpServer api_server(
      ServerOptions(config.api_endpoint, config.receiver.max_request_bytes, config.http_threads));
  api::HttpApi api(&pipeline, &metrics);
  api.Register(&api_server);
  api::DetectionApi detection_api(&pipeline);
  detection_api.Register(&api_server);
  api::InferenceApi inference_api;
  inference_api.Register(&api_server);
  api::LogsApi logs_api(&pipeline);
  logs_api.Register(&api_server);
  api::IncidentsApi incidents_api(&pipeline);
  incidents_api.Register(&api_server);
  ingest::LokiPushReceiver loki_receiver(&ingester);
  if (config.loki_receiver) loki_receiver.Register(&api_server);

  for (auto [what, status] :
       {std::pair{"OTLP/HTTP", otlp_http.Start()}, std::pair{"OTLP/gRPC", grpc_receiver.Start()},
        std::pair{"API", api_server.Start()}}) {
    if (!status.ok()) {
      spdlog::error("cannot start {}: {}", what, core::MessageOf(status));
      pipeline.Drain();
      return 1;
    }
  }
  // One machine-readable line, for scripts and tests that start Augur on free ports.
  std::printf("augur listening otlp_grpc=%s:%d otlp_http=%s:%d api=%s:%d\n",
              HostOf(config.otlp_grpc_endpoint).c_str(), grpc_receiver.port(),
              HostOf(config.otlp_http_endpoint).c_str(), otlp_http.port(),
              HostOf(config.api_endpoint).c_str(), api_server.port());
  std::fflush(stdout);
  spdlog::info("OTLP gRPC on :{}, OTLP HTTP on :{}, API and /metrics on http://{}:{}",
               grpc_receiver.port(), otlp_http.port(), HostOf(config.api_endpoint),
               api_server.port());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}: stopping intake, draining the pipeline",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  otlp_http.StopAccepting();
  grpc_receiver.Stop(5000);
  otlp_http.Stop();
  pipeline.Drain();
  api_server.Stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace augur::app
