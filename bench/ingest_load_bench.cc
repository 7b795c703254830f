// End-to-end ingest throughput and memory of a running Augur, side by side with the decode limit.
//
// Starts `augur run` as a child process, sends it the simulator's 512-span trace requests over
// OTLP/HTTP (protobuf) and OTLP/gRPC from client threads in this process, and waits until every
// span is reflected in RED and graph state (augur_derive_spans_total). Throughput is reported per
// core of Augur's own CPU time (from /proc), so the load generator's CPU does not count. The same
// payloads are then parsed in this process by libprotobuf (arena) and by Augur's decoder, one
// thread, as the physical limit of decoding.
//
// Memory: a fleet of S services x O operations (each with an OK and an ERROR series) is sent, and
// the series tables' size and the process RSS are read once the series are live.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/arena.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "augur_process.h"
#include "core/http_client.h"
#include "ingest/otlp_decoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/simulator.h"

namespace augur::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace otlp = opentelemetry::proto;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A self-telemetry value from /api/v1/status (sum over label sets).
double StatusValue(core::HttpClient& api, std::string_view name) {
  auto r = api.Get("/api/v1/status");
  if (!r.ok() || r->status != 200) return -1;
  double total = 0;
  const nlohmann::json status = nlohmann::json::parse(r->body);
  for (const auto& m : status["data"]["self_metrics"]) {
    if (m["name"].get<std::string>() == name && m["value"].is_number()) {
      total += m["value"].get<double>();
    }
  }
  return total;
}

bool WaitFor(core::HttpClient& api, std::string_view name, double target, double timeout_s) {
  auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    if (StatusValue(api, name) >= target) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

struct LoadResult {
  std::string path;
  uint64_t spans = 0;
  double wall_s = 0;
  double cpu_s = 0;
  uint64_t retries = 0;
};

// Sends payloads from `clients` threads for `seconds`; returns spans sent.
template <typename SendOne>
uint64_t Drive(int clients, double seconds, size_t payload_count, SendOne send_one,
               std::atomic<uint64_t>* retries) {
  std::atomic<uint64_t> sent{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto state = send_one.MakeClient();
      for (size_t i = c; Clock::now() < deadline; i += clients) {
        const size_t k = i % payload_count;
        while (!send_one(state, k)) {  // refused (503 / UNAVAILABLE): back off, retry
          retries->fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        sent.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  return sent.load();
}

struct HttpSender {
  int port;
  const std::vector<std::string>* payloads;
  std::unique_ptr<core::HttpClient> MakeClient() const {
    return std::make_unique<core::HttpClient>("127.0.0.1", static_cast<uint16_t>(port));
  }
  bool operator()(std::unique_ptr<core::HttpClient>& client, size_t k) const {
    auto r = client->Send("POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                          (*payloads)[k]);
    if (!r.ok()) {
      std::fprintf(stderr, "http: %s\n", std::string(r.status().message()).c_str());
      return false;
    }
    if (r->status == 200) return true;
    if (r->status != 503) std::fprintf(stderr, "http: status %d\n", r->status);
    return false;
  }
};

struct GrpcSender {
  std::shared_ptr<grpc::Channel> channel;
  const std::vector<grpc::ByteBuffer>* payloads;
  std::unique_ptr<grpc::GenericStub> MakeClient() const {
    return std::make_unique<grpc::GenericStub>(channel);
  }
  bool operator()(std::unique_ptr<grpc::GenericStub>& stub, size_t k) const {
    grpc::ClientContext context;
    grpc::CompletionQueue cq;
    grpc::ByteBuffer response;
    grpc::Status status;
    auto call = stub->PrepareUnaryCall(
        &context, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", (*payloads)[k],
        &cq);
    call->StartCall();
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (status.ok()) return true;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      std::fprintf(stderr, "grpc: %s\n", status.error_message().c_str());
    }
    return false;
  }
};

template <typename Sender>
LoadResult RunLoad(const std::string& binary, const std::string& path, int clients, double seconds,
                   size_t payload_count, uint64_t spans_per_payload,
                   const std::function<Sender(const AugurProcess&)>& make_sender) {
  AugurProcess augur;
  if (auto s = augur.Start(binary, {}); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
  core::HttpClient api("127.0.0.1", static_cast<uint16_t>(augur.api_port()));
  Sender sender = make_sender(augur);
  std::atomic<uint64_t> retries{0};
  // Warm-up: connections, allocator, interned names, the first series.
  uint64_t warm = Drive(clients, 1.0, payload_count, sender, &retries);
  WaitFor(api, "augur_derive_spans_total", static_cast<double>(warm * spans_per_payload), 60);

  double cpu0 = augur.CpuSeconds();
  auto t0 = Clock::now();
  uint64_t requests = Drive(clients, seconds, payload_count, sender, &retries);
  double target = static_cast<double>((warm + requests) * spans_per_payload);
  if (!WaitFor(api, "augur_derive_spans_total", target, 120)) {
    std::fprintf(stderr, "%s: %.0f of %.0f spans arrived (accepted %.0f)\n", path.c_str(),
                 StatusValue(api, "augur_derive_spans_total"), target,
                 StatusValue(api, "augur_ingest_items_accepted_total"));
  }
  LoadResult r;
  r.path = path;
  r.wall_s = Seconds(Clock::now() - t0);
  r.cpu_s = augur.CpuSeconds() - cpu0;
  r.spans = requests * spans_per_payload;
  r.retries = retries.load();
  int code = augur.Stop();
  if (code != 0) std::fprintf(stderr, "augur exited with %d\n", code);
  return r;
}

double DecodeRate(const std::vector<std::string>& payloads, uint64_t spans_per_payload,
                  bool libprotobuf, double seconds) {
  uint64_t spans = 0;
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  size_t i = 0;
  while (Clock::now() < deadline) {
    const std::string& p = payloads[i++ % payloads.size()];
    if (libprotobuf) {
      google::protobuf::Arena arena;
      auto* request = google::protobuf::Arena::CreateMessage<
          otlp::collector::trace::v1::ExportTraceServiceRequest>(&arena);
      if (!request->ParseFromArray(p.data(), static_cast<int>(p.size()))) std::abort();
    } else {
      model::SpanBatch batch;
      ingest::DecodeResult result;
      if (!ingest::DecodeTracesProto(p, ingest::DecodeLimits{}, &batch, &result).ok()) {
        std::abort();
      }
    }
    spans += spans_per_payload;
  }
  return static_cast<double>(spans) / Seconds(Clock::now() - t0);
}

// One request per service with `operations` SERVER spans of distinct names, OK and ERROR.
std::vector<std::string> FleetRequests(int services, int operations, core::TimeNs t0) {
  std::vector<std::string> out;
  uint64_t id = 1;
  for (int s = 0; s < services; ++s) {
    otlp::collector::trace::v1::ExportTraceServiceRequest request;
    auto* rs = request.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value(fmt::format("service-{:03}", s));
    auto* scope = rs->add_scope_spans();
    for (int o = 0; o < operations; ++o) {
      for (int status : {0, 2}) {
        auto* span = scope->add_spans();
        std::string trace(16, '\0'), span_id(8, '\0');
        for (int b = 0; b < 8; ++b) {
          trace[b] = static_cast<char>((id >> (8 * b)) & 0xff);
          trace[8 + b] = static_cast<char>(0x5a);
          span_id[b] = static_cast<char>(((id * 7919) >> (8 * b)) & 0xff);
        }
        ++id;
        span->set_trace_id(trace);
        span->set_span_id(span_id);
        span->set_name(fmt::format("GET /api/v1/resource-{:02}", o));
        span->set_kind(otlp::trace::v1::Span::SPAN_KIND_SERVER);
        span->set_start_time_unix_nano(t0);
        span->set_end_time_unix_nano(t0 + 20'000'000 + o * 1'000'000);
        span->mutable_status()->set_code(static_cast<otlp::trace::v1::Status::StatusCode>(status));
      }
    }
    out.push_back(request.SerializeAsString());
  }
  return out;
}

void Memory(const std::string& binary, int services, int operations) {
  AugurProcess augur;
  if (auto s = augur.Start(binary, {}); !s.ok()) std::exit(1);
  core::HttpClient api("127.0.0.1", static_cast<uint16_t>(augur.api_port()));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  size_t rss0 = augur.RssBytes();
  core::HttpClient client("127.0.0.1", static_cast<uint16_t>(augur.http_port()));
  auto requests = FleetRequests(services, operations, core::Clock::Real().NowNs());
  for (const auto& r : requests) {
    auto resp = client.Send("POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, r);
    if (!resp.ok() || resp->status != 200) std::fprintf(stderr, "memory: send failed\n");
  }
  const double series = 2.0 * services * operations;
  WaitFor(api, "augur_series_active", series, 60);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // gauges refresh each second
  double active = StatusValue(api, "augur_series_active");
  double bytes = StatusValue(api, "augur_series_memory_bytes");
  size_t rss1 = augur.RssBytes();
  std::printf("\nMemory: %d services x %d operations (OK and ERROR series each)\n", services,
              operations);
  std::printf("  active span-metric series        %10.0f\n", active);
  std::printf("  series tables, bytes per series  %10.0f   (target <= 1024)\n", bytes / active);
  std::printf("  RSS growth, bytes per series     %10.0f   (RSS %.1f MiB, %.1f MiB before)\n",
              static_cast<double>(rss1 - rss0) / active, rss1 / 1048576.0, rss0 / 1048576.0);
  augur.Stop();
}

}  // namespace
}  // namespace augur::bench

int main(int argc, char** argv) {
  using namespace augur::bench;
  CLI::App app{"End-to-end ingest benchmark of a running augur."};
  std::string binary = "build/augur";
  double seconds = 10;
  int clients = 2;
  int services = 500;
  int payload_count = 64;
  int spans = 512;
  int operations = 20;
  app.add_option("--augur", binary, "Path of the augur binary");
  app.add_option("--seconds", seconds, "Measured seconds per protocol");
  app.add_option("--clients", clients, "Concurrent client threads");
  app.add_option("--services", services, "Services in the simulated fleet");
  app.add_option("--payloads", payload_count, "Distinct requests to cycle through");
  app.add_option("--spans", spans, "Spans per request");
  app.add_option("--operations", operations, "Operations per service in the memory run");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> payloads = augur::sim::GenerateTracePayloads(
      services, payload_count, spans, 42, augur::core::Clock::Real().NowNs());
  size_t bytes = 0;
  for (const auto& p : payloads) bytes += p.size();
  const uint64_t spans_per_payload = static_cast<uint64_t>(spans);
  std::printf(
      "Payloads: %d ExportTraceServiceRequests of %d spans from a %d-service fleet, "
      "%.0f bytes per span\n",
      payload_count, spans, services,
      static_cast<double>(bytes) / (payload_count * spans_per_payload));

  std::vector<grpc::ByteBuffer> buffers;
  for (const auto& p : payloads) {
    grpc::Slice slice(p);
    buffers.emplace_back(&slice, 1);
  }
  std::vector<LoadResult> results;
  results.push_back(RunLoad<HttpSender>(binary, "OTLP/HTTP protobuf", clients, seconds,
                                        payloads.size(), spans_per_payload,
                                        [&](const AugurProcess& a) {
                                          return HttpSender{a.http_port(), &payloads};
                                        }));
  results.push_back(RunLoad<GrpcSender>(
      binary, "OTLP/gRPC", clients, seconds, payloads.size(), spans_per_payload,
      [&](const AugurProcess& a) {
        grpc::ChannelArguments args;
        args.SetMaxSendMessageSize(64 << 20);
        return GrpcSender{grpc::CreateCustomChannel(fmt::format("127.0.0.1:{}", a.grpc_port()),
                                                    grpc::InsecureChannelCredentials(), args),
                          &buffers};
      }));
  double ours = DecodeRate(payloads, spans_per_payload, false, 3);
  double libprotobuf = DecodeRate(payloads, spans_per_payload, true, 3);

  std::printf("\nIngest, end to end (request in -> RED and service graph updated)\n");
  std::printf("  %-40s %14s %12s %18s\n", "path", "spans/s", "Augur cores", "spans/s per core");
  for (const LoadResult& r : results) {
    std::printf("  %-40s %14.0f %12.2f %18.0f   (retries %lu)\n", r.path.c_str(),
                r.spans / r.wall_s, r.cpu_s / r.wall_s, r.spans / r.cpu_s,
                static_cast<unsigned long>(r.retries));
  }
  std::printf("  %-40s %14.0f %12.2f %18.0f\n", "Augur protobuf decoder alone", ours, 1.0, ours);
  std::printf("  %-40s %14.0f %12.2f %18.0f   <- decode limit\n", "libprotobuf parse (arena)",
              libprotobuf, 1.0, libprotobuf);
  std::printf("  %-40s %14s %12s %18s   (published reference)\n", "OpenTelemetry Collector", "", "",
              "10000-15000");
  std::printf("  HTTP end to end / libprotobuf decode: %.0f%%   (target >= 50%%)\n",
              100.0 * (results[0].spans / results[0].cpu_s) / libprotobuf);

  Memory(binary, services, operations);
  return 0;
}
