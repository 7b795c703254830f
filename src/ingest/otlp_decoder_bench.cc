// Decoding throughput of the OTLP decoders on realistic requests, against libprotobuf parsing the
// same bytes into its generated classes (the "bare decode" reference: no validation, no batch).
//
//   ninja -C build augur_decoder_bench && build/src/ingest/augur_decoder_bench
//
// bytes_per_second is request bytes; items_per_second is spans, data points or log records.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include "ingest/otlp_decoder.h"
#include "ingest/otlp_test_payloads.h"

namespace augur::ingest {
namespace {

using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr int kResources = 10;
constexpr int kSpans = 512;

struct Payloads {
  std::string traces_proto;
  std::string traces_json;
  std::string metrics_proto;
  std::string metrics_json;
  int64_t metric_points = 0;
  std::string logs_proto;
  std::string logs_json;

  static const Payloads& Get() {
    static const Payloads* payloads = [] {
      auto* p = new Payloads;
      auto traces = SampleTraceRequest(kResources, kSpans, 1);
      p->traces_proto = traces.SerializeAsString();
      p->traces_json = ToOtlpJson(traces);
      auto metrics = SampleMetricsRequest(kResources, 2, 10, 1);
      p->metrics_proto = metrics.SerializeAsString();
      p->metrics_json = ToOtlpJson(metrics);
      p->metric_points = int64_t{kResources} * 2 * 5 * 10;
      auto logs = SampleLogsRequest(kResources, kSpans, 1);
      p->logs_proto = logs.SerializeAsString();
      p->logs_json = ToOtlpJson(logs);
      return p;
    }();
    return *payloads;
  }
};

void Report(benchmark::State& state, size_t bytes, int64_t items) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(state.iterations() * items);
  state.counters["request_bytes"] = static_cast<double>(bytes);
}

template <typename Batch, typename DecodeFn>
void RunDecoder(benchmark::State& state, const std::string& payload, int64_t items,
                DecodeFn decode) {
  DecodeLimits limits;
  for (auto _ : state) {
    Batch batch;
    DecodeResult result;
    absl::Status status = decode(payload, limits, &batch, &result);
    if (!status.ok() || static_cast<int64_t>(result.accepted) != items) {
      state.SkipWithError("decode failed");
      return;
    }
    benchmark::DoNotOptimize(batch);
  }
  Report(state, payload.size(), items);
}

void TracesProto(benchmark::State& state) {
  RunDecoder<model::SpanBatch>(state, Payloads::Get().traces_proto, kSpans, DecodeTracesProto);
}
BENCHMARK(TracesProto);

// The pipeline can recycle batches; then vector capacity is reused and only the decode remains.
void TracesProtoReusedBatch(benchmark::State& state) {
  const std::string& payload = Payloads::Get().traces_proto;
  DecodeLimits limits;
  model::SpanBatch batch;
  for (auto _ : state) {
    batch.spans.clear();
    batch.resources.clear();
    batch.attributes.clear();
    DecodeResult result;
    if (!DecodeTracesProto(payload, limits, &batch, &result).ok() || result.accepted != kSpans) {
      state.SkipWithError("decode failed");
      return;
    }
    benchmark::DoNotOptimize(batch);
  }
  Report(state, payload.size(), kSpans);
}
BENCHMARK(TracesProtoReusedBatch);

// libprotobuf into a fresh arena per request: what the gRPC receiver does with arenas enabled.
void TracesLibprotobufArena(benchmark::State& state) {
  const std::string& payload = Payloads::Get().traces_proto;
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* request = google::protobuf::Arena::CreateMessage<TraceRequest>(&arena);
    if (!request->ParseFromString(payload)) {
      state.SkipWithError("parse failed");
      return;
    }
    benchmark::DoNotOptimize(request);
  }
  Report(state, payload.size(), kSpans);
}
BENCHMARK(TracesLibprotobufArena);

// libprotobuf's best case: the arena's first block is a reused buffer large enough for the request.
void TracesLibprotobufArenaReusedBlock(benchmark::State& state) {
  const std::string& payload = Payloads::Get().traces_proto;
  std::unique_ptr<char[]> block(new char[16 << 20]);
  google::protobuf::ArenaOptions options;
  options.initial_block = block.get();
  options.initial_block_size = 16 << 20;
  for (auto _ : state) {
    google::protobuf::Arena arena(options);
    auto* request = google::protobuf::Arena::CreateMessage<TraceRequest>(&arena);
    if (!request->ParseFromString(payload)) {
      state.SkipWithError("parse failed");
      return;
    }
    benchmark::DoNotOptimize(request);
  }
  Report(state, payload.size(), kSpans);
}
BENCHMARK(TracesLibprotobufArenaReusedBlock);

void TracesLibprotobufHeap(benchmark::State& state) {
  const std::string& payload = Payloads::Get().traces_proto;
  for (auto _ : state) {
    TraceRequest request;
    if (!request.ParseFromString(payload)) {
      state.SkipWithError("parse failed");
      return;
    }
    benchmark::DoNotOptimize(request);
  }
  Report(state, payload.size(), kSpans);
}
BENCHMARK(TracesLibprotobufHeap);

void TracesJson(benchmark::State& state) {
  RunDecoder<model::SpanBatch>(state, Payloads::Get().traces_json, kSpans, DecodeTracesJson);
}
BENCHMARK(TracesJson);

void MetricsProto(benchmark::State& state) {
  RunDecoder<model::MetricBatch>(state, Payloads::Get().metrics_proto,
                                 Payloads::Get().metric_points, DecodeMetricsProto);
}
BENCHMARK(MetricsProto);

void MetricsJson(benchmark::State& state) {
  RunDecoder<model::MetricBatch>(state, Payloads::Get().metrics_json, Payloads::Get().metric_points,
                                 DecodeMetricsJson);
}
BENCHMARK(MetricsJson);

void LogsProto(benchmark::State& state) {
  RunDecoder<model::LogBatch>(state, Payloads::Get().logs_proto, kSpans, DecodeLogsProto);
}
BENCHMARK(LogsProto);

void LogsJson(benchmark::State& state) {
  RunDecoder<model::LogBatch>(state, Payloads::Get().logs_json, kSpans, DecodeLogsJson);
}
BENCHMARK(LogsJson);

}  // namespace
}  // namespace augur::ingest

BENCHMARK_MAIN();
