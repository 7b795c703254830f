// OTLP/HTTP-shaped load on HttpServer: keep-alive POSTs of a 256 KiB body to a trivial handler.
//
//   ninja -C build augur_http_bench && build/src/core/augur_http_bench
//
// Client threads share the machine's cores with the server's io threads, so figures are a lower
// bound on what the server alone sustains.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>

#include "core/http_client.h"
#include "core/http_server.h"

namespace augur::core {
namespace {

constexpr size_t kBodyBytes = 256 << 10;

// One server for the whole run, shared by the benchmark threads.
HttpServer& SharedServer() {
  static HttpServer* server = [] {
    HttpServerOptions options;
    options.address = "127.0.0.1";
    options.threads = 2;
    auto* s = new HttpServer(options);
    s->Handle("POST", "/v1/traces", [](const HttpRequest& request, HttpResponse* response) {
      response->content_type = "application/x-protobuf";
      // A realistic handler would hand request.body to a decoder; touch it so nothing is skipped.
      benchmark::DoNotOptimize(request.body->data());
    });
    if (!s->Start().ok()) std::abort();
    return s;
  }();
  return *server;
}

void BM_PostKeepAlive(benchmark::State& state) {
  HttpServer& server = SharedServer();
  std::string body(kBodyBytes, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131);
  HttpHeaders headers = {{"Content-Type", "application/x-protobuf"}};
  HttpClient client("127.0.0.1", server.port());
  for (auto _ : state) {
    auto response = client.Send("POST", "/v1/traces", headers, body);
    if (!response.ok() || response->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kBodyBytes));
}
BENCHMARK(BM_PostKeepAlive)->Threads(1)->Threads(2)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace augur::core

BENCHMARK_MAIN();
